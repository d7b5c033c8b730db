/* SPDX-License-Identifier: BSD-2-Clause */
/* Detaching into the background for `daemon on`. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_process.h"


int
pt_daemon(pt_log_t *log)
{
    int  fd;

    switch (fork()) {
    case -1:
        pt_log_error(PT_LOG_EMERG, log, errno, "fork() failed");
        return PT_ERROR;
    case 0:
        break;
    default:
        /* The parent has nothing to clean up: its pool dies with it. */
        _exit(0);
    }

    pt_pid = getpid();

    if (setsid() == -1) {
        pt_log_error(PT_LOG_EMERG, log, errno, "setsid() failed");
        return PT_ERROR;
    }

    umask(0);

    fd = open("/dev/null", O_RDWR);
    if (fd == -1) {
        pt_log_error(PT_LOG_EMERG, log, errno, "open(\"/dev/null\") failed");
        return PT_ERROR;
    }

    (void) dup2(fd, STDIN_FILENO);
    (void) dup2(fd, STDOUT_FILENO);

    if (fd > STDERR_FILENO) {
        close(fd);
    }

    return PT_OK;
}
