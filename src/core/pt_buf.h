/* SPDX-License-Identifier: BSD-2-Clause */
/* Buffers (memory or file ranges) and the chains that link them. */
#ifndef PT_BUF_H
#define PT_BUF_H

typedef struct {
    int        fd;
    pt_str_t   name;
    off_t      size;        /* st_size when opened */
} pt_file_ref_t;

struct pt_buf_s {
    u_char          *pos;        /* memory: next byte to send/parse */
    u_char          *last;       /* memory: end of data */
    off_t            file_pos;   /* file: next offset to send */
    off_t            file_last;  /* file: end offset */
    u_char          *start;      /* start of the memory block */
    u_char          *end;        /* end of the memory block */
    pt_file_ref_t   *file;
    void            *tag;        /* who owns/allocated it */

    unsigned         temporary:1;   /* memory we may change */
    unsigned         memory:1;      /* read-only memory */
    unsigned         in_file:1;
    unsigned         flush:1;
    unsigned         last_buf:1;     /* last buffer of the response */
    unsigned         last_in_chain:1;
    unsigned         sync:1;         /* carries no data, only a signal */
};

struct pt_chain_s {
    pt_buf_t    *buf;
    pt_chain_t  *next;
};

#define pt_buf_in_memory(b)  ((b)->temporary || (b)->memory)
#define pt_buf_special(b)                                                    \
    (((b)->flush || (b)->last_buf || (b)->sync) && !pt_buf_in_memory(b)      \
     && !(b)->in_file)
#define pt_buf_size(b)                                                       \
    (pt_buf_in_memory(b) ? (off_t) ((b)->last - (b)->pos)                    \
                         : ((b)->file_last - (b)->file_pos))

/* A zeroed buffer header from pool; NULL on failure. */
pt_buf_t *pt_calloc_buf(pt_pool_t *pool);

/* A temporary buffer with size bytes of memory; NULL on failure. */
pt_buf_t *pt_create_temp_buf(pt_pool_t *pool, size_t size);

/* A chain link from pool; NULL on failure. */
pt_chain_t *pt_alloc_chain_link(pt_pool_t *pool);

/*
 * Appends copies of the links of in to *chain (buffers are shared, links
 * new, from pool); PT_OK or PT_ERROR.
 */
int pt_chain_add_copy(pt_pool_t *pool, pt_chain_t **chain, pt_chain_t *in);

/* Total bytes held by a chain. */
off_t pt_chain_size(const pt_chain_t *cl);

/*
 * Advances the chain past sent bytes and returns the first link not fully
 * sent (NULL when all was sent).
 */
pt_chain_t *pt_chain_update_sent(pt_chain_t *in, off_t sent);

#endif /* PT_BUF_H */
