/* SPDX-License-Identifier: BSD-2-Clause */
/* ip_hash: a client address always goes to the same peer while it lives. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_upstream.h"
#include "pt_http_upstream_hash.h"

static int ip_hash(pt_conf_t *cf, const pt_command_t *cmd, void *conf);

static const pt_command_t  ip_hash_commands[] = {
    { .name = "ip_hash", .ctx = PT_HTTP_UPS, .args = PT_CONF_NOARGS,
      .set = ip_hash },
    PT_COMMAND_END
};

static const pt_http_module_t  ip_hash_module_ctx = { 0 };

pt_module_t  pt_http_upstream_ip_hash_module = {
    .name = "pt_http_upstream_ip_hash_module",
    .type = PT_HTTP_MODULE,
    .commands = ip_hash_commands,
    .ctx = &ip_hash_module_ctx,
};


/* The bytes hashed: three octets of IPv4 (a /24 sticks), all of IPv6. */
static size_t
ip_hash_addr(const struct sockaddr *sa, const u_char **addr)
{
    if (sa->sa_family == AF_INET) {
        *addr = (const u_char *) &((const struct sockaddr_in *) sa)->sin_addr;
        return 3;
    }

    if (sa->sa_family == AF_INET6) {
        *addr = ((const struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;
        return 16;
    }

    return 0;
}


/* The primary peer that weight point w falls on. */
static size_t
ip_hash_peer_at(const pt_http_upstream_peers_t *set, uint32_t w)
{
    size_t  i = 0;

    while (w >= (uint32_t) set->peers[i].weight) {
        w -= (uint32_t) set->peers[i].weight;
        i++;
    }

    return i;
}


static pt_http_upstream_peer_t *
ip_hash_get(pt_http_upstream_srv_conf_t *us, pt_http_request_t *r,
    uint64_t *tried)
{
    const u_char  *addr;
    size_t         len = ip_hash_addr(r->connection->sockaddr, &addr);
    uint32_t       hash = 89;

    if (len == 0) {
        return pt_http_upstream_rr(us, tried);
    }

    /* Unusable: hash on from there, then give round robin the request. */
    for (int n = 0; n < PT_HTTP_UPSTREAM_HASH_TRIES; n++) {
        hash = pt_http_ip_hash(hash, addr, len);

        size_t  i = ip_hash_peer_at(&us->primary,
                                    hash % (uint32_t) us->primary.total_weight);

        if (!pt_http_upstream_was_tried(tried, i)
            && pt_http_upstream_peer_usable(&us->primary.peers[i]))
        {
            pt_http_upstream_mark(tried, i);
            return &us->primary.peers[i];
        }
    }

    return pt_http_upstream_rr(us, tried);
}


static int
ip_hash(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    (void) cmd;
    (void) conf;
    pt_http_upstream_set_balancer(cf, "ip_hash", ip_hash_get, NULL, true);
    return PT_OK;
}
