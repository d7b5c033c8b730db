/* SPDX-License-Identifier: BSD-2-Clause */
/* health_check in upstream { }: active probes by worker 0, shared via the zone. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_proxy.h"
#include "pt_http_upstream.h"

/*
 * One process probes (worker 0, or the single process), so a peer sees
 * one probe per interval whatever worker_processes says.  Its verdict is
 * the peer's checked_down flag in the upstream's zone, which every
 * worker's balancer reads; that is why a zone is required.  A probe is
 * an HTTP/1.0 GET on a fresh connection; only the status line matters.
 * The counts of probes in a row live in the probing worker alone: after
 * a reload the new worker 0 starts counting afresh from the carried flag.
 */

#define HEALTH_MAX_RANGES  8

typedef struct {
    unsigned   lo;
    unsigned   hi;
} health_range_t;

typedef struct {
    pt_http_upstream_srv_conf_t  *us;
    proxy_loc_conf_t             *plcf;       /* in a location: its proxy */
    pt_str_t                      file_name;  /* where it was written */
    unsigned                      line;
    pt_msec_t                     interval;   /* between probes */
    pt_msec_t                     timeout;    /* 0: the interval */
    int                           fails;      /* in a row to take out */
    int                           passes;     /* in a row to bring back */
    pt_str_t                      uri;
    pt_str_t                      request;    /* the probe's bytes */
    health_range_t                ranges[HEALTH_MAX_RANGES];
    size_t                        nranges;
} health_conf_t;

typedef struct {
    pt_array_t   checks;                      /* health_conf_t */
} health_main_conf_t;

typedef struct {
    health_conf_t            *hc;
    pt_http_upstream_peer_t  *peer;
    pt_event_t                timer;          /* next probe, or its timeout */
    pt_connection_t          *pc;             /* the probe in flight */
    pt_msec_t                 started;
    size_t                    sent;
    u_char                    buf[32];        /* the status line's start */
    size_t                    got;
    int                       nfails;         /* bad probes in a row */
    int                       npasses;        /* good probes in a row */
} health_probe_t;

static int health_check(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int health_preconfiguration(pt_conf_t *cf);
static int health_init_main_conf(pt_conf_t *cf, void *conf);
static int health_init_process(pt_cycle_t *cycle);
static void health_exit_process(pt_cycle_t *cycle);
static void health_start(health_probe_t *hp);

static const pt_command_t  health_commands[] = {
    { .name = "health_check", .ctx = PT_HTTP_UPS | PT_HTTP_LOC,
      .args = PT_CONF_ANY, .set = health_check },
    PT_COMMAND_END
};

static const pt_http_module_t  health_module_ctx = {
    .preconfiguration = health_preconfiguration,
    .main_conf_size = sizeof(health_main_conf_t),
    .init_main_conf = health_init_main_conf,
};

pt_module_t  pt_http_upstream_health_module = {
    .name = "pt_http_upstream_health_module",
    .type = PT_HTTP_MODULE,
    .commands = health_commands,
    .ctx = &health_module_ctx,
    .init_process = health_init_process,
    .exit_process = health_exit_process,
};

/* The probes of this worker (worker 0 only), malloc'ed at its start. */
static health_probe_t  *health_probes;
static size_t           health_nprobes;


/* Configuration. */

static int
health_preconfiguration(pt_conf_t *cf)
{
    health_main_conf_t  *hmcf = pt_http_conf_get_module_main_conf(cf,
                                    pt_http_upstream_health_module);

    return pt_array_init(&hmcf->checks, cf->pool, 2, sizeof(health_conf_t));
}


/* "200", "200-399" or a comma-separated list of them. */
static int
health_parse_status(health_conf_t *hc, const pt_str_t *v)
{
    const u_char  *p = v->data, *end = v->data + v->len;

    hc->nranges = 0;

    while (p < end) {
        const u_char  *comma = memchr(p, ',', (size_t) (end - p));
        const u_char  *stop = comma ? comma : end;
        const u_char  *dash = memchr(p, '-', (size_t) (stop - p));
        int64_t        lo, hi;

        lo = pt_atoi(p, (size_t) ((dash ? dash : stop) - p), 999);
        hi = dash ? pt_atoi(dash + 1, (size_t) (stop - dash - 1), 999) : lo;

        if (lo < 100 || hi < lo || hc->nranges == HEALTH_MAX_RANGES) {
            return PT_ERROR;
        }

        hc->ranges[hc->nranges++] = (health_range_t) { (unsigned) lo,
                                                       (unsigned) hi };
        p = comma ? comma + 1 : end;
    }

    return hc->nranges ? PT_OK : PT_ERROR;
}


static int
health_count(const pt_str_t *arg, int *to)
{
    int64_t  n = pt_atoi(arg->data, arg->len, 1000);

    if (n <= 0) {
        return PT_ERROR;
    }

    *to = (int) n;
    return PT_OK;
}


static int
health_time(const pt_str_t *arg, pt_msec_t *to)
{
    int64_t  t = pt_parse_time(arg, false);

    if (t <= 0) {
        return PT_ERROR;
    }

    *to = (pt_msec_t) t;
    return PT_OK;
}


/* One key=value parameter of health_check. */
static int
health_param(health_conf_t *hc, const pt_str_t *v)
{
    const u_char  *eq = memchr(v->data, '=', v->len);
    pt_str_t       key, arg;

    if (eq == NULL) {
        return PT_ERROR;
    }

    key = (pt_str_t) { (size_t) (eq - v->data), v->data };
    arg = (pt_str_t) { v->len - key.len - 1, (u_char *) eq + 1 };

    if (pt_str_caseeq_lit(&key, "interval")) {
        return health_time(&arg, &hc->interval);
    }

    if (pt_str_caseeq_lit(&key, "timeout")) {
        return health_time(&arg, &hc->timeout);
    }

    if (pt_str_caseeq_lit(&key, "fails")) {
        return health_count(&arg, &hc->fails);
    }

    if (pt_str_caseeq_lit(&key, "passes")) {
        return health_count(&arg, &hc->passes);
    }

    if (pt_str_caseeq_lit(&key, "uri")) {
        if (arg.len == 0 || arg.data[0] != '/'
            || memchr(arg.data, ' ', arg.len))
        {
            return PT_ERROR;
        }
        hc->uri = arg;
        return PT_OK;
    }

    if (pt_str_caseeq_lit(&key, "status") || pt_str_caseeq_lit(&key, "match")) {
        return health_parse_status(hc, &arg);
    }

    return PT_ERROR;
}


static int
health_check(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    health_main_conf_t           *hmcf = conf;
    bool                          in_ups = cf->ctx_type == PT_HTTP_UPS;
    pt_http_upstream_srv_conf_t  *us = in_ups ? cf->handler_data : NULL;
    proxy_loc_conf_t             *plcf = in_ups ? NULL
                                         : pt_http_conf_get_module_loc_conf(cf,
                                               pt_http_proxy_module);
    health_conf_t                *hc = hmcf->checks.elts;

    (void) cmd;

    for (size_t i = 0; i < hmcf->checks.nelts; i++) {
        if ((us && hc[i].us == us) || (plcf && hc[i].plcf == plcf)) {
            return pt_conf_error(cf, "\"health_check\" directive is "
                                 "duplicate");
        }
    }

    hc = pt_array_push(&hmcf->checks);
    if (hc == NULL) {
        return PT_ERROR;
    }

    /* In a location, the upstream is its proxy_pass's (known at the end). */
    *hc = (health_conf_t) { .us = us, .plcf = plcf,
                            .file_name = cf->file->name,
                            .line = cf->file->line,
                            .interval = 5000, .fails = 1,
                            .passes = 1, .uri = pt_string("/"),
                            .ranges = { { 200, 399 } }, .nranges = 1 };

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        if (health_param(hc, &pt_conf_arg(cf, i)) != PT_OK) {
            return pt_conf_error(cf, "invalid parameter \"%.*s\"",
                                 PT_STR_ARG(pt_conf_arg(cf, i)));
        }
    }

    return PT_OK;
}


/* Every check needs its upstream's zone (declared anywhere in the block). */
/* A check in a location probes the upstream { } its proxy_pass names. */
static int
health_resolve(pt_conf_t *cf, health_main_conf_t *hmcf, health_conf_t *hc)
{
    if (hc->us) {
        return PT_OK;
    }

    hc->us = hc->plcf->upstream;
    if (hc->us == NULL || hc->us->implicit) {
        pt_log_error(PT_LOG_EMERG, cf->log, 0, "health_check requires "
                     "proxy_pass to an upstream { } in %.*s:%u",
                     PT_STR_ARG(hc->file_name), hc->line);
        return PT_ERROR;
    }

    health_conf_t  *all = hmcf->checks.elts;

    for (health_conf_t *o = all; o < hc; o++) {
        if (o->us == hc->us) {
            pt_log_error(PT_LOG_EMERG, cf->log, 0, "upstream \"%.*s\" has "
                         "a health_check already, in %.*s:%u",
                         PT_STR_ARG(hc->us->name), PT_STR_ARG(hc->file_name),
                         hc->line);
            return PT_ERROR;
        }
    }

    return PT_OK;
}


static int
health_init_main_conf(pt_conf_t *cf, void *conf)
{
    health_main_conf_t  *hmcf = conf;
    health_conf_t       *hc = hmcf->checks.elts;

    for (size_t i = 0; i < hmcf->checks.nelts; i++) {
        if (health_resolve(cf, hmcf, &hc[i]) != PT_OK) {
            return PT_ERROR;
        }

        size_t   len = sizeof("GET  HTTP/1.0\r\nHost: \r\n"
                              "Connection: close\r\n\r\n") - 1
                       + hc[i].uri.len + hc[i].us->name.len;
        u_char  *p;

        if (hc[i].us->zone == NULL) {
            pt_log_error(PT_LOG_EMERG, cf->log, 0, "health_check requires "
                         "a zone in upstream \"%.*s\" in %.*s:%u",
                         PT_STR_ARG(hc[i].us->name),
                         PT_STR_ARG(hc[i].us->file_name), hc[i].us->line);
            return PT_ERROR;
        }

        p = pt_pnalloc(cf->pool, len + 1);
        if (p == NULL) {
            return PT_ERROR;
        }

        hc[i].request.data = p;
        hc[i].request.len = (size_t) (pt_snprintf(p, p + len + 1,
                                "GET %.*s HTTP/1.0\r\nHost: %.*s\r\n"
                                "Connection: close\r\n\r\n",
                                PT_STR_ARG(hc[i].uri),
                                PT_STR_ARG(hc[i].us->name)) - p);
    }

    return PT_OK;
}


/* Verdicts. */

static bool
health_status_ok(const health_conf_t *hc, unsigned status)
{
    for (size_t i = 0; i < hc->nranges; i++) {
        if (status >= hc->ranges[i].lo && status <= hc->ranges[i].hi) {
            return true;
        }
    }

    return false;
}


/* Records one probe's outcome and flips the shared flag when due. */
static void
health_verdict(health_probe_t *hp, bool ok, const char *why)
{
    pt_http_upstream_peer_t  *peer = hp->peer;
    int                      *flag = &peer->state->checked_down;
    bool                      down = __atomic_load_n(flag, __ATOMIC_RELAXED);

    if (ok) {
        hp->nfails = 0;
        if (down && ++hp->npasses >= hp->hc->passes) {
            __atomic_store_n(flag, 0, __ATOMIC_RELAXED);
            pt_log_error(PT_LOG_WARN, pt_cycle->log, 0, "upstream server "
                         "%.*s in upstream \"%.*s\" is up",
                         PT_STR_ARG(peer->name), PT_STR_ARG(hp->hc->us->name));
        }
        return;
    }

    hp->npasses = 0;
    pt_log_error(PT_LOG_INFO, pt_cycle->log, 0, "health check of upstream "
                 "server %.*s failed: %s", PT_STR_ARG(peer->name), why);

    if (!down && ++hp->nfails >= hp->hc->fails) {
        __atomic_store_n(flag, 1, __ATOMIC_RELAXED);
        pt_log_error(PT_LOG_WARN, pt_cycle->log, 0, "upstream server %.*s "
                     "in upstream \"%.*s\" is down by health check (%s)",
                     PT_STR_ARG(peer->name), PT_STR_ARG(hp->hc->us->name),
                     why);
    }
}


/* Closes the probe's connection and schedules the next probe. */
static void
health_done(health_probe_t *hp, bool ok, const char *why)
{
    pt_msec_t  spent = pt_current_msec - hp->started;

    if (hp->pc) {
        pt_http_upstream_close(hp->pc);
        hp->pc = NULL;
    }

    health_verdict(hp, ok, why);

    if (!pt_exiting) {
        pt_add_timer(&hp->timer, spent < hp->hc->interval
                                 ? hp->hc->interval - spent : 1);
    }
}


/* Parses "HTTP/1.x NNN" once enough of the status line has arrived. */
static void
health_parse(health_probe_t *hp)
{
    const u_char  *s = hp->buf;

    if (hp->got < 12) {
        return;
    }

    if (memcmp(s, "HTTP/1.", 7) != 0 || s[8] != ' '
        || !isdigit(s[9]) || !isdigit(s[10]) || !isdigit(s[11]))
    {
        health_done(hp, false, "invalid response");
        return;
    }

    unsigned  status = (unsigned) ((s[9] - '0') * 100 + (s[10] - '0') * 10
                                   + (s[11] - '0'));

    health_done(hp, health_status_ok(hp->hc, status),
                "unexpected status");
}


static void
health_read(pt_event_t *ev)
{
    pt_connection_t  *pc = ev->data;
    health_probe_t   *hp = pc->data;

    while (hp->pc && hp->got < sizeof(hp->buf)) {
        ssize_t  n = pc->recv(pc, hp->buf + hp->got,
                              sizeof(hp->buf) - hp->got);

        if (n == PT_AGAIN) {
            return;
        }

        if (n <= 0) {
            health_done(hp, false, n == 0 ? "connection closed"
                                          : "recv() failed");
            return;
        }

        hp->got += (size_t) n;
        health_parse(hp);
    }
}


static void
health_write(pt_event_t *ev)
{
    pt_connection_t  *pc = ev->data;
    health_probe_t   *hp = pc->data;
    const pt_str_t   *rq = &hp->hc->request;
    int               err = 0;
    socklen_t         len = sizeof(err);

    if (hp->sent == 0
        && (getsockopt(pc->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1
            || err))
    {
        health_done(hp, false, "connect() failed");
        return;
    }

    while (hp->sent < rq->len) {
        ssize_t  n = pc->send(pc, rq->data + hp->sent, rq->len - hp->sent);

        if (n == PT_AGAIN) {
            return;
        }

        if (n < 0) {
            health_done(hp, false, "send() failed");
            return;
        }

        hp->sent += (size_t) n;
    }
}


static pt_connection_t *
health_connection(health_probe_t *hp)
{
    pt_http_upstream_peer_t  *peer = hp->peer;
    int                       fd = socket(peer->sockaddr.ss_family, SOCK_STREAM
                                          | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    pt_connection_t          *pc;
    pt_pool_t                *pool;

    if (fd == -1) {
        pt_log_error(PT_LOG_ALERT, pt_cycle->log, errno, "socket() failed");
        return NULL;
    }

    pc = pt_get_connection(fd, pt_cycle->log);
    pool = pt_create_pool(256, pt_cycle->log);

    if (pc == NULL || pool == NULL) {
        if (pc) {
            pt_free_connection(pc);
        }
        pt_destroy_pool(pool);
        close(fd);
        return NULL;
    }

    pc->pool = pool;
    pc->log = pt_cycle->log;
    pc->read->log = pc->write->log = pc->log;
    pc->sockaddr = (struct sockaddr *) &peer->sockaddr;
    pc->socklen = peer->socklen;
    pc->recv = pt_unix_recv;
    pc->send = pt_unix_send;
    pc->number = ++pt_connection_counter;
    pc->data = hp;
    pc->read->handler = health_read;
    pc->write->handler = health_write;
    return pc;
}


/* Starts a probe; its timer is the timeout (by default one interval). */
static void
health_start(health_probe_t *hp)
{
    pt_http_upstream_peer_t  *peer = hp->peer;

    hp->started = pt_current_msec;
    hp->sent = hp->got = 0;
    hp->pc = health_connection(hp);

    if (hp->pc == NULL) {
        health_done(hp, false, "no connection");
        return;
    }

    if (pt_epoll_add_connection(hp->pc) != PT_OK
        || (connect(hp->pc->fd, (struct sockaddr *) &peer->sockaddr,
                    peer->socklen) == -1 && errno != EINPROGRESS))
    {
        health_done(hp, false, "connect() failed");
        return;
    }

    hp->pc->write->ready = 0;
    pt_add_timer(&hp->timer, hp->hc->timeout ? hp->hc->timeout
                                             : hp->hc->interval);
}


/* The probe timer: a probe still in flight has timed out. */
static void
health_timer(pt_event_t *ev)
{
    health_probe_t  *hp = ev->data;

    ev->timedout = 0;

    if (hp->pc) {
        health_done(hp, false, "timed out");
        return;
    }

    if (!pt_exiting) {
        health_start(hp);
    }
}


/* Process start. */

static void
health_add_probes(health_conf_t *hc, pt_http_upstream_peers_t *set)
{
    for (size_t i = 0; i < set->npeers; i++) {
        health_probe_t  *hp = &health_probes[health_nprobes++];

        hp->hc = hc;
        hp->peer = &set->peers[i];
        hp->timer.data = hp;
        hp->timer.handler = health_timer;
        hp->timer.log = pt_cycle->log;
        hp->timer.cancelable = 1;

        /* The first round right away: a reload's verdicts may be stale. */
        pt_add_timer(&hp->timer, 1);
    }
}


static int
health_init_process(pt_cycle_t *cycle)
{
    pt_http_conf_ctx_t  *ctx = cycle->http_ctx;
    health_main_conf_t  *hmcf;
    health_conf_t       *hc;
    size_t               n = 0;

    if (ctx == NULL || pt_worker != 0) {
        return PT_OK;
    }

    hmcf = ctx->main_conf[pt_http_upstream_health_module.ctx_index];
    hc = hmcf->checks.elts;

    for (size_t i = 0; i < hmcf->checks.nelts; i++) {
        n += hc[i].us->primary.npeers + hc[i].us->backup.npeers;
    }

    if (n == 0) {
        return PT_OK;
    }

    /* Outlives every pool of the worker: freed at exit. */
    health_probes = calloc(n, sizeof(health_probe_t));
    if (health_probes == NULL) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "calloc() failed");
        return PT_ERROR;
    }

    for (size_t i = 0; i < hmcf->checks.nelts; i++) {
        health_add_probes(&hc[i], &hc[i].us->primary);
        health_add_probes(&hc[i], &hc[i].us->backup);
    }

    return PT_OK;
}


static void
health_exit_process(pt_cycle_t *cycle)
{
    (void) cycle;

    for (size_t i = 0; i < health_nprobes; i++) {
        pt_del_timer(&health_probes[i].timer);
        if (health_probes[i].pc) {
            pt_http_upstream_close(health_probes[i].pc);
        }
    }

    free(health_probes);
    health_probes = NULL;
    health_nprobes = 0;
}
