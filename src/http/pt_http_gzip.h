/* SPDX-License-Identifier: BSD-2-Clause */
/* Whether a response may be sent gzip-encoded: the negotiation shared by
 * gzip, gzip_static and gunzip. */
#ifndef PT_HTTP_GZIP_H
#define PT_HTTP_GZIP_H

/* gzip_proxied flags (nginx's values, combinable). */
#define PT_HTTP_GZIP_PROXIED_OFF       0x0002
#define PT_HTTP_GZIP_PROXIED_EXPIRED   0x0004
#define PT_HTTP_GZIP_PROXIED_NO_CACHE  0x0008
#define PT_HTTP_GZIP_PROXIED_NO_STORE  0x0010
#define PT_HTTP_GZIP_PROXIED_PRIVATE   0x0020
#define PT_HTTP_GZIP_PROXIED_NO_LM     0x0040
#define PT_HTTP_GZIP_PROXIED_NO_ETAG   0x0080
#define PT_HTTP_GZIP_PROXIED_AUTH      0x0100
#define PT_HTTP_GZIP_PROXIED_ANY       0x0200

/*
 * The q-value, in thousandths (0..1000), that an Accept-Encoding field
 * value gives gzip: the best of "gzip" and "x-gzip" when listed, else
 * that of "*", else 0.  Names are matched ignoring case; a malformed
 * q-value counts as 0.  Pure: p need not be NUL-terminated.
 */
unsigned pt_http_gzip_accept_q(const u_char *p, size_t len);

/*
 * Decides once per request whether the client may get gzip: its
 * Accept-Encoding, gzip_http_version, gzip_proxied (for requests that
 * came through a proxy, seen by a Via header) and gzip_disable.  Uses the
 * response headers, so call it from a header filter or once they are
 * set.  PT_OK when gzip is fine, PT_DECLINED when not.
 */
int pt_http_gzip_ok(pt_http_request_t *r);

/*
 * With gzip_vary on, adds "Vary: Accept-Encoding" unless a Vary header
 * already names it (or is "*").  PT_OK or PT_ERROR (allocation).
 */
int pt_http_gzip_vary(pt_http_request_t *r);

/* Whether gzip_vary is on where r is. */
bool pt_http_gzip_vary_on(pt_http_request_t *r);

/*
 * The response's Content-Encoding header, or NULL: the known pointer, or
 * found in the list (a backend's headers may only be listed) and then
 * remembered in r->headers_out.content_encoding.
 */
pt_table_elt_t *pt_http_gzip_content_encoding(pt_http_request_t *r);

/* gzip_buffers / gunzip_buffers: number and size of output buffers. */
typedef pt_conf_bufs_t  pt_http_gzip_bufs_t;


/* Inherits unset buffers from parent; the default is 32 4k, as nginx's. */
void pt_http_gzip_merge_bufs(pt_http_gzip_bufs_t *child,
    const pt_http_gzip_bufs_t *parent);

extern pt_module_t  pt_http_gzip_common_module;

#endif /* PT_HTTP_GZIP_H */
