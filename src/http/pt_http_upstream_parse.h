/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure parsing of a backend's status line (headers reuse the request parser). */
#ifndef PT_HTTP_UPSTREAM_PARSE_H
#define PT_HTTP_UPSTREAM_PARSE_H

typedef struct {
    unsigned   http_major, http_minor;
    unsigned   code;                  /* 100..999 */
    size_t     reason_start, reason_end;
    size_t     line_end;              /* offset past the line's LF */
} pt_http_status_t;

/*
 * Parses "HTTP/D.D SP DDD [SP reason] CRLF" (a bare LF is accepted, as
 * RFC 9112 lets a recipient do) from buf[0, len).  Returns PT_OK with st
 * filled, PT_AGAIN when no line end was seen yet (lines longer than len
 * are the caller's limit), or PT_ERROR for anything else: another
 * protocol, a version but 1.x, a code outside 100..999, control bytes.
 */
int pt_http_parse_status_line(const u_char *buf, size_t len,
    pt_http_status_t *st);

#endif /* PT_HTTP_UPSTREAM_PARSE_H */
