/* SPDX-License-Identifier: BSD-2-Clause */
/* Small file helpers: full paths, whole-file writes, open file info. */
#ifndef PT_FILE_H
#define PT_FILE_H

/*
 * Makes name absolute against prefix (prefix ends with '/'), in pool;
 * names starting with '/' are kept.  NUL-terminated.  PT_OK or PT_ERROR.
 */
int pt_get_full_name(pt_pool_t *pool, const pt_str_t *prefix, pt_str_t *name);

/* Writes all of buf to fd, retrying EINTR; -1 on error. */
ssize_t pt_write_fd(int fd, const void *buf, size_t n);

/* Reads up to n bytes at offset; -1 on error. */
ssize_t pt_read_file(int fd, u_char *buf, size_t n, off_t offset);

#endif /* PT_FILE_H */
