/* SPDX-License-Identifier: BSD-2-Clause */
/* PCRE2 regexes: config-time compile (JIT when built in), runtime match. */
#include "pt_config.h"
#include "pt_core.h"

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>


/*
 * One match data block shared by every match in the process: workers are
 * single-threaded, so it only grows to the largest capture count seen.
 */
static pcre2_match_data  *regex_match_data;
static uint32_t           regex_match_size;


static void
regex_free(void *data)
{
    pcre2_code_free(data);
}


/*
 * Compiles rc->pattern (PCRE2_CASELESS with rc->caseless), JIT-compiles it
 * when available (silently falling back to the interpreter), allocates
 * rc->regex from rc->pool and registers a pool cleanup that frees the
 * code.  PT_OK, or PT_ERROR with rc->err set.
 */
int
pt_regex_compile(pt_regex_compile_t *rc)
{
    int                 errcode;
    uint32_t            n, options;
    PCRE2_SIZE          erroff;
    pcre2_code         *code;
    pt_regex_t         *re;
    pt_pool_cleanup_t  *cln;
    u_char              msg[128];

    options = rc->caseless ? PCRE2_CASELESS : 0;

    code = pcre2_compile(rc->pattern.data, rc->pattern.len, options,
                         &errcode, &erroff, NULL);

    if (code == NULL) {
        if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0) {
            (void) snprintf((char *) msg, sizeof(msg), "error %d", errcode);
        }

        if (erroff >= rc->pattern.len) {
            (void) snprintf((char *) rc->err, sizeof(rc->err),
                            "pcre2_compile() failed: %s in \"%.*s\"",
                            (char *) msg, PT_STR_ARG(rc->pattern));

        } else {
            (void) snprintf((char *) rc->err, sizeof(rc->err),
                            "pcre2_compile() failed: %s in \"%.*s\" at \"%.*s\"",
                            (char *) msg, PT_STR_ARG(rc->pattern),
                            (int) (rc->pattern.len - erroff),
                            (char *) rc->pattern.data + erroff);
        }

        return PT_ERROR;
    }

#ifdef PT_HAVE_PCRE2_JIT
    (void) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
#endif

    cln = pt_pool_cleanup_add(rc->pool, 0);
    re = pt_palloc(rc->pool, sizeof(pt_regex_t));

    if (cln == NULL || re == NULL) {
        pcre2_code_free(code);
        (void) snprintf((char *) rc->err, sizeof(rc->err),
                        "memory allocation failed");
        return PT_ERROR;
    }

    cln->handler = regex_free;
    cln->data = code;

    re->code = code;
    re->pattern = rc->pattern;

    n = 0;
    (void) pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &n);
    re->captures = n;

    n = 0;
    (void) pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &n);
    re->named = n;

    rc->regex = re;
    rc->err[0] = '\0';

    return PT_OK;
}


/*
 * Matches s against re.  Up to ncaps (start, end) pairs go into caps
 * (2 * ncaps ints; groups that did not take part are -1, -1).  Returns
 * the number of pairs matched (>= 1; limited to ncaps when caps is given
 * and ncaps > 0), PT_DECLINED on no match, PT_ERROR on a matching error
 * (including running out of memory).
 */
int
pt_regex_exec(const pt_regex_t *re, const pt_str_t *s, int *caps,
    unsigned ncaps)
{
    int          rc, i, n;
    uint32_t     size;
    PCRE2_SIZE  *ov;

    size = re->captures + 1;

    if (regex_match_data == NULL || regex_match_size < size) {
        if (regex_match_data) {
            pcre2_match_data_free(regex_match_data);
            regex_match_size = 0;
        }

        regex_match_data = pcre2_match_data_create(pt_max(size, 10), NULL);
        if (regex_match_data == NULL) {
            return PT_ERROR;
        }

        regex_match_size = pt_max(size, 10);
    }

    rc = pcre2_match(re->code, s->data ? s->data : (PCRE2_SPTR) "", s->len,
                     0, 0, regex_match_data, NULL);

    if (rc == PCRE2_ERROR_NOMATCH) {
        return PT_DECLINED;
    }

    if (rc < 0) {
        return PT_ERROR;
    }

    if (rc == 0) {
        /* cannot happen: the match data holds every group */
        rc = (int) regex_match_size;
    }

    if (caps == NULL || ncaps == 0) {
        return rc;
    }

    ov = pcre2_get_ovector_pointer(regex_match_data);
    n = pt_min(rc, (int) pt_min(ncaps, (unsigned) INT_MAX));

    for (i = 0; i < n; i++) {
        if (ov[2 * i] == PCRE2_UNSET) {
            caps[2 * i] = -1;
            caps[2 * i + 1] = -1;

        } else {
            caps[2 * i] = (int) ov[2 * i];
            caps[2 * i + 1] = (int) ov[2 * i + 1];
        }
    }

    return n;
}


/*
 * Name (pointing into the compiled pattern, not NUL-terminated in len) and
 * capture number of named group i (0 <= i < re->named).  PT_OK, or
 * PT_DECLINED when i is out of range.
 */
int
pt_regex_named(const pt_regex_t *re, unsigned i, pt_str_t *name,
    unsigned *capture)
{
    uint32_t    count, entry;
    PCRE2_SPTR  table, e;

    count = 0;
    entry = 0;
    table = NULL;

    if (pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count) != 0
        || i >= count
        || pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &entry) != 0
        || pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table) != 0
        || table == NULL)
    {
        return PT_DECLINED;
    }

    e = table + (size_t) i * entry;

    *capture = ((unsigned) e[0] << 8) | e[1];
    name->data = (u_char *) e + 2;
    name->len = strlen((const char *) e + 2);

    return PT_OK;
}
