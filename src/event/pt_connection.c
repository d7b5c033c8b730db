/* SPDX-License-Identifier: BSD-2-Clause */
/* The connection table, listening sockets, and plain socket I/O. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"

#include <sys/sendfile.h>

uint64_t  pt_connection_counter;


/* Closes idle keep-alive connections to make room; oldest first. */
static void
connection_drain(pt_cycle_t *cycle)
{
    static pt_msec_t  logged;

    /* As nginx: say it, but at most once a second, not per connection. */
    if (!pt_queue_empty(&cycle->reusable_connections)
        && (logged == 0 || pt_current_msec - logged >= 1000))
    {
        logged = pt_current_msec ? pt_current_msec : 1;
        pt_log_error(PT_LOG_WARN, cycle->log, 0, "%zu worker_connections "
                     "are not enough, reusing connections",
                     cycle->connection_n);
    }

    for (int i = 0; i < 32 && !pt_queue_empty(&cycle->reusable_connections);
         i++)
    {
        pt_queue_t       *q = pt_queue_last(&cycle->reusable_connections);
        pt_connection_t  *c = pt_queue_data(q, pt_connection_t, queue);

        pt_reusable_connection(c, false);
        c->close = 1;
        c->read->handler(c->read);
    }
}


/*
 * A connection from the free list, else one never used yet.  The table is
 * not walked when the worker starts: the pages of worker_connections
 * entries (384 bytes each) are written only as connections first need
 * them, so a worker with a large table starts without faulting it all in
 * and keeps only what its peak load used.
 */
static pt_connection_t *
connection_take(pt_cycle_t *cycle)
{
    pt_connection_t  *c = cycle->free_connections;

    if (c != NULL) {
        cycle->free_connections = c->data;

    } else if (cycle->connection_fresh < cycle->connection_n) {
        size_t  i = cycle->connection_fresh++;

        c = &cycle->connections[i];
        c->read = &cycle->read_events[i];
        c->write = &cycle->write_events[i];

    } else {
        return NULL;
    }

    cycle->free_connection_n--;
    return c;
}


pt_connection_t *
pt_get_connection(int fd, pt_log_t *log)
{
    pt_cycle_t       *cycle = pt_cycle;
    pt_connection_t  *c = connection_take(cycle);

    if (c == NULL) {
        connection_drain(cycle);
        c = connection_take(cycle);
    }

    if (c == NULL) {
        pt_log_error(PT_LOG_WARN, log, 0, "%zu worker_connections are not "
                     "enough", cycle->connection_n);
        return NULL;
    }

    pt_event_t  *rev = c->read, *wev = c->write;
    unsigned     instance = rev->instance;

    memset(c, 0, sizeof(pt_connection_t));
    memset(rev, 0, sizeof(pt_event_t));
    memset(wev, 0, sizeof(pt_event_t));

    c->read = rev;
    c->write = wev;
    c->fd = fd;
    c->log = log;
    rev->instance = !instance;
    wev->instance = !instance;
    rev->data = c;
    wev->data = c;
    wev->write = 1;
    rev->log = log;
    wev->log = log;

    return c;
}


void
pt_free_connection(pt_connection_t *c)
{
    c->data = pt_cycle->free_connections;
    pt_cycle->free_connections = c;
    pt_cycle->free_connection_n++;
}


void
pt_close_connection(pt_connection_t *c)
{
    int  fd = c->fd;

    if (fd == -1) {
        pt_log_error(PT_LOG_ALERT, c->log, 0, "connection already closed");
        return;
    }

    pt_del_timer(c->read);
    pt_del_timer(c->write);
    pt_delete_posted_event(c->read);
    pt_delete_posted_event(c->write);

    if (c->read->active || c->write->active) {
        (void) pt_epoll_del_connection(c, true);
    }

    pt_reusable_connection(c, false);

    if (c->ssl) {
        pt_ssl_free_connection(c);
    }

    c->read->closed = 1;
    c->write->closed = 1;
    c->fd = -1;

    pt_free_connection(c);

    if (close(fd) == -1) {
        pt_log_error(PT_LOG_ALERT, c->log, errno, "close() socket %d failed",
                     fd);
    }
}


void
pt_reusable_connection(pt_connection_t *c, bool reusable)
{
    if (c->reusable) {
        pt_queue_remove(&c->queue);
    }

    c->reusable = reusable;

    if (reusable) {
        pt_queue_insert_head(&pt_cycle->reusable_connections, &c->queue);
    }
}


ssize_t
pt_unix_recv(pt_connection_t *c, u_char *buf, size_t size)
{
    pt_event_t  *rev = c->read;

    for ( ;; ) {
        ssize_t  n = recv(c->fd, buf, size, 0);

        if (n == 0) {
            rev->ready = 0;
            rev->eof = 1;
            return 0;
        }

        if (n > 0) {
            /* A short read on an edge-triggered socket drained it. */
            if ((size_t) n < size && !rev->pending_eof) {
                rev->ready = 0;
            }
            return n;
        }

        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            rev->ready = 0;
            return PT_AGAIN;
        }

        if (errno != EINTR) {
            rev->ready = 0;
            rev->error = 1;
            pt_log_error(PT_LOG_INFO, c->log, errno, "recv() failed");
            return PT_ERROR;
        }
    }
}


ssize_t
pt_unix_send(pt_connection_t *c, const u_char *buf, size_t size)
{
    pt_event_t  *wev = c->write;

    for ( ;; ) {
        ssize_t  n = send(c->fd, buf, size, MSG_NOSIGNAL);

        if (n >= 0) {
            if ((size_t) n < size) {
                wev->ready = 0;
            }
            c->sent += n;
            return n;
        }

        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wev->ready = 0;
            return PT_AGAIN;
        }

        if (errno != EINTR) {
            wev->error = 1;
            pt_log_error(PT_LOG_INFO, c->log, errno, "send() failed");
            return PT_ERROR;
        }
    }
}


#define SEND_IOVS    64
#define SEND_BOUNCE  32768

/* Gathers leading memory buffers of in into iov; returns the count. */
static int
send_collect_iovs(pt_chain_t *in, struct iovec *iov, off_t limit,
    size_t *total)
{
    int  n = 0;

    *total = 0;

    for (pt_chain_t *cl = in; cl && n < SEND_IOVS; cl = cl->next) {
        pt_buf_t  *b = cl->buf;

        if (pt_buf_special(b)) {
            continue;
        }

        if (!pt_buf_in_memory(b) || (off_t) *total >= limit) {
            break;
        }

        size_t  size = (size_t) (b->last - b->pos);

        if ((off_t) (*total + size) > limit) {
            size = (size_t) (limit - (off_t) *total);
        }

        if (size == 0) {
            continue;
        }

        iov[n].iov_base = b->pos;
        iov[n].iov_len = size;
        *total += size;
        n++;
    }

    return n;
}


static ssize_t
send_file_buf(pt_connection_t *c, pt_buf_t *b, off_t limit)
{
    off_t   offset = b->file_pos;
    size_t  size = (size_t) pt_min(b->file_last - b->file_pos, limit);

    if (c->sendfile) {
        ssize_t  n = sendfile(c->fd, b->file->fd, &offset, size);

        if (n == 0 && size > 0) {
            /* No EPOLLOUT would ever come: the file shrank under us. */
            pt_log_error(PT_LOG_CRIT, c->log, 0, "sendfile() reported that "
                         "\"%.*s\" was truncated at %lld",
                         PT_STR_ARG(b->file->name), (long long) offset);
            errno = EIO;
            return -1;
        }

        if (n == -1 && errno != EAGAIN && errno != EINTR) {
            /* A client that went away is routine, not an error (nginx). */
            pt_log_error(errno == EPIPE || errno == ECONNRESET ? PT_LOG_INFO
                         : PT_LOG_ERR, c->log, errno, "sendfile() failed");
        }
        return n;
    }

    u_char   buf[SEND_BOUNCE];
    ssize_t  r = pread(b->file->fd, buf, pt_min(size, sizeof(buf)), offset);

    if (r <= 0) {
        pt_log_error(PT_LOG_CRIT, c->log, r == 0 ? 0 : errno,
                     "pread() \"%.*s\" failed%s", PT_STR_ARG(b->file->name),
                     r == 0 ? ": file was truncated" : "");
        errno = EIO;
        return -1;
    }

    return send(c->fd, buf, (size_t) r, MSG_NOSIGNAL);
}


pt_chain_t *
pt_linux_send_chain(pt_connection_t *c, pt_chain_t *in, off_t limit)
{
    pt_event_t  *wev = c->write;

    if (limit <= 0) {
        limit = (off_t) 1 << 40;
    }

    while (in && limit > 0) {
        struct iovec  iov[SEND_IOVS];
        size_t        total;
        ssize_t       n;
        int           niov = send_collect_iovs(in, iov, limit, &total);

        if (niov > 0) {
            n = writev(c->fd, iov, niov);
        } else {
            /* Skip empty/special buffers, then a file part. */
            while (in && (pt_buf_special(in->buf) || pt_buf_size(in->buf) == 0)
                   && !in->buf->in_file)
            {
                in = in->next;
            }

            if (in == NULL) {
                return NULL;
            }

            total = (size_t) pt_min(pt_buf_size(in->buf), limit);
            if (!c->sendfile) {
                /* Without sendfile one pass copies at most one bounce buffer. */
                total = pt_min(total, SEND_BOUNCE);
            }
            n = total ? send_file_buf(c, in->buf, limit) : 0;
        }

        if (n == -1) {
            if (errno == EAGAIN || errno == EINTR) {
                wev->ready = 0;
                return in;
            }

            wev->error = 1;
            pt_log_error(PT_LOG_INFO, c->log, errno, "writev() failed");
            return PT_CHAIN_ERROR;
        }

        c->sent += n;
        limit -= n;
        in = pt_chain_update_sent(in, n);

        if ((size_t) n < total) {
            wev->ready = 0;
            return in;
        }
    }

    return in;
}


int
pt_tcp_nodelay(pt_connection_t *c)
{
    int  on = 1;

    if (c->tcp_nodelay != PT_TCP_NODELAY_UNSET) {
        return PT_OK;
    }

    if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1) {
        return PT_ERROR;
    }

    c->tcp_nodelay = PT_TCP_NODELAY_SET;
    return PT_OK;
}


int
pt_tcp_nopush(pt_connection_t *c)
{
    int  on = 1;

    if (setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == -1) {
        return PT_ERROR;
    }

    c->tcp_nopush = PT_TCP_NOPUSH_SET;
    return PT_OK;
}


int
pt_tcp_push(pt_connection_t *c)
{
    int  off = 0;

    if (c->tcp_nopush != PT_TCP_NOPUSH_SET) {
        return PT_OK;
    }

    if (setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off)) == -1) {
        return PT_ERROR;
    }

    c->tcp_nopush = PT_TCP_NOPUSH_UNSET;
    return PT_OK;
}


static int
listen_socket_options(pt_listening_t *ls, int fd)
{
    int  on = 1;

    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1) {
        return PT_ERROR;
    }

#ifdef PT_HAVE_REUSEPORT
    if (ls->reuseport
        && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1)
    {
        return PT_ERROR;
    }
#endif

    if (ls->sockaddr.ss_family == AF_INET6) {
        int  v6only = ls->ipv6only;

        if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
                       sizeof(v6only)) == -1)
        {
            return PT_ERROR;
        }
    }

    if (ls->rcvbuf > 0) {
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ls->rcvbuf, sizeof(int));
    }

    if (ls->sndbuf > 0) {
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &ls->sndbuf, sizeof(int));
    }

    /* Accepted sockets inherit these from the listening one. */
    if (ls->so_keepalive) {
        int  on = ls->so_keepalive == 1;

        (void) setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    }

    if (ls->keepidle) {
        (void) setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &ls->keepidle,
                          sizeof(int));
    }

    if (ls->keepintvl) {
        (void) setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &ls->keepintvl,
                          sizeof(int));
    }

    if (ls->keepcnt) {
        (void) setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &ls->keepcnt,
                          sizeof(int));
    }

    if (ls->deferred_accept) {
        int  timeout = 1;

        (void) setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &timeout,
                          sizeof(timeout));
    }

    return PT_OK;
}


static int
listen_open_one(pt_cycle_t *cycle, pt_listening_t *ls)
{
    int  fd = socket(ls->sockaddr.ss_family,
                     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "socket() %.*s failed",
                     PT_STR_ARG(ls->addr_text));
        return PT_ERROR;
    }

    if (ls->sockaddr.ss_family != AF_UNIX
        && listen_socket_options(ls, fd) != PT_OK)
    {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "setsockopt() to %.*s "
                     "failed", PT_STR_ARG(ls->addr_text));
        close(fd);
        return PT_ERROR;
    }

    if (ls->sockaddr.ss_family == AF_UNIX) {
        struct sockaddr_un  *sun = (struct sockaddr_un *) &ls->sockaddr;

        /* A stale socket file from a previous run would make bind() fail. */
        (void) unlink(sun->sun_path);
    }

    if (bind(fd, (struct sockaddr *) &ls->sockaddr, ls->socklen) == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "bind() to %.*s failed",
                     PT_STR_ARG(ls->addr_text));
        close(fd);
        return PT_ERROR;
    }

    if (listen(fd, ls->backlog) == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "listen() to %.*s, "
                     "backlog %d failed", PT_STR_ARG(ls->addr_text),
                     ls->backlog);
        close(fd);
        return PT_ERROR;
    }

    ls->fd = fd;
    ls->open = 1;
    return PT_OK;
}


int
pt_open_listening_sockets(pt_cycle_t *cycle)
{
    pt_listening_t  *ls = cycle->listening.elts;

    for (size_t i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].open) {
            continue;
        }

        if (listen_open_one(cycle, &ls[i]) != PT_OK) {
            /*
             * After a reload the old configuration's workers still serve:
             * dying here would orphan them.  Serve without this address.
             */
            if (pt_reload_inherited()) {
                pt_log_error(PT_LOG_EMERG, cycle->log, 0, "the reloaded "
                             "configuration runs without %.*s",
                             PT_STR_ARG(ls[i].addr_text));
                continue;
            }
            return PT_ERROR;
        }
    }

    return PT_OK;
}
