/* SPDX-License-Identifier: BSD-2-Clause */
/* Error log lines in nginx's format, written to each configured destination. */
#include "pt_config.h"
#include "pt_core.h"

#include <sys/syscall.h>

const char  *pt_log_levels[] = {
    "", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"
};

bool  pt_use_stderr = true;

static pt_open_file_t  log_stderr_file = {
    .fd = STDERR_FILENO, .name = pt_string("stderr"), .is_stderr = 1
};

static pt_log_t  log_bootstrap = {
    .log_level = PT_LOG_NOTICE, .file = &log_stderr_file
};


pt_log_t *
pt_log_init(void)
{
    return &log_bootstrap;
}


int
pt_log_open_default(const pt_str_t *path)
{
    static pt_open_file_t  file;
    int                    fd;

    if (path->len == 6 && memcmp(path->data, "stderr", 6) == 0) {
        return PT_OK;
    }

    fd = open((const char *) path->data, O_WRONLY | O_APPEND | O_CREAT
              | O_CLOEXEC, 0644);
    if (fd == -1) {
        pt_log_stderr(errno, "[alert] could not open error log file: "
                      "open() \"%s\" failed", (const char *) path->data);
        return PT_ERROR;
    }

    file.fd = fd;
    file.name = *path;
    log_bootstrap.file = &file;
    return PT_OK;
}


int
pt_log_level_parse(const pt_str_t *name)
{
    for (int i = 1; i < (int) pt_nelts(pt_log_levels); i++) {
        if (pt_str_caseeq_lit(name, pt_log_levels[i])) {
            return i;
        }
    }

    return -1;
}


static u_char *
log_errno(u_char *p, u_char *last, int err)
{
    char  buf[256];

    const char *s = strerror_r(err, buf, sizeof(buf));
    return pt_snprintf(p, last, " (%d: %s)", err, s);
}


static u_char *
log_format_line(u_char *buf, u_char *last, unsigned level, pt_log_t *log,
    int err, u_char **msg, const char *fmt, va_list args)
{
    u_char  *p = buf;

    p = pt_cpymem(p, pt_cached_err_log_time.data, pt_cached_err_log_time.len);
    p = pt_snprintf(p, last, " [%s] %d#%d: ", pt_log_levels[level],
                    (int) getpid(), 0);
    *msg = p;

    if (log->connection) {
        p = pt_snprintf(p, last, "*%llu ", (unsigned long long) log->connection);
    }

    p = pt_vsnprintf(p, last, fmt, args);

    if (err) {
        p = log_errno(p, last, err);
    }

    if (level != PT_LOG_DEBUG && log->handler) {
        p = log->handler(log, p, (size_t) (last - p));
    }

    return p;
}


void
pt_log_error_core(unsigned level, pt_log_t *log, int err, const char *fmt, ...)
{
    u_char   buf[PT_MAX_ERROR_STR];
    u_char  *p, *msg, *last = buf + sizeof(buf) - 1;
    va_list  args;
    bool     wrote_stderr = false;

    if (pt_cached_err_log_time.len == 0) {
        pt_time_update();
    }

    va_start(args, fmt);
    p = log_format_line(buf, last, level, log, err, &msg, fmt, args);
    va_end(args);

    *p++ = '\n';

    for (pt_log_t *l = log; l; l = l->next) {
        if (l->log_level < level || l->file == NULL || l->file->fd == -1) {
            continue;
        }

        (void) pt_write_fd(l->file->fd, buf, (size_t) (p - buf));
        wrote_stderr |= (l->file->fd == STDERR_FILENO);
    }

    /*
     * Before the error log is open (and for emergencies that make the
     * program exit) the message must also reach the terminal.
     */
    if (!wrote_stderr && pt_use_stderr && level <= PT_LOG_WARN) {
        u_char  head[32];
        u_char *h = pt_snprintf(head, head + sizeof(head), "portico: [%s] ",
                                pt_log_levels[level]);

        (void) pt_write_fd(STDERR_FILENO, head, (size_t) (h - head));
        (void) pt_write_fd(STDERR_FILENO, msg, (size_t) (p - msg));
    }
}


void
pt_log_stderr(int err, const char *fmt, ...)
{
    u_char   buf[PT_MAX_ERROR_STR];
    u_char  *p, *last = buf + sizeof(buf) - 1;
    va_list  args;

    p = pt_cpymem(buf, "portico: ", 9);

    va_start(args, fmt);
    p = pt_vsnprintf(p, last, fmt, args);
    va_end(args);

    if (err) {
        p = log_errno(p, last, err);
    }

    *p++ = '\n';
    (void) pt_write_fd(STDERR_FILENO, buf, (size_t) (p - buf));
}
