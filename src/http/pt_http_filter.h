/* SPDX-License-Identifier: BSD-2-Clause */
/* The response filter chain: header and body filters ordered by stage. */
#ifndef PT_HTTP_FILTER_H
#define PT_HTTP_FILTER_H

/* Stages in the order a response passes them (DESIGN §7.5). */
typedef enum {
    PT_FILTER_NOT_MODIFIED = 0,
    PT_FILTER_RANGE,
    PT_FILTER_ENCODE,
    PT_FILTER_CHARSET,
    PT_FILTER_HEADERS,
    PT_FILTER_CHUNKED,
    PT_FILTER_WRITE,
    PT_FILTER_NSTAGES
} pt_http_filter_stage_e;

/* Header filter: inspect/modify r->headers_out, then call next. */
typedef int (*pt_http_header_filter_pt)(pt_http_request_t *r,
    const pt_http_filter_t *f);
/* Body filter: transform in, then pass output to next. */
typedef int (*pt_http_body_filter_pt)(pt_http_request_t *r,
    const pt_http_filter_t *f, pt_chain_t *in);

struct pt_http_filter_s {
    const char                 *name;
    pt_http_filter_stage_e      stage;
    pt_http_header_filter_pt    header;    /* NULL: none */
    pt_http_body_filter_pt      body;      /* NULL: none */
    unsigned                    index;     /* set by the chain builder */
};

/*
 * Registers a filter (postconfiguration).  Within a stage, registration
 * order decides.  PT_OK or PT_ERROR.
 */
int pt_http_filter_add(pt_conf_t *cf, const pt_http_filter_t *f);

/* Builds the chain arrays once every module has registered. */
int pt_http_filter_init(pt_conf_t *cf);

/* Entry points: the first header / body filter. */
int pt_http_send_header(pt_http_request_t *r);
int pt_http_output_filter(pt_http_request_t *r, pt_chain_t *in);

/* Call the next filter after f. */
int pt_http_next_header(pt_http_request_t *r, const pt_http_filter_t *f);
int pt_http_next_body(pt_http_request_t *r, const pt_http_filter_t *f,
    pt_chain_t *in);

/* Sends a complete in-memory body (one buffer, last_buf). */
int pt_http_send_body(pt_http_request_t *r, const u_char *data, size_t len);

#endif /* PT_HTTP_FILTER_H */
