/* SPDX-License-Identifier: BSD-2-Clause */
/* The response cache: entries on disk, their index in a shared-memory zone. */
#ifndef PT_HTTP_CACHE_H
#define PT_HTTP_CACHE_H

#include "pt_shm_store.h"

/*
 * One proxy_cache_path.  Every entry is a file DIR/<levels>/<md5 of key>
 * (pt_http_cache_file.c); the zone maps each key to a pt_http_cache_node_t
 * so all workers (and the next image after a reload) share one index.
 */
typedef struct {
    pt_str_t        path;            /* DIR, absolute, no trailing '/' */
    unsigned        levels[3];       /* hex digits per level, 0 ends */
    pt_shm_zone_t  *zone;
    off_t           max_size;        /* 0: unbounded */
    off_t           min_free;        /* 0: unchecked */
    time_t          inactive;        /* seconds without a use */
    bool            use_temp_path;
    unsigned        loader_files;
    pt_msec_t       loader_threshold;
    pt_msec_t       loader_sleep;
    unsigned        manager_files;
    pt_msec_t       manager_threshold;
    pt_msec_t       manager_sleep;
    pt_str_t        file_name;       /* where it was declared */
    unsigned        line;
} pt_http_cache_t;

/* The zone's root: the store and the totals the manager enforces. */
typedef struct {
    uint32_t   store;                /* offset of the pt_shm_store_t */
    uint32_t   loaded;               /* the directory was read in */
    uint64_t   size;                 /* bytes of the entries' files */
    int32_t    loader;               /* pid walking the directory */
    uint32_t   pad;
} pt_http_cache_sh_t;

#define PT_HTTP_CACHE_VARY_LEN  120

/* The value kept per key (the key itself is the store's). */
typedef struct {
    int64_t    valid_sec;            /* fresh until (wall clock) */
    int64_t    last_access;          /* seconds, for `inactive` */
    int64_t    lock_time;            /* msec when `updating` was taken */
    uint64_t   fs_size;              /* bytes of the file, 0: none */
    uint32_t   uses;
    int32_t    updating;             /* pid fetching it, 0: nobody */
    uint8_t    exists;               /* a complete file is on disk */
    uint8_t    vary;                 /* no file: see the variant key */
    uint8_t    pad[2];
    uint32_t   lock_id;              /* which request holds `updating` */
    char       vary_names[PT_HTTP_CACHE_VARY_LEN];  /* as sent, joined */
} pt_http_cache_node_t;

/* What a lookup found. */
typedef enum {
    PT_HTTP_CACHE_MISS = 0,          /* nothing usable: fetch it */
    PT_HTTP_CACHE_HIT,               /* fresh on disk */
    PT_HTTP_CACHE_EXPIRED,           /* on disk but stale: fetch it */
    PT_HTTP_CACHE_UPDATING,          /* stale, another request fetches it */
    PT_HTTP_CACHE_WAIT,              /* missing, another request fetches it */
    PT_HTTP_CACHE_VARY               /* look again with the variant key */
} pt_http_cache_found_e;

/* A lookup's inputs and what it learnt. */
typedef struct {
    pt_str_t                key;
    bool                    lock;           /* proxy_cache_lock */
    pt_msec_t               lock_age;
    unsigned                min_uses;
    /* out */
    pt_http_cache_found_e   found;
    uint32_t                lock_id;        /* non-zero: this request's */
    bool                    store;          /* min_uses reached */
    int64_t                 valid_sec;
    char                    vary_names[PT_HTTP_CACHE_VARY_LEN];
} pt_http_cache_lookup_t;

#define PT_HTTP_CACHE_TAG  PT_SHM_TAG('c', 'a', 'c', 'h')

/* The zone's init hook: the store, kept when adopted from a reload. */
int pt_http_cache_init_zone(pt_shm_zone_t *zone, bool adopted);

/* The zone's repair hook (a crash inside) and exited hook (locks of pid). */
void pt_http_cache_repair(pt_shm_zone_t *zone);
void pt_http_cache_exited(pt_shm_zone_t *zone, pid_t pid);

/* Looks key up, counting a use and taking the update lock as asked. */
int pt_http_cache_lookup(pt_http_cache_t *cache, pt_http_cache_lookup_t *lk,
    pt_log_t *log);

/*
 * Records a complete file for key: validity, size (replacing the old
 * file's); marks the main key as varying when vary_names is non-empty.
 * Releases this process's lock.  PT_OK, or PT_ERROR when the zone is full.
 */
int pt_http_cache_commit(pt_http_cache_t *cache, const pt_str_t *main_key,
    const pt_str_t *key, int64_t valid_sec, off_t fs_size,
    const pt_str_t *vary_names, uint32_t lock_id, pt_log_t *log);

/* Sets a new validity for key (a 304 or a refreshed entry). */
void pt_http_cache_touch(pt_http_cache_t *cache, const pt_str_t *key,
    int64_t valid_sec);

/* Drops the update lock lock_id holds on key, if it still does. */
void pt_http_cache_unlock(pt_http_cache_t *cache, const pt_str_t *key,
    uint32_t lock_id);

/*
 * Removes key (or, prefix true, every key starting with it) and the
 * variants of what it removes, index and files.  Returns how many
 * entries went; -1 on error.
 */
ssize_t pt_http_cache_purge(pt_http_cache_t *cache, const pt_str_t *key,
    bool prefix, pt_log_t *log);

/* Forgets key whose file proved missing or invalid. */
void pt_http_cache_forget(pt_http_cache_t *cache, const pt_str_t *key,
    pt_log_t *log);

/* The file of key: DIR/l1/l2/<md5 hex> (NUL-terminated, from pool). */
int pt_http_cache_file_name(pt_pool_t *pool, const pt_http_cache_t *cache,
    const pt_str_t *key, pt_str_t *name);

/* The zone's root (lock held); NULL only after a failed reset. */
pt_http_cache_sh_t *pt_http_cache_sh(pt_http_cache_t *cache);

/* The md5 hex name of key (33 bytes with the NUL). */
void pt_http_cache_hex(const pt_str_t *key, char hex[33]);

/*
 * Evicts up to max entries from the LRU end that pass can_evict (NULL:
 * all), removing their files after the lock is released.  Returns how
 * many went.  Takes the lock itself.
 */
size_t pt_http_cache_evict(pt_http_cache_t *cache, size_t max,
    pt_shm_store_evict_pt can_evict, void *data, pt_log_t *log);

/* Inserts a loaded entry (the loader); PT_OK, PT_DECLINED when present. */
int pt_http_cache_add_loaded(pt_http_cache_t *cache, const pt_str_t *key,
    int64_t valid_sec, off_t fs_size, const pt_str_t *vary, pt_log_t *log);

/* The manager and loader (worker 0): pt_http_cache_manager.c. */
int pt_http_cache_manager_start(pt_cycle_t *cycle, pt_array_t *caches);
void pt_http_cache_manager_stop(void);

#endif /* PT_HTTP_CACHE_H */
