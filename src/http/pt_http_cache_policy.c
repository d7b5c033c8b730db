/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure: whether a response may be stored, and until when it is fresh. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_cache_policy.h"

/* What the head says, field by field, before precedence is applied. */
typedef struct {
    bool       accel;          /* X-Accel-Expires seen */
    int64_t    accel_sec;      /* its fresh-until; 0: do not store */
    bool       cc;             /* Cache-Control decided something */
    int64_t    cc_sec;
    bool       expires;
    int64_t    expires_sec;
    bool       set_cookie;
    bool       vary_star;
} policy_fields_t;


time_t
pt_http_cache_valid_for(const pt_http_cache_valid_t *valid, size_t nvalid,
    unsigned status)
{
    for (size_t i = 0; i < nvalid; i++) {
        if (valid[i].status == status || valid[i].status == 0) {
            return valid[i].valid;
        }
    }

    return 0;
}


static bool
policy_name_is(const u_char *name, size_t len, const char *lit)
{
    return strlen(lit) == len && pt_strncasecmp(name, (const u_char *) lit,
                                                len) == 0;
}


/* "max-age=N" style: the seconds after '=', or -1. */
static int64_t
policy_seconds(const u_char *p, const u_char *last)
{
    if (p == last || *p != '=') {
        return -1;
    }

    p++;
    if (p < last && *p == '"') {        /* quoted-string form */
        p++;
        if (last > p && last[-1] == '"') {
            last--;
        }
    }

    return pt_atoi(p, (size_t) (last - p), INT32_MAX);
}


/* One Cache-Control field value: directives separated by commas. */
static void
policy_cache_control(const u_char *p, const u_char *end, time_t now,
    policy_fields_t *f)
{
    int64_t  max_age = -1, s_maxage = -1;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        const u_char  *d = p;

        while (p < end && *p != ',') {
            p++;
        }

        const u_char  *de = p;

        while (de > d && (de[-1] == ' ' || de[-1] == '\t')) {
            de--;
        }

        const u_char  *eq = d;

        while (eq < de && *eq != '=') {
            eq++;
        }

        size_t  n = (size_t) (eq - d);

        if (policy_name_is(d, n, "no-cache") || policy_name_is(d, n, "no-store")
            || policy_name_is(d, n, "private"))
        {
            f->cc = true;
            f->cc_sec = 0;
            return;
        }

        if (policy_name_is(d, n, "max-age")) {
            max_age = policy_seconds(eq, de);
        } else if (policy_name_is(d, n, "s-maxage")) {
            s_maxage = policy_seconds(eq, de);
        }
    }

    int64_t  age = s_maxage >= 0 ? s_maxage : max_age;

    if (age >= 0 && !(f->cc && f->cc_sec == 0)) {
        f->cc = true;
        f->cc_sec = age ? now + age : 0;
    }
}


/* Adds a Vary line's names: the first points into the head, more join. */
static void
policy_vary(pt_http_cache_policy_t *out, const u_char *v, size_t vlen)
{
    pt_str_t  *vary = &out->vary;

    if (vary->len == 0) {
        vary->data = (u_char *) v;
        vary->len = vlen;
        return;
    }

    if (vary->len + 2 + vlen >= PT_HTTP_CACHE_VARY_MAX) {
        vary->data = out->vary_buf;
        vary->len = PT_HTTP_CACHE_VARY_MAX;      /* too long to store */
        return;
    }

    if (vary->data != out->vary_buf) {
        memmove(out->vary_buf, vary->data, vary->len);
        vary->data = out->vary_buf;
    }

    memcpy(vary->data + vary->len, ", ", 2);
    memcpy(vary->data + vary->len + 2, v, vlen);
    vary->len += 2 + vlen;
}


static void
policy_field(const u_char *name, size_t nlen, const u_char *v, size_t vlen,
    const pt_http_cache_policy_in_t *in, policy_fields_t *f,
    pt_http_cache_policy_t *out)
{
    unsigned  ign = in->ignore;

    if (policy_name_is(name, nlen, "x-accel-expires")) {
        if (ign & PT_HTTP_CACHE_IGN_X_ACCEL_EXPIRES) {
            return;
        }

        bool     at = vlen && v[0] == '@';
        int64_t  n = pt_atoi(v + at, vlen - at, INT64_MAX / 2);

        if (n >= 0) {
            f->accel = true;
            f->accel_sec = at ? n : (n ? in->now + n : 0);
        }

    } else if (policy_name_is(name, nlen, "cache-control")) {
        if (!(ign & PT_HTTP_CACHE_IGN_CACHE_CONTROL)) {
            policy_cache_control(v, v + vlen, in->now, f);
        }

    } else if (policy_name_is(name, nlen, "expires")) {
        if (!(ign & PT_HTTP_CACHE_IGN_EXPIRES)) {
            time_t  t = pt_parse_http_time(v, vlen);

            f->expires = true;
            f->expires_sec = t > in->now ? t : 0;
        }

    } else if (policy_name_is(name, nlen, "set-cookie")) {
        f->set_cookie = !(ign & PT_HTTP_CACHE_IGN_SET_COOKIE);

    } else if (policy_name_is(name, nlen, "vary")) {
        if (ign & PT_HTTP_CACHE_IGN_VARY) {
            return;
        }
        if (pt_strnstr(v, v + vlen, "*")) {
            f->vary_star = true;
        }
        policy_vary(out, v, vlen);

    } else if (policy_name_is(name, nlen, "etag")) {
        out->etag.data = (u_char *) v;
        out->etag.len = vlen;

    } else if (policy_name_is(name, nlen, "last-modified")) {
        out->last_modified.data = (u_char *) v;
        out->last_modified.len = vlen;
    }
}


/* Precedence: X-Accel-Expires, Cache-Control, Expires, proxy_cache_valid. */
static int64_t
policy_valid(const policy_fields_t *f, const pt_http_cache_policy_in_t *in,
    const char **why)
{
    if (f->accel) {
        *why = "X-Accel-Expires";
        return f->accel_sec;
    }

    if (f->cc) {
        *why = "Cache-Control";
        return f->cc_sec;
    }

    if (f->expires) {
        *why = "Expires";
        return f->expires_sec;
    }

    time_t  valid = pt_http_cache_valid_for(in->valid, in->nvalid, in->status);

    *why = "proxy_cache_valid";
    return valid ? in->now + valid : 0;
}


int
pt_http_cache_policy(const u_char *head, size_t len, size_t from,
    const pt_http_cache_policy_in_t *in, pt_http_cache_policy_t *out)
{
    pt_http_parse_t   p = { 0 };
    policy_fields_t   f = { 0 };

    memset(out, 0, sizeof(*out));
    p.pos = from;

    for ( ;; ) {
        int  rc = pt_http_parse_header_line(&p, head, len);

        if (rc == PT_DONE) {
            break;
        }

        if (rc != PT_OK) {
            return PT_ERROR;
        }

        policy_field(head + p.header_name_start,
                     p.header_name_end - p.header_name_start,
                     head + p.header_start, p.header_end - p.header_start,
                     in, &f, out);
    }

    /* Partial and interim responses are never stored. */
    if (in->status < 200 || in->status == 206 || in->status == 304) {
        out->why = "status";
        return PT_OK;
    }

    int64_t  valid = policy_valid(&f, in, &out->why);

    if (f.set_cookie) {
        out->why = "Set-Cookie";
        valid = 0;
    } else if (f.vary_star) {
        out->why = "Vary: *";
        valid = 0;
    }

    out->valid_sec = valid > in->now ? valid : 0;
    return PT_OK;
}
