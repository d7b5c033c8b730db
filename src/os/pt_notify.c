/* SPDX-License-Identifier: BSD-2-Clause */
/* systemd's notify protocol, spoken directly on $NOTIFY_SOCKET. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_process.h"

#define NOTIFY_ENV  "NOTIFY_SOCKET"


/*
 * Sends one datagram to $NOTIFY_SOCKET ("/path" or "@abstract"); silent
 * when the variable is unset, as under any supervisor but systemd.
 */
void
pt_notify(pt_log_t *log, const char *fmt, ...)
{
    const char          *path = getenv(NOTIFY_ENV);
    struct sockaddr_un   sun = { .sun_family = AF_UNIX };
    char                 msg[512];
    va_list              args;
    int                  fd;

    if (path == NULL || path[0] == '\0') {
        return;
    }

    size_t  len = strlen(path);

    if (len >= sizeof(sun.sun_path) || (path[0] != '/' && path[0] != '@')) {
        pt_log_error(PT_LOG_ALERT, log, 0, "invalid %s \"%s\"", NOTIFY_ENV,
                     path);
        return;
    }

    memcpy(sun.sun_path, path, len);
    if (path[0] == '@') {
        sun.sun_path[0] = '\0';      /* an abstract socket */
    }

    va_start(args, fmt);
    int  n = vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    if (n < 0 || (size_t) n >= sizeof(msg)) {
        return;
    }

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        pt_log_error(PT_LOG_ALERT, log, errno, "socket(AF_UNIX) failed");
        return;
    }

    if (sendto(fd, msg, (size_t) n, MSG_NOSIGNAL, (struct sockaddr *) &sun,
               (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len)) == -1)
    {
        pt_log_error(PT_LOG_ALERT, log, errno, "sendto(\"%s\") failed", path);
    }

    close(fd);
}


/* CLOCK_MONOTONIC in microseconds, for RELOADING=1's MONOTONIC_USEC. */
uint64_t
pt_notify_monotonic_usec(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}
