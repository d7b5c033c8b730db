/* SPDX-License-Identifier: BSD-2-Clause */
/* limit_req: nginx's leaky bucket per key, shared by all workers in a zone. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

/*
 * Directives:
 *
 *   limit_req_zone key zone=name:size rate=rate;     context: http
 *   limit_req zone=name [burst=N] [nodelay | delay=N];
 *                                         context: http, server, location
 *   limit_req_status code;      default 503
 *   limit_req_log_level info | notice | warn | error;    default error
 *   limit_req_dry_run on | off; default off
 *
 * Each key's state is (last, excess): excess, in thousandths of a request,
 * drains at `rate` and grows by one request per request.  As in nginx:
 * excess = max(0, excess - rate * elapsed_ms / 1000 + 1000); over `burst`
 * the request is rejected, over `delay` it waits (on a timer, the worker
 * going on) until the part above `delay` has drained.  With several
 * limits, each is looked up (and held: count) in turn and the state is
 * committed only once all passed, so a request rejected by one limit
 * does not count against the others.  An empty key is not limited.
 */

#define LIMIT_REQ_TAG  PT_SHM_TAG('l', 'r', 'e', 'q')
#define LIMIT_REQ_NODELAY  (INT64_MAX / 1000)

typedef enum {
    LIMIT_REQ_PASSED = 1,
    LIMIT_REQ_DELAYED,
    LIMIT_REQ_REJECTED,
    LIMIT_REQ_DELAYED_DRY_RUN,
    LIMIT_REQ_REJECTED_DRY_RUN
} limit_req_status_e;

/* The value kept per key in the zone's store. */
typedef struct {
    uint64_t   last;        /* pt_current_msec of the last accounted request */
    int64_t    excess;      /* thousandths of a request */
    uint32_t   count;       /* requests between lookup and account */
    uint32_t   pad;
} limit_req_node_t;

typedef struct {
    pt_http_complex_value_t   key;
    int64_t                   rate;        /* thousandths of a request / s */
    pt_shm_zone_t            *zone;
} limit_req_zone_conf_t;

typedef struct {
    pt_shm_zone_t  *zone;
    int64_t         burst;     /* thousandths */
    int64_t         delay;     /* thousandths */
} limit_req_limit_t;

typedef struct {
    pt_array_t  *limits;       /* limit_req_limit_t; NULL: none here */
    int          status;
    int          log_level;
    int          dry_run;
} limit_req_loc_conf_t;

/* What expiry may delete (pt_shm_store_evict's callback data). */
typedef struct {
    int64_t    rate;
    pt_msec_t  now;
    size_t     forced;         /* entries to delete even if not drained */
} limit_req_expire_t;


static int limit_req_zone(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int limit_req(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int limit_req_preconfiguration(pt_conf_t *cf);
static int limit_req_init(pt_conf_t *cf);
static int limit_req_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);

#define LIMIT_REQ_CTX  (PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC)

static const pt_command_t  limit_req_commands[] = {
    { .name = "limit_req_zone", .ctx = PT_HTTP_MAIN, .args = PT_CONF_TAKE3,
      .set = limit_req_zone },
    { .name = "limit_req", .ctx = LIMIT_REQ_CTX, .args = PT_CONF_TAKE123,
      .set = limit_req },
    { .name = "limit_req_status", .ctx = LIMIT_REQ_CTX, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_num, .field = PT_LOC_FIELD(limit_req_loc_conf_t, status),
      .def.i = PT_HTTP_SERVICE_UNAVAILABLE, .min = 400, .max = 599 },
    { .name = "limit_req_log_level", .ctx = LIMIT_REQ_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_enum,
      .field = PT_LOC_FIELD(limit_req_loc_conf_t, log_level),
      .def.i = PT_LOG_ERR, .values = pt_conf_limit_log_levels },
    { .name = "limit_req_dry_run", .ctx = LIMIT_REQ_CTX, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(limit_req_loc_conf_t, dry_run), .def.flag = 0 },
    PT_COMMAND_END
};

static const pt_http_module_t  limit_req_module_ctx = {
    .preconfiguration = limit_req_preconfiguration,
    .postconfiguration = limit_req_init,
    .loc_conf_size = sizeof(limit_req_loc_conf_t),
    .merge_loc_conf = limit_req_merge_loc_conf,
};

pt_module_t  pt_http_limit_req_module = {
    .name = "pt_http_limit_req_module",
    .type = PT_HTTP_MODULE,
    .commands = limit_req_commands,
    .ctx = &limit_req_module_ctx,
};


/* The zone's store; the lock is held.  NULL only if a reset failed. */
static pt_shm_store_t *
limit_req_store(pt_shm_zone_t *zone)
{
    return pt_shm_ptr(zone, pt_shm_header(zone)->root);
}


static int
limit_req_create_store(pt_shm_zone_t *zone)
{
    pt_shm_store_t  *st = pt_shm_store_create(pt_shm_slab(zone),
                                              sizeof(limit_req_node_t),
                                              zone->size);

    if (st == NULL) {
        return PT_ERROR;
    }

    pt_shm_header(zone)->root = pt_shm_off(zone, st);
    return PT_OK;
}


static int
limit_req_init_zone(pt_shm_zone_t *zone, bool adopted)
{
    if (adopted && limit_req_store(zone) != NULL) {
        return PT_OK;       /* the counters go on across the reload */
    }

    if (limit_req_create_store(zone) != PT_OK) {
        pt_log_error(PT_LOG_EMERG, zone->log, 0, "zone \"%.*s\" is too small",
                     PT_STR_ARG(zone->name));
        return PT_ERROR;
    }

    return PT_OK;
}


/* After a crash inside the zone: drop the state rather than trust it. */
static void
limit_req_repair(pt_shm_zone_t *zone)
{
    pt_shm_store_t  *st = limit_req_store(zone);

    if (st == NULL || st->busy) {
        pt_shm_zone_reset(zone);
        (void) limit_req_create_store(zone);
    }
}


/* Excess after the time since node->last; ms is clamped as nginx does. */
static int64_t
limit_req_drain(const limit_req_node_t *lr, int64_t rate, pt_msec_t now,
    int64_t *ms_out)
{
    int64_t  ms = (int64_t) (now - lr->last);

    if (ms < -60000) {
        ms = 1;
    } else if (ms < 0) {
        ms = 0;
    }

    *ms_out = ms;

    int64_t  excess = lr->excess - rate * ms / 1000 + 1000;

    return excess < 0 ? 0 : excess;
}


static bool
limit_req_expirable(void *value, void *data)
{
    limit_req_node_t    *lr = value;
    limit_req_expire_t  *ex = data;

    if (lr->count) {
        return false;       /* held by a request between lookup and account */
    }

    if (ex->forced) {
        ex->forced--;
        return true;
    }

    int64_t  ms = (int64_t) (ex->now - lr->last);

    ms = ms < 0 ? -ms : ms;
    return ms >= 60000 && lr->excess - ex->rate * ms / 1000 <= 0;
}


/* A new node for key: expire idle ones first, evict by force if full. */
static limit_req_node_t *
limit_req_new_node(limit_req_zone_conf_t *ctx, pt_shm_store_t *st,
    const pt_str_t *key, uint32_t hash, pt_log_t *log)
{
    pt_slab_pool_t      *sp = pt_shm_slab(ctx->zone);
    limit_req_expire_t   ex = { ctx->rate, pt_current_msec, 0 };
    limit_req_node_t    *lr;

    (void) pt_shm_store_evict(sp, st, 2, limit_req_expirable, &ex);

    lr = pt_shm_store_insert(sp, st, key->data, key->len, hash);
    if (lr == NULL) {
        pt_shm_zone_warn_full(ctx->zone, log);
        ex.forced = 1;
        (void) pt_shm_store_evict(sp, st, 3, limit_req_expirable, &ex);
        lr = pt_shm_store_insert(sp, st, key->data, key->len, hash);
    }

    if (lr == NULL) {
        pt_log_error(PT_LOG_ALERT, log, 0, "could not allocate node in "
                     "limit_req zone \"%.*s\"", PT_STR_ARG(ctx->zone->name));
    }

    return lr;
}


/*
 * One limit's verdict for key, the lock held: PT_BUSY (over burst),
 * PT_AGAIN (fine so far, node held in *held for limit_req_account),
 * PT_OK (the last limit: accounted at once), PT_ERROR.  *ep is the excess.
 */
static int
limit_req_lookup(const limit_req_limit_t *limit, const pt_str_t *key,
    int64_t *ep, bool account, limit_req_node_t **held, pt_log_t *log)
{
    limit_req_zone_conf_t  *ctx = limit->zone->data;
    pt_shm_store_t         *st = limit_req_store(limit->zone);
    uint32_t                hash = pt_shm_store_hash(key->data, key->len);
    limit_req_node_t       *lr;
    int64_t                 ms;

    if (st == NULL) {
        return PT_ERROR;
    }

    lr = pt_shm_store_find(pt_shm_slab(limit->zone), st, key->data, key->len,
                           hash);

    if (lr) {
        int64_t  excess = limit_req_drain(lr, ctx->rate, pt_current_msec, &ms);

        *ep = excess;

        if (excess > limit->burst) {
            return PT_BUSY;
        }

        if (account) {
            lr->excess = excess;
            if (ms) {
                lr->last = pt_current_msec;
            }
            return PT_OK;
        }

        lr->count++;
        *held = lr;
        return PT_AGAIN;
    }

    *ep = 0;

    lr = limit_req_new_node(ctx, st, key, hash, log);
    if (lr == NULL) {
        return PT_ERROR;
    }

    lr->excess = 0;

    if (account) {
        lr->last = pt_current_msec;
        return PT_OK;
    }

    /*
     * As nginx: "long ago", so that accounting this first request drains
     * to zero instead of counting it twice.
     */
    lr->last = 0;
    lr->count = 1;
    *held = lr;
    return PT_AGAIN;
}


/*
 * Commits the held nodes of limits[0..n) and returns the longest delay
 * any of them asks (ms); *ep and *limit name the one that asked it.
 */
static pt_msec_t
limit_req_account(limit_req_limit_t *limits, limit_req_node_t **held,
    size_t n, int64_t *ep, limit_req_limit_t **limit)
{
    limit_req_zone_conf_t  *ctx;
    int64_t                 excess = *ep, ms, delay, max_delay = 0;

    if (excess > (*limit)->delay) {
        ctx = (*limit)->zone->data;
        max_delay = (excess - (*limit)->delay) * 1000 / ctx->rate;
    }

    while (n--) {
        limit_req_node_t  *lr = held[n];

        if (lr == NULL) {
            continue;
        }

        ctx = limits[n].zone->data;

        if (pt_shm_zone_lock(ctx->zone) != PT_OK) {
            continue;
        }

        excess = limit_req_drain(lr, ctx->rate, pt_current_msec, &ms);
        if (ms) {
            lr->last = pt_current_msec;
        }
        lr->excess = excess;
        lr->count--;

        pt_shm_zone_unlock(ctx->zone);
        held[n] = NULL;

        if (excess <= limits[n].delay) {
            continue;
        }

        delay = (excess - limits[n].delay) * 1000 / ctx->rate;

        if (delay > max_delay) {
            max_delay = delay;
            *ep = excess;
            *limit = &limits[n];
        }
    }

    return (pt_msec_t) max_delay;
}


/* A rejected request releases the nodes it held without accounting. */
static void
limit_req_release(limit_req_limit_t *limits, limit_req_node_t **held, size_t n)
{
    while (n--) {
        if (held[n] && pt_shm_zone_lock(limits[n].zone) == PT_OK) {
            held[n]->count--;
            pt_shm_zone_unlock(limits[n].zone);
        }
        held[n] = NULL;
    }
}


/* The write event during a delay: only the timer ends it. */
static void
limit_req_delay(pt_http_request_t *r)
{
    pt_event_t  *wev = r->connection->write;

    if (!wev->timedout) {
        return;         /* the socket became writable: keep waiting */
    }

    wev->timedout = 0;
    wev->delayed = 0;
    r->write_event_handler = pt_http_core_run_phases;
    pt_http_core_run_phases(r);
}


/* Looks up every limit in turn; returns the rc of the last one looked at. */
static int
limit_req_check(pt_http_request_t *r, limit_req_limit_t *limits,
    limit_req_node_t **held, size_t *np, int64_t *ep)
{
    limit_req_loc_conf_t  *lrcf = pt_http_get_module_loc_conf(r,
                                                    pt_http_limit_req_module);
    size_t                 n, nelts = lrcf->limits->nelts;
    int                    rc = PT_DECLINED;
    pt_str_t               key;

    for (n = 0; n < nelts; n++) {
        limit_req_zone_conf_t  *ctx = limits[n].zone->data;

        if (pt_http_complex_value(r, &ctx->key, &key) != PT_OK) {
            limit_req_release(limits, held, n);
            *np = n;
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (key.len == 0) {
            continue;
        }

        if (key.len > 65535) {
            pt_log_error(PT_LOG_ERR, r->connection->log, 0, "the value of "
                         "the \"%.*s\" key is more than 65535 bytes: "
                         "\"%.*s\"", PT_STR_ARG(ctx->key.value),
                         PT_STR_ARG(key));
            continue;
        }

        if (pt_shm_zone_lock(limits[n].zone) != PT_OK) {
            rc = PT_ERROR;
            break;
        }

        rc = limit_req_lookup(&limits[n], &key, ep, n == nelts - 1,
                              &held[n], r->connection->log);

        pt_shm_zone_unlock(limits[n].zone);

        if (rc != PT_AGAIN) {
            break;
        }
    }

    *np = n;
    return rc;
}


static int
limit_req_reject(pt_http_request_t *r, limit_req_loc_conf_t *lrcf,
    limit_req_limit_t *limit, int rc, int64_t excess)
{
    if (rc == PT_BUSY) {
        pt_log_error((unsigned) lrcf->log_level, r->connection->log, 0,
                     "limiting requests%s, excess: %u.%03u by zone \"%.*s\"",
                     lrcf->dry_run ? ", dry run" : "",
                     (unsigned) (excess / 1000), (unsigned) (excess % 1000),
                     PT_STR_ARG(limit->zone->name));
    }

    if (lrcf->dry_run) {
        r->limit_req_status = LIMIT_REQ_REJECTED_DRY_RUN;
        return PT_DECLINED;
    }

    r->limit_req_status = LIMIT_REQ_REJECTED;
    return lrcf->status;
}


static int
limit_req_handler(pt_http_request_t *r)
{
    limit_req_loc_conf_t  *lrcf = pt_http_get_module_loc_conf(r,
                                                    pt_http_limit_req_module);
    limit_req_limit_t     *limits, *limit;
    limit_req_node_t     **held;
    int64_t                excess = 0;
    size_t                 n;
    int                    rc;

    if (r->limit_req_status || lrcf->limits == NULL) {
        return PT_DECLINED;
    }

    limits = lrcf->limits->elts;
    held = pt_pcalloc(r->pool, lrcf->limits->nelts * sizeof(void *));
    if (held == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = limit_req_check(r, limits, held, &n, &excess);

    if (rc == PT_DECLINED || rc == PT_HTTP_INTERNAL_SERVER_ERROR) {
        return rc;
    }

    limit = &limits[pt_min(n, lrcf->limits->nelts - 1)];

    if (rc == PT_BUSY || rc == PT_ERROR) {
        limit_req_release(limits, held, n);
        return limit_req_reject(r, lrcf, limit, rc, excess);
    }

    if (rc == PT_AGAIN) {
        excess = 0;
    }

    pt_msec_t  delay = limit_req_account(limits, held, n, &excess, &limit);

    if (delay == 0) {
        r->limit_req_status = LIMIT_REQ_PASSED;
        return PT_DECLINED;
    }

    unsigned  level = lrcf->log_level == PT_LOG_INFO ? PT_LOG_INFO
                                                     : (unsigned) lrcf->log_level + 1;

    pt_log_error(level, r->connection->log, 0, "delaying request%s, excess: "
                 "%u.%03u, by zone \"%.*s\"", lrcf->dry_run ? ", dry run" : "",
                 (unsigned) (excess / 1000), (unsigned) (excess % 1000),
                 PT_STR_ARG(limit->zone->name));

    if (lrcf->dry_run) {
        r->limit_req_status = LIMIT_REQ_DELAYED_DRY_RUN;
        return PT_DECLINED;
    }

    r->limit_req_status = LIMIT_REQ_DELAYED;
    r->write_event_handler = limit_req_delay;
    r->connection->write->delayed = 1;
    pt_add_timer(r->connection->write, delay);

    return PT_AGAIN;
}


/* "rate=10r/s" or "rate=30r/m" into thousandths of a request per second. */
static int64_t
limit_req_parse_rate(const pt_str_t *v)
{
    size_t   len = v->len;
    int64_t  scale = 1, rate;

    if (len < 5 + 3) {
        return -1;
    }

    if (memcmp(v->data + len - 3, "r/s", 3) == 0) {
        scale = 1;
    } else if (memcmp(v->data + len - 3, "r/m", 3) == 0) {
        scale = 60;
    } else {
        return -1;
    }

    rate = pt_atoi(v->data + 5, len - 5 - 3, INT32_MAX);
    return rate <= 0 ? -1 : rate * 1000 / scale;
}


static int
limit_req_zone(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    limit_req_zone_conf_t  *ctx = pt_pcalloc(cf->pool, sizeof(*ctx));
    pt_str_t                name = { 0, NULL };
    size_t                  size = 0;
    int64_t                 rate = -2;

    if (ctx == NULL
        || pt_http_compile_complex_value(cf, &pt_conf_arg(cf, 1), &ctx->key))
    {
        return PT_ERROR;
    }

    for (size_t i = 2; i < pt_conf_nargs(cf); i++) {
        pt_str_t  *v = &pt_conf_arg(cf, i);

        if (v->len > 5 && memcmp(v->data, "zone=", 5) == 0) {
            if (pt_shm_zone_parse_arg(cf, v, 5, &name, &size) != PT_OK) {
                return PT_ERROR;
            }

        } else if (v->len > 5 && memcmp(v->data, "rate=", 5) == 0) {
            rate = limit_req_parse_rate(v);
            if (rate <= 0) {
                return pt_conf_error(cf, "invalid rate \"%.*s\"",
                                     PT_STR_ARG(*v));
            }

        } else {
            return pt_conf_error(cf, "invalid parameter \"%.*s\"",
                                 PT_STR_ARG(*v));
        }
    }

    if (name.len == 0) {
        return pt_conf_error(cf, "\"limit_req_zone\" must have \"zone\" "
                             "parameter");
    }

    if (rate < 0) {
        return pt_conf_error(cf, "\"limit_req_zone\" must have \"rate\" "
                             "parameter");
    }

    ctx->rate = rate;
    ctx->zone = pt_shm_zone_add(cf, &name, size, LIMIT_REQ_TAG,
                                limit_req_init_zone);
    if (ctx->zone == NULL) {
        return PT_ERROR;
    }

    if (ctx->zone->data) {
        limit_req_zone_conf_t  *old = ctx->zone->data;

        return pt_conf_error(cf, "limit_req_zone \"%.*s\" is already bound "
                             "to key \"%.*s\"", PT_STR_ARG(name),
                             PT_STR_ARG(old->key.value));
    }

    ctx->zone->data = ctx;
    ctx->zone->repair = limit_req_repair;
    return PT_OK;
}


/* "burst=N" / "delay=N": N in thousandths; -1 when invalid. */
static int64_t
limit_req_parse_count(const pt_str_t *v)
{
    int64_t  n = pt_atoi(v->data + 6, v->len - 6, INT32_MAX);

    return n < 0 ? -1 : n * 1000;
}


static int
limit_req_add(pt_conf_t *cf, limit_req_loc_conf_t *lrcf,
    const limit_req_limit_t *add)
{
    limit_req_limit_t  *l;

    if (lrcf->limits == NULL) {
        lrcf->limits = pt_array_create(cf->pool, 2, sizeof(limit_req_limit_t));
        if (lrcf->limits == NULL) {
            return PT_ERROR;
        }
    }

    l = lrcf->limits->elts;
    for (size_t i = 0; i < lrcf->limits->nelts; i++) {
        if (l[i].zone == add->zone) {
            return pt_conf_error(cf, "\"limit_req\" directive is duplicate");
        }
    }

    l = pt_array_push(lrcf->limits);
    if (l == NULL) {
        return PT_ERROR;
    }

    *l = *add;
    return PT_OK;
}


static int
limit_req(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    limit_req_limit_t  limit = { .burst = 0, .delay = 0 };
    bool               nodelay = false;
    pt_str_t           name = { 0, NULL };

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        pt_str_t  *v = &pt_conf_arg(cf, i);

        if (v->len > 5 && memcmp(v->data, "zone=", 5) == 0) {
            name = (pt_str_t) { v->len - 5, v->data + 5 };

        } else if (v->len > 6 && memcmp(v->data, "burst=", 6) == 0) {
            limit.burst = limit_req_parse_count(v);
            if (limit.burst < 0) {
                return pt_conf_error(cf, "invalid burst value \"%.*s\"",
                                     PT_STR_ARG(*v));
            }

        } else if (v->len > 6 && memcmp(v->data, "delay=", 6) == 0) {
            limit.delay = limit_req_parse_count(v);
            if (limit.delay < 0) {
                return pt_conf_error(cf, "invalid delay value \"%.*s\"",
                                     PT_STR_ARG(*v));
            }

        } else if (pt_str_eq(v, &(pt_str_t) pt_string("nodelay"))) {
            nodelay = true;

        } else {
            return pt_conf_error(cf, "invalid parameter \"%.*s\"",
                                 PT_STR_ARG(*v));
        }
    }

    if (name.len == 0) {
        return pt_conf_error(cf, "\"limit_req\" must have \"zone\" "
                             "parameter");
    }

    if (nodelay) {
        limit.delay = LIMIT_REQ_NODELAY;
    }

    limit.zone = pt_shm_zone_add(cf, &name, 0, LIMIT_REQ_TAG, NULL);
    if (limit.zone == NULL) {
        return PT_ERROR;
    }

    return limit_req_add(cf, conf, &limit);
}


static int
limit_req_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf)
{
    limit_req_loc_conf_t  *parent = prev, *child = conf;

    if (parent && child->limits == NULL) {
        child->limits = parent->limits;
    }

    return PT_OK;
}


static int
limit_req_status_variable(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    static pt_str_t  names[] = {
        pt_string("PASSED"), pt_string("DELAYED"), pt_string("REJECTED"),
        pt_string("DELAYED_DRY_RUN"), pt_string("REJECTED_DRY_RUN")
    };

    if (r->limit_req_status == 0) {
        v->not_found = 1;
        return PT_OK;
    }

    v->valid = 1;
    v->len = (unsigned) names[r->limit_req_status - 1].len;
    v->data = names[r->limit_req_status - 1].data;
    return PT_OK;
}


static int
limit_req_preconfiguration(pt_conf_t *cf)
{
    pt_str_t             name = pt_string("limit_req_status");
    pt_http_variable_t  *v = pt_http_add_variable(cf, &name, 0);

    if (v == NULL) {
        return PT_ERROR;
    }

    v->get = limit_req_status_variable;
    return PT_OK;
}


static int
limit_req_init(pt_conf_t *cf)
{
    return pt_http_phase_add(cf, PT_HTTP_PREACCESS_PHASE, limit_req_handler);
}
