/* SPDX-License-Identifier: BSD-2-Clause */
/* Buffer and chain allocation, sizing and advancing past sent bytes. */
#include "pt_config.h"
#include "pt_core.h"


/* A zeroed buffer header from pool; NULL on failure. */
pt_buf_t *
pt_calloc_buf(pt_pool_t *pool)
{
    return pt_pcalloc(pool, sizeof(pt_buf_t));
}


/* A temporary (writable) buffer of size bytes from pool; NULL on failure. */
pt_buf_t *
pt_create_temp_buf(pt_pool_t *pool, size_t size)
{
    pt_buf_t  *b;

    b = pt_calloc_buf(pool);
    if (b == NULL) {
        return NULL;
    }

    b->start = pt_palloc(pool, size);
    if (b->start == NULL) {
        return NULL;
    }

    b->pos = b->start;
    b->last = b->start;
    b->end = b->start + size;
    b->temporary = 1;

    return b;
}


/* A chain link from pool (buf and next unset); NULL on failure. */
pt_chain_t *
pt_alloc_chain_link(pt_pool_t *pool)
{
    pt_chain_t  *cl;

    cl = pt_palloc(pool, sizeof(pt_chain_t));
    if (cl == NULL) {
        return NULL;
    }

    cl->buf = NULL;
    cl->next = NULL;

    return cl;
}


/* Appends new links (sharing in's buffers) to *chain; PT_OK or PT_ERROR. */
int
pt_chain_add_copy(pt_pool_t *pool, pt_chain_t **chain, pt_chain_t *in)
{
    pt_chain_t  *cl, **ll;

    ll = chain;

    for (cl = *chain; cl; cl = cl->next) {
        ll = &cl->next;
    }

    for ( /* void */ ; in; in = in->next) {
        cl = pt_alloc_chain_link(pool);
        if (cl == NULL) {
            *ll = NULL;
            return PT_ERROR;
        }

        cl->buf = in->buf;
        *ll = cl;
        ll = &cl->next;
    }

    *ll = NULL;

    return PT_OK;
}


/* Bytes still to send in the chain; special buffers count for nothing. */
off_t
pt_chain_size(const pt_chain_t *cl)
{
    off_t  size;

    for (size = 0; cl; cl = cl->next) {
        if (cl->buf == NULL || pt_buf_special(cl->buf)) {
            continue;
        }

        size += pt_buf_size(cl->buf);
    }

    return size;
}


/*
 * Marks sent bytes as consumed (pos/file_pos advanced) and returns the
 * first link with data left, or NULL when everything was sent.  Special
 * (data-less) buffers before that point are passed over.
 */
pt_chain_t *
pt_chain_update_sent(pt_chain_t *in, off_t sent)
{
    off_t      size;
    pt_buf_t  *b;

    for ( /* void */ ; in; in = in->next) {
        b = in->buf;

        if (b == NULL || pt_buf_special(b)) {
            continue;
        }

        size = pt_buf_size(b);

        if (size == 0) {
            continue;
        }

        if (sent == 0) {
            break;
        }

        if (sent >= size) {
            sent -= size;

            if (pt_buf_in_memory(b)) {
                b->pos = b->last;
            }

            if (b->in_file) {
                b->file_pos = b->file_last;
            }

            continue;
        }

        if (pt_buf_in_memory(b)) {
            b->pos += (size_t) sent;
        }

        if (b->in_file) {
            b->file_pos += sent;
        }

        break;
    }

    return in;
}
