/* SPDX-License-Identifier: BSD-2-Clause */
/* Cache entries on disk: a versioned header, the response head, the body. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_cache_file.h"

#include <sys/stat.h>

#define CACHE_FILE_MAX_META  (1024 * 1024)   /* key + Vary + head */
#define CACHE_FILE_FIRST_READ  4096          /* header, meta, small bodies */

static unsigned  cache_tmp_seq;


static bool
cache_header_ok(const pt_http_cache_file_header_t *h, off_t size)
{
    uint64_t  meta = (uint64_t) h->key_len + h->vary_len + h->head_len;

    return memcmp(h->magic, PT_HTTP_CACHE_FILE_MAGIC, 8) == 0
           && h->version == PT_HTTP_CACHE_FILE_VERSION
           && h->complete == PT_HTTP_CACHE_FILE_COMPLETE
           && meta <= CACHE_FILE_MAX_META && h->head_len > 0
           && h->header_size == sizeof(*h) + meta
           && (uint64_t) size == h->header_size + h->body_len;
}


/*
 * The meta data (key, Vary, head) after the header: from the first read
 * when it holds them, else read now.  A small entry came whole with the
 * first read: its body is served from memory.
 */
static int
cache_file_meta(pt_pool_t *pool, pt_http_cache_file_t *f,
    const pt_http_cache_file_header_t *h, u_char *first, size_t got)
{
    size_t   meta = h->header_size - sizeof(*h);
    u_char  *p = first + sizeof(*h);

    if (h->header_size > got) {
        p = pt_pnalloc(pool, meta + 1);
        if (p == NULL) {
            return PT_ERROR;
        }

        if (pt_read_file(f->fd, p, meta, sizeof(*h)) != (ssize_t) meta) {
            return PT_DECLINED;
        }
    }

    f->key = (pt_str_t) { h->key_len, p };
    f->vary = (pt_str_t) { h->vary_len, p + h->key_len };
    f->head = (pt_str_t) { h->head_len, p + h->key_len + h->vary_len };
    f->valid_sec = h->valid_sec;
    f->body_start = h->header_size;
    f->body_len = (off_t) h->body_len;
    f->status = h->status;
    f->body = (off_t) got >= f->size ? first + h->header_size : NULL;
    return PT_OK;
}


/* One read of the start of the file; the size from it or from fstat(). */
static int
cache_file_first(pt_pool_t *pool, pt_http_cache_file_t *f, u_char **first,
    size_t *got)
{
    struct stat  st;
    ssize_t      n;

    *first = pt_pnalloc(pool, CACHE_FILE_FIRST_READ);
    if (*first == NULL) {
        return PT_ERROR;
    }

    n = pt_read_file(f->fd, *first, CACHE_FILE_FIRST_READ, 0);
    if (n < (ssize_t) sizeof(pt_http_cache_file_header_t)) {
        return PT_DECLINED;
    }

    *got = (size_t) n;

    if (n < CACHE_FILE_FIRST_READ) {
        f->size = n;             /* a short read of a file ends at EOF */
        return PT_OK;
    }

    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return PT_DECLINED;
    }

    f->size = st.st_size;
    return PT_OK;
}


int
pt_http_cache_file_open(pt_pool_t *pool, pt_http_cache_file_t *f,
    const pt_str_t *expect, pt_log_t *log)
{
    pt_http_cache_file_header_t   h;
    u_char                       *first;
    size_t                        got;
    int                           rc;

    f->body = NULL;
    f->fd = open((char *) f->name.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f->fd == -1) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return PT_DECLINED;
        }
        pt_log_error(PT_LOG_CRIT, log, errno, "open() \"%s\" failed",
                     f->name.data);
        return PT_ERROR;
    }

    rc = cache_file_first(pool, f, &first, &got);
    if (rc == PT_OK) {
        memcpy(&h, first, sizeof(h));
        rc = cache_header_ok(&h, f->size) ? cache_file_meta(pool, f, &h, first,
                                                            got)
                                          : PT_DECLINED;
    }

    if (rc == PT_OK && expect && !pt_str_eq(&f->key, expect)) {
        rc = PT_DECLINED;       /* an md5 collision, or a stray file */
    }

    if (rc != PT_OK) {
        if (rc == PT_DECLINED) {
            pt_log_error(PT_LOG_WARN, log, 0, "cache file \"%s\" is invalid "
                         "or incomplete, ignored", f->name.data);
        }
        close(f->fd);
        f->fd = -1;
    }

    return rc;
}


/* mkdir -p for the level directories between the cache root and name. */
static int
cache_make_dirs(const pt_http_cache_t *cache, const pt_str_t *name,
    pt_log_t *log)
{
    char  path[PATH_MAX];

    if (name->len >= sizeof(path)) {
        return PT_ERROR;
    }

    memcpy(path, name->data, name->len);
    path[name->len] = '\0';

    for (char *p = path + cache->path.len + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(path, 0700) == -1 && errno != EEXIST) {
            pt_log_error(PT_LOG_CRIT, log, errno, "mkdir() \"%s\" failed",
                         path);
            return PT_ERROR;
        }
        *p = '/';
    }

    return PT_OK;
}


static int
cache_tmp_create(pt_pool_t *pool, const pt_http_cache_t *cache,
    pt_http_cache_tmp_t *t, pt_log_t *log)
{
    size_t  size = t->name.len + 32;

    t->tmp.data = pt_pnalloc(pool, size);
    if (t->tmp.data == NULL) {
        return PT_ERROR;
    }

    t->tmp.len = (size_t) snprintf((char *) t->tmp.data, size, "%s.%d.%u.tmp",
                                   t->name.data, (int) pt_pid,
                                   ++cache_tmp_seq);

    for (int i = 0; i < 2; i++) {
        t->fd = open((char *) t->tmp.data,
                     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (t->fd != -1) {
            return PT_OK;
        }

        if (errno != ENOENT || i || cache_make_dirs(cache, &t->name, log)
                                    != PT_OK)
        {
            break;
        }
    }

    pt_log_error(PT_LOG_CRIT, log, errno, "open() \"%s\" failed",
                 t->tmp.data);
    return PT_ERROR;
}


int
pt_http_cache_tmp_open(pt_pool_t *pool, const pt_http_cache_t *cache,
    const pt_str_t *key, const pt_str_t *vary, const pt_str_t *head,
    unsigned status, int64_t valid_sec, pt_http_cache_tmp_t *t, pt_log_t *log)
{
    pt_http_cache_file_header_t  *h = &t->h;

    memset(t, 0, sizeof(*t));
    t->fd = -1;

    if ((uint64_t) key->len + vary->len + head->len > CACHE_FILE_MAX_META
        || pt_http_cache_file_name(pool, cache, key, &t->name) != PT_OK
        || cache_tmp_create(pool, cache, t, log) != PT_OK)
    {
        return PT_ERROR;
    }

    memcpy(h->magic, PT_HTTP_CACHE_FILE_MAGIC, 8);
    h->version = PT_HTTP_CACHE_FILE_VERSION;
    h->key_len = (uint32_t) key->len;
    h->vary_len = (uint32_t) vary->len;
    h->head_len = (uint32_t) head->len;
    h->header_size = (uint32_t) (sizeof(*h) + key->len + vary->len
                                 + head->len);
    h->valid_sec = valid_sec;
    h->date = pt_time();
    h->status = status;

    struct iovec  iov[4] = {
        { h, sizeof(*h) }, { key->data, key->len },
        { vary->data, vary->len }, { head->data, head->len },
    };

    if (writev(t->fd, iov, 4) != (ssize_t) h->header_size) {
        pt_log_error(PT_LOG_CRIT, log, errno, "writev() \"%s\" failed",
                     t->tmp.data);
        pt_http_cache_tmp_abort(t, log);
        return PT_ERROR;
    }

    return PT_OK;
}


int
pt_http_cache_tmp_write(pt_http_cache_tmp_t *t, const u_char *p, size_t len,
    pt_log_t *log)
{
    if (len == 0) {
        return PT_OK;
    }

    if (pt_write_fd(t->fd, p, len) != (ssize_t) len) {
        pt_log_error(PT_LOG_CRIT, log, errno, "write() \"%s\" failed",
                     t->tmp.data);
        return PT_ERROR;
    }

    t->written += (off_t) len;
    return PT_OK;
}


off_t
pt_http_cache_tmp_commit(pt_http_cache_tmp_t *t, pt_log_t *log)
{
    t->h.body_len = (uint64_t) t->written;
    t->h.complete = PT_HTTP_CACHE_FILE_COMPLETE;

    if (pwrite(t->fd, &t->h, sizeof(t->h), 0) != (ssize_t) sizeof(t->h)) {
        pt_log_error(PT_LOG_CRIT, log, errno, "pwrite() \"%s\" failed",
                     t->tmp.data);
        pt_http_cache_tmp_abort(t, log);
        return -1;
    }

    close(t->fd);
    t->fd = -1;

    if (rename((char *) t->tmp.data, (char *) t->name.data) == -1) {
        pt_log_error(PT_LOG_CRIT, log, errno, "rename() \"%s\" to \"%s\" "
                     "failed", t->tmp.data, t->name.data);
        pt_http_cache_tmp_abort(t, log);
        return -1;
    }

    return (off_t) t->h.header_size + t->written;
}


void
pt_http_cache_tmp_abort(pt_http_cache_tmp_t *t, pt_log_t *log)
{
    if (t->fd != -1) {
        close(t->fd);
        t->fd = -1;
    }

    if (t->tmp.data && unlink((char *) t->tmp.data) == -1 && errno != ENOENT) {
        pt_log_error(PT_LOG_CRIT, log, errno, "unlink() \"%s\" failed",
                     t->tmp.data);
    }
    t->tmp.data = NULL;
}


void
pt_http_cache_file_set_valid(const pt_str_t *name, int64_t valid_sec,
    pt_log_t *log)
{
    int  fd = open((char *) name->data, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd == -1
        || pwrite(fd, &valid_sec, sizeof(valid_sec),
                  offsetof(pt_http_cache_file_header_t, valid_sec))
           != (ssize_t) sizeof(valid_sec))
    {
        pt_log_error(PT_LOG_CRIT, log, errno, "updating \"%s\" failed",
                     name->data);
    }

    if (fd != -1) {
        close(fd);
    }
}
