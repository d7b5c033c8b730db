/* SPDX-License-Identifier: BSD-2-Clause */
/* The events { } block, the loop turn, posted events and worker setup. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"

typedef struct {
    int        connections;
    int        multi_accept;
    int        accept_mutex;
    pt_msec_t  accept_mutex_delay;     /* nginx's; no mutex, no effect */
    int        use;
    bool       seen;                   /* an events { } block was parsed */
} event_conf_t;

static int event_block(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int event_init_conf(pt_cycle_t *cycle, void *conf);

static const pt_conf_enum_t  event_methods[] = {
    { "epoll", 1 }, { NULL, 0 }
};

static const pt_command_t  event_commands[] = {
    { .name = "events", .ctx = PT_MAIN, .args = PT_CONF_BLOCK | PT_CONF_NOARGS,
      .set = event_block },
    { .name = "worker_connections", .ctx = PT_EVENT, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_num, .field = PT_MAIN_FIELD(event_conf_t, connections),
      .def.i = 512, .min = 2, .max = 1048576 },
    { .name = "multi_accept", .ctx = PT_EVENT, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_MAIN_FIELD(event_conf_t, multi_accept), .def.flag = 0 },
    { .name = "accept_mutex", .ctx = PT_EVENT, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_MAIN_FIELD(event_conf_t, accept_mutex), .def.flag = 0 },
    { .name = "accept_mutex_delay", .ctx = PT_EVENT, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec,
      .field = PT_MAIN_FIELD(event_conf_t, accept_mutex_delay),
      .def.msec = 500 },
    { .name = "use", .ctx = PT_EVENT, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_enum, .field = PT_MAIN_FIELD(event_conf_t, use),
      .def.i = 1, .values = event_methods },
    PT_COMMAND_END
};

static const pt_core_module_t  event_module_ctx = {
    .conf_size = sizeof(event_conf_t),
    .init_conf = event_init_conf,
};

pt_module_t  pt_events_module = {
    .name = "pt_events_module",
    .type = PT_CORE_MODULE,
    .commands = event_commands,
    .ctx = &event_module_ctx,
};

pt_queue_t             pt_posted_events;
pt_queue_t             pt_posted_accept_events;
volatile sig_atomic_t  pt_quit;
volatile sig_atomic_t  pt_terminate;
volatile sig_atomic_t  pt_reopen;
bool                   pt_exiting;
size_t                 pt_accept_disabled;
size_t                 pt_cached_connections;

static int
event_block(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    event_conf_t  *ecf = conf;
    unsigned       prev = cf->ctx_type;
    int            rc;

    if (ecf->seen) {
        return pt_conf_error(cf, "\"events\" directive is duplicate");
    }

    ecf->seen = true;
    cf->ctx_type = PT_EVENT;
    rc = pt_conf_parse(cf, NULL);
    cf->ctx_type = prev;

    return rc;
}


static int
event_init_conf(pt_cycle_t *cycle, void *conf)
{
    event_conf_t  *ecf = conf;

    if (!ecf->seen) {
        pt_log_error(PT_LOG_EMERG, cycle->log, 0, "no \"events\" section in "
                     "configuration");
        return PT_ERROR;
    }

    return PT_OK;
}


static event_conf_t *
event_conf(pt_cycle_t *cycle)
{
    return cycle->conf_ctx[pt_events_module.index];
}


void
pt_post_event(pt_event_t *ev, pt_queue_t *q)
{
    if (!ev->posted) {
        ev->posted = 1;
        pt_queue_insert_tail(q, &ev->queue);
    }
}


void
pt_delete_posted_event(pt_event_t *ev)
{
    if (ev->posted) {
        ev->posted = 0;
        pt_queue_remove(&ev->queue);
    }
}


void
pt_event_process_posted(pt_queue_t *posted)
{
    pt_queue_t  batch;

    if (pt_queue_empty(posted)) {
        return;
    }

    /*
     * Only what was posted before this turn runs now: a handler that
     * posts itself again (sendfile_max_chunk, pipelining) waits for the
     * next turn, so one busy connection cannot starve the others.
     */
    batch.next = posted->next;
    batch.prev = posted->prev;
    batch.next->prev = &batch;
    batch.prev->next = &batch;
    pt_queue_init(posted);

    while (!pt_queue_empty(&batch)) {
        pt_queue_t  *q = pt_queue_head(&batch);
        pt_event_t  *ev = pt_queue_data(q, pt_event_t, queue);

        pt_delete_posted_event(ev);
        ev->handler(ev);
    }
}


void
pt_process_events_and_timers(pt_cycle_t *cycle)
{
    pt_msec_t  timer = pt_event_find_timer();

    if (!pt_queue_empty(&pt_posted_events)) {
        timer = 0;
    }

    (void) pt_epoll_process(cycle, timer);

    pt_event_process_posted(&pt_posted_accept_events);
    pt_event_expire_timers();
    pt_event_process_posted(&pt_posted_events);
}


static int
event_alloc_connections(pt_cycle_t *cycle, size_t n)
{
    /* Zeroed and untouched: pt_get_connection sets entries up on first use. */
    cycle->connections = calloc(n, sizeof(pt_connection_t));
    cycle->read_events = calloc(n, sizeof(pt_event_t));
    cycle->write_events = calloc(n, sizeof(pt_event_t));

    if (!cycle->connections || !cycle->read_events || !cycle->write_events) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "calloc() failed for "
                     "%zu connections", n);
        return PT_ERROR;
    }

    cycle->connection_n = n;
    cycle->connection_fresh = 0;
    cycle->free_connections = NULL;
    cycle->free_connection_n = n;
    return PT_OK;
}


static int
event_add_listeners(pt_cycle_t *cycle)
{
    pt_listening_t  *ls = cycle->listening.elts;

    for (size_t i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd == -1) {
            continue;       /* could not be bound after a reload */
        }

        pt_connection_t  *c = pt_get_connection(ls[i].fd, cycle->log);

        if (c == NULL) {
            return PT_ERROR;
        }

        c->listening = &ls[i];
        c->log = ls[i].log ? ls[i].log : cycle->log;
        c->read->log = c->log;
        c->read->accept = 1;
        c->read->handler = pt_event_accept;
        ls[i].connection = c;

        if (pt_epoll_add_listener(&ls[i]) != PT_OK) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


int
pt_event_process_init(pt_cycle_t *cycle)
{
    event_conf_t  *ecf = event_conf(cycle);

    pt_queue_init(&pt_posted_events);
    pt_queue_init(&pt_posted_accept_events);
    pt_event_timer_init();

    if (pt_epoll_init(cycle) != PT_OK
        || event_alloc_connections(cycle, (size_t) ecf->connections) != PT_OK
        || event_add_listeners(cycle) != PT_OK)
    {
        return PT_ERROR;
    }

    return PT_OK;
}


void
pt_event_close_listeners(pt_cycle_t *cycle)
{
    pt_listening_t  *ls = cycle->listening.elts;

    for (size_t i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].connection) {
            (void) pt_epoll_del_listener(&ls[i]);
            pt_del_timer(ls[i].connection->read);
            pt_free_connection(ls[i].connection);
            ls[i].connection = NULL;
        }

        if (ls[i].fd != -1 && pt_process != PT_PROCESS_MASTER) {
            close(ls[i].fd);
            ls[i].fd = -1;
        }
    }
}


bool
pt_event_multi_accept(pt_cycle_t *cycle)
{
    return event_conf(cycle)->multi_accept;
}
