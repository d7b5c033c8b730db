/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the red-black tree: order and invariants under churn. */
#include "pt_config.h"
#include "pt_core.h"

#include <check.h>


#define NKEYS  10000


/* Returns the black height of the subtree, or -1 on a violated invariant. */
static int
rbtree_check(pt_rbtree_node_t *n, pt_rbtree_node_t *sentinel,
    pt_rbtree_node_t *parent)
{
    int  lh, rh;

    if (n == sentinel) {
        return 1;
    }

    if (n->parent != parent) {
        return -1;
    }

    if (pt_rbt_is_red(n)
        && (pt_rbt_is_red(n->left) || pt_rbt_is_red(n->right)))
    {
        return -1;
    }

    if (n->left != sentinel && n->left->key > n->key) {
        return -1;
    }

    if (n->right != sentinel && n->right->key < n->key) {
        return -1;
    }

    lh = rbtree_check(n->left, sentinel, n);
    rh = rbtree_check(n->right, sentinel, n);

    if (lh < 0 || rh < 0 || lh != rh) {
        return -1;
    }

    return lh + pt_rbt_is_black(n);
}


static bool
rbtree_valid(pt_rbtree_t *t, size_t expect)
{
    size_t             n;
    pt_rbtree_key_t    prev;
    pt_rbtree_node_t  *node;

    if (pt_rbt_is_red(t->sentinel)) {
        return false;
    }

    if (t->root == t->sentinel) {
        return expect == 0;
    }

    if (pt_rbt_is_red(t->root) || rbtree_check(t->root, t->sentinel, NULL) < 0)
    {
        return false;
    }

    n = 0;
    prev = 0;

    for (node = pt_rbtree_min(t->root, t->sentinel); node;
         node = pt_rbtree_next(t, node))
    {
        if (n && node->key < prev) {
            return false;
        }

        prev = node->key;
        n++;
    }

    return n == expect;
}


START_TEST(insert_delete_random_keeps_invariants)
{
    size_t             i, j, live;
    pt_rbtree_t        tree;
    pt_rbtree_node_t   sentinel, *nodes, *tmp;
    pt_rbtree_node_t **order;

    nodes = calloc(NKEYS, sizeof(pt_rbtree_node_t));
    order = calloc(NKEYS, sizeof(pt_rbtree_node_t *));
    ck_assert_ptr_nonnull(nodes);
    ck_assert_ptr_nonnull(order);

    srandom(12345);

    pt_rbtree_init(&tree, &sentinel, pt_rbtree_insert_value);
    ck_assert(rbtree_valid(&tree, 0));

    for (i = 0; i < NKEYS; i++) {
        /* small key range: plenty of duplicates */
        nodes[i].key = (pt_rbtree_key_t) (random() % 5000);
        pt_rbtree_insert(&tree, &nodes[i]);
        order[i] = &nodes[i];

        if (i % 997 == 0) {
            ck_assert(rbtree_valid(&tree, i + 1));
        }
    }

    ck_assert(rbtree_valid(&tree, NKEYS));

    /* delete in a random order, checking as we go */
    for (i = NKEYS - 1; i > 0; i--) {
        j = (size_t) random() % (i + 1);
        tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }

    live = NKEYS;

    for (i = 0; i < NKEYS / 2; i++) {
        pt_rbtree_delete(&tree, order[i]);
        live--;

        if (i % 499 == 0) {
            ck_assert(rbtree_valid(&tree, live));
        }
    }

    ck_assert(rbtree_valid(&tree, live));

    /* reinsert half of the deleted ones with new keys */
    for (i = 0; i < NKEYS / 4; i++) {
        order[i]->key = (pt_rbtree_key_t) random();
        pt_rbtree_insert(&tree, order[i]);
        live++;
    }

    ck_assert(rbtree_valid(&tree, live));

    for (i = NKEYS / 2; i < NKEYS; i++) {
        pt_rbtree_delete(&tree, order[i]);
        live--;
    }

    for (i = 0; i < NKEYS / 4; i++) {
        pt_rbtree_delete(&tree, order[i]);
        live--;
    }

    ck_assert_uint_eq(live, 0);
    ck_assert(tree.root == &sentinel);
    ck_assert(rbtree_valid(&tree, 0));

    free(order);
    free(nodes);
}
END_TEST


START_TEST(min_and_next_walk_in_order)
{
    size_t             i;
    pt_rbtree_t        tree;
    pt_rbtree_node_t   sentinel, nodes[5], *n;
    pt_rbtree_key_t    keys[] = { 30, 10, 50, 20, 40 };

    pt_rbtree_init(&tree, &sentinel, pt_rbtree_insert_value);

    for (i = 0; i < 5; i++) {
        nodes[i].key = keys[i];
        pt_rbtree_insert(&tree, &nodes[i]);
    }

    n = pt_rbtree_min(tree.root, tree.sentinel);
    ck_assert_uint_eq(n->key, 10);

    for (i = 1; i < 5; i++) {
        n = pt_rbtree_next(&tree, n);
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_eq(n->key, 10 * (i + 1));
    }

    ck_assert_ptr_null(pt_rbtree_next(&tree, n));
}
END_TEST


START_TEST(timer_values_survive_wrap_around)
{
    size_t             i;
    pt_rbtree_t        tree;
    pt_rbtree_node_t   sentinel, nodes[4], *n;
    pt_rbtree_key_t    base;

    base = UINTPTR_MAX - 15;

    pt_rbtree_init(&tree, &sentinel, pt_rbtree_insert_timer_value);

    /* inserted out of order; two keys wrapped past zero */
    nodes[0].key = base + 20;      /* wraps to 4 */
    nodes[1].key = base;
    nodes[2].key = base + 30;      /* wraps to 14 */
    nodes[3].key = base + 10;

    for (i = 0; i < 4; i++) {
        pt_rbtree_insert(&tree, &nodes[i]);
    }

    n = pt_rbtree_min(tree.root, tree.sentinel);
    ck_assert(n == &nodes[1]);
    n = pt_rbtree_next(&tree, n);
    ck_assert(n == &nodes[3]);
    n = pt_rbtree_next(&tree, n);
    ck_assert(n == &nodes[0]);
    n = pt_rbtree_next(&tree, n);
    ck_assert(n == &nodes[2]);
}
END_TEST


Suite *
pt_suite_rbtree(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("rbtree");

    tc = tcase_create("pt_rbtree_insert_delete");
    tcase_add_test(tc, insert_delete_random_keeps_invariants);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_rbtree_next");
    tcase_add_test(tc, min_and_next_walk_in_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_rbtree_insert_timer_value");
    tcase_add_test(tc, timer_values_survive_wrap_around);
    suite_add_tcase(s, tc);

    return s;
}
