/* SPDX-License-Identifier: BSD-2-Clause */
/* The rewrite module: a small per-location script; today only `return`. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

/*
 * Directives:
 *
 *   return code [text];
 *   return code URL;
 *   return URL;
 *       default: none   context: server, location, if
 *       Stops processing.  301, 302, 303, 307 and 308 take a URL
 *       (variables allowed; pt_http_send_redirect makes a relative one
 *       absolute), other codes an optional body (variables allowed) sent
 *       with the type the URI's extension maps to, or default_type.  A code
 *       of 400 or more without text gets the standard error page (or
 *       error_page).  444 closes the connection without an answer.  A lone
 *       URL starting with "http://", "https://" or "$scheme" is a 302.
 *
 * Each level (server, location, later `if`) holds its own list of ops, run
 * in config order: the server's in the server-rewrite phase, the
 * location's in the rewrite phase.  Ops are not inherited (nginx: a
 * server-level `return` does not repeat in its locations).  `rewrite`,
 * `set`, `if` and `break` will be further op types of the same list: `if`
 * an op holding its condition and the loc conf of its block, whose ops run
 * when the condition holds.
 */

typedef enum {
    REWRITE_OP_RETURN = 0
} rewrite_op_e;

typedef struct {
    unsigned                  status;
    bool                      has_text;
    pt_http_complex_value_t   text;      /* URL or body */
} rewrite_return_t;

typedef struct {
    rewrite_op_e   type;
    union {
        rewrite_return_t   ret;
    } u;
} rewrite_op_t;

typedef struct {
    pt_array_t  *ops;          /* rewrite_op_t; NULL: none at this level */
} rewrite_loc_conf_t;


static int rewrite_set_return(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int rewrite_init(pt_conf_t *cf);


static const pt_command_t  rewrite_commands[] = {
    { .name = "return",
      .ctx = PT_HTTP_SRV | PT_HTTP_LOC | PT_HTTP_IF | PT_HTTP_SIF,
      .args = PT_CONF_TAKE12, .set = rewrite_set_return },
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


/* Server-rewrite and rewrite phases: the ops of r's current level. */
static int
rewrite_handler(pt_http_request_t *r)
{
    rewrite_loc_conf_t  *rlcf;
    rewrite_op_t        *op;
    size_t               i;

    if (r->loc_conf == NULL) {
        return PT_DECLINED;
    }

    rlcf = pt_http_get_module_loc_conf(r, pt_http_rewrite_module);

    if (rlcf->ops == NULL) {
        return PT_DECLINED;
    }

    op = rlcf->ops->elts;

    for (i = 0; i < rlcf->ops->nelts; i++) {
        switch (op[i].type) {

        case REWRITE_OP_RETURN:
            return rewrite_return(r, &op[i].u.ret);
        }
    }

    return PT_DECLINED;
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


static int
rewrite_init(pt_conf_t *cf)
{
    if (pt_http_phase_add(cf, PT_HTTP_SERVER_REWRITE_PHASE, rewrite_handler)
        != PT_OK)
    {
        return PT_ERROR;
    }

    return pt_http_phase_add(cf, PT_HTTP_REWRITE_PHASE, rewrite_handler);
}
