/* SPDX-License-Identifier: BSD-2-Clause */
/* Conditional requests: 304 Not Modified and 412 Precondition Failed. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_etag.h"

/*
 * No directives of its own: it honours the core's if_modified_since
 * (off | exact | before) and works from the ETag and Last-Modified the
 * content handler set.
 *
 * Header filter at stage PT_FILTER_NOT_MODIFIED, for 200 responses unless
 * r->disable_not_modified, in RFC 9110 13.2.2's order:
 *   If-Match (strong) fails            -> 412
 *   else If-Unmodified-Since fails     -> 412   (only without If-Match)
 *   If-None-Match (weak) matches       -> 304
 *   else If-Modified-Since, only without If-None-Match: not modified
 *     (exact: the dates are equal; before: last_modified <= date) -> 304
 *
 * Contract relied upon for 412: a header filter may return an HTTP status
 * (>= 300) instead of PT_OK; it has then sent nothing, and the caller of
 * pt_http_send_header() (a content handler) returns that status to the
 * phase engine, which finalizes the request with it, i.e. calls
 * pt_http_special_response_handler(r, 412) - the way nginx's static module
 * propagates `rc > NGX_OK` from ngx_http_send_header().  The status is
 * also left in r->headers_out.status for whoever inspects it.
 */

static int not_modified_init(pt_conf_t *cf);


static const pt_http_module_t  not_modified_module_ctx = {
    .postconfiguration = not_modified_init,
};

pt_module_t  pt_http_not_modified_filter_module = {
    .name = "pt_http_not_modified_filter_module",
    .type = PT_HTTP_MODULE,
    .commands = NULL,
    .ctx = &not_modified_module_ctx,
};


/*
 * True when some value of header h (and of its repeats) matches the
 * response's ETag; false when the response has none.
 */
static bool
not_modified_etag_match(pt_http_request_t *r, pt_table_elt_t *h, bool weak)
{
    pt_str_t  *etag;

    if (r->headers_out.etag == NULL || r->headers_out.etag->hash == 0) {
        return false;
    }

    etag = &r->headers_out.etag->value;

    for ( /* void */ ; h != NULL; h = h->dup) {
        if (pt_http_etag_match(h->value.data, h->value.len, etag->data,
                               etag->len, weak))
        {
            return true;
        }
    }

    return false;
}


/* True when the representation changed after If-Unmodified-Since. */
static bool
not_modified_unmodified_fails(pt_http_request_t *r)
{
    time_t  iums;

    if (r->headers_out.last_modified_time == (time_t) -1) {
        return true;
    }

    iums = pt_parse_http_time(r->headers_in.if_unmodified_since->value.data,
                              r->headers_in.if_unmodified_since->value.len);

    if (iums == (time_t) -1) {
        /* an invalid date is ignored (RFC 9110 13.1.4) */
        return false;
    }

    return r->headers_out.last_modified_time > iums;
}


/* True when If-Modified-Since says the client's copy is current. */
static bool
not_modified_since(pt_http_request_t *r)
{
    time_t                    ims;
    pt_http_core_loc_conf_t  *clcf;

    if (r->headers_out.last_modified_time == (time_t) -1) {
        return false;
    }

    clcf = pt_http_get_module_loc_conf(r, pt_http_core_module);

    if (clcf->if_modified_since == PT_HTTP_IMS_OFF) {
        return false;
    }

    ims = pt_parse_http_time(r->headers_in.if_modified_since->value.data,
                             r->headers_in.if_modified_since->value.len);

    if (ims == (time_t) -1) {
        return false;
    }

    if (ims == r->headers_out.last_modified_time) {
        return true;
    }

    return clcf->if_modified_since == PT_HTTP_IMS_BEFORE
           && r->headers_out.last_modified_time < ims;
}


static int
not_modified_header_filter(pt_http_request_t *r, const pt_http_filter_t *f)
{
    bool  not_modified;

    if (r->headers_out.status != PT_HTTP_OK || r->disable_not_modified) {
        return pt_http_next_header(r, f);
    }

    if (r->headers_in.if_match != NULL) {
        if (!not_modified_etag_match(r, r->headers_in.if_match, false)) {
            r->headers_out.status = PT_HTTP_PRECONDITION_FAILED;
            return PT_HTTP_PRECONDITION_FAILED;
        }

    } else if (r->headers_in.if_unmodified_since != NULL
               && not_modified_unmodified_fails(r))
    {
        r->headers_out.status = PT_HTTP_PRECONDITION_FAILED;
        return PT_HTTP_PRECONDITION_FAILED;
    }

    if (r->headers_in.if_none_match != NULL) {
        not_modified = not_modified_etag_match(r, r->headers_in.if_none_match,
                                               true);

    } else if (r->headers_in.if_modified_since != NULL) {
        not_modified = not_modified_since(r);

    } else {
        not_modified = false;
    }

    if (!not_modified) {
        return pt_http_next_header(r, f);
    }

    /* 304 keeps ETag, Last-Modified, Cache-Control, Expires, Vary ... */

    r->headers_out.status = PT_HTTP_NOT_MODIFIED;
    r->headers_out.status_line.len = 0;
    r->headers_out.content_type.len = 0;
    r->headers_out.charset.len = 0;

    pt_http_clear_content_length(r);
    pt_http_clear_accept_ranges(r);

    if (r->headers_out.content_encoding != NULL) {
        r->headers_out.content_encoding->hash = 0;
        r->headers_out.content_encoding = NULL;
    }

    r->header_only = 1;

    return pt_http_next_header(r, f);
}


static int
not_modified_init(pt_conf_t *cf)
{
    return pt_http_filter_add(cf, &(pt_http_filter_t) {
        .name = "not_modified",
        .stage = PT_FILTER_NOT_MODIFIED,
        .header = not_modified_header_filter,
        .body = NULL,
    });
}
