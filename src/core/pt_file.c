/* SPDX-License-Identifier: BSD-2-Clause */
/* Small file helpers: absolute names, whole writes, positioned reads. */
#include "pt_config.h"
#include "pt_core.h"


/*
 * Replaces name with prefix + name (a '/' is added when prefix lacks it)
 * unless name is already absolute; either way the result is a
 * NUL-terminated copy in pool.  PT_OK or PT_ERROR.
 */
int
pt_get_full_name(pt_pool_t *pool, const pt_str_t *prefix, pt_str_t *name)
{
    size_t   len, plen;
    bool     slash;
    u_char  *p, *d;

    if (name->len && name->data[0] == '/') {
        return pt_pstr_copy(pool, name, name->data, name->len);
    }

    plen = prefix->len;
    slash = plen && prefix->data[plen - 1] != '/';
    len = plen + slash + name->len;

    d = pt_pnalloc(pool, len + 1);
    if (d == NULL) {
        return PT_ERROR;
    }

    p = d;

    if (plen) {
        p = pt_cpymem(p, prefix->data, plen);
    }

    if (slash) {
        *p++ = '/';
    }

    if (name->len) {
        p = pt_cpymem(p, name->data, name->len);
    }

    *p = '\0';

    name->data = d;
    name->len = len;

    return PT_OK;
}


/*
 * Writes all n bytes of buf to fd, retrying EINTR and short writes.
 * Returns n, or -1 with errno set (EAGAIN included: meant for blocking
 * descriptors such as log and pid files).
 */
ssize_t
pt_write_fd(int fd, const void *buf, size_t n)
{
    ssize_t        w;
    size_t         done;
    const u_char  *p;

    p = buf;

    for (done = 0; done < n; /* void */ ) {
        w = write(fd, p + done, n - done);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }

            return -1;
        }

        if (w == 0) {
            errno = EIO;
            return -1;
        }

        done += (size_t) w;
    }

    return (ssize_t) n;
}


/*
 * Reads up to n bytes at offset, retrying EINTR and short reads until n
 * bytes or end of file.  Returns the bytes read, or -1 with errno set.
 */
ssize_t
pt_read_file(int fd, u_char *buf, size_t n, off_t offset)
{
    size_t   done;
    ssize_t  r;

    for (done = 0; done < n; done += (size_t) r) {
        r = pread(fd, buf + done, n - done, offset + (off_t) done);

        if (r < 0) {
            if (errno == EINTR) {
                r = 0;
                continue;
            }

            return -1;
        }

        if (r == 0) {
            break;
        }
    }

    return (ssize_t) done;
}
