/* SPDX-License-Identifier: BSD-2-Clause */
/* The cycle: one running configuration with everything it owns. */
#ifndef PT_CYCLE_H
#define PT_CYCLE_H

typedef struct {
    int          daemon;
    int          master;
    int          worker_processes;     /* resolved from auto */
    pt_msec_t    shutdown_timeout;
    int          rlimit_nofile;
    pt_str_t     pid;                  /* absolute */
    pt_str_t     user_name;
    uid_t        user;
    gid_t        group;
    int          user_set;
    pt_log_t    *error_log;            /* main-level error_log chain */
} pt_core_conf_t;

struct pt_cycle_s {
    pt_pool_t          *pool;
    pt_log_t           *log;           /* the error_log chain */
    pt_log_t            new_log;       /* main-level error_log */
    void              **conf_ctx;      /* per module index (core/event) */
    void               *http_ctx;      /* pt_http_conf_ctx_t of http { } */

    pt_array_t          listening;     /* of pt_listening_t */
    pt_array_t          open_files;    /* of pt_open_file_t * */
    pt_array_t          config_dump;   /* of pt_conf_dump_t, for -T */
    pt_array_t          shm_zones;     /* of pt_shm_zone_t * */

    pt_connection_t    *connections;
    pt_connection_t    *free_connections;
    size_t              connection_n;
    size_t              connection_fresh;  /* entries from here never used */
    size_t              free_connection_n; /* free list + never used */
    pt_event_t         *read_events;
    pt_event_t         *write_events;
    pt_queue_t          reusable_connections;

    pt_str_t            conf_file;     /* absolute */
    pt_str_t            conf_prefix;   /* folder of conf_file, with '/' */
    pt_str_t            prefix;        /* with '/' */
    pt_str_t            error_log;     /* -e or default, absolute or stderr */
    pt_str_t            conf_param;    /* -g */
    pt_str_t            hostname;
};

typedef struct {
    pt_str_t   name;
    pt_str_t   content;
} pt_conf_dump_t;

#define pt_core_conf(cycle)                                                  \
    ((pt_core_conf_t *) (cycle)->conf_ctx[pt_core_module.index])

extern pt_module_t    pt_core_module;
extern pt_cycle_t    *pt_cycle;
extern unsigned       pt_process;       /* PT_PROCESS_* */
extern unsigned       pt_worker;        /* worker number */
extern pid_t          pt_pid;
extern bool           pt_test_config;
extern bool           pt_quiet_mode;
extern bool           pt_dump_config;

#define PT_PROCESS_SINGLE   0
#define PT_PROCESS_MASTER   1
#define PT_PROCESS_WORKER   2

typedef struct {
    pt_str_t   prefix;
    pt_str_t   conf_file;
    pt_str_t   error_log;
    pt_str_t   conf_param;
} pt_cycle_args_t;

/*
 * Builds a cycle: parses the config, runs init_conf hooks, opens log
 * files.  It does not bind sockets (pt_cycle_open_listeners does).
 * NULL on failure, the reason already reported.
 */
pt_cycle_t *pt_cycle_init(const pt_cycle_args_t *args, pt_log_t *log);

/* Binds or adopts the listeners; PT_OK or PT_ERROR (reported). */
int pt_cycle_open_listeners(pt_cycle_t *cycle);

/* Registers a file (error/access log) to open and reopen on USR1. */
pt_open_file_t *pt_cycle_open_file(pt_cycle_t *cycle, const pt_str_t *name);

/* Opens all registered files; PT_OK or PT_ERROR (reported). */
int pt_cycle_open_files(pt_cycle_t *cycle);

/* Reopens every registered file (USR1), logging failures. */
void pt_cycle_reopen_files(pt_cycle_t *cycle);

/* Flushes buffered files (access logs) before exit. */
void pt_cycle_flush_files(pt_cycle_t *cycle);

/* pid file: write (PT_OK/PT_ERROR) and delete. */
int pt_cycle_write_pid(pt_cycle_t *cycle);
void pt_cycle_delete_pid(pt_cycle_t *cycle);

/*
 * Parses `error_log file [level]` arguments into a new log appended to
 * *head (shared by the main and http levels).  PT_OK or PT_ERROR.
 */
int pt_conf_set_error_log(pt_conf_t *cf, pt_log_t **head);

/* Reads the pid file and sends the -s signal; returns exit status. */
int pt_cycle_signal_process(pt_cycle_t *cycle, const char *sig);

#endif /* PT_CYCLE_H */
