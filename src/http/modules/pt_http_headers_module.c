/* SPDX-License-Identifier: BSD-2-Clause */
/* add_header and expires: response headers set from the configuration. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

/*
 * Directives:
 *
 *   add_header name value [always];
 *       default: none;   context: http, server, location, if in location
 *       Adds a response header (the value may hold variables; an empty
 *       result adds nothing) to responses with status 200, 201, 204, 206,
 *       301, 302, 303, 304, 307 or 308, or to every response with
 *       "always".  A level inherits its parent's add_header list only
 *       when it has none of its own.  "Last-Modified" and "ETag" replace
 *       the response's own; "Cache-Control" joins any existing ones.
 *
 *   expires [modified] time;
 *   expires epoch | max | off;
 *   expires @time-of-day;
 *       default: expires off;   context: http, server, location, if in
 *       location
 *       For the same statuses, sets Expires and Cache-Control: time (may
 *       be negative, "-1h") after the request, or with "modified" after
 *       the file's Last-Modified; a negative max-age gives
 *       "Cache-Control: no-cache"; "@15h30m" means the next such local
 *       time of day.  epoch: Expires: Thu, 01 Jan 1970 00:00:01 GMT and
 *       Cache-Control: no-cache; max: Expires: Thu, 31 Dec 2037 23:55:55
 *       GMT and Cache-Control: max-age=315360000.
 *
 * Header filter at stage PT_FILTER_HEADERS.
 */

typedef enum {
    EXPIRES_UNSET = 0,
    EXPIRES_OFF,
    EXPIRES_EPOCH,
    EXPIRES_MAX,
    EXPIRES_ACCESS,
    EXPIRES_MODIFIED,
    EXPIRES_DAILY
} headers_expires_e;

typedef enum {
    HEADER_PLAIN = 0,
    HEADER_CACHE_CONTROL,
    HEADER_LAST_MODIFIED,
    HEADER_ETAG
} headers_kind_e;

typedef struct {
    pt_str_t                  name;
    pt_http_complex_value_t   value;
    headers_kind_e            kind;
    unsigned                  always:1;
} headers_val_t;

typedef struct {
    pt_array_t         *headers;        /* of headers_val_t; NULL: none */
    headers_expires_e   expires;
    time_t              expires_time;   /* seconds; daily: of the day */
} headers_loc_conf_t;


static int headers_add_header(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int headers_expires(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int headers_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);
static int headers_init(pt_conf_t *cf);


static const pt_command_t  headers_commands[] = {
    { .name = "add_header",
      .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC | PT_HTTP_IF,
      .args = PT_CONF_TAKE23, .set = headers_add_header,
      .field = PT_LOC_FIELD(headers_loc_conf_t, headers) },
    { .name = "expires",
      .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC | PT_HTTP_IF,
      .args = PT_CONF_TAKE12, .set = headers_expires,
      .field = PT_LOC_FIELD(headers_loc_conf_t, expires) },
    PT_COMMAND_END
};

static const pt_http_module_t  headers_module_ctx = {
    .postconfiguration = headers_init,
    .loc_conf_size = sizeof(headers_loc_conf_t),
    .merge_loc_conf = headers_merge_loc_conf,
};

pt_module_t  pt_http_headers_filter_module = {
    .name = "pt_http_headers_filter_module",
    .type = PT_HTTP_MODULE,
    .commands = headers_commands,
    .ctx = &headers_module_ctx,
};


/* Adds a header line; NULL on failure. */
static pt_table_elt_t *
headers_push(pt_http_request_t *r, const char *name, const pt_str_t *value)
{
    pt_str_t  key;

    key.data = (u_char *) name;
    key.len = strlen(name);

    return pt_http_add_header_out(r, &key, value);
}


/* The next local time of day `when` (seconds after midnight) after now. */
static time_t
headers_next_time(time_t now, time_t when)
{
    time_t     next;
    struct tm  tm;

    (void) localtime_r(&now, &tm);

    tm.tm_hour = (int) (when / 3600);
    tm.tm_min = (int) (when / 60 % 60);
    tm.tm_sec = (int) (when % 60);
    tm.tm_isdst = -1;

    next = mktime(&tm);

    if (next == (time_t) -1 || next > now) {
        return next;
    }

    tm.tm_mday++;
    tm.tm_isdst = -1;

    return mktime(&tm);
}


static int
headers_set_expires(pt_http_request_t *r, headers_loc_conf_t *conf)
{
    u_char          *p;
    time_t           now, expires_time, max_age;
    pt_str_t         value, cc_value;
    pt_table_elt_t  *e, *cc, *h;

    static u_char  epoch[] = "Thu, 01 Jan 1970 00:00:01 GMT";
    static u_char  max[] = "Thu, 31 Dec 2037 23:55:55 GMT";

    now = pt_time();
    expires_time = conf->expires_time;

    switch (conf->expires) {

    case EXPIRES_EPOCH:
        value.data = epoch;
        value.len = sizeof(epoch) - 1;
        pt_str_set(&cc_value, "no-cache");
        break;

    case EXPIRES_MAX:
        value.data = max;
        value.len = sizeof(max) - 1;
        pt_str_set(&cc_value, "max-age=315360000");
        break;

    default:
        if (expires_time == 0 && conf->expires != EXPIRES_DAILY) {
            /* "expires 0" (even "modified 0"): now, max-age=0 */
            expires_time = now;
            max_age = 0;

        } else if (conf->expires == EXPIRES_DAILY) {
            expires_time = headers_next_time(now, expires_time);
            max_age = expires_time - now;

        } else if (conf->expires == EXPIRES_ACCESS
                   || r->headers_out.last_modified_time == (time_t) -1)
        {
            max_age = expires_time;
            expires_time += now;

        } else {
            expires_time += r->headers_out.last_modified_time;
            max_age = expires_time - now;
        }

        p = pt_pnalloc(r->pool, sizeof("Mon, 28 Sep 1970 06:00:00 GMT")
                                + sizeof("max-age=") + PT_INT_T_LEN);
        if (p == NULL) {
            return PT_ERROR;
        }

        value.data = p;
        value.len = pt_http_time(p, expires_time) - p;

        p += value.len;

        if (conf->expires_time < 0 || max_age < 0) {
            pt_str_set(&cc_value, "no-cache");

        } else {
            cc_value.data = p;
            cc_value.len = pt_snprintf(p, p + sizeof("max-age=") + PT_INT_T_LEN,
                                       "max-age=%lld", (long long) max_age)
                           - p;
        }

        break;
    }

    e = r->headers_out.expires;

    if (e != NULL && e->hash != 0) {
        e->value = value;

    } else {
        e = headers_push(r, "Expires", &value);
        if (e == NULL) {
            return PT_ERROR;
        }

        r->headers_out.expires = e;
    }

    cc = r->headers_out.cache_control;

    if (cc != NULL && cc->hash != 0) {
        /* one Cache-Control line remains, with the new value */
        for (h = cc->dup; h != NULL; h = h->dup) {
            h->hash = 0;
        }

        cc->dup = NULL;
        cc->value = cc_value;

    } else {
        cc = headers_push(r, "Cache-Control", &cc_value);
        if (cc == NULL) {
            return PT_ERROR;
        }

        r->headers_out.cache_control = cc;
    }

    return PT_OK;
}


/* Replaces the known header *known by value (or deletes it when empty). */
static int
headers_set_known(pt_http_request_t *r, pt_table_elt_t **known,
    const headers_val_t *hv, const pt_str_t *value)
{
    pt_table_elt_t  *h;

    h = *known;

    if (h != NULL && h->hash != 0) {
        if (value->len == 0) {
            h->hash = 0;
            *known = NULL;
            return PT_OK;
        }

        h->value = *value;
        return PT_OK;
    }

    if (value->len == 0) {
        return PT_OK;
    }

    h = pt_http_add_header_out(r, &hv->name, value);
    if (h == NULL) {
        return PT_ERROR;
    }

    *known = h;

    return PT_OK;
}


static int
headers_add(pt_http_request_t *r, const headers_val_t *hv,
    const pt_str_t *value)
{
    pt_table_elt_t  *h, *cc;

    switch (hv->kind) {

    case HEADER_LAST_MODIFIED:
        r->headers_out.last_modified_time = -1;
        return headers_set_known(r, &r->headers_out.last_modified, hv, value);

    case HEADER_ETAG:
        return headers_set_known(r, &r->headers_out.etag, hv, value);

    default:
        break;
    }

    if (value->len == 0) {
        return PT_OK;
    }

    h = pt_http_add_header_out(r, &hv->name, value);
    if (h == NULL) {
        return PT_ERROR;
    }

    if (hv->kind == HEADER_CACHE_CONTROL) {
        cc = r->headers_out.cache_control;

        if (cc == NULL || cc->hash == 0) {
            r->headers_out.cache_control = h;

        } else if (cc != h) {
            while (cc->dup != NULL && cc->dup != h) {
                cc = cc->dup;
            }

            cc->dup = h;
        }
    }

    return PT_OK;
}


static int
headers_header_filter(pt_http_request_t *r, const pt_http_filter_t *f)
{
    bool                 safe_status;
    size_t               i;
    pt_str_t             value;
    headers_val_t       *hv;
    headers_loc_conf_t  *conf;

    conf = pt_http_get_module_loc_conf(r, pt_http_headers_filter_module);

    if ((conf->expires == EXPIRES_OFF || conf->expires == EXPIRES_UNSET)
        && conf->headers == NULL)
    {
        return pt_http_next_header(r, f);
    }

    switch (r->headers_out.status) {
    case PT_HTTP_OK:
    case PT_HTTP_CREATED:
    case PT_HTTP_NO_CONTENT:
    case PT_HTTP_PARTIAL_CONTENT:
    case PT_HTTP_MOVED_PERMANENTLY:
    case PT_HTTP_MOVED_TEMPORARILY:
    case PT_HTTP_SEE_OTHER:
    case PT_HTTP_NOT_MODIFIED:
    case PT_HTTP_TEMPORARY_REDIRECT:
    case PT_HTTP_PERMANENT_REDIRECT:
        safe_status = true;
        break;

    default:
        safe_status = false;
        break;
    }

    if (safe_status && conf->expires != EXPIRES_OFF
        && conf->expires != EXPIRES_UNSET)
    {
        if (headers_set_expires(r, conf) != PT_OK) {
            return PT_ERROR;
        }
    }

    if (conf->headers != NULL) {
        hv = conf->headers->elts;

        for (i = 0; i < conf->headers->nelts; i++) {

            if (!safe_status && !hv[i].always) {
                continue;
            }

            if (pt_http_complex_value(r, &hv[i].value, &value) != PT_OK) {
                return PT_ERROR;
            }

            if (headers_add(r, &hv[i], &value) != PT_OK) {
                return PT_ERROR;
            }
        }
    }

    return pt_http_next_header(r, f);
}


static int
headers_add_header(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    headers_loc_conf_t  *hcf = conf;

    pt_str_t       *value;
    headers_val_t  *hv;

    value = cf->args->elts;

    if (hcf->headers == NULL) {
        hcf->headers = pt_array_create(cf->pool, 4, sizeof(headers_val_t));
        if (hcf->headers == NULL) {
            return PT_ERROR;
        }
    }

    hv = pt_array_push(hcf->headers);
    if (hv == NULL) {
        return PT_ERROR;
    }

    memset(hv, 0, sizeof(headers_val_t));

    if (pt_pstr_copy(cf->pool, &hv->name, value[1].data, value[1].len)
        != PT_OK)
    {
        return PT_ERROR;
    }

    if (pt_str_caseeq_lit(&hv->name, "Cache-Control")) {
        hv->kind = HEADER_CACHE_CONTROL;

    } else if (pt_str_caseeq_lit(&hv->name, "Last-Modified")) {
        hv->kind = HEADER_LAST_MODIFIED;

    } else if (pt_str_caseeq_lit(&hv->name, "ETag")) {
        hv->kind = HEADER_ETAG;

    } else {
        hv->kind = HEADER_PLAIN;
    }

    if (pt_http_compile_complex_value(cf, &value[2], &hv->value) != PT_OK) {
        return PT_ERROR;
    }

    if (pt_conf_nargs(cf) == 3) {
        return PT_OK;
    }

    if (!pt_str_caseeq_lit(&value[3], "always")) {
        return pt_conf_error(cf, "invalid parameter \"%.*s\"",
                             PT_STR_ARG(value[3]));
    }

    hv->always = 1;

    return PT_OK;
}


static int
headers_expires(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    headers_loc_conf_t  *hcf = conf;

    bool       minus;
    size_t     n;
    int64_t    t;
    pt_str_t  *value, v;

    if (hcf->expires != EXPIRES_UNSET) {
        return pt_conf_error(cf, "\"expires\" directive is duplicate");
    }

    value = cf->args->elts;

    if (pt_conf_nargs(cf) == 2) {
        hcf->expires = EXPIRES_ACCESS;
        n = 1;

    } else {
        if (!pt_str_caseeq_lit(&value[1], "modified")) {
            return pt_conf_error(cf, "invalid value \"%.*s\"",
                                 PT_STR_ARG(value[1]));
        }

        hcf->expires = EXPIRES_MODIFIED;
        n = 2;
    }

    v = value[n];

    if (pt_str_caseeq_lit(&v, "epoch")) {
        hcf->expires = EXPIRES_EPOCH;
        return PT_OK;
    }

    if (pt_str_caseeq_lit(&v, "max")) {
        hcf->expires = EXPIRES_MAX;
        return PT_OK;
    }

    if (pt_str_caseeq_lit(&v, "off")) {
        hcf->expires = EXPIRES_OFF;
        return PT_OK;
    }

    minus = false;

    if (v.len > 0 && v.data[0] == '@') {
        if (hcf->expires == EXPIRES_MODIFIED) {
            return pt_conf_error(cf, "daily time cannot be used with "
                                 "\"modified\" parameter");
        }

        hcf->expires = EXPIRES_DAILY;
        v.data++;
        v.len--;

    } else if (v.len > 0 && v.data[0] == '+') {
        v.data++;
        v.len--;

    } else if (v.len > 0 && v.data[0] == '-') {
        minus = true;
        v.data++;
        v.len--;
    }

    t = pt_parse_time(&v, true);

    if (t < 0) {
        return pt_conf_error(cf, "invalid value \"%.*s\"",
                             PT_STR_ARG(value[n]));
    }

    if (hcf->expires == EXPIRES_DAILY && t > 24 * 60 * 60) {
        return pt_conf_error(cf, "daily time value must be less than 24 "
                             "hours");
    }

    hcf->expires_time = minus ? -(time_t) t : (time_t) t;

    return PT_OK;
}


static int
headers_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf)
{
    headers_loc_conf_t  *parent = prev;
    headers_loc_conf_t  *child = conf;

    if (parent == NULL) {
        return PT_OK;
    }

    if (child->expires == EXPIRES_UNSET) {
        child->expires = parent->expires;
        child->expires_time = parent->expires_time;
    }

    if (child->headers == NULL) {
        child->headers = parent->headers;
    }

    return PT_OK;
}


static int
headers_init(pt_conf_t *cf)
{
    return pt_http_filter_add(cf, &(pt_http_filter_t) {
        .name = "headers",
        .stage = PT_FILTER_HEADERS,
        .header = headers_header_filter,
        .body = NULL,
    });
}
