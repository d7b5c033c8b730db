/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * bench/backend.c: a small, fast HTTP/1.1 backend for the proxy workloads
 * of bench/run: one thread, epoll, keep-alive, loopback only; GET /<n>[k|m]
 * answers 200 with an n-byte body of the same printable pattern as the
 * static benchmark files.
 *
 *     backend PORT        (listens on 127.0.0.1:PORT until SIGTERM)
 */

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>


#define BE_MAX_BODY   (16 * 1024 * 1024)
#define BE_BUF_SIZE   8192
#define BE_MAX_EVENTS 256


typedef struct {
    int     fd;
    size_t  in_len;
    char    in[BE_BUF_SIZE];
    char    head[256];
    size_t  head_len;
    size_t  head_sent;
    size_t  body_len;
    size_t  body_sent;
    int     busy;       /* a response is being written */
    int     close;      /* close after this response */
} be_conn_t;


static char  *be_body;
static int    be_ep;


static void
be_close(be_conn_t *c)
{
    close(c->fd);
    free(c);
}


/* Parses one request from c->in; 1 if a response was queued, 0 if more
 * bytes are needed, -1 on a bad request. */
static int
be_parse(be_conn_t *c)
{
    char    *end, *p, *q;
    size_t   n, used;

    end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (end == NULL) {
        return c->in_len == BE_BUF_SIZE ? -1 : 0;
    }

    used = (size_t) (end - c->in) + 4;

    if (c->in_len < 5 || memcmp(c->in, "GET /", 5) != 0) {
        return -1;
    }

    p = c->in + 5;
    n = strtoul(p, &q, 10);
    if (q < end && (*q == 'k' || *q == 'K')) {
        n *= 1024;
    } else if (q < end && (*q == 'm' || *q == 'M')) {
        n *= 1024 * 1024;
    }
    if (n > BE_MAX_BODY) {
        n = BE_MAX_BODY;
    }

    *end = '\0';
    c->close = strcasestr(c->in, "\nconnection: close") != NULL
               || strstr(c->in, " HTTP/1.0\r\n") != NULL;

    c->head_len = (size_t) snprintf(c->head, sizeof(c->head),
                                    "HTTP/1.1 200 OK\r\n"
                                    "Server: bench-backend\r\n"
                                    "Content-Type: text/plain\r\n"
                                    "Content-Length: %zu\r\n"
                                    "%s\r\n",
                                    n, c->close ? "Connection: close\r\n"
                                                : "");
    c->head_sent = 0;
    c->body_len = n;
    c->body_sent = 0;
    c->busy = 1;

    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;

    return 1;
}


/* Writes what it can; 1 done, 0 would block, -1 error. */
static int
be_send(be_conn_t *c)
{
    struct iovec  iov[2];
    ssize_t       n;
    int           k;

    while (c->head_sent < c->head_len || c->body_sent < c->body_len) {
        k = 0;
        if (c->head_sent < c->head_len) {
            iov[k].iov_base = c->head + c->head_sent;
            iov[k].iov_len = c->head_len - c->head_sent;
            k++;
        }
        iov[k].iov_base = be_body + c->body_sent;
        iov[k].iov_len = c->body_len - c->body_sent;
        k++;

        n = writev(c->fd, iov, k);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN ? 0 : -1;
        }

        if (c->head_sent < c->head_len) {
            size_t  h = c->head_len - c->head_sent;

            if ((size_t) n < h) {
                c->head_sent += (size_t) n;
                continue;
            }
            c->head_sent = c->head_len;
            n -= (ssize_t) h;
        }
        c->body_sent += (size_t) n;
    }

    c->busy = 0;
    return 1;
}


/* Runs the connection as far as it goes; -1 to close it. */
static int
be_handle(be_conn_t *c)
{
    struct epoll_event  ev;
    ssize_t             n;
    int                 rc;

    for ( ;; ) {
        if (c->busy) {
            rc = be_send(c);
            if (rc < 0) {
                return -1;
            }
            if (rc == 0) {
                ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
                ev.data.ptr = c;
                epoll_ctl(be_ep, EPOLL_CTL_MOD, c->fd, &ev);
                return 0;
            }
            if (c->close) {
                return -1;
            }
        }

        rc = be_parse(c);
        if (rc < 0) {
            return -1;
        }
        if (rc == 1) {
            continue;
        }

        n = read(c->fd, c->in + c->in_len, BE_BUF_SIZE - c->in_len);
        if (n == 0) {
            return -1;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN ? 0 : -1;
        }
        c->in_len += (size_t) n;
    }
}


int
main(int argc, char **argv)
{
    struct sockaddr_in   sin;
    struct epoll_event   ev, evs[BE_MAX_EVENTS];
    be_conn_t           *c;
    size_t               i;
    int                  ls, fd, n, k, one;

    if (argc != 2) {
        fprintf(stderr, "usage: backend PORT\n");
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);

    be_body = malloc(BE_MAX_BODY);
    if (be_body == NULL) {
        return 1;
    }
    for (i = 0; i < BE_MAX_BODY; i++) {
        be_body[i] = (i % 64 == 63) ? '\n' : (char) ('a' + (i % 64) % 26);
    }

    ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short) atoi(argv[1]));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (bind(ls, (struct sockaddr *) &sin, sizeof(sin)) < 0
        || listen(ls, 4096) < 0)
    {
        perror("backend: bind/listen");
        return 1;
    }

    be_ep = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    epoll_ctl(be_ep, EPOLL_CTL_ADD, ls, &ev);

    for ( ;; ) {
        n = epoll_wait(be_ep, evs, BE_MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return 1;
        }

        for (k = 0; k < n; k++) {
            c = evs[k].data.ptr;

            if (c == NULL) {
                for ( ;; ) {
                    fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
                    if (fd < 0) {
                        break;
                    }
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
                               sizeof(one));
                    c = calloc(1, sizeof(be_conn_t));
                    if (c == NULL) {
                        close(fd);
                        continue;
                    }
                    c->fd = fd;
                    ev.events = EPOLLIN | EPOLLET;
                    ev.data.ptr = c;
                    epoll_ctl(be_ep, EPOLL_CTL_ADD, fd, &ev);
                    if (be_handle(c) < 0) {
                        be_close(c);
                    }
                }
                continue;
            }

            if (be_handle(c) < 0) {
                be_close(c);
            }
        }
    }
}
