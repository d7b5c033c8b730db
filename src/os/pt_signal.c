/* SPDX-License-Identifier: BSD-2-Clause */
/* Signal handlers: they only set flags that the loops act on. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"
#include "pt_process.h"

volatile sig_atomic_t  pt_sig_reap;
volatile sig_atomic_t  pt_sig_quit;
volatile sig_atomic_t  pt_sig_terminate;
volatile sig_atomic_t  pt_sig_reconfigure;
volatile sig_atomic_t  pt_sig_reopen;
volatile sig_atomic_t  pt_sig_usr2;
volatile sig_atomic_t  pt_sig_winch;
volatile sig_atomic_t  pt_sig_quit_reload;


/*
 * A worker told to QUIT by the next image of its master (sigqueue with
 * PT_QUIT_RELOAD) retires for a reload and hands its idle connections on;
 * any other QUIT is a plain graceful stop.
 */
static bool
signal_is_reload_quit(const siginfo_t *si)
{
    return si != NULL && si->si_code == SI_QUEUE
           && si->si_value.sival_int == PT_QUIT_RELOAD
           && si->si_pid == getppid();
}


static void
signal_handler(int signo, siginfo_t *si, void *unused)
{
    int  saved = errno;

    (void) unused;

    if (pt_process == PT_PROCESS_WORKER) {
        switch (signo) {
        case SIGQUIT:
            if (signal_is_reload_quit(si)) {
                pt_sig_quit_reload = 1;
            }
            pt_quit = 1;
            break;
        case SIGTERM: case SIGINT:
            pt_terminate = 1;
            break;
        case SIGUSR1:
            pt_reopen = 1;
            break;
        }
    } else {
        switch (signo) {
        case SIGQUIT:
            pt_sig_quit = 1;
            break;
        case SIGTERM: case SIGINT:
            pt_sig_terminate = 1;
            break;
        case SIGHUP:
            pt_sig_reconfigure = 1;
            break;
        case SIGUSR1:
            pt_sig_reopen = 1;
            break;
        case SIGCHLD:
            pt_sig_reap = 1;
            break;
        case SIGUSR2:
            pt_sig_usr2 = 1;
            break;
        case SIGWINCH:
            pt_sig_winch = 1;
            break;
        }
    }

    errno = saved;
}


int
pt_signals_init(pt_log_t *log)
{
    static const int  sigs[] = {
        SIGQUIT, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD, SIGALRM,
        SIGUSR2, SIGWINCH
    };
    struct sigaction  sa = { 0 };

    sa.sa_sigaction = signal_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);

    for (size_t i = 0; i < pt_nelts(sigs); i++) {
        if (sigaction(sigs[i], &sa, NULL) == -1) {
            pt_log_error(PT_LOG_EMERG, log, errno, "sigaction(%d) failed",
                         sigs[i]);
            return PT_ERROR;
        }
    }

    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    (void) sigaction(SIGPIPE, &sa, NULL);

    return PT_OK;
}
