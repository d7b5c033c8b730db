/* SPDX-License-Identifier: BSD-2-Clause */
/* Reload handoff: idle keep-alive connections move to the new workers. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"
#include "pt_process.h"

/*
 * The first master makes one datagram socket pair and every later image
 * inherits it through the reload (PORTICO_INHERIT "hand=TX,RX").  All
 * workers hold both ends; a serving worker reads the receiving end, and a
 * worker retiring because of a reload sends each idle connection into the
 * sending end (the descriptor by SCM_RIGHTS, with any bytes it had already
 * read), so a client reusing its connection during a reload is served by
 * the new generation instead of reset.  The pair has no name: only our
 * own processes can reach it.
 */

#define HANDOFF_MAX_DATA   16384
#define HANDOFF_SEND_WAIT  1          /* seconds a send may block */

static int    handoff_tx = -1;
static int    handoff_rx = -1;
static bool   handoff_target;         /* retiring for a reload */


static bool
handoff_is_dgram_pair_end(int fd)
{
    struct stat  st;
    int          type = 0, domain = 0;
    socklen_t    len = sizeof(int);

    if (fd <= STDERR_FILENO || fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode)
        || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
    {
        return false;
    }

    len = sizeof(int);
    return type == SOCK_DGRAM
           && getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0
           && domain == AF_UNIX;
}


void
pt_handoff_inherit(const char *spec)
{
    int  tx = -1, rx = -1;

    if (sscanf(spec, "%d,%d", &tx, &rx) != 2 || tx == rx
        || !handoff_is_dgram_pair_end(tx) || !handoff_is_dgram_pair_end(rx))
    {
        return;      /* a fresh pair then: the old workers' sends fail */
    }

    (void) fcntl(tx, F_SETFD, FD_CLOEXEC);
    (void) fcntl(rx, F_SETFD, FD_CLOEXEC);
    handoff_tx = tx;
    handoff_rx = rx;
}


u_char *
pt_handoff_describe(u_char *p, u_char *last)
{
    if (handoff_tx == -1) {
        return p;
    }

    return pt_snprintf(p, last, ";hand=%d,%d", handoff_tx, handoff_rx);
}


int
pt_handoff_cloexec(bool on)
{
    if (handoff_tx == -1) {
        return PT_OK;
    }

    int  flag = on ? FD_CLOEXEC : 0;

    return fcntl(handoff_tx, F_SETFD, flag) == -1
           || fcntl(handoff_rx, F_SETFD, flag) == -1 ? PT_ERROR : PT_OK;
}


int
pt_handoff_init(pt_cycle_t *cycle)
{
    int  sv[2];

    if (handoff_tx != -1) {
        return PT_OK;
    }

    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == -1) {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno, "socketpair() failed, "
                     "reloads will close idle connections");
        return PT_OK;
    }

    /* Senders block, with a bound: the new workers drain the queue. */
    struct timeval  tv = { HANDOFF_SEND_WAIT, 0 };

    (void) setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    (void) fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
    handoff_tx = sv[0];
    handoff_rx = sv[1];

    return PT_OK;
}


/* Finds the listener a handed connection arrived on, by local address. */
static pt_listening_t *
handoff_listening(pt_cycle_t *cycle, int fd)
{
    struct sockaddr_storage  ss;
    socklen_t                len = sizeof(ss);
    pt_listening_t          *ls = cycle->listening.elts, *wild = NULL;

    if (getsockname(fd, (struct sockaddr *) &ss, &len) == -1) {
        return NULL;
    }

    for (size_t i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd == -1 || ls[i].sockaddr.ss_family != ss.ss_family) {
            continue;
        }

        if (pt_sock_eq((struct sockaddr *) &ls[i].sockaddr, ls[i].socklen,
                       (struct sockaddr *) &ss, len))
        {
            return &ls[i];
        }

        if (ss.ss_family != AF_UNIX
            && pt_sock_port((struct sockaddr *) &ls[i].sockaddr)
               == pt_sock_port((struct sockaddr *) &ss))
        {
            wild = &ls[i];      /* a wildcard listener on that port */
        }
    }

    return wild;
}


static void
handoff_adopt(pt_cycle_t *cycle, int fd, const u_char *data, size_t n)
{
    pt_listening_t          *ls = handoff_listening(cycle, fd);
    struct sockaddr_storage  ss;
    socklen_t                len = sizeof(ss);

    if (ls == NULL || getpeername(fd, (struct sockaddr *) &ss, &len) == -1) {
        /* Its address is no longer configured: nothing can serve it. */
        close(fd);
        return;
    }

    (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
    (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    pt_connection_t  *c = pt_event_adopt(ls, fd, (struct sockaddr *) &ss, len);

    if (c == NULL) {
        return;
    }

    if (n) {
        c->buffer = pt_create_temp_buf(c->pool, pt_max(n, 4096));
        if (c->buffer == NULL) {
            pt_close_connection(c);
            return;
        }
        c->buffer->last = pt_cpymem(c->buffer->last, data, n);
    }

    ls->handler(c);
}


static void
handoff_receive(pt_event_t *ev)
{
    static u_char  data[HANDOFF_MAX_DATA];

    for ( ;; ) {
        union {
            struct cmsghdr  cm;
            char            space[CMSG_SPACE(sizeof(int))];
        }              control;
        struct iovec   iov = { data, sizeof(data) };
        struct msghdr  msg = { .msg_iov = &iov, .msg_iovlen = 1,
                               .msg_control = &control,
                               .msg_controllen = sizeof(control) };
        ssize_t        n = recvmsg(handoff_rx, &msg, MSG_CMSG_CLOEXEC);

        if (n == -1) {
            if (errno != EAGAIN && errno != EINTR) {
                pt_log_error(PT_LOG_ALERT, ev->log, errno, "recvmsg() on the "
                             "handoff socket failed");
            }
            ev->ready = 0;
            return;
        }

        struct cmsghdr  *cm = CMSG_FIRSTHDR(&msg);

        if (cm == NULL || cm->cmsg_level != SOL_SOCKET
            || cm->cmsg_type != SCM_RIGHTS)
        {
            continue;          /* a probe, or noise */
        }

        int  fd;

        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        handoff_adopt(pt_cycle, fd, data, (size_t) n);
    }
}


static pt_connection_t  *handoff_conn;


int
pt_handoff_worker_init(pt_cycle_t *cycle)
{
    if (handoff_rx == -1) {
        return PT_OK;
    }

    pt_connection_t  *c = pt_get_connection(handoff_rx, cycle->log);

    if (c == NULL) {
        return PT_ERROR;
    }

    handoff_conn = c;
    c->read->handler = handoff_receive;
    c->write->handler = pt_handoff_ignore;
    c->read->log = c->write->log = cycle->log;
    c->log = cycle->log;

    return pt_epoll_add_connection(c);
}


void
pt_handoff_ignore(pt_event_t *ev)
{
}


void
pt_handoff_worker_stop(bool reload)
{
    /* A retiring worker takes no more connections (nor counts this one). */
    if (handoff_conn) {
        pt_close_connection(handoff_conn);
        handoff_conn = NULL;
    }

    /* Only a reload has a next generation to take the idle ones. */
    handoff_target = reload && handoff_tx != -1;
}


bool
pt_handoff_send(pt_connection_t *c)
{
    pt_buf_t  *b = c->buffer;
    size_t     n = b ? (size_t) (b->last - b->pos) : 0;

    if (!handoff_target || c->ssl || n > HANDOFF_MAX_DATA) {
        return false;
    }

    union {
        struct cmsghdr  cm;
        char            space[CMSG_SPACE(sizeof(int))];
    }              control;
    struct iovec   iov = { n ? b->pos : (u_char *) "", n };
    struct msghdr  msg = { .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = &control,
                           .msg_controllen = sizeof(control) };

    memset(&control, 0, sizeof(control));
    control.cm.cmsg_len = CMSG_LEN(sizeof(int));
    control.cm.cmsg_level = SOL_SOCKET;
    control.cm.cmsg_type = SCM_RIGHTS;
    memcpy(CMSG_DATA(&control.cm), &c->fd, sizeof(int));

    if (sendmsg(handoff_tx, &msg, MSG_NOSIGNAL) == -1) {
        pt_log_error(PT_LOG_INFO, c->log, errno, "handing a connection to the "
                     "new workers failed, closing it");
        return false;
    }

    return true;
}


bool
pt_handoff_available(void)
{
    return handoff_target;
}
