/* SPDX-License-Identifier: BSD-2-Clause */
/* Accepting connections, and backing off when descriptors run out. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"

/* How long a worker stops accepting after EMFILE or a full table. */
#define ACCEPT_BACKOFF  500

bool pt_event_multi_accept(pt_cycle_t *cycle);


static void
accept_resume(pt_event_t *ev)
{
    pt_listening_t  *ls = ((pt_connection_t *) ev->data)->listening;

    ev->timedout = 0;

    if (!pt_exiting && pt_epoll_add_listener(ls) == PT_OK) {
        /* Connections may have queued meanwhile: look at once. */
        pt_post_event(ev, &pt_posted_accept_events);
    }
}


static void
accept_pause(pt_event_t *ev)
{
    pt_connection_t  *lc = ev->data;

    if (pt_epoll_del_listener(lc->listening) == PT_OK) {
        ev->handler = pt_event_accept;
        pt_add_timer(ev, ACCEPT_BACKOFF);
    }
}


pt_connection_t *
pt_event_adopt(pt_listening_t *ls, int fd, struct sockaddr *sa, socklen_t len)
{
    pt_connection_t  *c = pt_get_connection(fd, ls->log);

    if (c == NULL) {
        close(fd);
        return NULL;
    }

    c->pool = pt_create_pool(ls->pool_size, ls->log);
    if (c->pool == NULL) {
        pt_close_connection(c);
        return NULL;
    }

    c->sockaddr = pt_palloc(c->pool, len);
    c->log = pt_palloc(c->pool, sizeof(pt_log_t));
    c->addr_text.data = pt_pnalloc(c->pool, INET6_ADDRSTRLEN + 8);

    if (!c->sockaddr || !c->log || !c->addr_text.data) {
        pt_destroy_pool(c->pool);
        c->pool = NULL;
        pt_close_connection(c);
        return NULL;
    }

    memcpy(c->sockaddr, sa, len);
    c->socklen = len;
    *c->log = *ls->log;
    c->listening = ls;
    c->recv = pt_unix_recv;
    c->send = pt_unix_send;
    c->send_chain = pt_linux_send_chain;
    c->read->log = c->log;
    c->write->log = c->log;
    c->number = ++pt_connection_counter;
    c->log->connection = c->number;
    c->start_time = pt_current_msec;
    c->addr_text.len = pt_sock_ntop(sa, len, c->addr_text.data,
                                    INET6_ADDRSTRLEN + 8, false);

    /* The first request may already be waiting (deferred accept). */
    c->write->ready = 1;

    if (pt_epoll_add_connection(c) != PT_OK) {
        pt_destroy_pool(c->pool);
        c->pool = NULL;
        pt_close_connection(c);
        return NULL;
    }

    return c;
}


void
pt_event_accept(pt_event_t *ev)
{
    pt_connection_t  *lc = ev->data;
    pt_listening_t   *ls = lc->listening;
    bool              multi = pt_event_multi_accept(pt_cycle);

    if (ev->timedout) {
        accept_resume(ev);
        return;
    }

    for (int n = 0; n < 64; n++) {
        struct sockaddr_storage  ss;
        socklen_t                len = sizeof(ss);
        int                      fd;

        fd = accept4(ls->fd, (struct sockaddr *) &ss, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd == -1) {
            int  err = errno;

            if (err == EAGAIN || err == EINTR || err == ECONNABORTED) {
                return;
            }

            pt_log_error(err == EMFILE || err == ENFILE ? PT_LOG_CRIT
                         : PT_LOG_ALERT, ev->log, err, "accept4() failed");

            if (err == EMFILE || err == ENFILE || err == ENOBUFS
                || err == ENOMEM)
            {
                accept_pause(ev);
            }
            return;
        }

        pt_connection_t  *c = pt_event_adopt(ls, fd, (struct sockaddr *) &ss, len);

        if (c == NULL) {
            if (pt_cycle->free_connection_n == 0) {
                accept_pause(ev);
            }
            return;
        }

        ls->handler(c);

        if (!multi) {
            /* Let other work run; the listener is level-triggered. */
            return;
        }
    }
}
