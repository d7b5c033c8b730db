/* SPDX-License-Identifier: BSD-2-Clause */
/* A slab allocator for one shared-memory zone, linked only by offsets. */
#ifndef PT_SLAB_H
#define PT_SLAB_H

/*
 * Memory is carved into 4 KiB pages.  Objects up to half a page come from
 * size classes (8, 16 ... 2048 bytes), each class filling whole pages;
 * larger objects take runs of contiguous pages (first fit, neighbours
 * coalesced on free).  Every link (free lists, page lists) is a page index
 * or an offset, never a pointer, and every offset handed out is relative
 * to the zone base, so a zone mapped at another address (the next image
 * after a reload, or a second mapping) reads the same.
 *
 * No locking here: callers hold the zone's lock (pt_shm_zone_lock).
 */

#define PT_SLAB_PAGE_SHIFT  12
#define PT_SLAB_PAGE_SIZE   (1u << PT_SLAB_PAGE_SHIFT)
#define PT_SLAB_MIN_SHIFT   3
#define PT_SLAB_MAX_SHIFT   (PT_SLAB_PAGE_SHIFT - 1)
#define PT_SLAB_NCLASSES    (PT_SLAB_MAX_SHIFT - PT_SLAB_MIN_SHIFT + 1)
#define PT_SLAB_NONE        UINT32_MAX

typedef struct {
    uint32_t   next;       /* page index in a list, PT_SLAB_NONE at the end */
    uint32_t   prev;
    uint32_t   npages;     /* run head: length; free run tail: head index */
    uint16_t   free;       /* small page: first free chunk (in-page offset) */
    uint16_t   used;       /* small page: chunks handed out */
    uint8_t    type;       /* slab_page_e in pt_slab.c */
    uint8_t    shift;      /* small page: log2 of the chunk size */
    uint16_t   pad;
} pt_slab_page_t;

typedef struct {
    uint64_t   reqs;       /* allocations asked of this class */
    uint64_t   fails;      /* ... that found no memory */
    uint32_t   used;       /* chunks handed out */
    uint32_t   total;      /* chunks in the pages the class holds */
} pt_slab_stat_t;

typedef struct {
    uint32_t         self;        /* offset of this header from the base */
    uint32_t         pages;       /* offset of the page descriptors */
    uint32_t         start;       /* offset of page 0 (page-aligned) */
    uint32_t         npages;
    uint32_t         free_pages;
    uint32_t         free_head;   /* first free run */
    uint32_t         partial[PT_SLAB_NCLASSES];  /* pages with a free chunk */
    pt_slab_stat_t   stats[PT_SLAB_NCLASSES];
    uint64_t         page_reqs;   /* allocations larger than a class */
    uint64_t         page_fails;
} pt_slab_pool_t;

/*
 * Sets up sp, which lies self bytes after a page-aligned base, to manage
 * the rest of the size-byte region after it.  PT_OK, or PT_ERROR when not
 * even one page fits (or the region exceeds 4 GiB).
 */
int pt_slab_init(pt_slab_pool_t *sp, size_t self, size_t size);

/*
 * Allocates size bytes aligned to the smaller of their size class and a
 * page.  Returns the offset from the base, or 0 when the zone is full
 * (counted in the statistics; the owner may evict and retry).
 */
uint32_t pt_slab_alloc(pt_slab_pool_t *sp, size_t size);

/* Same, zero-filled. */
uint32_t pt_slab_calloc(pt_slab_pool_t *sp, size_t size);

/* Frees what pt_slab_alloc returned; 0 and foreign offsets are ignored. */
void pt_slab_free(pt_slab_pool_t *sp, uint32_t off);

/* Bytes in pages not given to any class or run. */
size_t pt_slab_free_bytes(const pt_slab_pool_t *sp);

/* The base address of the zone sp belongs to. */
static inline u_char *
pt_slab_base(const pt_slab_pool_t *sp)
{
    return (u_char *) sp - sp->self;
}

/* Address of an offset (0 gives NULL) and offset of an address. */
static inline void *
pt_slab_ptr(const pt_slab_pool_t *sp, uint32_t off)
{
    return off ? pt_slab_base(sp) + off : NULL;
}

static inline uint32_t
pt_slab_off(const pt_slab_pool_t *sp, const void *p)
{
    return p ? (uint32_t) ((const u_char *) p - pt_slab_base(sp)) : 0;
}

#endif /* PT_SLAB_H */
