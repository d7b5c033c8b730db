/* SPDX-License-Identifier: BSD-2-Clause */
/* Intrusive circular doubly linked queue; a sentinel heads each queue. */
#ifndef PT_QUEUE_H
#define PT_QUEUE_H

typedef struct pt_queue_s  pt_queue_t;

struct pt_queue_s {
    pt_queue_t  *prev;
    pt_queue_t  *next;
};

static inline void
pt_queue_init(pt_queue_t *q)
{
    q->prev = q;
    q->next = q;
}

static inline bool
pt_queue_empty(const pt_queue_t *h)
{
    return h == h->prev;
}

static inline void
pt_queue_insert_head(pt_queue_t *h, pt_queue_t *x)
{
    x->next = h->next;
    x->next->prev = x;
    x->prev = h;
    h->next = x;
}

static inline void
pt_queue_insert_tail(pt_queue_t *h, pt_queue_t *x)
{
    x->prev = h->prev;
    x->prev->next = x;
    x->next = h;
    h->prev = x;
}

static inline void
pt_queue_remove(pt_queue_t *x)
{
    x->next->prev = x->prev;
    x->prev->next = x->next;
    x->prev = NULL;
    x->next = NULL;
}

#define pt_queue_head(h)      (h)->next
#define pt_queue_last(h)      (h)->prev
#define pt_queue_sentinel(h)  (h)
#define pt_queue_next(q)      (q)->next
#define pt_queue_data(q, type, link)                                         \
    ((type *) ((u_char *) (q) - offsetof(type, link)))

#endif /* PT_QUEUE_H */
