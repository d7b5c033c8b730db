/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure, strict, incremental HTTP/1.1 request parsing (RFC 9110/9112). */
#ifndef PT_HTTP_PARSE_H
#define PT_HTTP_PARSE_H

/*
 * Nothing here allocates, performs I/O or logs.  The parsers report results
 * as byte offsets into the buffer the caller passes in; the caller keeps the
 * buffer contents from offset 0 stable between calls (it may move the whole
 * buffer, the offsets stay valid).  On PT_ERROR, p->status holds the HTTP
 * status to answer and p->error a static, lower-case reason for the log.
 */

typedef enum {
    PT_HTTP_UNKNOWN = 0,    /* a valid token that is no method we know */
    PT_HTTP_GET,
    PT_HTTP_HEAD,
    PT_HTTP_POST,
    PT_HTTP_PUT,
    PT_HTTP_DELETE,
    PT_HTTP_OPTIONS,
    PT_HTTP_PATCH,
    PT_HTTP_TRACE,
    PT_HTTP_CONNECT
} pt_http_method_e;

/* Bit-mask form of a method, for "limit_except"-style sets. */
#define PT_HTTP_M(m)       (1u << (m))
#define PT_HTTP_M_UNKNOWN  PT_HTTP_M(PT_HTTP_UNKNOWN)
#define PT_HTTP_M_GET      PT_HTTP_M(PT_HTTP_GET)
#define PT_HTTP_M_HEAD     PT_HTTP_M(PT_HTTP_HEAD)
#define PT_HTTP_M_POST     PT_HTTP_M(PT_HTTP_POST)
#define PT_HTTP_M_PUT      PT_HTTP_M(PT_HTTP_PUT)
#define PT_HTTP_M_DELETE   PT_HTTP_M(PT_HTTP_DELETE)
#define PT_HTTP_M_OPTIONS  PT_HTTP_M(PT_HTTP_OPTIONS)
#define PT_HTTP_M_PATCH    PT_HTTP_M(PT_HTTP_PATCH)
#define PT_HTTP_M_TRACE    PT_HTTP_M(PT_HTTP_TRACE)
#define PT_HTTP_M_CONNECT  PT_HTTP_M(PT_HTTP_CONNECT)

typedef enum {
    PT_HTTP_TARGET_ORIGIN = 0,  /* "/path?query" */
    PT_HTTP_TARGET_ABSOLUTE,    /* "scheme://host[:port][/path][?query]" */
    PT_HTTP_TARGET_AUTHORITY,   /* "host:port", CONNECT only */
    PT_HTTP_TARGET_ASTERISK     /* "*", OPTIONS only */
} pt_http_target_e;

#define PT_HTTP_LC_NAME_LEN  32

typedef struct {
    /* internal: zero the whole struct before each request's first call */
    unsigned          state;
    size_t            scan;          /* where the search for LF resumes */

    /*
     * Where parsing continues.  After PT_OK/PT_DONE it points just past the
     * line's LF; after PT_AGAIN at the start of the unfinished line.  Set it
     * to the first byte of the next request for pipelined requests.
     */
    size_t            pos;

    /*
     * Request line results, offsets into buf.  Optional parts that are
     * absent (schema, host, port) have start == end == 0.
     */
    size_t            request_start, request_end;  /* line without CRLF */
    size_t            method_start, method_end;
    size_t            uri_start, uri_end;          /* the request-target */
    size_t            schema_start, schema_end;    /* absolute-form */
    size_t            host_start, host_end;        /* absolute/authority */
    size_t            port_start, port_end;        /* digits, no ':' */

    /*
     * The path: for origin-form from uri_start; for absolute-form after the
     * authority (it may be empty: the caller then uses "/"); for
     * authority-form and asterisk-form path_start == path_end == uri_end.
     * path_end is the '?' or uri_end.
     */
    size_t            path_start, path_end;
    size_t            args_start;    /* just past '?', or 0 without query */

    pt_http_method_e  method;
    unsigned          http_major, http_minor;
    pt_http_target_e  target_form;

    unsigned          complex_uri:1; /* path has '%', "//" or "/." */
    unsigned          quoted_uri:1;  /* path has '%' */
    unsigned          plus_in_uri:1; /* path has '+' */

    /* Header line results, offsets into buf. */
    size_t            header_name_start, header_name_end;
    size_t            header_start, header_end;  /* value, OWS trimmed */

    /*
     * FNV-1a 64-bit over the lower-cased name:
     *   h = 14695981039346656037; for each byte b: h ^= lc(b);
     *   h *= 1099511628211;
     * pt_hash_key_lc() in src/core/pt_hash.h computes the same value.
     */
    uintptr_t         header_hash;

    /*
     * The name is a valid token but holds bytes other than ALPHA, DIGIT,
     * '-' and '_' (nginx's ignore_invalid_headers would drop it).  Names
     * that are not tokens at all are a PT_ERROR, never flagged.
     */
    unsigned          invalid_header:1;
    unsigned          underscore:1;  /* the name contains '_' */

    size_t            lowcase_index; /* bytes stored in lowcase_name */
    u_char            lowcase_name[PT_HTTP_LC_NAME_LEN]; /* not NUL-ended */

    int               status;        /* on PT_ERROR: 400 or 505 */
    const char       *error;         /* on PT_ERROR: static reason */
} pt_http_parse_t;


/*
 * Parses the request line in buf[p->pos, len).  Empty lines before it are
 * skipped (RFC 9112 2.2).  A line ends in CRLF or a bare LF; a CR not
 * followed by LF is an error.  The line must be exactly
 * "method SP request-target SP HTTP/D.D": any token is a method (p->method
 * is PT_HTTP_UNKNOWN for ones we do not know, the caller answers 405/501),
 * the target must be one of the four RFC 9112 forms and contain only
 * VCHARs other than '#'.  Returns PT_OK (fields set, p->pos past the LF),
 * PT_AGAIN (no complete line yet; call again with the same p and a longer
 * buffer holding the same bytes), or PT_ERROR with p->status 400, or 505
 * for a version other than HTTP/1.x.  Line length limits (414) are the
 * caller's.  buf may be NULL only when len == 0.
 */
int pt_http_parse_request_line(pt_http_parse_t *p, const u_char *buf,
    size_t len);

/*
 * Parses one header field line in buf[p->pos, len).  Returns PT_OK with the
 * header_* fields, hash, lowcase_name and flags set; PT_DONE when the empty
 * line ending the head was consumed; PT_AGAIN as for the request line; or
 * PT_ERROR (status 400) for obs-fold or whitespace at the start of a line,
 * whitespace before the colon, an empty or non-token name, a bare CR, NUL,
 * or any control byte other than HTAB in a value.  Values may contain
 * VCHAR, obs-text, SP and HTAB and are trimmed of OWS on both sides.  After
 * PT_OK, call again (p->pos points at the next line).  Limits on the line
 * length and the number of headers are the caller's.
 */
int pt_http_parse_header_line(pt_http_parse_t *p, const u_char *buf,
    size_t len);

/*
 * Returns the method for the exact, case-sensitive token p[0, len), or
 * PT_HTTP_UNKNOWN for anything else.
 */
pt_http_method_e pt_http_method_parse(const u_char *p, size_t len);


/* Chunked transfer coding (RFC 9112 7.1). */

#define PT_HTTP_CHUNK_LINE_MAX   4096  /* chunk-size line incl. extensions */
#define PT_HTTP_TRAILER_MAX      8192  /* default trailer section limit */

typedef struct {
    /* set by the caller before the first call (0 = default) */
    off_t       max_body;     /* sum of chunk sizes; 0 = no limit; 413 */
    size_t      max_trailer;  /* trailer section bytes; 0 = default */

    /* results, readable at any time */
    off_t       body_size;    /* sum of the chunk sizes seen so far */
    off_t       size;         /* bytes left in the current chunk */

    /* internal */
    unsigned    state;
    size_t      line_len;
    size_t      trailer_len;
    int         digits;

    int         status;       /* on PT_ERROR: 400 or 413 */
    const char *error;        /* on PT_ERROR: static reason */
} pt_http_chunked_t;

/*
 * Decodes a chunked body incrementally, over arbitrary splits.  ctx starts
 * zeroed except max_body/max_trailer.  Each call parses buf[0, len) (bytes
 * the previous call reported as consumed must not be passed again) and
 * sets *consumed to the number of bytes used:
 *   PT_OK     chunk data is at buf[*data_start, *data_start + *data_len),
 *             *data_len > 0, inside the consumed bytes; call again with
 *             the rest.
 *   PT_AGAIN  all of buf was consumed (framing only, no data); need more.
 *   PT_DONE   the last chunk and the trailer section ended; *consumed
 *             stops right after the final CRLF (the rest belongs to the
 *             next request).  Trailer fields are validated and skipped.
 *   PT_ERROR  ctx->status 400 (bad size, overflow past 2^63-1, bad
 *             extension, bad trailer, bare LF or CR, over-long size line or
 *             trailer) or 413 (body larger than max_body).
 * Chunk extensions must follow the RFC grammar and are ignored.  Framing
 * lines must end in CRLF: a bare LF is rejected (a smuggling vector).
 */
int pt_http_parse_chunked(pt_http_chunked_t *ctx, const u_char *buf,
    size_t len, size_t *consumed, size_t *data_start, size_t *data_len);


/*
 * Parses a Content-Length value (already OWS-trimmed): exactly 1*DIGIT, no
 * sign, spaces, lists or hex.  Stores the value in *out and returns PT_OK,
 * or PT_ERROR (the caller answers 400) on anything else or an overflow
 * past the largest off_t.
 */
int pt_http_parse_content_length(const u_char *v, size_t len, off_t *out);

/*
 * Classifies a Transfer-Encoding value (a comma list of codings, OWS
 * around elements tolerated, names case-insensitive):
 *   PT_OK        exactly "chunked".
 *   PT_DECLINED  a well-formed list whose only "chunked" is final, after
 *                other codings ("gzip, chunked"): the caller answers 501,
 *                Portico implements no transfer coding but chunked.
 *   PT_ERROR     anything else: chunked not final or repeated ("chunked,
 *                gzip", "gzip", "identity"), chunked with parameters, an
 *                empty value or element, bad syntax; the caller answers 400.
 * Several Transfer-Encoding lines are the caller's to reject or join.
 */
int pt_http_parse_transfer_encoding(const u_char *v, size_t len);

/*
 * Validates a Host header value (or the host of an absolute-form target):
 * reg-name, IPv4 or "[IPv6]", with an optional ":port" (*DIGIT).  Writes
 * the lower-cased host without the port and without one trailing dot to
 * out, which must hold len bytes and may equal host.  Returns the length
 * written, 0 for an empty value (HTTP/1.0 callers may accept it), or -1
 * when invalid: '/', '\\', '@', whitespace, controls, bytes >= 0x80, other
 * characters outside reg-name, "..", a leading '.', "[]", a bad port, or
 * an empty host before ":port".
 */
ssize_t pt_http_validate_host(const u_char *host, size_t len, u_char *out);

#define PT_HTTP_NORMALIZE_NO_MERGE  0x01   /* keep "//" (merge_slashes off) */

/*
 * Normalises a path (the request-target's path, without the query):
 * percent-decodes it, then treats a decoded '/' (from %2F) as a separator
 * like nginx, merges "//" unless PT_HTTP_NORMALIZE_NO_MERGE, and removes
 * "." and ".." segments (decoded "%2e%2e" counts as ".." too).  src must
 * start with '/', or be empty (the result is then "/").  dst must hold
 * max(len, 1) bytes and may equal src (in-place works: the output never
 * overtakes the input).  Returns the output length (the output always
 * starts with '/'), or -1 (the caller answers 400) when src does not start
 * with '/', a "%XX" is malformed, "%00" or a raw NUL appears, or ".."
 * would climb above the root.
 */
ssize_t pt_http_normalize_path(u_char *dst, const u_char *src, size_t len,
    unsigned flags);

#endif /* PT_HTTP_PARSE_H */
