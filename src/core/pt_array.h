/* SPDX-License-Identifier: BSD-2-Clause */
/* Growable arrays allocated from a pool. */
#ifndef PT_ARRAY_H
#define PT_ARRAY_H

struct pt_array_s {
    void       *elts;
    size_t      nelts;
    size_t      size;
    size_t      nalloc;
    pt_pool_t  *pool;
};

/* Creates an array of n elements of size bytes in pool; NULL on failure. */
pt_array_t *pt_array_create(pt_pool_t *pool, size_t n, size_t size);

/* Initialises an array in place; PT_OK or PT_ERROR. */
int pt_array_init(pt_array_t *a, pt_pool_t *pool, size_t n, size_t size);

/*
 * Returns room for one (or n) more element(s) at the end, growing the
 * array (doubling) in its pool; NULL on allocation failure.  The memory is
 * not zeroed.
 */
void *pt_array_push(pt_array_t *a);
void *pt_array_push_n(pt_array_t *a, size_t n);

#endif /* PT_ARRAY_H */
