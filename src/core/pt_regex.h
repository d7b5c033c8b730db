/* SPDX-License-Identifier: BSD-2-Clause */
/* PCRE2 regexes compiled at config time (JIT when available). */
#ifndef PT_REGEX_H
#define PT_REGEX_H

typedef struct {
    void        *code;        /* pcre2_code * */
    unsigned     captures;    /* number of capturing groups */
    unsigned     named;       /* number of named groups */
    pt_str_t     pattern;
} pt_regex_t;

typedef struct {
    pt_str_t     pattern;
    bool         caseless;
    pt_pool_t   *pool;
    /* out */
    pt_regex_t  *regex;
    u_char       err[256];    /* NUL-terminated message on failure */
} pt_regex_compile_t;

/* Compiles rc->pattern; registers code frees on rc->pool.  PT_OK/PT_ERROR. */
int pt_regex_compile(pt_regex_compile_t *rc);

/*
 * Matches s against re, filling up to ncaps pairs of (start, end) offsets in
 * caps (may be NULL; unset groups are -1, -1).  Returns the number of pairs
 * set (>= 1; with caps NULL or ncaps 0, the number of pairs matched) on a
 * match, PT_DECLINED on no match, PT_ERROR on a matching error.
 */
int pt_regex_exec(const pt_regex_t *re, const pt_str_t *s, int *caps,
    unsigned ncaps);

/*
 * Name of named group i (0 <= i < re->named; data points into the compiled
 * code, len excludes the NUL) and its capture number, for $name variables.
 * PT_OK, or PT_DECLINED when i is out of range.
 */
int pt_regex_named(const pt_regex_t *re, unsigned i, pt_str_t *name,
    unsigned *capture);

#endif /* PT_REGEX_H */
