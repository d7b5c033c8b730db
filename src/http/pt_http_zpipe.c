/* SPDX-License-Identifier: BSD-2-Clause */
/* Streams a response body through zlib in bounded memory (gzip, gunzip). */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_zpipe.h"

/*
 * Memory per request: the zlib state (reused across requests through a
 * small per-process free list, reset with deflateReset/inflateReset
 * rather than freed and reallocated), one staging buffer for file input,
 * and at most nbufs output buffers of buf_size.  When every output buffer
 * is still queued for the client, the pipe stops taking input and sets
 * r->buffered; the writer's next pass through the chain (with no input)
 * finds buffers drained and carries on.
 */

#define ZPIPE_STAGING   32768     /* file input read per pread() */
#define ZPIPE_CACHE_MAX 8         /* free states kept per kind */

struct pt_http_zstate_s {
    z_stream               zs;
    pt_http_zpipe_kind_e   kind;
    int                    level;
    pt_http_zstate_t      *next;
};

/* Per worker: fork copies these empty, each process keeps its own. */
static pt_http_zstate_t  *zpipe_free[2];
static size_t             zpipe_nfree[2];


static void
zpipe_state_end(pt_http_zstate_t *st)
{
    if (st->kind == PT_ZPIPE_DEFLATE) {
        (void) deflateEnd(&st->zs);
    } else {
        (void) inflateEnd(&st->zs);
    }

    free(st);
}


/* A reset state from the free list, or a new one; NULL on failure. */
static pt_http_zstate_t *
zpipe_state_get(pt_http_zpipe_kind_e kind, int level, pt_log_t *log)
{
    pt_http_zstate_t  *st = zpipe_free[kind];
    int                rc;

    if (st != NULL) {
        zpipe_free[kind] = st->next;
        zpipe_nfree[kind]--;

        if (kind == PT_ZPIPE_DEFLATE && st->level != level) {
            /* nothing compressed since the reset: only the level changes */
            rc = deflateParams(&st->zs, level, Z_DEFAULT_STRATEGY);
            if (rc != Z_OK) {
                pt_log_error(PT_LOG_ALERT, log, 0,
                             "deflateParams() failed: %d", rc);
                zpipe_state_end(st);
                return NULL;
            }
            st->level = level;
        }

        return st;
    }

    st = calloc(1, sizeof(pt_http_zstate_t));
    if (st == NULL) {
        return NULL;
    }

    st->kind = kind;
    st->level = level;

    /* 16 + 15: a gzip wrapper (header and CRC trailer) round a 32K window */
    rc = kind == PT_ZPIPE_DEFLATE
         ? deflateInit2(&st->zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
                        Z_DEFAULT_STRATEGY)
         : inflateInit2(&st->zs, 16 + MAX_WBITS);

    if (rc != Z_OK) {
        pt_log_error(PT_LOG_ALERT, log, 0, "%s() failed: %d",
                     kind == PT_ZPIPE_DEFLATE ? "deflateInit2" : "inflateInit2",
                     rc);
        free(st);
        return NULL;
    }

    return st;
}


/* Gives the state back (reset) or frees it when the list is full. */
static void
zpipe_release(pt_http_zpipe_t *zp)
{
    pt_http_zstate_t  *st = zp->state;
    int                rc;

    if (st == NULL) {
        return;
    }

    zp->state = NULL;
    zp->zs = NULL;

    if (zpipe_nfree[st->kind] >= ZPIPE_CACHE_MAX) {
        zpipe_state_end(st);
        return;
    }

    /* a reset keeps the buffer pointers: input of a request cut short */
    st->zs.next_in = NULL;
    st->zs.avail_in = 0;
    st->zs.next_out = NULL;
    st->zs.avail_out = 0;

    rc = st->kind == PT_ZPIPE_DEFLATE ? deflateReset(&st->zs)
                                      : inflateReset(&st->zs);
    if (rc != Z_OK) {
        zpipe_state_end(st);
        return;
    }

    st->next = zpipe_free[st->kind];
    zpipe_free[st->kind] = st;
    zpipe_nfree[st->kind]++;
}


static void
zpipe_cleanup(void *data)
{
    zpipe_release(data);
}


static int
zpipe_next_body(pt_http_request_t *r, const pt_http_filter_t *f,
    pt_chain_t *out)
{
    return pt_http_next_body(r, f, out);
}


size_t
pt_http_zpipe_cached(pt_http_zpipe_kind_e kind)
{
    return zpipe_nfree[kind];
}


pt_http_zpipe_t *
pt_http_zpipe_create(pt_http_request_t *r, pt_http_zpipe_kind_e kind,
    int level, size_t nbufs, size_t buf_size)
{
    pt_http_zpipe_t    *zp = pt_pcalloc(r->pool, sizeof(pt_http_zpipe_t));
    pt_pool_cleanup_t  *cln = pt_pool_cleanup_add(r->pool, 0);

    if (zp == NULL || cln == NULL || nbufs == 0 || buf_size == 0) {
        return NULL;
    }

    zp->bufs = pt_pcalloc(r->pool, nbufs * sizeof(pt_buf_t *));
    zp->links = pt_pcalloc(r->pool, nbufs * sizeof(pt_chain_t *));
    zp->busy = pt_pcalloc(r->pool, nbufs * sizeof(unsigned));

    if (zp->bufs == NULL || zp->links == NULL || zp->busy == NULL) {
        return NULL;
    }

    zp->state = zpipe_state_get(kind, level, r->connection->log);
    if (zp->state == NULL) {
        return NULL;
    }

    cln->handler = zpipe_cleanup;
    cln->data = zp;

    zp->kind = kind;
    zp->zs = &zp->state->zs;
    zp->zflush = Z_NO_FLUSH;
    zp->nbufs = nbufs;
    zp->buf_size = buf_size;
    zp->cur = nbufs;
    zp->last_out = &zp->out;
    zp->output = zpipe_next_body;

    return zp;
}


/* Output buffers. */

/* Marks buffers the writer has fully sent as free again. */
static void
zpipe_recycle(pt_http_zpipe_t *zp)
{
    for (size_t i = 0; i < zp->nalloc; i++) {
        pt_buf_t  *b = zp->bufs[i];

        if (zp->busy[i] && b->pos == b->last) {
            zp->busy[i] = 0;
            b->pos = b->last = b->start;
            b->flush = 0;
            b->last_buf = 0;
        }
    }
}


/* Makes a free buffer current; false when all nbufs are in flight. */
static bool
zpipe_take_buf(pt_http_request_t *r, pt_http_zpipe_t *zp, int *err)
{
    size_t  i;

    for (i = 0; i < zp->nalloc; i++) {
        if (!zp->busy[i]) {
            zp->cur = i;
            return true;
        }
    }

    if (zp->nalloc == zp->nbufs) {
        return false;
    }

    zp->bufs[i] = pt_create_temp_buf(r->pool, zp->buf_size);
    zp->links[i] = pt_alloc_chain_link(r->pool);

    if (zp->bufs[i] == NULL || zp->links[i] == NULL) {
        *err = 1;
        return false;
    }

    zp->bufs[i]->tag = zp;
    zp->nalloc++;
    zp->cur = i;
    return true;
}


/* Queues the current buffer for the next filter. */
static void
zpipe_emit(pt_http_zpipe_t *zp, bool flush, bool last)
{
    size_t       i = zp->cur;
    pt_chain_t  *cl = zp->links[i];

    zp->bufs[i]->flush = flush;
    zp->bufs[i]->last_buf = last;
    zp->busy[i] = 1;
    zp->cur = zp->nbufs;

    cl->buf = zp->bufs[i];
    cl->next = NULL;
    *zp->last_out = cl;
    zp->last_out = &cl->next;
}


/* Input. */

/* Reads the next part of a file buffer into the staging buffer. */
static int
zpipe_read_file(pt_http_request_t *r, pt_http_zpipe_t *zp, pt_buf_t *b,
    size_t *n)
{
    size_t   want;
    ssize_t  got;

    if (zp->staging == NULL) {
        zp->staging_size = ZPIPE_STAGING;
        zp->staging = pt_pnalloc(r->pool, zp->staging_size);
        if (zp->staging == NULL) {
            return PT_ERROR;
        }
    }

    want = (size_t) pt_min(pt_buf_size(b), (off_t) zp->staging_size);
    got = pread(b->file->fd, zp->staging, want, b->file_pos);

    if (got <= 0) {
        pt_log_error(PT_LOG_CRIT, r->connection->log, got ? errno : 0,
                     "pread() \"%.*s\" failed%s", PT_STR_ARG(b->file->name),
                     got ? "" : " (file was truncated)");
        return PT_ERROR;
    }

    b->file_pos += got;
    *n = (size_t) got;
    return PT_OK;
}


/*
 * Hands zlib the next input: PT_OK with avail_in set (or with a flush
 * mode for a buffer that carries none), PT_AGAIN when no input is queued.
 */
static int
zpipe_load(pt_http_request_t *r, pt_http_zpipe_t *zp)
{
    while (zp->in) {
        pt_buf_t  *b = zp->in->buf;
        off_t      size = pt_buf_special(b) ? 0 : pt_buf_size(b);
        size_t     n = 0;

        zp->in_mem = NULL;

        if (size > 0 && pt_buf_in_memory(b)) {
            zp->zs->next_in = b->pos;
            n = (size_t) size;
            zp->in_mem = b;

        } else if (size > 0) {
            if (zpipe_read_file(r, zp, b, &n) != PT_OK) {
                return PT_ERROR;
            }
            zp->zs->next_in = zp->staging;
        }

        zp->zs->avail_in = (uInt) n;

        /* The buffer's flags apply once its last byte is handed over. */
        if ((off_t) n == size || size == 0) {
            zp->in = zp->in->next;
            zp->in_last |= b->last_buf;
            zp->in_flush |= b->flush;

            if (zp->kind == PT_ZPIPE_DEFLATE) {
                zp->zflush = b->last_buf ? Z_FINISH
                             : b->flush ? Z_SYNC_FLUSH : Z_NO_FLUSH;
            }
        }

        if (n > 0 || b->last_buf || b->flush) {
            return PT_OK;
        }
    }

    return PT_AGAIN;
}


/* zlib. */

/* Runs zlib once on the current buffer; Z_* result. */
static int
zpipe_step(pt_http_zpipe_t *zp)
{
    pt_buf_t  *b = zp->bufs[zp->cur];
    z_stream  *zs = zp->zs;
    uInt       in = zs->avail_in;
    int        rc;

    if (zp->kind == PT_ZPIPE_INFLATE && zp->member_end && in > 0) {
        /* concatenated gzip members decode as one body */
        (void) inflateReset(zs);
        zp->member_end = 0;
    }

    zs->next_out = b->last;
    zs->avail_out = (uInt) (b->end - b->last);

    rc = zp->kind == PT_ZPIPE_DEFLATE ? deflate(zs, zp->zflush)
                                      : inflate(zs, Z_NO_FLUSH);

    zp->bytes_in += in - zs->avail_in;
    zp->bytes_out += zs->next_out - b->last;
    b->last = zs->next_out;

    if (zp->in_mem) {
        zp->in_mem->pos = zs->next_in;

        /* All of it is zlib's: its owner may refill the buffer now. */
        if (zs->avail_in == 0) {
            zp->in_mem = NULL;
        }
    }

    if (rc == Z_STREAM_END && zp->kind == PT_ZPIPE_INFLATE) {
        zp->member_end = 1;
        rc = Z_OK;
    }

    return rc;
}


/* True when zlib has nothing left to give for the input so far. */
static bool
zpipe_drained(pt_http_zpipe_t *zp, int rc)
{
    return zp->zs->avail_in == 0 && zp->zs->avail_out > 0
           && (rc == Z_OK || rc == Z_BUF_ERROR);
}


/*
 * Fills output buffers until input runs out, buffers run out (blocked)
 * or the stream ends (done).  PT_OK or PT_ERROR.
 */
static int
zpipe_produce(pt_http_request_t *r, pt_http_zpipe_t *zp)
{
    int  rc, err = 0;

    while (!zp->done) {
        if (zp->zs->avail_in == 0 && zp->zflush == Z_NO_FLUSH
            && !zp->in_last && !zp->in_flush)
        {
            rc = zpipe_load(r, zp);
            if (rc == PT_ERROR) {
                return PT_ERROR;
            }
            if (rc == PT_AGAIN) {
                return PT_OK;
            }
        }

        if (zp->cur == zp->nbufs && !zpipe_take_buf(r, zp, &err)) {
            zp->blocked = !err;
            return err ? PT_ERROR : PT_OK;
        }

        rc = zpipe_step(zp);

        if (rc == Z_STREAM_END) {                  /* deflate finished */
            zpipe_emit(zp, true, true);
            zp->done = 1;
            break;
        }

        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            pt_log_error(PT_LOG_ERR, r->connection->log, 0,
                         "%s() failed: %d", zp->kind == PT_ZPIPE_DEFLATE
                                            ? "deflate" : "inflate", rc);
            return PT_ERROR;
        }

        if (zp->zs->avail_out == 0) {
            zpipe_emit(zp, false, false);
            continue;
        }

        if (!zpipe_drained(zp, rc)) {
            continue;
        }

        if (zp->kind == PT_ZPIPE_INFLATE && zp->in_last) {
            if (!zp->member_end) {
                pt_log_error(PT_LOG_ERR, r->connection->log, 0,
                             "gunzip: truncated gzip stream");
            }
            zpipe_emit(zp, true, true);
            zp->done = 1;
            break;
        }

        if (zp->in_flush || zp->zflush == Z_SYNC_FLUSH) {
            /* an empty buffer could be recycled while still queued */
            if (zp->bufs[zp->cur]->last > zp->bufs[zp->cur]->pos) {
                zpipe_emit(zp, true, false);
            }
            zp->in_flush = 0;
            zp->zflush = Z_NO_FLUSH;
        }
    }

    zpipe_release(zp);
    return PT_OK;
}


int
pt_http_zpipe_filter(pt_http_request_t *r, const pt_http_filter_t *f,
    pt_http_zpipe_t *zp, pt_chain_t *in)
{
    int          rc = PT_OK;
    bool         passed = false;
    pt_chain_t  *out;

    if (in && pt_chain_add_copy(r->pool, &zp->in, in) != PT_OK) {
        return PT_ERROR;
    }

    for (;;) {
        zpipe_recycle(zp);
        zp->blocked = 0;

        if (!zp->done && zpipe_produce(r, zp) != PT_OK) {
            return PT_ERROR;
        }

        out = zp->out;
        zp->out = NULL;
        zp->last_out = &zp->out;

        if (out == NULL && passed) {
            break;
        }

        if (zp->blocked && out != NULL) {
            /* every buffer is queued: the writer must not sit on them */
            for (pt_chain_t *cl = out; cl; cl = cl->next) {
                if (cl->next == NULL) {
                    cl->buf->flush = 1;
                }
            }
        }

        rc = zp->output(r, f, out);
        passed = true;

        if (rc == PT_ERROR) {
            return PT_ERROR;
        }

        if (!zp->blocked) {
            break;
        }
    }

    r->buffered = zp->blocked;

    return zp->blocked ? PT_AGAIN : rc;
}
