/* SPDX-License-Identifier: BSD-2-Clause */
/* Variables: indexed at config time, computed lazily once per request. */
#ifndef PT_HTTP_VARIABLES_H
#define PT_HTTP_VARIABLES_H

typedef struct {
    unsigned    len:28;
    unsigned    valid:1;          /* computed */
    unsigned    no_cacheable:1;   /* recompute on each get_flushed */
    unsigned    not_found:1;
    unsigned    escape:1;
    u_char     *data;
} pt_http_variable_value_t;

/* Fills v (valid or not_found) from r; PT_OK or PT_ERROR. */
typedef int (*pt_http_get_variable_pt)(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);

/* Stores v into what the variable reflects (`set $args ...`). */
typedef void (*pt_http_set_variable_pt)(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);

#define PT_HTTP_VAR_CHANGEABLE   1   /* `set` may assign it */
#define PT_HTTP_VAR_NOCACHEABLE  2
#define PT_HTTP_VAR_PREFIX       4   /* name is a prefix: arg_, http_ ... */
#define PT_HTTP_VAR_NOHASH       8

typedef struct {
    pt_str_t                  name;
    pt_http_get_variable_pt   get;
    pt_http_set_variable_pt   set;       /* NULL: `set` stores the value */
    uintptr_t                 data;
    unsigned                  flags;
    unsigned                  index;
} pt_http_variable_t;

/*
 * Declares a variable (preconfiguration).  Returns the variable (its get
 * and data may be set by the caller), or NULL with the error reported.
 */
pt_http_variable_t *pt_http_add_variable(pt_conf_t *cf, const pt_str_t *name,
    unsigned flags);

/*
 * Declares the changeable variable a directive names as "$name" (map,
 * set); "invalid variable name" with file:line otherwise.  NULL on error.
 */
pt_http_variable_t *pt_http_add_dollar_variable(pt_conf_t *cf,
    const pt_str_t *arg);

/*
 * Index of a variable used by the config (name without '$'); the variable
 * may be declared later (checked at the end of http { }).  -1 on error.
 */
int pt_http_get_variable_index(pt_conf_t *cf, const pt_str_t *name);

/* The value of variable index for r, computed once; NULL on error. */
pt_http_variable_value_t *pt_http_get_indexed_variable(pt_http_request_t *r,
    unsigned index);
/* Same, recomputed if not cacheable. */
pt_http_variable_value_t *pt_http_get_flushed_variable(pt_http_request_t *r,
    unsigned index);

/* Checks that every used variable exists and binds prefixed ones. */
int pt_http_variables_init_vars(pt_conf_t *cf);
/* Registers the core variables ($host, $uri ...). */
int pt_http_variables_add_core_vars(pt_conf_t *cf);

/* A string with embedded $variables, compiled at config time. */
typedef struct {
    size_t     len;          /* literal: length; variable: 0 */
    u_char    *data;         /* literal bytes */
    int        index;        /* variable index, or -1 for literals */
} pt_http_cv_part_t;

struct pt_http_complex_value_s {
    pt_str_t             value;      /* source text */
    pt_http_cv_part_t   *parts;
    size_t               nparts;
    unsigned             lengths_only:1;
};

/*
 * Compiles text ("$scheme://$host${uri}x") into cv (from cf->pool).
 * A text without variables becomes one literal.  PT_OK or PT_ERROR
 * (reported with file:line).
 */
int pt_http_compile_complex_value(pt_conf_t *cf, const pt_str_t *text,
    pt_http_complex_value_t *cv);

/* True when the compiled value holds no variable. */
bool pt_http_complex_value_static(const pt_http_complex_value_t *cv);

/*
 * Evaluates cv for r into out (memory from r->pool; for a static value,
 * points at the config string).  PT_OK or PT_ERROR.
 */
int pt_http_complex_value(pt_http_request_t *r,
    const pt_http_complex_value_t *cv, pt_str_t *out);

/*
 * Declares $name for each named group of re (server_name and location
 * regexes); call after compiling.  PT_OK or PT_ERROR (reported).
 */
int pt_http_regex_add_vars(pt_conf_t *cf, const pt_regex_t *re);

/*
 * Matches s (which must live as long as r) against re; on a match sets
 * r->captures for $1..$9 and the named groups' variables.  PT_OK on a
 * match, PT_DECLINED on none, PT_ERROR on failure.
 */
int pt_http_regex_exec(pt_http_request_t *r, const pt_regex_t *re,
    const pt_str_t *s);

#endif /* PT_HTTP_VARIABLES_H */
