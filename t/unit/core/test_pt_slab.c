/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the slab allocator: patterns, exhaustion, two mappings. */
#include "pt_config.h"
#include "pt_core.h"

#include <check.h>

#define ZONE_SIZE  (256 * 1024)
#define SLAB_SELF  128       /* room for a zone header before the pool */


static u_char *
zone_new(size_t size)
{
    u_char  *base = mmap(NULL, size, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    ck_assert_ptr_ne(base, MAP_FAILED);
    return base;
}


static pt_slab_pool_t *
slab_new(u_char *base, size_t size)
{
    pt_slab_pool_t  *sp = (pt_slab_pool_t *) (base + SLAB_SELF);

    ck_assert_int_eq(pt_slab_init(sp, SLAB_SELF, size), PT_OK);
    return sp;
}


START_TEST(small_objects_are_aligned_distinct_and_reused)
{
    u_char          *base = zone_new(ZONE_SIZE);
    pt_slab_pool_t  *sp = slab_new(base, ZONE_SIZE);
    uint32_t         offs[100];

    for (size_t i = 0; i < 100; i++) {
        offs[i] = pt_slab_alloc(sp, 24);
        ck_assert_uint_ne(offs[i], 0);
        ck_assert_uint_eq(offs[i] % 32, 0);
        memset(base + offs[i], (int) i, 24);
    }

    for (size_t i = 0; i < 100; i++) {
        ck_assert_uint_eq(base[offs[i]], (u_char) i);
        ck_assert_uint_eq(base[offs[i] + 23], (u_char) i);
    }

    ck_assert_uint_eq(sp->stats[2].used, 100);
    ck_assert_uint_eq(sp->stats[2].reqs, 100);

    pt_slab_free(sp, offs[50]);
    ck_assert_uint_eq(pt_slab_alloc(sp, 20), offs[50]);

    for (size_t i = 0; i < 100; i++) {
        pt_slab_free(sp, offs[i]);
    }

    ck_assert_uint_eq(sp->stats[2].used, 0);
    ck_assert_uint_eq(sp->stats[2].total, 0);
    ck_assert_uint_eq(sp->free_pages, sp->npages);
}
END_TEST


START_TEST(page_runs_coalesce_after_free)
{
    u_char          *base = zone_new(ZONE_SIZE);
    pt_slab_pool_t  *sp = slab_new(base, ZONE_SIZE);
    uint32_t         a, b, c, all;

    a = pt_slab_alloc(sp, 3 * PT_SLAB_PAGE_SIZE);
    b = pt_slab_alloc(sp, 5000);
    c = pt_slab_alloc(sp, PT_SLAB_PAGE_SIZE);
    ck_assert_uint_ne(a, 0);
    ck_assert_uint_eq(b, a + 3 * PT_SLAB_PAGE_SIZE);
    ck_assert_uint_eq(c, b + 2 * PT_SLAB_PAGE_SIZE);
    ck_assert_uint_eq(a % PT_SLAB_PAGE_SIZE, 0);

    /* Free the middle, then its neighbours: one run again. */
    pt_slab_free(sp, b);
    pt_slab_free(sp, a);
    pt_slab_free(sp, c);
    ck_assert_uint_eq(sp->free_pages, sp->npages);

    all = pt_slab_alloc(sp, (size_t) sp->npages * PT_SLAB_PAGE_SIZE);
    ck_assert_uint_eq(all, a);
    ck_assert_uint_eq(sp->free_pages, 0);
    ck_assert_uint_eq(pt_slab_alloc(sp, 8), 0);
    ck_assert_uint_eq(sp->stats[0].fails, 1);
    pt_slab_free(sp, all);
    ck_assert_uint_eq(sp->free_pages, sp->npages);
}
END_TEST


START_TEST(exhaustion_fails_then_recovers)
{
    u_char          *base = zone_new(ZONE_SIZE);
    pt_slab_pool_t  *sp = slab_new(base, ZONE_SIZE);
    uint32_t        *offs = calloc(ZONE_SIZE / 64, sizeof(uint32_t));
    size_t           n = 0;

    while ((offs[n] = pt_slab_alloc(sp, 64)) != 0) {
        n++;
    }

    ck_assert_uint_eq(n, (size_t) sp->npages * (PT_SLAB_PAGE_SIZE / 64));
    ck_assert_uint_eq(pt_slab_free_bytes(sp), 0);
    ck_assert_uint_eq(sp->stats[3].fails, 1);
    ck_assert_uint_eq(pt_slab_alloc(sp, 5000), 0);
    ck_assert_uint_eq(sp->page_fails, 1);

    pt_slab_free(sp, offs[n / 2]);
    ck_assert_uint_eq(pt_slab_alloc(sp, 64), offs[n / 2]);

    /* Fragmented: every other chunk freed leaves no whole page. */
    for (size_t i = 0; i < n; i += 2) {
        pt_slab_free(sp, offs[i]);
    }
    ck_assert_uint_eq(pt_slab_alloc(sp, 2 * PT_SLAB_PAGE_SIZE), 0);
    ck_assert_uint_ne(pt_slab_alloc(sp, 64), 0);

    free(offs);
}
END_TEST


START_TEST(mixed_random_pattern_keeps_accounts)
{
    u_char          *base = zone_new(ZONE_SIZE);
    pt_slab_pool_t  *sp = slab_new(base, ZONE_SIZE);
    uint32_t         offs[512] = { 0 };
    size_t           sizes[512];
    unsigned         seed = 7;

    for (int round = 0; round < 20000; round++) {
        size_t  i = (size_t) rand_r(&seed) % 512;

        if (offs[i]) {
            ck_assert_uint_eq(base[offs[i]], (u_char) i);
            ck_assert_uint_eq(base[offs[i] + sizes[i] - 1], (u_char) i);
            pt_slab_free(sp, offs[i]);
            offs[i] = 0;
            continue;
        }

        sizes[i] = 1 + (size_t) rand_r(&seed) % (rand_r(&seed) % 8 ? 300 : 9000);
        offs[i] = pt_slab_alloc(sp, sizes[i]);
        if (offs[i]) {
            memset(base + offs[i], (int) i, sizes[i]);
        }
    }

    for (size_t i = 0; i < 512; i++) {
        pt_slab_free(sp, offs[i]);
    }

    for (size_t c = 0; c < PT_SLAB_NCLASSES; c++) {
        ck_assert_uint_eq(sp->stats[c].used, 0);
    }
    ck_assert_uint_eq(sp->free_pages, sp->npages);
}
END_TEST


/* The same memfd mapped twice: a list built through one reads in the other. */
START_TEST(offsets_walk_the_same_at_another_address)
{
    int       fd = memfd_create("slab-test", MFD_CLOEXEC);
    u_char   *a, *b;
    uint32_t  head = 0;

    ck_assert_int_ne(fd, -1);
    ck_assert_int_eq(ftruncate(fd, ZONE_SIZE), 0);
    a = mmap(NULL, ZONE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    b = mmap(NULL, ZONE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ck_assert_ptr_ne(a, MAP_FAILED);
    ck_assert_ptr_ne(b, MAP_FAILED);
    ck_assert_ptr_ne(a, b);

    pt_slab_pool_t  *sa = slab_new(a, ZONE_SIZE);

    for (uint32_t i = 1; i <= 1000; i++) {
        uint32_t  off = pt_slab_alloc(sa, 16);
        uint32_t  *n = pt_slab_ptr(sa, off);

        n[0] = i;
        n[1] = head;
        head = off;
    }

    pt_slab_pool_t  *sb = (pt_slab_pool_t *) (b + SLAB_SELF);
    uint32_t         expect = 1000;

    for (uint32_t off = head; off; off = ((uint32_t *) pt_slab_ptr(sb, off))[1]) {
        ck_assert_uint_eq(((uint32_t *) pt_slab_ptr(sb, off))[0], expect--);
    }
    ck_assert_uint_eq(expect, 0);

    /* And the allocator itself runs from the second mapping. */
    for (uint32_t off = head, next; off; off = next) {
        next = ((uint32_t *) pt_slab_ptr(sb, off))[1];
        pt_slab_free(sb, off);
    }
    ck_assert_uint_eq(sa->free_pages, sa->npages);

    close(fd);
}
END_TEST


START_TEST(too_small_region_is_refused)
{
    u_char          *base = zone_new(ZONE_SIZE);
    pt_slab_pool_t  *sp = (pt_slab_pool_t *) (base + SLAB_SELF);

    ck_assert_int_eq(pt_slab_init(sp, SLAB_SELF, 4096), PT_ERROR);
    ck_assert_int_eq(pt_slab_init(sp, SLAB_SELF, 3 * 4096), PT_OK);
    ck_assert_uint_eq(sp->npages, 2);   /* the header page, then two */
}
END_TEST


Suite *
pt_suite_slab(void)
{
    Suite  *s = suite_create("slab");
    TCase  *tc;

    tc = tcase_create("pt_slab_alloc");
    tcase_add_test(tc, small_objects_are_aligned_distinct_and_reused);
    tcase_add_test(tc, page_runs_coalesce_after_free);
    tcase_add_test(tc, exhaustion_fails_then_recovers);
    tcase_add_test(tc, mixed_random_pattern_keeps_accounts);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_slab_offsets");
    tcase_add_test(tc, offsets_walk_the_same_at_another_address);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_slab_init");
    tcase_add_test(tc, too_small_region_is_refused);
    suite_add_tcase(s, tc);

    return s;
}
