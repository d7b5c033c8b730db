/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure: whether a response may be stored, and until when it is fresh. */
#ifndef PT_HTTP_CACHE_POLICY_H
#define PT_HTTP_CACHE_POLICY_H

/* proxy_ignore_headers */
#define PT_HTTP_CACHE_IGN_X_ACCEL_EXPIRES  0x0001
#define PT_HTTP_CACHE_IGN_EXPIRES          0x0002
#define PT_HTTP_CACHE_IGN_CACHE_CONTROL    0x0004
#define PT_HTTP_CACHE_IGN_SET_COOKIE       0x0008
#define PT_HTTP_CACHE_IGN_VARY             0x0010
#define PT_HTTP_CACHE_IGN_OTHER            0x0020   /* X-Accel-Redirect ... */

/* One proxy_cache_valid line: status 0 stands for `any`. */
typedef struct {
    unsigned   status;
    time_t     valid;
} pt_http_cache_valid_t;

typedef struct {
    unsigned                      status;     /* of the response */
    time_t                        now;
    unsigned                      ignore;     /* PT_HTTP_CACHE_IGN_* */
    const pt_http_cache_valid_t  *valid;      /* proxy_cache_valid */
    size_t                        nvalid;
} pt_http_cache_policy_in_t;

/* Vary lists longer than this are not stored (they would not fit). */
#define PT_HTTP_CACHE_VARY_MAX  128

typedef struct {
    int64_t    valid_sec;     /* fresh until; 0: not to be stored */
    pt_str_t   vary;          /* the Vary field names, every line joined;
                                 PT_HTTP_CACHE_VARY_MAX long: too long */
    u_char     vary_buf[PT_HTTP_CACHE_VARY_MAX];
    pt_str_t   etag;          /* for revalidation; empty: none */
    pt_str_t   last_modified;
    const char *why;          /* when not stored: the reason, for debug */
} pt_http_cache_policy_t;

/*
 * Reads the response head [0, len) of head, whose header lines start at
 * offset from (after the status line), as nginx and RFC 9111 do:
 * X-Accel-Expires, then Cache-Control (no-store, no-cache, private stop
 * it; s-maxage before max-age), then Expires, then proxy_cache_valid for
 * the status; Set-Cookie and `Vary: *` prevent storing.  Strings point
 * into head.  PT_OK, or PT_ERROR for a head that does not parse.
 */
int pt_http_cache_policy(const u_char *head, size_t len, size_t from,
    const pt_http_cache_policy_in_t *in, pt_http_cache_policy_t *out);

/* The validity proxy_cache_valid gives status; 0 when none applies. */
time_t pt_http_cache_valid_for(const pt_http_cache_valid_t *valid,
    size_t nvalid, unsigned status);

#endif /* PT_HTTP_CACHE_POLICY_H */
