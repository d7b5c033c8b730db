/* SPDX-License-Identifier: BSD-2-Clause */
/* try_files: serve the first file that exists, else a fallback URI or code. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

/*
 * Directives:
 *
 *   try_files file ... uri;
 *   try_files file ... =code;
 *       default: none;   context: server, location
 *       Each file (variables allowed: $uri, $uri/ ...) is looked for under
 *       root/alias; a name ending in '/' must be a directory, any other
 *       name a non-directory.  The first that exists becomes the request
 *       URI, served by the content phase of the same location.  When none
 *       exists: "=code" answers code (1-999), "@name" runs that named
 *       location, anything else is an internal redirect (a '?' in it
 *       starts the new query string; without one the query is dropped).
 *       As in nginx, a server-level try_files is not inherited by the
 *       server's locations.
 *
 * A precontent-phase handler.
 */

typedef struct {
    pt_str_t                  name;      /* static name, '/' stripped */
    pt_http_complex_value_t  *cv;        /* NULL: static */
    int                       code;      /* fallback "=code"; 0: none */
    unsigned                  test_dir:1;
} try_file_t;

typedef struct {
    try_file_t  *files;     /* NULL: no try_files here */
    size_t       nfiles;    /* the last one is the fallback */
} try_files_loc_conf_t;


static int try_files_set(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int try_files_init(pt_conf_t *cf);


static const pt_command_t  try_files_commands[] = {
    { .name = "try_files", .ctx = PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_2MORE, .set = try_files_set,
      .field = PT_LOC_FIELD(try_files_loc_conf_t, files) },
    PT_COMMAND_END
};

static const pt_http_module_t  try_files_module_ctx = {
    .postconfiguration = try_files_init,
    .loc_conf_size = sizeof(try_files_loc_conf_t),
};

pt_module_t  pt_http_try_files_module = {
    .name = "pt_http_try_files_module",
    .type = PT_HTTP_MODULE,
    .commands = try_files_commands,
    .ctx = &try_files_module_ctx,
};


/* The fallback: a code, a named location or an internal redirect. */
static int
try_files_fallback(pt_http_request_t *r, const try_file_t *tf,
    const pt_str_t *name)
{
    u_char    *q;
    pt_str_t   uri, args;

    if (tf->code) {
        return tf->code;
    }

    if (name->len == 0) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * Both calls take a reference, rerun the phases and return PT_DONE; the
     * caller drops the reference (nginx's try_files finalizes with NGX_DONE
     * the same way), and the generic phase checker stops on PT_DONE.
     */

    if (name->data[0] == '@') {
        (void) pt_http_named_location(r, name);
        pt_http_finalize_request(r, PT_DONE);
        return PT_DONE;
    }

    uri = *name;
    args.len = 0;
    args.data = NULL;

    q = memchr(uri.data, '?', uri.len);

    if (q != NULL) {
        args.data = q + 1;
        args.len = uri.data + uri.len - args.data;
        uri.len = q - uri.data;
    }

    (void) pt_http_internal_redirect(r, &uri, &args);
    pt_http_finalize_request(r, PT_DONE);

    return PT_DONE;
}


static int
try_files_handler(pt_http_request_t *r)
{
    int                       err;
    bool                      is_dir;
    size_t                    i, root_len, strip;
    u_char                   *last, *p;
    pt_str_t                  name, path;
    struct stat               st;
    const try_file_t         *tf;
    try_files_loc_conf_t     *tlcf;
    pt_http_core_loc_conf_t  *clcf;

    tlcf = pt_http_get_module_loc_conf(r, pt_http_try_files_module);

    if (tlcf->files == NULL) {
        return PT_DECLINED;
    }

    clcf = pt_http_get_module_loc_conf(r, pt_http_core_module);

    for (i = 0; i < tlcf->nfiles; i++) {
        tf = &tlcf->files[i];

        if (tf->cv == NULL) {
            name = tf->name;

        } else if (pt_http_complex_value(r, tf->cv, &name) != PT_OK) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (i == tlcf->nfiles - 1) {
            return try_files_fallback(r, tf, &name);
        }

        last = pt_http_map_uri_to_path(r, &path, &root_len, name.len + 1);
        if (last == NULL) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* with alias, the location prefix of the name is the alias itself */
        strip = 0;

        if (clcf->alias && !clcf->alias_is_regex
            && name.len >= clcf->name.len
            && memcmp(name.data, clcf->name.data, clcf->name.len) == 0)
        {
            strip = clcf->name.len;
        }

        /* "location /img" + "alias /dir/" must not turn "/img../x" into
         * "/dir/../x" */
        if (strip && name.len - strip >= 2
            && name.data[strip] == '.' && name.data[strip + 1] == '.'
            && (name.len - strip == 2 || name.data[strip + 2] == '/'))
        {
            continue;
        }

        p = pt_cpymem(path.data + root_len, name.data + strip,
                      name.len - strip);
        *p = '\0';
        path.len = p - path.data;

        pt_log_debug(r->connection->log, "trying to use %s: \"%.*s\" \"%s\"",
                     tf->test_dir ? "dir" : "file", PT_STR_ARG(name),
                     (char *) path.data);

        if (stat((char *) path.data, &st) == -1) {
            err = errno;

            if (err != ENOENT && err != ENOTDIR && err != ENAMETOOLONG) {
                pt_log_error(PT_LOG_ERR, r->connection->log, err,
                             "stat() \"%s\" failed", (char *) path.data);
            }

            continue;
        }

        is_dir = S_ISDIR(st.st_mode);

        if (is_dir != (bool) tf->test_dir) {
            continue;
        }

        /* found: it becomes the URI the content phase serves */
        if (pt_pstr_copy(r->pool, &r->uri, name.data, name.len) != PT_OK) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->uri.len = name.len;

        pt_http_set_exten(r);

        pt_log_debug(r->connection->log, "try file uri: \"%.*s\"",
                     PT_STR_ARG(r->uri));

        return PT_DECLINED;
    }

    /* not reached: the last entry is always the fallback */
    return PT_DECLINED;
}


static int
try_files_set(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    try_files_loc_conf_t  *tlcf = conf;

    size_t       i, nargs;
    int64_t      code;
    pt_str_t    *value;
    try_file_t  *tf;

    if (tlcf->files != NULL) {
        return pt_conf_error(cf, "\"try_files\" directive is duplicate");
    }

    value = cf->args->elts;
    nargs = pt_conf_nargs(cf);

    tf = pt_pcalloc(cf->pool, (nargs - 1) * sizeof(try_file_t));
    if (tf == NULL) {
        return PT_ERROR;
    }

    for (i = 1; i < nargs; i++, tf++) {

        if (i == nargs - 1 && value[i].len > 0 && value[i].data[0] == '=') {
            code = pt_atoi(value[i].data + 1, value[i].len - 1, 999);

            if (code <= 0) {
                return pt_conf_error(cf, "invalid code \"%.*s\"",
                                     PT_STR_ARG(value[i]));
            }

            tf->code = (int) code;
            continue;
        }

        if (pt_pstr_copy(cf->pool, &tf->name, value[i].data, value[i].len)
            != PT_OK)
        {
            return PT_ERROR;
        }

        if (i != nargs - 1
            && tf->name.len > 0
            && tf->name.data[tf->name.len - 1] == '/')
        {
            tf->test_dir = 1;
            tf->name.len--;
            tf->name.data[tf->name.len] = '\0';
        }

        if (memchr(tf->name.data, '$', tf->name.len) == NULL) {
            continue;
        }

        tf->cv = pt_pcalloc(cf->pool, sizeof(pt_http_complex_value_t));
        if (tf->cv == NULL) {
            return PT_ERROR;
        }

        if (pt_http_compile_complex_value(cf, &tf->name, tf->cv) != PT_OK) {
            return PT_ERROR;
        }

        if (pt_http_complex_value_static(tf->cv)) {
            tf->cv = NULL;
        }
    }

    tlcf->files = tf - (nargs - 1);
    tlcf->nfiles = nargs - 1;

    return PT_OK;
}


static int
try_files_init(pt_conf_t *cf)
{
    return pt_http_phase_add(cf, PT_HTTP_PRECONTENT_PHASE, try_files_handler);
}
