/* SPDX-License-Identifier: BSD-2-Clause */
/* Counted-string helpers: comparison, number parsing, formatting, escaping. */
#include "pt_config.h"
#include "pt_core.h"


static const u_char  hex_upper[] = "0123456789ABCDEF";
static const u_char  hex_lower[] = "0123456789abcdef";


/* Lower-cases n bytes; dst may equal src. */
void
pt_strlow(u_char *dst, const u_char *src, size_t n)
{
    while (n--) {
        *dst = pt_tolower(*src);
        dst++;
        src++;
    }
}


/* Byte equality of two counted strings. */
bool
pt_str_eq(const pt_str_t *a, const pt_str_t *b)
{
    return a->len == b->len
           && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}


/* ASCII case-insensitive equality of two counted strings. */
bool
pt_str_caseeq(const pt_str_t *a, const pt_str_t *b)
{
    return a->len == b->len && pt_strncasecmp(a->data, b->data, a->len) == 0;
}


/* ASCII case-insensitive equality with a NUL-terminated literal. */
bool
pt_str_caseeq_lit(const pt_str_t *str, const char *lit)
{
    size_t  n;

    n = strlen(lit);

    return str->len == n
           && pt_strncasecmp(str->data, (const u_char *) lit, n) == 0;
}


/* Compares n bytes ignoring ASCII case; does not stop at NUL. */
int
pt_strncasecmp(const u_char *a, const u_char *b, size_t n)
{
    u_char  c1, c2;

    while (n--) {
        c1 = pt_tolower(*a);
        c2 = pt_tolower(*b);

        if (c1 != c2) {
            return (int) c1 - (int) c2;
        }

        a++;
        b++;
    }

    return 0;
}


/* Finds the NUL-terminated needle in [p, last); NULL when absent. */
u_char *
pt_strnstr(const u_char *p, const u_char *last, const char *needle)
{
    size_t  n;

    n = strlen(needle);

    if (p >= last) {
        return n == 0 ? (u_char *) p : NULL;
    }

    return memmem(p, (size_t) (last - p), needle, n);
}


/* Non-negative decimal of exactly len bytes, at most max; -1 otherwise. */
int64_t
pt_atoi(const u_char *p, size_t len, int64_t max)
{
    int64_t  value, d;

    if (len == 0 || max < 0) {
        return -1;
    }

    for (value = 0; len--; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        d = *p - '0';

        if (value > (max - d) / 10) {
            return -1;
        }

        value = value * 10 + d;
    }

    return value;
}


/* Non-negative hexadecimal of exactly len bytes, at most max; -1 otherwise. */
int64_t
pt_hextoi(const u_char *p, size_t len, int64_t max)
{
    int64_t  value, d;
    u_char   c;

    if (len == 0 || max < 0) {
        return -1;
    }

    for (value = 0; len--; p++) {
        c = *p;

        if (c >= '0' && c <= '9') {
            d = c - '0';

        } else {
            c = pt_tolower(c);

            if (c >= 'a' && c <= 'f') {
                d = c - 'a' + 10;

            } else {
                return -1;
            }
        }

        if (value > (max - d) / 16) {
            return -1;
        }

        value = value * 16 + d;
    }

    return value;
}


/* snprintf into [buf, last); returns the end of the output (<= last). */
u_char *
pt_snprintf(u_char *buf, u_char *last, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = pt_vsnprintf(buf, last, fmt, args);
    va_end(args);

    return p;
}


/*
 * vsnprintf into [buf, last).  vsnprintf always spends a byte on the NUL,
 * so when the output fills the buffer exactly or is truncated it is
 * formatted again into scratch memory to keep every byte up to last.
 */
u_char *
pt_vsnprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    int       n;
    size_t    size;
    char      stack[PT_MAX_ERROR_STR + 1], *tmp;
    va_list   copy;

    if (buf == NULL || buf >= last) {
        return buf;
    }

    size = (size_t) (last - buf);

    va_copy(copy, args);
    n = vsnprintf((char *) buf, size, fmt, args);

    if (n < 0) {
        va_end(copy);
        return buf;
    }

    if ((size_t) n < size) {
        va_end(copy);
        return buf + n;
    }

    if ((size_t) n < sizeof(stack)) {
        tmp = stack;

    } else {
        tmp = malloc((size_t) n + 1);
        if (tmp == NULL) {
            va_end(copy);
            /* the NUL vsnprintf left at last - 1 is dropped */
            return last - 1;
        }
    }

    (void) vsnprintf(tmp, (size_t) n + 1, fmt, copy);
    va_end(copy);

    memcpy(buf, tmp, size);

    if (tmp != stack) {
        free(tmp);
    }

    return last;
}


/*
 * One bit per byte value: set when the byte must be escaped.  Built on
 * first use from the character classes below.
 */
typedef struct {
    uint32_t  bits[8];
} escape_map_t;


static bool
escape_unreserved(u_char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '.' || c == '_' || c == '~';
}


static bool
escape_needed(u_char c, pt_escape_e type)
{
    switch (type) {

    case PT_ESCAPE_URI:
        return !(escape_unreserved(c) || c == '/');

    case PT_ESCAPE_ARGS:
        /*
         * A query component: keep unreserved and the delimiters that are
         * harmless inside one argument; escape '&', '=', '+', ';', '#',
         * '%', space and everything non-printable.
         */
        return !(escape_unreserved(c) || c == '/' || c == ':' || c == '@'
                 || c == '!' || c == '$' || c == '\'' || c == '(' || c == ')'
                 || c == '*' || c == ',' || c == '?');

    case PT_ESCAPE_REFRESH:
        return c <= 0x20 || c >= 0x7f || c == '"' || c == '%' || c == '\'';

    case PT_ESCAPE_HTML:
        return c == '&' || c == '<' || c == '>' || c == '"';

    case PT_ESCAPE_LOG_DEFAULT:
        return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';

    case PT_ESCAPE_LOG_JSON:
        return c < 0x20 || c == '"' || c == '\\';
    }

    return false;
}


static const escape_map_t *
escape_map(pt_escape_e type)
{
    static escape_map_t  maps[PT_ESCAPE_LOG_JSON + 1];
    static bool          built;
    unsigned             t, c;

    if (!built) {
        for (t = 0; t <= PT_ESCAPE_LOG_JSON; t++) {
            for (c = 0; c < 256; c++) {
                if (escape_needed((u_char) c, (pt_escape_e) t)) {
                    maps[t].bits[c >> 5] |= 1U << (c & 0x1f);
                }
            }
        }

        built = true;
    }

    return &maps[type];
}


#define escape_test(m, c)  ((m)->bits[(c) >> 5] & (1U << ((c) & 0x1f)))


static size_t
escape_one_len(u_char c, pt_escape_e type)
{
    switch (type) {

    case PT_ESCAPE_HTML:
        switch (c) {
        case '&':
            return sizeof("&amp;") - 1;
        case '<':
        case '>':
            return sizeof("&lt;") - 1;
        default: /* '"' */
            return sizeof("&quot;") - 1;
        }

    case PT_ESCAPE_LOG_DEFAULT:
        return 4;                             /* \xHH */

    case PT_ESCAPE_LOG_JSON:
        switch (c) {
        case '"':
        case '\\':
        case '\n':
        case '\r':
        case '\t':
        case '\b':
        case '\f':
            return 2;
        default:
            return 6;                         /* \u00HH */
        }

    default:
        return 3;                             /* %HH */
    }
}


/* Length of src once escaped as type. */
size_t
pt_escape_len(const u_char *src, size_t size, pt_escape_e type)
{
    const escape_map_t  *m;
    size_t               n;

    m = escape_map(type);

    for (n = 0; size--; src++) {
        n += escape_test(m, *src) ? escape_one_len(*src, type) : 1;
    }

    return n;
}


/* Escapes src into dst (pt_escape_len bytes); returns the end of output. */
u_char *
pt_escape(u_char *dst, const u_char *src, size_t size, pt_escape_e type)
{
    const escape_map_t  *m;
    u_char               c;

    if (dst == NULL) {
        return NULL;
    }

    m = escape_map(type);

    while (size--) {
        c = *src++;

        if (!escape_test(m, c)) {
            *dst++ = c;
            continue;
        }

        switch (type) {

        case PT_ESCAPE_HTML:
            switch (c) {
            case '&':
                dst = pt_cpymem(dst, "&amp;", 5);
                break;
            case '<':
                dst = pt_cpymem(dst, "&lt;", 4);
                break;
            case '>':
                dst = pt_cpymem(dst, "&gt;", 4);
                break;
            default:
                dst = pt_cpymem(dst, "&quot;", 6);
                break;
            }
            break;

        case PT_ESCAPE_LOG_DEFAULT:
            *dst++ = '\\';
            *dst++ = 'x';
            *dst++ = hex_upper[c >> 4];
            *dst++ = hex_upper[c & 0xf];
            break;

        case PT_ESCAPE_LOG_JSON:
            *dst++ = '\\';

            switch (c) {
            case '"':
                *dst++ = '"';
                break;
            case '\\':
                *dst++ = '\\';
                break;
            case '\n':
                *dst++ = 'n';
                break;
            case '\r':
                *dst++ = 'r';
                break;
            case '\t':
                *dst++ = 't';
                break;
            case '\b':
                *dst++ = 'b';
                break;
            case '\f':
                *dst++ = 'f';
                break;
            default:
                *dst++ = 'u';
                *dst++ = '0';
                *dst++ = '0';
                *dst++ = hex_lower[c >> 4];
                *dst++ = hex_lower[c & 0xf];
                break;
            }
            break;

        default:
            *dst++ = '%';
            *dst++ = hex_upper[c >> 4];
            *dst++ = hex_upper[c & 0xf];
            break;
        }
    }

    return dst;
}


static int
hex_value(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c = pt_tolower(c);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* Percent-decodes src into dst (may alias); the length, or -1 if malformed. */
ssize_t
pt_unescape(u_char *dst, const u_char *src, size_t len)
{
    u_char        *d;
    const u_char  *last;
    int            hi, lo;

    d = dst;
    last = src + len;

    while (src < last) {
        if (*src != '%') {
            *d++ = *src++;
            continue;
        }

        if (last - src < 3) {
            return -1;
        }

        hi = hex_value(src[1]);
        lo = hex_value(src[2]);

        if (hi < 0 || lo < 0) {
            return -1;
        }

        *d++ = (u_char) ((hi << 4) | lo);
        src += 3;
    }

    return d - dst;
}


/* Lower-case hex of n bytes into dst (2n bytes); returns the end. */
u_char *
pt_hex_dump(u_char *dst, const u_char *src, size_t n)
{
    while (n--) {
        *dst++ = hex_lower[*src >> 4];
        *dst++ = hex_lower[*src & 0xf];
        src++;
    }

    return dst;
}


ssize_t
pt_hex_decode(u_char *dst, size_t size, const u_char *src, size_t len)
{
    if (len % 2 || len / 2 > size) {
        return -1;
    }

    for (size_t i = 0; i < len; i += 2) {
        int64_t  v = pt_hextoi(src + i, 2, 255);

        if (v < 0) {
            return -1;
        }
        dst[i / 2] = (u_char) v;
    }

    return (ssize_t) (len / 2);
}
