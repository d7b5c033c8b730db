/* SPDX-License-Identifier: BSD-2-Clause */
/* epoll: edge-triggered connections, exclusive wake-ups for listeners. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"

#include <sys/epoll.h>

#define EPOLL_NEVENTS  512

static int                  ep = -1;
static struct epoll_event   event_list[EPOLL_NEVENTS];


int
pt_epoll_init(pt_cycle_t *cycle)
{
    if (ep != -1) {
        close(ep);
    }

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "epoll_create1() failed");
        return PT_ERROR;
    }

    return PT_OK;
}


/* The low bit of the pointer carries the instance, to spot stale events. */
static void *
epoll_tag(pt_connection_t *c)
{
    return (void *) ((uintptr_t) c | c->read->instance);
}


int
pt_epoll_add_connection(pt_connection_t *c)
{
    struct epoll_event  ee;

    ee.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    ee.data.ptr = epoll_tag(c);

    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ee) == -1) {
        pt_log_error(PT_LOG_ALERT, c->log, errno,
                     "epoll_ctl(EPOLL_CTL_ADD, %d) failed", c->fd);
        return PT_ERROR;
    }

    c->read->active = 1;
    c->write->active = 1;
    return PT_OK;
}


int
pt_epoll_del_connection(pt_connection_t *c, bool closing)
{
    struct epoll_event  ee = { 0 };

    /* close() removes the fd from epoll by itself. */
    if (!closing && epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, &ee) == -1) {
        pt_log_error(PT_LOG_ALERT, c->log, errno,
                     "epoll_ctl(EPOLL_CTL_DEL, %d) failed", c->fd);
        return PT_ERROR;
    }

    c->read->active = 0;
    c->write->active = 0;
    return PT_OK;
}


int
pt_epoll_add_listener(pt_listening_t *ls)
{
    struct epoll_event  ee;
    pt_connection_t    *c = ls->connection;

    ee.events = EPOLLIN;
#ifdef PT_HAVE_EPOLLEXCLUSIVE
    /* One worker wakes per connection, and none is left out. */
    ee.events |= EPOLLEXCLUSIVE;
#endif
    ee.data.ptr = epoll_tag(c);

    if (epoll_ctl(ep, EPOLL_CTL_ADD, ls->fd, &ee) == -1) {
        pt_log_error(PT_LOG_ALERT, c->log, errno,
                     "epoll_ctl(EPOLL_CTL_ADD, %d) failed", ls->fd);
        return PT_ERROR;
    }

    c->read->active = 1;
    return PT_OK;
}


int
pt_epoll_del_listener(pt_listening_t *ls)
{
    pt_connection_t  *c = ls->connection;

    if (!c->read->active) {
        return PT_OK;
    }

    c->read->active = 0;

    if (epoll_ctl(ep, EPOLL_CTL_DEL, ls->fd, NULL) == -1) {
        pt_log_error(PT_LOG_ALERT, c->log, errno,
                     "epoll_ctl(EPOLL_CTL_DEL, %d) failed", ls->fd);
        return PT_ERROR;
    }

    return PT_OK;
}


static void
epoll_dispatch(struct epoll_event *e)
{
    uintptr_t         tag = (uintptr_t) e->data.ptr;
    pt_connection_t  *c = (pt_connection_t *) (tag & ~(uintptr_t) 1);
    unsigned          instance = tag & 1;
    uint32_t          revents = e->events;

    if (c->fd == -1 || c->read->instance != instance) {
        return;     /* closed (and maybe reused) earlier in this batch */
    }

    if (revents & (EPOLLERR | EPOLLHUP)) {
        revents |= EPOLLIN | EPOLLOUT;
    }

    pt_event_t  *rev = c->read;

    if ((revents & EPOLLIN) && rev->active) {
        rev->ready = 1;
        rev->pending_eof |= (revents & EPOLLRDHUP) != 0;

        if (rev->accept) {
            pt_post_event(rev, &pt_posted_accept_events);
        } else {
            rev->handler(rev);
        }
    }

    pt_event_t  *wev = c->write;

    if ((revents & EPOLLOUT) && wev->active) {
        if (c->fd == -1 || c->read->instance != instance) {
            return;
        }

        wev->ready = 1;
        wev->handler(wev);
    }
}


int
pt_epoll_process(pt_cycle_t *cycle, pt_msec_t timer)
{
    int  timeout = timer == (pt_msec_t) -1 ? -1
                   : (int) pt_min(timer, (pt_msec_t) INT_MAX);
    int  n = epoll_wait(ep, event_list, EPOLL_NEVENTS, timeout);
    int  err = errno;

    pt_time_update();

    if (n == -1) {
        if (err != EINTR) {
            pt_log_error(PT_LOG_ALERT, cycle->log, err, "epoll_wait() failed");
            return PT_ERROR;
        }
        return PT_OK;
    }

    for (int i = 0; i < n; i++) {
        epoll_dispatch(&event_list[i]);
    }

    return PT_OK;
}
