/* SPDX-License-Identifier: BSD-2-Clause */
/* Variables: indexed at config time, computed lazily once per request. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_script.h"


/*
 * Storage in pt_http_core_main_conf_t:
 *   variables         pt_http_variable_t, the ones the config uses; the
 *                     position is the index, r->variables mirrors it;
 *   all_variables     pt_http_variable_t *, every declared variable;
 *   prefix_variables  pt_http_variable_t *, declared prefixes (http_ ...).
 * Declared variables are allocated one by one so the pointer returned by
 * pt_http_add_variable() stays valid.  A prefixed variable's getter gets
 * data = (uintptr_t) (const pt_str_t *) the full lower-case name.
 */

/* A complex-value part that is a regex capture: len holds its number. */
#define CV_CAPTURE  -2


/* ---- registration and lookup ------------------------------------------- */


static pt_http_core_main_conf_t *
variables_main_conf(pt_conf_t *cf)
{
    pt_http_core_main_conf_t  *cmcf;

    cmcf = pt_http_conf_get_module_main_conf(cf, pt_http_core_module);

    if (cmcf->variables.elts == NULL
        && pt_array_init(&cmcf->variables, cf->pool, 64,
                         sizeof(pt_http_variable_t)) != PT_OK)
    {
        return NULL;
    }

    if (cmcf->all_variables.elts == NULL
        && pt_array_init(&cmcf->all_variables, cf->pool, 64,
                         sizeof(pt_http_variable_t *)) != PT_OK)
    {
        return NULL;
    }

    if (cmcf->prefix_variables.elts == NULL
        && pt_array_init(&cmcf->prefix_variables, cf->pool, 8,
                         sizeof(pt_http_variable_t *)) != PT_OK)
    {
        return NULL;
    }

    if (cmcf->variables.size != sizeof(pt_http_variable_t)
        || cmcf->all_variables.size != sizeof(pt_http_variable_t *)
        || cmcf->prefix_variables.size != sizeof(pt_http_variable_t *))
    {
        /* the arrays belong to this file: see the comment at the top */
        pt_conf_error(cf, "variable arrays initialised with a wrong size");
        return NULL;
    }

    return cmcf;
}


static int
variables_copy_name(pt_conf_t *cf, pt_str_t *dst, const pt_str_t *src)
{
    dst->data = pt_pnalloc(cf->pool, src->len + 1);
    if (dst->data == NULL) {
        return PT_ERROR;
    }

    pt_strlow(dst->data, src->data, src->len);
    dst->data[src->len] = '\0';
    dst->len = src->len;

    return PT_OK;
}


/* Declares a variable; see the header.  Names are case-insensitive. */
pt_http_variable_t *
pt_http_add_variable(pt_conf_t *cf, const pt_str_t *name, unsigned flags)
{
    pt_http_core_main_conf_t   *cmcf;
    pt_http_variable_t         *v, **vp;
    pt_array_t                 *a;
    size_t                      i;

    if (name->len == 0) {
        pt_conf_error(cf, "invalid variable name \"$\"");
        return NULL;
    }

    cmcf = variables_main_conf(cf);
    if (cmcf == NULL) {
        return NULL;
    }

    a = (flags & PT_HTTP_VAR_PREFIX) ? &cmcf->prefix_variables
                                     : &cmcf->all_variables;
    vp = a->elts;

    for (i = 0; i < a->nelts; i++) {
        v = vp[i];

        if (!pt_str_caseeq(&v->name, name)) {
            continue;
        }

        if (!(v->flags & PT_HTTP_VAR_CHANGEABLE)
            || !(flags & PT_HTTP_VAR_CHANGEABLE))
        {
            pt_conf_error(cf, "the duplicate \"" PT_STR_FMT "\" variable",
                          PT_STR_ARG(*name));
            return NULL;
        }

        if (!(flags & PT_HTTP_VAR_NOCACHEABLE)) {
            v->flags &= ~PT_HTTP_VAR_NOCACHEABLE;
        }

        return v;
    }

    v = pt_pcalloc(cf->pool, sizeof(pt_http_variable_t));
    if (v == NULL) {
        return NULL;
    }

    if (variables_copy_name(cf, &v->name, name) != PT_OK) {
        return NULL;
    }

    v->flags = flags;
    v->index = (unsigned) -1;

    vp = pt_array_push(a);
    if (vp == NULL) {
        return NULL;
    }

    *vp = v;

    return v;
}


/* "$name" of map and set; see the header. */
pt_http_variable_t *
pt_http_add_dollar_variable(pt_conf_t *cf, const pt_str_t *arg)
{
    pt_str_t  name = *arg;

    if (name.len < 2 || name.data[0] != '$') {
        pt_conf_error(cf, "invalid variable name \"" PT_STR_FMT "\"",
                      PT_STR_ARG(name));
        return NULL;
    }

    name.data++;
    name.len--;

    return pt_http_add_variable(cf, &name, PT_HTTP_VAR_CHANGEABLE);
}


/* Index of a used variable; see the header. */
int
pt_http_get_variable_index(pt_conf_t *cf, const pt_str_t *name)
{
    pt_http_core_main_conf_t  *cmcf;
    pt_http_variable_t        *v;
    size_t                     i;

    if (name->len == 0) {
        pt_conf_error(cf, "invalid variable name \"$\"");
        return -1;
    }

    cmcf = variables_main_conf(cf);
    if (cmcf == NULL) {
        return -1;
    }

    v = cmcf->variables.elts;

    for (i = 0; i < cmcf->variables.nelts; i++) {
        if (pt_str_caseeq(&v[i].name, name)) {
            return (int) i;
        }
    }

    v = pt_array_push(&cmcf->variables);
    if (v == NULL) {
        return -1;
    }

    memset(v, 0, sizeof(pt_http_variable_t));

    if (variables_copy_name(cf, &v->name, name) != PT_OK) {
        return -1;
    }

    v->index = (unsigned) (cmcf->variables.nelts - 1);

    return (int) v->index;
}


/* The cached or freshly computed value of variable index for r. */
pt_http_variable_value_t *
pt_http_get_indexed_variable(pt_http_request_t *r, unsigned index)
{
    pt_http_core_main_conf_t   *cmcf;
    pt_http_variable_t         *v;
    pt_http_variable_value_t   *val;

    cmcf = pt_http_get_module_main_conf(r, pt_http_core_module);

    if (index >= cmcf->variables.nelts) {
        pt_log_error(PT_LOG_ALERT, r->connection->log, 0,
                     "unknown variable index: %u", index);
        return NULL;
    }

    if (r->variables == NULL) {
        /* the request engine allocates these; tolerate early callers */
        r->variables = pt_pcalloc(r->pool, cmcf->variables.nelts
                                           * sizeof(pt_http_variable_value_t));
        if (r->variables == NULL) {
            return NULL;
        }
    }

    val = &r->variables[index];

    if (val->valid || val->not_found) {
        return val;
    }

    v = cmcf->variables.elts;

    if (v[index].get != NULL && v[index].get(r, val, v[index].data) == PT_OK) {
        if (v[index].flags & PT_HTTP_VAR_NOCACHEABLE) {
            val->no_cacheable = 1;
        }

        return val;
    }

    val->valid = 0;
    val->not_found = 1;

    return NULL;
}


/* Like pt_http_get_indexed_variable, recomputing non-cacheable values. */
pt_http_variable_value_t *
pt_http_get_flushed_variable(pt_http_request_t *r, unsigned index)
{
    pt_http_variable_value_t  *val;

    if (r->variables != NULL) {
        val = &r->variables[index];

        if (val->valid || val->not_found) {
            if (!val->no_cacheable) {
                return val;
            }

            val->valid = 0;
            val->not_found = 0;
        }
    }

    return pt_http_get_indexed_variable(r, index);
}


/* Binds every used variable to its declaration; see the header. */
int
pt_http_variables_init_vars(pt_conf_t *cf)
{
    pt_http_core_main_conf_t   *cmcf;
    pt_http_variable_t         *v, **av, **pv;
    pt_str_t                   *name;
    size_t                      i, n;
    bool                        found;

    cmcf = variables_main_conf(cf);
    if (cmcf == NULL) {
        return PT_ERROR;
    }

    v = cmcf->variables.elts;
    av = cmcf->all_variables.elts;
    pv = cmcf->prefix_variables.elts;

    for (i = 0; i < cmcf->variables.nelts; i++) {
        found = false;

        for (n = 0; n < cmcf->all_variables.nelts; n++) {
            if (!pt_str_eq(&av[n]->name, &v[i].name)) {
                continue;
            }

            if (av[n]->get == NULL) {
                break;
            }

            v[i].get = av[n]->get;
            v[i].set = av[n]->set;
            v[i].data = av[n]->data;
            v[i].flags = av[n]->flags;
            av[n]->index = (unsigned) i;
            found = true;
            break;
        }

        if (found) {
            continue;
        }

        for (n = 0; n < cmcf->prefix_variables.nelts; n++) {
            if (v[i].name.len < pv[n]->name.len
                || memcmp(v[i].name.data, pv[n]->name.data, pv[n]->name.len)
                   != 0)
            {
                continue;
            }

            name = pt_palloc(cf->pool, sizeof(pt_str_t));
            if (name == NULL) {
                return PT_ERROR;
            }

            *name = v[i].name;

            v[i].get = pv[n]->get;
            v[i].data = (uintptr_t) name;
            v[i].flags = pv[n]->flags;
            found = true;
            break;
        }

        if (!found) {
            return pt_conf_error(cf, "unknown \"" PT_STR_FMT "\" variable",
                                 PT_STR_ARG(v[i].name));
        }
    }

    return PT_OK;
}
/* ---- complex values ---------------------------------------------------- */


/* Compiles text into cv; see the header. */
int
pt_http_compile_complex_value(pt_conf_t *cf, const pt_str_t *text,
    pt_http_complex_value_t *cv)
{
    pt_http_script_token_t   tok;
    pt_http_cv_part_t       *part;
    const char              *err;
    size_t                   pos, n;
    int                      rc, index;

    memset(cv, 0, sizeof(pt_http_complex_value_t));
    cv->value = *text;

    n = 0;
    pos = 0;

    for ( ;; ) {
        rc = pt_http_script_next(text, &pos, &tok, &err);

        if (rc == PT_DONE) {
            break;
        }

        if (rc == PT_ERROR) {
            return pt_conf_error(cf, "%s in \"" PT_STR_FMT "\"", err,
                                 PT_STR_ARG(*text));
        }

        n++;
    }

    if (n == 0) {
        return PT_OK;
    }

    cv->parts = pt_palloc(cf->pool, n * sizeof(pt_http_cv_part_t));
    if (cv->parts == NULL) {
        return PT_ERROR;
    }

    pos = 0;

    while (pt_http_script_next(text, &pos, &tok, &err) == PT_OK) {
        part = &cv->parts[cv->nparts++];

        switch (tok.type) {

        case PT_HTTP_SCRIPT_LITERAL:
            part->len = tok.text.len;
            part->data = tok.text.data;
            part->index = -1;
            break;

        case PT_HTTP_SCRIPT_CAPTURE:
            part->len = tok.capture;
            part->data = NULL;
            part->index = CV_CAPTURE;
            break;

        case PT_HTTP_SCRIPT_VARIABLE:
            index = pt_http_get_variable_index(cf, &tok.text);
            if (index < 0) {
                return PT_ERROR;
            }

            part->len = 0;
            part->data = NULL;
            part->index = index;
            break;
        }
    }

    return PT_OK;
}


/* True when cv holds only literal text. */
bool
pt_http_complex_value_static(const pt_http_complex_value_t *cv)
{
    size_t  i;

    for (i = 0; i < cv->nparts; i++) {
        if (cv->parts[i].index != -1) {
            return false;
        }
    }

    return true;
}


/*
 * Capture n of the last regex match, or an empty string when the match had
 * fewer groups.  r->ncaptures counts ints, two per group (as nginx).
 */
static pt_str_t
cv_capture(pt_http_request_t *r, size_t n)
{
    pt_str_t  s = { 0, (u_char *) "" };
    int       start, end;

    if (r->captures == NULL || 2 * n + 1 >= r->ncaptures) {
        return s;
    }

    start = r->captures[2 * n];
    end = r->captures[2 * n + 1];

    if (start < 0 || end < start || (size_t) end > r->captures_subject.len) {
        return s;
    }

    s.data = r->captures_subject.data + start;
    s.len = (size_t) (end - start);

    return s;
}


/* Evaluates cv for r; see the header. */
int
pt_http_complex_value(pt_http_request_t *r,
    const pt_http_complex_value_t *cv, pt_str_t *out)
{
    pt_http_variable_value_t  *v;
    const pt_http_cv_part_t   *part;
    pt_str_t                   cap;
    size_t                     i, len;
    u_char                    *p;

    if (cv->nparts == 0) {
        out->len = 0;
        out->data = cv->value.data ? cv->value.data : (u_char *) "";
        return PT_OK;
    }

    if (cv->nparts == 1 && cv->parts[0].index == -1) {
        out->len = cv->parts[0].len;
        out->data = cv->parts[0].data;
        return PT_OK;
    }

    len = 0;

    for (i = 0; i < cv->nparts; i++) {
        part = &cv->parts[i];

        if (part->index == -1) {
            len += part->len;

        } else if (part->index == CV_CAPTURE) {
            len += cv_capture(r, part->len).len;

        } else {
            v = pt_http_get_flushed_variable(r, (unsigned) part->index);
            if (v == NULL) {
                return PT_ERROR;
            }

            if (!v->not_found) {
                len += v->len;
            }
        }
    }

    p = pt_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return PT_ERROR;
    }

    out->data = p;

    for (i = 0; i < cv->nparts; i++) {
        part = &cv->parts[i];

        if (part->index == -1) {
            p = pt_cpymem(p, part->data, part->len);

        } else if (part->index == CV_CAPTURE) {
            cap = cv_capture(r, part->len);
            p = pt_cpymem(p, cap.data, cap.len);

        } else {
            /* computed by the first pass: served from the cache */
            v = pt_http_get_indexed_variable(r, (unsigned) part->index);
            if (v == NULL) {
                return PT_ERROR;
            }

            if (!v->not_found) {
                p = pt_cpymem(p, v->data, v->len);
            }
        }
    }

    *p = '\0';
    out->len = (size_t) (p - out->data);

    return PT_OK;
}
/* ---- regex named captures ---------------------------------------------- */


/* A named capture no match has set yet. */
static int
var_capture_unset(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    v->len = 0;
    v->valid = 0;
    v->not_found = 1;
    v->data = NULL;

    return PT_OK;
}


static void
regex_set_value(pt_http_variable_value_t *v, u_char *data, size_t len)
{
    v->len = (unsigned) len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->escape = 0;
    v->data = data;
}


/*
 * Declares $name for each named group of re, as nginx does for server_name
 * and location regexes; several regexes may share a name.  Call after
 * compiling the regex.  PT_OK or PT_ERROR (reported: a name that is a
 * core variable, like "host", is a duplicate).
 */
int
pt_http_regex_add_vars(pt_conf_t *cf, const pt_regex_t *re)
{
    pt_http_variable_t  *v;
    pt_str_t             name;
    unsigned             i, capture;

    for (i = 0; i < re->named; i++) {
        if (pt_regex_named(re, i, &name, &capture) != PT_OK) {
            return pt_conf_error(cf, "cannot read the named captures of \""
                                 PT_STR_FMT "\"", PT_STR_ARG(re->pattern));
        }

        v = pt_http_add_variable(cf, &name, PT_HTTP_VAR_CHANGEABLE);
        if (v == NULL) {
            return PT_ERROR;
        }

        if (v->get == NULL) {
            v->get = var_capture_unset;
        }
    }

    return PT_OK;
}


/* Index of the used variable declared as name, or -1 when none uses it. */
static int
regex_var_index(pt_http_core_main_conf_t *cmcf, const pt_str_t *name)
{
    pt_http_variable_t  **av;
    size_t                i;

    av = cmcf->all_variables.elts;

    for (i = 0; i < cmcf->all_variables.nelts; i++) {
        if (pt_str_caseeq(&av[i]->name, name)) {
            return av[i]->index == (unsigned) -1 ? -1 : (int) av[i]->index;
        }
    }

    return -1;
}


#define REGEX_STACK_CAPTURES  32


/*
 * Matches s against re.  On a match, r->captures (ints, two per group,
 * from r->pool), r->ncaptures and r->captures_subject describe it for
 * "$1".."$9", and each named group's variable takes its value now (so a
 * later match does not change it).  s must live as long as r.  Returns
 * PT_OK on a match, PT_DECLINED on none, PT_ERROR on failure.
 */
int
pt_http_regex_exec(pt_http_request_t *r, const pt_regex_t *re,
    const pt_str_t *s)
{
    pt_http_core_main_conf_t   *cmcf;
    pt_http_variable_value_t   *vv;
    pt_str_t                    name;
    unsigned                    i, capture, npairs;
    int                         stack[2 * REGEX_STACK_CAPTURES], *caps;
    int                         n, index;

    npairs = re->captures + 1;
    caps = stack;

    if (npairs > REGEX_STACK_CAPTURES) {
        caps = pt_palloc(r->pool, npairs * 2 * sizeof(int));
        if (caps == NULL) {
            return PT_ERROR;
        }
    }

    n = pt_regex_exec(re, s, caps, npairs);

    if (n == PT_DECLINED || n == PT_ERROR) {
        return n;
    }

    if (re->captures) {
        if (caps == stack) {
            caps = pt_palloc(r->pool, (size_t) n * 2 * sizeof(int));
            if (caps == NULL) {
                return PT_ERROR;
            }

            pt_memcpy(caps, stack, (size_t) n * 2 * sizeof(int));
        }

        r->captures = caps;
        r->ncaptures = (unsigned) n * 2;
        r->captures_subject = *s;
    }

    if (re->named == 0 || r->main_conf == NULL) {
        return PT_OK;
    }

    cmcf = pt_http_get_module_main_conf(r, pt_http_core_module);

    for (i = 0; i < re->named; i++) {
        if (pt_regex_named(re, i, &name, &capture) != PT_OK) {
            continue;
        }

        index = regex_var_index(cmcf, &name);
        if (index < 0) {
            continue;
        }

        if (r->variables == NULL) {
            r->variables = pt_pcalloc(r->pool, cmcf->variables.nelts
                                      * sizeof(pt_http_variable_value_t));
            if (r->variables == NULL) {
                return PT_ERROR;
            }
        }

        vv = &r->variables[index];

        if ((int) capture >= n || caps[2 * capture] < 0) {
            regex_set_value(vv, (u_char *) "", 0);
            continue;
        }

        regex_set_value(vv, s->data + caps[2 * capture],
                        (size_t) (caps[2 * capture + 1] - caps[2 * capture]));
    }

    return PT_OK;
}
