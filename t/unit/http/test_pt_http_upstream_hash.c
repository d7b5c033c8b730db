/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the balancers' hash functions and the ketama ring. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_upstream_hash.h"

#include <check.h>

#define KEYS  3000


START_TEST(crc32_known)
{
    ck_assert_uint_eq(pt_crc32((const u_char *) "123456789", 9), 0xcbf43926u);
    ck_assert_uint_eq(pt_crc32((const u_char *) "", 0), 0);

    /* Incremental equals one pass. */
    uint32_t  c = pt_crc32_update(pt_crc32_init(), (const u_char *) "1234", 4);

    c = pt_crc32_update(c, (const u_char *) "56789", 5);
    ck_assert_uint_eq(pt_crc32_final(c), 0xcbf43926u);
}
END_TEST


START_TEST(ip_hash_nginx)
{
    u_char  a[3] = { 10, 1, 7 };

    /* Values from nginx's formula, computed independently. */
    ck_assert_uint_eq(pt_http_ip_hash(89, a, 3), 2685);
    ck_assert_uint_lt(pt_http_ip_hash(2685, a, 3), 6271);
}
END_TEST


START_TEST(hash_key_rehash)
{
    pt_str_t  key = pt_string("key1");
    uint32_t  h = pt_http_hash_key(&key, 0, 0);

    ck_assert_uint_eq(h, 11356);
    ck_assert_uint_eq(pt_http_hash_key(&key, 1, h), 11356 + 22395);
}
END_TEST


static void
ring_of(pt_pool_t *pool, size_t n, pt_http_chash_ring_t *ring)
{
    static pt_str_t  names[] = {
        pt_string("10.0.0.1:80"), pt_string("10.0.0.2:80"),
        pt_string("10.0.0.3:80"), pt_string("10.0.0.4:80"),
        pt_string("10.0.0.5:80")
    };
    int              weights[] = { 1, 1, 1, 1, 1 };

    ck_assert_int_eq(pt_http_chash_build(pool, names, weights, n, ring),
                     PT_OK);
}


static uint32_t
ring_owner(const pt_http_chash_ring_t *ring, unsigned k)
{
    u_char  buf[32];
    int     n = snprintf((char *) buf, sizeof(buf), "key-%u", k);

    return ring->point[pt_http_chash_find(ring, pt_crc32(buf, (size_t) n))]
           .server;
}


START_TEST(chash_ring_sorted)
{
    pt_pool_t             *pool = pt_create_pool(4096, NULL);
    pt_http_chash_ring_t   ring;

    ring_of(pool, 5, &ring);
    ck_assert_uint_eq(ring.number, 5 * PT_HTTP_CHASH_POINTS);

    for (size_t i = 1; i < ring.number; i++) {
        ck_assert_uint_lt(ring.point[i - 1].hash, ring.point[i].hash);
    }

    /* Past the last point wraps to the first. */
    ck_assert_uint_eq(pt_http_chash_find(&ring, UINT32_MAX), 0);
    ck_assert_uint_eq(pt_http_chash_find(&ring, 0), 0);
    ck_assert_uint_eq(pt_http_chash_find(&ring, ring.point[7].hash), 7);
    ck_assert_uint_eq(pt_http_chash_find(&ring, ring.point[7].hash + 1), 8);
    pt_destroy_pool(pool);
}
END_TEST


START_TEST(chash_remaps_one_nth)
{
    pt_pool_t             *pool = pt_create_pool(4096, NULL);
    pt_http_chash_ring_t   five, four;
    unsigned               moved = 0, per[5] = { 0 };

    ring_of(pool, 5, &five);
    ring_of(pool, 4, &four);

    for (unsigned k = 0; k < KEYS; k++) {
        uint32_t  a = ring_owner(&five, k), b = ring_owner(&four, k);

        per[a]++;
        if (a != b) {
            /* Only the removed server's keys move. */
            ck_assert_uint_eq(a, 4);
            moved++;
        }
    }

    /* About 1/5 of the keys move; each server holds a fair share. */
    ck_assert_uint_gt(moved, KEYS / 5 - KEYS / 15);
    ck_assert_uint_lt(moved, KEYS / 5 + KEYS / 15);
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_gt(per[i], KEYS / 10);
    }

    pt_destroy_pool(pool);
}
END_TEST


START_TEST(chash_weight_and_default_port)
{
    pt_pool_t             *pool = pt_create_pool(4096, NULL);
    pt_str_t               names[] = { pt_string("a.example"),
                                       pt_string("a.example:80") };
    int                    weights[] = { 2, 1 };
    pt_http_chash_ring_t   ring;

    /* "host" means port 80: both names give the same points, deduped. */
    ck_assert_int_eq(pt_http_chash_build(pool, names, weights, 2, &ring),
                     PT_OK);
    ck_assert_uint_eq(ring.number, 2 * PT_HTTP_CHASH_POINTS);
    pt_destroy_pool(pool);
}
END_TEST


Suite *
pt_suite_http_upstream_hash(void)
{
    Suite  *s = suite_create("http_upstream_hash");
    TCase  *tc = tcase_create("hash");

    tcase_add_test(tc, crc32_known);
    tcase_add_test(tc, ip_hash_nginx);
    tcase_add_test(tc, hash_key_rehash);
    suite_add_tcase(s, tc);

    tc = tcase_create("chash");
    tcase_add_test(tc, chash_ring_sorted);
    tcase_add_test(tc, chash_remaps_one_nth);
    tcase_add_test(tc, chash_weight_and_default_port);
    suite_add_tcase(s, tc);
    return s;
}
