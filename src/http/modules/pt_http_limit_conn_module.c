/* SPDX-License-Identifier: BSD-2-Clause */
/* limit_conn: requests in flight per key, counted across workers in a zone. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

/*
 * Directives:
 *
 *   limit_conn_zone key zone=name:size;          context: http
 *   limit_conn zone number;            context: http, server, location
 *   limit_conn_status code;            default 503
 *   limit_conn_log_level info | notice | warn | error;   default error
 *   limit_conn_dry_run on | off;       default off
 *
 * As nginx counts them: a request holds one unit per limit from the
 * preaccess phase until its pool is destroyed (a pool cleanup), which
 * happens on every way a request ends: response sent, error, client gone,
 * timeout, worker shutdown.
 *
 * A worker that crashes runs no cleanup.  So that its units do not leak
 * forever, every node also counts per process slot: each worker claims a
 * slot of the zone (its pid in root->owners) the first time it counts, and
 * when the master reaps a worker the zone's exited hook subtracts that
 * slot's units from every node and frees the slot.  A worker that finds no
 * free slot also reclaims those of processes that no longer exist.  Beyond
 * LIMIT_CONN_SLOTS live processes, units are counted without a slot (as
 * nginx does: a crash would then leak them).
 */

#define LIMIT_CONN_TAG    PT_SHM_TAG('l', 'c', 'o', 'n')
#define LIMIT_CONN_SLOTS  32

typedef enum {
    LIMIT_CONN_PASSED = 1,
    LIMIT_CONN_REJECTED,
    LIMIT_CONN_REJECTED_DRY_RUN
} limit_conn_status_e;

typedef struct {
    uint32_t   conn;                        /* all units of the key */
    uint16_t   slot[LIMIT_CONN_SLOTS];      /* ... held by each process */
} limit_conn_node_t;

/* The zone's top structure (hdr->root). */
typedef struct {
    uint32_t   store;
    int32_t    owners[LIMIT_CONN_SLOTS];    /* pid holding each slot, 0: free */
} limit_conn_root_t;

typedef struct {
    pt_http_complex_value_t   key;
    pt_shm_zone_t            *zone;
    pid_t                     slot_pid;     /* this process's slot ... */
    int                       slot;         /* ... (-1: none) */
} limit_conn_zone_conf_t;

typedef struct {
    pt_shm_zone_t  *zone;
    uint32_t        conn;
} limit_conn_limit_t;

typedef struct {
    pt_array_t  *limits;       /* limit_conn_limit_t; NULL: none here */
    int          status;
    int          log_level;
    int          dry_run;
} limit_conn_loc_conf_t;

/* One unit held by a request, given back by its pool cleanup. */
typedef struct {
    pt_shm_zone_t  *zone;
    pt_str_t        key;       /* in r->pool, alive while cleanups run */
    int             slot;
} limit_conn_cleanup_t;


static int limit_conn_zone(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int limit_conn(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int limit_conn_preconfiguration(pt_conf_t *cf);
static int limit_conn_init(pt_conf_t *cf);
static int limit_conn_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);

#define LIMIT_CONN_CTX  (PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC)

static const pt_command_t  limit_conn_commands[] = {
    { .name = "limit_conn_zone", .ctx = PT_HTTP_MAIN, .args = PT_CONF_TAKE2,
      .set = limit_conn_zone },
    { .name = "limit_conn", .ctx = LIMIT_CONN_CTX, .args = PT_CONF_TAKE2,
      .set = limit_conn },
    { .name = "limit_conn_status", .ctx = LIMIT_CONN_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_num,
      .field = PT_LOC_FIELD(limit_conn_loc_conf_t, status),
      .def.i = PT_HTTP_SERVICE_UNAVAILABLE, .min = 400, .max = 599 },
    { .name = "limit_conn_log_level", .ctx = LIMIT_CONN_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_enum,
      .field = PT_LOC_FIELD(limit_conn_loc_conf_t, log_level),
      .def.i = PT_LOG_ERR, .values = pt_conf_limit_log_levels },
    { .name = "limit_conn_dry_run", .ctx = LIMIT_CONN_CTX,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(limit_conn_loc_conf_t, dry_run), .def.flag = 0 },
    PT_COMMAND_END
};

static const pt_http_module_t  limit_conn_module_ctx = {
    .preconfiguration = limit_conn_preconfiguration,
    .postconfiguration = limit_conn_init,
    .loc_conf_size = sizeof(limit_conn_loc_conf_t),
    .merge_loc_conf = limit_conn_merge_loc_conf,
};

pt_module_t  pt_http_limit_conn_module = {
    .name = "pt_http_limit_conn_module",
    .type = PT_HTTP_MODULE,
    .commands = limit_conn_commands,
    .ctx = &limit_conn_module_ctx,
};


static limit_conn_root_t *
limit_conn_root(pt_shm_zone_t *zone)
{
    return pt_shm_ptr(zone, pt_shm_header(zone)->root);
}


static pt_shm_store_t *
limit_conn_store(pt_shm_zone_t *zone)
{
    limit_conn_root_t  *root = limit_conn_root(zone);

    return root ? pt_shm_ptr(zone, root->store) : NULL;
}


static int
limit_conn_create_root(pt_shm_zone_t *zone)
{
    pt_slab_pool_t     *sp = pt_shm_slab(zone);
    uint32_t            off = pt_slab_calloc(sp, sizeof(limit_conn_root_t));
    limit_conn_root_t  *root = pt_slab_ptr(sp, off);
    pt_shm_store_t     *st;

    if (root == NULL) {
        return PT_ERROR;
    }

    st = pt_shm_store_create(sp, sizeof(limit_conn_node_t), zone->size);
    if (st == NULL) {
        return PT_ERROR;
    }

    root->store = pt_shm_off(zone, st);
    pt_shm_header(zone)->root = off;
    return PT_OK;
}


static int
limit_conn_init_zone(pt_shm_zone_t *zone, bool adopted)
{
    if (adopted && limit_conn_store(zone) != NULL) {
        return PT_OK;   /* requests of the old workers are still counted */
    }

    if (limit_conn_create_root(zone) != PT_OK) {
        pt_log_error(PT_LOG_EMERG, zone->log, 0, "zone \"%.*s\" is too small",
                     PT_STR_ARG(zone->name));
        return PT_ERROR;
    }

    return PT_OK;
}


static void
limit_conn_repair(pt_shm_zone_t *zone)
{
    pt_shm_store_t  *st = limit_conn_store(zone);

    if (st == NULL || st->busy) {
        /* Counts restart from zero; cleanups of lost nodes do nothing. */
        pt_shm_zone_reset(zone);
        (void) limit_conn_create_root(zone);
    }
}


/* Gives back the units slot holds in one node; true deletes the node. */
static bool
limit_conn_release_slot(void *value, void *data)
{
    limit_conn_node_t  *lc = value;
    int                 slot = *(int *) data;
    uint32_t            n = lc->slot[slot];

    lc->slot[slot] = 0;
    lc->conn = lc->conn > n ? lc->conn - n : 0;
    return lc->conn == 0;
}


/* Undoes what slot held (lock held) and frees the slot. */
static void
limit_conn_free_slot(pt_shm_zone_t *zone, limit_conn_root_t *root, int slot)
{
    pt_shm_store_t  *st = pt_shm_ptr(zone, root->store);

    pt_shm_store_walk(pt_shm_slab(zone), st, limit_conn_release_slot, &slot);
    root->owners[slot] = 0;
}


/* The exited hook: the master reaped pid (the lock is held). */
static void
limit_conn_exited(pt_shm_zone_t *zone, pid_t pid)
{
    limit_conn_root_t  *root = limit_conn_root(zone);

    for (int i = 0; root && i < LIMIT_CONN_SLOTS; i++) {
        if (root->owners[i] == (int32_t) pid) {
            limit_conn_free_slot(zone, root, i);
        }
    }
}


/* This process's slot in the zone (lock held); -1 when none is free. */
static int
limit_conn_slot(limit_conn_zone_conf_t *ctx, limit_conn_root_t *root)
{
    pid_t  pid = getpid();
    int    i;

    if (ctx->slot_pid == pid && ctx->slot >= 0
        && root->owners[ctx->slot] == (int32_t) pid)
    {
        return ctx->slot;
    }

    ctx->slot_pid = pid;
    ctx->slot = -1;

    for (i = 0; i < LIMIT_CONN_SLOTS && ctx->slot < 0; i++) {
        if (root->owners[i] == 0 || root->owners[i] == (int32_t) pid) {
            ctx->slot = i;
        }
    }

    /* Full: take over a slot whose process is gone, undoing its units. */
    for (i = 0; i < LIMIT_CONN_SLOTS && ctx->slot < 0; i++) {
        if (kill((pid_t) root->owners[i], 0) == -1 && errno == ESRCH) {
            limit_conn_free_slot(ctx->zone, root, i);
            ctx->slot = i;
        }
    }

    if (ctx->slot >= 0) {
        root->owners[ctx->slot] = (int32_t) pid;
    }

    return ctx->slot;
}


/* Gives back one unit (lock held); a node at zero is deleted. */
static void
limit_conn_put(pt_shm_zone_t *zone, const pt_str_t *key, int slot)
{
    pt_shm_store_t     *st = limit_conn_store(zone);
    pt_slab_pool_t     *sp = pt_shm_slab(zone);
    limit_conn_node_t  *lc;

    if (st == NULL) {
        return;
    }

    lc = pt_shm_store_find(sp, st, key->data, key->len,
                           pt_shm_store_hash(key->data, key->len));
    if (lc == NULL || lc->conn == 0) {
        return;         /* the zone was reset meanwhile */
    }

    lc->conn--;
    if (slot >= 0 && lc->slot[slot]) {
        lc->slot[slot]--;
    }

    if (lc->conn == 0) {
        pt_shm_store_delete(sp, st, lc);
    }
}


static void
limit_conn_cleanup(void *data)
{
    limit_conn_cleanup_t  *lcc = data;

    if (pt_shm_zone_lock(lcc->zone) == PT_OK) {
        limit_conn_put(lcc->zone, &lcc->key, lcc->slot);
        pt_shm_zone_unlock(lcc->zone);
    }
}


/* A refused request gives back the units it took for earlier limits. */
static void
limit_conn_cleanup_all(pt_pool_t *pool)
{
    for (pt_pool_cleanup_t *cln = pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == limit_conn_cleanup) {
            limit_conn_cleanup(cln->data);
            cln->handler = NULL;
        }
    }
}


/*
 * Takes one unit of key in limit's zone.  PT_OK (a cleanup gives it back),
 * PT_BUSY when the limit is reached, PT_ERROR when the zone is full or
 * locking or memory failed.
 */
static int
limit_conn_get(pt_http_request_t *r, const limit_conn_limit_t *limit,
    const pt_str_t *key)
{
    limit_conn_zone_conf_t  *ctx = limit->zone->data;
    pt_pool_cleanup_t       *cln = pt_pool_cleanup_add(r->pool,
                                                sizeof(limit_conn_cleanup_t));
    uint32_t                 hash = pt_shm_store_hash(key->data, key->len);
    limit_conn_node_t       *lc;
    pt_shm_store_t          *st;
    int                      slot;

    if (cln == NULL || pt_shm_zone_lock(limit->zone) != PT_OK) {
        return PT_ERROR;
    }

    st = limit_conn_store(limit->zone);
    slot = st ? limit_conn_slot(ctx, limit_conn_root(limit->zone)) : -1;
    lc = st ? pt_shm_store_find(pt_shm_slab(limit->zone), st, key->data,
                                key->len, hash)
            : NULL;

    if (lc == NULL && st) {
        lc = pt_shm_store_insert(pt_shm_slab(limit->zone), st, key->data,
                                 key->len, hash);
        if (lc == NULL) {
            pt_shm_zone_unlock(limit->zone);
            pt_log_error(PT_LOG_ERR, r->connection->log, 0, "could not "
                         "allocate node in limit_conn zone \"%.*s\"",
                         PT_STR_ARG(limit->zone->name));
            return PT_ERROR;
        }

    } else if (lc && lc->conn >= limit->conn) {
        pt_shm_zone_unlock(limit->zone);
        return PT_BUSY;
    }

    if (lc == NULL) {
        pt_shm_zone_unlock(limit->zone);
        return PT_ERROR;
    }

    lc->conn++;
    if (slot >= 0) {
        lc->slot[slot]++;
    }

    pt_shm_zone_unlock(limit->zone);

    limit_conn_cleanup_t  *lcc = cln->data;

    lcc->zone = limit->zone;
    lcc->key = *key;
    lcc->slot = slot;
    cln->handler = limit_conn_cleanup;
    return PT_OK;
}


static int
limit_conn_handler(pt_http_request_t *r)
{
    limit_conn_loc_conf_t  *lccf = pt_http_get_module_loc_conf(r,
                                                   pt_http_limit_conn_module);
    limit_conn_limit_t     *limits;
    pt_str_t                key;
    int                     rc;

    if (r->limit_conn_status || lccf->limits == NULL) {
        return PT_DECLINED;
    }

    limits = lccf->limits->elts;

    for (size_t i = 0; i < lccf->limits->nelts; i++) {
        limit_conn_zone_conf_t  *ctx = limits[i].zone->data;

        if (pt_http_complex_value(r, &ctx->key, &key) != PT_OK) {
            limit_conn_cleanup_all(r->pool);
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (key.len == 0) {
            continue;
        }

        if (key.len > 255) {
            pt_log_error(PT_LOG_ERR, r->connection->log, 0, "the value of "
                         "the \"%.*s\" key is more than 255 bytes: \"%.*s\"",
                         PT_STR_ARG(ctx->key.value), PT_STR_ARG(key));
            continue;
        }

        r->limit_conn_status = LIMIT_CONN_PASSED;

        rc = limit_conn_get(r, &limits[i], &key);
        if (rc == PT_OK) {
            continue;
        }

        if (rc == PT_BUSY) {
            pt_log_error((unsigned) lccf->log_level, r->connection->log, 0,
                         "limiting connections%s by zone \"%.*s\"",
                         lccf->dry_run ? ", dry run," : "",
                         PT_STR_ARG(limits[i].zone->name));
        }

        limit_conn_cleanup_all(r->pool);

        if (lccf->dry_run) {
            r->limit_conn_status = LIMIT_CONN_REJECTED_DRY_RUN;
            return PT_DECLINED;
        }

        r->limit_conn_status = LIMIT_CONN_REJECTED;
        return lccf->status;
    }

    return PT_DECLINED;
}


static int
limit_conn_zone(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    limit_conn_zone_conf_t  *ctx = pt_pcalloc(cf->pool, sizeof(*ctx));
    pt_str_t                *v = &pt_conf_arg(cf, 2);
    pt_str_t                 name;
    size_t                   size;

    if (ctx == NULL
        || pt_http_compile_complex_value(cf, &pt_conf_arg(cf, 1), &ctx->key))
    {
        return PT_ERROR;
    }

    if (v->len <= 5 || memcmp(v->data, "zone=", 5) != 0) {
        return pt_conf_error(cf, "invalid parameter \"%.*s\"", PT_STR_ARG(*v));
    }

    if (pt_shm_zone_parse_arg(cf, v, 5, &name, &size) != PT_OK) {
        return PT_ERROR;
    }

    ctx->slot = -1;
    ctx->zone = pt_shm_zone_add(cf, &name, size, LIMIT_CONN_TAG,
                                limit_conn_init_zone);
    if (ctx->zone == NULL) {
        return PT_ERROR;
    }

    if (ctx->zone->data) {
        limit_conn_zone_conf_t  *old = ctx->zone->data;

        return pt_conf_error(cf, "limit_conn_zone \"%.*s\" is already bound "
                             "to key \"%.*s\"", PT_STR_ARG(name),
                             PT_STR_ARG(old->key.value));
    }

    ctx->zone->data = ctx;
    ctx->zone->exited = limit_conn_exited;
    ctx->zone->repair = limit_conn_repair;
    return PT_OK;
}


static int
limit_conn(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    limit_conn_loc_conf_t  *lccf = conf;
    pt_str_t               *num = &pt_conf_arg(cf, 2);
    limit_conn_limit_t     *l;
    pt_shm_zone_t          *zone;
    int64_t                 n;

    zone = pt_shm_zone_add(cf, &pt_conf_arg(cf, 1), 0, LIMIT_CONN_TAG, NULL);
    if (zone == NULL) {
        return PT_ERROR;
    }

    if (lccf->limits == NULL) {
        lccf->limits = pt_array_create(cf->pool, 2, sizeof(limit_conn_limit_t));
        if (lccf->limits == NULL) {
            return PT_ERROR;
        }
    }

    l = lccf->limits->elts;
    for (size_t i = 0; i < lccf->limits->nelts; i++) {
        if (l[i].zone == zone) {
            return pt_conf_error(cf, "\"limit_conn\" directive is duplicate");
        }
    }

    n = pt_atoi(num->data, num->len, INT32_MAX);
    if (n <= 0) {
        return pt_conf_error(cf, "invalid number of connections \"%.*s\"",
                             PT_STR_ARG(*num));
    }

    if (n > 65535) {
        return pt_conf_error(cf, "connection limit must be less 65536");
    }

    l = pt_array_push(lccf->limits);
    if (l == NULL) {
        return PT_ERROR;
    }

    l->zone = zone;
    l->conn = (uint32_t) n;
    return PT_OK;
}


static int
limit_conn_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf)
{
    limit_conn_loc_conf_t  *parent = prev, *child = conf;

    if (parent && child->limits == NULL) {
        child->limits = parent->limits;
    }

    return PT_OK;
}


static int
limit_conn_status_variable(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    static pt_str_t  names[] = {
        pt_string("PASSED"), pt_string("REJECTED"),
        pt_string("REJECTED_DRY_RUN")
    };

    if (r->limit_conn_status == 0) {
        v->not_found = 1;
        return PT_OK;
    }

    v->valid = 1;
    v->len = (unsigned) names[r->limit_conn_status - 1].len;
    v->data = names[r->limit_conn_status - 1].data;
    return PT_OK;
}


static int
limit_conn_preconfiguration(pt_conf_t *cf)
{
    pt_str_t             name = pt_string("limit_conn_status");
    pt_http_variable_t  *v = pt_http_add_variable(cf, &name, 0);

    if (v == NULL) {
        return PT_ERROR;
    }

    v->get = limit_conn_status_variable;
    return PT_OK;
}


static int
limit_conn_init(pt_conf_t *cf)
{
    return pt_http_phase_add(cf, PT_HTTP_PREACCESS_PHASE, limit_conn_handler);
}
