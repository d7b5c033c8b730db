/* SPDX-License-Identifier: BSD-2-Clause */
/* The access log: log_format and access_log, one line per request. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_script.h"

/*
 * Directives:
 *
 *   log_format name [escape=default|json|none] string ...;
 *       default: log_format combined '$remote_addr - $remote_user
 *                [$time_local] "$request" $status $body_bytes_sent
 *                "$http_referer" "$http_user_agent"';
 *       context: http
 *       The strings are concatenated.  A variable without a value logs as
 *       "-" (escape=default) or nothing (json, none).
 *
 *   access_log path [format [buffer=size] [flush=time] [if=condition]];
 *   access_log off;
 *       default: access_log logs/access.log combined;
 *       context: http, server, location, if in location
 *       Several per level; a level without any inherits its parent's.  The
 *       path is relative to the prefix and may not hold variables.  With
 *       buffer=, lines are gathered and written when the next one does not
 *       fit, flush= after the first line entered the empty buffer, and at
 *       exit (pt_cycle_flush_files).  if= skips the line when the condition
 *       is "" or "0".
 *
 * Lines are written in the log phase, each with one write() to an O_APPEND
 * descriptor when unbuffered.
 */

typedef enum {
    LOG_ESCAPE_DEFAULT = 0,
    LOG_ESCAPE_JSON,
    LOG_ESCAPE_NONE
} log_escape_e;

typedef struct {
    size_t    len;        /* literal */
    u_char   *data;
    int       index;      /* variable index; -1: literal */
} log_op_t;

typedef struct {
    pt_str_t       name;
    pt_str_t       source;    /* the concatenated strings */
    log_op_t      *ops;       /* NULL until compiled (combined: on use) */
    size_t         nops;
    size_t         nvars;
    log_escape_e   escape;
} log_fmt_t;

/* Buffering of one file: shared by every access_log writing to it. */
typedef struct {
    pt_open_file_t  *file;
    size_t           size;
    pt_msec_t        flush;     /* 0: only when full and at exit */
    pt_event_t       event;     /* flush timer (per worker after fork) */
} log_buf_t;

typedef struct {
    pt_open_file_t           *file;
    log_fmt_t                *format;
    log_buf_t                *buf;          /* NULL: the file is unbuffered */
    pt_http_complex_value_t  *filter;       /* if=; NULL: always */
    time_t                    error_time;   /* last write error logged */
} log_t;

typedef struct {
    pt_array_t   formats;       /* log_fmt_t * */
    pt_array_t   bufs;          /* log_buf_t * */
    pt_array_t   logs;          /* log_t *, every access_log */
    pt_array_t  *default_logs;  /* log_t *: logs/access.log combined */
} log_main_conf_t;

typedef struct {
    pt_array_t  *logs;          /* log_t *; NULL: not set at this level */
    int          off;
} log_loc_conf_t;


static int log_set_format(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int log_set_access_log(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int log_preconfiguration(pt_conf_t *cf);
static int log_postconfiguration(pt_conf_t *cf);
static int log_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);
static int log_init_process(pt_cycle_t *cycle);
static void log_exit_process(pt_cycle_t *cycle);


static const pt_command_t  log_commands[] = {
    { .name = "log_format", .ctx = PT_HTTP_MAIN, .args = PT_CONF_2MORE,
      .set = log_set_format },
    { .name = "access_log",
      .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC | PT_HTTP_IF,
      .args = PT_CONF_1MORE, .set = log_set_access_log },
    PT_COMMAND_END
};

static const pt_http_module_t  log_module_ctx = {
    .preconfiguration = log_preconfiguration,
    .postconfiguration = log_postconfiguration,
    .main_conf_size = sizeof(log_main_conf_t),
    .loc_conf_size = sizeof(log_loc_conf_t),
    .merge_loc_conf = log_merge_loc_conf,
};

pt_module_t  pt_http_log_module = {
    .name = "pt_http_log_module",
    .type = PT_HTTP_MODULE,
    .commands = log_commands,
    .ctx = &log_module_ctx,
    .init_process = log_init_process,
    .exit_process = log_exit_process,
};

static const pt_str_t  log_combined_name = pt_string("combined");
static const pt_str_t  log_combined = pt_string(
    "$remote_addr - $remote_user [$time_local] \"$request\" $status "
    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\"");
static const pt_str_t  log_default_path = pt_string("logs/access.log");


/* ---- writing ----------------------------------------------------------- */


/* Writes [buffer, pos) out and empties the buffer. */
static void
log_flush_file(pt_open_file_t *file, pt_log_t *log)
{
    size_t  len;

    if (file->buffer == NULL || file->pos == file->buffer) {
        return;
    }

    len = (size_t) (file->pos - file->buffer);

    if (file->fd != -1 && pt_write_fd(file->fd, file->buffer, len) == -1) {
        pt_log_error(PT_LOG_ALERT, log, errno, "write() to \"%s\" failed",
                     (const char *) file->name.data);
    }

    file->pos = file->buffer;
}


static void
log_flush_handler(pt_event_t *ev)
{
    log_buf_t  *buf = ev->data;

    log_flush_file(buf->file, ev->log);
}


static void
log_write(pt_http_request_t *r, log_t *lg, const u_char *line, size_t len)
{
    pt_open_file_t  *file;
    log_buf_t       *buf;

    file = lg->file;

    if (file->buffer != NULL) {
        if (len > (size_t) (file->last - file->pos)) {
            log_flush_file(file, r->connection->log);
        }

        if (len <= (size_t) (file->last - file->pos)) {
            buf = lg->buf;

            if (file->pos == file->buffer && buf != NULL && buf->flush
                && !buf->event.timer_set)
            {
                pt_add_timer(&buf->event, buf->flush);
            }

            file->pos = pt_cpymem(file->pos, line, len);
            return;
        }

        /* larger than the whole buffer: straight out, after what was held */
    }

    if (file->fd == -1) {
        return;
    }

    if (pt_write_fd(file->fd, line, len) == -1) {
        /* one report a second: a full disk must not flood the error log */
        if (lg->error_time != pt_time()) {
            lg->error_time = pt_time();
            pt_log_error(PT_LOG_ALERT, r->connection->log, errno,
                         "write() to \"%s\" failed",
                         (const char *) file->name.data);
        }
    }
}


/* Formats one line of fmt for r into r->pool; NULL on failure. */
static u_char *
log_format_line(pt_http_request_t *r, const log_fmt_t *fmt, size_t *lenp)
{
    pt_http_variable_value_t  **vals, *v;
    const log_op_t             *op;
    size_t                      i, n, len;
    u_char                     *line, *p;

    vals = NULL;

    if (fmt->nvars) {
        vals = pt_palloc(r->pool, fmt->nvars * sizeof(*vals));
        if (vals == NULL) {
            return NULL;
        }
    }

    len = 1;                                        /* '\n' */

    for (i = 0, n = 0; i < fmt->nops; i++) {
        op = &fmt->ops[i];

        if (op->index == -1) {
            len += op->len;
            continue;
        }

        v = pt_http_get_flushed_variable(r, (unsigned) op->index);

        if (v != NULL && v->not_found) {
            v = NULL;
        }

        vals[n++] = v;

        if (v == NULL) {
            len += (fmt->escape == LOG_ESCAPE_DEFAULT) ? 1 : 0;

        } else if (fmt->escape == LOG_ESCAPE_DEFAULT) {
            len += pt_escape_len(v->data, v->len, PT_ESCAPE_LOG_DEFAULT);

        } else if (fmt->escape == LOG_ESCAPE_JSON) {
            len += pt_escape_len(v->data, v->len, PT_ESCAPE_LOG_JSON);

        } else {
            len += v->len;
        }
    }

    line = pt_pnalloc(r->pool, len);
    if (line == NULL) {
        return NULL;
    }

    p = line;

    for (i = 0, n = 0; i < fmt->nops; i++) {
        op = &fmt->ops[i];

        if (op->index == -1) {
            p = pt_cpymem(p, op->data, op->len);
            continue;
        }

        v = vals[n++];

        if (v == NULL) {
            if (fmt->escape == LOG_ESCAPE_DEFAULT) {
                *p++ = '-';
            }

        } else if (fmt->escape == LOG_ESCAPE_DEFAULT) {
            p = pt_escape(p, v->data, v->len, PT_ESCAPE_LOG_DEFAULT);

        } else if (fmt->escape == LOG_ESCAPE_JSON) {
            p = pt_escape(p, v->data, v->len, PT_ESCAPE_LOG_JSON);

        } else {
            p = pt_cpymem(p, v->data, v->len);
        }
    }

    *p++ = '\n';
    *lenp = (size_t) (p - line);

    return line;
}


/* Log phase: one line per access_log of the request's location. */
static int
log_handler(pt_http_request_t *r)
{
    log_loc_conf_t  *lcf;
    log_t          **logs, *lg;
    pt_str_t         cond;
    u_char          *line;
    size_t           i, len;

    if (r->loc_conf == NULL) {
        return PT_OK;
    }

    lcf = pt_http_get_module_loc_conf(r, pt_http_log_module);

    if (lcf->off || lcf->logs == NULL) {
        return PT_OK;
    }

    logs = lcf->logs->elts;

    for (i = 0; i < lcf->logs->nelts; i++) {
        lg = logs[i];

        if (lg->filter != NULL) {
            if (pt_http_complex_value(r, lg->filter, &cond) != PT_OK) {
                return PT_ERROR;
            }

            if (cond.len == 0 || (cond.len == 1 && cond.data[0] == '0')) {
                continue;
            }
        }

        line = log_format_line(r, lg->format, &len);
        if (line == NULL) {
            return PT_ERROR;
        }

        log_write(r, lg, line, len);
    }

    return PT_OK;
}


/* ---- configuration ----------------------------------------------------- */


static log_main_conf_t *
log_main_conf(pt_conf_t *cf)
{
    return pt_http_conf_get_module_main_conf(cf, pt_http_log_module);
}


/* Compiles fmt->source into ops; PT_OK or PT_ERROR (reported). */
static int
log_compile_format(pt_conf_t *cf, log_fmt_t *fmt)
{
    pt_http_script_token_t   tok;
    log_op_t                *op;
    const char              *err;
    size_t                   pos, n;
    int                      rc, index;

    n = 0;
    pos = 0;

    for ( ;; ) {
        rc = pt_http_script_next(&fmt->source, &pos, &tok, &err);

        if (rc == PT_DONE) {
            break;
        }

        if (rc == PT_ERROR) {
            return pt_conf_error(cf, "%s in log format \"" PT_STR_FMT "\"",
                                 err, PT_STR_ARG(fmt->name));
        }

        if (tok.type == PT_HTTP_SCRIPT_CAPTURE) {
            return pt_conf_error(cf, "unknown \"" PT_STR_FMT "\" variable",
                                 (int) tok.text.len - 1,
                                 (const char *) tok.text.data + 1);
        }

        n++;
    }

    fmt->ops = pt_pcalloc(cf->pool, (n ? n : 1) * sizeof(log_op_t));
    if (fmt->ops == NULL) {
        return PT_ERROR;
    }

    pos = 0;

    while (pt_http_script_next(&fmt->source, &pos, &tok, &err) == PT_OK) {
        op = &fmt->ops[fmt->nops++];

        if (tok.type == PT_HTTP_SCRIPT_LITERAL) {
            op->len = tok.text.len;
            op->data = tok.text.data;
            op->index = -1;
            continue;
        }

        index = pt_http_get_variable_index(cf, &tok.text);
        if (index < 0) {
            return PT_ERROR;
        }

        op->index = index;
        fmt->nvars++;
    }

    return PT_OK;
}


static log_fmt_t *
log_find_format(pt_conf_t *cf, const pt_str_t *name)
{
    log_main_conf_t  *lmcf;
    log_fmt_t       **fmts;
    size_t            i;

    lmcf = log_main_conf(cf);
    fmts = lmcf->formats.elts;

    for (i = 0; i < lmcf->formats.nelts; i++) {
        if (pt_str_eq(&fmts[i]->name, name)) {
            return fmts[i];
        }
    }

    return NULL;
}


static log_fmt_t *
log_add_format(pt_conf_t *cf, const pt_str_t *name)
{
    log_main_conf_t  *lmcf;
    log_fmt_t        *fmt, **fp;

    lmcf = log_main_conf(cf);

    fmt = pt_pcalloc(cf->pool, sizeof(log_fmt_t));
    if (fmt == NULL) {
        return NULL;
    }

    fp = pt_array_push(&lmcf->formats);
    if (fp == NULL) {
        return NULL;
    }

    *fp = fmt;
    fmt->name = *name;

    return fmt;
}


/* log_format name [escape=default|json|none] string ...; */
static int
log_set_format(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    log_fmt_t  *fmt;
    pt_str_t   *name, *arg;
    size_t      i, first, len;
    u_char     *p;

    name = &pt_conf_arg(cf, 1);

    if (log_find_format(cf, name) != NULL) {
        return pt_conf_error(cf, "duplicate \"log_format\" name \""
                             PT_STR_FMT "\"", PT_STR_ARG(*name));
    }

    fmt = log_add_format(cf, name);
    if (fmt == NULL) {
        return PT_ERROR;
    }

    first = 2;
    arg = &pt_conf_arg(cf, 2);

    if (arg->len > sizeof("escape=") - 1
        && memcmp(arg->data, "escape=", sizeof("escape=") - 1) == 0)
    {
        p = arg->data + sizeof("escape=") - 1;
        len = arg->len - (sizeof("escape=") - 1);

        if (len == 7 && memcmp(p, "default", 7) == 0) {
            fmt->escape = LOG_ESCAPE_DEFAULT;

        } else if (len == 4 && memcmp(p, "json", 4) == 0) {
            fmt->escape = LOG_ESCAPE_JSON;

        } else if (len == 4 && memcmp(p, "none", 4) == 0) {
            fmt->escape = LOG_ESCAPE_NONE;

        } else {
            return pt_conf_error(cf, "unknown log format escaping \""
                                 PT_STR_FMT "\"", (int) len,
                                 (const char *) p);
        }

        first = 3;

        if (pt_conf_nargs(cf) == 3) {
            return pt_conf_error(cf, "invalid number of arguments in"
                                 " \"log_format\" directive");
        }
    }

    len = 0;

    for (i = first; i < pt_conf_nargs(cf); i++) {
        len += pt_conf_arg(cf, i).len;
    }

    p = pt_pnalloc(cf->pool, len + 1);
    if (p == NULL) {
        return PT_ERROR;
    }

    fmt->source.data = p;
    fmt->source.len = len;

    for (i = first; i < pt_conf_nargs(cf); i++) {
        arg = &pt_conf_arg(cf, i);
        p = pt_cpymem(p, arg->data, arg->len);
    }

    *p = '\0';

    return log_compile_format(cf, fmt);
}


/* The buffer of file, shared, checked against an earlier definition. */
static int
log_set_buffer(pt_conf_t *cf, log_t *lg, const pt_str_t *path, size_t size,
    pt_msec_t flush)
{
    log_main_conf_t  *lmcf;
    log_buf_t        *buf, **bp;
    pt_open_file_t   *file;
    size_t            i;

    lmcf = log_main_conf(cf);
    file = lg->file;
    bp = lmcf->bufs.elts;

    for (i = 0; i < lmcf->bufs.nelts; i++) {
        if (bp[i]->file != file) {
            continue;
        }

        if (bp[i]->size != size || bp[i]->flush != flush) {
            return pt_conf_error(cf, "access_log \"" PT_STR_FMT "\" already"
                                 " defined with conflicting parameters",
                                 PT_STR_ARG(*path));
        }

        lg->buf = bp[i];
        return PT_OK;
    }

    if (file->buffer != NULL) {
        return pt_conf_error(cf, "access_log \"" PT_STR_FMT "\" already"
                             " defined with conflicting parameters",
                             PT_STR_ARG(*path));
    }

    buf = pt_pcalloc(cf->pool, sizeof(log_buf_t));
    if (buf == NULL) {
        return PT_ERROR;
    }

    file->buffer = pt_pnalloc(cf->pool, size);
    if (file->buffer == NULL) {
        return PT_ERROR;
    }

    file->pos = file->buffer;
    file->last = file->buffer + size;

    buf->file = file;
    buf->size = size;
    buf->flush = flush;
    buf->event.data = buf;
    buf->event.handler = log_flush_handler;
    buf->event.log = cf->cycle->log;
    buf->event.cancelable = 1;

    bp = pt_array_push(&lmcf->bufs);
    if (bp == NULL) {
        return PT_ERROR;
    }

    *bp = buf;
    lg->buf = buf;

    return PT_OK;
}


/* A log_t for path (relative to the prefix) and fmt, remembered in lmcf. */
static log_t *
log_create(pt_conf_t *cf, const pt_str_t *path, log_fmt_t *fmt)
{
    log_main_conf_t  *lmcf;
    log_t            *lg, **lp;
    pt_str_t          name;

    lmcf = log_main_conf(cf);

    if (fmt->ops == NULL && log_compile_format(cf, fmt) != PT_OK) {
        return NULL;
    }

    name = *path;

    if (pt_get_full_name(cf->pool, &cf->cycle->prefix, &name) != PT_OK) {
        return NULL;
    }

    lg = pt_pcalloc(cf->pool, sizeof(log_t));
    if (lg == NULL) {
        return NULL;
    }

    lg->file = pt_cycle_open_file(cf->cycle, &name);
    if (lg->file == NULL) {
        return NULL;
    }

    lg->format = fmt;

    lp = pt_array_push(&lmcf->logs);
    if (lp == NULL) {
        return NULL;
    }

    *lp = lg;

    return lg;
}


static bool
log_arg_prefix(const pt_str_t *arg, const char *prefix, pt_str_t *value)
{
    size_t  n;

    n = strlen(prefix);

    if (arg->len < n || memcmp(arg->data, prefix, n) != 0) {
        return false;
    }

    value->data = arg->data + n;
    value->len = arg->len - n;

    return true;
}


/* access_log path [format [buffer=size] [flush=time] [if=cond]] | off; */
static int
log_set_access_log(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    log_loc_conf_t  *lcf = conf;
    log_fmt_t       *fmt;
    log_t           *lg, **lp;
    pt_str_t        *path, *arg, value;
    pt_str_t         fname;
    ssize_t          size;
    int64_t          flush;
    size_t           i;

    path = &pt_conf_arg(cf, 1);

    if (path->len == 3 && memcmp(path->data, "off", 3) == 0) {
        if (pt_conf_nargs(cf) != 2) {
            return pt_conf_error(cf, "invalid parameter \"" PT_STR_FMT "\"",
                                 PT_STR_ARG(pt_conf_arg(cf, 2)));
        }

        lcf->off = 1;
        return PT_OK;
    }

    if (memchr(path->data, '$', path->len) != NULL) {
        return pt_conf_error(cf, "variables in access_log path are not"
                             " supported");
    }

    if (path->len > 7 && memcmp(path->data, "syslog:", 7) == 0) {
        return pt_conf_error(cf, "syslog in access_log is not supported");
    }

    if (pt_conf_nargs(cf) >= 3) {
        fname = pt_conf_arg(cf, 2);

    } else {
        fname = log_combined_name;
    }

    fmt = log_find_format(cf, &fname);
    if (fmt == NULL) {
        return pt_conf_error(cf, "unknown log format \"" PT_STR_FMT "\"",
                             PT_STR_ARG(fname));
    }

    lg = log_create(cf, path, fmt);
    if (lg == NULL) {
        return PT_ERROR;
    }

    size = 0;
    flush = 0;

    for (i = 3; i < pt_conf_nargs(cf); i++) {
        arg = &pt_conf_arg(cf, i);

        if (log_arg_prefix(arg, "buffer=", &value)) {
            size = pt_parse_size(&value);
            if (size <= 0) {
                return pt_conf_error(cf, "invalid buffer size \"" PT_STR_FMT
                                     "\"", PT_STR_ARG(value));
            }

            continue;
        }

        if (log_arg_prefix(arg, "flush=", &value)) {
            flush = pt_parse_time(&value, false);
            if (flush <= 0) {
                return pt_conf_error(cf, "invalid flush time \"" PT_STR_FMT
                                     "\"", PT_STR_ARG(value));
            }

            continue;
        }

        if (log_arg_prefix(arg, "if=", &value)) {
            lg->filter = pt_palloc(cf->pool, sizeof(pt_http_complex_value_t));
            if (lg->filter == NULL) {
                return PT_ERROR;
            }

            if (pt_http_compile_complex_value(cf, &value, lg->filter)
                != PT_OK)
            {
                return PT_ERROR;
            }

            continue;
        }

        if (log_arg_prefix(arg, "gzip", &value)) {
            return pt_conf_error(cf, "gzip in access_log is not supported");
        }

        return pt_conf_error(cf, "invalid parameter \"" PT_STR_FMT "\"",
                             PT_STR_ARG(*arg));
    }

    if (flush && size == 0) {
        return pt_conf_error(cf, "no buffer is defined for access_log \""
                             PT_STR_FMT "\"", PT_STR_ARG(*path));
    }

    if (size > 0
        && log_set_buffer(cf, lg, path, (size_t) size, (pt_msec_t) flush)
           != PT_OK)
    {
        return PT_ERROR;
    }

    if (lcf->logs == NULL) {
        lcf->logs = pt_array_create(cf->pool, 2, sizeof(log_t *));
        if (lcf->logs == NULL) {
            return PT_ERROR;
        }
    }

    lp = pt_array_push(lcf->logs);
    if (lp == NULL) {
        return PT_ERROR;
    }

    *lp = lg;

    return PT_OK;
}


/*
 * A level without access_log inherits its parent's; the first level left
 * with none (a server whose http { } has none) gets logs/access.log
 * combined, one list shared by all such levels.
 */
static int
log_merge_loc_conf(pt_conf_t *cf, void *parent, void *child)
{
    log_loc_conf_t      *prev = parent, *conf = child;
    log_main_conf_t     *lmcf;
    pt_http_conf_ctx_t  *http;
    log_fmt_t           *fmt;
    log_t               *lg, **lp;

    if (conf->logs != NULL || conf->off) {
        return PT_OK;
    }

    http = cf->cycle->http_ctx;

    if (prev == NULL
        || (http != NULL
            && http->loc_conf[pt_http_log_module.ctx_index] == conf))
    {
        /*
         * http { } itself (merged with pristine defaults): the servers
         * decide whether the default log is needed, so that, as in nginx,
         * logs/access.log is not opened when every server has its own.
         */
        return PT_OK;
    }

    conf->logs = prev->logs;
    conf->off = prev->off;

    if (conf->logs != NULL || conf->off) {
        return PT_OK;
    }

    lmcf = log_main_conf(cf);

    if (lmcf->default_logs == NULL) {
        fmt = log_find_format(cf, &log_combined_name);
        if (fmt == NULL) {
            return PT_ERROR;
        }

        lg = log_create(cf, &log_default_path, fmt);
        if (lg == NULL) {
            return PT_ERROR;
        }

        lmcf->default_logs = pt_array_create(cf->pool, 1, sizeof(log_t *));
        if (lmcf->default_logs == NULL) {
            return PT_ERROR;
        }

        lp = pt_array_push(lmcf->default_logs);
        if (lp == NULL) {
            return PT_ERROR;
        }

        *lp = lg;
    }

    conf->logs = lmcf->default_logs;

    return PT_OK;
}


/* Prepares the format list with the predefined combined (compiled on use). */
static int
log_preconfiguration(pt_conf_t *cf)
{
    log_main_conf_t  *lmcf;
    log_fmt_t        *fmt;

    lmcf = log_main_conf(cf);

    if (pt_array_init(&lmcf->formats, cf->pool, 4, sizeof(log_fmt_t *))
        != PT_OK
        || pt_array_init(&lmcf->bufs, cf->pool, 2, sizeof(log_buf_t *))
           != PT_OK
        || pt_array_init(&lmcf->logs, cf->pool, 4, sizeof(log_t *)) != PT_OK)
    {
        return PT_ERROR;
    }

    fmt = log_add_format(cf, &log_combined_name);
    if (fmt == NULL) {
        return PT_ERROR;
    }

    fmt->source = log_combined;
    fmt->escape = LOG_ESCAPE_DEFAULT;

    return PT_OK;
}


/*
 * Registers the log phase handler and gives every log writing to a
 * buffered file that file's buffer, whatever the order of the directives.
 */
static int
log_postconfiguration(pt_conf_t *cf)
{
    log_main_conf_t  *lmcf;
    log_t           **lp;
    log_buf_t       **bp;
    size_t            i, n;

    lmcf = log_main_conf(cf);
    lp = lmcf->logs.elts;
    bp = lmcf->bufs.elts;

    for (i = 0; i < lmcf->logs.nelts; i++) {
        for (n = 0; lp[i]->buf == NULL && n < lmcf->bufs.nelts; n++) {
            if (bp[n]->file == lp[i]->file) {
                lp[i]->buf = bp[n];
            }
        }
    }

    return pt_http_phase_add(cf, PT_HTTP_LOG_PHASE, log_handler);
}


static log_main_conf_t *
log_cycle_main_conf(pt_cycle_t *cycle)
{
    pt_http_conf_ctx_t  *ctx;

    ctx = cycle->http_ctx;

    if (ctx == NULL) {
        return NULL;
    }

    return ctx->main_conf[pt_http_log_module.ctx_index];
}


/* A worker's flush timers log to the cycle's error log. */
static int
log_init_process(pt_cycle_t *cycle)
{
    log_main_conf_t  *lmcf;
    log_buf_t       **bp;
    size_t            i;

    lmcf = log_cycle_main_conf(cycle);

    if (lmcf == NULL) {
        return PT_OK;
    }

    bp = lmcf->bufs.elts;

    for (i = 0; i < lmcf->bufs.nelts; i++) {
        bp[i]->event.log = cycle->log;
        bp[i]->file->pos = bp[i]->file->buffer;
    }

    return PT_OK;
}


/* Writes out what the buffers still hold (the cycle may do it first). */
static void
log_exit_process(pt_cycle_t *cycle)
{
    log_main_conf_t  *lmcf;
    log_buf_t       **bp;
    size_t            i;

    lmcf = log_cycle_main_conf(cycle);

    if (lmcf == NULL) {
        return;
    }

    bp = lmcf->bufs.elts;

    for (i = 0; i < lmcf->bufs.nelts; i++) {
        pt_del_timer(&bp[i]->event);
        log_flush_file(bp[i]->file, cycle->log);
    }
}
