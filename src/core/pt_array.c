/* SPDX-License-Identifier: BSD-2-Clause */
/* Growable arrays whose storage comes from a pool and doubles when full. */
#include "pt_config.h"
#include "pt_core.h"


/* Creates an array for n elements of size bytes in pool; NULL on failure. */
pt_array_t *
pt_array_create(pt_pool_t *pool, size_t n, size_t size)
{
    pt_array_t  *a;

    a = pt_palloc(pool, sizeof(pt_array_t));
    if (a == NULL) {
        return NULL;
    }

    if (pt_array_init(a, pool, n, size) != PT_OK) {
        return NULL;
    }

    return a;
}


/* Initialises a in place with room for n elements; PT_OK or PT_ERROR. */
int
pt_array_init(pt_array_t *a, pt_pool_t *pool, size_t n, size_t size)
{
    a->nelts = 0;
    a->size = size;
    a->nalloc = n;
    a->pool = pool;
    a->elts = NULL;

    if (size == 0 || (n && n > SIZE_MAX / size)) {
        return PT_ERROR;
    }

    if (n == 0) {
        return PT_OK;
    }

    a->elts = pt_palloc(pool, n * size);
    if (a->elts == NULL) {
        return PT_ERROR;
    }

    return PT_OK;
}


static int
array_grow(pt_array_t *a, size_t need)
{
    void    *new;
    size_t   nalloc;

    nalloc = a->nalloc ? a->nalloc : 1;

    while (nalloc < need) {
        if (nalloc > SIZE_MAX / 2) {
            return PT_ERROR;
        }

        nalloc *= 2;
    }

    if (nalloc > SIZE_MAX / a->size) {
        return PT_ERROR;
    }

    /* the old storage stays in the pool until the pool goes */
    new = pt_palloc(a->pool, nalloc * a->size);
    if (new == NULL) {
        return PT_ERROR;
    }

    if (a->nelts) {
        memcpy(new, a->elts, a->nelts * a->size);
    }

    a->elts = new;
    a->nalloc = nalloc;

    return PT_OK;
}


/* Room for one more element at the end (not zeroed); NULL on failure. */
void *
pt_array_push(pt_array_t *a)
{
    return pt_array_push_n(a, 1);
}


/* Room for n more elements at the end (not zeroed); NULL on failure. */
void *
pt_array_push_n(pt_array_t *a, size_t n)
{
    void  *elt;

    if (n > SIZE_MAX - a->nelts) {
        return NULL;
    }

    if (a->nelts + n > a->nalloc) {
        if (array_grow(a, pt_max(a->nelts + n, 2 * a->nalloc)) != PT_OK) {
            return NULL;
        }
    }

    elt = (u_char *) a->elts + a->size * a->nelts;
    a->nelts += n;

    return elt;
}
