/* SPDX-License-Identifier: BSD-2-Clause */
/* Keyed store over zone offsets: hash chains plus one LRU queue. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_shm.h"
#include "pt_shm_store.h"

typedef struct {
    uint32_t   hnext;        /* next in the hash chain */
    uint32_t   prev;         /* LRU: towards the head (more recent) */
    uint32_t   next;         /* LRU: towards the tail */
    uint32_t   hash;
    uint16_t   len;          /* key length */
    uint16_t   pad;
    uint32_t   pad2;
    /* value (st->value_size bytes), then the key */
} store_node_t;

#define STORE_VALUE(node)  ((u_char *) (node) + sizeof(store_node_t))
#define STORE_NODE(value)  ((store_node_t *) ((u_char *) (value)             \
                                              - sizeof(store_node_t)))


static uint32_t *
store_bucket(pt_slab_pool_t *sp, pt_shm_store_t *st, uint32_t hash)
{
    uint32_t  *b = pt_slab_ptr(sp, st->buckets);

    return &b[hash & (st->nbuckets - 1)];
}


static u_char *
store_key(const pt_shm_store_t *st, store_node_t *node)
{
    return STORE_VALUE(node) + st->value_size;
}


pt_shm_store_t *
pt_shm_store_create(pt_slab_pool_t *sp, size_t value_size, size_t zone_size)
{
    uint32_t  n = 16, off, boff;

    /* About one bucket per 128 bytes of zone: short chains when full. */
    while (n < zone_size / 128 && n < (1u << 24)) {
        n <<= 1;
    }

    off = pt_slab_calloc(sp, sizeof(pt_shm_store_t));
    boff = off ? pt_slab_calloc(sp, n * sizeof(uint32_t)) : 0;
    if (boff == 0) {
        pt_slab_free(sp, off);
        return NULL;
    }

    pt_shm_store_t  *st = pt_slab_ptr(sp, off);

    st->nbuckets = n;
    st->buckets = boff;
    st->value_size = (uint32_t) pt_align(value_size, 8);
    return st;
}


uint32_t
pt_shm_store_hash(const u_char *key, size_t len)
{
    uint32_t  h = 2166136261u;

    for (size_t i = 0; i < len; i++) {
        h = (h ^ key[i]) * 16777619u;
    }

    return h;
}


static void
store_lru_unlink(pt_slab_pool_t *sp, pt_shm_store_t *st, store_node_t *node)
{
    if (node->prev) {
        ((store_node_t *) pt_slab_ptr(sp, node->prev))->next = node->next;
    } else {
        st->lru_head = node->next;
    }

    if (node->next) {
        ((store_node_t *) pt_slab_ptr(sp, node->next))->prev = node->prev;
    } else {
        st->lru_tail = node->prev;
    }
}


static void
store_lru_push(pt_slab_pool_t *sp, pt_shm_store_t *st, store_node_t *node)
{
    uint32_t  off = pt_slab_off(sp, node);

    node->prev = 0;
    node->next = st->lru_head;

    if (st->lru_head) {
        ((store_node_t *) pt_slab_ptr(sp, st->lru_head))->prev = off;
    } else {
        st->lru_tail = off;
    }

    st->lru_head = off;
}


void *
pt_shm_store_find(pt_slab_pool_t *sp, pt_shm_store_t *st, const u_char *key,
    size_t len, uint32_t hash)
{
    uint32_t  off = *store_bucket(sp, st, hash);

    while (off) {
        store_node_t  *node = pt_slab_ptr(sp, off);

        if (node->hash == hash && node->len == len
            && memcmp(store_key(st, node), key, len) == 0)
        {
            if (st->lru_head != off) {
                st->busy = 1;
                store_lru_unlink(sp, st, node);
                store_lru_push(sp, st, node);
                st->busy = 0;
            }
            return STORE_VALUE(node);
        }

        off = node->hnext;
    }

    return NULL;
}


void *
pt_shm_store_insert(pt_slab_pool_t *sp, pt_shm_store_t *st, const u_char *key,
    size_t len, uint32_t hash)
{
    uint32_t  off;

    if (len > UINT16_MAX) {
        return NULL;
    }

    st->busy = 1;

    off = pt_slab_alloc(sp, sizeof(store_node_t) + st->value_size + len);
    if (off == 0) {
        st->busy = 0;
        return NULL;
    }

    store_node_t  *node = pt_slab_ptr(sp, off);
    uint32_t      *b = store_bucket(sp, st, hash);

    memset(node, 0, sizeof(store_node_t) + st->value_size);
    memcpy(store_key(st, node), key, len);
    node->hash = hash;
    node->len = (uint16_t) len;
    node->hnext = *b;
    *b = off;
    store_lru_push(sp, st, node);
    st->count++;

    st->busy = 0;
    return STORE_VALUE(node);
}


void
pt_shm_store_delete(pt_slab_pool_t *sp, pt_shm_store_t *st, void *value)
{
    store_node_t  *node = STORE_NODE(value);
    uint32_t       off = pt_slab_off(sp, node);
    uint32_t      *link = store_bucket(sp, st, node->hash);

    st->busy = 1;

    while (*link && *link != off) {
        link = &((store_node_t *) pt_slab_ptr(sp, *link))->hnext;
    }

    if (*link == off) {
        *link = node->hnext;
    }

    store_lru_unlink(sp, st, node);
    st->count--;
    pt_slab_free(sp, off);

    st->busy = 0;
}


size_t
pt_shm_store_evict(pt_slab_pool_t *sp, pt_shm_store_t *st, size_t max,
    pt_shm_store_evict_pt can_evict, void *data)
{
    size_t  n = 0;

    while (n < max && st->lru_tail) {
        store_node_t  *node = pt_slab_ptr(sp, st->lru_tail);

        if (can_evict && !can_evict(STORE_VALUE(node), data)) {
            break;
        }

        pt_shm_store_delete(sp, st, STORE_VALUE(node));
        n++;
    }

    st->evictions += n;
    return n;
}


void
pt_shm_store_walk(pt_slab_pool_t *sp, pt_shm_store_t *st,
    pt_shm_store_walk_pt visit, void *data)
{
    uint32_t  off = st->lru_head;

    while (off) {
        store_node_t  *node = pt_slab_ptr(sp, off);

        off = node->next;

        if (visit(STORE_VALUE(node), data)) {
            pt_shm_store_delete(sp, st, STORE_VALUE(node));
        }
    }
}


pt_str_t
pt_shm_store_key(const pt_shm_store_t *st, void *value)
{
    store_node_t  *node = STORE_NODE(value);

    return (pt_str_t) { node->len, store_key(st, node) };
}
