/* SPDX-License-Identifier: BSD-2-Clause */
/* Read-only hashes built at config time: exact keys and server-name wildcards. */
#ifndef PT_HASH_H
#define PT_HASH_H

typedef struct {
    pt_str_t   key;
    uintptr_t  key_hash;
    void      *value;
} pt_hash_key_t;

typedef struct {
    pt_hash_key_t  **buckets;   /* each bucket: array ending in key.data == NULL */
    size_t           size;      /* number of buckets */
} pt_hash_t;

/* FNV-1a style hash of len bytes, and of their lower-case form. */
uintptr_t pt_hash_key(const u_char *data, size_t len);
uintptr_t pt_hash_key_lc(const u_char *data, size_t len);

/*
 * Builds hash from nkeys keys (key_hash filled by the caller or computed
 * here when 0), allocating from pool.  Keys are compared exactly, so store
 * them lower-case for case-insensitive use.  PT_OK or PT_ERROR.
 */
int pt_hash_init(pt_hash_t *hash, pt_hash_key_t *keys, size_t nkeys,
    pt_pool_t *pool);

/* Value stored under name (len bytes, hash key), or NULL. */
void *pt_hash_find(const pt_hash_t *hash, uintptr_t key, const u_char *name,
    size_t len);

/*
 * Server-name wildcards: "*.example.com" / ".example.com" (leading) and
 * "www.example.*" (trailing).  Built from an array of pt_hash_key_t whose
 * keys are lower-case and include the '*' or leading '.'.
 */
typedef struct {
    pt_hash_t   head;       /* keyed by the suffix after "*." or ".", see .c */
    pt_hash_t   tail;       /* keyed by the prefix before ".*" */
    size_t      head_max;   /* longest head key, to bound lookups */
} pt_hash_wildcard_t;

int pt_hash_wildcard_init(pt_hash_wildcard_t *hw, pt_hash_key_t *keys,
    size_t nkeys, pt_pool_t *pool);

/*
 * Finds the most specific wildcard for name (lower-case): the longest
 * leading match "*.b.c" for "a.b.c", else the longest trailing "a.b.*".
 * ".example.com" also matches "example.com" itself.  NULL when none.
 */
void *pt_hash_wildcard_find(const pt_hash_wildcard_t *hw, const u_char *name,
    size_t len);

#endif /* PT_HASH_H */
