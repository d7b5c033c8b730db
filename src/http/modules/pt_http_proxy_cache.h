/* SPDX-License-Identifier: BSD-2-Clause */
/* proxy_cache: the proxy's side of the response cache. */
#ifndef PT_HTTP_PROXY_CACHE_H
#define PT_HTTP_PROXY_CACHE_H

#include "pt_http_cache.h"
#include "pt_http_cache_file.h"
#include "pt_http_cache_policy.h"

/* proxy_cache_use_stale: the PROXY_NEXT_* bits plus these. */
#define PROXY_STALE_UPDATING   0x10000

typedef struct {
    pt_array_t   caches;               /* pt_http_cache_t * */
} proxy_cache_main_conf_t;

typedef struct {
    int                        enable;       /* -1 unset, 0 off, 1 on */
    pt_shm_zone_t             *zone;         /* proxy_cache NAME: ->data */
    pt_http_complex_value_t   *cache_cv;     /* proxy_cache $var */
    pt_http_complex_value_t   *key;          /* NULL: the default */
    pt_array_t                *valid;        /* pt_http_cache_valid_t */
    pt_array_t                *bypass;       /* pt_http_complex_value_t */
    pt_array_t                *no_cache;
    pt_array_t                *purge;
    int                        methods;      /* PT_HTTP_M_* */
    int                        min_uses;
    int                        convert_head;
    int                        ignore_headers;
    off_t                      max_range_offset;
    int                        lock;
    pt_msec_t                  lock_timeout;
    pt_msec_t                  lock_age;
    int                        use_stale;    /* PROXY_NEXT_*, UPDATING */
    int                        background_update;
    int                        revalidate;
} proxy_cache_conf_t;

typedef enum {
    PROXY_CACHE_NONE = 0,
    PROXY_CACHE_MISS,
    PROXY_CACHE_BYPASS,
    PROXY_CACHE_EXPIRED,
    PROXY_CACHE_STALE,
    PROXY_CACHE_UPDATING,
    PROXY_CACHE_REVALIDATED,
    PROXY_CACHE_HIT
} proxy_cache_status_e;

/* A request's dealings with the cache. */
struct proxy_cache_ctx_s {
    proxy_cache_conf_t       *conf;
    pt_http_cache_t          *cache;
    pt_str_t                  main_key;
    pt_http_cache_lookup_t    lk;           /* lk.key: with the variant */
    proxy_cache_status_e      status;
    pt_http_cache_file_t      file;         /* a stored copy, fd -1: none */
    pt_http_cache_tmp_t       tmp;          /* being written, fd -1: none */
    pt_str_t                  vary;         /* of the response stored */
    pt_str_t                  store_key;    /* what it is stored under */
    int64_t                   valid_sec;
    pt_str_t                  cond_lines;   /* If-None-Match ... to send */
    pt_event_t                wait_ev;      /* proxy_cache_lock */
    pt_msec_t                 wait_start;
    pt_msec_t                 wait_delay;
    unsigned                  store:1;      /* may store the response */
    unsigned                  storing:1;    /* tmp is open */
    unsigned                  background:1; /* client has its answer */
    unsigned                  convert_head:1;
    unsigned                  served:1;     /* answered from the cache */
    unsigned                  pass_range:1; /* max_range_offset: as asked */
    unsigned                  adopt_tried:1; /* looked on disk (cold) */
};

extern pt_module_t  pt_http_proxy_cache_module;

/* The proxy_cache_path whose keys_zone is name, or NULL. */
pt_http_cache_t *pt_http_proxy_cache_find(pt_http_request_t *r,
    const pt_str_t *name);

/* Any value non-empty and not "0" (proxy_cache_bypass, no_cache, purge). */
int pt_http_proxy_cache_test(pt_http_request_t *r, const pt_array_t *cvs);

/* Request side (pt_http_proxy_cache.c). */

/* The main key plus "\nName:value;" for each field names lists. */
int pt_http_proxy_cache_variant_key(pt_http_request_t *r,
    const pt_str_t *main_key, const pt_str_t *names, pt_str_t *key);

/*
 * Answers from the stored copy open in ctx->cache->file with status;
 * PT_DECLINED (nothing sent) when the copy proves unusable.
 */
int pt_http_proxy_cache_send(proxy_ctx_t *ctx, proxy_cache_status_e status);

/* Response side (pt_http_proxy_cache_store.c): see pt_http_proxy.h. */

#endif /* PT_HTTP_PROXY_CACHE_H */
