/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure entity-tag helpers: list matching for If-Match / If-None-Match. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_etag.h"


bool
pt_http_etag_match(const u_char *list, size_t len, const u_char *etag,
    size_t etag_len, bool weak)
{
    bool           item_weak, etag_weak;
    const u_char  *p, *last, *q, *start;

    p = list;
    last = list + len;

    etag_weak = (etag_len > 2 && etag[0] == 'W' && etag[1] == '/');

    if (etag_weak) {
        etag += 2;
        etag_len -= 2;
    }

    while (p < last) {

        /* skip blanks and empty list elements */
        if (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
            continue;
        }

        if (*p == '*') {
            return true;
        }

        item_weak = false;

        if (last - p > 2 && p[0] == 'W' && p[1] == '/') {
            item_weak = true;
            p += 2;
        }

        if (p == last || *p != '"') {
            return false;
        }

        start = p;
        q = memchr(p + 1, '"', last - p - 1);

        if (q == NULL) {
            return false;
        }

        q++;     /* past the closing quote */

        p = q;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p < last && *p != ',') {
            return false;
        }

        if (etag_len != 0
            && (size_t) (q - start) == etag_len
            && memcmp(start, etag, etag_len) == 0
            && (weak || (!item_weak && !etag_weak)))
        {
            return true;
        }
    }

    return false;
}


/* Lower-case hex of n, no leading zeros; returns the end.  (Per request:
   printf-free on purpose.) */
static u_char *
etag_hex(u_char *p, unsigned long long n)
{
    static const u_char  digits[] = "0123456789abcdef";
    u_char               tmp[16];
    size_t               i = sizeof(tmp);

    do {
        tmp[--i] = digits[n & 0xf];
        n >>= 4;
    } while (n);

    return pt_cpymem(p, tmp + i, sizeof(tmp) - i);
}


size_t
pt_http_etag_format(u_char *buf, time_t mtime, off_t size)
{
    u_char  *p = buf;

    *p++ = '"';
    p = etag_hex(p, (unsigned long long) mtime);
    *p++ = '-';
    p = etag_hex(p, (unsigned long long) size);
    *p++ = '"';

    return (size_t) (p - buf);
}
