/* SPDX-License-Identifier: BSD-2-Clause */
/* Static hashes for exact keys, and server-name wildcard lookup on top. */
#include "pt_config.h"
#include "pt_core.h"


#define FNV_OFFSET  14695981039346656037ULL
#define FNV_PRIME   1099511628211ULL


/*
 * FNV-1a over len bytes.  The HTTP parser computes header hashes byte by
 * byte with the same steps, so this must not change.
 */
uintptr_t
pt_hash_key(const u_char *data, size_t len)
{
    uint64_t  h;

    h = FNV_OFFSET;

    while (len--) {
        h ^= *data++;
        h *= FNV_PRIME;
    }

    return (uintptr_t) h;
}


/* FNV-1a over the lower-case form of len bytes. */
uintptr_t
pt_hash_key_lc(const u_char *data, size_t len)
{
    uint64_t  h;

    h = FNV_OFFSET;

    while (len--) {
        h ^= pt_tolower(*data);
        h *= FNV_PRIME;
        data++;
    }

    return (uintptr_t) h;
}


/*
 * Builds a chained table of about 1.5 buckets per key; each bucket is an
 * array terminated by a NULL key.data.  Key strings are copied into pool.
 * With duplicate keys the first one given is the one found.
 */
int
pt_hash_init(pt_hash_t *hash, pt_hash_key_t *keys, size_t nkeys,
    pt_pool_t *pool)
{
    size_t          i, b, size, *counts;
    pt_hash_key_t  *elts, *e;

    hash->buckets = NULL;
    hash->size = 0;

    if (nkeys == 0) {
        return PT_OK;
    }

    if (nkeys > SIZE_MAX / 4) {
        return PT_ERROR;
    }

    size = nkeys + nkeys / 2 + 1;

    hash->buckets = pt_pcalloc(pool, size * sizeof(pt_hash_key_t *));
    counts = calloc(size, sizeof(size_t));
    elts = pt_palloc(pool, (nkeys + size) * sizeof(pt_hash_key_t));

    if (hash->buckets == NULL || counts == NULL || elts == NULL) {
        free(counts);
        return PT_ERROR;
    }

    for (i = 0; i < nkeys; i++) {
        if (keys[i].key_hash == 0) {
            keys[i].key_hash = pt_hash_key(keys[i].key.data, keys[i].key.len);
        }

        counts[keys[i].key_hash % size]++;
    }

    /* carve the element array into buckets, each with a terminator */

    e = elts;

    for (b = 0; b < size; b++) {
        if (counts[b] == 0) {
            continue;
        }

        hash->buckets[b] = e;
        e += counts[b] + 1;
        counts[b] = 0;
    }

    for (i = 0; i < nkeys; i++) {
        b = keys[i].key_hash % size;
        e = &hash->buckets[b][counts[b]++];

        e->key_hash = keys[i].key_hash;
        e->value = keys[i].value;

        if (pt_pstr_copy(pool, &e->key, keys[i].key.data, keys[i].key.len)
            != PT_OK)
        {
            free(counts);
            return PT_ERROR;
        }
    }

    for (b = 0; b < size; b++) {
        if (hash->buckets[b]) {
            e = &hash->buckets[b][counts[b]];
            e->key.data = NULL;
            e->key.len = 0;
            e->key_hash = 0;
            e->value = NULL;
        }
    }

    free(counts);

    hash->size = size;

    return PT_OK;
}


/* The value stored under the exact bytes name with hash key; NULL if none. */
void *
pt_hash_find(const pt_hash_t *hash, uintptr_t key, const u_char *name,
    size_t len)
{
    pt_hash_key_t  *e;

    if (hash->size == 0) {
        return NULL;
    }

    e = hash->buckets[key % hash->size];

    if (e == NULL) {
        return NULL;
    }

    for ( /* void */ ; e->key.data; e++) {
        if (e->key_hash == key && e->key.len == len
            && memcmp(e->key.data, name, len) == 0)
        {
            return e->value;
        }
    }

    return NULL;
}


/*
 * Wildcards.  A leading wildcard is stored in hw->head under its suffix
 * without the "*." or "." ("example.com"), with a small record telling
 * which forms are present: "*.example.com" needs at least one more label,
 * ".example.com" also matches the suffix alone.  A trailing wildcard is
 * stored in hw->tail under its prefix without ".*" ("www.example").
 * Lookup tries the name's suffixes at label boundaries, longest first,
 * then its prefixes, longest first.
 */

typedef struct {
    void  *star;        /* "*.suffix": subdomains only */
    void  *dot;         /* ".suffix": suffix itself and subdomains */
} wildcard_head_t;


static bool
wildcard_valid_part(const u_char *p, size_t len)
{
    size_t  i;

    if (len == 0 || p[0] == '.' || p[len - 1] == '.') {
        return false;
    }

    for (i = 0; i < len; i++) {
        if (p[i] == '*') {
            return false;
        }

        if (p[i] == '.' && i + 1 < len && p[i + 1] == '.') {
            return false;
        }
    }

    return true;
}


/*
 * Builds hw from keys of the forms above (lower-case).  PT_ERROR for
 * malformed keys ("*", "a.*.b", "*example.com") or on allocation failure.
 * When a key repeats, the first one wins.
 */
int
pt_hash_wildcard_init(pt_hash_wildcard_t *hw, pt_hash_key_t *keys,
    size_t nkeys, pt_pool_t *pool)
{
    int               rc;
    size_t            i, j, nhead, ntail, skip;
    u_char           *d;
    pt_hash_key_t    *head, *tail, *k;
    wildcard_head_t  *wh, **whs;

    hw->head_max = 0;
    hw->head.buckets = NULL;
    hw->head.size = 0;
    hw->tail.buckets = NULL;
    hw->tail.size = 0;

    if (nkeys == 0) {
        return PT_OK;
    }

    head = calloc(nkeys, sizeof(pt_hash_key_t));
    tail = calloc(nkeys, sizeof(pt_hash_key_t));
    whs = calloc(nkeys, sizeof(wildcard_head_t *));

    if (head == NULL || tail == NULL || whs == NULL) {
        rc = PT_ERROR;
        goto done;
    }

    nhead = 0;
    ntail = 0;
    rc = PT_ERROR;

    for (i = 0; i < nkeys; i++) {
        d = keys[i].key.data;

        if (keys[i].key.len >= 2 && d[0] == '*' && d[1] == '.') {
            skip = 2;

        } else if (keys[i].key.len >= 1 && d[0] == '.') {
            skip = 1;

        } else if (keys[i].key.len >= 2 && d[keys[i].key.len - 1] == '*'
                   && d[keys[i].key.len - 2] == '.')
        {
            if (!wildcard_valid_part(d, keys[i].key.len - 2)) {
                goto done;
            }

            for (j = 0; j < ntail; j++) {
                if (tail[j].key.len == keys[i].key.len - 2
                    && memcmp(tail[j].key.data, d, tail[j].key.len) == 0)
                {
                    break;
                }
            }

            if (j == ntail) {
                k = &tail[ntail++];
                k->key.data = d;
                k->key.len = keys[i].key.len - 2;
                k->key_hash = pt_hash_key(k->key.data, k->key.len);
                k->value = keys[i].value;
            }

            continue;

        } else {
            goto done;
        }

        if (!wildcard_valid_part(d + skip, keys[i].key.len - skip)) {
            goto done;
        }

        for (j = 0; j < nhead; j++) {
            if (head[j].key.len == keys[i].key.len - skip
                && memcmp(head[j].key.data, d + skip, head[j].key.len) == 0)
            {
                break;
            }
        }

        if (j == nhead) {
            wh = pt_pcalloc(pool, sizeof(wildcard_head_t));
            if (wh == NULL) {
                goto done;
            }

            whs[nhead] = wh;
            k = &head[nhead++];
            k->key.data = d + skip;
            k->key.len = keys[i].key.len - skip;
            k->key_hash = pt_hash_key(k->key.data, k->key.len);
            k->value = wh;

            hw->head_max = pt_max(hw->head_max, k->key.len);

        } else {
            wh = whs[j];
        }

        if (skip == 2) {
            if (wh->star == NULL) {
                wh->star = keys[i].value;
            }

        } else if (wh->dot == NULL) {
            wh->dot = keys[i].value;
        }
    }

    if (pt_hash_init(&hw->head, head, nhead, pool) != PT_OK
        || pt_hash_init(&hw->tail, tail, ntail, pool) != PT_OK)
    {
        goto done;
    }

    rc = PT_OK;

done:

    free(head);
    free(tail);
    free(whs);

    return rc;
}


/*
 * The most specific wildcard value for name (lower-case): the longest
 * matching leading wildcard, else the longest matching trailing one.
 * NULL when none matches.
 */
void *
pt_hash_wildcard_find(const pt_hash_wildcard_t *hw, const u_char *name,
    size_t len)
{
    void             *value;
    size_t            i, n;
    const u_char     *p;
    wildcard_head_t  *wh;

    if (len == 0) {
        return NULL;
    }

    /* leading: the whole name (".name" only), then shorter suffixes */

    if (hw->head.size) {
        p = name;
        n = len;

        if (n <= hw->head_max) {
            wh = pt_hash_find(&hw->head, pt_hash_key(p, n), p, n);

            if (wh && wh->dot) {
                return wh->dot;
            }
        }

        for (i = 0; i < len; i++) {
            if (name[i] != '.') {
                continue;
            }

            p = name + i + 1;
            n = len - i - 1;

            if (n == 0 || n > hw->head_max) {
                continue;
            }

            wh = pt_hash_find(&hw->head, pt_hash_key(p, n), p, n);

            if (wh == NULL) {
                continue;
            }

            if (wh->star) {
                return wh->star;
            }

            if (wh->dot) {
                return wh->dot;
            }
        }
    }

    /* trailing: prefixes ending before a dot, longest first */

    if (hw->tail.size) {
        for (i = len; i > 0; i--) {
            if (name[i - 1] != '.' || i == len) {
                continue;
            }

            n = i - 1;

            if (n == 0) {
                break;
            }

            value = pt_hash_find(&hw->tail, pt_hash_key(name, n), name, n);

            if (value) {
                return value;
            }
        }
    }

    return NULL;
}
