/* SPDX-License-Identifier: BSD-2-Clause */
/* The error log: nginx's line format and levels, chained per destination. */
#ifndef PT_LOG_H
#define PT_LOG_H

#define PT_LOG_STDERR   0
#define PT_LOG_EMERG    1
#define PT_LOG_ALERT    2
#define PT_LOG_CRIT     3
#define PT_LOG_ERR      4
#define PT_LOG_WARN     5
#define PT_LOG_NOTICE   6
#define PT_LOG_INFO     7
#define PT_LOG_DEBUG    8

#define PT_MAX_ERROR_STR  2048

/* Appends context (client, server, request ...) to a log line; returns end. */
typedef u_char *(*pt_log_handler_pt)(pt_log_t *log, u_char *buf, size_t len);

struct pt_open_file_s {
    int        fd;
    pt_str_t   name;        /* absolute path, NUL-terminated; "stderr" for 2 */
    u_char    *buffer;      /* access-log buffering (NULL: none) */
    u_char    *pos;
    u_char    *last;
    unsigned   is_stderr:1;
};

struct pt_log_s {
    unsigned            log_level;
    pt_open_file_t     *file;
    uint64_t            connection;   /* printed as *N when non-zero */
    pt_log_handler_pt   handler;
    void               *data;
    const char         *action;       /* "while reading client request headers" */
    pt_log_t           *next;         /* further error_log destinations */
};

extern const char  *pt_log_levels[];

#define pt_log_error(level, log, err, ...)                                   \
    do {                                                                     \
        if ((log)->log_level >= (level))                                     \
            pt_log_error_core(level, log, err, __VA_ARGS__);                 \
    } while (0)

#define pt_log_debug(log, ...)                                               \
    do {                                                                     \
        if ((log)->log_level >= PT_LOG_DEBUG)                                \
            pt_log_error_core(PT_LOG_DEBUG, log, 0, __VA_ARGS__);            \
    } while (0)

/*
 * Writes "YYYY/MM/DD HH:MM:SS [level] PID#TID: *CONN message[: (err: str)]"
 * plus the handler's context to every destination of log whose level
 * admits it.  Never fails; a short write is dropped.
 */
void pt_log_error_core(unsigned level, pt_log_t *log, int err,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "portico: [level] message" on stderr, for the command line and -t. */
void pt_log_stderr(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The bootstrap log (stderr, level NOTICE) used before a config exists. */
pt_log_t *pt_log_init(void);

/*
 * Points the bootstrap log at path (absolute, NUL-terminated, or "stderr")
 * so that config errors reach the error log as well as the terminal.
 * PT_OK, or PT_ERROR (stderr stays the destination, an alert is printed).
 */
int pt_log_open_default(const pt_str_t *path);

/* While true, messages at warn and above are echoed to the terminal. */
extern bool  pt_use_stderr;

/* Parses an error_log level name; -1 when unknown. */
int pt_log_level_parse(const pt_str_t *name);

#endif /* PT_LOG_H */
