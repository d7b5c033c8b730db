/* SPDX-License-Identifier: BSD-2-Clause */
/* The cache loader and manager: timers of worker 0, in short slices. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_cache_file.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

/*
 * nginx runs these as two extra processes; here worker 0 runs them as
 * timers, each slice bounded by *_files and *_threshold, then sleeping
 * *_sleep, so requests in that worker wait at most one slice.
 *
 * The loader reads the directory back into a new zone (after a restart;
 * a reload keeps the zone and skips it).  The manager removes entries
 * unused for `inactive`, and the least recently used ones while the
 * files exceed max_size or the disk has less than min_free.
 */

#define CACHE_WALK_DEPTH    4
#define CACHE_MANAGER_IDLE  1000          /* ms between checks when idle */
#define CACHE_TMP_STALE     600           /* s: older .tmp files are debris */

typedef struct {
    pt_http_cache_t  *cache;
    pt_event_t        ev;
    pt_pool_t        *pool;               /* the loader's scratch */
    DIR              *dirs[CACHE_WALK_DEPTH];
    char              path[PATH_MAX];
    size_t            lens[CACHE_WALK_DEPTH];
    int               depth;              /* -1: not walking */
    bool              loading;
    size_t            loaded;
} cache_worker_t;

static cache_worker_t  *cache_workers;
static size_t           cache_nworkers;


/* Loader. */

static bool
cache_is_entry_name(const char *name)
{
    size_t  n = strlen(name);

    if (n != 32) {
        return false;
    }

    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char) name[i]) || isupper((unsigned char) name[i])) {
            return false;
        }
    }

    return true;
}


static void
cache_load_file(cache_worker_t *w, const char *name)
{
    pt_http_cache_file_t  f = { 0 };
    size_t                len = strlen(w->path);

    if (!cache_is_entry_name(name)) {
        struct stat  st;

        /* A temporary file a crashed worker left behind. */
        if (len + 4 < sizeof(w->path) && strstr(name, ".tmp")
            && stat(w->path, &st) == 0
            && st.st_mtime + CACHE_TMP_STALE < pt_time())
        {
            (void) unlink(w->path);
        }
        return;
    }

    f.name.data = (u_char *) w->path;
    f.name.len = len;

    if (pt_http_cache_file_open(w->pool, &f, NULL, pt_cycle->log) != PT_OK) {
        (void) unlink(w->path);          /* torn or foreign: never served */
        return;
    }

    close(f.fd);

    if (pt_http_cache_add_loaded(w->cache, &f.key, f.valid_sec, f.size,
                                 &f.vary, pt_cycle->log) == PT_OK)
    {
        w->loaded++;
    }
}


static void
cache_walk_pop(cache_worker_t *w)
{
    closedir(w->dirs[w->depth]);
    w->depth--;
    if (w->depth >= 0) {
        w->path[w->lens[w->depth]] = '\0';
    }
}


static bool
cache_walk_push(cache_worker_t *w)
{
    size_t  len = strlen(w->path);

    if (w->depth + 1 >= CACHE_WALK_DEPTH) {
        return false;
    }

    DIR  *d = opendir(w->path);

    if (d == NULL) {
        return false;
    }

    w->dirs[++w->depth] = d;
    w->lens[w->depth] = len;
    return true;
}


/* One directory entry of the walk; false when the walk is over. */
static bool
cache_walk_step(cache_worker_t *w)
{
    if (w->depth < 0) {
        return false;
    }

    struct dirent  *de = readdir(w->dirs[w->depth]);

    if (de == NULL) {
        cache_walk_pop(w);
        return w->depth >= 0;
    }

    if (de->d_name[0] == '.') {
        return true;
    }

    size_t  base = w->lens[w->depth];

    if ((size_t) snprintf(w->path + base, sizeof(w->path) - base, "/%s",
                          de->d_name) >= sizeof(w->path) - base)
    {
        w->path[base] = '\0';
        return true;
    }

    if (de->d_type == DT_DIR) {
        if (!cache_walk_push(w)) {
            w->path[base] = '\0';
        }
        return true;
    }

    cache_load_file(w, de->d_name);
    w->path[base] = '\0';
    return true;
}


static void
cache_load_done(cache_worker_t *w)
{
    pt_http_cache_t  *c = w->cache;

    while (w->depth >= 0) {
        cache_walk_pop(w);
    }

    if (pt_shm_zone_lock(c->zone) == PT_OK) {
        pt_http_cache_sh_t  *sh = pt_http_cache_sh(c);

        if (sh) {
            sh->loaded = 1;
            sh->loader = 0;
        }
        pt_shm_zone_unlock(c->zone);
    }

    pt_log_error(PT_LOG_NOTICE, pt_cycle->log, 0, "http file cache: %.*s "
                 "%zu entries loaded", PT_STR_ARG(c->path), w->loaded);
    w->loading = false;
    pt_destroy_pool(w->pool);
    w->pool = NULL;
}


/* True when this worker should walk the directory (and now does). */
static bool
cache_load_claim(cache_worker_t *w)
{
    pt_http_cache_t  *c = w->cache;
    bool              claim = false;

    if (pt_shm_zone_lock(c->zone) != PT_OK) {
        return false;
    }

    pt_http_cache_sh_t  *sh = pt_http_cache_sh(c);

    if (sh && !sh->loaded && (sh->loader == 0 || sh->loader == pt_pid
                              || kill(sh->loader, 0) == -1))
    {
        sh->loader = pt_pid;
        claim = true;
    }

    pt_shm_zone_unlock(c->zone);
    return claim;
}


static void
cache_load_start(cache_worker_t *w)
{
    if (!cache_load_claim(w)) {
        return;
    }

    w->pool = pt_create_pool(4096, pt_cycle->log);
    snprintf(w->path, sizeof(w->path), "%.*s", PT_STR_ARG(w->cache->path));
    w->depth = -1;
    w->loaded = 0;

    if (w->pool == NULL || !cache_walk_push(w)) {
        w->depth = -1;
    }

    w->loading = true;
}


static void
cache_load_slice(cache_worker_t *w)
{
    pt_msec_t  start = pt_current_msec;

    for (unsigned n = 0; n < w->cache->loader_files; n++) {
        if (!cache_walk_step(w)) {
            cache_load_done(w);
            return;
        }

        if (n % 16 == 0) {
            pt_time_update();
            if (pt_current_msec - start >= w->cache->loader_threshold) {
                break;
            }
        }
    }

    pt_reset_pool(w->pool);
}


/* Manager. */

typedef struct {
    time_t   before;          /* inactive: last use earlier than this */
    bool     all;             /* max_size / min_free: any idle entry */
} cache_expire_t;


static bool
cache_expirable(void *value, void *data)
{
    pt_http_cache_node_t  *node = value;
    cache_expire_t        *ex = data;

    if (node->updating) {
        return false;
    }

    return ex->all || node->last_access < ex->before;
}


static bool
cache_over_limits(pt_http_cache_t *c)
{
    uint64_t  size = 0;

    if (c->max_size && pt_shm_zone_lock(c->zone) == PT_OK) {
        pt_http_cache_sh_t  *sh = pt_http_cache_sh(c);

        size = sh ? sh->size : 0;
        pt_shm_zone_unlock(c->zone);
        if (size > (uint64_t) c->max_size) {
            return true;
        }
    }

    if (c->min_free) {
        struct statvfs  fs;

        if (statvfs((char *) c->path.data, &fs) == 0
            && (off_t) (fs.f_bavail * fs.f_frsize) < c->min_free)
        {
            return true;
        }
    }

    return false;
}


/* One slice; true when there is more to do right away. */
static bool
cache_manage(cache_worker_t *w)
{
    pt_http_cache_t  *c = w->cache;
    cache_expire_t    ex = { pt_time() - c->inactive, false };
    pt_msec_t         start = pt_current_msec;
    size_t            done = 0;

    /* At most manager_files in a slice, in batches of 16 (8) at most. */
    while (done < c->manager_files) {
        size_t  n = pt_http_cache_evict(c, pt_min(16, c->manager_files - done),
                                        cache_expirable, &ex, pt_cycle->log);

        done += n;
        if (n == 0) {
            break;
        }
    }

    ex.all = true;
    while (done < c->manager_files && cache_over_limits(c)) {
        size_t  n = pt_http_cache_evict(c, pt_min(8, c->manager_files - done),
                                        cache_expirable, &ex, pt_cycle->log);

        done += n;
        if (n == 0) {
            break;
        }

        pt_time_update();
        if (pt_current_msec - start >= c->manager_threshold) {
            break;
        }
    }

    return done >= c->manager_files;
}


static void
cache_timer(pt_event_t *ev)
{
    cache_worker_t  *w = ev->data;

    if (pt_exiting) {
        return;
    }

    if (w->loading) {
        cache_load_slice(w);
        pt_add_timer(ev, w->loading ? w->cache->loader_sleep : 1);
        return;
    }

    cache_load_start(w);
    if (w->loading) {
        pt_add_timer(ev, 1);
        return;
    }

    pt_add_timer(ev, cache_manage(w) ? w->cache->manager_sleep
                                     : CACHE_MANAGER_IDLE);
}


int
pt_http_cache_manager_start(pt_cycle_t *cycle, pt_array_t *caches)
{
    pt_http_cache_t  **c = caches->elts;

    cache_workers = calloc(caches->nelts, sizeof(cache_worker_t));
    if (cache_workers == NULL) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "calloc() failed");
        return PT_ERROR;
    }

    cache_nworkers = caches->nelts;

    for (size_t i = 0; i < caches->nelts; i++) {
        cache_worker_t  *w = &cache_workers[i];

        w->cache = c[i];
        w->depth = -1;
        w->ev.data = w;
        w->ev.handler = cache_timer;
        w->ev.log = cycle->log;
        w->ev.cancelable = 1;
        pt_add_timer(&w->ev, 1);
    }

    return PT_OK;
}


void
pt_http_cache_manager_stop(void)
{
    for (size_t i = 0; i < cache_nworkers; i++) {
        cache_worker_t  *w = &cache_workers[i];

        pt_del_timer(&w->ev);
        while (w->depth >= 0) {
            cache_walk_pop(w);
        }
        if (w->pool) {
            pt_destroy_pool(w->pool);
        }
    }

    free(cache_workers);
    cache_workers = NULL;
    cache_nworkers = 0;
}
