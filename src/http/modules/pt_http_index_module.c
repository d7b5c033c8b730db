/* SPDX-License-Identifier: BSD-2-Clause */
/* Answers URIs ending in '/' with the first index file that exists. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

/*
 * Directives:
 *
 *   index file ...;
 *       default: index index.html;   context: http, server, location
 *       Files tried in order under the directory the URI maps to; the
 *       first that exists is served through an internal redirect to
 *       URI + file (with the query string).  Names may hold variables.
 *       A name starting with '/' (only the last one may) is an internal
 *       redirect to that URI when reached.  Several index directives in
 *       one block add up; a block without any inherits its parent's list.
 *
 * When no index file exists the answer is 403 (`directory index of "DIR"
 * is forbidden`), or 404 when the directory itself does not exist.
 *
 * A content-phase handler taking only URIs that end in '/' (the static
 * module takes the others), so the registration order does not matter.
 */

typedef struct {
    pt_str_t                  name;    /* static name */
    pt_http_complex_value_t  *cv;      /* NULL: static */
} index_t;

typedef struct {
    pt_array_t  *indices;   /* of index_t; NULL: not set at this level */
} index_loc_conf_t;


static int index_set(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int index_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);
static int index_init(pt_conf_t *cf);


static const pt_command_t  index_commands[] = {
    { .name = "index", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_1MORE, .set = index_set,
      .field = PT_LOC_FIELD(index_loc_conf_t, indices) },
    PT_COMMAND_END
};

static const pt_http_module_t  index_module_ctx = {
    .postconfiguration = index_init,
    .loc_conf_size = sizeof(index_loc_conf_t),
    .merge_loc_conf = index_merge_loc_conf,
};

pt_module_t  pt_http_index_module = {
    .name = "pt_http_index_module",
    .type = PT_HTTP_MODULE,
    .commands = index_commands,
    .ctx = &index_module_ctx,
};

static const index_t  index_default = {
    .name = pt_string("index.html"),
    .cv = NULL,
};


/* 404 or 403 for a failed look-up of file (errno err), logged as nginx. */
static int
index_error(pt_http_request_t *r, pt_http_core_loc_conf_t *clcf,
    const u_char *file, int err)
{
    if (err == EACCES) {
        pt_log_error(PT_LOG_ERR, r->connection->log, err,
                     "\"%s\" is forbidden", (const char *) file);
        return PT_HTTP_FORBIDDEN;
    }

    if (clcf->log_not_found) {
        pt_log_error(PT_LOG_ERR, r->connection->log, err,
                     "\"%s\" is not found", (const char *) file);
    }

    return PT_HTTP_NOT_FOUND;
}


/*
 * An index file was not found: tells whether the directory (dir, whose
 * trailing '/' is at slash) exists.  PT_OK when it does (or may: EACCES),
 * else the status to answer.
 */
static int
index_test_dir(pt_http_request_t *r, pt_http_core_loc_conf_t *clcf,
    u_char *dir, u_char *slash)
{
    int          rc, err;
    u_char       c;
    struct stat  st;

    /* stat "/a/b" rather than "/a/b/", but keep "/" */
    if (slash == dir) {
        slash++;
    }

    c = *slash;
    *slash = '\0';

    if (stat((char *) dir, &st) == -1) {
        err = errno;

        if (err == ENOENT || err == ENOTDIR) {
            /* As nginx, the log names the index file, not the directory. */
            *slash = c;
            rc = index_error(r, clcf, dir, err);

        } else if (err == EACCES) {
            /* the index look-up failed with ENOENT: searching is allowed */
            rc = PT_OK;

        } else {
            pt_log_error(PT_LOG_CRIT, r->connection->log, err,
                         "stat() \"%s\" failed", (char *) dir);
            rc = PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        *slash = c;
        return rc;
    }

    if (!S_ISDIR(st.st_mode)) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0,
                     "\"%s\" is not a directory", (char *) dir);
        *slash = c;
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    *slash = c;

    return PT_OK;
}


static int
index_handler(pt_http_request_t *r)
{
    int                       rc, err;
    bool                      dir_tested;
    size_t                    i, n, root_len;
    u_char                   *last, *p;
    pt_str_t                  name, path, uri;
    struct stat               st;
    const index_t            *index;
    index_loc_conf_t         *ilcf;
    pt_http_core_loc_conf_t  *clcf;

    if (r->uri.len == 0 || r->uri.data[r->uri.len - 1] != '/') {
        return PT_DECLINED;
    }

    if (!(PT_HTTP_M(r->method)
          & (PT_HTTP_M_GET | PT_HTTP_M_HEAD | PT_HTTP_M_POST)))
    {
        return PT_DECLINED;
    }

    ilcf = pt_http_get_module_loc_conf(r, pt_http_index_module);
    clcf = pt_http_get_module_loc_conf(r, pt_http_core_module);

    if (ilcf->indices != NULL) {
        index = ilcf->indices->elts;
        n = ilcf->indices->nelts;

    } else {
        index = &index_default;
        n = 1;
    }

    dir_tested = false;

    for (i = 0; i < n; i++) {

        if (index[i].cv == NULL) {
            name = index[i].name;

        } else if (pt_http_complex_value(r, index[i].cv, &name) != PT_OK) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (name.len == 0) {
            continue;
        }

        if (name.data[0] == '/') {
            return pt_http_internal_redirect(r, &name, &r->args);
        }

        last = pt_http_map_uri_to_path(r, &path, &root_len, name.len + 1);
        if (last == NULL) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* last is just past the directory's trailing '/' */
        p = pt_cpymem(last, name.data, name.len);
        *p = '\0';

        pt_log_debug(r->connection->log, "open index \"%s\"",
                     (char *) path.data);

        if (stat((char *) path.data, &st) == 0) {
            uri.len = r->uri.len + name.len;
            uri.data = pt_pnalloc(r->pool, uri.len);
            if (uri.data == NULL) {
                return PT_HTTP_INTERNAL_SERVER_ERROR;
            }

            p = pt_cpymem(uri.data, r->uri.data, r->uri.len);
            pt_memcpy(p, name.data, name.len);

            return pt_http_internal_redirect(r, &uri, &r->args);
        }

        err = errno;

        if (err == ENOTDIR || err == ENAMETOOLONG || err == EACCES) {
            return index_error(r, clcf, path.data, err);
        }

        if (err != ENOENT) {
            pt_log_error(PT_LOG_CRIT, r->connection->log, err,
                         "stat() \"%s\" failed", (char *) path.data);
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (!dir_tested) {
            rc = index_test_dir(r, clcf, path.data, last - 1);
            if (rc != PT_OK) {
                return rc;
            }

            dir_tested = true;
        }
    }

    last = pt_http_map_uri_to_path(r, &path, &root_len, 0);

    if (last != NULL) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0,
                     "directory index of \"%s\" is forbidden",
                     (char *) path.data);
    }

    return PT_HTTP_FORBIDDEN;
}


static int
index_set(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    index_loc_conf_t  *ilcf = conf;

    size_t     i, nargs;
    index_t   *index;
    pt_str_t  *value;

    if (ilcf->indices == NULL) {
        ilcf->indices = pt_array_create(cf->pool, 2, sizeof(index_t));
        if (ilcf->indices == NULL) {
            return PT_ERROR;
        }
    }

    value = cf->args->elts;
    nargs = pt_conf_nargs(cf);

    for (i = 1; i < nargs; i++) {

        if (value[i].len == 0) {
            return pt_conf_error(cf, "index \"%.*s\" in \"index\" directive "
                                 "is invalid", PT_STR_ARG(value[i]));
        }

        if (value[i].data[0] == '/' && i != nargs - 1) {
            return pt_conf_error(cf, "only the last index in \"index\" "
                                 "directive should be absolute");
        }

        index = pt_array_push(ilcf->indices);
        if (index == NULL) {
            return PT_ERROR;
        }

        /* the argument may live in the config file's buffer: copy it */
        if (pt_pstr_copy(cf->pool, &index->name, value[i].data, value[i].len)
            != PT_OK)
        {
            return PT_ERROR;
        }

        index->cv = NULL;

        if (memchr(index->name.data, '$', index->name.len) == NULL) {
            continue;
        }

        index->cv = pt_pcalloc(cf->pool, sizeof(pt_http_complex_value_t));
        if (index->cv == NULL) {
            return PT_ERROR;
        }

        if (pt_http_compile_complex_value(cf, &index->name, index->cv)
            != PT_OK)
        {
            return PT_ERROR;
        }

        if (pt_http_complex_value_static(index->cv)) {
            index->cv = NULL;
        }
    }

    return PT_OK;
}


static int
index_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf)
{
    index_loc_conf_t  *parent = prev;
    index_loc_conf_t  *child = conf;

    if (child->indices == NULL && parent != NULL) {
        child->indices = parent->indices;
    }

    return PT_OK;
}


static int
index_init(pt_conf_t *cf)
{
    return pt_http_phase_add(cf, PT_HTTP_CONTENT_PHASE, index_handler);
}
