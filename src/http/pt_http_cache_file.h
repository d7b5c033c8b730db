/* SPDX-License-Identifier: BSD-2-Clause */
/* Cache entries on disk: a versioned header, the response head, the body. */
#ifndef PT_HTTP_CACHE_FILE_H
#define PT_HTTP_CACHE_FILE_H

#include "pt_http_cache.h"

/*
 * Layout of an entry file (all integers in host order; a file from another
 * machine or version fails the checks and is never served):
 *
 *   pt_http_cache_file_header_t
 *   key bytes, Vary names, the response head as the backend sent it
 *   the body (without chunked framing)
 *
 * A file is written under a temporary name, its header rewritten with the
 * body length and the `complete` mark once the body is whole, then renamed
 * into place.  A file whose size is not header_size + body_len is torn.
 */
#define PT_HTTP_CACHE_FILE_MAGIC     "PTCACHE\n"
#define PT_HTTP_CACHE_FILE_VERSION   1u
#define PT_HTTP_CACHE_FILE_COMPLETE  0x436f6d70u    /* "Comp" */

typedef struct {
    u_char     magic[8];
    uint32_t   version;
    uint32_t   header_size;      /* the body starts here */
    int64_t    valid_sec;
    int64_t    date;             /* when it was stored */
    uint64_t   body_len;
    uint32_t   key_len;
    uint32_t   vary_len;
    uint32_t   head_len;
    uint32_t   status;
    uint32_t   complete;
    uint32_t   pad;
} pt_http_cache_file_header_t;

/* An entry opened for reading. */
typedef struct {
    int        fd;
    pt_str_t   name;
    int64_t    valid_sec;
    off_t      body_start;
    off_t      body_len;
    off_t      size;             /* of the whole file */
    unsigned   status;
    pt_str_t   key;
    pt_str_t   vary;
    pt_str_t   head;             /* status line, fields, empty line */
    u_char    *body;             /* the whole body in memory, or NULL */
} pt_http_cache_file_t;

/* An entry being written. */
typedef struct {
    int                           fd;
    pt_str_t                      name;      /* final */
    pt_str_t                      tmp;
    off_t                         written;   /* body bytes */
    pt_http_cache_file_header_t   h;
} pt_http_cache_tmp_t;

/*
 * Opens the file at f->name and checks it (expect non-NULL: the key it
 * must hold).  PT_OK (f filled, f->fd open; the caller closes it),
 * PT_DECLINED when missing, torn or foreign (logged at `warn` unless it
 * is missing), PT_ERROR otherwise.
 */
int pt_http_cache_file_open(pt_pool_t *pool, pt_http_cache_file_t *f,
    const pt_str_t *expect, pt_log_t *log);

/*
 * Starts writing the entry for key into a temporary file beside its final
 * place (making the level directories).  PT_OK, or PT_ERROR (logged; the
 * response goes on uncached).
 */
int pt_http_cache_tmp_open(pt_pool_t *pool, const pt_http_cache_t *cache,
    const pt_str_t *key, const pt_str_t *vary, const pt_str_t *head,
    unsigned status, int64_t valid_sec, pt_http_cache_tmp_t *t,
    pt_log_t *log);

/* Appends body bytes.  PT_OK, or PT_ERROR (logged; abort the entry). */
int pt_http_cache_tmp_write(pt_http_cache_tmp_t *t, const u_char *p,
    size_t len, pt_log_t *log);

/* Seals and renames the file into place; its size, or -1 (logged). */
off_t pt_http_cache_tmp_commit(pt_http_cache_tmp_t *t, pt_log_t *log);

/* Removes the unfinished file. */
void pt_http_cache_tmp_abort(pt_http_cache_tmp_t *t, pt_log_t *log);

/* Rewrites the validity of the entry file name (a 304 refreshed it). */
void pt_http_cache_file_set_valid(const pt_str_t *name, int64_t valid_sec,
    pt_log_t *log);

#endif /* PT_HTTP_CACHE_FILE_H */
