/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure, strict, incremental HTTP/1.1 request parsing (RFC 9110/9112). */

#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_parse.h"


_Static_assert(sizeof(off_t) == 8, "off_t must be 64 bits");

#define PT_HTTP_MAX_OFF_T  ((off_t) INT64_MAX)

#define FNV_OFFSET  ((uint64_t) 14695981039346656037ULL)
#define FNV_PRIME   ((uint64_t) 1099511628211ULL)

#define CR  '\r'
#define LF  '\n'

/* request line states */
enum {
    RL_START = 0,        /* skipping empty lines before the request line */
    RL_LINE              /* looking for the LF that ends the line */
};

/* header line states */
enum {
    HL_START = 0,
    HL_LINE
};

/* which bytes a line may hold at all, checked while looking for LF */
enum {
    LINE_REQUEST = 0,    /* VCHAR and SP only */
    LINE_HEADER          /* VCHAR, obs-text, SP and HTAB */
};


static inline bool
is_alpha(u_char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}


static inline bool
is_digit(u_char c)
{
    return c >= '0' && c <= '9';
}


static inline int
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


/* tchar, RFC 9110 5.6.2 */
static inline bool
is_tchar(u_char c)
{
    if (is_alpha(c) || is_digit(c)) {
        return true;
    }

    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '.': case '^': case '_': case '`': case '|':
    case '~':
        return true;
    default:
        return false;
    }
}


/* unreserved / sub-delims, RFC 3986 */
static inline bool
is_regname(u_char c)
{
    if (is_alpha(c) || is_digit(c)) {
        return true;
    }

    switch (c) {
    case '-': case '.': case '_': case '~':
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*':
    case '+': case ',': case ';': case '=': case '%':
        return true;
    default:
        return false;
    }
}


static inline bool
is_ipv6_char(u_char c)
{
    return hex_value(c) >= 0 || c == ':' || c == '.';
}


/* field-vchar / SP / HTAB, RFC 9110 5.5 (obs-text included) */
static inline bool
is_field_char(u_char c)
{
    return (c >= 0x20 && c != 0x7f) || c == '\t';
}


static inline bool
is_ows(u_char c)
{
    return c == ' ' || c == '\t';
}


static int
parse_fail(pt_http_parse_t *p, int status, const char *error)
{
    p->status = status;
    p->error = error;

    return PT_ERROR;
}


/*
 * Looks for the LF ending the line that starts at p->pos, resuming at
 * p->scan.  Rejects early the bytes no such line may hold, so garbage is
 * answered with 400 before the buffer fills up.  On PT_OK, *end is the end
 * of the line without CR/LF and *next the offset past the LF.
 */
static int
parse_find_line(pt_http_parse_t *p, const u_char *buf, size_t len,
    unsigned kind, size_t *end, size_t *next)
{
    size_t  i;
    u_char  c;

    for (i = p->scan; i < len; i++) {
        c = buf[i];

        if (c == LF) {
            *end = i;
            *next = i + 1;
            return PT_OK;
        }

        if (c == CR) {
            if (i + 1 == len) {
                p->scan = i;
                return PT_AGAIN;
            }

            if (buf[i + 1] != LF) {
                return parse_fail(p, 400, "client sent bare CR");
            }

            *end = i;
            *next = i + 2;
            return PT_OK;
        }

        if (c == '\0') {
            return parse_fail(p, 400, "client sent NUL byte");
        }

        if (kind == LINE_REQUEST) {
            if (c < 0x20 || c >= 0x7f) {
                return parse_fail(p, 400,
                                  "client sent invalid byte in request line");
            }

        } else if (!is_field_char(c)) {
            return parse_fail(p, 400,
                              "client sent control byte in header line");
        }
    }

    p->scan = len;

    return PT_AGAIN;
}


/*
 * Parses "host[:port]" in buf[s, e) up to '/', '?' or e.  Sets host and
 * port offsets and *stop.  need_port: the port must be there (CONNECT).
 */
static const char  bad_host[] = "client sent invalid host in request target";


static int
parse_authority(pt_http_parse_t *p, const u_char *buf, size_t s, size_t e,
    bool need_port, size_t *stop)
{
    size_t  i, end;

    for (end = s; end < e && buf[end] != '/' && buf[end] != '?'; end++) {
        if (buf[end] == '@') {
            return parse_fail(p, 400, "client sent userinfo in request target");
        }
    }

    i = s;

    if (i < end && buf[i] == '[') {
        for (i++; i < end && buf[i] != ']'; i++) {
            if (!is_ipv6_char(buf[i])) {
                return parse_fail(p, 400, bad_host);
            }
        }

        if (i == end || i == s + 1) {
            return parse_fail(p, 400, bad_host);
        }

        i++;

    } else {
        while (i < end && buf[i] != ':') {
            if (!is_regname(buf[i])) {
                return parse_fail(p, 400,
                                  "client sent invalid host in request target");
            }

            i++;
        }

        if (i == s) {
            return parse_fail(p, 400,
                              "client sent empty host in request target");
        }
    }

    p->host_start = s;
    p->host_end = i;

    if (i < end) {
        if (buf[i] != ':') {
            return parse_fail(p, 400, bad_host);
        }

        i++;
        p->port_start = i;

        while (i < end) {
            if (!is_digit(buf[i])) {
                return parse_fail(p, 400,
                                  "client sent invalid port in request target");
            }

            i++;
        }

        p->port_end = i;
    }

    if (need_port && p->port_end == p->port_start) {
        return parse_fail(p, 400,
                          "client sent no port in authority-form target");
    }

    *stop = end;

    return PT_OK;
}


/* Scans the path and the query of buf[s, e), which start at s. */
static void
parse_path_query(pt_http_parse_t *p, const u_char *buf, size_t s, size_t e)
{
    size_t  i;
    u_char  c;

    p->path_start = s;

    for (i = s; i < e; i++) {
        c = buf[i];

        if (c == '?') {
            break;
        }

        switch (c) {
        case '%':
            p->quoted_uri = 1;
            p->complex_uri = 1;
            break;

        case '/':
            if (i + 1 < e && (buf[i + 1] == '/' || buf[i + 1] == '.')) {
                p->complex_uri = 1;
            }
            break;

        case '+':
            p->plus_in_uri = 1;
            break;

        default:
            break;
        }
    }

    p->path_end = i;

    if (i < e) {
        p->args_start = i + 1;
    }
}


static int
parse_target(pt_http_parse_t *p, const u_char *buf, size_t s, size_t e)
{
    size_t  i;

    if (memchr(buf + s, '#', e - s) != NULL) {
        return parse_fail(p, 400, "client sent fragment in request target");
    }

    p->uri_start = s;
    p->uri_end = e;

    if (p->method == PT_HTTP_CONNECT) {
        p->target_form = PT_HTTP_TARGET_AUTHORITY;

        if (parse_authority(p, buf, s, e, true, &i) != PT_OK) {
            return PT_ERROR;
        }

        if (i != e) {
            return parse_fail(p, 400, "client sent invalid CONNECT target");
        }

        p->path_start = e;
        p->path_end = e;

        return PT_OK;
    }

    if (buf[s] == '/') {
        p->target_form = PT_HTTP_TARGET_ORIGIN;
        parse_path_query(p, buf, s, e);
        return PT_OK;
    }

    if (buf[s] == '*') {
        if (e - s != 1 || p->method != PT_HTTP_OPTIONS) {
            return parse_fail(p, 400,
                              "client sent invalid asterisk-form target");
        }

        p->target_form = PT_HTTP_TARGET_ASTERISK;
        p->path_start = e;
        p->path_end = e;

        return PT_OK;
    }

    if (!is_alpha(buf[s])) {
        return parse_fail(p, 400, "client sent invalid request target");
    }

    /* absolute-form: scheme "://" authority [path-abempty] ["?" query] */

    for (i = s + 1; i < e; i++) {
        if (!is_alpha(buf[i]) && !is_digit(buf[i])
            && buf[i] != '+' && buf[i] != '-' && buf[i] != '.')
        {
            break;
        }
    }

    if (e - i < 3 || buf[i] != ':' || buf[i + 1] != '/' || buf[i + 2] != '/') {
        return parse_fail(p, 400, "client sent invalid request target");
    }

    p->target_form = PT_HTTP_TARGET_ABSOLUTE;
    p->schema_start = s;
    p->schema_end = i;

    if (parse_authority(p, buf, i + 3, e, false, &i) != PT_OK) {
        return PT_ERROR;
    }

    parse_path_query(p, buf, i, e);

    return PT_OK;
}


static int
parse_version(pt_http_parse_t *p, const u_char *v, size_t len)
{
    if (len != sizeof("HTTP/1.1") - 1
        || memcmp(v, "HTTP/", 5) != 0
        || !is_digit(v[5]) || v[6] != '.' || !is_digit(v[7]))
    {
        return parse_fail(p, 400, "client sent invalid HTTP version");
    }

    p->http_major = v[5] - '0';
    p->http_minor = v[7] - '0';

    if (p->http_major != 1) {
        return parse_fail(p, 505, "client sent unsupported HTTP version");
    }

    return PT_OK;
}


static int
parse_request_line_text(pt_http_parse_t *p, const u_char *buf, size_t s,
    size_t e)
{
    size_t        i, sp1, sp2;
    const u_char  *sp;

    sp = memchr(buf + s, ' ', e - s);

    if (sp == NULL) {
        return parse_fail(p, 400, "client sent invalid request line");
    }

    sp1 = sp - buf;

    for (sp2 = e; sp2 > sp1; sp2--) {
        if (buf[sp2 - 1] == ' ') {
            break;
        }
    }

    sp2--;

    if (sp1 == s) {
        return parse_fail(p, 400, "client sent invalid method");
    }

    for (i = s; i < sp1; i++) {
        if (!is_tchar(buf[i])) {
            return parse_fail(p, 400, "client sent invalid method");
        }
    }

    p->method_start = s;
    p->method_end = sp1;
    p->method = pt_http_method_parse(buf + s, sp1 - s);

    if (sp2 == sp1) {
        return parse_fail(p, 400, "client sent HTTP/0.9 request");
    }

    if (parse_version(p, buf + sp2 + 1, e - sp2 - 1) != PT_OK) {
        return PT_ERROR;
    }

    if (sp2 == sp1 + 1 || memchr(buf + sp1 + 1, ' ', sp2 - sp1 - 1) != NULL) {
        return parse_fail(p, 400, "client sent invalid request line");
    }

    return parse_target(p, buf, sp1 + 1, sp2);
}


int
pt_http_parse_request_line(pt_http_parse_t *p, const u_char *buf, size_t len)
{
    int     rc;
    size_t  i, end, next;

    if (p->state == RL_START) {
        i = p->pos;

        for ( ;; ) {
            if (i >= len) {
                p->pos = i;
                return PT_AGAIN;
            }

            if (buf[i] == LF) {
                i++;
                continue;
            }

            if (buf[i] == CR) {
                if (i + 1 >= len) {
                    p->pos = i;
                    return PT_AGAIN;
                }

                if (buf[i + 1] != LF) {
                    return parse_fail(p, 400, "client sent bare CR");
                }

                i += 2;
                continue;
            }

            break;
        }

        p->pos = i;
        p->scan = i;
        p->state = RL_LINE;
    }

    rc = parse_find_line(p, buf, len, LINE_REQUEST, &end, &next);

    if (rc != PT_OK) {
        return rc;
    }

    p->request_start = p->pos;
    p->request_end = end;

    rc = parse_request_line_text(p, buf, p->pos, end);

    if (rc != PT_OK) {
        return rc;
    }

    p->pos = next;
    p->scan = next;
    p->state = HL_START;

    return PT_OK;
}


static int
parse_header_text(pt_http_parse_t *p, const u_char *buf, size_t s, size_t e)
{
    u_char    c, lc;
    size_t    i, vs, ve;
    uint64_t  h;

    if (is_ows(buf[s])) {
        return parse_fail(p, 400, "client sent obsolete line folding");
    }

    p->invalid_header = 0;
    p->underscore = 0;
    p->lowcase_index = 0;
    h = FNV_OFFSET;

    for (i = s; i < e; i++) {
        c = buf[i];

        if (!is_tchar(c)) {
            break;
        }

        lc = pt_tolower(c);
        h ^= lc;
        h *= FNV_PRIME;

        if (p->lowcase_index < PT_HTTP_LC_NAME_LEN) {
            p->lowcase_name[p->lowcase_index++] = lc;
        }

        if (c == '_') {
            p->underscore = 1;

        } else if (c != '-' && !is_alpha(c) && !is_digit(c)) {
            p->invalid_header = 1;
        }
    }

    if (i == e || buf[i] != ':') {
        if (i < e && is_ows(buf[i])) {
            return parse_fail(p, 400, "client sent whitespace before colon");
        }

        return parse_fail(p, 400, "client sent invalid header line");
    }

    if (i == s) {
        return parse_fail(p, 400, "client sent empty header name");
    }

    p->header_name_start = s;
    p->header_name_end = i;
    p->header_hash = (uintptr_t) h;

    for (vs = i + 1; vs < e && is_ows(buf[vs]); vs++) { /* void */ }
    for (ve = e; ve > vs && is_ows(buf[ve - 1]); ve--) { /* void */ }

    for (i = vs; i < ve; i++) {
        if (!is_field_char(buf[i])) {
            return parse_fail(p, 400, "client sent invalid header value");
        }
    }

    p->header_start = vs;
    p->header_end = ve;

    return PT_OK;
}


int
pt_http_parse_header_line(pt_http_parse_t *p, const u_char *buf, size_t len)
{
    int     rc;
    size_t  end, next;

    if (p->state != HL_LINE) {
        p->scan = p->pos;
        p->state = HL_LINE;
    }

    rc = parse_find_line(p, buf, len, LINE_HEADER, &end, &next);

    if (rc != PT_OK) {
        return rc;
    }

    if (end == p->pos) {
        rc = PT_DONE;

    } else {
        rc = parse_header_text(p, buf, p->pos, end);

        if (rc != PT_OK) {
            return rc;
        }
    }

    p->pos = next;
    p->scan = next;
    p->state = HL_START;

    return rc;
}


pt_http_method_e
pt_http_method_parse(const u_char *p, size_t len)
{
    static const struct {
        const char        *name;
        size_t             len;
        pt_http_method_e   method;
    } methods[] = {
        { "GET", 3, PT_HTTP_GET },
        { "HEAD", 4, PT_HTTP_HEAD },
        { "POST", 4, PT_HTTP_POST },
        { "PUT", 3, PT_HTTP_PUT },
        { "DELETE", 6, PT_HTTP_DELETE },
        { "OPTIONS", 7, PT_HTTP_OPTIONS },
        { "PATCH", 5, PT_HTTP_PATCH },
        { "TRACE", 5, PT_HTTP_TRACE },
        { "CONNECT", 7, PT_HTTP_CONNECT },
    };

    size_t  i;

    for (i = 0; i < pt_nelts(methods); i++) {
        if (methods[i].len == len && memcmp(methods[i].name, p, len) == 0) {
            return methods[i].method;
        }
    }

    return PT_HTTP_UNKNOWN;
}


/* chunked decoder states */
enum {
    CH_SIZE_START = 0,
    CH_SIZE,
    CH_SIZE_BWS,
    CH_EXT_PRE_NAME,
    CH_EXT_NAME,
    CH_EXT_POST_NAME,
    CH_EXT_PRE_VAL,
    CH_EXT_TOKEN,
    CH_EXT_QUOTED,
    CH_EXT_QPAIR,
    CH_EXT_QEND,
    CH_EXT_POST_VAL,
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER_START,
    CH_TRAILER_NAME,
    CH_TRAILER_VALUE,
    CH_TRAILER_LF,
    CH_FINAL_LF,
    CH_DONE
};


static int
chunked_fail(pt_http_chunked_t *ctx, int status, const char *error)
{
    ctx->status = status;
    ctx->error = error;

    return PT_ERROR;
}


int
pt_http_parse_chunked(pt_http_chunked_t *ctx, const u_char *buf, size_t len,
    size_t *consumed, size_t *data_start, size_t *data_len)
{
    int     d;
    u_char  c;
    size_t  i, n, max_trailer;

    *consumed = 0;
    *data_start = 0;
    *data_len = 0;

    if (ctx->state == CH_DONE) {
        return PT_DONE;
    }

    max_trailer = ctx->max_trailer ? ctx->max_trailer : PT_HTTP_TRAILER_MAX;

    for (i = 0; i < len; i++) {

        if (ctx->state == CH_DATA) {
            n = len - i;

            if ((off_t) n > ctx->size) {
                n = (size_t) ctx->size;
            }

            ctx->size -= n;

            if (ctx->size == 0) {
                ctx->state = CH_DATA_CR;
            }

            *data_start = i;
            *data_len = n;
            *consumed = i + n;

            return PT_OK;
        }

        c = buf[i];

        if (ctx->state <= CH_SIZE_LF) {
            if (++ctx->line_len > PT_HTTP_CHUNK_LINE_MAX) {
                return chunked_fail(ctx, 400,
                                    "client sent too long chunk line");
            }

        } else if (ctx->state >= CH_TRAILER_START) {
            if (++ctx->trailer_len > max_trailer) {
                return chunked_fail(ctx, 400, "client sent too long trailer");
            }
        }

        switch (ctx->state) {

        case CH_SIZE_START:
        case CH_SIZE:
            d = hex_value(c);

            if (d >= 0) {
                if (ctx->size > (PT_HTTP_MAX_OFF_T - d) / 16) {
                    return chunked_fail(ctx, 400,
                                        "client sent too large chunk size");
                }

                ctx->size = ctx->size * 16 + d;
                ctx->state = CH_SIZE;
                break;
            }

            if (ctx->state == CH_SIZE_START) {
                return chunked_fail(ctx, 400, "client sent invalid chunk size");
            }

            if (c == ';') {
                ctx->state = CH_EXT_PRE_NAME;

            } else if (is_ows(c)) {
                ctx->state = CH_SIZE_BWS;

            } else if (c == CR) {
                ctx->state = CH_SIZE_LF;

            } else {
                return chunked_fail(ctx, 400, "client sent invalid chunk size");
            }

            break;

        case CH_SIZE_BWS:
        case CH_EXT_POST_VAL:
            if (c == ';') {
                ctx->state = CH_EXT_PRE_NAME;

            } else if (!is_ows(c)) {
                return chunked_fail(ctx, 400,
                                    "client sent invalid chunk extension");
            }

            break;

        case CH_EXT_PRE_NAME:
            if (is_tchar(c)) {
                ctx->state = CH_EXT_NAME;

            } else if (!is_ows(c)) {
                return chunked_fail(ctx, 400,
                                    "client sent invalid chunk extension");
            }

            break;

        case CH_EXT_NAME:
            if (is_tchar(c)) {
                break;
            }

            if (is_ows(c)) {
                ctx->state = CH_EXT_POST_NAME;

            } else if (c == '=') {
                ctx->state = CH_EXT_PRE_VAL;

            } else if (c == ';') {
                ctx->state = CH_EXT_PRE_NAME;

            } else if (c == CR) {
                ctx->state = CH_SIZE_LF;

            } else {
                return chunked_fail(ctx, 400,
                                    "client sent invalid chunk extension");
            }

            break;

        case CH_EXT_POST_NAME:
            if (c == '=') {
                ctx->state = CH_EXT_PRE_VAL;

            } else if (c == ';') {
                ctx->state = CH_EXT_PRE_NAME;

            } else if (!is_ows(c)) {
                return chunked_fail(ctx, 400,
                                    "client sent invalid chunk extension");
            }

            break;

        case CH_EXT_PRE_VAL:
            if (c == '"') {
                ctx->state = CH_EXT_QUOTED;

            } else if (is_tchar(c)) {
                ctx->state = CH_EXT_TOKEN;

            } else if (!is_ows(c)) {
                return chunked_fail(ctx, 400,
                                    "client sent invalid chunk extension");
            }

            break;

        case CH_EXT_TOKEN:
            if (is_tchar(c)) {
                break;
            }

            /* fall through */

        case CH_EXT_QEND:
            if (is_ows(c)) {
                ctx->state = CH_EXT_POST_VAL;

            } else if (c == ';') {
                ctx->state = CH_EXT_PRE_NAME;

            } else if (c == CR) {
                ctx->state = CH_SIZE_LF;

            } else {
                return chunked_fail(ctx, 400,
                                    "client sent invalid chunk extension");
            }

            break;

        case CH_EXT_QUOTED:
            if (c == '"') {
                ctx->state = CH_EXT_QEND;

            } else if (c == '\\') {
                ctx->state = CH_EXT_QPAIR;

            } else if (!is_field_char(c)) {
                return chunked_fail(ctx, 400,
                                    "client sent invalid chunk extension");
            }

            break;

        case CH_EXT_QPAIR:
            if (!is_field_char(c)) {
                return chunked_fail(ctx, 400,
                                    "client sent invalid chunk extension");
            }

            ctx->state = CH_EXT_QUOTED;
            break;

        case CH_SIZE_LF:
            if (c != LF) {
                return chunked_fail(ctx, 400, "client sent bare CR in chunk");
            }

            if (ctx->size == 0) {
                ctx->state = CH_TRAILER_START;
                break;
            }

            if (ctx->max_body > 0
                && ctx->size > ctx->max_body - ctx->body_size)
            {
                return chunked_fail(ctx, 413,
                                    "client intended to send too large "
                                    "chunked body");
            }

            if (ctx->size > PT_HTTP_MAX_OFF_T - ctx->body_size) {
                return chunked_fail(ctx, 400,
                                    "client sent too large chunked body");
            }

            ctx->body_size += ctx->size;
            ctx->state = CH_DATA;
            break;

        case CH_DATA_CR:
            if (c != CR) {
                return chunked_fail(ctx, 400,
                                    "client sent chunk data without CRLF");
            }

            ctx->state = CH_DATA_LF;
            break;

        case CH_DATA_LF:
            if (c != LF) {
                return chunked_fail(ctx, 400,
                                    "client sent chunk data without CRLF");
            }

            ctx->state = CH_SIZE_START;
            ctx->line_len = 0;
            break;

        case CH_TRAILER_START:
            if (c == CR) {
                ctx->state = CH_FINAL_LF;

            } else if (is_tchar(c)) {
                ctx->state = CH_TRAILER_NAME;

            } else {
                return chunked_fail(ctx, 400, "client sent invalid trailer");
            }

            break;

        case CH_TRAILER_NAME:
            if (c == ':') {
                ctx->state = CH_TRAILER_VALUE;

            } else if (!is_tchar(c)) {
                return chunked_fail(ctx, 400, "client sent invalid trailer");
            }

            break;

        case CH_TRAILER_VALUE:
            if (c == CR) {
                ctx->state = CH_TRAILER_LF;

            } else if (!is_field_char(c)) {
                return chunked_fail(ctx, 400, "client sent invalid trailer");
            }

            break;

        case CH_TRAILER_LF:
            if (c != LF) {
                return chunked_fail(ctx, 400, "client sent bare CR in trailer");
            }

            ctx->state = CH_TRAILER_START;
            break;

        case CH_FINAL_LF:
            if (c != LF) {
                return chunked_fail(ctx, 400, "client sent bare CR in trailer");
            }

            ctx->state = CH_DONE;
            *consumed = i + 1;
            return PT_DONE;

        default:
            return chunked_fail(ctx, 400, "invalid chunked parser state");
        }
    }

    *consumed = len;

    return PT_AGAIN;
}


int
pt_http_parse_content_length(const u_char *v, size_t len, off_t *out)
{
    int     d;
    off_t   n;
    size_t  i;

    if (len == 0) {
        return PT_ERROR;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (!is_digit(v[i])) {
            return PT_ERROR;
        }

        d = v[i] - '0';

        if (n > (PT_HTTP_MAX_OFF_T - d) / 10) {
            return PT_ERROR;
        }

        n = n * 10 + d;
    }

    *out = n;

    return PT_OK;
}


/* Skips OWS from i; returns the new offset. */
static size_t
skip_ows(const u_char *v, size_t i, size_t len)
{
    while (i < len && is_ows(v[i])) {
        i++;
    }

    return i;
}


/* Skips a token from i; returns the new offset (== i when none). */
static size_t
skip_token(const u_char *v, size_t i, size_t len)
{
    while (i < len && is_tchar(v[i])) {
        i++;
    }

    return i;
}


int
pt_http_parse_transfer_encoding(const u_char *v, size_t len)
{
    bool    chunked;
    size_t  i, t, nelts;

    chunked = false;
    nelts = 0;
    i = 0;

    for ( ;; ) {
        i = skip_ows(v, i, len);
        t = skip_token(v, i, len);

        if (t == i) {
            return PT_ERROR;          /* empty value or element, bad byte */
        }

        if (chunked) {
            return PT_ERROR;          /* chunked is not the final coding */
        }

        chunked = (t - i == 7 && strncasecmp((const char *) v + i, "chunked", 7)
                   == 0);
        nelts++;
        i = skip_ows(v, t, len);

        /* transfer-parameter = token BWS "=" BWS ( token / quoted-string ) */

        while (i < len && v[i] == ';') {
            if (chunked) {
                return PT_ERROR;
            }

            i = skip_ows(v, i + 1, len);
            t = skip_token(v, i, len);

            if (t == i) {
                return PT_ERROR;
            }

            i = skip_ows(v, t, len);

            if (i == len || v[i] != '=') {
                return PT_ERROR;
            }

            i = skip_ows(v, i + 1, len);

            if (i < len && v[i] == '"') {
                for (i++; i < len && v[i] != '"'; i++) {
                    if (v[i] == '\\') {
                        i++;
                    }

                    if (i == len || !is_field_char(v[i])) {
                        return PT_ERROR;
                    }
                }

                if (i == len) {
                    return PT_ERROR;
                }

                i++;

            } else {
                t = skip_token(v, i, len);

                if (t == i) {
                    return PT_ERROR;
                }

                i = t;
            }

            i = skip_ows(v, i, len);
        }

        if (i == len) {
            break;
        }

        if (v[i] != ',') {
            return PT_ERROR;
        }

        i++;
    }

    if (!chunked) {
        return PT_ERROR;
    }

    return nelts == 1 ? PT_OK : PT_DECLINED;
}


static bool
valid_port(const u_char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!is_digit(p[i])) {
            return false;
        }
    }

    return true;
}


ssize_t
pt_http_validate_host(const u_char *host, size_t len, u_char *out)
{
    size_t  i, host_len;

    if (len == 0) {
        return 0;
    }

    if (host[0] == '[') {
        for (i = 1; i < len && host[i] != ']'; i++) {
            if (!is_ipv6_char(host[i])) {
                return -1;
            }
        }

        if (i == len || i == 1) {
            return -1;
        }

        host_len = i + 1;

        if (host_len < len
            && (host[host_len] != ':'
                || !valid_port(host + host_len + 1, len - host_len - 1)))
        {
            return -1;
        }

    } else {
        host_len = len;

        for (i = 0; i < len; i++) {
            if (host[i] == '.') {
                if (i == 0 || host[i - 1] == '.') {
                    return -1;
                }

                continue;
            }

            if (host[i] == ':') {
                if (!valid_port(host + i + 1, len - i - 1)) {
                    return -1;
                }

                host_len = i;
                break;
            }

            if (!is_regname(host[i])) {
                return -1;
            }
        }

        if (host_len == 0) {
            return -1;
        }

        if (host[host_len - 1] == '.') {
            host_len--;
        }
    }

    for (i = 0; i < host_len; i++) {
        out[i] = pt_tolower(host[i]);
    }

    return (ssize_t) host_len;
}


ssize_t
pt_http_normalize_path(u_char *dst, const u_char *src, size_t len,
    unsigned flags)
{
    int     hi, lo;
    bool    end;
    u_char  c;
    size_t  i, d, seg, j;

    if (len == 0) {
        dst[0] = '/';
        return 1;
    }

    if (src[0] != '/') {
        return -1;
    }

    dst[0] = '/';
    d = 1;
    seg = 1;            /* start of the current segment in dst */
    i = 1;

    for ( ;; ) {
        end = (i == len);
        c = 0;

        if (!end) {
            c = src[i++];

            if (c == '%') {
                if (len - i < 2) {
                    return -1;
                }

                hi = hex_value(src[i]);
                lo = hex_value(src[i + 1]);

                if (hi < 0 || lo < 0) {
                    return -1;
                }

                c = (u_char) (hi * 16 + lo);
                i += 2;
            }

            if (c == '\0') {
                return -1;
            }

            if (c != '/') {
                dst[d++] = c;
                continue;
            }
        }

        /* a segment ends: dst[seg, d) */

        if (d - seg == 1 && dst[seg] == '.') {
            d = seg;

        } else if (d - seg == 2 && dst[seg] == '.' && dst[seg + 1] == '.') {
            if (seg == 1) {
                return -1;
            }

            /* drop the slash before "..", then the previous segment */

            j = seg - 2;

            while (dst[j] != '/') {
                j--;
            }

            d = j + 1;

        } else if (end) {
            /* void */

        } else if (d == seg && !(flags & PT_HTTP_NORMALIZE_NO_MERGE)) {
            /* an empty segment: merge the slashes */

        } else {
            dst[d++] = '/';
        }

        seg = d;

        if (end) {
            break;
        }
    }

    return (ssize_t) d;
}
