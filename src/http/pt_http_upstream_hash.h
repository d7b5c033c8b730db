/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure hash functions of the balancers: CRC-32, ip_hash, hash, ketama ring. */
#ifndef PT_HTTP_UPSTREAM_HASH_H
#define PT_HTTP_UPSTREAM_HASH_H

/* How many times a hashing balancer looks again before round robin. */
#define PT_HTTP_UPSTREAM_HASH_TRIES  20

/* Ring points per unit of weight (Cache::Memcached::Fast, as nginx). */
#define PT_HTTP_CHASH_POINTS  160

/* CRC-32 (IEEE, reflected), usable incrementally: init, update, final. */
static inline uint32_t
pt_crc32_init(void)
{
    return 0xffffffffu;
}

uint32_t pt_crc32_update(uint32_t crc, const u_char *p, size_t len);

static inline uint32_t
pt_crc32_final(uint32_t crc)
{
    return crc ^ 0xffffffffu;
}

/* The CRC-32 of p[0, len). */
uint32_t pt_crc32(const u_char *p, size_t len);

/*
 * One round of ip_hash over addr (the first three octets of an IPv4
 * address, or the 16 of an IPv6 one), continuing from hash (89 at the
 * start); a retry continues from the previous result.  nginx's function,
 * so both pick the same peers for the same configuration.
 */
uint32_t pt_http_ip_hash(uint32_t hash, const u_char *addr, size_t len);

/*
 * One round of `hash KEY`: try 0 adds (crc32(key) >> 16) & 0x7fff to
 * prev (0 at the start); try n > 0 hashes the decimal n before the key.
 * Returns the new running hash; the peer is hash % total_weight.
 */
uint32_t pt_http_hash_key(const pt_str_t *key, unsigned try, uint32_t prev);

typedef struct {
    uint32_t   hash;
    uint32_t   server;                 /* index of the peer that owns it */
} pt_http_chash_point_t;

typedef struct {
    pt_http_chash_point_t  *point;
    size_t                  number;
} pt_http_chash_ring_t;

/*
 * Builds the ketama ring of n servers: servers[i] is the configured name
 * ("host:port", "host" meaning port 80, or "unix:path") and weights[i]
 * its weight; each gets weight * 160 points derived from
 * crc32(host "\0" port prev), sorted, duplicates dropped.  Points come
 * from pool.  PT_OK or PT_ERROR (allocation).
 */
int pt_http_chash_build(pt_pool_t *pool, const pt_str_t *servers,
    const int *weights, size_t n, pt_http_chash_ring_t *ring);

/*
 * The index of the first point at or after hash, wrapping past the last
 * to 0.  ring has at least one point.
 */
size_t pt_http_chash_find(const pt_http_chash_ring_t *ring, uint32_t hash);

#endif /* PT_HTTP_UPSTREAM_HASH_H */
