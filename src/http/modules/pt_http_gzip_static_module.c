/* SPDX-License-Identifier: BSD-2-Clause */
/* gzip_static: serves the precompressed "file.gz" kept beside "file". */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_etag.h"
#include "pt_http_gzip.h"

/*
 * Directive:
 *
 *   gzip_static on | off | always;
 *       default: gzip_static off;   context: http, server, location
 *       on: serve file.gz to clients that may get gzip (pt_http_gzip_ok);
 *       always: to every client (gunzip can inflate it for those that
 *       cannot take it).  As in nginx, the mtime of file.gz is not
 *       compared with that of file, and file itself need not exist.
 *
 * A content-phase handler.  It must run before the static module's, and
 * content handlers registered later run first, so auto/modules lists it
 * after pt_http_static_module (the one place where order matters; the
 * comment there says so).
 */

typedef enum {
    GZIP_STATIC_OFF = 0,
    GZIP_STATIC_ON,
    GZIP_STATIC_ALWAYS
} gzip_static_e;

typedef struct {
    int  mode;      /* gzip_static_e */
} gzip_static_conf_t;


static int gzip_static_init(pt_conf_t *cf);

static const pt_conf_enum_t  gzip_static_modes[] = {
    { "off", GZIP_STATIC_OFF },
    { "on", GZIP_STATIC_ON },
    { "always", GZIP_STATIC_ALWAYS },
    { NULL, 0 }
};

static const pt_command_t  gzip_static_commands[] = {
    { .name = "gzip_static", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_enum,
      .field = PT_LOC_FIELD(gzip_static_conf_t, mode),
      .def.i = GZIP_STATIC_OFF, .values = gzip_static_modes },
    PT_COMMAND_END
};

static const pt_http_module_t  gzip_static_module_ctx = {
    .postconfiguration = gzip_static_init,
    .loc_conf_size = sizeof(gzip_static_conf_t),
};

pt_module_t  pt_http_gzip_static_module = {
    .name = "pt_http_gzip_static_module",
    .type = PT_HTTP_MODULE,
    .commands = gzip_static_commands,
    .ctx = &gzip_static_module_ctx,
};


static void
gzip_static_close(void *data)
{
    pt_file_ref_t  *file = data;

    (void) close(file->fd);
}


/*
 * Opens path (kept open until r->pool goes) when it is a regular file;
 * NULL when it is missing or unusable, which leaves the request to the
 * next handler.
 */
static pt_file_ref_t *
gzip_static_open(pt_http_request_t *r, const pt_str_t *path, struct stat *st)
{
    pt_file_ref_t      *file;
    pt_pool_cleanup_t  *cln;
    int                 fd;

    fd = open((char *) path->data, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd == -1) {
        if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG) {
            pt_log_error(PT_LOG_ERR, r->connection->log, errno,
                         "open() \"%s\" failed", (char *) path->data);
        }
        return NULL;
    }

    file = pt_pcalloc(r->pool, sizeof(pt_file_ref_t));
    cln = pt_pool_cleanup_add(r->pool, 0);

    if (file == NULL || cln == NULL) {
        (void) close(fd);
        return NULL;
    }

    file->fd = fd;
    file->name = *path;
    cln->handler = gzip_static_close;
    cln->data = file;

    if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
        return NULL;
    }

    file->size = st->st_size;
    return file;
}


/* Status, length, validators and types of the response. */
static int
gzip_static_headers(pt_http_request_t *r, const struct stat *st)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    pt_table_elt_t           *h;
    pt_str_t                  etag;

    static const pt_str_t  ce = pt_string("Content-Encoding");
    static const pt_str_t  gzip = pt_string("gzip");
    static const pt_str_t  etag_name = pt_string("ETag");

    r->headers_out.status = PT_HTTP_OK;
    r->headers_out.content_length_n = st->st_size;
    r->headers_out.last_modified_time = st->st_mtime;

    h = pt_http_add_header_out(r, &ce, &gzip);
    if (h == NULL) {
        return PT_ERROR;
    }
    r->headers_out.content_encoding = h;

    if (clcf->etag) {
        etag.data = pt_pnalloc(r->pool, PT_HTTP_ETAG_LEN);
        if (etag.data == NULL) {
            return PT_ERROR;
        }
        etag.len = pt_http_etag_format(etag.data, st->st_mtime, st->st_size);

        h = pt_http_add_header_out(r, &etag_name, &etag);
        if (h == NULL) {
            return PT_ERROR;
        }
        r->headers_out.etag = h;
    }

    /* no ranges, as nginx: a client resuming may have the other variant */
    return pt_http_set_content_type(r);
}


static int
gzip_static_handler(pt_http_request_t *r)
{
    gzip_static_conf_t  *conf = pt_http_get_module_loc_conf(r,
                                                  pt_http_gzip_static_module);
    size_t               root_len;
    u_char              *last;
    pt_str_t             path;
    struct stat          st;
    pt_file_ref_t       *file;
    int                  rc;

    if (conf->mode == GZIP_STATIC_OFF
        || !(PT_HTTP_M(r->method) & (PT_HTTP_M_GET | PT_HTTP_M_HEAD))
        || r->uri.len == 0 || r->uri.data[r->uri.len - 1] == '/')
    {
        return PT_DECLINED;
    }

    /*
     * As nginx, Accept-Encoding first: for a client that cannot take gzip
     * the .gz only matters to say Vary, and without gzip_vary it is not
     * even opened.
     */
    bool  accepted = conf->mode == GZIP_STATIC_ALWAYS
                     || pt_http_gzip_ok(r) == PT_OK;

    if (!accepted && !pt_http_gzip_vary_on(r)) {
        return PT_DECLINED;
    }

    last = pt_http_map_uri_to_path(r, &path, &root_len, sizeof(".gz") - 1);
    if (last == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = pt_cpymem(last, ".gz", sizeof(".gz"));
    path.len = last - path.data - 1;

    file = gzip_static_open(r, &path, &st);
    if (file == NULL) {
        return PT_DECLINED;
    }

    if (conf->mode == GZIP_STATIC_ON) {
        /* the plain file served instead still depends on Accept-Encoding */
        if (pt_http_gzip_vary(r) != PT_OK) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (!accepted) {
            return PT_DECLINED;
        }
    }

    rc = pt_http_discard_request_body(r);
    if (rc != PT_OK) {
        return rc;
    }

    r->connection->log->action = "sending response to client";

    if (gzip_static_headers(r, &st) != PT_OK) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    return pt_http_send_file(r, file, &pt_http_gzip_static_module);
}


static int
gzip_static_init(pt_conf_t *cf)
{
    return pt_http_phase_add(cf, PT_HTTP_CONTENT_PHASE, gzip_static_handler);
}
