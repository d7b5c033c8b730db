/* SPDX-License-Identifier: BSD-2-Clause */
/* Length-counted strings and the small string helpers everything uses. */
#ifndef PT_STRING_H
#define PT_STRING_H

typedef struct {
    size_t   len;
    u_char  *data;
} pt_str_t;

typedef struct {
    pt_str_t  key;
    pt_str_t  value;
} pt_keyval_t;

#define pt_string(s)     { sizeof(s) - 1, (u_char *) (s) }
#define pt_null_string   { 0, NULL }
#define pt_str_set(str, text)                                                \
    do { (str)->len = sizeof(text) - 1; (str)->data = (u_char *) (text); } while (0)
#define pt_str_null(str) do { (str)->len = 0; (str)->data = NULL; } while (0)

#define PT_STR_FMT       "%.*s"
#define PT_STR_ARG(s)    (int) (s).len, (const char *) (s).data

#define pt_tolower(c)    (u_char) (((c) >= 'A' && (c) <= 'Z') ? ((c) | 0x20) : (c))
#define pt_toupper(c)    (u_char) (((c) >= 'a' && (c) <= 'z') ? ((c) & ~0x20) : (c))

#define pt_memcpy(dst, src, n)  (void) memcpy(dst, src, n)
#define pt_cpymem(dst, src, n)  (((u_char *) memcpy(dst, src, n)) + (n))

/* Lower-cases n bytes of src into dst (which may equal src). */
void pt_strlow(u_char *dst, const u_char *src, size_t n);

/* True when a and b hold the same bytes. */
bool pt_str_eq(const pt_str_t *a, const pt_str_t *b);

/* True when a and b are equal ignoring ASCII case. */
bool pt_str_caseeq(const pt_str_t *a, const pt_str_t *b);

/* True when str equals the NUL-terminated literal lit, ignoring case. */
bool pt_str_caseeq_lit(const pt_str_t *str, const char *lit);

/* strncasecmp over counted bytes; <0, 0, >0. */
int pt_strncasecmp(const u_char *a, const u_char *b, size_t n);

/* memmem-like search for needle in [p, last); NULL when absent. */
u_char *pt_strnstr(const u_char *p, const u_char *last, const char *needle);

/*
 * Parses a non-negative decimal of exactly len bytes.  Returns the value, or
 * -1 on an empty string, a non-digit or an overflow past max.
 */
int64_t pt_atoi(const u_char *p, size_t len, int64_t max);

/* Parses len hex digits; -1 on error or overflow past max. */
int64_t pt_hextoi(const u_char *p, size_t len, int64_t max);

/*
 * Formats like snprintf into [buf, last) and returns the end of what was
 * written (never past last; output is truncated, not NUL-terminated).
 */
u_char *pt_snprintf(u_char *buf, u_char *last, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
u_char *pt_vsnprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
    __attribute__((format(printf, 3, 0)));

/* Escaping for URIs, HTML and JSON/log output. */
typedef enum {
    PT_ESCAPE_URI = 0,       /* all but unreserved and '/' */
    PT_ESCAPE_ARGS,          /* query argument component */
    PT_ESCAPE_REFRESH,
    PT_ESCAPE_HTML,
    PT_ESCAPE_LOG_DEFAULT,   /* \xHH for ", \ and bytes < 0x20 or >= 0x7f */
    PT_ESCAPE_LOG_JSON       /* JSON string escaping */
} pt_escape_e;

/*
 * Escapes src into dst (which must hold pt_escape_len() bytes) and returns
 * the end of the output.  With dst NULL, returns NULL; use pt_escape_len.
 */
u_char *pt_escape(u_char *dst, const u_char *src, size_t size, pt_escape_e type);

/* Length src will have once escaped as type. */
size_t pt_escape_len(const u_char *src, size_t size, pt_escape_e type);

/*
 * Percent-decodes [src, src+len) into dst (may equal src); '+' is kept.
 * Returns the decoded length, or -1 on a malformed %XX sequence.
 */
ssize_t pt_unescape(u_char *dst, const u_char *src, size_t len);

/* Hex encoding (lower case) of n bytes; returns end of output (2n bytes). */
u_char *pt_hex_dump(u_char *dst, const u_char *src, size_t n);

/*
 * The bytes that len hex digits at src stand for, into dst (size bytes):
 * their number, or -1 when len is odd, a digit is not hex, or they do not
 * fit.
 */
ssize_t pt_hex_decode(u_char *dst, size_t size, const u_char *src,
    size_t len);

#endif /* PT_STRING_H */
