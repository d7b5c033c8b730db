/* SPDX-License-Identifier: BSD-2-Clause */
/* A keyed store in a zone: hash over offsets with an LRU queue. */
#ifndef PT_SHM_STORE_H
#define PT_SHM_STORE_H

/*
 * Each entry holds a key (up to 65535 bytes) and a fixed-size value the
 * owner interprets; entries sit in hash chains and one LRU queue, all
 * linked by zone offsets.  Callers hold the zone's lock for every call.
 * When the slab is full, insert fails and the owner evicts from the LRU
 * end (pt_shm_store_evict) and retries.  While a call mutates the store,
 * st->busy is set: after a process died holding the lock, a set busy flag
 * says the links may be half-written (the owner then resets the zone).
 */

typedef struct {
    uint32_t   nbuckets;     /* a power of two */
    uint32_t   buckets;      /* offset of uint32_t[nbuckets] */
    uint32_t   lru_head;     /* most recently used node */
    uint32_t   lru_tail;
    uint32_t   value_size;   /* aligned to 8 */
    uint32_t   count;
    uint64_t   evictions;
    uint32_t   busy;
    uint32_t   pad;
} pt_shm_store_t;

/* Decides whether the entry holding value may be evicted now. */
typedef bool (*pt_shm_store_evict_pt)(void *value, void *data);

/* Visits one entry (pt_shm_store_walk); true deletes it. */
typedef bool (*pt_shm_store_walk_pt)(void *value, void *data);

/*
 * Allocates an empty store in sp for values of value_size bytes, sized
 * for a zone of zone_size bytes.  NULL when the zone is too small.
 */
pt_shm_store_t *pt_shm_store_create(pt_slab_pool_t *sp, size_t value_size,
    size_t zone_size);

/* The hash the store expects for a key (FNV-1a). */
uint32_t pt_shm_store_hash(const u_char *key, size_t len);

/*
 * The value of key, moved to the front of the LRU queue; NULL when the
 * key is absent.
 */
void *pt_shm_store_find(pt_slab_pool_t *sp, pt_shm_store_t *st,
    const u_char *key, size_t len, uint32_t hash);

/*
 * Adds key (not already present) with a zeroed value at the front of the
 * LRU queue; returns the value, or NULL when the zone is full.
 */
void *pt_shm_store_insert(pt_slab_pool_t *sp, pt_shm_store_t *st,
    const u_char *key, size_t len, uint32_t hash);

/* Removes the entry holding value. */
void pt_shm_store_delete(pt_slab_pool_t *sp, pt_shm_store_t *st,
    void *value);

/*
 * Removes up to max entries from the least recently used end, stopping at
 * the first one can_evict refuses (NULL: evict unconditionally).  Returns
 * how many went (also added to st->evictions).
 */
size_t pt_shm_store_evict(pt_slab_pool_t *sp, pt_shm_store_t *st, size_t max,
    pt_shm_store_evict_pt can_evict, void *data);

/* Calls visit for every entry, most recent first, deleting as it says. */
void pt_shm_store_walk(pt_slab_pool_t *sp, pt_shm_store_t *st,
    pt_shm_store_walk_pt visit, void *data);

/* The key of the entry holding value. */
pt_str_t pt_shm_store_key(const pt_shm_store_t *st, void *value);

#endif /* PT_SHM_STORE_H */
