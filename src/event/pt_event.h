/* SPDX-License-Identifier: BSD-2-Clause */
/* The per-worker event loop: epoll, timers and posted events. */
#ifndef PT_EVENT_H
#define PT_EVENT_H

#include "pt_connection.h"
#include "pt_event_ssl.h"

typedef void (*pt_event_handler_pt)(pt_event_t *ev);

struct pt_event_s {
    void                *data;          /* the connection, usually */
    pt_event_handler_pt  handler;
    pt_log_t            *log;
    pt_rbtree_node_t     timer;
    pt_queue_t           queue;         /* posted */

    unsigned             write:1;
    unsigned             accept:1;
    unsigned             active:1;      /* registered with epoll */
    unsigned             ready:1;       /* may read/write without EAGAIN */
    unsigned             eof:1;
    unsigned             error:1;
    unsigned             timedout:1;
    unsigned             timer_set:1;
    unsigned             delayed:1;
    unsigned             posted:1;
    unsigned             closed:1;
    unsigned             pending_eof:1; /* EPOLLRDHUP seen */
    unsigned             instance:1;    /* stale-event guard */
    unsigned             cancelable:1;  /* timer does not hold shutdown */
};

typedef struct {
    pt_msec_t   timeout;
} pt_event_conf_t;

extern pt_module_t     pt_events_module;
extern pt_queue_t      pt_posted_events;
extern pt_queue_t      pt_posted_accept_events;
extern volatile sig_atomic_t  pt_quit;       /* graceful: finish and exit */
extern volatile sig_atomic_t  pt_terminate;  /* fast */
extern volatile sig_atomic_t  pt_reopen;
extern bool            pt_exiting;
extern size_t          pt_accept_disabled;    /* not accepting until time */
/* Idle backend connections kept for reuse: they never hold up an exit. */
extern size_t          pt_cached_connections;

/* epoll: registers a connection (both events, edge-triggered). */
int pt_epoll_init(pt_cycle_t *cycle);
int pt_epoll_add_connection(pt_connection_t *c);
int pt_epoll_del_connection(pt_connection_t *c, bool closing);
int pt_epoll_add_listener(pt_listening_t *ls);
int pt_epoll_del_listener(pt_listening_t *ls);
/* Waits up to timer ms (-1: forever) and handles or posts events. */
int pt_epoll_process(pt_cycle_t *cycle, pt_msec_t timer);

/* Timers, in milliseconds from now. */
void pt_event_add_timer(pt_event_t *ev, pt_msec_t timer);
void pt_event_del_timer(pt_event_t *ev);
/* Time until the nearest timer; (pt_msec_t) -1 when none. */
pt_msec_t pt_event_find_timer(void);
void pt_event_expire_timers(void);
/* True when only cancelable timers remain (graceful shutdown can end). */
bool pt_event_no_timers_left(void);
void pt_event_timer_init(void);

#define pt_add_timer  pt_event_add_timer
#define pt_del_timer(ev)                                                      \
    do { if ((ev)->timer_set) pt_event_del_timer(ev); } while (0)

/* Posted events run at the end of the loop turn. */
void pt_post_event(pt_event_t *ev, pt_queue_t *q);
void pt_delete_posted_event(pt_event_t *ev);
void pt_event_process_posted(pt_queue_t *posted);

/* One turn of the loop: wait, expire timers, run posted events. */
void pt_process_events_and_timers(pt_cycle_t *cycle);

/* Worker start: connections, epoll, listeners. */
int pt_event_process_init(pt_cycle_t *cycle);

/*
 * Makes a connection of an accepted (or handed-over) socket on ls: pool,
 * log, addresses, epoll.  NULL on failure (fd closed).
 */
pt_connection_t *pt_event_adopt(pt_listening_t *ls, int fd,
    struct sockaddr *sa, socklen_t len);

/* Accept handler for listening sockets. */
void pt_event_accept(pt_event_t *ev);

/* Stops accepting (graceful shutdown): unregisters listeners. */
void pt_event_close_listeners(pt_cycle_t *cycle);

#endif /* PT_EVENT_H */
