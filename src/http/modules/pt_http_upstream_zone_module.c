/* SPDX-License-Identifier: BSD-2-Clause */
/* zone NAME [SIZE] in upstream { }: peer state shared by all workers. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_upstream.h"
#include "pt_http_upstream_hash.h"

/*
 * The zone holds, per upstream bound to it, one node: its name, its peer
 * count and the states of its peers (primary then backup), linked from
 * the zone root by offsets.  The states are updated with atomics by the
 * workers (pt_http_upstream_free_peer), so no lock is taken at run time;
 * the nodes themselves are made only in the master, before workers fork.
 * Each image makes new nodes; a reload copies the failures of an old node
 * whose upstream has the same name and the same peers (addresses and
 * parameters, as a signature).  A node is freed two generations after its
 * own: by then the workers that counted on it are gone (unless a worker
 * outlives two reloads in a row while draining, whose late decrements
 * would land in freed memory: a wrong count, never a crash, since the
 * slab keeps the pages mapped).
 */

#define UPSTREAM_ZONE_TAG  PT_SHM_TAG('u', 'p', 's', 't')

typedef struct {
    uint32_t   next;                  /* offset of the next node, 0: last */
    uint32_t   gen;                   /* last generation that used it */
    uint32_t   sig;                   /* crc32 of the peers' setup */
    uint32_t   npeers;
    uint32_t   states;                /* pt_http_upstream_peer_state_t[] */
    uint32_t   name_len;
    u_char     name[];
} upstream_zone_node_t;

static int upstream_zone(pt_conf_t *cf, const pt_command_t *cmd, void *conf);

static const pt_command_t  upstream_zone_commands[] = {
    { .name = "zone", .ctx = PT_HTTP_UPS, .args = PT_CONF_TAKE12,
      .set = upstream_zone },
    PT_COMMAND_END
};

static const pt_http_module_t  upstream_zone_module_ctx = { 0 };

pt_module_t  pt_http_upstream_zone_module = {
    .name = "pt_http_upstream_zone_module",
    .type = PT_HTTP_MODULE,
    .commands = upstream_zone_commands,
    .ctx = &upstream_zone_module_ctx,
};


/* What must match for a reload to keep the peers' states. */
static uint32_t
upstream_zone_sig_set(uint32_t crc, const pt_http_upstream_peers_t *set)
{
    for (size_t i = 0; i < set->npeers; i++) {
        const pt_http_upstream_peer_t  *p = &set->peers[i];
        int                             v[4] = { p->weight, p->max_fails,
                                                 p->max_conns, p->down };

        crc = pt_crc32_update(crc, p->name.data, p->name.len);
        crc = pt_crc32_update(crc, (const u_char *) v, sizeof(v));
    }

    return crc;
}


static uint32_t
upstream_zone_sig(const pt_http_upstream_srv_conf_t *us)
{
    uint32_t  crc = upstream_zone_sig_set(pt_crc32_init(), &us->primary);

    return pt_crc32_final(upstream_zone_sig_set(crc, &us->backup));
}


static upstream_zone_node_t *
upstream_zone_find(pt_shm_zone_t *zone, pt_http_upstream_srv_conf_t *us)
{
    size_t    n = us->primary.npeers + us->backup.npeers;
    uint32_t  sig = upstream_zone_sig(us);

    for (upstream_zone_node_t *node = pt_shm_ptr(zone,
                                                 pt_shm_header(zone)->root);
         node; node = pt_shm_ptr(zone, node->next))
    {
        if (node->npeers == n && node->sig == sig
            && node->name_len == us->name.len
            && memcmp(node->name, us->name.data, us->name.len) == 0)
        {
            return node;
        }
    }

    return NULL;
}


static upstream_zone_node_t *
upstream_zone_create(pt_shm_zone_t *zone, pt_http_upstream_srv_conf_t *us)
{
    pt_slab_pool_t        *sp = pt_shm_slab(zone);
    size_t                 n = us->primary.npeers + us->backup.npeers;
    uint32_t               off = pt_slab_calloc(sp, sizeof(upstream_zone_node_t)
                                                    + us->name.len);
    uint32_t               states = pt_slab_calloc(sp,
                               n * sizeof(pt_http_upstream_peer_state_t));
    upstream_zone_node_t  *node = pt_shm_ptr(zone, off);

    if (node == NULL || states == 0) {
        pt_slab_free(sp, off);
        pt_slab_free(sp, states);
        return NULL;
    }

    node->npeers = (uint32_t) n;
    node->sig = upstream_zone_sig(us);
    node->states = states;
    node->name_len = (uint32_t) us->name.len;
    memcpy(node->name, us->name.data, us->name.len);
    node->next = pt_shm_header(zone)->root;
    pt_shm_header(zone)->root = off;
    return node;
}


/* Frees the nodes no upstream used in the last two generations. */
static void
upstream_zone_sweep(pt_shm_zone_t *zone)
{
    uint32_t   gen = pt_shm_header(zone)->generation;
    uint32_t  *link = &pt_shm_header(zone)->root;

    while (*link) {
        upstream_zone_node_t  *node = pt_shm_ptr(zone, *link);

        if (node->gen + 2 < gen) {
            uint32_t  off = *link;

            *link = node->next;
            pt_slab_free(pt_shm_slab(zone), node->states);
            pt_slab_free(pt_shm_slab(zone), off);
            continue;
        }

        link = &node->next;
    }
}


/*
 * Failures and health check verdicts carry over a reload; connection
 * counts do not (see below).
 */
static void
upstream_zone_carry(pt_shm_zone_t *zone, upstream_zone_node_t *from,
    upstream_zone_node_t *to)
{
    pt_http_upstream_peer_state_t  *a = pt_shm_ptr(zone, from->states);
    pt_http_upstream_peer_state_t  *b = pt_shm_ptr(zone, to->states);

    for (uint32_t i = 0; i < to->npeers; i++) {
        b[i].fails = __atomic_load_n(&a[i].fails, __ATOMIC_RELAXED);
        b[i].checked = __atomic_load_n(&a[i].checked, __ATOMIC_RELAXED);
        b[i].down_until = __atomic_load_n(&a[i].down_until,
                                          __ATOMIC_RELAXED);
        b[i].checked_down = __atomic_load_n(&a[i].checked_down,
                                            __ATOMIC_RELAXED);
    }
}


/*
 * The zone's init hook (master, before fork): gives each upstream a new
 * node.  After a reload the failures of the matching old node are copied
 * into it, while connections start from zero: the old workers still
 * release theirs into the old node, and a count leaked by a worker that
 * crashed is forgotten at the next reload (as nginx forgets it).
 */
static int
upstream_zone_init(pt_shm_zone_t *zone, bool adopted)
{
    pt_array_t                    *list = zone->data;
    pt_http_upstream_srv_conf_t  **u = list->elts;

    if (adopted) {
        upstream_zone_sweep(zone);
    }

    for (size_t i = 0; i < list->nelts; i++) {
        upstream_zone_node_t           *old = adopted
                                              ? upstream_zone_find(zone, u[i])
                                              : NULL;
        upstream_zone_node_t           *node = upstream_zone_create(zone,
                                                                    u[i]);
        pt_http_upstream_peer_state_t  *st;

        if (node == NULL) {
            pt_log_error(PT_LOG_EMERG, zone->log, 0, "zone \"%.*s\" is too "
                         "small for upstream \"%.*s\"", PT_STR_ARG(zone->name),
                         PT_STR_ARG(u[i]->name));
            return PT_ERROR;
        }

        if (old) {
            upstream_zone_carry(zone, old, node);
        }

        node->gen = pt_shm_header(zone)->generation;
        st = pt_shm_ptr(zone, node->states);

        for (size_t j = 0; j < u[i]->primary.npeers; j++) {
            u[i]->primary.peers[j].state = st++;
        }

        for (size_t j = 0; j < u[i]->backup.npeers; j++) {
            u[i]->backup.peers[j].state = st++;
        }
    }

    return PT_OK;
}


static int
upstream_zone(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_http_upstream_srv_conf_t   *us = cf->handler_data;
    pt_str_t                       name = pt_conf_arg(cf, 1);
    ssize_t                        size = 0;
    pt_http_upstream_srv_conf_t  **slot;

    (void) cmd;
    (void) conf;

    if (us->zone) {
        return pt_conf_error(cf, "\"zone\" directive is duplicate");
    }

    if (pt_conf_nargs(cf) == 3) {
        size = pt_parse_size(&pt_conf_arg(cf, 2));

        if (size < 0) {
            return pt_conf_error(cf, "invalid zone size \"%.*s\"",
                                 PT_STR_ARG(pt_conf_arg(cf, 2)));
        }

        if (size < PT_SHM_MIN_SIZE) {
            return pt_conf_error(cf, "zone \"%.*s\" is too small",
                                 PT_STR_ARG(name));
        }
    }

    us->zone = pt_shm_zone_add(cf, &name, (size_t) size, UPSTREAM_ZONE_TAG,
                               upstream_zone_init);
    if (us->zone == NULL) {
        return PT_ERROR;
    }

    /* Several upstreams may share one zone (as nginx). */
    if (us->zone->data == NULL) {
        us->zone->data = pt_array_create(cf->pool, 2, sizeof(void *));
        if (us->zone->data == NULL) {
            return PT_ERROR;
        }
    }

    slot = pt_array_push(us->zone->data);
    if (slot == NULL) {
        return PT_ERROR;
    }

    *slot = us;
    return PT_OK;
}
