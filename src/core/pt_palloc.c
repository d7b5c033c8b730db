/* SPDX-License-Identifier: BSD-2-Clause */
/* Region pools: bump allocation in chained blocks, large allocations aside. */
#include "pt_config.h"
#include "pt_core.h"


/* A block that failed this many times is skipped by later allocations. */
#define POOL_BLOCK_MAX_FAILED  4

/* Alignment of the blocks themselves (malloc's guarantee is enough). */
#define POOL_BLOCK_ALIGNMENT   16


static void *palloc_small(pt_pool_t *pool, size_t size, bool align);
static void *palloc_block(pt_pool_t *pool, size_t size);
static void *palloc_large(pt_pool_t *pool, size_t size);


/*
 * Creates a pool of one size-byte block holding the pool header itself;
 * sizes too small for the header are raised.  NULL on failure.
 */
pt_pool_t *
pt_create_pool(size_t size, pt_log_t *log)
{
    pt_pool_t  *p;
    void       *m;
    size_t      min;

    min = sizeof(pt_pool_t) + 2 * PT_ALIGNMENT;

    if (size < min) {
        size = min;
    }

    if (posix_memalign(&m, POOL_BLOCK_ALIGNMENT, size) != 0) {
        return NULL;
    }

    p = m;

    p->d.last = (u_char *) p + sizeof(pt_pool_t);
    p->d.end = (u_char *) p + size;
    p->d.next = NULL;
    p->d.failed = 0;

    size -= sizeof(pt_pool_t);
    p->max = pt_min(size, (size_t) PT_MAX_ALLOC_FROM_POOL);

    p->current = &p->d;
    p->large = NULL;
    p->cleanup = NULL;
    p->log = log;

    return p;
}


/* Runs the cleanups newest first, then frees large allocations and blocks. */
void
pt_destroy_pool(pt_pool_t *pool)
{
    pt_pool_cleanup_t  *c;
    pt_pool_large_t    *l;
    pt_pool_block_t    *b, *n;

    if (pool == NULL) {
        return;
    }

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    /* large headers live in the blocks: free them before the blocks */
    for (l = pool->large; l; l = l->next) {
        free(l->alloc);
    }

    for (b = pool->d.next; b; b = n) {
        n = b->next;
        free(b);
    }

    free(pool);
}


/* Frees large allocations and rewinds every block; cleanups are kept as is. */
void
pt_reset_pool(pt_pool_t *pool)
{
    pt_pool_large_t  *l;
    pt_pool_block_t  *b;

    for (l = pool->large; l; l = l->next) {
        free(l->alloc);
    }

    pool->d.last = (u_char *) pool + sizeof(pt_pool_t);
    pool->d.failed = 0;

    for (b = pool->d.next; b; b = b->next) {
        b->last = (u_char *) b + sizeof(pt_pool_block_t);
        b->failed = 0;
    }

    pool->current = &pool->d;
    pool->large = NULL;

    /* the cleanup records lived in the rewound blocks */
    pool->cleanup = NULL;
}


/* size bytes aligned to PT_ALIGNMENT; NULL on failure. */
void *
pt_palloc(pt_pool_t *pool, size_t size)
{
    if (size <= pool->max) {
        return palloc_small(pool, size, true);
    }

    return palloc_large(pool, size);
}


/* size bytes without alignment (strings); NULL on failure. */
void *
pt_pnalloc(pt_pool_t *pool, size_t size)
{
    if (size <= pool->max) {
        return palloc_small(pool, size, false);
    }

    return palloc_large(pool, size);
}


/* size zeroed bytes, aligned; NULL on failure. */
void *
pt_pcalloc(pt_pool_t *pool, size_t size)
{
    void  *p;

    p = pt_palloc(pool, size);

    if (p) {
        memset(p, 0, size);
    }

    return p;
}


static void *
palloc_small(pt_pool_t *pool, size_t size, bool align)
{
    u_char           *m;
    pt_pool_block_t  *b;

    for (b = pool->current; b; b = b->next) {
        m = b->last;

        if (align) {
            m = pt_align_ptr(m, PT_ALIGNMENT);
        }

        if (m <= b->end && (size_t) (b->end - m) >= size) {
            b->last = m + size;
            return m;
        }
    }

    return palloc_block(pool, size);
}


/* Adds a block as large as the first one and allocates size bytes in it. */
static void *
palloc_block(pt_pool_t *pool, size_t size)
{
    u_char           *m;
    size_t            bsize;
    void             *mem;
    pt_pool_block_t  *b, *nb;

    bsize = (size_t) (pool->d.end - (u_char *) pool);

    if (bsize < sizeof(pt_pool_block_t) + PT_ALIGNMENT + size) {
        bsize = sizeof(pt_pool_block_t) + PT_ALIGNMENT + size;
    }

    if (posix_memalign(&mem, POOL_BLOCK_ALIGNMENT, bsize) != 0) {
        return NULL;
    }

    nb = mem;
    nb->end = (u_char *) nb + bsize;
    nb->next = NULL;
    nb->failed = 0;

    m = pt_align_ptr((u_char *) nb + sizeof(pt_pool_block_t), PT_ALIGNMENT);
    nb->last = m + size;

    /* every block that could not serve this request failed once more */
    for (b = pool->current; b->next; b = b->next) {
        if (b->failed++ > POOL_BLOCK_MAX_FAILED) {
            pool->current = b->next;
        }
    }

    b->next = nb;

    return m;
}


static void *
palloc_large(pt_pool_t *pool, size_t size)
{
    void             *p;
    unsigned          n;
    pt_pool_large_t  *l;

    p = malloc(size);
    if (p == NULL) {
        return NULL;
    }

    /* reuse a header freed by pt_pfree() near the head of the list */
    n = 0;

    for (l = pool->large; l; l = l->next) {
        if (l->alloc == NULL) {
            l->alloc = p;
            return p;
        }

        if (n++ > 3) {
            break;
        }
    }

    l = palloc_small(pool, sizeof(pt_pool_large_t), true);
    if (l == NULL) {
        free(p);
        return NULL;
    }

    l->alloc = p;
    l->next = pool->large;
    pool->large = l;

    return p;
}


/* Frees the large allocation p now; PT_DECLINED when p is not one. */
int
pt_pfree(pt_pool_t *pool, void *p)
{
    pt_pool_large_t  *l;

    if (p == NULL) {
        return PT_DECLINED;
    }

    for (l = pool->large; l; l = l->next) {
        if (l->alloc == p) {
            free(l->alloc);
            l->alloc = NULL;
            return PT_OK;
        }
    }

    return PT_DECLINED;
}


/*
 * Adds a cleanup record at the head of the list (so destruction runs the
 * newest first) with size bytes of data when size > 0.  The caller sets
 * handler (and data when size is 0).  NULL on failure.
 */
pt_pool_cleanup_t *
pt_pool_cleanup_add(pt_pool_t *p, size_t size)
{
    pt_pool_cleanup_t  *c;

    c = pt_palloc(p, sizeof(pt_pool_cleanup_t));
    if (c == NULL) {
        return NULL;
    }

    if (size) {
        c->data = pt_palloc(p, size);
        if (c->data == NULL) {
            return NULL;
        }

    } else {
        c->data = NULL;
    }

    c->handler = NULL;
    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}


/* NUL-terminated copy of src in pool; NULL on failure. */
u_char *
pt_pstrdup(pt_pool_t *pool, const pt_str_t *src)
{
    u_char  *d;

    d = pt_pnalloc(pool, src->len + 1);
    if (d == NULL) {
        return NULL;
    }

    if (src->len) {
        memcpy(d, src->data, src->len);
    }

    d[src->len] = '\0';

    return d;
}


/* Sets dst to a NUL-terminated pool copy of [src, src+len); PT_OK/PT_ERROR. */
int
pt_pstr_copy(pt_pool_t *pool, pt_str_t *dst, const u_char *src, size_t len)
{
    u_char  *d;

    d = pt_pnalloc(pool, len + 1);
    if (d == NULL) {
        return PT_ERROR;
    }

    if (len) {
        memcpy(d, src, len);
    }

    d[len] = '\0';

    dst->data = d;
    dst->len = len;

    return PT_OK;
}
