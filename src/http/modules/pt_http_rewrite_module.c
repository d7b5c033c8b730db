/* SPDX-License-Identifier: BSD-2-Clause */
/* The rewrite module: return, rewrite, set, if and break, run in order. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_conf.h"
#include "pt_http_script.h"

/*
 * Directives (context server, location and if unless said otherwise):
 *
 *   return code [text]; return code URL; return URL;
 *       Stops processing.  301, 302, 303, 307 and 308 take a URL
 *       (variables allowed; pt_http_send_redirect makes a relative one
 *       absolute), other codes an optional body (variables allowed) sent
 *       with the type the URI's extension maps to, or default_type.  A code
 *       of 400 or more without text gets the standard error page (or
 *       error_page).  444 closes the connection without an answer.  A lone
 *       URL starting with "http://", "https://" or "$scheme" is a 302.
 *   rewrite regex replacement [last|break|redirect|permanent];
 *       When regex matches $uri, the URI becomes replacement ($1..$9 and
 *       named captures allowed).  A replacement starting with "http://",
 *       "https://" or "$scheme" is a 302 redirect.  The request's arguments
 *       are appended unless the replacement ends with '?'.
 *   set $variable value;
 *   if (condition) { ... }
 *   break;
 *   rewrite_log on|off;                    (also http; default off)
 *   uninitialized_variable_warn on|off;    (also http; default on)
 *
 * Each level (server, location, if) holds its own list of ops, run in
 * config order: the server's in the server-rewrite phase, the location's
 * in the rewrite phase.  Ops are not inherited (nginx: a server-level
 * `return` does not repeat in its locations).  An `if` is an op holding
 * its condition and the confs of its block (a nameless location merged
 * from the enclosing one); when the condition holds, a location-level if
 * makes its confs the request's, then its block's ops run, then the ops
 * after the if.
 */

typedef enum {
    REWRITE_OP_RETURN = 0,
    REWRITE_OP_REWRITE,
    REWRITE_OP_SET,
    REWRITE_OP_IF,
    REWRITE_OP_BREAK
} rewrite_op_e;

typedef enum {
    REWRITE_FLAG_NONE = 0,
    REWRITE_FLAG_LAST,
    REWRITE_FLAG_BREAK
} rewrite_flag_e;

/* What running a list of ops asks of the caller, besides an HTTP status. */
#define REWRITE_NEXT   1        /* carry on with the following ops */
#define REWRITE_STOP   2        /* stop every op, let the phases go on */

typedef struct rewrite_loc_conf_s  rewrite_loc_conf_t;

typedef struct {
    unsigned                  status;
    bool                      has_text;
    pt_http_complex_value_t   text;      /* URL or body */
} rewrite_return_t;

typedef struct {
    pt_regex_t               *regex;
    pt_http_complex_value_t   uri;       /* replacement up to '?' */
    pt_http_complex_value_t   args;      /* after '?' */
    unsigned                  status;    /* 0: internal; 301, 302 */
    rewrite_flag_e            flag;
    unsigned                  has_args:1;
    unsigned                  add_args:1;   /* no trailing '?' */
} rewrite_rewrite_t;

typedef struct {
    unsigned                  index;
    pt_http_complex_value_t   value;
} rewrite_set_t;

typedef struct {
    pt_http_cond_t            cond;
    unsigned                  index;     /* the tested variable */
    pt_http_complex_value_t   operand;   /* = != and file tests */
    pt_regex_t               *regex;
    void                    **loc_conf;  /* NULL: a server-level if */
    rewrite_loc_conf_t       *block;
} rewrite_if_t;

typedef struct {
    rewrite_op_e   type;
    union {
        rewrite_return_t    ret;
        rewrite_rewrite_t   rewrite;
        rewrite_set_t       set;
        rewrite_if_t        cond;
    } u;
} rewrite_op_t;

struct rewrite_loc_conf_s {
    pt_array_t  *ops;          /* rewrite_op_t; NULL: none at this level */
    int          log;
    int          uninitialized_warn;
};


static int rewrite_set_return(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int rewrite_set_rewrite(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int rewrite_set_set(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int rewrite_set_if(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int rewrite_set_break(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int rewrite_init(pt_conf_t *cf);
static int rewrite_run(pt_http_request_t *r, rewrite_loc_conf_t *rlcf,
    bool log);

#define REWRITE_CTX  (PT_HTTP_SRV | PT_HTTP_LOC | PT_HTTP_IF | PT_HTTP_SIF)

static const pt_command_t  rewrite_commands[] = {
    { .name = "return", .ctx = REWRITE_CTX,
      .args = PT_CONF_TAKE12, .set = rewrite_set_return },
    { .name = "rewrite", .ctx = REWRITE_CTX,
      .args = PT_CONF_TAKE23, .set = rewrite_set_rewrite },
    { .name = "set", .ctx = REWRITE_CTX,
      .args = PT_CONF_TAKE2, .set = rewrite_set_set },
    { .name = "break", .ctx = REWRITE_CTX,
      .args = PT_CONF_NOARGS, .set = rewrite_set_break },
    { .name = "if", .ctx = PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_BLOCK | PT_CONF_1MORE, .set = rewrite_set_if },
    { .name = "rewrite_log", .ctx = PT_HTTP_MAIN | REWRITE_CTX,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(rewrite_loc_conf_t, log), .def.flag = 0 },
    { .name = "uninitialized_variable_warn",
      .ctx = PT_HTTP_MAIN | REWRITE_CTX, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(rewrite_loc_conf_t, uninitialized_warn),
      .def.flag = 1 },
    PT_COMMAND_END
};

static const pt_http_module_t  rewrite_module_ctx = {
    .postconfiguration = rewrite_init,
    .loc_conf_size = sizeof(rewrite_loc_conf_t),
};

pt_module_t  pt_http_rewrite_module = {
    .name = "pt_http_rewrite_module",
    .type = PT_HTTP_MODULE,
    .commands = rewrite_commands,
    .ctx = &rewrite_module_ctx,
};


static bool
rewrite_is_redirect(unsigned status)
{
    return status == PT_HTTP_MOVED_PERMANENTLY
           || status == PT_HTTP_MOVED_TEMPORARILY
           || status == PT_HTTP_SEE_OTHER
           || status == PT_HTTP_TEMPORARY_REDIRECT
           || status == PT_HTTP_PERMANENT_REDIRECT;
}


/*
 * Runs a `return`: either a status for the phase engine to finalize with,
 * or, when a response was started here, PT_DONE after finalizing.
 */
static int
rewrite_return(pt_http_request_t *r, const rewrite_return_t *ret)
{
    pt_str_t  text;
    int       rc;

    if (ret->status == PT_HTTP_CLOSE) {
        return PT_HTTP_CLOSE;
    }

    if (!ret->has_text) {
        if (ret->status >= PT_HTTP_BAD_REQUEST
            || rewrite_is_redirect(ret->status))
        {
            return (int) ret->status;
        }
    }

    if (pt_http_complex_value(r, &ret->text, &text) != PT_OK) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rewrite_is_redirect(ret->status)) {
        rc = pt_http_send_redirect(r, (int) ret->status, &text);

    } else {
        pt_http_set_exten(r);

        if (pt_http_set_content_type(r) != PT_OK) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = pt_http_send_response(r, ret->status,
                                   &r->headers_out.content_type, &text);
    }

    pt_http_finalize_request(r, rc);

    return PT_DONE;
}


/* out = a sep b, in r->pool (out may be a or b); NULL on failure. */
static u_char *
rewrite_join(pt_http_request_t *r, pt_str_t *out, const pt_str_t *a,
    const char *sep, const pt_str_t *b)
{
    pt_str_t  x = *a, y = *b;
    size_t    n;
    u_char   *p;

    n = strlen(sep);

    p = pt_pnalloc(r->pool, x.len + n + y.len + 1);
    if (p == NULL) {
        return NULL;
    }

    out->data = p;
    p = pt_cpymem(p, x.data, x.len);
    p = pt_cpymem(p, sep, n);
    p = pt_cpymem(p, y.data, y.len);
    *p = '\0';
    out->len = (size_t) (p - out->data);

    return out->data;
}


/* rewrite_log: a regex of rewrite or if tested against subject. */
static void
rewrite_log_match(pt_http_request_t *r, const pt_regex_t *re, int rc,
    const pt_str_t *subject)
{
    pt_log_error(PT_LOG_NOTICE, r->connection->log, 0,
                 "\"" PT_STR_FMT "\" %s \"" PT_STR_FMT "\"",
                 PT_STR_ARG(re->pattern),
                 rc == PT_OK ? "matches" : "does not match",
                 PT_STR_ARG(*subject));
}


/* Sends the redirect of a matched `rewrite`; PT_DONE or a status. */
static int
rewrite_redirect(pt_http_request_t *r, bool log,
    const rewrite_rewrite_t *rw, pt_str_t *uri, pt_str_t *args)
{
    pt_str_t  url;
    int       rc;

    url = *uri;

    if (rw->has_args && rewrite_join(r, &url, uri, "?", args) == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rw->add_args && r->args.len
        && rewrite_join(r, &url, &url, rw->has_args ? "&" : "?", &r->args)
           == NULL)
    {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (log) {
        pt_log_error(PT_LOG_NOTICE, r->connection->log, 0,
                     "rewritten redirect: \"" PT_STR_FMT "\"",
                     PT_STR_ARG(url));
    }

    rc = pt_http_send_redirect(r, (int) rw->status, &url);
    pt_http_finalize_request(r, rc);

    return PT_DONE;
}


/*
 * Runs one `rewrite`: REWRITE_NEXT when the regex does not match or the
 * rewrite has no flag, REWRITE_STOP for last and break, else a status or
 * PT_DONE (a redirect was sent).
 */
static int
rewrite_rewrite(pt_http_request_t *r, bool log,
    const rewrite_rewrite_t *rw)
{
    pt_str_t  uri, args, subject;
    int       rc;

    subject = r->uri;
    rc = pt_http_regex_exec(r, rw->regex, &subject);

    if (rc == PT_ERROR) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (log) {
        rewrite_log_match(r, rw->regex, rc, &subject);
    }

    if (rc == PT_DECLINED) {
        return REWRITE_NEXT;
    }

    pt_str_null(&args);

    if (pt_http_complex_value(r, &rw->uri, &uri) != PT_OK
        || (rw->has_args
            && pt_http_complex_value(r, &rw->args, &args) != PT_OK))
    {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rw->status) {
        return rewrite_redirect(r, log, rw, &uri, &args);
    }

    if (uri.len == 0) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0,
                     "the rewritten URI has a zero length");
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rw->has_args) {
        if (rw->add_args && r->args.len
            && rewrite_join(r, &args, &args, "&", &r->args) == NULL)
        {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->args = args;

    } else if (!rw->add_args) {
        pt_str_null(&r->args);
    }

    if (log) {
        pt_log_error(PT_LOG_NOTICE, r->connection->log, 0,
                     "rewritten data: \"" PT_STR_FMT "\", args: \""
                     PT_STR_FMT "\"", PT_STR_ARG(uri), PT_STR_ARG(r->args));
    }

    r->uri = uri;
    r->internal = 1;
    pt_http_set_exten(r);

    switch (rw->flag) {

    case REWRITE_FLAG_LAST:
        r->uri_changed = 1;
        return REWRITE_STOP;

    case REWRITE_FLAG_BREAK:
        r->uri_changed = 0;
        return REWRITE_STOP;

    default:
        r->uri_changed = 1;
        return REWRITE_NEXT;
    }
}


/* `set`: the variable's own setter, or the request's value slot. */
static int
rewrite_set(pt_http_request_t *r, const rewrite_set_t *set)
{
    pt_http_core_main_conf_t  *cmcf;
    pt_http_variable_value_t  *vv, val;
    pt_http_variable_t        *v;
    pt_str_t                   value;

    if (pt_http_complex_value(r, &set->value, &value) != PT_OK) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    memset(&val, 0, sizeof(val));
    val.len = (unsigned) value.len;
    val.valid = 1;
    val.data = value.data;

    cmcf = pt_http_get_module_main_conf(r, pt_http_core_module);
    v = cmcf->variables.elts;

    if (v[set->index].set != NULL) {
        v[set->index].set(r, &val, v[set->index].data);
    }

    vv = &r->variables[set->index];
    *vv = val;

    return REWRITE_NEXT;
}


/* The value of variable index, or an empty string when it has none. */
static int
rewrite_var_value(pt_http_request_t *r, unsigned index, pt_str_t *out)
{
    pt_http_variable_value_t  *v;

    v = pt_http_get_flushed_variable(r, index);
    if (v == NULL) {
        return PT_ERROR;
    }

    if (v->not_found) {
        pt_str_set(out, "");
        return PT_OK;
    }

    out->len = v->len;
    out->data = v->data;
    return PT_OK;
}


/* -f -d -e -x on the evaluated path; false when it cannot be stat()ed. */
static int
rewrite_test_file(pt_http_request_t *r, const rewrite_if_t *ifc)
{
    struct stat   st;
    pt_str_t      path;
    u_char       *name;

    if (pt_http_complex_value(r, &ifc->operand, &path) != PT_OK) {
        return PT_ERROR;
    }

    name = pt_pnalloc(r->pool, path.len + 1);
    if (name == NULL) {
        return PT_ERROR;
    }

    pt_memcpy(name, path.data, path.len);
    name[path.len] = '\0';

    if (stat((char *) name, &st) == -1) {
        return false;
    }

    switch (ifc->cond.file_op) {
    case 'f':
        return S_ISREG(st.st_mode);
    case 'd':
        return S_ISDIR(st.st_mode);
    case 'x':
        return (st.st_mode & S_IXUSR) != 0;
    default:
        return true;
    }
}


/* Evaluates an if's condition: 1 true, 0 false, PT_ERROR. */
static int
rewrite_test(pt_http_request_t *r, const rewrite_if_t *ifc, bool log)
{
    pt_str_t  value, operand;
    int       rc;

    if (ifc->cond.type == PT_HTTP_COND_FILE) {
        rc = rewrite_test_file(r, ifc);
        return rc == PT_ERROR ? rc : (rc != 0) != ifc->cond.negative;
    }

    if (rewrite_var_value(r, ifc->index, &value) != PT_OK) {
        return PT_ERROR;
    }

    switch (ifc->cond.type) {

    case PT_HTTP_COND_VAR:
        return value.len && !(value.len == 1 && value.data[0] == '0');

    case PT_HTTP_COND_EQ:
    case PT_HTTP_COND_NE:
        if (pt_http_complex_value(r, &ifc->operand, &operand) != PT_OK) {
            return PT_ERROR;
        }

        return pt_str_eq(&value, &operand)
               == (ifc->cond.type == PT_HTTP_COND_EQ);

    default:
        rc = pt_http_regex_exec(r, ifc->regex, &value);
        if (rc == PT_ERROR) {
            return PT_ERROR;
        }

        if (log) {
            rewrite_log_match(r, ifc->regex, rc, &value);
        }

        return (rc == PT_OK) != ifc->cond.negative;
    }
}


/* Runs an if: when it holds, its confs become r's and its ops run. */
static int
rewrite_if(pt_http_request_t *r, const rewrite_if_t *ifc, bool log)
{
    int  rc;

    rc = rewrite_test(r, ifc, log);

    if (rc == PT_ERROR) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!rc) {
        return REWRITE_NEXT;
    }

    if (ifc->loc_conf != NULL) {
        r->loc_conf = ifc->loc_conf;
        pt_http_update_location_config(r);
    }

    return rewrite_run(r, ifc->block, log);
}


/*
 * Runs rlcf's ops in order; REWRITE_NEXT, REWRITE_STOP or a status.  As
 * nginx, rewrite_log is the one of the level the phase started with (a
 * rewrite_log inside an if block changes nothing).
 */
static int
rewrite_run(pt_http_request_t *r, rewrite_loc_conf_t *rlcf, bool log)
{
    rewrite_op_t  *op;
    size_t         i;
    int            rc;

    if (rlcf->ops == NULL) {
        return REWRITE_NEXT;
    }

    op = rlcf->ops->elts;

    for (i = 0; i < rlcf->ops->nelts; i++) {
        switch (op[i].type) {

        case REWRITE_OP_RETURN:
            return rewrite_return(r, &op[i].u.ret);

        case REWRITE_OP_BREAK:
            return REWRITE_STOP;

        case REWRITE_OP_REWRITE:
            rc = rewrite_rewrite(r, log, &op[i].u.rewrite);
            break;

        case REWRITE_OP_SET:
            rc = rewrite_set(r, &op[i].u.set);
            break;

        default:
            rc = rewrite_if(r, &op[i].u.cond, log);
            break;
        }

        if (rc != REWRITE_NEXT) {
            return rc;
        }
    }

    return REWRITE_NEXT;
}


static int
rewrite_phase_rc(int rc)
{
    return (rc == REWRITE_NEXT || rc == REWRITE_STOP) ? PT_DECLINED : rc;
}


/* Server-rewrite phase: the ops of the virtual server's own level. */
static int
rewrite_server_handler(pt_http_request_t *r)
{
    pt_http_core_srv_conf_t  *cscf;
    rewrite_loc_conf_t       *rlcf;

    if (r->srv_conf == NULL) {
        return PT_DECLINED;
    }

    cscf = pt_http_get_module_srv_conf(r, pt_http_core_module);
    rlcf = cscf->ctx->loc_conf[pt_http_rewrite_module.ctx_index];

    return rewrite_phase_rc(rewrite_run(r, rlcf, rlcf->log));
}


/*
 * Rewrite phase: the location's ops; none when no location matched and
 * r still has the server's confs (they ran in the server-rewrite phase).
 */
static int
rewrite_location_handler(pt_http_request_t *r)
{
    pt_http_core_srv_conf_t  *cscf;

    if (r->loc_conf == NULL || r->srv_conf == NULL) {
        return PT_DECLINED;
    }

    cscf = pt_http_get_module_srv_conf(r, pt_http_core_module);

    if (r->loc_conf == cscf->ctx->loc_conf) {
        return PT_DECLINED;
    }

    rewrite_loc_conf_t  *rlcf = pt_http_get_module_loc_conf(r,
                                                    pt_http_rewrite_module);

    return rewrite_phase_rc(rewrite_run(r, rlcf, rlcf->log));
}


static bool
rewrite_is_url(const pt_str_t *s)
{
    static const char  *prefixes[] = { "http://", "https://", "$scheme" };
    size_t              i, n;

    for (i = 0; i < pt_nelts(prefixes); i++) {
        n = strlen(prefixes[i]);

        if (s->len >= n && memcmp(s->data, prefixes[i], n) == 0) {
            return true;
        }
    }

    return false;
}


static rewrite_op_t *
rewrite_add_op(pt_conf_t *cf, rewrite_loc_conf_t *rlcf, rewrite_op_e type)
{
    rewrite_op_t  *op;

    if (rlcf->ops == NULL) {
        rlcf->ops = pt_array_create(cf->pool, 2, sizeof(rewrite_op_t));
        if (rlcf->ops == NULL) {
            return NULL;
        }
    }

    op = pt_array_push(rlcf->ops);
    if (op == NULL) {
        return NULL;
    }

    memset(op, 0, sizeof(rewrite_op_t));
    op->type = type;

    return op;
}


/* return code [text] | code URL | URL; */
static int
rewrite_set_return(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    rewrite_loc_conf_t  *rlcf = conf;
    rewrite_return_t    *ret;
    rewrite_op_t        *op;
    pt_str_t            *arg, *text;
    int64_t              status;

    arg = &pt_conf_arg(cf, 1);
    text = NULL;

    status = pt_atoi(arg->data, arg->len, 999);

    if (status < 0) {
        if (pt_conf_nargs(cf) != 2 || !rewrite_is_url(arg)) {
            return pt_conf_error(cf, "invalid return code \"" PT_STR_FMT "\"",
                                 PT_STR_ARG(*arg));
        }

        status = PT_HTTP_MOVED_TEMPORARILY;
        text = arg;

    } else if (pt_conf_nargs(cf) == 3) {
        text = &pt_conf_arg(cf, 2);
    }

    op = rewrite_add_op(cf, rlcf, REWRITE_OP_RETURN);
    if (op == NULL) {
        return PT_ERROR;
    }

    ret = &op->u.ret;
    ret->status = (unsigned) status;

    if (text == NULL || text->len == 0) {
        /* nginx: an empty text is no text (404 "" gets the error page) */
        return PT_OK;
    }

    ret->has_text = true;

    return pt_http_compile_complex_value(cf, text, &ret->text);
}


static bool
rewrite_arg_is(const pt_str_t *s, const char *lit)
{
    return s->len == strlen(lit) && memcmp(s->data, lit, s->len) == 0;
}


/* rewrite regex replacement [last|break|redirect|permanent]; */
static int
rewrite_set_rewrite(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    rewrite_loc_conf_t  *rlcf = conf;
    rewrite_rewrite_t   *rw;
    rewrite_op_t        *op;
    pt_str_t             repl, flag, uri, args;
    u_char              *q;

    op = rewrite_add_op(cf, rlcf, REWRITE_OP_REWRITE);
    if (op == NULL) {
        return PT_ERROR;
    }

    rw = &op->u.rewrite;

    pt_regex_compile_t  rc = { .pattern = pt_conf_arg(cf, 1),
                               .pool = cf->pool };

    if (pt_regex_compile(&rc) != PT_OK) {
        return pt_conf_error(cf, "%s", rc.err);
    }

    rw->regex = rc.regex;

    if (pt_http_regex_add_vars(cf, rw->regex) != PT_OK) {
        return PT_ERROR;
    }

    repl = pt_conf_arg(cf, 2);

    if (rewrite_is_url(&repl)) {
        rw->status = PT_HTTP_MOVED_TEMPORARILY;
        rw->flag = REWRITE_FLAG_LAST;
    }

    if (pt_conf_nargs(cf) == 4) {
        flag = pt_conf_arg(cf, 3);

        if (rewrite_arg_is(&flag, "last")) {
            rw->flag = REWRITE_FLAG_LAST;

        } else if (rewrite_arg_is(&flag, "break")) {
            rw->flag = REWRITE_FLAG_BREAK;

        } else if (rewrite_arg_is(&flag, "redirect")) {
            rw->status = PT_HTTP_MOVED_TEMPORARILY;

        } else if (rewrite_arg_is(&flag, "permanent")) {
            rw->status = PT_HTTP_MOVED_PERMANENTLY;

        } else {
            return pt_conf_error(cf, "invalid parameter \"" PT_STR_FMT "\"",
                                 PT_STR_ARG(flag));
        }
    }

    /* A last '?' drops the request's arguments instead of appending them. */
    if (repl.len && repl.data[repl.len - 1] == '?') {
        repl.len--;
    } else {
        rw->add_args = 1;
    }

    uri = repl;
    pt_str_null(&args);

    q = memchr(repl.data, '?', repl.len);

    if (q != NULL) {
        rw->has_args = 1;
        uri.len = (size_t) (q - repl.data);
        args.data = q + 1;
        args.len = repl.len - uri.len - 1;
    }

    if (pt_http_compile_complex_value(cf, &uri, &rw->uri) != PT_OK) {
        return PT_ERROR;
    }

    if (rw->has_args) {
        return pt_http_compile_complex_value(cf, &args, &rw->args);
    }

    return PT_OK;
}


/* A variable's value before any `set` gave it one: empty, with a warning. */
static int
rewrite_var_uninit(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    rewrite_loc_conf_t  *rlcf;
    const pt_str_t      *name = (const pt_str_t *) data;

    if (r->loc_conf != NULL) {
        rlcf = pt_http_get_module_loc_conf(r, pt_http_rewrite_module);

        if (rlcf->uninitialized_warn) {
            pt_log_error(PT_LOG_WARN, r->connection->log, 0,
                         "using uninitialized \"" PT_STR_FMT "\" variable",
                         PT_STR_ARG(*name));
        }
    }

    v->len = 0;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->escape = 0;
    v->data = (u_char *) "";

    return PT_OK;
}


/* set $variable value; */
static int
rewrite_set_set(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    rewrite_loc_conf_t  *rlcf = conf;
    pt_http_variable_t  *v;
    rewrite_op_t        *op;
    int                  index;

    v = pt_http_add_dollar_variable(cf, &pt_conf_arg(cf, 1));
    if (v == NULL) {
        return PT_ERROR;
    }

    if (v->get == NULL) {
        v->get = rewrite_var_uninit;
        v->data = (uintptr_t) &v->name;
    }

    index = pt_http_get_variable_index(cf, &v->name);
    if (index < 0) {
        return PT_ERROR;
    }

    op = rewrite_add_op(cf, rlcf, REWRITE_OP_SET);
    if (op == NULL) {
        return PT_ERROR;
    }

    op->u.set.index = (unsigned) index;

    return pt_http_compile_complex_value(cf, &pt_conf_arg(cf, 2),
                                         &op->u.set.value);
}


/* break; */
static int
rewrite_set_break(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    return rewrite_add_op(cf, conf, REWRITE_OP_BREAK) ? PT_OK : PT_ERROR;
}


/* Compiles the parts of an if's condition that are not its block. */
static int
rewrite_if_condition(pt_conf_t *cf, rewrite_if_t *ifc)
{
    pt_http_cond_err_e  kind;
    pt_str_t            bad;
    int                 index;

    if (pt_http_script_parse_cond(&pt_conf_arg(cf, 1), pt_conf_nargs(cf) - 1,
                                  &ifc->cond, &kind, &bad)
        != PT_OK)
    {
        if (kind == PT_HTTP_COND_ERR_UNEXPECTED) {
            return pt_conf_error(cf, "unexpected \"" PT_STR_FMT "\" in "
                                 "condition", PT_STR_ARG(bad));
        }

        return pt_conf_error(cf, "invalid condition \"" PT_STR_FMT "\"",
                             PT_STR_ARG(bad));
    }

    if (ifc->cond.type != PT_HTTP_COND_FILE) {
        index = pt_http_get_variable_index(cf, &ifc->cond.var);
        if (index < 0) {
            return PT_ERROR;
        }

        ifc->index = (unsigned) index;
    }

    if (ifc->cond.type == PT_HTTP_COND_VAR) {
        return PT_OK;
    }

    if (ifc->cond.type != PT_HTTP_COND_REGEX) {
        return pt_http_compile_complex_value(cf, &ifc->cond.operand,
                                             &ifc->operand);
    }

    pt_regex_compile_t  rc = { .pattern = ifc->cond.operand,
                               .caseless = ifc->cond.caseless,
                               .pool = cf->pool };

    if (pt_regex_compile(&rc) != PT_OK) {
        return pt_conf_error(cf, "%s", rc.err);
    }

    ifc->regex = rc.regex;

    return pt_http_regex_add_vars(cf, rc.regex);
}


/*
 * The confs of an if block: a nameless location of the enclosing level,
 * so the engine merges it from there and location matching skips it.
 */
static pt_http_conf_ctx_t *
rewrite_if_ctx(pt_conf_t *cf)
{
    pt_http_conf_ctx_t       *pctx = cf->ctx, *ctx;
    pt_http_core_loc_conf_t  *pclcf, *clcf, **slot;

    ctx = pt_pcalloc(cf->pool, sizeof(pt_http_conf_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->main_conf = pctx->main_conf;
    ctx->srv_conf = pctx->srv_conf;

    if (pt_http_alloc_confs(cf, ctx, false, false) != PT_OK) {
        return NULL;
    }

    pclcf = pctx->loc_conf[pt_http_core_module.ctx_index];
    clcf = ctx->loc_conf[pt_http_core_module.ctx_index];
    clcf->name = pclcf->name;
    clcf->noname = 1;

    if (pclcf->locations == NULL) {
        pclcf->locations = pt_array_create(cf->pool, 4, sizeof(void *));
        if (pclcf->locations == NULL) {
            return NULL;
        }
    }

    slot = pt_array_push(pclcf->locations);
    if (slot == NULL) {
        return NULL;
    }

    *slot = clcf;

    return ctx;
}


/* if (condition) { ... } */
static int
rewrite_set_if(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    rewrite_loc_conf_t  *rlcf = conf;
    pt_http_conf_ctx_t  *ctx;
    rewrite_if_t        *ifc;
    rewrite_op_t        *op;
    pt_conf_t            saved;
    int                  rc;

    op = rewrite_add_op(cf, rlcf, REWRITE_OP_IF);
    if (op == NULL) {
        return PT_ERROR;
    }

    ifc = &op->u.cond;

    if (rewrite_if_condition(cf, ifc) != PT_OK) {
        return PT_ERROR;
    }

    ctx = rewrite_if_ctx(cf);
    if (ctx == NULL) {
        return PT_ERROR;
    }

    ifc->block = ctx->loc_conf[pt_http_rewrite_module.ctx_index];

    /* nginx: a server-level if only runs ops, the server's confs stay */
    ifc->loc_conf = cf->ctx_type == PT_HTTP_SRV ? NULL : ctx->loc_conf;

    saved = *cf;
    cf->ctx = ctx;
    cf->ctx_type = cf->ctx_type == PT_HTTP_SRV ? PT_HTTP_SIF : PT_HTTP_IF;

    rc = pt_conf_parse(cf, NULL);

    saved.file = cf->file;
    *cf = saved;

    return rc;
}


static int
rewrite_init(pt_conf_t *cf)
{
    if (pt_http_phase_add(cf, PT_HTTP_SERVER_REWRITE_PHASE,
                          rewrite_server_handler)
        != PT_OK)
    {
        return PT_ERROR;
    }

    return pt_http_phase_add(cf, PT_HTTP_REWRITE_PHASE,
                             rewrite_location_handler);
}
