/* SPDX-License-Identifier: BSD-2-Clause */
/* Error and redirect responses: built-in pages, error_page, Location. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_internal.h"

typedef struct {
    unsigned     status;
    const char  *text;
} special_status_t;

static const special_status_t  special_statuses[] = {
    { 100, "Continue" }, { 101, "Switching Protocols" },
    { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
    { 204, "No Content" }, { 206, "Partial Content" },
    { 301, "Moved Permanently" }, { 302, "Moved Temporarily" },
    { 303, "See Other" }, { 304, "Not Modified" },
    { 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
    { 400, "Bad Request" }, { 401, "Unauthorized" },
    { 402, "Payment Required" }, { 403, "Forbidden" }, { 404, "Not Found" },
    { 405, "Not Allowed" }, { 406, "Not Acceptable" },
    { 408, "Request Time-out" }, { 409, "Conflict" }, { 410, "Gone" },
    { 411, "Length Required" }, { 412, "Precondition Failed" },
    { 413, "Request Entity Too Large" }, { 414, "Request-URI Too Large" },
    { 415, "Unsupported Media Type" },
    { 416, "Requested Range Not Satisfiable" },
    { 417, "Expectation Failed" }, { 421, "Misdirected Request" },
    { 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
    { 494, "Request Header Or Cookie Too Large" },
    { 495, "The SSL certificate error" },
    { 496, "No required SSL certificate was sent" },
    { 497, "The plain HTTP request was sent to HTTPS port" },
    { 500, "Internal Server Error" }, { 501, "Not Implemented" },
    { 502, "Bad Gateway" }, { 503, "Service Temporarily Unavailable" },
    { 504, "Gateway Time-out" }, { 505, "HTTP Version Not Supported" },
    { 507, "Insufficient Storage" },
};


const char *
pt_http_status_text(unsigned status, size_t *len)
{
    for (size_t i = 0; i < pt_nelts(special_statuses); i++) {
        if (special_statuses[i].status == status) {
            *len = strlen(special_statuses[i].text);
            return special_statuses[i].text;
        }
    }

    return NULL;
}


/* Statuses after which the connection cannot be trusted for more requests. */
static bool
special_breaks_keepalive(int status)
{
    switch (status) {
    case PT_HTTP_BAD_REQUEST:
    case PT_HTTP_REQUEST_TIME_OUT:
    case PT_HTTP_REQUEST_ENTITY_TOO_LARGE:
    case PT_HTTP_REQUEST_URI_TOO_LARGE:
    case PT_HTTP_REQUEST_HEADER_TOO_LARGE:
    case PT_HTTP_SSL_CERT_ERROR:
    case PT_HTTP_SSL_NO_CERT:
    case PT_HTTP_TO_HTTPS:
    case PT_HTTP_HEADER_FIELDS_TOO_LARGE:
    case PT_HTTP_INTERNAL_SERVER_ERROR:
    case PT_HTTP_NOT_IMPLEMENTED:
    case PT_HTTP_VERSION_NOT_SUPPORTED:
        return true;
    default:
        return false;
    }
}


static void
special_clean_headers(pt_http_request_t *r, bool keep_location)
{
    pt_http_headers_out_t  *ho = &r->headers_out;
    pt_table_elt_t         *location = ho->location;

    memset(&ho->headers, 0, sizeof(ho->headers));
    ho->server = ho->date = ho->content_length = ho->content_encoding = NULL;
    ho->refresh = ho->last_modified = ho->content_range = NULL;
    ho->accept_ranges = ho->www_authenticate = ho->expires = NULL;
    ho->etag = ho->cache_control = ho->location = NULL;
    pt_str_null(&ho->content_type);
    pt_str_null(&ho->charset);
    ho->content_type_len = 0;
    ho->content_length_n = -1;
    ho->last_modified_time = -1;

    /* A backend's "200 OK" must not head the page of another status. */
    pt_str_null(&ho->status_line);

    if (keep_location && location) {
        location->next = NULL;
        ho->location = location;
        ho->headers.first = ho->headers.last = location;
        ho->headers.n = 1;
    }
}


static int
special_page(pt_http_request_t *r, int status)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    /* nginx's 494..497 are sent as 400s that say what went wrong. */
    bool                      is400 = status >= PT_HTTP_REQUEST_HEADER_TOO_LARGE
                                      && status <= PT_HTTP_TO_HTTPS;
    unsigned                  code = is400 ? PT_HTTP_BAD_REQUEST
                                           : (unsigned) status;
    size_t                    tlen = 0;
    const char               *text = pt_http_status_text((unsigned) status, &tlen);
    u_char                   *body, *p;

    special_clean_headers(r, status >= 300 && status < 400);
    r->headers_out.status = code;
    r->allow_ranges = 0;
    r->disable_not_modified = 1;

    if (text == NULL || status == PT_HTTP_NO_CONTENT
        || status == PT_HTTP_NOT_MODIFIED)
    {
        r->header_only = 1;
        r->headers_out.content_length_n = 0;
        return pt_http_send_header(r);
    }

    body = pt_pnalloc(r->pool, 512);
    if (body == NULL) {
        return PT_ERROR;
    }

    if (is400) {
        p = pt_snprintf(body, body + 512,
                        "<html>\r\n<head><title>400 %s</title></head>\r\n"
                        "<body>\r\n<center><h1>400 Bad Request</h1></center>"
                        "\r\n<center>%s</center>\r\n", text, text);
    } else {
        p = pt_snprintf(body, body + 512,
                        "<html>\r\n<head><title>%d %s</title></head>\r\n"
                        "<body>\r\n<center><h1>%d %s</h1></center>\r\n",
                        status, text, status, text);
    }

    p = pt_snprintf(p, body + 512,
                    "<hr><center>%s</center>\r\n</body>\r\n</html>\r\n",
                    clcf->server_tokens ? PORTICO_VER : "portico");

    pt_str_set(&r->headers_out.content_type, "text/html");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = p - body;

    int  rc = pt_http_send_header(r);

    if (rc == PT_ERROR || r->header_only) {
        return rc;
    }

    return pt_http_send_body(r, body, (size_t) (p - body));
}


static int
special_error_page(pt_http_request_t *r, pt_http_err_page_t *ep)
{
    pt_str_t  uri, args = pt_null_string;

    if (pt_http_complex_value(r, &ep->value, &uri) != PT_OK) {
        return PT_ERROR;
    }

    r->err_status = ep->overwrite > 0 ? (unsigned) ep->overwrite
                    : ep->overwrite == 0 ? 0 : r->err_status;

    if (uri.len && uri.data[0] == '/') {
        u_char  *q = memchr(uri.data, '?', uri.len);

        if (q) {
            args.data = q + 1;
            args.len = (size_t) (uri.data + uri.len - args.data);
            uri.len = (size_t) (q - uri.data);
        }

        if (r->method != PT_HTTP_HEAD) {
            r->method = PT_HTTP_GET;
            pt_str_set(&r->method_name, "GET");
        }

        (void) pt_http_internal_redirect(r, &uri, q ? &args : NULL);
        return PT_DONE;
    }

    if (uri.len && uri.data[0] == '@') {
        return pt_http_named_location(r, &uri);
    }

    unsigned  code = ep->overwrite >= 301 && ep->overwrite <= 308
                     ? (unsigned) ep->overwrite : PT_HTTP_MOVED_TEMPORARILY;

    r->err_status = 0;
    return pt_http_send_redirect(r, (int) code, &uri) == PT_ERROR
           ? PT_ERROR : special_page(r, (int) code);
}


int
pt_http_special_response_handler(pt_http_request_t *r, int status)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);

    r->err_status = (unsigned) status;

    if (special_breaks_keepalive(status)) {
        r->keepalive = 0;
    }

    if (r->keepalive && pt_http_discard_request_body(r) != PT_OK) {
        r->keepalive = 0;
    }

    /*
     * Closing at once on an unread body would make the client's kernel
     * answer its remaining bytes with a reset, which can wipe out our
     * response before it is read: linger instead.
     */
    if (!r->keepalive && !r->request_body && !r->discard_body
        && (r->headers_in.content_length_n > 0 || r->headers_in.chunked))
    {
        r->lingering_close = 1;
    }

    /*
     * As nginx: recursive_error_pages of the location whose error_page
     * fires decides whether the page it leads to may use error_page too.
     */
    if (clcf->error_pages && !r->error_page && r->uri.len) {
        pt_http_err_page_t  *ep = clcf->error_pages->elts;

        r->error_page = !clcf->recursive_error_pages;

        for (size_t i = 0; i < clcf->error_pages->nelts; i++) {
            if (ep[i].status == status) {
                return special_error_page(r, &ep[i]);
            }
        }
    }

    r->err_status = 0;
    return special_page(r, status);
}


static size_t
special_host(pt_http_request_t *r, pt_str_t *host)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    pt_http_core_srv_conf_t  *cscf = pt_http_get_module_srv_conf(r,
                                                         pt_http_core_module);

    if (clcf->server_name_in_redirect && cscf->server_name.len) {
        *host = cscf->server_name;
    } else if (r->headers_in.server.len) {
        *host = r->headers_in.server;
    } else {
        *host = cscf->server_name;
    }

    if (host->len == 0) {
        /* No name at all: the address the client reached us on. */
        static u_char  addr[INET6_ADDRSTRLEN + 2];
        struct sockaddr_storage  ss;
        socklen_t                len = sizeof(ss);

        if (getsockname(r->connection->fd, (struct sockaddr *) &ss, &len) == 0) {
            host->len = pt_sock_ntop((struct sockaddr *) &ss, len, addr,
                                     sizeof(addr), false);
            host->data = addr;
        }
    }

    return host->len;
}


int
pt_http_absolute_location(pt_http_request_t *r, pt_str_t *location)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    pt_str_t                  host;
    in_port_t                 port = 0;
    bool                      ssl = r->connection->ssl != NULL;

    if (!clcf->absolute_redirect || location->len == 0
        || location->data[0] != '/')
    {
        return PT_OK;
    }

    special_host(r, &host);

    if (clcf->port_in_redirect) {
        struct sockaddr_storage  ss;
        socklen_t                len = sizeof(ss);

        if (getsockname(r->connection->fd, (struct sockaddr *) &ss, &len) == 0) {
            port = pt_sock_port((struct sockaddr *) &ss);
        }
        if (port == (ssl ? 443 : 80)) {
            port = 0;
        }
    }

    size_t   size = location->len + host.len + 32;
    u_char  *data = pt_pnalloc(r->pool, size), *p;

    if (data == NULL) {
        return PT_ERROR;
    }

    p = pt_snprintf(data, data + size, "%s://%.*s", ssl ? "https" : "http",
                    PT_STR_ARG(host));

    if (port) {
        p = pt_snprintf(p, data + size, ":%u", (unsigned) port);
    }

    p = pt_cpymem(p, location->data, location->len);
    location->data = data;
    location->len = (size_t) (p - data);
    return PT_OK;
}


int
pt_http_send_redirect(pt_http_request_t *r, int status, const pt_str_t *location)
{
    pt_str_t         key = pt_string("Location");
    pt_table_elt_t  *h;

    /* The header writer makes a "/path" absolute (absolute_redirect). */
    pt_http_clear_header_out(r, &r->headers_out.location);

    h = pt_http_add_header_out(r, &key, location);
    if (h == NULL) {
        return PT_ERROR;
    }

    r->headers_out.location = h;
    return status;
}


int
pt_http_send_response(pt_http_request_t *r, unsigned status,
    const pt_str_t *content_type, const pt_str_t *body)
{
    if (pt_http_discard_request_body(r) != PT_OK) {
        r->keepalive = 0;
    }

    r->headers_out.status = status;

    if (status >= PT_HTTP_MOVED_PERMANENTLY && status <= PT_HTTP_PERMANENT_REDIRECT
        && status != PT_HTTP_NOT_MODIFIED)
    {
        int  rc = pt_http_send_redirect(r, (int) status, body);

        return rc == PT_ERROR ? PT_ERROR : (int) status;
    }

    if (content_type) {
        r->headers_out.content_type = *content_type;
        r->headers_out.content_type_len = content_type->len;
    } else if (pt_http_set_content_type(r) != PT_OK) {
        return PT_ERROR;
    }

    r->headers_out.content_length_n = body ? (off_t) body->len : 0;

    int  rc = pt_http_send_header(r);

    if (rc == PT_ERROR || rc > PT_OK || r->header_only) {
        return rc;
    }

    return pt_http_send_body(r, body ? body->data : NULL, body ? body->len : 0);
}
