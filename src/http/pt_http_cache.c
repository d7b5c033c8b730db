/* SPDX-License-Identifier: BSD-2-Clause */
/* The cache index: keys to entry state, in a zone every worker shares. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_cache.h"
#include "pt_process.h"

#include <openssl/evp.h>

/*
 * Files of removed entries are unlinked after the lock is released, so
 * the critical sections stay short: removals note the entry's name here.
 */
typedef struct {
    pt_http_cache_t        *cache;
    char                  (*hex)[33];
    size_t                  n;
    size_t                  max;
    pt_shm_store_evict_pt   can_evict;    /* the caller's test */
    void                   *data;
    /* purge */
    pt_str_t                key;
    bool                    prefix;
    bool                    variants;     /* the key has Vary variants */
    size_t                  purged;
} cache_victims_t;

/* Entries one insertion may evict (4 rounds of up to 4). */
#define CACHE_VICTIMS  16

static uint32_t  cache_lock_seq;


pt_http_cache_sh_t *
pt_http_cache_sh(pt_http_cache_t *cache)
{
    return pt_shm_ptr(cache->zone, pt_shm_header(cache->zone)->root);
}


static pt_shm_store_t *
cache_store(pt_http_cache_t *cache)
{
    pt_http_cache_sh_t  *sh = pt_http_cache_sh(cache);

    return sh ? pt_shm_ptr(cache->zone, sh->store) : NULL;
}


static int
cache_create(pt_shm_zone_t *zone)
{
    pt_slab_pool_t      *sp = pt_shm_slab(zone);
    pt_http_cache_sh_t  *sh = pt_slab_ptr(sp, pt_slab_calloc(sp,
                                                 sizeof(pt_http_cache_sh_t)));

    if (sh == NULL) {
        return PT_ERROR;
    }

    pt_shm_store_t  *st = pt_shm_store_create(sp, sizeof(pt_http_cache_node_t),
                                              zone->size);

    if (st == NULL) {
        return PT_ERROR;
    }

    sh->store = pt_shm_off(zone, st);
    pt_shm_header(zone)->root = pt_shm_off(zone, sh);
    return PT_OK;
}


int
pt_http_cache_init_zone(pt_shm_zone_t *zone, bool adopted)
{
    if (adopted && pt_shm_header(zone)->root) {
        return PT_OK;       /* the index goes on across the reload */
    }

    if (cache_create(zone) != PT_OK) {
        pt_log_error(PT_LOG_EMERG, zone->log, 0, "zone \"%.*s\" is too small",
                     PT_STR_ARG(zone->name));
        return PT_ERROR;
    }

    return PT_OK;
}


/* After a crash inside the zone: start empty and let the loader refill. */
void
pt_http_cache_repair(pt_shm_zone_t *zone)
{
    pt_http_cache_sh_t  *sh = pt_shm_ptr(zone, pt_shm_header(zone)->root);
    pt_shm_store_t      *st = sh ? pt_shm_ptr(zone, sh->store) : NULL;

    if (st == NULL || st->busy) {
        pt_shm_zone_reset(zone);
        (void) cache_create(zone);
    }
}


static bool
cache_release_pid(void *value, void *data)
{
    pt_http_cache_node_t  *node = value;

    if (node->updating == *(pid_t *) data) {
        node->updating = 0;
        node->lock_id = 0;
    }

    return false;
}


/* A worker died: what it was fetching is free to fetch again. */
void
pt_http_cache_exited(pt_shm_zone_t *zone, pid_t pid)
{
    pt_http_cache_sh_t  *sh = pt_shm_ptr(zone, pt_shm_header(zone)->root);
    pt_shm_store_t      *st = sh ? pt_shm_ptr(zone, sh->store) : NULL;

    if (st) {
        pt_shm_store_walk(pt_shm_slab(zone), st, cache_release_pid, &pid);
    }

    if (sh && sh->loader == pid) {
        sh->loader = 0;
    }
}


void
pt_http_cache_hex(const pt_str_t *key, char hex[33])
{
    static const char  digits[] = "0123456789abcdef";
    static EVP_MD     *md5;
    u_char             md[EVP_MAX_MD_SIZE];
    unsigned           len = 0;

    /* Fetched once: an implicit fetch per call costs a lookup and locks. */
    if (md5 == NULL) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
        md5 = EVP_MD_fetch(NULL, "MD5", NULL);
#else
        md5 = (EVP_MD *) EVP_md5();
#endif
    }

    if (md5 == NULL || !EVP_Digest(key->data, key->len, md, &len, md5, NULL)) {
        memset(md, 0, 16);
    }

    for (int i = 0; i < 16; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0xf];
    }
    hex[32] = '\0';
}


/* DIR/c/29/...9c: levels take digits from the end of the name, as nginx. */
static size_t
cache_path(const pt_http_cache_t *cache, const char *hex, char *out,
    size_t size)
{
    size_t  n = (size_t) snprintf(out, size, "%.*s",
                                  PT_STR_ARG(cache->path));
    size_t  end = 32;

    for (int i = 0; i < 3 && cache->levels[i] && n < size; i++) {
        end -= cache->levels[i];
        n += (size_t) snprintf(out + n, size - n, "/%.*s",
                               (int) cache->levels[i], hex + end);
    }

    if (n < size) {
        n += (size_t) snprintf(out + n, size - n, "/%s", hex);
    }

    return n;
}


int
pt_http_cache_file_name(pt_pool_t *pool, const pt_http_cache_t *cache,
    const pt_str_t *key, pt_str_t *name)
{
    char    hex[33];
    size_t  size = cache->path.len + 48;

    name->data = pt_pnalloc(pool, size);
    if (name->data == NULL) {
        return PT_ERROR;
    }

    pt_http_cache_hex(key, hex);
    name->len = cache_path(cache, hex, (char *) name->data, size);
    return PT_OK;
}


static void
cache_unlink_victims(cache_victims_t *v, pt_log_t *log)
{
    char  path[PATH_MAX];

    for (size_t i = 0; i < v->n; i++) {
        (void) cache_path(v->cache, v->hex[i], path, sizeof(path));
        if (unlink(path) == -1 && errno != ENOENT) {
            pt_log_error(PT_LOG_CRIT, log, errno, "unlink() \"%s\" failed",
                         path);
        }
    }
}


/* Notes the file of a node about to go and takes its size off the total. */
static void
cache_note_victim(cache_victims_t *v, pt_http_cache_node_t *node)
{
    pt_http_cache_sh_t  *sh = pt_http_cache_sh(v->cache);

    if (!node->exists) {
        return;
    }

    sh->size -= node->fs_size < sh->size ? node->fs_size : sh->size;

    if (v->n < v->max) {
        pt_str_t  key = pt_shm_store_key(cache_store(v->cache), node);

        pt_http_cache_hex(&key, v->hex[v->n++]);
    }
}


static bool
cache_evict_one(void *value, void *data)
{
    cache_victims_t  *v = data;

    if (v->can_evict && !v->can_evict(value, v->data)) {
        return false;
    }

    cache_note_victim(v, value);
    return true;
}


/* Evicts with the lock held; the caller unlinks the noted files. */
static size_t
cache_evict_locked(cache_victims_t *v, size_t max)
{
    return pt_shm_store_evict(pt_shm_slab(v->cache->zone),
                              cache_store(v->cache), max, cache_evict_one, v);
}


size_t
pt_http_cache_evict(pt_http_cache_t *cache, size_t max,
    pt_shm_store_evict_pt can_evict, void *data, pt_log_t *log)
{
    char             hex[64][33];
    cache_victims_t  v = { .cache = cache, .hex = hex, .max = 64,
                           .can_evict = can_evict, .data = data };
    size_t           n = 0;

    if (max > v.max) {
        max = v.max;
    }

    if (pt_shm_zone_lock(cache->zone) != PT_OK) {
        return 0;
    }

    if (cache_store(cache)) {
        n = cache_evict_locked(&v, max);
    }

    pt_shm_zone_unlock(cache->zone);
    cache_unlink_victims(&v, log);
    return n;
}


/* The node of key, created (evicting the oldest when full) when absent. */
static pt_http_cache_node_t *
cache_node(pt_http_cache_t *cache, const pt_str_t *key, bool create,
    cache_victims_t *v, pt_log_t *log)
{
    pt_slab_pool_t         *sp = pt_shm_slab(cache->zone);
    pt_shm_store_t         *st = cache_store(cache);
    uint32_t                hash = pt_shm_store_hash(key->data, key->len);
    pt_http_cache_node_t   *node;

    node = pt_shm_store_find(sp, st, key->data, key->len, hash);
    if (node || !create) {
        return node;
    }

    for (int tries = 0; tries < 4; tries++) {
        node = pt_shm_store_insert(sp, st, key->data, key->len, hash);
        if (node) {
            node->last_access = pt_time();
            return node;
        }

        /* Only as many as there is room to note: a file not noted stays. */
        size_t  room = v->max - v->n;

        pt_shm_zone_warn_full(cache->zone, log);
        if (room == 0 || cache_evict_locked(v, pt_min(room, 4)) == 0) {
            break;
        }
    }

    return NULL;
}


static void
cache_take_lock(pt_http_cache_node_t *node, pt_http_cache_lookup_t *lk)
{
    if (++cache_lock_seq == 0) {
        cache_lock_seq = 1;
    }

    node->updating = pt_pid;
    node->lock_id = cache_lock_seq;
    node->lock_time = (int64_t) pt_current_msec;
    lk->lock_id = cache_lock_seq;
}


static void
cache_classify(pt_http_cache_node_t *node, pt_http_cache_lookup_t *lk)
{
    time_t   now = pt_time();
    /*
     * A request holding the lock never looks up again: it is another's.
     * Its age comes from another worker's clock, cached at a different
     * moment: one taken "later" than our cached now is fresh, not old.
     */
    int64_t  age = (int64_t) pt_current_msec - node->lock_time;
    bool     other = node->updating && age < (int64_t) lk->lock_age;

    lk->store = node->uses >= lk->min_uses;
    lk->valid_sec = node->valid_sec;

    if (node->exists && node->valid_sec >= now) {     /* as nginx */
        lk->found = PT_HTTP_CACHE_HIT;
        return;
    }

    if (node->exists) {
        lk->found = other ? PT_HTTP_CACHE_UPDATING : PT_HTTP_CACHE_EXPIRED;
    } else {
        lk->found = other && lk->lock ? PT_HTTP_CACHE_WAIT : PT_HTTP_CACHE_MISS;
    }

    /* One request refreshes an expired entry; with the lock, one fills. */
    if (!other && lk->store && (node->exists || lk->lock)) {
        cache_take_lock(node, lk);
    }
}


int
pt_http_cache_lookup(pt_http_cache_t *cache, pt_http_cache_lookup_t *lk,
    pt_log_t *log)
{
    char             hex[CACHE_VICTIMS][33];
    cache_victims_t  v = { .cache = cache, .hex = hex, .max = CACHE_VICTIMS };

    lk->found = PT_HTTP_CACHE_MISS;
    lk->store = false;

    if (pt_shm_zone_lock(cache->zone) != PT_OK) {
        return PT_ERROR;
    }

    pt_http_cache_node_t  *node = cache_store(cache)
                                  ? cache_node(cache, &lk->key, true, &v, log)
                                  : NULL;

    if (node) {
        node->last_access = pt_time();
        if (node->uses < UINT32_MAX) {
            node->uses++;
        }

        if (node->vary) {
            lk->found = PT_HTTP_CACHE_VARY;
            memcpy(lk->vary_names, node->vary_names, sizeof(lk->vary_names));
        } else {
            cache_classify(node, lk);
        }
    }

    pt_shm_zone_unlock(cache->zone);
    cache_unlink_victims(&v, log);
    return PT_OK;
}


static void
cache_set_vary(pt_http_cache_t *cache, const pt_str_t *main_key,
    const pt_str_t *names, cache_victims_t *v, pt_log_t *log)
{
    pt_http_cache_node_t  *m = cache_node(cache, main_key, true, v, log);

    if (m == NULL) {
        return;
    }

    cache_note_victim(v, m);
    m->exists = 0;
    m->fs_size = 0;
    m->vary = 1;
    memset(m->vary_names, 0, sizeof(m->vary_names));
    memcpy(m->vary_names, names->data,
           pt_min(names->len, sizeof(m->vary_names) - 1));
}


int
pt_http_cache_commit(pt_http_cache_t *cache, const pt_str_t *main_key,
    const pt_str_t *key, int64_t valid_sec, off_t fs_size,
    const pt_str_t *vary_names, uint32_t lock_id, pt_log_t *log)
{
    char             hex[CACHE_VICTIMS][33];
    cache_victims_t  v = { .cache = cache, .hex = hex, .max = CACHE_VICTIMS };
    int              rc = PT_ERROR;

    if (pt_shm_zone_lock(cache->zone) != PT_OK) {
        return PT_ERROR;
    }

    if (cache_store(cache)) {
        if (vary_names->len) {
            cache_set_vary(cache, main_key, vary_names, &v, log);
        }

        pt_http_cache_node_t  *node = cache_node(cache, key, true, &v, log);

        if (node) {
            pt_http_cache_sh_t  *sh = pt_http_cache_sh(cache);

            if (node->exists) {
                /* rename() replaced the old file: only its size goes. */
                sh->size -= pt_min(node->fs_size, sh->size);
            }

            node->exists = 1;
            node->vary = 0;
            node->valid_sec = valid_sec;
            node->fs_size = (uint64_t) fs_size;
            sh->size += (uint64_t) fs_size;

            if (lock_id && node->lock_id == lock_id
                && node->updating == pt_pid)
            {
                node->updating = 0;
                node->lock_id = 0;
            }
            rc = PT_OK;
        }
    }

    pt_shm_zone_unlock(cache->zone);
    cache_unlink_victims(&v, log);
    return rc;
}


/* Runs fn on key's node with the lock held (nothing when absent). */
static void
cache_with_node(pt_http_cache_t *cache, const pt_str_t *key,
    void (*fn)(pt_http_cache_node_t *node, void *data), void *data)
{
    if (pt_shm_zone_lock(cache->zone) != PT_OK) {
        return;
    }

    if (cache_store(cache)) {
        pt_http_cache_node_t  *node = cache_node(cache, key, false, NULL, NULL);

        if (node) {
            fn(node, data);
        }
    }

    pt_shm_zone_unlock(cache->zone);
}


static void
cache_set_valid(pt_http_cache_node_t *node, void *data)
{
    node->valid_sec = *(int64_t *) data;
}


void
pt_http_cache_touch(pt_http_cache_t *cache, const pt_str_t *key,
    int64_t valid_sec)
{
    cache_with_node(cache, key, cache_set_valid, &valid_sec);
}


static void
cache_release(pt_http_cache_node_t *node, void *data)
{
    /* lock_id counts per process: the pid tells whose it is. */
    if (node->lock_id == *(uint32_t *) data && node->updating == pt_pid) {
        node->updating = 0;
        node->lock_id = 0;
    }
}


void
pt_http_cache_unlock(pt_http_cache_t *cache, const pt_str_t *key,
    uint32_t lock_id)
{
    if (lock_id) {
        cache_with_node(cache, key, cache_release, &lock_id);
    }
}


/* Purge's walk: key itself, its variants ("key\n..."), or a prefix. */
static bool
cache_purge_visit(void *value, void *data)
{
    cache_victims_t  *v = data;
    pt_str_t          k = pt_shm_store_key(cache_store(v->cache), value);
    pt_str_t         *want = &v->key;

    if (k.len < want->len || memcmp(k.data, want->data, want->len) != 0) {
        return false;
    }

    if (!v->prefix && k.len > want->len && k.data[want->len] != '\n') {
        return false;
    }

    cache_note_victim(v, value);
    v->purged++;
    return true;
}


static void cache_drop(pt_http_cache_node_t *node, void *data);


/* An exact purge: the key alone, unless it names Vary variants. */
static void
cache_purge_exact(pt_http_cache_node_t *node, void *data)
{
    cache_victims_t  *v = data;

    if (node->vary) {
        v->variants = true;      /* they are found by walking the index */
        return;
    }

    cache_drop(node, v);
    v->purged++;
}


ssize_t
pt_http_cache_purge(pt_http_cache_t *cache, const pt_str_t *key, bool prefix,
    pt_log_t *log)
{
    pt_http_cache_sh_t  *sh;
    cache_victims_t      v = { .cache = cache, .key = *key, .prefix = prefix };

    if (!prefix) {
        /* One lookup, not a walk of the whole index under the lock. */
        char  hex[1][33];

        v.hex = hex;
        v.max = 1;
        cache_with_node(cache, key, cache_purge_exact, &v);
        cache_unlink_victims(&v, log);

        if (!v.variants) {
            return (ssize_t) v.purged;
        }

        v.n = 0;
    }

    if (pt_shm_zone_lock(cache->zone) != PT_OK) {
        return -1;
    }

    sh = pt_http_cache_sh(cache);
    v.max = sh ? cache_store(cache)->count : 0;
    v.hex = v.max ? malloc(v.max * sizeof(*v.hex)) : NULL;

    if (v.max && v.hex == NULL) {
        pt_shm_zone_unlock(cache->zone);
        return -1;
    }

    if (sh) {
        pt_shm_store_walk(pt_shm_slab(cache->zone), cache_store(cache),
                          cache_purge_visit, &v);
    }

    pt_shm_zone_unlock(cache->zone);
    cache_unlink_victims(&v, log);
    free(v.hex);
    return (ssize_t) v.purged;
}


static void
cache_drop(pt_http_cache_node_t *node, void *data)
{
    cache_victims_t  *v = data;

    cache_note_victim(v, node);
    pt_shm_store_delete(pt_shm_slab(v->cache->zone), cache_store(v->cache),
                        node);
}


void
pt_http_cache_forget(pt_http_cache_t *cache, const pt_str_t *key,
    pt_log_t *log)
{
    char             hex[1][33];
    cache_victims_t  v = { .cache = cache, .hex = hex, .max = 1 };

    cache_with_node(cache, key, cache_drop, &v);
    cache_unlink_victims(&v, log);
}


int
pt_http_cache_add_loaded(pt_http_cache_t *cache, const pt_str_t *key,
    int64_t valid_sec, off_t fs_size, const pt_str_t *vary, pt_log_t *log)
{
    u_char  *nl = memchr(key->data, '\n', key->len);
    char             hex[CACHE_VICTIMS][33];
    cache_victims_t  v = { .cache = cache, .hex = hex, .max = CACHE_VICTIMS };
    int              rc = PT_ERROR;

    if (pt_shm_zone_lock(cache->zone) != PT_OK) {
        return PT_ERROR;
    }

    if (cache_store(cache)) {
        pt_http_cache_node_t  *node = cache_node(cache, key, false, NULL, NULL);

        if (node && (node->exists || node->vary)) {
            rc = PT_DECLINED;
        } else if (node
                   || (node = cache_node(cache, key, true, &v, log)) != NULL)
        {
            /* New, or looked up (a miss) while the loader was reading. */
            if (nl && vary->len) {
                /* A variant: its main key says which fields pick it. */
                pt_str_t  main_key = { (size_t) (nl - key->data), key->data };

                cache_set_vary(cache, &main_key, vary, &v, log);
            }
            node->exists = 1;
            node->valid_sec = valid_sec;
            node->fs_size = (uint64_t) fs_size;
            pt_http_cache_sh(cache)->size += (uint64_t) fs_size;
            rc = PT_OK;
        }
    }

    pt_shm_zone_unlock(cache->zone);
    cache_unlink_victims(&v, log);
    return rc;
}
