/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for region pools, arrays and buffer chains built on them. */
#include "pt_config.h"
#include "pt_core.h"

#include <check.h>


static int  order[8];
static int  norder;


static void
record_cleanup(void *data)
{
    order[norder++] = *(int *) data;
}


START_TEST(many_small_allocations)
{
    size_t      i, n;
    u_char     *p, *prev[2000];
    pt_pool_t  *pool;

    pool = pt_create_pool(1024, NULL);
    ck_assert_ptr_nonnull(pool);

    for (i = 0; i < 2000; i++) {
        n = 1 + i % 200;
        p = pt_palloc(pool, n);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t) p % PT_ALIGNMENT, 0);
        memset(p, (int) (i & 0xff), n);
        prev[i] = p;
    }

    /* nothing overlapped */
    for (i = 0; i < 2000; i++) {
        n = 1 + i % 200;
        ck_assert_int_eq(prev[i][0], (int) (i & 0xff));
        ck_assert_int_eq(prev[i][n - 1], (int) (i & 0xff));
    }

    p = pt_pcalloc(pool, 100);
    for (i = 0; i < 100; i++) {
        ck_assert_int_eq(p[i], 0);
    }

    p = pt_pnalloc(pool, 3);
    ck_assert_ptr_nonnull(p);

    pt_reset_pool(pool);
    p = pt_palloc(pool, 16);
    ck_assert_ptr_nonnull(p);

    pt_destroy_pool(pool);
    pt_destroy_pool(NULL);
}
END_TEST


START_TEST(large_allocations)
{
    int         i;
    u_char     *big[10];
    pt_pool_t  *pool;

    pool = pt_create_pool(PT_POOL_DEFAULT_SIZE, NULL);
    ck_assert_ptr_nonnull(pool);
    ck_assert_uint_le(pool->max, PT_MAX_ALLOC_FROM_POOL);

    for (i = 0; i < 10; i++) {
        big[i] = pt_palloc(pool, 100000 + i);
        ck_assert_ptr_nonnull(big[i]);
        memset(big[i], i, 100000 + i);
    }

    ck_assert_int_eq(pt_pfree(pool, big[3]), PT_OK);
    ck_assert_int_eq(pt_pfree(pool, big[3]), PT_DECLINED);
    ck_assert_int_eq(pt_pfree(pool, (void *) pool), PT_DECLINED);

    /* the freed slot is reused */
    big[3] = pt_palloc(pool, 200000);
    ck_assert_ptr_nonnull(big[3]);

    pt_reset_pool(pool);
    ck_assert_ptr_null(pool->large);

    pt_destroy_pool(pool);
}
END_TEST


START_TEST(cleanups_run_newest_first)
{
    int                 i;
    pt_pool_t          *pool;
    pt_pool_cleanup_t  *c;

    norder = 0;

    pool = pt_create_pool(512, NULL);
    ck_assert_ptr_nonnull(pool);

    for (i = 1; i <= 3; i++) {
        c = pt_pool_cleanup_add(pool, sizeof(int));
        ck_assert_ptr_nonnull(c);
        ck_assert_ptr_nonnull(c->data);
        *(int *) c->data = i;
        c->handler = record_cleanup;
    }

    /* a record without a handler is skipped */
    c = pt_pool_cleanup_add(pool, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_null(c->data);

    pt_destroy_pool(pool);

    ck_assert_int_eq(norder, 3);
    ck_assert_int_eq(order[0], 3);
    ck_assert_int_eq(order[1], 2);
    ck_assert_int_eq(order[2], 1);
}
END_TEST


START_TEST(strings)
{
    u_char     *p;
    pt_str_t    s = pt_string("hello"), d;
    pt_pool_t  *pool;

    pool = pt_create_pool(256, NULL);

    p = pt_pstrdup(pool, &s);
    ck_assert_str_eq((char *) p, "hello");

    ck_assert_int_eq(pt_pstr_copy(pool, &d, (u_char *) "abc", 3), PT_OK);
    ck_assert_uint_eq(d.len, 3);
    ck_assert_str_eq((char *) d.data, "abc");

    pt_destroy_pool(pool);
}
END_TEST


START_TEST(arrays)
{
    size_t       i;
    int         *e, *elts;
    pt_pool_t   *pool;
    pt_array_t  *a, b;

    pool = pt_create_pool(1024, NULL);

    a = pt_array_create(pool, 2, sizeof(int));
    ck_assert_ptr_nonnull(a);

    for (i = 0; i < 1000; i++) {
        e = pt_array_push(a);
        ck_assert_ptr_nonnull(e);
        *e = (int) i;
    }

    ck_assert_uint_eq(a->nelts, 1000);
    elts = a->elts;

    for (i = 0; i < 1000; i++) {
        ck_assert_int_eq(elts[i], (int) i);
    }

    e = pt_array_push_n(a, 5000);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(a->nelts, 6000);
    ck_assert_uint_ge(a->nalloc, 6000);
    ck_assert_int_eq(((int *) a->elts)[999], 999);

    ck_assert_int_eq(pt_array_init(&b, pool, 0, sizeof(int)), PT_OK);
    e = pt_array_push(&b);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(b.nelts, 1);

    pt_destroy_pool(pool);
}
END_TEST


START_TEST(chains)
{
    pt_buf_t    *b1, *b2, *flush;
    pt_pool_t   *pool;
    pt_chain_t  *in, *out, *cl;

    pool = pt_create_pool(1024, NULL);

    b1 = pt_create_temp_buf(pool, 10);
    b1->last += 10;
    b2 = pt_create_temp_buf(pool, 5);
    b2->last += 5;
    flush = pt_calloc_buf(pool);
    flush->flush = 1;

    in = pt_alloc_chain_link(pool);
    in->buf = b1;
    in->next = pt_alloc_chain_link(pool);
    in->next->buf = flush;
    in->next->next = pt_alloc_chain_link(pool);
    in->next->next->buf = b2;

    ck_assert_int_eq(pt_chain_size(in), 15);

    out = NULL;
    ck_assert_int_eq(pt_chain_add_copy(pool, &out, in), PT_OK);
    ck_assert_int_eq(pt_chain_add_copy(pool, &out, in), PT_OK);
    ck_assert_int_eq(pt_chain_size(out), 30);
    ck_assert(out->buf == b1 && out != in);

    cl = pt_chain_update_sent(in, 12);
    ck_assert(cl == in->next->next);
    ck_assert(b1->pos == b1->last);
    ck_assert_int_eq(b2->last - b2->pos, 3);

    cl = pt_chain_update_sent(cl, 3);
    ck_assert_ptr_null(cl);

    pt_destroy_pool(pool);
}
END_TEST


Suite *
pt_suite_palloc(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("palloc");

    tc = tcase_create("pt_palloc");
    tcase_add_test(tc, many_small_allocations);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_palloc_large");
    tcase_add_test(tc, large_allocations);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_pool_cleanup_add");
    tcase_add_test(tc, cleanups_run_newest_first);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_pstrdup");
    tcase_add_test(tc, strings);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_array_push");
    tcase_add_test(tc, arrays);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_chain_update_sent");
    tcase_add_test(tc, chains);
    suite_add_tcase(s, tc);

    return s;
}
