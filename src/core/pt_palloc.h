/* SPDX-License-Identifier: BSD-2-Clause */
/* Region pools: many small allocations freed at once, with cleanups. */
#ifndef PT_PALLOC_H
#define PT_PALLOC_H

#define PT_POOL_DEFAULT_SIZE  (16 * 1024)
#define PT_MAX_ALLOC_FROM_POOL  4095

typedef void (*pt_pool_cleanup_pt)(void *data);

typedef struct pt_pool_cleanup_s  pt_pool_cleanup_t;

struct pt_pool_cleanup_s {
    pt_pool_cleanup_pt   handler;
    void                *data;
    pt_pool_cleanup_t   *next;
};

typedef struct pt_pool_large_s  pt_pool_large_t;

struct pt_pool_large_s {
    pt_pool_large_t  *next;
    void             *alloc;
};

typedef struct pt_pool_block_s  pt_pool_block_t;

struct pt_pool_block_s {
    u_char           *last;
    u_char           *end;
    pt_pool_block_t  *next;
    unsigned          failed;
};

struct pt_pool_s {
    pt_pool_block_t     d;         /* first block; data follows the pool */
    size_t              max;       /* larger requests go to malloc */
    pt_pool_block_t    *current;
    pt_pool_large_t    *large;
    pt_pool_cleanup_t  *cleanup;
    pt_log_t           *log;
};

/* Creates a pool whose first block is size bytes; NULL on failure. */
pt_pool_t *pt_create_pool(size_t size, pt_log_t *log);

/* Runs cleanups (newest first) and frees everything. NULL is allowed. */
void pt_destroy_pool(pt_pool_t *pool);

/*
 * Frees large allocations and rewinds blocks; cleanups are not run but
 * dropped (their records lived in the rewound blocks).
 */
void pt_reset_pool(pt_pool_t *pool);

/* Aligned, unaligned and zeroed allocation; NULL on failure. */
void *pt_palloc(pt_pool_t *pool, size_t size);
void *pt_pnalloc(pt_pool_t *pool, size_t size);
void *pt_pcalloc(pt_pool_t *pool, size_t size);

/* Frees a large allocation early; PT_DECLINED if p is not one. */
int pt_pfree(pt_pool_t *pool, void *p);

/*
 * Registers a cleanup; with size > 0 also allocates size bytes for its
 * data.  The handler must be set by the caller.  NULL on failure.
 */
pt_pool_cleanup_t *pt_pool_cleanup_add(pt_pool_t *p, size_t size);

/* Copies a string into the pool (NUL-terminated); NULL on failure. */
u_char *pt_pstrdup(pt_pool_t *pool, const pt_str_t *src);

/* Copies into dst->data from the pool; PT_OK or PT_ERROR. */
int pt_pstr_copy(pt_pool_t *pool, pt_str_t *dst, const u_char *src, size_t len);

#endif /* PT_PALLOC_H */
