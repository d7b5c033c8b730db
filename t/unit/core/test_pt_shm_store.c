/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the keyed store and the robust shared mutex. */
#include "pt_config.h"
#include "pt_core.h"

#include <check.h>

#define ZONE_SIZE  (64 * 1024)
#define SLAB_SELF  128

typedef struct {
    uint64_t  v;
} value_t;


static pt_slab_pool_t *
store_zone(u_char **base)
{
    *base = mmap(NULL, ZONE_SIZE, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(*base, MAP_FAILED);

    pt_slab_pool_t  *sp = (pt_slab_pool_t *) (*base + SLAB_SELF);

    ck_assert_int_eq(pt_slab_init(sp, SLAB_SELF, ZONE_SIZE), PT_OK);
    return sp;
}


static value_t *
put(pt_slab_pool_t *sp, pt_shm_store_t *st, const char *key, uint64_t v)
{
    size_t    len = strlen(key);
    value_t  *val = pt_shm_store_insert(sp, st, (const u_char *) key, len,
                                        pt_shm_store_hash((const u_char *) key,
                                                          len));
    if (val) {
        val->v = v;
    }
    return val;
}


static value_t *
get(pt_slab_pool_t *sp, pt_shm_store_t *st, const char *key)
{
    size_t  len = strlen(key);

    return pt_shm_store_find(sp, st, (const u_char *) key, len,
                             pt_shm_store_hash((const u_char *) key, len));
}


START_TEST(insert_find_delete)
{
    u_char          *base;
    pt_slab_pool_t  *sp = store_zone(&base);
    pt_shm_store_t  *st = pt_shm_store_create(sp, sizeof(value_t), ZONE_SIZE);
    char             key[32];

    ck_assert_ptr_nonnull(st);

    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        ck_assert_ptr_nonnull(put(sp, st, key, (uint64_t) i));
    }

    ck_assert_uint_eq(st->count, 300);
    ck_assert_ptr_null(get(sp, st, "key-300"));
    ck_assert_ptr_null(get(sp, st, "key-"));

    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        value_t  *v = get(sp, st, key);

        ck_assert_ptr_nonnull(v);
        ck_assert_uint_eq(v->v, (uint64_t) i);

        pt_str_t  k = pt_shm_store_key(st, v);

        ck_assert_uint_eq(k.len, strlen(key));
        ck_assert_int_eq(memcmp(k.data, key, k.len), 0);
    }

    pt_shm_store_delete(sp, st, get(sp, st, "key-7"));
    ck_assert_ptr_null(get(sp, st, "key-7"));
    ck_assert_ptr_nonnull(get(sp, st, "key-8"));
    ck_assert_uint_eq(st->count, 299);
}
END_TEST


static bool
evict_below(void *value, void *data)
{
    return ((value_t *) value)->v < *(uint64_t *) data;
}


START_TEST(lru_order_and_eviction)
{
    u_char          *base;
    pt_slab_pool_t  *sp = store_zone(&base);
    pt_shm_store_t  *st = pt_shm_store_create(sp, sizeof(value_t), ZONE_SIZE);
    uint64_t         limit = 100;

    put(sp, st, "a", 1);
    put(sp, st, "b", 2);
    put(sp, st, "c", 200);
    put(sp, st, "d", 3);
    (void) get(sp, st, "a");       /* a is now the most recent */

    /* Oldest first: b goes, c refuses and stops the walk. */
    ck_assert_uint_eq(pt_shm_store_evict(sp, st, 10, evict_below, &limit), 1);
    ck_assert_ptr_null(get(sp, st, "b"));
    ck_assert_ptr_nonnull(get(sp, st, "d"));

    /* Unconditional: the least recently used (c) goes. */
    ck_assert_uint_eq(pt_shm_store_evict(sp, st, 1, NULL, NULL), 1);
    ck_assert_ptr_null(get(sp, st, "c"));
    ck_assert_uint_eq(st->count, 2);
    ck_assert_uint_eq(st->evictions, 2);
}
END_TEST


START_TEST(full_zone_evicts_and_goes_on)
{
    u_char          *base;
    pt_slab_pool_t  *sp = store_zone(&base);
    pt_shm_store_t  *st = pt_shm_store_create(sp, sizeof(value_t), ZONE_SIZE);
    char             key[32];
    int              i, full = 0;

    for (i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "client-%d", i);

        if (put(sp, st, key, (uint64_t) i) == NULL) {
            full++;
            ck_assert_uint_ge(pt_shm_store_evict(sp, st, 1, NULL, NULL), 1);
            ck_assert_ptr_nonnull(put(sp, st, key, (uint64_t) i));
        }
    }

    ck_assert_int_gt(full, 0);
    /* The newest survive, the oldest were evicted. */
    ck_assert_ptr_nonnull(get(sp, st, "client-9999"));
    ck_assert_ptr_null(get(sp, st, "client-0"));
}
END_TEST


static bool
walk_drop_odd(void *value, void *data)
{
    (*(int *) data)++;
    return ((value_t *) value)->v % 2;
}


START_TEST(walk_visits_all_and_deletes)
{
    u_char          *base;
    pt_slab_pool_t  *sp = store_zone(&base);
    pt_shm_store_t  *st = pt_shm_store_create(sp, sizeof(value_t), ZONE_SIZE);
    char             key[32];
    int              seen = 0;

    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "%d", i);
        put(sp, st, key, (uint64_t) i);
    }

    pt_shm_store_walk(sp, st, walk_drop_odd, &seen);
    ck_assert_int_eq(seen, 50);
    ck_assert_uint_eq(st->count, 25);
    ck_assert_ptr_null(get(sp, st, "3"));
    ck_assert_ptr_nonnull(get(sp, st, "4"));
}
END_TEST


/* A child dies holding the lock: the parent still gets it, told to repair. */
START_TEST(shmtx_recovers_from_dead_owner)
{
    pt_shmtx_t  *mtx = mmap(NULL, sizeof(pt_shmtx_t), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pt_log_t     log = { .log_level = PT_LOG_EMERG };
    int          status;

    ck_assert_int_eq(pt_shmtx_init(mtx, &log), PT_OK);

    pid_t  pid = fork();

    if (pid == 0) {
        (void) pt_shmtx_lock(mtx, &log);
        _exit(0);
    }

    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(pt_shmtx_lock(mtx, &log), PT_DONE);
    pt_shmtx_unlock(mtx);
    ck_assert_int_eq(pt_shmtx_lock(mtx, &log), PT_OK);
    pt_shmtx_unlock(mtx);
}
END_TEST


Suite *
pt_suite_shm_store(void)
{
    Suite  *s = suite_create("shm_store");
    TCase  *tc;

    tc = tcase_create("pt_shm_store");
    tcase_add_test(tc, insert_find_delete);
    tcase_add_test(tc, lru_order_and_eviction);
    tcase_add_test(tc, full_zone_evicts_and_goes_on);
    tcase_add_test(tc, walk_visits_all_and_deletes);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_shmtx");
    tcase_add_test(tc, shmtx_recovers_from_dead_owner);
    suite_add_tcase(s, tc);

    return s;
}
