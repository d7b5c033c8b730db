/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers for handlers: response headers, file paths, content types. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_internal.h"


pt_http_core_srv_conf_t *
pt_http_default_srv_conf(pt_http_connection_t *hc)
{
    return hc->ssl_server ? hc->ssl_server : hc->addr_conf->default_server;
}


void
pt_http_update_location_config(pt_http_request_t *r)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    pt_connection_t          *c = r->connection;

    if (r->method == PT_HTTP_HEAD) {
        r->header_only = 1;
    }

    if (clcf->error_log) {
        c->log->file = clcf->error_log->file;
        c->log->log_level = clcf->error_log->log_level;
        c->log->next = clcf->error_log->next;
    }

    c->sendfile = clcf->sendfile && c->ssl == NULL;

    if (r->keepalive && clcf->keepalive_timeout == 0) {
        r->keepalive = 0;
    }

    if (clcf->tcp_nodelay && c->tcp_nodelay == PT_TCP_NODELAY_UNSET) {
        (void) pt_tcp_nodelay(c);
    }

    if (clcf->handler) {
        r->content_handler = clcf->handler;
    }
}


pt_table_elt_t *
pt_http_add_header_out(pt_http_request_t *r, const pt_str_t *key,
    const pt_str_t *value)
{
    pt_table_elt_t     *h = pt_pcalloc(r->pool, sizeof(pt_table_elt_t));
    pt_http_headers_t  *l = &r->headers_out.headers;

    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key = *key;
    h->value = *value;

    if (l->last) {
        l->last->next = h;
    } else {
        l->first = h;
    }
    l->last = h;
    l->n++;

    return h;
}


void
pt_http_clear_header_out(pt_http_request_t *r, pt_table_elt_t **known)
{
    if (*known) {
        (*known)->hash = 0;
        *known = NULL;
    }
}


void
pt_http_clear_content_length(pt_http_request_t *r)
{
    r->headers_out.content_length_n = -1;
    pt_http_clear_header_out(r, &r->headers_out.content_length);
}


void
pt_http_clear_accept_ranges(pt_http_request_t *r)
{
    r->allow_ranges = 0;
    pt_http_clear_header_out(r, &r->headers_out.accept_ranges);
}


void
pt_http_clear_last_modified(pt_http_request_t *r)
{
    r->headers_out.last_modified_time = -1;
    pt_http_clear_header_out(r, &r->headers_out.last_modified);
}


void
pt_http_clear_etag(pt_http_request_t *r)
{
    pt_http_clear_header_out(r, &r->headers_out.etag);
}


void
pt_http_weak_etag(pt_http_request_t *r)
{
    pt_table_elt_t  *etag = r->headers_out.etag;

    if (etag == NULL || etag->hash == 0) {
        return;
    }

    if (etag->value.len > 2 && etag->value.data[0] == 'W'
        && etag->value.data[1] == '/')
    {
        return;
    }

    if (etag->value.len == 0 || etag->value.data[0] != '"') {
        pt_http_clear_etag(r);
        return;
    }

    u_char  *p = pt_pnalloc(r->pool, etag->value.len + 2);

    if (p == NULL) {
        pt_http_clear_etag(r);
        return;
    }

    p[0] = 'W';
    p[1] = '/';
    memcpy(p + 2, etag->value.data, etag->value.len);
    etag->value.data = p;
    etag->value.len += 2;
}


void
pt_http_set_exten(pt_http_request_t *r)
{
    pt_str_null(&r->exten);

    for (size_t i = r->uri.len; i-- > 0; ) {
        u_char  ch = r->uri.data[i];

        if (ch == '/') {
            return;
        }

        if (ch == '.') {
            r->exten.data = r->uri.data + i + 1;
            r->exten.len = r->uri.len - i - 1;
            return;
        }
    }
}


int
pt_http_set_content_type(pt_http_request_t *r)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);

    if (r->headers_out.content_type.len) {
        return PT_OK;
    }

    if (r->exten.len && clcf->types) {
        u_char     buf[32];
        u_char    *lc = buf;
        pt_str_t  *type;

        /* A long extension can still be a configured type (nginx's too). */
        if (r->exten.len > sizeof(buf)
            && (lc = pt_pnalloc(r->pool, r->exten.len)) == NULL)
        {
            return PT_ERROR;
        }

        pt_strlow(lc, r->exten.data, r->exten.len);
        type = pt_hash_find(clcf->types, pt_hash_key(lc, r->exten.len), lc,
                            r->exten.len);
        if (type) {
            r->headers_out.content_type = *type;
            r->headers_out.content_type_len = type->len;
            return PT_OK;
        }
    }

    r->headers_out.content_type = clcf->default_type;
    r->headers_out.content_type_len = clcf->default_type.len;
    return PT_OK;
}


/* True when the alias tail would step out of the alias folder. */
static bool
response_alias_escapes(const pt_str_t *alias, const u_char *tail, size_t len)
{
    if (alias->len == 0 || alias->data[alias->len - 1] != '/') {
        return false;
    }

    /* "/img../x" under "location /img" + "alias /dir/" gives "/dir/../x". */
    return len >= 2 && tail[0] == '.' && tail[1] == '.'
           && (len == 2 || tail[2] == '/');
}


u_char *
pt_http_map_uri_to_path(pt_http_request_t *r, pt_str_t *path,
    size_t *root_len, size_t reserved)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    pt_str_t                  root = clcf->root;
    const u_char             *tail = r->uri.data;
    size_t                    tail_len = r->uri.len;

    if (clcf->root_cv) {
        if (pt_http_complex_value(r, clcf->root_cv, &root) != PT_OK) {
            return NULL;
        }

        pt_conf_t  cf = { .cycle = pt_cycle, .pool = r->pool };

        if (pt_conf_full_name(&cf, &root, false) != PT_OK) {
            return NULL;
        }
    }

    if (clcf->alias) {
        size_t  skip = clcf->regex ? r->uri.len : clcf->name.len;

        if (skip > r->uri.len) {
            skip = r->uri.len;
        }

        tail += skip;
        tail_len -= skip;

        if (response_alias_escapes(&root, tail, tail_len)) {
            pt_log_error(PT_LOG_ERR, r->connection->log, 0, "the path \"%.*s\" "
                         "leaves the alias \"%.*s\"", PT_STR_ARG(r->uri),
                         PT_STR_ARG(root));
            return NULL;
        }
    }

    *root_len = root.len;
    path->len = root.len + tail_len;
    path->data = pt_pnalloc(r->pool, path->len + reserved + 1);

    if (path->data == NULL) {
        return NULL;
    }

    u_char  *p = pt_cpymem(path->data, root.data, root.len);

    p = pt_cpymem(p, tail, tail_len);
    *p = '\0';

    r->root_path = root;
    return p;
}


int
pt_http_send_body(pt_http_request_t *r, const u_char *data, size_t len)
{
    pt_buf_t    *b = pt_calloc_buf(r->pool);
    pt_chain_t   out = { b, NULL };

    if (b == NULL) {
        return PT_ERROR;
    }

    if (len) {
        b->pos = b->start = (u_char *) data;
        b->last = b->end = (u_char *) data + len;
        b->memory = 1;
    } else {
        b->sync = 1;
    }

    b->last_buf = 1;
    b->last_in_chain = 1;

    return pt_http_output_filter(r, &out);
}


int
pt_http_send_file(pt_http_request_t *r, pt_file_ref_t *file, void *tag)
{
    pt_buf_t    *b = pt_calloc_buf(r->pool);
    pt_chain_t   out = { b, NULL };
    int          rc;

    if (b == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = pt_http_send_header(r);

    /* an error, or a status a filter chose (304 is header_only, 412, 416) */
    if (rc == PT_ERROR || rc > PT_OK || r->header_only
        || r->method == PT_HTTP_HEAD)
    {
        return rc;
    }

    if (file->size && file->size <= PT_HTTP_SMALL_FILE) {
        /*
         * A small file goes out from memory with its head in one writev:
         * cheaper than sendfile() plus the TCP_CORK on and off around it.
         */
        ssize_t  n;

        b->start = b->pos = pt_pnalloc(r->pool, (size_t) file->size);
        if (b->pos == NULL) {
            return PT_ERROR;
        }

        n = pt_read_file(file->fd, b->pos, (size_t) file->size, 0);
        if (n != (ssize_t) file->size) {
            pt_log_error(PT_LOG_CRIT, r->connection->log, n < 0 ? errno : 0,
                         "file \"%.*s\" was truncated while read",
                         PT_STR_ARG(file->name));
            return PT_ERROR;
        }

        b->last = b->end = b->pos + n;
        b->temporary = 1;
    } else {
        b->file = file;
        b->file_pos = 0;
        b->file_last = file->size;
        b->in_file = file->size ? 1 : 0;
    }

    b->sync = file->size ? 0 : 1;
    b->last_buf = 1;
    b->last_in_chain = 1;
    b->tag = tag;

    return pt_http_output_filter(r, &out);
}
