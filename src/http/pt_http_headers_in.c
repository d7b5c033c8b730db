/* SPDX-License-Identifier: BSD-2-Clause */
/* Request headers: recording them, and the checks on the whole head. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_internal.h"

typedef int (*headers_in_pt)(pt_http_request_t *r, pt_table_elt_t *h,
    size_t offset);

typedef struct {
    const char     *name;
    size_t          offset;       /* of the pt_table_elt_t * in headers_in */
    headers_in_pt   handler;
    uintptr_t       hash;         /* filled at first use */
} headers_in_known_t;

static int headers_unique(pt_http_request_t *r, pt_table_elt_t *h, size_t off);
static int headers_first(pt_http_request_t *r, pt_table_elt_t *h, size_t off);
static int headers_multi(pt_http_request_t *r, pt_table_elt_t *h, size_t off);
static int headers_host(pt_http_request_t *r, pt_table_elt_t *h, size_t off);
static int headers_connection(pt_http_request_t *r, pt_table_elt_t *h,
    size_t off);
static int headers_user_agent(pt_http_request_t *r, pt_table_elt_t *h,
    size_t off);

#define HIN(field)  offsetof(pt_http_headers_in_t, field)

static headers_in_known_t  headers_known[] = {
    { "host", HIN(host), headers_host, 0 },
    { "connection", HIN(connection), headers_connection, 0 },
    { "if-modified-since", HIN(if_modified_since), headers_unique, 0 },
    { "if-unmodified-since", HIN(if_unmodified_since), headers_unique, 0 },
    { "if-match", HIN(if_match), headers_first, 0 },
    { "if-none-match", HIN(if_none_match), headers_first, 0 },
    { "if-range", HIN(if_range), headers_unique, 0 },
    { "user-agent", HIN(user_agent), headers_user_agent, 0 },
    { "referer", HIN(referer), headers_first, 0 },
    { "content-length", HIN(content_length), headers_unique, 0 },
    { "content-type", HIN(content_type), headers_first, 0 },
    { "range", HIN(range), headers_first, 0 },
    { "transfer-encoding", HIN(transfer_encoding), headers_unique, 0 },
    { "te", HIN(te), headers_first, 0 },
    { "expect", HIN(expect), headers_unique, 0 },
    { "upgrade", HIN(upgrade), headers_first, 0 },
    { "accept-encoding", HIN(accept_encoding), headers_first, 0 },
    { "authorization", HIN(authorization), headers_unique, 0 },
    { "keep-alive", HIN(keep_alive), headers_first, 0 },
    { "x-forwarded-for", HIN(x_forwarded_for), headers_multi, 0 },
    { "cookie", HIN(cookie), headers_multi, 0 },
};


static pt_table_elt_t **
headers_slot(pt_http_request_t *r, size_t off)
{
    return (pt_table_elt_t **) ((u_char *) &r->headers_in + off);
}


static int
headers_unique(pt_http_request_t *r, pt_table_elt_t *h, size_t off)
{
    pt_table_elt_t  **slot = headers_slot(r, off);

    if (*slot) {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent "
                     "duplicate header line: \"%.*s: %.*s\", previous value: "
                     "\"%.*s: %.*s\"", PT_STR_ARG(h->key), PT_STR_ARG(h->value),
                     PT_STR_ARG((*slot)->key), PT_STR_ARG((*slot)->value));
        return PT_HTTP_BAD_REQUEST;
    }

    *slot = h;
    return PT_OK;
}


static int
headers_first(pt_http_request_t *r, pt_table_elt_t *h, size_t off)
{
    pt_table_elt_t  **slot = headers_slot(r, off);

    if (*slot == NULL) {
        *slot = h;
    }

    return PT_OK;
}


static int
headers_multi(pt_http_request_t *r, pt_table_elt_t *h, size_t off)
{
    pt_table_elt_t  **slot = headers_slot(r, off);

    while (*slot) {
        slot = &(*slot)->dup;
    }

    *slot = h;
    return PT_OK;
}


static int
headers_host(pt_http_request_t *r, pt_table_elt_t *h, size_t off)
{
    if (headers_unique(r, h, off) != PT_OK) {
        return PT_HTTP_BAD_REQUEST;
    }

    u_char   *out = pt_pnalloc(r->pool, h->value.len + 1);
    ssize_t   n = out ? pt_http_validate_host(h->value.data, h->value.len, out)
                      : -1;

    if (out == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (n < 0) {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent invalid "
                     "host header");
        return PT_HTTP_BAD_REQUEST;
    }

    /* An absolute-form target's host wins over the header (RFC 9112 3.2.2). */
    if (r->headers_in.server.len == 0) {
        r->headers_in.server.data = out;
        r->headers_in.server.len = (size_t) n;
    }

    return PT_OK;
}


static bool
headers_has_token(const pt_str_t *v, const char *token)
{
    size_t  tl = strlen(token);

    for (size_t i = 0; i + tl <= v->len; i++) {
        if (pt_strncasecmp(v->data + i, (const u_char *) token, tl) == 0
            && (i == 0 || v->data[i - 1] == ',' || v->data[i - 1] == ' ')
            && (i + tl == v->len || v->data[i + tl] == ','
                || v->data[i + tl] == ' '))
        {
            return true;
        }
    }

    return false;
}


/* Every Connection line, chained by dup: the proxy drops what they name. */
static int
headers_connection(pt_http_request_t *r, pt_table_elt_t *h, size_t off)
{
    headers_multi(r, h, off);

    if (headers_has_token(&h->value, "close")) {
        r->headers_in.connection_type = PT_HTTP_CONNECTION_CLOSE;
    } else if (headers_has_token(&h->value, "keep-alive")
               && r->headers_in.connection_type != PT_HTTP_CONNECTION_CLOSE)
    {
        r->headers_in.connection_type = PT_HTTP_CONNECTION_KEEP_ALIVE;
    }

    return PT_OK;
}


static int
headers_user_agent(pt_http_request_t *r, pt_table_elt_t *h, size_t off)
{
    headers_first(r, h, off);

    u_char  *msie = pt_strnstr(h->value.data, h->value.data + h->value.len,
                               "MSIE ");

    if (msie && msie + 7 < h->value.data + h->value.len) {
        r->headers_in.msie = 1;
        r->headers_in.msie6 = msie[5] <= '6' && msie[6] == '.';
    }

    return PT_OK;
}


static void
headers_known_init(void)
{
    if (headers_known[0].hash) {
        return;
    }

    for (size_t i = 0; i < pt_nelts(headers_known); i++) {
        headers_known[i].hash = pt_hash_key((const u_char *) headers_known[i].name,
                                            strlen(headers_known[i].name));
    }
}


int
pt_http_add_header_in(pt_http_request_t *r)
{
    pt_http_parse_t           *p = &r->parse;
    pt_http_core_srv_conf_t   *cscf = pt_http_default_srv_conf(r->http_connection);
    u_char                    *base = r->header_in->pos;
    pt_table_elt_t            *h;

    /* As nginx: without underscores_in_headers an underscore is invalid. */
    bool  invalid = p->invalid_header
                    || (p->underscore && !cscf->underscores_in_headers);

    if (invalid && cscf->ignore_invalid_headers) {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent invalid "
                     "header line: \"%.*s\"",
                     (int) (p->header_end - p->header_name_start),
                     base + p->header_name_start);
        return PT_OK;
    }

    if (r->headers_in.headers.n >= 100) {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent too "
                     "many header lines");
        return PT_HTTP_HEADER_FIELDS_TOO_LARGE;
    }

    h = pt_pcalloc(r->pool, sizeof(pt_table_elt_t));
    if (h == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = p->header_hash;
    h->key.data = base + p->header_name_start;
    h->key.len = p->header_name_end - p->header_name_start;
    h->value.data = base + p->header_start;
    h->value.len = p->header_end - p->header_start;
    h->lowcase_key = pt_pnalloc(r->pool, h->key.len);

    if (h->lowcase_key == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    pt_strlow(h->lowcase_key, h->key.data, h->key.len);

    pt_http_headers_t  *l = &r->headers_in.headers;

    if (l->last) {
        l->last->next = h;
    } else {
        l->first = h;
    }
    l->last = h;
    l->n++;

    headers_known_init();

    for (size_t i = 0; i < pt_nelts(headers_known); i++) {
        headers_in_known_t  *k = &headers_known[i];

        if (k->hash == h->hash && strlen(k->name) == h->key.len
            && memcmp(k->name, h->lowcase_key, h->key.len) == 0)
        {
            return k->handler(r, h, k->offset);
        }
    }

    return PT_OK;
}


static int
headers_framing(pt_http_request_t *r)
{
    pt_http_headers_in_t  *hi = &r->headers_in;

    if (hi->content_length && hi->transfer_encoding) {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent "
                     "\"Content-Length\" and \"Transfer-Encoding\" headers at "
                     "the same time");
        return PT_HTTP_BAD_REQUEST;
    }

    if (hi->content_length
        && pt_http_parse_content_length(hi->content_length->value.data,
                                        hi->content_length->value.len,
                                        &hi->content_length_n) != PT_OK)
    {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent invalid "
                     "\"Content-Length\" header");
        return PT_HTTP_BAD_REQUEST;
    }

    if (hi->transfer_encoding) {
        if (r->http_version < PT_HTTP_VERSION_11) {
            pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent "
                         "HTTP/1.0 request with \"Transfer-Encoding\" header");
            return PT_HTTP_BAD_REQUEST;
        }

        int  rc = pt_http_parse_transfer_encoding(
                      hi->transfer_encoding->value.data,
                      hi->transfer_encoding->value.len);

        if (rc != PT_OK) {
            pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent "
                         "unknown \"Transfer-Encoding\": \"%.*s\"",
                         PT_STR_ARG(hi->transfer_encoding->value));
            return rc == PT_DECLINED ? PT_HTTP_NOT_IMPLEMENTED
                                     : PT_HTTP_BAD_REQUEST;
        }

        hi->chunked = 1;
    }

    return PT_OK;
}


int
pt_http_process_request_header(pt_http_request_t *r)
{
    pt_http_headers_in_t  *hi = &r->headers_in;
    int                    rc;

    if (r->http_version >= PT_HTTP_VERSION_11 && hi->host == NULL) {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent HTTP/1.1 "
                     "request without \"Host\" header");
        return PT_HTTP_BAD_REQUEST;
    }

    rc = headers_framing(r);
    if (rc != PT_OK) {
        return rc;
    }

    if (r->method == PT_HTTP_CONNECT) {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent CONNECT "
                     "method");
        return PT_HTTP_NOT_ALLOWED;
    }

    if (r->method == PT_HTTP_TRACE) {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent TRACE "
                     "method");
        return PT_HTTP_NOT_ALLOWED;
    }

    if (hi->expect && !pt_str_caseeq_lit(&hi->expect->value, "100-continue")) {
        return PT_HTTP_EXPECTATION_FAILED;
    }

    if (hi->connection_type == PT_HTTP_CONNECTION_KEEP_ALIVE
        || (r->http_version >= PT_HTTP_VERSION_11
            && hi->connection_type != PT_HTTP_CONNECTION_CLOSE))
    {
        r->keepalive = 1;
    }

    return pt_http_set_virtual_server(r, &hi->server);
}


int
pt_http_set_virtual_server(pt_http_request_t *r, const pt_str_t *host)
{
    pt_http_core_srv_conf_t  *cscf;

    cscf = pt_http_find_virtual_server(r->http_connection->addr_conf, host, r);
    r->srv_conf = cscf->ctx->srv_conf;
    r->loc_conf = cscf->ctx->loc_conf;
    pt_http_update_location_config(r);

    return PT_OK;
}
