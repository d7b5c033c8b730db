/* SPDX-License-Identifier: BSD-2-Clause */
/* The master: spawns workers, relays signals, respawns, and never serves. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"
#include "pt_process.h"

/* A worker that dies sooner than this after start counts as crash-looping. */
#define MASTER_RESPAWN_WINDOW  1000
#define MASTER_RESPAWN_BURST   10


static void
master_signal_workers(pt_cycle_t *cycle, int signo)
{
    for (size_t i = 0; i < pt_nprocesses; i++) {
        pt_process_t  *p = &pt_processes[i];

        if (p->pid == -1 || p->exited) {
            continue;
        }

        if (signo == SIGQUIT || signo == SIGTERM) {
            p->exiting = 1;
        }

        if (kill(p->pid, signo) == -1 && errno != ESRCH) {
            pt_log_error(PT_LOG_ALERT, cycle->log, errno, "kill(%d, %d) failed",
                         (int) p->pid, signo);
        }
    }
}


static void
master_log_exit(pt_cycle_t *cycle, pid_t pid, int status)
{
    if (WIFSIGNALED(status)) {
        pt_log_error(PT_LOG_ALERT, cycle->log, 0,
                     "worker process %d exited on signal %d%s", (int) pid,
                     WTERMSIG(status),
                     WCOREDUMP(status) ? " (core dumped)" : "");
    } else if (WEXITSTATUS(status) == 2) {
        pt_log_error(PT_LOG_ALERT, cycle->log, 0,
                     "worker process %d exited with fatal code %d and "
                     "cannot be respawned", (int) pid, WEXITSTATUS(status));
    } else if (WEXITSTATUS(status) != 0) {
        pt_log_error(PT_LOG_ALERT, cycle->log, 0,
                     "worker process %d exited with code %d", (int) pid,
                     WEXITSTATUS(status));
    } else {
        pt_log_error(PT_LOG_NOTICE, cycle->log, 0,
                     "worker process %d exited with code 0", (int) pid);
    }
}


static size_t
master_alive(void)
{
    size_t  alive = 0;

    for (size_t i = 0; i < pt_nprocesses; i++) {
        alive += pt_processes[i].pid != -1;
    }

    return alive;
}


/* Workers of a previous generation still draining. */
static size_t
master_retiring(void)
{
    size_t  n = 0;

    for (size_t i = 0; i < pt_nprocesses; i++) {
        n += pt_processes[i].pid != -1 && pt_processes[i].exiting;
    }

    return n;
}


/* Collects exited workers; returns how many are still alive. */
static size_t
master_reap(pt_cycle_t *cycle, unsigned *respawn, size_t *nrespawn)
{
    pid_t  pid;
    int    status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        /* Also a previous generation's worker: undo what it held. */
        pt_shm_zones_process_exited(cycle, pid);

        for (size_t i = 0; i < pt_nprocesses; i++) {
            pt_process_t  *p = &pt_processes[i];

            if (p->pid != pid) {
                continue;
            }

            master_log_exit(cycle, pid, status);

            /*
             * A worker that goes away unasked is replaced, unless it said
             * (exit code 2) that it cannot start at all: that would loop.
             */
            bool  fatal = WIFEXITED(status) && WEXITSTATUS(status) == 2;

            if (!fatal && !p->exiting && *nrespawn < PT_MAX_PROCESSES) {
                respawn[(*nrespawn)++] = p->number;
            }

            p->pid = -1;
            p->exited = 1;
        }
    }

    return master_alive();
}


static void
master_respawn(pt_cycle_t *cycle, const unsigned *respawn, size_t n)
{
    static pt_msec_t  window_start;
    static unsigned   in_window;

    for (size_t i = 0; i < n; i++) {
        if (pt_current_msec - window_start > MASTER_RESPAWN_WINDOW) {
            window_start = pt_current_msec;
            in_window = 0;
        }

        if (++in_window > MASTER_RESPAWN_BURST) {
            /* A crash loop: slow down rather than fork-bomb the machine. */
            pt_log_error(PT_LOG_ALERT, cycle->log, 0, "workers keep dying, "
                         "respawning in 1s");
            sleep(1);
            pt_time_update();
            window_start = pt_current_msec;
            in_window = 0;
        }

        (void) pt_spawn_worker(cycle, respawn[i]);
    }
}


static void
master_exit(pt_cycle_t *cycle)
{
    pt_cycle_delete_pid(cycle);
    pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "exit");
    pt_cycle_flush_files(cycle);
    exit(0);
}


static void
master_start_workers(pt_cycle_t *cycle)
{
    pt_core_conf_t  *ccf = pt_core_conf(cycle);

    for (int i = 0; i < ccf->worker_processes; i++) {
        (void) pt_spawn_worker(cycle, (unsigned) i);
    }
}


void
pt_master_process_cycle(pt_cycle_t *cycle)
{
    sigset_t   set, empty;
    unsigned   respawn[PT_MAX_PROCESSES];
    bool       terminating = false, quitting = false;
    pt_msec_t  kill_at = 0;

    pt_process = PT_PROCESS_MASTER;

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGWINCH);
    sigemptyset(&empty);

    if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno, "sigprocmask() failed");
    }

    pt_setproctitle("master process");

    /* Before the workers fork: they inherit it, the old ones find it. */
    (void) pt_handoff_init(cycle);
    pt_groups_prepare(cycle);
    master_start_workers(cycle);

    /* After a reload, the previous generation finishes what it has. */
    pt_reload_retire_old(cycle);
    pt_notify(cycle->log, "READY=1\nSTATUS=%s, %d worker process(es)\n"
              "MAINPID=%d", pt_inherited ? "reloaded" : "serving",
              pt_core_conf(cycle)->worker_processes, (int) pt_pid);

    for ( ;; ) {
        if (terminating) {
            /* Bound a fast stop: escalate to SIGKILL after a second. */
            struct itimerval  itv = { { 0, 0 }, { 0, 100000 } };

            (void) setitimer(ITIMER_REAL, &itv, NULL);
        }

        sigsuspend(&empty);
        pt_time_update();

        if (pt_sig_reap) {
            size_t  nrespawn = 0;

            pt_sig_reap = 0;

            size_t  alive = master_reap(cycle, respawn, &nrespawn);

            if (alive == 0 && (terminating || quitting)) {
                master_exit(cycle);
            }

            if (!terminating && !quitting) {
                master_respawn(cycle, respawn, nrespawn);

                /* The reload is over: prepare the next one (pt_groups.c). */
                if (master_retiring() == 0) {
                    pt_groups_warm(cycle);
                }
            }
        }

        if (terminating && pt_current_msec >= kill_at) {
            master_signal_workers(cycle, SIGKILL);
        }

        if (pt_sig_terminate && !terminating) {
            pt_sig_terminate = 0;
            terminating = true;
            kill_at = pt_current_msec + 1000;
            pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "signal %d received, "
                         "exiting", SIGTERM);
            pt_notify(cycle->log, "STOPPING=1\nSTATUS=stopping");
            master_signal_workers(cycle, SIGTERM);
        }

        if (pt_sig_quit && !quitting) {
            pt_sig_quit = 0;
            quitting = true;
            pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "gracefully shutting "
                         "down");
            pt_notify(cycle->log, "STOPPING=1\nSTATUS=finishing requests");
            master_signal_workers(cycle, SIGQUIT);
            pt_event_close_listeners(cycle);
        }

        if (pt_sig_reopen) {
            pt_sig_reopen = 0;
            pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "reopening logs");
            pt_cycle_reopen_files(cycle);
            master_signal_workers(cycle, SIGUSR1);
        }

        if (pt_sig_reconfigure) {
            pt_sig_reconfigure = 0;

            /* As nginx: a stop or quit under way is not undone by a reload. */
            if (terminating || quitting) {
                pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "reload ignored: "
                             "shutting down");
            } else {
                pt_master_reload(cycle);
            }
        }

        if (pt_sig_usr2 || pt_sig_winch) {
            /* nginx's two-step binary upgrade: one SIGHUP does it here. */
            pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "signal %d ignored: "
                         "SIGHUP reloads the configuration and the binary in "
                         "place, keeping the PID",
                         pt_sig_usr2 ? SIGUSR2 : SIGWINCH);
            pt_sig_usr2 = pt_sig_winch = 0;
        }

        /* Nothing left to wait for (workers may all be gone already). */
        if ((terminating || quitting) && master_alive() == 0) {
            master_exit(cycle);
        }
    }
}
