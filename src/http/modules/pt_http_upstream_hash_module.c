/* SPDX-License-Identifier: BSD-2-Clause */
/* hash KEY [consistent]: a key (with variables) picks the peer. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_upstream.h"
#include "pt_http_upstream_hash.h"

typedef struct {
    pt_http_complex_value_t   key;
    bool                      consistent;
    pt_http_chash_ring_t      ring;         /* consistent: primary peers */
} hash_conf_t;

static int hash_directive(pt_conf_t *cf, const pt_command_t *cmd, void *conf);

static const pt_command_t  hash_commands[] = {
    { .name = "hash", .ctx = PT_HTTP_UPS, .args = PT_CONF_TAKE12,
      .set = hash_directive },
    PT_COMMAND_END
};

static const pt_http_module_t  hash_module_ctx = { 0 };

pt_module_t  pt_http_upstream_hash_module = {
    .name = "pt_http_upstream_hash_module",
    .type = PT_HTTP_MODULE,
    .commands = hash_commands,
    .ctx = &hash_module_ctx,
};


static bool
hash_take(pt_http_upstream_srv_conf_t *us, size_t i, uint64_t *tried)
{
    if (pt_http_upstream_was_tried(tried, i)
        || !pt_http_upstream_peer_usable(&us->primary.peers[i]))
    {
        return false;
    }

    pt_http_upstream_mark(tried, i);
    return true;
}


/* Plain hash: the running hash modulo the total weight names a peer. */
static pt_http_upstream_peer_t *
hash_get(pt_http_upstream_srv_conf_t *us, pt_http_request_t *r,
    uint64_t *tried)
{
    hash_conf_t               *hc = us->balancer_data;
    pt_http_upstream_peers_t  *set = &us->primary;
    pt_str_t                   key;
    uint32_t                   hash = 0;

    if (pt_http_complex_value(r, &hc->key, &key) != PT_OK) {
        return NULL;
    }

    for (unsigned n = 0; n < PT_HTTP_UPSTREAM_HASH_TRIES; n++) {
        uint32_t  w;
        size_t    i = 0;

        hash = pt_http_hash_key(&key, n, hash);
        w = hash % (uint32_t) set->total_weight;

        while (w >= (uint32_t) set->peers[i].weight) {
            w -= (uint32_t) set->peers[i].weight;
            i++;
        }

        if (hash_take(us, i, tried)) {
            return &set->peers[i];
        }
    }

    return pt_http_upstream_rr(us, tried);
}


/*
 * Consistent hash: the first ring point at or after crc32(key) names a
 * server; among its usable addresses round robin picks.  When none is
 * usable, the next point is tried.
 */
static pt_http_upstream_peer_t *
hash_chash_get(pt_http_upstream_srv_conf_t *us, pt_http_request_t *r,
    uint64_t *tried)
{
    hash_conf_t               *hc = us->balancer_data;
    pt_http_upstream_peers_t  *set = &us->primary;
    pt_str_t                   key;
    size_t                     at;

    if (pt_http_complex_value(r, &hc->key, &key) != PT_OK) {
        return NULL;
    }

    at = pt_http_chash_find(&hc->ring, pt_crc32(key.data, key.len));

    for (unsigned n = 0; n <= PT_HTTP_UPSTREAM_HASH_TRIES; n++, at++) {
        pt_str_t                 *server = &set->peers[
            hc->ring.point[at % hc->ring.number].server].server;
        pt_http_upstream_peer_t  *best = NULL;
        size_t                    besti = 0;
        int                       total = 0;

        for (size_t i = 0; i < set->npeers; i++) {
            pt_http_upstream_peer_t  *p = &set->peers[i];

            if (pt_http_upstream_was_tried(tried, i)
                || !pt_http_upstream_peer_usable(p)
                || !pt_str_eq(&p->server, server))
            {
                continue;
            }

            p->current_weight += p->effective_weight;
            total += p->effective_weight;
            if (best == NULL || p->current_weight > best->current_weight) {
                best = p;
                besti = i;
            }
        }

        if (best) {
            best->current_weight -= total;
            pt_http_upstream_mark(tried, besti);
            return best;
        }
    }

    return pt_http_upstream_rr(us, tried);
}


static int
hash_init(pt_conf_t *cf, pt_http_upstream_srv_conf_t *us)
{
    hash_conf_t  *hc = us->balancer_data;
    pt_str_t     *servers;
    int          *weights;
    size_t        n = us->primary.npeers;

    if (!hc->consistent) {
        return PT_OK;
    }

    servers = pt_palloc(cf->pool, n * sizeof(*servers));
    weights = pt_palloc(cf->pool, n * sizeof(*weights));
    if (servers == NULL || weights == NULL) {
        return PT_ERROR;
    }

    for (size_t i = 0; i < n; i++) {
        servers[i] = us->primary.peers[i].server;
        weights[i] = us->primary.peers[i].weight;
    }

    return pt_http_chash_build(cf->pool, servers, weights, n, &hc->ring);
}


static int
hash_directive(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    hash_conf_t  *hc = pt_pcalloc(cf->pool, sizeof(*hc));
    pt_str_t      key = pt_conf_arg(cf, 1);

    (void) cmd;
    (void) conf;

    if (hc == NULL
        || pt_http_compile_complex_value(cf, &key, &hc->key) != PT_OK)
    {
        return PT_ERROR;
    }

    if (pt_conf_nargs(cf) == 3) {
        pt_str_t  *v = &pt_conf_arg(cf, 2);

        if (v->len != 10 || memcmp(v->data, "consistent", 10) != 0) {
            return pt_conf_error(cf, "invalid parameter \"%.*s\"",
                                 PT_STR_ARG(*v));
        }
        hc->consistent = true;
    }

    pt_http_upstream_set_balancer(cf, "hash",
                                  hc->consistent ? hash_chash_get : hash_get,
                                  hash_init, true)->balancer_data = hc;
    return PT_OK;
}
