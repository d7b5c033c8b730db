/* SPDX-License-Identifier: BSD-2-Clause */
/* Serves files from root/alias for URIs that do not end in '/'. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_etag.h"

/*
 * No directives of its own: the module reads root/alias, types,
 * default_type, etag, log_not_found and sendfile from the core module.
 *
 * A content-phase handler, independent of the index module's (each takes
 * the URIs the other declines: this one never handles a URI ending in
 * '/'), so their registration order does not matter.
 */

static int static_handler(pt_http_request_t *r);
static int static_init(pt_conf_t *cf);


static const pt_http_module_t  static_module_ctx = {
    .postconfiguration = static_init,
};

pt_module_t  pt_http_static_module = {
    .name = "pt_http_static_module",
    .type = PT_HTTP_MODULE,
    .commands = NULL,
    .ctx = &static_module_ctx,
};


/* Pool cleanup: closes the descriptor of the file being served. */
static void
static_close_file(void *data)
{
    pt_file_ref_t  *file = data;

    if (file->fd != -1) {
        (void) close(file->fd);
        file->fd = -1;
    }
}


/*
 * Builds the Location of the 301 for a directory: the URI with '/'
 * appended (escaped, so a decoded CR/LF cannot split the header) and the
 * query string.  PT_OK or PT_ERROR.
 */
static int
static_dir_location(pt_http_request_t *r, pt_str_t *location)
{
    size_t   len;
    u_char  *p;

    len = pt_escape_len(r->uri.data, r->uri.len, PT_ESCAPE_URI) + 1;

    if (r->args.len) {
        len += 1 + r->args.len;
    }

    p = pt_pnalloc(r->pool, len);
    if (p == NULL) {
        return PT_ERROR;
    }

    location->data = p;

    p = pt_escape(p, r->uri.data, r->uri.len, PT_ESCAPE_URI);
    *p++ = '/';

    if (r->args.len) {
        *p++ = '?';
        p = pt_cpymem(p, r->args.data, r->args.len);
    }

    location->len = p - location->data;

    return PT_OK;
}


/* Sets the ETag header of a file response (etag on). */
static int
static_set_etag(pt_http_request_t *r, const struct stat *st)
{
    u_char          *p;
    size_t           n;
    pt_str_t         value;
    pt_table_elt_t  *h;

    static const pt_str_t  name = pt_string("ETag");

    p = pt_pnalloc(r->pool, PT_HTTP_ETAG_LEN);
    if (p == NULL) {
        return PT_ERROR;
    }

    n = pt_http_etag_format(p, st->st_mtime, st->st_size);

    value.data = p;
    value.len = n;

    h = pt_http_add_header_out(r, &name, &value);
    if (h == NULL) {
        return PT_ERROR;
    }

    r->headers_out.etag = h;

    return PT_OK;
}


static int
static_handler(pt_http_request_t *r)
{
    int                       fd, rc;
    unsigned                  level;
    size_t                    root_len;
    u_char                   *last;
    pt_str_t                  path, location;
    pt_log_t                 *log;
    struct stat               st;
    pt_file_ref_t            *file;
    pt_pool_cleanup_t        *cln;
    pt_http_core_loc_conf_t  *clcf;

    if (!(PT_HTTP_M(r->method)
          & (PT_HTTP_M_GET | PT_HTTP_M_HEAD | PT_HTTP_M_POST)))
    {
        return PT_HTTP_NOT_ALLOWED;
    }

    if (r->uri.len == 0 || r->uri.data[r->uri.len - 1] == '/') {
        return PT_DECLINED;
    }

    log = r->connection->log;
    clcf = pt_http_get_module_loc_conf(r, pt_http_core_module);

    last = pt_http_map_uri_to_path(r, &path, &root_len, 0);
    if (last == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    path.len = last - path.data;

    pt_log_debug(log, "http filename: \"%s\"", (char *) path.data);

    fd = open((char *) path.data, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd == -1) {
        switch (errno) {

        case ENOENT:
        case ENOTDIR:
        case ENAMETOOLONG:
            level = PT_LOG_ERR;
            rc = PT_HTTP_NOT_FOUND;
            break;

        case EACCES:
        case EPERM:
            level = PT_LOG_ERR;
            rc = PT_HTTP_FORBIDDEN;
            break;

        default:
            level = PT_LOG_CRIT;
            rc = PT_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        if (rc != PT_HTTP_NOT_FOUND || clcf->log_not_found) {
            pt_log_error(level, log, errno, "open() \"%s\" failed",
                         (char *) path.data);
        }

        return rc;
    }

    file = pt_pcalloc(r->pool, sizeof(pt_file_ref_t));
    cln = pt_pool_cleanup_add(r->pool, 0);

    if (file == NULL || cln == NULL) {
        (void) close(fd);
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    file->fd = fd;
    file->name = path;
    cln->handler = static_close_file;
    cln->data = file;

    if (fstat(fd, &st) == -1) {
        pt_log_error(PT_LOG_CRIT, log, errno, "fstat() \"%s\" failed",
                     (char *) path.data);
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (S_ISDIR(st.st_mode)) {
        pt_log_debug(log, "http dir");

        if (static_dir_location(r, &location) != PT_OK) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        return pt_http_send_redirect(r, PT_HTTP_MOVED_PERMANENTLY, &location);
    }

    if (!S_ISREG(st.st_mode)) {
        pt_log_error(PT_LOG_ERR, log, 0, "\"%s\" is not a regular file",
                     (char *) path.data);
        return PT_HTTP_NOT_FOUND;
    }

    if (r->method == PT_HTTP_POST) {
        return PT_HTTP_NOT_ALLOWED;
    }

    rc = pt_http_discard_request_body(r);
    if (rc != PT_OK) {
        return rc;
    }

    log->action = "sending response to client";

    file->size = st.st_size;

    r->headers_out.status = PT_HTTP_OK;
    r->headers_out.content_length_n = st.st_size;
    r->headers_out.last_modified_time = st.st_mtime;

    if (clcf->etag && static_set_etag(r, &st) != PT_OK) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (pt_http_set_content_type(r) != PT_OK) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->allow_ranges = 1;
    file->size = st.st_size;

    return pt_http_send_file(r, file, &pt_http_static_module);
}


static int
static_init(pt_conf_t *cf)
{
    return pt_http_phase_add(cf, PT_HTTP_CONTENT_PHASE, static_handler);
}
