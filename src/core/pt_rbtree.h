/* SPDX-License-Identifier: BSD-2-Clause */
/* Intrusive red-black tree with a sentinel and a pluggable insert. */
#ifndef PT_RBTREE_H
#define PT_RBTREE_H

typedef uintptr_t  pt_rbtree_key_t;
typedef intptr_t   pt_rbtree_key_int_t;

typedef struct pt_rbtree_node_s  pt_rbtree_node_t;

struct pt_rbtree_node_s {
    pt_rbtree_key_t    key;
    pt_rbtree_node_t  *left;
    pt_rbtree_node_t  *right;
    pt_rbtree_node_t  *parent;
    u_char             color;
    u_char             data;
};

typedef struct pt_rbtree_s  pt_rbtree_t;

/* Places node under root as a binary search tree would; colors are fixed after. */
typedef void (*pt_rbtree_insert_pt)(pt_rbtree_node_t *root,
    pt_rbtree_node_t *node, pt_rbtree_node_t *sentinel);

struct pt_rbtree_s {
    pt_rbtree_node_t     *root;
    pt_rbtree_node_t     *sentinel;
    pt_rbtree_insert_pt   insert;
};

#define pt_rbt_red(node)      ((node)->color = 1)
#define pt_rbt_black(node)    ((node)->color = 0)
#define pt_rbt_is_red(node)   ((node)->color)
#define pt_rbt_is_black(node) (!pt_rbt_is_red(node))
#define pt_rbtree_sentinel_init(node)  pt_rbt_black(node)

/* Initialises an empty tree using the given sentinel node. */
void pt_rbtree_init(pt_rbtree_t *tree, pt_rbtree_node_t *sentinel,
    pt_rbtree_insert_pt insert);

void pt_rbtree_insert(pt_rbtree_t *tree, pt_rbtree_node_t *node);
void pt_rbtree_delete(pt_rbtree_t *tree, pt_rbtree_node_t *node);

/* Insert by key; equal keys go right. */
void pt_rbtree_insert_value(pt_rbtree_node_t *root, pt_rbtree_node_t *node,
    pt_rbtree_node_t *sentinel);

/* Insert by key compared modulo wrap-around (timers in milliseconds). */
void pt_rbtree_insert_timer_value(pt_rbtree_node_t *root,
    pt_rbtree_node_t *node, pt_rbtree_node_t *sentinel);

/* Leftmost node of a subtree, and in-order successor (NULL at the end). */
pt_rbtree_node_t *pt_rbtree_min(pt_rbtree_node_t *node,
    pt_rbtree_node_t *sentinel);
pt_rbtree_node_t *pt_rbtree_next(pt_rbtree_t *tree, pt_rbtree_node_t *node);

#endif /* PT_RBTREE_H */
