/* SPDX-License-Identifier: BSD-2-Clause */
/* Reload handoff: idle keep-alive connections move to the new workers. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"
#include "pt_process.h"

/*
 * Each generation's master binds a datagram socket at an abstract address
 * named after its PID and generation; its workers inherit it and share the
 * messages.  A retiring worker of the previous generation sends each idle
 * connection there (the descriptor by SCM_RIGHTS, with any bytes it had
 * already read), so a client reusing its connection during a reload is
 * served instead of reset.
 */

#define HANDOFF_MAX_DATA   16384
#define HANDOFF_SEND_WAIT  1          /* seconds a send may block */

unsigned  pt_generation;

static int       handoff_fd = -1;
static bool      handoff_target;      /* a next generation listens */
static unsigned  handoff_next;        /* the generation that took the last */

/* Reloads in quick succession: the newest generation may be a few ahead. */
#define HANDOFF_MAX_SKIP  64


static socklen_t
handoff_address(struct sockaddr_un *sun, pid_t master, unsigned gen)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;

    /* An abstract name: nothing in the file system to clean up. */
    int  n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
                      "portico-handoff-%d-%u", (int) master, gen);

    return (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n);
}


int
pt_handoff_init(pt_cycle_t *cycle)
{
    struct sockaddr_un  sun;
    socklen_t           len = handoff_address(&sun, getpid(), pt_generation);

    handoff_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (handoff_fd == -1) {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno, "socket(AF_UNIX) failed, "
                     "reloads will close idle connections");
        return PT_OK;
    }

    if (bind(handoff_fd, (struct sockaddr *) &sun, len) == -1) {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno, "bind() of the handoff "
                     "socket failed, reloads will close idle connections");
        close(handoff_fd);
        handoff_fd = -1;
    }

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
        ssize_t        n = recvmsg(handoff_fd, &msg, MSG_CMSG_CLOEXEC);

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
    if (handoff_fd == -1) {
        return PT_OK;
    }

    pt_connection_t  *c = pt_get_connection(handoff_fd, cycle->log);

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
pt_handoff_worker_stop(void)
{
    /* A retiring worker takes no more connections (nor counts this one). */
    if (handoff_conn) {
        pt_close_connection(handoff_conn);
        handoff_conn = NULL;
    }
}


/*
 * Sends msg to the newest generation: starting from the one that took the
 * last connection, a generation whose socket is gone (it was itself
 * replaced by a later reload) refuses, and the next one is tried.
 */
static bool
handoff_sendmsg(int fd, struct msghdr *msg)
{
    struct sockaddr_un  sun;
    unsigned            gen = handoff_next ? handoff_next : pt_generation + 1;

    msg->msg_name = &sun;

    for (unsigned n = 0; n < HANDOFF_MAX_SKIP; n++, gen++) {
        msg->msg_namelen = handoff_address(&sun, getppid(), gen);

        bool  sent = sendmsg(fd, msg, MSG_NOSIGNAL) >= 0;

        if (sent || (errno != ECONNREFUSED && errno != ENOENT)) {
            msg->msg_name = NULL;    /* sun is ours alone */
            if (sent) {
                handoff_next = gen;
            }
            return sent;
        }
    }

    msg->msg_name = NULL;
    return false;
}


/* A retiring worker: is a next generation there to take connections? */
bool
pt_handoff_probe(void)
{
    struct iovec   iov = { (u_char *) "", 0 };
    struct msghdr  msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    int            fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd == -1) {
        return false;
    }

    handoff_target = handoff_sendmsg(fd, &msg);
    close(fd);
    return handoff_target;
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

    /* Blocking with a bound: the new workers drain the queue quickly. */
    int             fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct timeval  tv = { HANDOFF_SEND_WAIT, 0 };

    if (fd == -1) {
        return false;
    }

    (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    bool  sent = handoff_sendmsg(fd, &msg);

    if (!sent) {
        pt_log_error(PT_LOG_INFO, c->log, errno, "handing a connection to the "
                     "new workers failed, closing it");
    }

    close(fd);
    return sent;
}


bool
pt_handoff_available(void)
{
    return handoff_target;
}
