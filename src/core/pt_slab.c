/* SPDX-License-Identifier: BSD-2-Clause */
/* Slab allocator: size classes inside pages, page runs, offset links only. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_slab.h"

typedef enum {
    SLAB_PAGE_FREE = 0,    /* head of a free run */
    SLAB_PAGE_FREE_TAIL,   /* last page of a free run (npages: its head) */
    SLAB_PAGE_FREE_INNER,  /* inside a free run */
    SLAB_PAGE_SMALL,       /* holds chunks of one class */
    SLAB_PAGE_RUN,         /* head of an allocated run */
    SLAB_PAGE_RUN_CONT     /* inside an allocated run */
} slab_page_e;

#define SLAB_CHUNK_NONE  UINT16_MAX


static pt_slab_page_t *
slab_desc(const pt_slab_pool_t *sp, uint32_t i)
{
    return (pt_slab_page_t *) (pt_slab_base(sp) + sp->pages) + i;
}


static u_char *
slab_page_addr(const pt_slab_pool_t *sp, uint32_t i)
{
    return pt_slab_base(sp) + sp->start + ((size_t) i << PT_SLAB_PAGE_SHIFT);
}


/* Doubly-linked page lists whose head is a uint32_t page index. */
static void
slab_list_push(pt_slab_pool_t *sp, uint32_t *head, uint32_t i)
{
    pt_slab_page_t  *d = slab_desc(sp, i);

    d->prev = PT_SLAB_NONE;
    d->next = *head;
    if (*head != PT_SLAB_NONE) {
        slab_desc(sp, *head)->prev = i;
    }
    *head = i;
}


static void
slab_list_remove(pt_slab_pool_t *sp, uint32_t *head, uint32_t i)
{
    pt_slab_page_t  *d = slab_desc(sp, i);

    if (d->prev != PT_SLAB_NONE) {
        slab_desc(sp, d->prev)->next = d->next;
    } else {
        *head = d->next;
    }

    if (d->next != PT_SLAB_NONE) {
        slab_desc(sp, d->next)->prev = d->prev;
    }

    d->next = d->prev = PT_SLAB_NONE;
}


/* Marks [i, i + n) as one free run and lists it. */
static void
slab_set_free_run(pt_slab_pool_t *sp, uint32_t i, uint32_t n)
{
    pt_slab_page_t  *d = slab_desc(sp, i);

    d->type = SLAB_PAGE_FREE;
    d->npages = n;

    if (n > 1) {
        pt_slab_page_t  *tail = slab_desc(sp, i + n - 1);

        tail->type = SLAB_PAGE_FREE_TAIL;
        tail->npages = i;
    }

    slab_list_push(sp, &sp->free_head, i);
}


int
pt_slab_init(pt_slab_pool_t *sp, size_t self, size_t size)
{
    size_t    used = self + sizeof(pt_slab_pool_t), n;
    uint32_t  start;

    if (size > UINT32_MAX || size <= used) {
        return PT_ERROR;
    }

    n = (size - used) / (PT_SLAB_PAGE_SIZE + sizeof(pt_slab_page_t));

    for ( ;; ) {
        if (n == 0) {
            return PT_ERROR;
        }

        start = (uint32_t) pt_align(used + n * sizeof(pt_slab_page_t),
                                    (size_t) PT_SLAB_PAGE_SIZE);

        if ((size_t) start + (n << PT_SLAB_PAGE_SHIFT) <= size) {
            break;
        }
        n--;
    }

    memset(sp, 0, sizeof(pt_slab_pool_t));
    sp->self = (uint32_t) self;
    sp->pages = (uint32_t) pt_align(used, sizeof(uint32_t));
    sp->start = start;
    sp->npages = (uint32_t) n;
    sp->free_pages = (uint32_t) n;
    sp->free_head = PT_SLAB_NONE;

    for (size_t c = 0; c < PT_SLAB_NCLASSES; c++) {
        sp->partial[c] = PT_SLAB_NONE;
    }

    memset(slab_desc(sp, 0), 0, n * sizeof(pt_slab_page_t));
    for (uint32_t i = 0; i < n; i++) {
        slab_desc(sp, i)->type = SLAB_PAGE_FREE_INNER;
    }

    slab_set_free_run(sp, 0, (uint32_t) n);
    return PT_OK;
}


/* Takes n contiguous pages (first fit); PT_SLAB_NONE when none. */
static uint32_t
slab_alloc_pages(pt_slab_pool_t *sp, uint32_t n)
{
    for (uint32_t i = sp->free_head; i != PT_SLAB_NONE;
         i = slab_desc(sp, i)->next)
    {
        pt_slab_page_t  *d = slab_desc(sp, i);
        uint32_t         have = d->npages;

        if (have < n) {
            continue;
        }

        slab_list_remove(sp, &sp->free_head, i);

        if (have > n) {
            slab_set_free_run(sp, i + n, have - n);
        }

        d->type = SLAB_PAGE_RUN;
        d->npages = n;
        for (uint32_t k = 1; k < n; k++) {
            slab_desc(sp, i + k)->type = SLAB_PAGE_RUN_CONT;
        }

        sp->free_pages -= n;
        return i;
    }

    return PT_SLAB_NONE;
}


/* Returns the run [i, i + n) to the free list, merging with neighbours. */
static void
slab_free_pages(pt_slab_pool_t *sp, uint32_t i, uint32_t n)
{
    sp->free_pages += n;

    for (uint32_t k = 0; k < n; k++) {
        slab_desc(sp, i + k)->type = SLAB_PAGE_FREE_INNER;
    }

    if (i + n < sp->npages && slab_desc(sp, i + n)->type == SLAB_PAGE_FREE) {
        pt_slab_page_t  *next = slab_desc(sp, i + n);
        uint32_t         m = next->npages;

        slab_list_remove(sp, &sp->free_head, i + n);
        next->type = SLAB_PAGE_FREE_INNER;
        slab_desc(sp, i + n + m - 1)->type = SLAB_PAGE_FREE_INNER;
        n += m;
    }

    if (i > 0) {
        pt_slab_page_t  *prev = slab_desc(sp, i - 1);
        uint32_t         h = PT_SLAB_NONE;

        if (prev->type == SLAB_PAGE_FREE) {
            h = i - 1;
        } else if (prev->type == SLAB_PAGE_FREE_TAIL) {
            h = prev->npages;
        }

        if (h != PT_SLAB_NONE) {
            slab_list_remove(sp, &sp->free_head, h);
            prev->type = SLAB_PAGE_FREE_INNER;
            n += slab_desc(sp, h)->npages;
            i = h;
        }
    }

    slab_set_free_run(sp, i, n);
}


/* Gives a fresh page to class c, its chunks chained through their bytes. */
static uint32_t
slab_new_small_page(pt_slab_pool_t *sp, size_t c)
{
    uint32_t  i = slab_alloc_pages(sp, 1);
    unsigned  shift = (unsigned) c + PT_SLAB_MIN_SHIFT;
    size_t    nchunks = PT_SLAB_PAGE_SIZE >> shift;

    if (i == PT_SLAB_NONE) {
        return PT_SLAB_NONE;
    }

    pt_slab_page_t  *d = slab_desc(sp, i);
    u_char          *page = slab_page_addr(sp, i);

    d->type = SLAB_PAGE_SMALL;
    d->shift = (uint8_t) shift;
    d->used = 0;
    d->free = 0;

    for (size_t k = 0; k < nchunks; k++) {
        uint16_t  next = k + 1 < nchunks ? (uint16_t) ((k + 1) << shift)
                                         : SLAB_CHUNK_NONE;

        memcpy(page + (k << shift), &next, sizeof(next));
    }

    sp->stats[c].total += (uint32_t) nchunks;
    slab_list_push(sp, &sp->partial[c], i);
    return i;
}


static uint32_t
slab_alloc_small(pt_slab_pool_t *sp, size_t c)
{
    uint32_t  i = sp->partial[c];

    if (i == PT_SLAB_NONE) {
        i = slab_new_small_page(sp, c);
        if (i == PT_SLAB_NONE) {
            sp->stats[c].fails++;
            return 0;
        }
    }

    pt_slab_page_t  *d = slab_desc(sp, i);
    u_char          *chunk = slab_page_addr(sp, i) + d->free;

    memcpy(&d->free, chunk, sizeof(d->free));
    d->used++;
    sp->stats[c].used++;

    if (d->free == SLAB_CHUNK_NONE) {
        slab_list_remove(sp, &sp->partial[c], i);
    }

    return pt_slab_off(sp, chunk);
}


uint32_t
pt_slab_alloc(pt_slab_pool_t *sp, size_t size)
{
    if (size > PT_SLAB_PAGE_SIZE / 2) {
        size_t    n = (size + PT_SLAB_PAGE_SIZE - 1) >> PT_SLAB_PAGE_SHIFT;
        uint32_t  i = n <= sp->npages ? slab_alloc_pages(sp, (uint32_t) n)
                                      : PT_SLAB_NONE;

        sp->page_reqs++;
        if (i == PT_SLAB_NONE) {
            sp->page_fails++;
            return 0;
        }

        return pt_slab_off(sp, slab_page_addr(sp, i));
    }

    unsigned  shift = PT_SLAB_MIN_SHIFT;

    while (((size_t) 1 << shift) < size) {
        shift++;
    }

    size_t  c = shift - PT_SLAB_MIN_SHIFT;

    sp->stats[c].reqs++;
    return slab_alloc_small(sp, c);
}


uint32_t
pt_slab_calloc(pt_slab_pool_t *sp, size_t size)
{
    uint32_t  off = pt_slab_alloc(sp, size);

    if (off) {
        memset(pt_slab_ptr(sp, off), 0, size);
    }

    return off;
}


static void
slab_free_small(pt_slab_pool_t *sp, uint32_t i, uint16_t in_page)
{
    pt_slab_page_t  *d = slab_desc(sp, i);
    size_t           c = d->shift - PT_SLAB_MIN_SHIFT;
    bool             was_full = d->free == SLAB_CHUNK_NONE;

    if ((in_page & ((1u << d->shift) - 1)) != 0 || d->used == 0) {
        return;     /* not the start of a chunk we handed out */
    }

    memcpy(slab_page_addr(sp, i) + in_page, &d->free, sizeof(d->free));
    d->free = in_page;
    d->used--;
    sp->stats[c].used--;

    if (d->used == 0) {
        /* An empty page goes back to the common pool for any class. */
        if (!was_full) {
            slab_list_remove(sp, &sp->partial[c], i);
        }
        sp->stats[c].total -= PT_SLAB_PAGE_SIZE >> d->shift;
        slab_free_pages(sp, i, 1);
        return;
    }

    if (was_full) {
        slab_list_push(sp, &sp->partial[c], i);
    }
}


void
pt_slab_free(pt_slab_pool_t *sp, uint32_t off)
{
    if (off < sp->start) {
        return;
    }

    size_t  rel = off - sp->start;
    size_t  i = rel >> PT_SLAB_PAGE_SHIFT;

    if (i >= sp->npages) {
        return;
    }

    pt_slab_page_t  *d = slab_desc(sp, (uint32_t) i);

    if (d->type == SLAB_PAGE_SMALL) {
        slab_free_small(sp, (uint32_t) i,
                        (uint16_t) (rel & (PT_SLAB_PAGE_SIZE - 1)));

    } else if (d->type == SLAB_PAGE_RUN
               && (rel & (PT_SLAB_PAGE_SIZE - 1)) == 0)
    {
        slab_free_pages(sp, (uint32_t) i, d->npages);
    }
}


size_t
pt_slab_free_bytes(const pt_slab_pool_t *sp)
{
    return (size_t) sp->free_pages << PT_SLAB_PAGE_SHIFT;
}
