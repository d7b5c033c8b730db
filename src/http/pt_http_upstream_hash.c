/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure hash functions of the balancers: CRC-32, ip_hash, hash, ketama ring. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_upstream_hash.h"


/* The nibble-wise table keeps the code small; speed matters little here. */
static const uint32_t  crc32_nibble[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
    0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
    0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c
};


uint32_t
pt_crc32_update(uint32_t crc, const u_char *p, size_t len)
{
    while (len--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ crc32_nibble[crc & 0xf];
        crc = (crc >> 4) ^ crc32_nibble[crc & 0xf];
    }

    return crc;
}


uint32_t
pt_crc32(const u_char *p, size_t len)
{
    return pt_crc32_final(pt_crc32_update(pt_crc32_init(), p, len));
}


uint32_t
pt_http_ip_hash(uint32_t hash, const u_char *addr, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        hash = (hash * 113 + addr[i]) % 6271;
    }

    return hash;
}


uint32_t
pt_http_hash_key(const pt_str_t *key, unsigned try, uint32_t prev)
{
    uint32_t  crc = pt_crc32_init();
    u_char    buf[16];

    /* Cache::Memcached's rehash: the try number goes before the key. */
    if (try > 0) {
        int  n = snprintf((char *) buf, sizeof(buf), "%u", try);

        crc = pt_crc32_update(crc, buf, (size_t) n);
    }

    crc = pt_crc32_final(pt_crc32_update(crc, key->data, key->len));
    return prev + ((crc >> 16) & 0x7fff);
}


/* Splits "host:port" at the last colon followed only by digits. */
static void
chash_split(const pt_str_t *server, pt_str_t *host, pt_str_t *port)
{
    static u_char  port80[] = "80";

    if (server->len >= 5 && strncasecmp((char *) server->data, "unix:", 5) == 0)
    {
        host->data = server->data + 5;
        host->len = server->len - 5;
        port->data = NULL;
        port->len = 0;
        return;
    }

    for (size_t j = 0; j < server->len; j++) {
        u_char  c = server->data[server->len - j - 1];

        if (c == ':') {
            host->data = server->data;
            host->len = server->len - j - 1;
            port->data = server->data + server->len - j;
            port->len = j;
            return;
        }

        if (c < '0' || c > '9') {
            break;
        }
    }

    *host = *server;
    port->data = port80;
    port->len = 2;
}


static int
chash_cmp(const void *a, const void *b)
{
    const pt_http_chash_point_t  *x = a, *y = b;

    return x->hash < y->hash ? -1 : x->hash > y->hash;
}


int
pt_http_chash_build(pt_pool_t *pool, const pt_str_t *servers,
    const int *weights, size_t n, pt_http_chash_ring_t *ring)
{
    size_t  total = 0, k = 0;

    for (size_t i = 0; i < n; i++) {
        total += (size_t) weights[i] * PT_HTTP_CHASH_POINTS;
    }

    ring->point = pt_palloc(pool, (total ? total : 1) * sizeof(*ring->point));
    if (ring->point == NULL) {
        return PT_ERROR;
    }

    for (size_t i = 0; i < n; i++) {
        pt_str_t  host, port;
        uint32_t  base, prev = 0;
        u_char    b[4];

        chash_split(&servers[i], &host, &port);
        base = pt_crc32_update(pt_crc32_init(), host.data, host.len);
        base = pt_crc32_update(base, (const u_char *) "", 1);
        base = pt_crc32_update(base, port.data, port.len);

        for (size_t j = 0; j < (size_t) weights[i] * PT_HTTP_CHASH_POINTS;
             j++)
        {
            /* The previous point's bytes, little-endian as nginx on x86. */
            b[0] = (u_char) prev;
            b[1] = (u_char) (prev >> 8);
            b[2] = (u_char) (prev >> 16);
            b[3] = (u_char) (prev >> 24);
            prev = pt_crc32_final(pt_crc32_update(base, b, 4));
            ring->point[k].hash = prev;
            ring->point[k].server = (uint32_t) i;
            k++;
        }
    }

    qsort(ring->point, k, sizeof(*ring->point), chash_cmp);

    /* Equal hashes (two addresses of one name): the first one keeps it. */
    size_t  m = 0;

    for (size_t i = 0; i < k; i++) {
        if (m == 0 || ring->point[i].hash != ring->point[m - 1].hash) {
            ring->point[m++] = ring->point[i];
        }
    }

    ring->number = m;
    return PT_OK;
}


size_t
pt_http_chash_find(const pt_http_chash_ring_t *ring, uint32_t hash)
{
    size_t  lo = 0, hi = ring->number;

    while (lo < hi) {
        size_t  mid = lo + (hi - lo) / 2;

        if (ring->point[mid].hash < hash) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return lo == ring->number ? 0 : lo;
}
