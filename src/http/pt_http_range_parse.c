/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure parsing of the Range request header ("bytes=a-b,c-,-n"). */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_range_parse.h"


#define RANGE_OFF_MAX  ((off_t) INT64_MAX)

/* The byte at p, or NUL past the end: the grammar below ends on NUL. */
#define range_ch(p, last)  ((p) < (last) ? *(p) : '\0')


size_t
pt_http_range_count(const u_char *value, size_t len)
{
    size_t  i, n;

    n = 1;

    for (i = 0; i < len; i++) {
        if (value[i] == ',') {
            n++;
        }
    }

    return n;
}


/* Reads decimal digits at *pp into *out; false on overflow. */
static bool
range_number(const u_char **pp, const u_char *last, off_t *out)
{
    off_t          v;
    const u_char  *p;

    v = 0;

    for (p = *pp; p < last && *p >= '0' && *p <= '9'; p++) {
        if (v > (RANGE_OFF_MAX - (*p - '0')) / 10) {
            return false;
        }

        v = v * 10 + (*p - '0');
    }

    *pp = p;
    *out = v;

    return true;
}


int
pt_http_range_parse(const u_char *value, size_t len, off_t size,
    size_t max_ranges, pt_http_range_t *ranges, size_t nalloc, size_t *n)
{
    bool           suffix;
    off_t          start, end, total;
    size_t         left;
    const u_char  *p, *last;

    *n = 0;

    if (len < 7 || pt_strncasecmp(value, (const u_char *) "bytes=", 6) != 0) {
        return PT_DECLINED;
    }

    p = value + 6;
    last = value + len;
    total = 0;
    left = max_ranges;

    for ( ;; ) {
        start = 0;
        end = 0;
        suffix = false;

        while (range_ch(p, last) == ' ') {
            p++;
        }

        if (range_ch(p, last) != '-') {
            if (range_ch(p, last) < '0' || range_ch(p, last) > '9') {
                return PT_HTTP_RANGE_UNSATISFIABLE;
            }

            if (!range_number(&p, last, &start)) {
                return PT_HTTP_RANGE_UNSATISFIABLE;
            }

            while (range_ch(p, last) == ' ') {
                p++;
            }

            if (range_ch(p, last) != '-') {
                return PT_HTTP_RANGE_UNSATISFIABLE;
            }

            p++;

            while (range_ch(p, last) == ' ') {
                p++;
            }

            if (range_ch(p, last) == ',' || range_ch(p, last) == '\0') {
                end = size;
                goto found;
            }

        } else {
            suffix = true;
            p++;
        }

        if (range_ch(p, last) < '0' || range_ch(p, last) > '9') {
            return PT_HTTP_RANGE_UNSATISFIABLE;
        }

        if (!range_number(&p, last, &end)) {
            return PT_HTTP_RANGE_UNSATISFIABLE;
        }

        while (range_ch(p, last) == ' ') {
            p++;
        }

        if (range_ch(p, last) != ',' && range_ch(p, last) != '\0') {
            return PT_HTTP_RANGE_UNSATISFIABLE;
        }

        if (suffix) {
            start = (end < size) ? size - end : 0;
            end = size - 1;
        }

        /* "a-b" is inclusive: make end exclusive, clipped to size */
        if (end >= size) {
            end = size;

        } else {
            end++;
        }

    found:

        if (start < end) {
            if (*n == nalloc || left == 0) {
                return PT_DECLINED;
            }

            left--;

            ranges[*n].start = start;
            ranges[*n].end = end;
            (*n)++;

            if (total > RANGE_OFF_MAX - (end - start)) {
                return PT_HTTP_RANGE_UNSATISFIABLE;
            }

            total += end - start;

        } else if (start == 0) {
            return PT_DECLINED;
        }

        if (range_ch(p, last) != ',') {
            break;
        }

        p++;
    }

    if (*n == 0) {
        return PT_HTTP_RANGE_UNSATISFIABLE;
    }

    if (total > size) {
        return PT_DECLINED;
    }

    return PT_OK;
}
