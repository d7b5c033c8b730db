/* SPDX-License-Identifier: BSD-2-Clause */
/* charset: adds "; charset=NAME" to the Content-Type of text responses. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

/*
 * Directives:
 *
 *   charset name | off;
 *       default: charset off;   context: http, server, location, if in
 *       location
 *       Responses whose type is listed in charset_types and that carry no
 *       charset yet get "; charset=name" appended to Content-Type.  No
 *       recoding is done (nginx's source_charset / charset_map are not
 *       supported).
 *
 *   charset_types mime-type ...;
 *       default: charset_types text/html text/xml text/plain
 *                text/vnd.wap.wml application/javascript
 *                application/rss+xml;
 *       context: http, server, location
 *       text/html is always included; "*" matches every type.
 *
 * Header filter at stage PT_FILTER_CHARSET.  Unlike nginx it runs after
 * the encoders, and it still labels compressed responses (it only adds
 * a parameter, which is what nginx's filter does for them when it runs
 * before gzip).
 */

typedef struct {
    pt_str_t  *types;     /* lower case */
    size_t     ntypes;
    unsigned   any:1;     /* "*" */
} charset_types_t;

typedef struct {
    pt_str_t          charset;   /* "off": none */
    charset_types_t  *types;     /* NULL: not set here */
} charset_loc_conf_t;


static int charset_types_set(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int charset_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);
static int charset_init(pt_conf_t *cf);


static const pt_command_t  charset_commands[] = {
    { .name = "charset",
      .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC | PT_HTTP_IF,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_str,
      .field = PT_LOC_FIELD(charset_loc_conf_t, charset), .def.str = "off" },
    { .name = "charset_types", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_1MORE, .set = charset_types_set,
      .field = PT_LOC_FIELD(charset_loc_conf_t, types) },
    PT_COMMAND_END
};

static const pt_http_module_t  charset_module_ctx = {
    .postconfiguration = charset_init,
    .loc_conf_size = sizeof(charset_loc_conf_t),
    .merge_loc_conf = charset_merge_loc_conf,
};

pt_module_t  pt_http_charset_filter_module = {
    .name = "pt_http_charset_filter_module",
    .type = PT_HTTP_MODULE,
    .commands = charset_commands,
    .ctx = &charset_module_ctx,
};

static pt_str_t  charset_default_list[] = {
    pt_string("text/html"),
    pt_string("text/xml"),
    pt_string("text/plain"),
    pt_string("text/vnd.wap.wml"),
    pt_string("application/javascript"),
    pt_string("application/rss+xml"),
};

static charset_types_t  charset_default_types = {
    .types = charset_default_list,
    .ntypes = pt_nelts(charset_default_list),
    .any = 0,
};


/*
 * True when the response's Content-Type is one of types.  As nginx, the
 * whole value is compared: a type with parameters ("text/plain;
 * format=flowed") is not "text/plain" and gets no charset unless "*".
 */
static bool
charset_type_listed(pt_http_request_t *r, const charset_types_t *types)
{
    const pt_str_t  *type = &r->headers_out.content_type;

    if (types->any) {
        return true;
    }

    for (size_t i = 0; i < types->ntypes; i++) {
        if (types->types[i].len == type->len
            && pt_strncasecmp(types->types[i].data, type->data, type->len) == 0)
        {
            return true;
        }
    }

    return false;
}


static int
charset_header_filter(pt_http_request_t *r, const pt_http_filter_t *f)
{
    pt_str_t                  *ct;
    const charset_types_t     *types;
    charset_loc_conf_t        *lcf;

    lcf = pt_http_get_module_loc_conf(r, pt_http_charset_filter_module);

    if (lcf->charset.len == 0 || pt_str_caseeq_lit(&lcf->charset, "off")) {
        return pt_http_next_header(r, f);
    }

    /*
     * As nginx: a redirect is not labelled, so that a client does not
     * apply this charset to the page it is sent to.
     */
    if (r->headers_out.status == PT_HTTP_MOVED_PERMANENTLY
        || r->headers_out.status == PT_HTTP_MOVED_TEMPORARILY)
    {
        return pt_http_next_header(r, f);
    }

    ct = &r->headers_out.content_type;

    if (ct->len == 0 || r->headers_out.charset.len != 0) {
        return pt_http_next_header(r, f);
    }

    /* a configured type may already carry its charset */
    if (pt_strnstr(ct->data, ct->data + ct->len, "charset=") != NULL) {
        return pt_http_next_header(r, f);
    }

    types = lcf->types ? lcf->types : &charset_default_types;

    if (charset_type_listed(r, types)) {
        r->headers_out.charset = lcf->charset;
    }

    return pt_http_next_header(r, f);
}


static int
charset_types_set(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    charset_loc_conf_t  *lcf = conf;

    size_t            i, n, nargs;
    pt_str_t         *value;
    charset_types_t  *types;

    if (lcf->types != NULL) {
        return pt_conf_error(cf, "\"charset_types\" directive is duplicate");
    }

    value = cf->args->elts;
    nargs = pt_conf_nargs(cf);

    types = pt_pcalloc(cf->pool, sizeof(charset_types_t));
    if (types == NULL) {
        return PT_ERROR;
    }

    types->types = pt_pcalloc(cf->pool, nargs * sizeof(pt_str_t));
    if (types->types == NULL) {
        return PT_ERROR;
    }

    /* text/html is always included, as in nginx */
    pt_str_set(&types->types[0], "text/html");
    n = 1;

    for (i = 1; i < nargs; i++) {
        if (value[i].len == 1 && value[i].data[0] == '*') {
            types->any = 1;
            continue;
        }

        if (pt_pstr_copy(cf->pool, &types->types[n], value[i].data,
                         value[i].len)
            != PT_OK)
        {
            return PT_ERROR;
        }

        types->types[n].len = value[i].len;
        pt_strlow(types->types[n].data, types->types[n].data,
                  types->types[n].len);
        n++;
    }

    types->ntypes = n;
    lcf->types = types;

    return PT_OK;
}


static int
charset_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf)
{
    charset_loc_conf_t  *parent = prev;
    charset_loc_conf_t  *child = conf;

    if (child->types == NULL && parent != NULL) {
        child->types = parent->types;
    }

    return PT_OK;
}


static int
charset_init(pt_conf_t *cf)
{
    return pt_http_filter_add(cf, &(pt_http_filter_t) {
        .name = "charset",
        .stage = PT_FILTER_CHARSET,
        .header = charset_header_filter,
        .body = NULL,
    });
}
