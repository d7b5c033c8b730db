/* SPDX-License-Identifier: BSD-2-Clause */
/* Processes: daemon, master, workers, and the signals between them. */
#ifndef PT_PROCESS_H
#define PT_PROCESS_H

#define PT_MAX_PROCESSES  1024

typedef struct {
    pid_t      pid;
    int        status;
    unsigned   number;          /* worker slot */
    pt_msec_t  started;
    unsigned   exiting:1;       /* told to QUIT/TERM */
    unsigned   exited:1;
    unsigned   respawn:1;
} pt_process_t;

extern pt_process_t   pt_processes[PT_MAX_PROCESSES];
extern size_t         pt_nprocesses;

/* Master-side signal flags (set by handlers). */
extern volatile sig_atomic_t  pt_sig_reap;
extern volatile sig_atomic_t  pt_sig_quit;
extern volatile sig_atomic_t  pt_sig_terminate;
extern volatile sig_atomic_t  pt_sig_reconfigure;
extern volatile sig_atomic_t  pt_sig_reopen;
extern volatile sig_atomic_t  pt_sig_usr2;
extern volatile sig_atomic_t  pt_sig_winch;
extern volatile sig_atomic_t  pt_sig_quit_reload;  /* worker: QUIT of a reload */

/* The value a new image's QUIT to the old workers carries (sigqueue). */
#define PT_QUIT_RELOAD  0x70726c64

/*
 * Starts serving: daemonizes when configured, binds listeners, writes the
 * pid file, then runs the master (or single) process loop.  Returns the
 * exit status.
 */
int pt_process_run(pt_cycle_t *cycle);

/*
 * Counts a previous generation's worker, told to QUIT, among this master's
 * processes: waited for on quit, signalled on stop, never respawned.
 */
void pt_process_adopt_retiring(pid_t pid);

/* Installs the handlers for the signals the master and workers use. */
int pt_signals_init(pt_log_t *log);

/* Forks into the background (daemon on); PT_OK in the child. */
int pt_daemon(pt_log_t *log);

/* The master loop: spawns workers, handles signals, never returns. */
void pt_master_process_cycle(pt_cycle_t *cycle) __attribute__((noreturn));

/* Runs one worker (already forked). */
void pt_worker_process_cycle(pt_cycle_t *cycle, unsigned number)
    __attribute__((noreturn));

/* daemon-less, master-less mode (master_process off). */
void pt_single_process_cycle(pt_cycle_t *cycle) __attribute__((noreturn));

/* Forks worker number; PT_OK or PT_ERROR. */
int pt_spawn_worker(pt_cycle_t *cycle, unsigned number);

/*
 * SIGHUP: checks the new config with `<binary> -t` in a child, then
 * re-executes the program in place (same PID), handing over the listening
 * sockets and the old workers, which the new image tells to QUIT once its
 * own workers run.  On any failure the old configuration keeps serving.
 */
void pt_master_reload(pt_cycle_t *cycle);

/* Remembers argv and the absolute program path for pt_master_reload. */
int pt_reload_init(int argc, char **argv, pt_log_t *log);

/*
 * In a re-executed image: adopts inherited listeners matching the config
 * (closing the rest) and returns the old workers to retire, from
 * PORTICO_INHERIT.  PT_OK when there was nothing to inherit too.
 */
int pt_reload_inherit(pt_cycle_t *cycle);

/*
 * After the pid file is written: a reload that gave it another path
 * removes the previous image's one, as nginx does.
 */
void pt_reload_move_pid(pt_cycle_t *cycle);

/* Tells the previous generation's workers to finish (QUIT). */
void pt_reload_retire_old(pt_cycle_t *cycle);

/* True when this image was started by a reload. */
extern bool  pt_inherited;

/*
 * systemd's notify protocol: one datagram ("READY=1", "RELOADING=1\n
 * MONOTONIC_USEC=...", "STOPPING=1", "STATUS=...") to $NOTIFY_SOCKET;
 * nothing when it is unset.
 */
void pt_notify(pt_log_t *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
uint64_t pt_notify_monotonic_usec(void);

/*
 * The reload handoff (pt_handoff.c): one unnamed datagram socket pair,
 * made by the first master and inherited by every later image
 * (PORTICO_INHERIT "hand=TX,RX").  Serving workers take connections from
 * it; a worker retiring for a reload sends it its idle connections (true
 * when sent: the caller then closes its own copy).
 */
int pt_handoff_init(pt_cycle_t *cycle);
void pt_handoff_inherit(const char *spec);
u_char *pt_handoff_describe(u_char *p, u_char *last);
int pt_handoff_cloexec(bool on);
int pt_handoff_worker_init(pt_cycle_t *cycle);
void pt_handoff_ignore(pt_event_t *ev);
void pt_handoff_worker_stop(bool reload);
bool pt_handoff_send(pt_connection_t *c);
bool pt_handoff_available(void);

/*
 * Supplementary groups for `user` (pt_groups.c): the master looks them up
 * (prepare) before forking workers, or takes them from the previous image
 * (inherit, "grp=" of PORTICO_INHERIT); a reload looks them up again while
 * its `-t` check runs (refresh) and passes them on (describe); a worker
 * sets them (apply: setgroups, or initgroups when none were looked up);
 * once a reload is over the master loads the NSS modules again (warm).
 */
void pt_groups_prepare(pt_cycle_t *cycle);
void pt_groups_refresh(pt_cycle_t *cycle);
void pt_groups_warm(pt_cycle_t *cycle);
u_char *pt_groups_describe(u_char *p, u_char *last);
void pt_groups_inherit(const char *spec);
int pt_groups_apply(pt_cycle_t *cycle);

/* Sets the process title shown by ps ("portico: worker process"). */
void pt_setproctitle(const char *title);
void pt_init_setproctitle(int argc, char **argv);

#endif /* PT_PROCESS_H */
