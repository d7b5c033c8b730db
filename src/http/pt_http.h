/* SPDX-License-Identifier: BSD-2-Clause */
/* The HTTP layer's umbrella header: every HTTP file includes this. */
#ifndef PT_HTTP_H
#define PT_HTTP_H

#include "pt_event.h"

typedef struct pt_http_request_s     pt_http_request_t;
typedef struct pt_http_filter_s      pt_http_filter_t;
typedef struct pt_http_complex_value_s  pt_http_complex_value_t;

/* The conf structs of one level: indexed by module ctx_index. */
typedef struct {
    void  **main_conf;
    void  **srv_conf;
    void  **loc_conf;
} pt_http_conf_ctx_t;

#include "pt_http_parse.h"
#include "pt_http_variables.h"
#include "pt_http_request.h"
#include "pt_http_filter.h"
#include "pt_http_core_module.h"

/* HTTP module hooks (pt_module_t.ctx of PT_HTTP_MODULE modules). */
typedef struct {
    int     (*preconfiguration)(pt_conf_t *cf);     /* variables */
    int     (*postconfiguration)(pt_conf_t *cf);    /* phases, filters */
    size_t    main_conf_size;    /* 0: none; allocated zeroed by the engine */
    size_t    srv_conf_size;
    size_t    loc_conf_size;
    /* Optional hooks for what the table cannot describe. */
    int     (*init_main_conf)(pt_conf_t *cf, void *conf);
    int     (*merge_srv_conf)(pt_conf_t *cf, void *prev, void *conf);
    int     (*merge_loc_conf)(pt_conf_t *cf, void *prev, void *conf);
    int     (*create_loc_conf)(pt_conf_t *cf, void *conf);  /* post-alloc init */
} pt_http_module_t;

extern pt_module_t  pt_http_module;
extern pt_module_t  pt_http_core_module;

#define pt_http_get_module_main_conf(r, m)  (r)->main_conf[(m).ctx_index]
#define pt_http_get_module_srv_conf(r, m)   (r)->srv_conf[(m).ctx_index]
#define pt_http_get_module_loc_conf(r, m)   (r)->loc_conf[(m).ctx_index]
#define pt_http_get_module_ctx(r, m)        (r)->ctx[(m).ctx_index]
#define pt_http_set_ctx(r, c, m)            (r)->ctx[(m).ctx_index] = (c)

#define pt_http_conf_get_module_main_conf(cf, m)                             \
    ((pt_http_conf_ctx_t *) (cf)->ctx)->main_conf[(m).ctx_index]
#define pt_http_conf_get_module_srv_conf(cf, m)                              \
    ((pt_http_conf_ctx_t *) (cf)->ctx)->srv_conf[(m).ctx_index]
#define pt_http_conf_get_module_loc_conf(cf, m)                              \
    ((pt_http_conf_ctx_t *) (cf)->ctx)->loc_conf[(m).ctx_index]

/* Called by the listener on accept: sets up the first request. */
void pt_http_init_connection(pt_connection_t *c);

#endif /* PT_HTTP_H */
