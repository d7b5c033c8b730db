/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for exact hashes and server-name wildcard lookup. */
#include "pt_config.h"
#include "pt_core.h"

#include <check.h>


static pt_pool_t  *pool;


static void
setup(void)
{
    pool = pt_create_pool(1024, NULL);
    ck_assert_ptr_nonnull(pool);
}


static void
teardown(void)
{
    pt_destroy_pool(pool);
    pool = NULL;
}


#define KEY(s, v)  { pt_string(s), 0, (void *) (v) }


START_TEST(fnv1a_known_values)
{
    /* published FNV-1a 64-bit test vectors */
    ck_assert_uint_eq(pt_hash_key((u_char *) "", 0), 0xcbf29ce484222325ULL);
    ck_assert_uint_eq(pt_hash_key((u_char *) "a", 1), 0xaf63dc4c8601ec8cULL);
    ck_assert_uint_eq(pt_hash_key((u_char *) "foobar", 6),
                      0x85944171f73967e8ULL);

    ck_assert_uint_eq(pt_hash_key_lc((u_char *) "FooBar", 6),
                      pt_hash_key((u_char *) "foobar", 6));
    ck_assert_uint_ne(pt_hash_key((u_char *) "FooBar", 6),
                      pt_hash_key((u_char *) "foobar", 6));
}
END_TEST


START_TEST(exact_find)
{
    size_t          i;
    pt_hash_t       h;
    char            name[32];
    uintptr_t       k;
    pt_hash_key_t   keys[] = {
        KEY("host", 1), KEY("content-length", 2), KEY("connection", 3),
        KEY("x", 4), KEY("host", 99)
    };
    pt_hash_key_t  *many;

    ck_assert_int_eq(pt_hash_init(&h, keys, pt_nelts(keys), pool), PT_OK);

    k = pt_hash_key_lc((u_char *) "Content-Length", 14);
    ck_assert_ptr_eq(pt_hash_find(&h, k, (u_char *) "content-length", 14),
                     (void *) 2);
    k = pt_hash_key((u_char *) "host", 4);
    ck_assert_ptr_eq(pt_hash_find(&h, k, (u_char *) "host", 4), (void *) 1);
    k = pt_hash_key((u_char *) "x", 1);
    ck_assert_ptr_eq(pt_hash_find(&h, k, (u_char *) "x", 1), (void *) 4);
    k = pt_hash_key((u_char *) "hos", 3);
    ck_assert_ptr_null(pt_hash_find(&h, k, (u_char *) "hos", 3));

    /* empty hash */
    ck_assert_int_eq(pt_hash_init(&h, keys, 0, pool), PT_OK);
    ck_assert_ptr_null(pt_hash_find(&h, k, (u_char *) "hos", 3));

    /* many keys */
    many = calloc(1000, sizeof(pt_hash_key_t));
    ck_assert_ptr_nonnull(many);

    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "key-%zu", i);
        many[i].key.len = strlen(name);
        many[i].key.data = (u_char *) strdup(name);
        many[i].value = (void *) (i + 1);
    }

    ck_assert_int_eq(pt_hash_init(&h, many, 1000, pool), PT_OK);

    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "key-%zu", i);
        k = pt_hash_key((u_char *) name, strlen(name));
        ck_assert_ptr_eq(pt_hash_find(&h, k, (u_char *) name, strlen(name)),
                         (void *) (i + 1));
        free(many[i].key.data);
    }

    free(many);
}
END_TEST


#define WC_FIND(hw, s)  pt_hash_wildcard_find(hw, (u_char *) s, sizeof(s) - 1)


START_TEST(wildcard_find)
{
    pt_hash_wildcard_t  hw;
    pt_hash_key_t       keys[] = {
        KEY("*.example.com", 1),
        KEY(".example.org", 2),
        KEY("*.b.example.com", 3),
        KEY("www.example.*", 4),
        KEY("www.example.co.*", 5),
        KEY("mail.*", 6),
    };

    ck_assert_int_eq(pt_hash_wildcard_init(&hw, keys, pt_nelts(keys), pool),
                     PT_OK);

    /* "*.example.com": subdomains at any depth, not the domain itself */
    ck_assert_ptr_eq(WC_FIND(&hw, "a.example.com"), (void *) 1);
    ck_assert_ptr_eq(WC_FIND(&hw, "x.a.example.com"), (void *) 1);
    ck_assert_ptr_null(WC_FIND(&hw, "example.com"));
    ck_assert_ptr_null(WC_FIND(&hw, "aexample.com"));

    /* most specific leading wildcard wins */
    ck_assert_ptr_eq(WC_FIND(&hw, "a.b.example.com"), (void *) 3);
    ck_assert_ptr_eq(WC_FIND(&hw, "b.example.com"), (void *) 1);

    /* ".example.org": the domain and any subdomain */
    ck_assert_ptr_eq(WC_FIND(&hw, "example.org"), (void *) 2);
    ck_assert_ptr_eq(WC_FIND(&hw, "www.example.org"), (void *) 2);
    ck_assert_ptr_eq(WC_FIND(&hw, "a.b.example.org"), (void *) 2);
    ck_assert_ptr_null(WC_FIND(&hw, "xexample.org"));

    /* trailing wildcards, longest first */
    ck_assert_ptr_eq(WC_FIND(&hw, "www.example.net"), (void *) 4);
    ck_assert_ptr_eq(WC_FIND(&hw, "www.example.co.uk"), (void *) 5);
    ck_assert_ptr_eq(WC_FIND(&hw, "www.example.co"), (void *) 4);
    ck_assert_ptr_null(WC_FIND(&hw, "www.example"));
    ck_assert_ptr_eq(WC_FIND(&hw, "mail.foo.bar"), (void *) 6);
    ck_assert_ptr_null(WC_FIND(&hw, "mailx.foo"));

    /* leading beats trailing */
    ck_assert_ptr_eq(WC_FIND(&hw, "www.example.com"), (void *) 1);

    ck_assert_ptr_null(WC_FIND(&hw, "other.net"));
    ck_assert_ptr_null(WC_FIND(&hw, ""));
}
END_TEST


START_TEST(wildcard_rejects_bad_keys)
{
    pt_hash_wildcard_t  hw;
    pt_hash_key_t       bad1[] = { KEY("*", 1) };
    pt_hash_key_t       bad2[] = { KEY("a.*.com", 1) };
    pt_hash_key_t       bad3[] = { KEY("*example.com", 1) };
    pt_hash_key_t       bad4[] = { KEY("example.com", 1) };

    ck_assert_int_eq(pt_hash_wildcard_init(&hw, bad1, 1, pool), PT_ERROR);
    ck_assert_int_eq(pt_hash_wildcard_init(&hw, bad2, 1, pool), PT_ERROR);
    ck_assert_int_eq(pt_hash_wildcard_init(&hw, bad3, 1, pool), PT_ERROR);
    ck_assert_int_eq(pt_hash_wildcard_init(&hw, bad4, 1, pool), PT_ERROR);

    ck_assert_int_eq(pt_hash_wildcard_init(&hw, bad4, 0, pool), PT_OK);
    ck_assert_ptr_null(WC_FIND(&hw, "a.example.com"));
}
END_TEST


Suite *
pt_suite_hash(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("hash");

    tc = tcase_create("pt_hash_key");
    tcase_add_test(tc, fnv1a_known_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_hash_find");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, exact_find);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_hash_wildcard_find");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, wildcard_find);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_hash_wildcard_init");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, wildcard_rejects_bad_keys);
    suite_add_tcase(s, tc);

    return s;
}
