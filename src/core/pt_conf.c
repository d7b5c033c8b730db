/* SPDX-License-Identifier: BSD-2-Clause */
/* The config language: reads tokens, dispatches directives to module tables. */
#include "pt_config.h"
#include "pt_core.h"

#define CONF_MAX_INCLUDE_DEPTH  64

#define CONF_BLOCK_START   1
#define CONF_BLOCK_DONE    2
#define CONF_FILE_DONE     3

typedef enum {
    CONF_PARSE_FILE = 0,
    CONF_PARSE_BLOCK,
    CONF_PARSE_PARAM
} conf_parse_e;

static const unsigned  conf_argument_number[] = {
    PT_CONF_NOARGS, PT_CONF_TAKE1, PT_CONF_TAKE2, PT_CONF_TAKE3,
    PT_CONF_TAKE4, PT_CONF_TAKE5, PT_CONF_TAKE6, PT_CONF_TAKE7
};


static void
conf_verror(pt_conf_t *cf, unsigned level, int err, const char *fmt,
    va_list args)
{
    u_char   buf[PT_MAX_ERROR_STR];
    u_char  *p, *last = buf + sizeof(buf);

    p = pt_vsnprintf(buf, last, fmt, args);

    if (err) {
        p = pt_snprintf(p, last, " (%d: %s)", err, strerror(err));
    }

    if (cf->file && cf->file->param) {
        pt_log_error(level, cf->log, 0, "%.*s in command line",
                     (int) (p - buf), buf);
    } else if (cf->file) {
        pt_log_error(level, cf->log, 0, "%.*s in %.*s:%u", (int) (p - buf),
                     buf, PT_STR_ARG(cf->file->name), cf->file->line);
    } else {
        pt_log_error(level, cf->log, 0, "%.*s", (int) (p - buf), buf);
    }
}


int
pt_conf_error(pt_conf_t *cf, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    conf_verror(cf, PT_LOG_EMERG, 0, fmt, args);
    va_end(args);

    return PT_ERROR;
}


void
pt_conf_log(pt_conf_t *cf, unsigned level, int err, const char *fmt, ...)
{
    va_list  args;

    if (cf->log->log_level < level) {
        return;
    }

    va_start(args, fmt);
    conf_verror(cf, level, err, fmt, args);
    va_end(args);
}


int
pt_conf_full_name(pt_conf_t *cf, pt_str_t *name, bool conf_prefix)
{
    const pt_str_t  *prefix = conf_prefix ? &cf->cycle->conf_prefix
                                          : &cf->cycle->prefix;

    return pt_get_full_name(cf->pool, prefix, name);
}


/* The tokenizer. */

static int
conf_push_word(pt_conf_t *cf, const u_char *start, size_t len, bool unescape)
{
    pt_str_t  *word = pt_array_push(cf->args);
    u_char    *dst;

    if (word == NULL) {
        return PT_ERROR;
    }

    word->data = pt_pnalloc(cf->pool, len + 1);
    if (word->data == NULL) {
        return PT_ERROR;
    }

    dst = word->data;

    for (size_t i = 0; i < len; i++) {
        if (unescape && start[i] == '\\' && i + 1 < len) {
            switch (start[i + 1]) {
            case '"': case '\'': case '\\':
                *dst++ = start[++i];
                continue;
            case 't':
                *dst++ = '\t'; i++;
                continue;
            case 'r':
                *dst++ = '\r'; i++;
                continue;
            case 'n':
                *dst++ = '\n'; i++;
                continue;
            }
        }
        *dst++ = start[i];
    }

    *dst = '\0';
    word->len = (size_t) (dst - word->data);
    return PT_OK;
}


static bool
conf_is_space(u_char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}


/* Reads a quoted word starting after the quote; PT_OK or PT_ERROR. */
static int
conf_read_quoted(pt_conf_t *cf, u_char quote)
{
    pt_conf_file_t  *f = cf->file;
    size_t           start = f->pos;

    while (f->pos < f->size) {
        u_char  ch = f->buf[f->pos++];

        if (ch == '\n') {
            f->line++;
        } else if (ch == '\\' && f->pos < f->size) {
            if (f->buf[f->pos] == '\n') {
                f->line++;
            }
            f->pos++;
        } else if (ch == quote) {
            if (conf_push_word(cf, f->buf + start, f->pos - 1 - start, true)
                != PT_OK)
            {
                return PT_ERROR;
            }

            if (f->pos < f->size) {
                ch = f->buf[f->pos];
                if (!conf_is_space(ch) && ch != ';' && ch != '{' && ch != '}'
                    && ch != ')')
                {
                    return pt_conf_error(cf, "unexpected \"%c\"", ch);
                }
            }
            return PT_OK;
        }
    }

    return pt_conf_error(cf, "unexpected end of file, expecting \";\" or \"}\"");
}


/* Reads an unquoted word starting at f->pos; PT_OK or PT_ERROR. */
static int
conf_read_word(pt_conf_t *cf)
{
    pt_conf_file_t  *f = cf->file;
    size_t           start = f->pos;

    /* As in nginx, only white space, ';' and '{' end a word ("${" aside). */
    while (f->pos < f->size) {
        u_char  ch = f->buf[f->pos];

        if (ch == '\\' && f->pos + 1 < f->size) {
            if (f->buf[f->pos + 1] == '\n') {
                f->line++;
            }
            f->pos += 2;
            continue;
        }

        if (ch == '$' && f->pos + 1 < f->size && f->buf[f->pos + 1] == '{') {
            f->pos += 2;
            continue;
        }

        if (conf_is_space(ch) || ch == ';' || ch == '{') {
            break;
        }

        f->pos++;
    }

    return conf_push_word(cf, f->buf + start, f->pos - start, true);
}


/*
 * Reads one statement into cf->args.  Returns PT_OK (ended by ';'),
 * CONF_BLOCK_START ('{'), CONF_BLOCK_DONE ('}'), CONF_FILE_DONE, or
 * PT_ERROR.
 */
static int
conf_read_token(pt_conf_t *cf)
{
    pt_conf_file_t  *f = cf->file;

    cf->args->nelts = 0;

    while (f->pos < f->size) {
        u_char  ch = f->buf[f->pos];

        if (ch == '\n') {
            f->line++;
        }

        if (conf_is_space(ch)) {
            f->pos++;
            continue;
        }

        if (ch == '#') {
            while (f->pos < f->size && f->buf[f->pos] != '\n') {
                f->pos++;
            }
            continue;
        }

        if (ch == ';' || ch == '{') {
            f->pos++;

            if (cf->args->nelts == 0) {
                return pt_conf_error(cf, "unexpected \"%c\"", ch);
            }

            if (ch == '{' && f->param) {
                return pt_conf_error(cf, "block directives are not supported "
                                     "in -g option");
            }
            return ch == ';' ? PT_OK : CONF_BLOCK_START;
        }

        if (ch == '}') {
            f->pos++;

            if (cf->args->nelts != 0) {
                return pt_conf_error(cf, "unexpected \"}\"");
            }
            return CONF_BLOCK_DONE;
        }

        if (ch == '"' || ch == '\'') {
            f->pos++;
            if (conf_read_quoted(cf, ch) != PT_OK) {
                return PT_ERROR;
            }
            continue;
        }

        if (conf_read_word(cf) != PT_OK) {
            return PT_ERROR;
        }
    }

    if (cf->args->nelts != 0) {
        if (f->param) {
            return pt_conf_error(cf, "unexpected end of parameter, "
                                 "expecting \";\"");
        }
        return pt_conf_error(cf, "unexpected end of file, "
                             "expecting \";\" or \"}\"");
    }

    return CONF_FILE_DONE;
}


/* Dispatch. */

static bool
conf_args_ok(const pt_command_t *cmd, size_t nargs)
{
    unsigned  a = cmd->args;

    if (a & PT_CONF_FLAG) {
        return nargs == 1;
    }
    if (a & PT_CONF_ANY) {
        return true;
    }
    if (a & PT_CONF_1MORE) {
        return nargs >= 1;
    }
    if (a & PT_CONF_2MORE) {
        return nargs >= 2;
    }
    if (nargs >= PT_CONF_MAX_ARGS) {
        return false;
    }

    return (a & conf_argument_number[nargs]) != 0;
}


static void *
conf_module_conf(pt_conf_t *cf, const pt_module_t *m, const pt_command_t *cmd)
{
    if (m->type != PT_HTTP_MODULE) {
        return cf->cycle->conf_ctx[m->index];
    }

    if (cf->ctx == NULL) {
        return NULL;
    }

    /* cf->ctx is the http layer's {main_conf, srv_conf, loc_conf}. */
    void           ***ctx = cf->ctx;
    pt_conf_level_e   level = cmd->field.level;

    if (level == PT_CONF_NONE) {
        level = ctx[2][m->ctx_index] ? PT_CONF_LOC
                : ctx[1][m->ctx_index] ? PT_CONF_SRV : PT_CONF_MAIN;
    }

    return ctx[level - PT_CONF_MAIN][m->ctx_index];
}


static int
conf_handle(pt_conf_t *cf, int last)
{
    pt_str_t  *name = &pt_conf_arg(cf, 0);
    bool       found = false;

    for (size_t i = 0; pt_modules[i]; i++) {
        const pt_module_t  *m = pt_modules[i];

        if (m->commands == NULL) {
            continue;
        }

        for (const pt_command_t *cmd = m->commands; cmd->name; cmd++) {
            if (strlen(cmd->name) != name->len
                || memcmp(cmd->name, name->data, name->len) != 0)
            {
                continue;
            }

            found = true;

            if (!(cmd->ctx & cf->ctx_type)) {
                continue;
            }

            if (!(cmd->args & PT_CONF_BLOCK) && last != PT_OK) {
                return pt_conf_error(cf, "directive \"%s\" is not terminated "
                                     "by \";\"", cmd->name);
            }

            if ((cmd->args & PT_CONF_BLOCK) && last != CONF_BLOCK_START) {
                return pt_conf_error(cf, "directive \"%s\" has no opening "
                                     "\"{\"", cmd->name);
            }

            if (!conf_args_ok(cmd, cf->args->nelts - 1)) {
                return pt_conf_error(cf, "invalid number of arguments in "
                                     "\"%s\" directive", cmd->name);
            }

            return cmd->set(cf, cmd, conf_module_conf(cf, m, cmd));
        }
    }

    if (found) {
        return pt_conf_error(cf, "\"%.*s\" directive is not allowed here",
                             PT_STR_ARG(*name));
    }

    return pt_conf_error(cf, "unknown directive \"%.*s\"", PT_STR_ARG(*name));
}


static int
conf_parse_tokens(pt_conf_t *cf, conf_parse_e type)
{
    for ( ;; ) {
        int  rc = conf_read_token(cf);

        if (rc == PT_ERROR) {
            return PT_ERROR;
        }

        if (rc == CONF_BLOCK_DONE) {
            if (type != CONF_PARSE_BLOCK) {
                return pt_conf_error(cf, "unexpected \"}\"");
            }
            return PT_OK;
        }

        if (rc == CONF_FILE_DONE) {
            if (type == CONF_PARSE_BLOCK) {
                return pt_conf_error(cf, "unexpected end of file, "
                                     "expecting \"}\"");
            }
            return PT_OK;
        }

        if (cf->handler) {
            if (rc == CONF_BLOCK_START) {
                return pt_conf_error(cf, "unexpected \"{\"");
            }
            if (cf->handler(cf, cf->handler_data) != PT_OK) {
                return PT_ERROR;
            }
            continue;
        }

        if (conf_handle(cf, rc) != PT_OK) {
            return PT_ERROR;
        }
    }
}


static int
conf_read_file(pt_conf_t *cf, pt_conf_file_t *f, const pt_str_t *name)
{
    struct stat  st;

    f->name = *name;
    f->pos = 0;
    f->param = false;
    f->line = 1;
    f->fd = open((const char *) name->data, O_RDONLY | O_CLOEXEC);

    if (f->fd == -1) {
        pt_conf_log(cf, PT_LOG_EMERG, errno, "open() \"%.*s\" failed",
                    PT_STR_ARG(*name));
        return PT_ERROR;
    }

    if (fstat(f->fd, &st) == -1) {
        pt_conf_log(cf, PT_LOG_EMERG, errno, "fstat() \"%.*s\" failed",
                    PT_STR_ARG(*name));
        close(f->fd);
        return PT_ERROR;
    }

    if (!S_ISREG(st.st_mode)) {
        pt_conf_log(cf, PT_LOG_EMERG, 0, "\"%.*s\" is not a regular file",
                    PT_STR_ARG(*name));
        close(f->fd);
        return PT_ERROR;
    }

    f->size = (size_t) st.st_size;
    f->buf = pt_pnalloc(cf->pool, f->size + 1);

    ssize_t  n = f->buf ? pt_read_file(f->fd, f->buf, f->size, 0) : -1;

    close(f->fd);
    f->fd = -1;

    if (n != (ssize_t) f->size) {
        pt_conf_log(cf, PT_LOG_EMERG, errno, "read() \"%.*s\" failed",
                    PT_STR_ARG(*name));
        return PT_ERROR;
    }

    return PT_OK;
}


static int
conf_dump_add(pt_conf_t *cf, const pt_conf_file_t *f)
{
    pt_conf_dump_t  *d = cf->cycle->config_dump.elts;

    for (size_t i = 0; i < cf->cycle->config_dump.nelts; i++) {
        if (pt_str_eq(&d[i].name, &f->name)) {
            return PT_OK;
        }
    }

    d = pt_array_push(&cf->cycle->config_dump);
    if (d == NULL) {
        return PT_ERROR;
    }

    d->name = f->name;
    d->content.data = f->buf;
    d->content.len = f->size;
    return PT_OK;
}


int
pt_conf_parse(pt_conf_t *cf, const pt_str_t *file)
{
    pt_conf_file_t   f, *prev = cf->file;
    int              rc;

    if (file == NULL) {
        return conf_parse_tokens(cf, CONF_PARSE_BLOCK);
    }

    /* Files are read whole and closed: nothing else stops an include loop. */
    size_t  depth = 0;

    for (pt_conf_file_t *p = prev; p; p = p->parent) {
        depth++;
    }

    if (depth >= CONF_MAX_INCLUDE_DEPTH) {
        return pt_conf_error(cf, "too deep includes (%d levels) of \"%.*s\": "
                             "an include loop?", CONF_MAX_INCLUDE_DEPTH,
                             PT_STR_ARG(*file));
    }

    if (conf_read_file(cf, &f, file) != PT_OK) {
        return PT_ERROR;
    }

    if (conf_dump_add(cf, &f) != PT_OK) {
        return PT_ERROR;
    }

    f.parent = prev;
    cf->file = &f;
    rc = conf_parse_tokens(cf, CONF_PARSE_FILE);
    cf->file = prev;

    return rc;
}


static int
conf_include_one(pt_conf_t *cf, const char *path)
{
    pt_str_t  name = { strlen(path), (u_char *) path };

    name.data = pt_pstrdup(cf->pool, &name);
    if (name.data == NULL) {
        return PT_ERROR;
    }

    return pt_conf_parse(cf, &name);
}


int
pt_conf_include(pt_conf_t *cf, const pt_str_t *file)
{
    pt_str_t  name = *file;
    glob_t    gl;
    int       rc;

    if (pt_conf_full_name(cf, &name, true) != PT_OK) {
        return PT_ERROR;
    }

    if (strpbrk((const char *) name.data, "*?[") == NULL) {
        return pt_conf_parse(cf, &name);
    }

    /* As nginx: a mask that matches nothing is no error; files in order. */
    rc = glob((const char *) name.data, 0, NULL, &gl);
    if (rc == GLOB_NOMATCH) {
        return PT_OK;
    }

    if (rc != 0) {
        return pt_conf_error(cf, "glob() \"%.*s\" failed", PT_STR_ARG(name));
    }

    rc = PT_OK;
    for (size_t i = 0; i < gl.gl_pathc && rc == PT_OK; i++) {
        rc = conf_include_one(cf, gl.gl_pathv[i]);
    }

    globfree(&gl);
    return rc;
}


int
pt_conf_parse_string(pt_conf_t *cf, const pt_str_t *text)
{
    pt_conf_file_t   f = { .name = pt_string("command line"), .line = 1,
                           .fd = -1, .buf = text->data, .size = text->len,
                           .param = true };
    pt_conf_file_t  *prev = cf->file;
    int              rc;

    cf->file = &f;
    rc = conf_parse_tokens(cf, CONF_PARSE_PARAM);
    cf->file = prev;

    return rc;
}


/* The standard setters. */

typedef enum {
    CONF_KIND_NONE = 0,
    CONF_KIND_INT,
    CONF_KIND_SIZE,
    CONF_KIND_MSEC,
    CONF_KIND_SEC,
    CONF_KIND_STR
} conf_kind_e;


static conf_kind_e
conf_field_kind(const pt_command_t *cmd)
{
    if (cmd->field.level == PT_CONF_NONE) {
        return CONF_KIND_NONE;
    }

    if (cmd->set == pt_conf_set_flag || cmd->set == pt_conf_set_num
        || cmd->set == pt_conf_set_enum)
    {
        return CONF_KIND_INT;
    }

    if (cmd->set == pt_conf_set_size) {
        return CONF_KIND_SIZE;
    }

    if (cmd->set == pt_conf_set_msec) {
        return CONF_KIND_MSEC;
    }

    if (cmd->set == pt_conf_set_sec) {
        return CONF_KIND_SEC;
    }

    if (cmd->set == pt_conf_set_str) {
        return CONF_KIND_STR;
    }

    return CONF_KIND_NONE;
}


static bool
conf_field_unset(conf_kind_e kind, const void *p)
{
    switch (kind) {
    case CONF_KIND_INT:
        return *(const int *) p == PT_CONF_UNSET;
    case CONF_KIND_SIZE:
        return *(const size_t *) p == PT_CONF_UNSET_SIZE;
    case CONF_KIND_MSEC:
        return *(const pt_msec_t *) p == PT_CONF_UNSET_MSEC;
    case CONF_KIND_SEC:
        return *(const time_t *) p == (time_t) PT_CONF_UNSET;
    case CONF_KIND_STR:
        return ((const pt_str_t *) p)->data == NULL;
    default:
        return false;
    }
}


static size_t
conf_kind_size(conf_kind_e kind)
{
    static const size_t  sizes[] = {
        0, sizeof(int), sizeof(size_t), sizeof(pt_msec_t), sizeof(time_t),
        sizeof(pt_str_t)
    };

    return sizes[kind];
}


static void *
conf_field(const pt_command_t *cmd, void *conf)
{
    return (u_char *) conf + cmd->field.offset;
}


static int
conf_check_unset(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    if (!conf_field_unset(conf_field_kind(cmd), conf_field(cmd, conf))) {
        return pt_conf_error(cf, "\"%s\" directive is duplicate", cmd->name);
    }

    return PT_OK;
}


static int
conf_check_bounds(pt_conf_t *cf, const pt_command_t *cmd, int64_t v)
{
    if (v < cmd->min || (cmd->max && v > cmd->max)) {
        if (cmd->max) {
            return pt_conf_error(cf, "\"%s\" must be between %lld and %lld",
                                 cmd->name, (long long) cmd->min,
                                 (long long) cmd->max);
        }
        return pt_conf_error(cf, "\"%s\" must be at least %lld", cmd->name,
                             (long long) cmd->min);
    }

    return PT_OK;
}


/* nginx's wording, which config linters and people grep for. */
static int
conf_invalid(pt_conf_t *cf, const pt_command_t *cmd)
{
    return pt_conf_error(cf, "\"%s\" directive invalid value", cmd->name);
}


int
pt_conf_set_flag(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_str_t  *v = &pt_conf_arg(cf, 1);
    int       *fp = conf_field(cmd, conf);

    if (conf_check_unset(cf, cmd, conf) != PT_OK) {
        return PT_ERROR;
    }

    if (pt_str_caseeq_lit(v, "on")) {
        *fp = 1;
    } else if (pt_str_caseeq_lit(v, "off")) {
        *fp = 0;
    } else {
        return pt_conf_error(cf, "invalid value \"%.*s\" in \"%s\" directive, "
                             "it must be \"on\" or \"off\"", PT_STR_ARG(*v),
                             cmd->name);
    }

    return PT_OK;
}


int
pt_conf_set_num(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_str_t  *v = &pt_conf_arg(cf, 1);
    int64_t    n;

    if (conf_check_unset(cf, cmd, conf) != PT_OK) {
        return PT_ERROR;
    }

    n = pt_atoi(v->data, v->len, INT_MAX);
    if (n < 0) {
        return pt_conf_error(cf, "\"%s\" directive invalid number", cmd->name);
    }

    if (conf_check_bounds(cf, cmd, n) != PT_OK) {
        return PT_ERROR;
    }

    *(int *) conf_field(cmd, conf) = (int) n;
    return PT_OK;
}


int
pt_conf_set_size(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    ssize_t  n;

    if (conf_check_unset(cf, cmd, conf) != PT_OK) {
        return PT_ERROR;
    }

    n = pt_parse_size(&pt_conf_arg(cf, 1));
    if (n < 0) {
        return conf_invalid(cf, cmd);
    }

    if (conf_check_bounds(cf, cmd, n) != PT_OK) {
        return PT_ERROR;
    }

    *(size_t *) conf_field(cmd, conf) = (size_t) n;
    return PT_OK;
}


int
pt_conf_set_msec(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    int64_t  n;

    if (conf_check_unset(cf, cmd, conf) != PT_OK) {
        return PT_ERROR;
    }

    n = pt_parse_time(&pt_conf_arg(cf, 1), false);
    if (n < 0) {
        return conf_invalid(cf, cmd);
    }

    if (conf_check_bounds(cf, cmd, n) != PT_OK) {
        return PT_ERROR;
    }

    *(pt_msec_t *) conf_field(cmd, conf) = (pt_msec_t) n;
    return PT_OK;
}


int
pt_conf_set_sec(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    int64_t  n;

    if (conf_check_unset(cf, cmd, conf) != PT_OK) {
        return PT_ERROR;
    }

    n = pt_parse_time(&pt_conf_arg(cf, 1), true);
    if (n < 0) {
        return conf_invalid(cf, cmd);
    }

    if (conf_check_bounds(cf, cmd, n) != PT_OK) {
        return PT_ERROR;
    }

    *(time_t *) conf_field(cmd, conf) = (time_t) n;
    return PT_OK;
}


int
pt_conf_set_str(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    if (conf_check_unset(cf, cmd, conf) != PT_OK) {
        return PT_ERROR;
    }

    *(pt_str_t *) conf_field(cmd, conf) = pt_conf_arg(cf, 1);
    return PT_OK;
}


int
pt_conf_set_enum(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_str_t  *v = &pt_conf_arg(cf, 1);

    if (conf_check_unset(cf, cmd, conf) != PT_OK) {
        return PT_ERROR;
    }

    for (const pt_conf_enum_t *e = cmd->values; e && e->name; e++) {
        if (pt_str_caseeq_lit(v, e->name)) {
            *(int *) conf_field(cmd, conf) = e->value;
            return PT_OK;
        }
    }

    return pt_conf_error(cf, "invalid value \"%.*s\"", PT_STR_ARG(*v));
}


const pt_conf_enum_t  pt_conf_limit_log_levels[] = {
    { "info", PT_LOG_INFO }, { "notice", PT_LOG_NOTICE },
    { "warn", PT_LOG_WARN }, { "error", PT_LOG_ERR }, { NULL, 0 }
};


int
pt_conf_set_bufs(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_conf_bufs_t  *bufs = conf_field(cmd, conf);
    pt_str_t        *n = &pt_conf_arg(cf, 1);
    int64_t          num = pt_atoi(n->data, n->len, 65536);
    ssize_t          size = pt_parse_size(&pt_conf_arg(cf, 2));

    if (bufs->num != 0) {
        return pt_conf_error(cf, "\"%s\" directive is duplicate", cmd->name);
    }

    if (num <= 0 || size <= 0) {
        return pt_conf_error(cf, "invalid value \"%.*s %.*s\" in \"%s\" "
                             "directive", PT_STR_ARG(*n),
                             PT_STR_ARG(pt_conf_arg(cf, 2)), cmd->name);
    }

    if (size < cmd->min) {
        return pt_conf_error(cf, "the buffer size of \"%s\" must be at least "
                             "%lld bytes", cmd->name, (long long) cmd->min);
    }

    bufs->num = (size_t) num;
    bufs->size = (size_t) size;
    return PT_OK;
}


int
pt_conf_set_ignored(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    return PT_OK;
}


/* Table-driven init and merge. */

static void
conf_set_default(const pt_command_t *cmd, conf_kind_e kind, void *p)
{
    switch (kind) {
    case CONF_KIND_INT:
        *(int *) p = cmd->def.i;
        break;
    case CONF_KIND_SIZE:
        *(size_t *) p = cmd->def.size;
        break;
    case CONF_KIND_MSEC:
        *(pt_msec_t *) p = cmd->def.msec;
        break;
    case CONF_KIND_SEC:
        *(time_t *) p = cmd->def.sec;
        break;
    case CONF_KIND_STR: {
        const char  *s = cmd->def.str ? cmd->def.str : "";

        ((pt_str_t *) p)->data = (u_char *) s;
        ((pt_str_t *) p)->len = strlen(s);
        break;
    }
    default:
        break;
    }
}


void
pt_conf_init_fields(const pt_module_t *m, pt_conf_level_e level, void *conf)
{
    for (const pt_command_t *cmd = m->commands; cmd && cmd->name; cmd++) {
        conf_kind_e  kind = conf_field_kind(cmd);
        void        *p = conf_field(cmd, conf);

        if (kind == CONF_KIND_NONE || cmd->field.level != level) {
            continue;
        }

        switch (kind) {
        case CONF_KIND_INT:
            *(int *) p = PT_CONF_UNSET;
            break;
        case CONF_KIND_SIZE:
            *(size_t *) p = PT_CONF_UNSET_SIZE;
            break;
        case CONF_KIND_MSEC:
            *(pt_msec_t *) p = PT_CONF_UNSET_MSEC;
            break;
        case CONF_KIND_SEC:
            *(time_t *) p = (time_t) PT_CONF_UNSET;
            break;
        case CONF_KIND_STR:
            pt_str_null((pt_str_t *) p);
            break;
        default:
            break;
        }
    }
}


int
pt_conf_merge_fields(const pt_module_t *m, pt_conf_level_e level,
    void *parent, void *child)
{
    for (const pt_command_t *cmd = m->commands; cmd && cmd->name; cmd++) {
        conf_kind_e  kind = conf_field_kind(cmd);
        void        *p = conf_field(cmd, child);

        if (kind == CONF_KIND_NONE || cmd->field.level != level
            || !conf_field_unset(kind, p))
        {
            continue;
        }

        if (parent) {
            memcpy(p, conf_field(cmd, parent), conf_kind_size(kind));
        } else {
            conf_set_default(cmd, kind, p);
        }
    }

    return PT_OK;
}
