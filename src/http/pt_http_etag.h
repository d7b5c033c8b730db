/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure entity-tag helpers: list matching for If-Match / If-None-Match. */
#ifndef PT_HTTP_ETAG_H
#define PT_HTTP_ETAG_H

/*
 * True when the header value list (len bytes: "*", or a comma-separated
 * list of entity tags '"x"' / 'W/"x"', blanks allowed) matches etag.
 * With weak, the weak comparison of RFC 9110 8.8.3.2 is used (a "W/"
 * prefix on either side is ignored: If-None-Match); otherwise the strong
 * one (both must be strong and equal: If-Match).  "*" matches any etag;
 * an empty etag matches nothing but "*".  A malformed element ends the
 * scan (what was matched before it counts).
 */
bool pt_http_etag_match(const u_char *list, size_t len, const u_char *etag,
    size_t etag_len, bool weak);

/*
 * Formats nginx's static-file ETag '"<mtime hex>-<size hex>"' into buf
 * (at least PT_HTTP_ETAG_LEN bytes); returns the length written.
 */
#define PT_HTTP_ETAG_LEN  (2 + 16 + 1 + 16)
size_t pt_http_etag_format(u_char *buf, time_t mtime, off_t size);

#endif /* PT_HTTP_ETAG_H */
