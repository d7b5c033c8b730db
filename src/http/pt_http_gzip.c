/* SPDX-License-Identifier: BSD-2-Clause */
/* gzip negotiation: Accept-Encoding, gzip_proxied, gzip_disable, Vary. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_gzip.h"

/*
 * Directives (nginx keeps them in its core module, so that gzip,
 * gzip_static and gunzip share them; here they have a module of their
 * own, always built):
 *
 *   gzip_vary on | off;                     default off
 *   gzip_http_version 1.0 | 1.1;            default 1.1
 *   gzip_proxied off | expired | no-cache | no-store | private |
 *                no_last_modified | no_etag | auth | any ...;  default off
 *   gzip_disable regex ... | msie6;         default none
 *
 * All in http, server, location.  A request "came through a proxy" when
 * it carries a Via header, as in nginx.
 */

typedef struct {
    int          vary;
    int          http_version;     /* PT_HTTP_VERSION_1x */
    unsigned     proxied;          /* PT_HTTP_GZIP_PROXIED_*; 0: unset */
    pt_array_t  *disable;          /* of pt_regex_t *; NULL: unset */
    unsigned     disable_msie6:1;
} gzip_common_conf_t;


static int gzip_common_proxied(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int gzip_common_disable(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int gzip_common_merge(pt_conf_t *cf, void *prev, void *conf);

static const pt_conf_enum_t  gzip_http_versions[] = {
    { "1.0", PT_HTTP_VERSION_10 },
    { "1.1", PT_HTTP_VERSION_11 },
    { NULL, 0 }
};

static const pt_command_t  gzip_common_commands[] = {
    { .name = "gzip_vary", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(gzip_common_conf_t, vary), .def.flag = 0 },
    { .name = "gzip_http_version",
      .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_enum,
      .field = PT_LOC_FIELD(gzip_common_conf_t, http_version),
      .def.i = PT_HTTP_VERSION_11, .values = gzip_http_versions },
    { .name = "gzip_proxied", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_1MORE, .set = gzip_common_proxied },
    { .name = "gzip_disable", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_1MORE, .set = gzip_common_disable },
    PT_COMMAND_END
};

static const pt_http_module_t  gzip_common_module_ctx = {
    .loc_conf_size = sizeof(gzip_common_conf_t),
    .merge_loc_conf = gzip_common_merge,
};

pt_module_t  pt_http_gzip_common_module = {
    .name = "pt_http_gzip_common_module",
    .type = PT_HTTP_MODULE,
    .commands = gzip_common_commands,
    .ctx = &gzip_common_module_ctx,
};

/* Per-request memo of pt_http_gzip_ok(), kept in the module's ctx slot. */
static u_char  gzip_memo_ok, gzip_memo_no;


/* Skips optional white space. */
static const u_char *
gzip_ows(const u_char *p, const u_char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return p;
}


/*
 * Parses a qvalue ("0", "0.5", "1.000") at [p, end); returns thousandths,
 * or 0 when malformed (a bad weight must not enable an encoding).
 */
static unsigned
gzip_qvalue(const u_char *p, const u_char *end)
{
    unsigned  q, scale;

    if (p == end || (*p != '0' && *p != '1')) {
        return 0;
    }

    q = (unsigned) (*p++ - '0') * 1000;

    if (p < end && *p == '.') {
        p++;
        for (scale = 100; p < end && *p >= '0' && *p <= '9' && scale; p++) {
            q += (unsigned) (*p - '0') * scale;
            scale /= 10;
        }
    }

    if (p != end || q > 1000) {
        return 0;
    }

    return q;
}


/* The weight of one element "coding *( OWS ; OWS param )" (default 1). */
static unsigned
gzip_element_q(const u_char *p, const u_char *end)
{
    unsigned  q = 1000;

    while ((p = memchr(p, ';', (size_t) (end - p))) != NULL) {
        const u_char  *v, *e;

        p = gzip_ows(p + 1, end);
        e = memchr(p, ';', (size_t) (end - p));
        e = e ? e : end;

        if (e - p >= 2 && (*p == 'q' || *p == 'Q')) {
            v = gzip_ows(p + 1, e);
            if (v < e && *v == '=') {
                v = gzip_ows(v + 1, e);
                while (e > v && (e[-1] == ' ' || e[-1] == '\t')) {
                    e--;
                }
                q = gzip_qvalue(v, e);
            }
        }

        p = e;
        if (p == end) {
            break;
        }
    }

    return q;
}


unsigned
pt_http_gzip_accept_q(const u_char *p, size_t len)
{
    const u_char  *end = p + len;
    int            gzip_q = -1, star_q = -1;

    while (p < end) {
        const u_char  *e = memchr(p, ',', (size_t) (end - p));
        const u_char  *name, *ne;

        e = e ? e : end;
        name = gzip_ows(p, e);

        for (ne = name; ne < e && *ne != ';' && *ne != ' ' && *ne != '\t';
             ne++)
        {
            /* the coding name */
        }

        pt_str_t  coding = { (size_t) (ne - name), (u_char *) name };
        int       q = (int) gzip_element_q(ne, e);

        if (pt_str_caseeq_lit(&coding, "gzip")
            || pt_str_caseeq_lit(&coding, "x-gzip"))
        {
            gzip_q = pt_max(gzip_q, q);

        } else if (coding.len == 1 && coding.data[0] == '*') {
            star_q = q;
        }

        p = e + 1;
    }

    if (gzip_q >= 0) {
        return (unsigned) gzip_q;
    }

    return star_q > 0 ? (unsigned) star_q : 0;
}


/* The first request header named name (lower case), or NULL. */
static pt_table_elt_t *
gzip_header_in(pt_http_request_t *r, const char *name)
{
    for (pt_table_elt_t *h = r->headers_in.headers.first; h; h = h->next) {
        if (h->hash && pt_str_caseeq_lit(&h->key, name)) {
            return h;
        }
    }

    return NULL;
}


/* True when a Cache-Control response header holds the directive token. */
static bool
gzip_cache_control_has(pt_http_request_t *r, const char *token)
{
    size_t  n = strlen(token);

    for (pt_table_elt_t *h = r->headers_out.headers.first; h; h = h->next) {
        if (h->hash == 0 || !pt_str_caseeq_lit(&h->key, "cache-control")) {
            continue;
        }

        for (u_char *p = h->value.data, *end = p + h->value.len;
             end - p >= (ptrdiff_t) n; p++)
        {
            if (pt_strncasecmp(p, (const u_char *) token, n) == 0
                && (p == h->value.data || p[-1] == ',' || p[-1] == ' ')
                && (p + n == end || p[n] == ',' || p[n] == ' '
                    || p[n] == ';' || p[n] == '='))
            {
                return true;
            }
        }
    }

    return false;
}


static bool
gzip_has_header_out(pt_http_request_t *r, const char *name)
{
    for (pt_table_elt_t *h = r->headers_out.headers.first; h; h = h->next) {
        if (h->hash && pt_str_caseeq_lit(&h->key, name)) {
            return true;
        }
    }

    return false;
}


/* An Expires in the past (relative to Date) allows "expired". */
static int
gzip_proxied_expired(pt_http_request_t *r, unsigned p)
{
    pt_table_elt_t  *e = r->headers_out.expires;
    time_t           expires, date;

    if (!(p & PT_HTTP_GZIP_PROXIED_EXPIRED)) {
        return PT_DECLINED;
    }

    expires = pt_parse_http_time(e->value.data, e->value.len);
    if (expires == (time_t) -1) {
        return PT_DECLINED;
    }

    date = r->headers_out.date
           ? pt_parse_http_time(r->headers_out.date->value.data,
                                r->headers_out.date->value.len)
           : time(NULL);

    return expires < date ? PT_OK : PT_DECLINED;
}


/* gzip_proxied for a request that came through a proxy: nginx's rules. */
static int
gzip_proxied_ok(pt_http_request_t *r, unsigned p)
{
    if (p == 0 || (p & PT_HTTP_GZIP_PROXIED_OFF)) {
        return PT_DECLINED;
    }

    if (p & PT_HTTP_GZIP_PROXIED_ANY) {
        return PT_OK;
    }

    if ((p & PT_HTTP_GZIP_PROXIED_AUTH) && r->headers_in.authorization) {
        return PT_OK;
    }

    if (r->headers_out.expires && r->headers_out.expires->hash) {
        return gzip_proxied_expired(r, p);
    }

    if (gzip_has_header_out(r, "cache-control")) {
        if (((p & PT_HTTP_GZIP_PROXIED_NO_CACHE)
             && gzip_cache_control_has(r, "no-cache"))
            || ((p & PT_HTTP_GZIP_PROXIED_NO_STORE)
                && gzip_cache_control_has(r, "no-store"))
            || ((p & PT_HTTP_GZIP_PROXIED_PRIVATE)
                && gzip_cache_control_has(r, "private")))
        {
            return PT_OK;
        }

        return PT_DECLINED;
    }

    if ((p & PT_HTTP_GZIP_PROXIED_NO_LM)
        && (r->headers_out.last_modified_time != -1
            || (r->headers_out.last_modified
                && r->headers_out.last_modified->hash)))
    {
        return PT_DECLINED;
    }

    if ((p & PT_HTTP_GZIP_PROXIED_NO_ETAG)
        && r->headers_out.etag && r->headers_out.etag->hash)
    {
        return PT_DECLINED;
    }

    return PT_OK;
}


static int
gzip_disabled(pt_http_request_t *r, const gzip_common_conf_t *conf)
{
    pt_table_elt_t  *ua = r->headers_in.user_agent;

    if (ua == NULL) {
        return PT_OK;
    }

    if (conf->disable_msie6 && r->headers_in.msie6) {
        return PT_DECLINED;
    }

    if (conf->disable == NULL) {
        return PT_OK;
    }

    pt_regex_t  **re = conf->disable->elts;

    for (size_t i = 0; i < conf->disable->nelts; i++) {
        int  rc = pt_regex_exec(re[i], &ua->value, NULL, 0);

        if (rc == PT_ERROR) {
            return PT_ERROR;
        }

        if (rc >= 0) {
            return PT_DECLINED;
        }
    }

    return PT_OK;
}


static int
gzip_decide(pt_http_request_t *r)
{
    gzip_common_conf_t  *conf = pt_http_get_module_loc_conf(r,
                                                  pt_http_gzip_common_module);
    pt_table_elt_t      *ae = r->headers_in.accept_encoding;

    if (ae == NULL || pt_http_gzip_accept_q(ae->value.data, ae->value.len)
                      == 0)
    {
        return PT_DECLINED;
    }

    if (r->http_version < (unsigned) conf->http_version) {
        return PT_DECLINED;
    }

    if (gzip_header_in(r, "via") != NULL
        && gzip_proxied_ok(r, conf->proxied) != PT_OK)
    {
        return PT_DECLINED;
    }

    return gzip_disabled(r, conf);
}


int
pt_http_gzip_ok(pt_http_request_t *r)
{
    void  *memo = pt_http_get_module_ctx(r, pt_http_gzip_common_module);
    int    rc;

    if (memo != NULL) {
        return memo == &gzip_memo_ok ? PT_OK : PT_DECLINED;
    }

    rc = gzip_decide(r);
    if (rc == PT_ERROR) {
        rc = PT_DECLINED;
    }

    pt_http_set_ctx(r, rc == PT_OK ? &gzip_memo_ok : &gzip_memo_no,
                    pt_http_gzip_common_module);

    return rc;
}


pt_table_elt_t *
pt_http_gzip_content_encoding(pt_http_request_t *r)
{
    pt_table_elt_t  *ce = r->headers_out.content_encoding;

    if (ce != NULL && ce->hash) {
        return ce;
    }

    for (pt_table_elt_t *h = r->headers_out.headers.first; h; h = h->next) {
        if (h->hash && pt_str_caseeq_lit(&h->key, "content-encoding")) {
            r->headers_out.content_encoding = h;
            return h;
        }
    }

    return NULL;
}


bool
pt_http_gzip_vary_on(pt_http_request_t *r)
{
    gzip_common_conf_t  *conf = pt_http_get_module_loc_conf(r,
                                                  pt_http_gzip_common_module);

    return conf->vary;
}


int
pt_http_gzip_vary(pt_http_request_t *r)
{
    gzip_common_conf_t  *conf = pt_http_get_module_loc_conf(r,
                                                  pt_http_gzip_common_module);

    static const pt_str_t  name = pt_string("Vary");
    static const pt_str_t  value = pt_string("Accept-Encoding");

    if (!conf->vary) {
        return PT_OK;
    }

    for (pt_table_elt_t *h = r->headers_out.headers.first; h; h = h->next) {
        if (h->hash == 0 || !pt_str_caseeq_lit(&h->key, "vary")) {
            continue;
        }

        u_char  *end = h->value.data + h->value.len;

        for (u_char *p = h->value.data; p < end; p++) {
            if (*p == '*' || (end - p >= 15
                              && pt_strncasecmp(p, value.data, 15) == 0))
            {
                return PT_OK;
            }
        }
    }

    return pt_http_add_header_out(r, &name, &value) ? PT_OK : PT_ERROR;
}


/* Config. */

static int
gzip_common_proxied(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    gzip_common_conf_t  *gcf = conf;

    static const pt_conf_enum_t  flags[] = {
        { "off", PT_HTTP_GZIP_PROXIED_OFF },
        { "expired", PT_HTTP_GZIP_PROXIED_EXPIRED },
        { "no-cache", PT_HTTP_GZIP_PROXIED_NO_CACHE },
        { "no-store", PT_HTTP_GZIP_PROXIED_NO_STORE },
        { "private", PT_HTTP_GZIP_PROXIED_PRIVATE },
        { "no_last_modified", PT_HTTP_GZIP_PROXIED_NO_LM },
        { "no_etag", PT_HTTP_GZIP_PROXIED_NO_ETAG },
        { "auth", PT_HTTP_GZIP_PROXIED_AUTH },
        { "any", PT_HTTP_GZIP_PROXIED_ANY },
        { NULL, 0 }
    };

    if (gcf->proxied != 0) {
        return pt_conf_error(cf, "\"gzip_proxied\" directive is duplicate");
    }

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        const pt_conf_enum_t  *e;
        pt_str_t              *v = &pt_conf_arg(cf, i);

        for (e = flags; e->name; e++) {
            if (pt_str_eq(v, &(pt_str_t) { strlen(e->name),
                                           (u_char *) e->name }))
            {
                break;
            }
        }

        if (e->name == NULL) {
            return pt_conf_error(cf, "invalid value \"%.*s\"",
                                 PT_STR_ARG(*v));
        }

        gcf->proxied |= (unsigned) e->value;
    }

    /* "off" with anything else means off, as nginx's bitmask does */
    if (gcf->proxied & PT_HTTP_GZIP_PROXIED_OFF) {
        gcf->proxied = PT_HTTP_GZIP_PROXIED_OFF;
    }

    return PT_OK;
}


static int
gzip_common_disable(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    gzip_common_conf_t  *gcf = conf;

    if (gcf->disable == NULL) {
        gcf->disable = pt_array_create(cf->pool, 2, sizeof(pt_regex_t *));
        if (gcf->disable == NULL) {
            return PT_ERROR;
        }
    }

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        pt_str_t            *v = &pt_conf_arg(cf, i);
        pt_regex_t         **slot;
        pt_regex_compile_t   rc = { .pattern = *v, .caseless = true,
                                    .pool = cf->pool };

        if (pt_str_eq(v, &(pt_str_t) pt_string("msie6"))) {
            gcf->disable_msie6 = 1;
            continue;
        }

        if (pt_regex_compile(&rc) != PT_OK) {
            return pt_conf_error(cf, "%s", (char *) rc.err);
        }

        slot = pt_array_push(gcf->disable);
        if (slot == NULL) {
            return PT_ERROR;
        }

        *slot = rc.regex;
    }

    return PT_OK;
}


void
pt_http_gzip_merge_bufs(pt_http_gzip_bufs_t *child,
    const pt_http_gzip_bufs_t *parent)
{
    static const pt_http_gzip_bufs_t  def = { .num = 32, .size = 4096 };

    if (child->num == 0) {
        *child = parent->num ? *parent : def;
    }
}


static int
gzip_common_merge(pt_conf_t *cf, void *prev, void *conf)
{
    gzip_common_conf_t  *parent = prev;
    gzip_common_conf_t  *child = conf;

    if (child->proxied == 0) {
        child->proxied = parent->proxied;
    }

    if (child->disable == NULL && !child->disable_msie6) {
        child->disable = parent->disable;
        child->disable_msie6 = parent->disable_msie6;
    }

    return PT_OK;
}
