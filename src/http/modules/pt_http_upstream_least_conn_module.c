/* SPDX-License-Identifier: BSD-2-Clause */
/* least_conn: the peer with the fewest active connections per weight. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_upstream.h"

static int least_conn(pt_conf_t *cf, const pt_command_t *cmd, void *conf);

static const pt_command_t  least_conn_commands[] = {
    { .name = "least_conn", .ctx = PT_HTTP_UPS, .args = PT_CONF_NOARGS,
      .set = least_conn },
    PT_COMMAND_END
};

static const pt_http_module_t  least_conn_module_ctx = { 0 };

pt_module_t  pt_http_upstream_least_conn_module = {
    .name = "pt_http_upstream_least_conn_module",
    .type = PT_HTTP_MODULE,
    .commands = least_conn_commands,
    .ctx = &least_conn_module_ctx,
};


static int
least_conn_cmp(const pt_http_upstream_peer_t *a,
    const pt_http_upstream_peer_t *b)
{
    /* conns / weight compared without division. */
    int64_t  x = (int64_t) pt_http_upstream_peer_conns(a) * b->weight;
    int64_t  y = (int64_t) pt_http_upstream_peer_conns(b) * a->weight;

    return x < y ? -1 : x > y;
}


/*
 * The least loaded usable peers of set; ties are broken by smooth
 * weighted round robin among them, so equal peers still alternate.
 */
static pt_http_upstream_peer_t *
least_conn_pick(pt_http_upstream_peers_t *set, uint64_t *tried, size_t base)
{
    pt_http_upstream_peer_t  *best = NULL, *pick = NULL;
    int                       total = 0;
    size_t                    picki = 0;

    for (size_t i = 0; i < set->npeers; i++) {
        pt_http_upstream_peer_t  *p = &set->peers[i];

        if (!pt_http_upstream_was_tried(tried, base + i)
            && pt_http_upstream_peer_usable(p)
            && (best == NULL || least_conn_cmp(p, best) < 0))
        {
            best = p;
        }
    }

    if (best == NULL) {
        return NULL;
    }

    for (size_t i = 0; i < set->npeers; i++) {
        pt_http_upstream_peer_t  *p = &set->peers[i];

        if (pt_http_upstream_was_tried(tried, base + i)
            || !pt_http_upstream_peer_usable(p) || least_conn_cmp(p, best))
        {
            continue;
        }

        p->current_weight += p->effective_weight;
        total += p->effective_weight;

        if (p->effective_weight < p->weight) {
            p->effective_weight++;
        }

        if (pick == NULL || p->current_weight > pick->current_weight) {
            pick = p;
            picki = i;
        }
    }

    pick->current_weight -= total;
    pt_http_upstream_mark(tried, base + picki);
    return pick;
}


static pt_http_upstream_peer_t *
least_conn_get(pt_http_upstream_srv_conf_t *us, pt_http_request_t *r,
    uint64_t *tried)
{
    pt_http_upstream_peer_t  *p = least_conn_pick(&us->primary, tried, 0);

    (void) r;

    if (p == NULL) {
        p = least_conn_pick(&us->backup, tried, us->primary.npeers);
    }

    return p;
}


static int
least_conn(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    (void) cmd;
    (void) conf;
    pt_http_upstream_set_balancer(cf, "least_conn", least_conn_get, NULL,
                                  false);
    return PT_OK;
}
