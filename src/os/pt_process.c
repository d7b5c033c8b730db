/* SPDX-License-Identifier: BSD-2-Clause */
/* Start-up to the point of serving, and the life of a worker process. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"
#include "pt_process.h"

pt_process_t  pt_processes[PT_MAX_PROCESSES];
size_t        pt_nprocesses;


int
pt_process_run(pt_cycle_t *cycle)
{
    pt_core_conf_t  *ccf = pt_core_conf(cycle);

    if (pt_signals_init(cycle->log) != PT_OK) {
        return 1;
    }

    if (pt_reload_inherit(cycle) != PT_OK) {
        return 1;
    }

    /* Zones exist before any worker forks (and survive from a reload). */
    if (pt_shm_zones_init(cycle) != PT_OK) {
        return 1;
    }

    /*
     * Bind before detaching, as nginx does: a port in use must fail the
     * command the administrator typed, not a background child.
     */
    if (pt_cycle_open_listeners(cycle) != PT_OK) {
        return 1;
    }

    /* Module start-up in the master (temp folders ...), never with -t. */
    for (size_t i = 0; pt_modules[i]; i++) {
        if (pt_modules[i]->init_module
            && pt_modules[i]->init_module(cycle) != PT_OK)
        {
            return 1;
        }
    }

    /* A re-executed image is already the daemon (same PID). */
    if (ccf->daemon && !pt_inherited && pt_daemon(cycle->log) != PT_OK) {
        return 1;
    }

    if (pt_cycle_write_pid(cycle) != PT_OK) {
        return 1;
    }
    pt_reload_move_pid(cycle);

    /* From here on the error log, not the terminal, hears about problems. */
    pt_use_stderr = false;

    if (ccf->master) {
        pt_master_process_cycle(cycle);
    }

    pt_single_process_cycle(cycle);
}


static void
worker_drop_privileges(pt_cycle_t *cycle)
{
    pt_core_conf_t  *ccf = pt_core_conf(cycle);

    if (ccf->rlimit_nofile > 0) {
        struct rlimit  rl = { (rlim_t) ccf->rlimit_nofile,
                              (rlim_t) ccf->rlimit_nofile };

        if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
            pt_log_error(PT_LOG_ALERT, cycle->log, errno,
                         "setrlimit(RLIMIT_NOFILE, %d) failed",
                         ccf->rlimit_nofile);
        }
    }

    if (geteuid() != 0 || !ccf->user_set) {
        return;
    }

    if (setgid(ccf->group) == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "setgid(%d) failed",
                     (int) ccf->group);
        exit(2);
    }

    if (pt_groups_apply(cycle) != PT_OK) {
        exit(2);
    }

    if (setuid(ccf->user) == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "setuid(%d) failed",
                     (int) ccf->user);
        exit(2);
    }
}


static void
worker_init(pt_cycle_t *cycle, unsigned number)
{
    sigset_t  set;

    pt_process = PT_PROCESS_WORKER;
    pt_worker = number;
    pt_pid = getpid();

    sigemptyset(&set);
    if (sigprocmask(SIG_SETMASK, &set, NULL) == -1) {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno, "sigprocmask() failed");
    }

    worker_drop_privileges(cycle);

    /* Modules start after the loop (as nginx): they may add timers. */
    if (pt_event_process_init(cycle) != PT_OK) {
        exit(2);
    }

    for (size_t i = 0; pt_modules[i]; i++) {
        if (pt_modules[i]->init_process
            && pt_modules[i]->init_process(cycle) != PT_OK)
        {
            exit(2);
        }
    }

    if (pt_handoff_worker_init(cycle) != PT_OK) {
        exit(2);
    }
}


static void
worker_exit(pt_cycle_t *cycle)
{
    for (size_t i = 0; pt_modules[i]; i++) {
        if (pt_modules[i]->exit_process) {
            pt_modules[i]->exit_process(cycle);
        }
    }

    pt_cycle_flush_files(cycle);
    pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "exit");
    exit(0);
}


static void
worker_shutdown_timer(pt_event_t *ev)
{
    pt_log_error(PT_LOG_WARN, ev->log, 0, "worker_shutdown_timeout expired, "
                 "closing %zu connections",
                 pt_cycle->connection_n - pt_cycle->free_connection_n);
    pt_terminate = 1;
}


/* Starts a graceful exit: stop accepting, close idle connections. */
static void
worker_begin_quit(pt_cycle_t *cycle)
{
    static pt_event_t  shutdown_ev;
    pt_core_conf_t    *ccf = pt_core_conf(cycle);

    pt_exiting = true;
    pt_setproctitle("worker process is shutting down");
    pt_event_close_listeners(cycle);
    /* After a reload, idle connections go on with the new workers. */
    pt_handoff_worker_stop(pt_process == PT_PROCESS_WORKER
                           && pt_sig_quit_reload);

    bool  handoff = pt_handoff_available();

    while (!pt_queue_empty(&cycle->reusable_connections)) {
        pt_queue_t       *q = pt_queue_head(&cycle->reusable_connections);
        pt_connection_t  *c = pt_queue_data(q, pt_connection_t, queue);

        /*
         * Handed over or not, our copy closes: its read handler sees
         * close.  Without a new generation (a plain QUIT) the idle
         * connection just closes, as in nginx.
         */
        if (handoff && c->ssl) {
            /*
             * A TLS session cannot move: the connection stays until its
             * keepalive_timeout, or answers one more request with
             * "Connection: close", so no request races a close.
             */
            pt_reusable_connection(c, false);
            continue;
        }

        if (handoff) {
            (void) pt_handoff_send(c);
        }

        pt_reusable_connection(c, false);
        c->close = 1;
        c->read->handler(c->read);
    }

    if (ccf->shutdown_timeout) {
        shutdown_ev.handler = worker_shutdown_timer;
        shutdown_ev.log = cycle->log;
        shutdown_ev.cancelable = 1;
        pt_add_timer(&shutdown_ev, ccf->shutdown_timeout);
    }
}


static bool
worker_idle(pt_cycle_t *cycle)
{
    /* Cached backend connections close with the process. */
    return cycle->free_connection_n + pt_cached_connections
           == cycle->connection_n;
}


void
pt_worker_process_cycle(pt_cycle_t *cycle, unsigned number)
{
    worker_init(cycle, number);
    pt_setproctitle("worker process");

    for ( ;; ) {
        if (pt_terminate) {
            worker_exit(cycle);
        }

        if (pt_quit && !pt_exiting) {
            pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "gracefully shutting down");
            worker_begin_quit(cycle);
            continue;
        }

        if (pt_exiting && worker_idle(cycle)) {
            worker_exit(cycle);
        }

        if (pt_reopen) {
            pt_reopen = 0;
            pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "reopening logs");
            pt_cycle_reopen_files(cycle);
        }

        pt_process_events_and_timers(cycle);
    }
}


void
pt_single_process_cycle(pt_cycle_t *cycle)
{
    pt_process = PT_PROCESS_SINGLE;

    if (pt_event_process_init(cycle) != PT_OK) {
        exit(2);
    }

    for (size_t i = 0; pt_modules[i]; i++) {
        if (pt_modules[i]->init_process
            && pt_modules[i]->init_process(cycle) != PT_OK)
        {
            exit(2);
        }
    }

    pt_notify(cycle->log, "READY=1\nSTATUS=serving (single process)\n"
              "MAINPID=%d", (int) pt_pid);

    for ( ;; ) {
        pt_quit |= pt_sig_quit;
        pt_terminate |= pt_sig_terminate;

        if (pt_sig_reopen) {
            pt_sig_reopen = 0;
            pt_cycle_reopen_files(cycle);
        }

        if (pt_terminate || (pt_quit && pt_exiting && worker_idle(cycle))) {
            pt_cycle_flush_files(cycle);
            pt_cycle_delete_pid(cycle);
            pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "exit");
            exit(0);
        }

        if (pt_quit && !pt_exiting) {
            worker_begin_quit(cycle);
            continue;       /* maybe idle already: check before waiting */
        }

        pt_process_events_and_timers(cycle);
    }
}


/* A free slot of pt_processes, or PT_MAX_PROCESSES when none is left. */
static size_t
process_slot(void)
{
    size_t  s;

    for (s = 0; s < pt_nprocesses; s++) {
        if (pt_processes[s].pid == -1) {
            break;
        }
    }

    return s;
}


void
pt_process_adopt_retiring(pid_t pid)
{
    size_t  s = process_slot();

    if (s == PT_MAX_PROCESSES) {
        return;
    }

    pt_processes[s] = (pt_process_t) { .pid = pid, .exiting = 1,
                                       .started = pt_current_msec };
    if (s == pt_nprocesses) {
        pt_nprocesses++;
    }
}


int
pt_spawn_worker(pt_cycle_t *cycle, unsigned number)
{
    size_t  s = process_slot();

    if (s == PT_MAX_PROCESSES) {
        pt_log_error(PT_LOG_ALERT, cycle->log, 0, "no more than %d processes "
                     "can be spawned", PT_MAX_PROCESSES);
        return PT_ERROR;
    }

    pid_t  pid = fork();

    if (pid == -1) {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno,
                     "fork() failed while spawning \"worker process\"");
        return PT_ERROR;
    }

    if (pid == 0) {
        pt_worker_process_cycle(cycle, number);
    }

    pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "start worker process %d",
                 (int) pid);

    pt_processes[s] = (pt_process_t) { .pid = pid, .number = number,
                                       .started = pt_current_msec,
                                       .respawn = 1 };
    if (s == pt_nprocesses) {
        pt_nprocesses++;
    }

    return PT_OK;
}
