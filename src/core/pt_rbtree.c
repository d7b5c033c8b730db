/* SPDX-License-Identifier: BSD-2-Clause */
/* Intrusive red-black tree: sentinel leaves, pluggable BST insertion. */
#include "pt_config.h"
#include "pt_core.h"


static void rbtree_left_rotate(pt_rbtree_node_t **root,
    pt_rbtree_node_t *sentinel, pt_rbtree_node_t *node);
static void rbtree_right_rotate(pt_rbtree_node_t **root,
    pt_rbtree_node_t *sentinel, pt_rbtree_node_t *node);


/* Initialises an empty tree; sentinel is colored black here. */
void
pt_rbtree_init(pt_rbtree_t *tree, pt_rbtree_node_t *sentinel,
    pt_rbtree_insert_pt insert)
{
    pt_rbtree_sentinel_init(sentinel);
    sentinel->left = sentinel;
    sentinel->right = sentinel;
    sentinel->parent = NULL;

    tree->root = sentinel;
    tree->sentinel = sentinel;
    tree->insert = insert;
}


/* Inserts node (key set by the caller) and rebalances. */
void
pt_rbtree_insert(pt_rbtree_t *tree, pt_rbtree_node_t *node)
{
    pt_rbtree_node_t  **root, *sentinel, *uncle;

    root = &tree->root;
    sentinel = tree->sentinel;

    if (*root == sentinel) {
        node->parent = NULL;
        node->left = sentinel;
        node->right = sentinel;
        pt_rbt_black(node);
        *root = node;
        return;
    }

    tree->insert(*root, node, sentinel);

    /* restore: no red node has a red parent */

    while (node != *root && pt_rbt_is_red(node->parent)) {

        if (node->parent == node->parent->parent->left) {
            uncle = node->parent->parent->right;

            if (pt_rbt_is_red(uncle)) {
                pt_rbt_black(node->parent);
                pt_rbt_black(uncle);
                pt_rbt_red(node->parent->parent);
                node = node->parent->parent;
                continue;
            }

            if (node == node->parent->right) {
                node = node->parent;
                rbtree_left_rotate(root, sentinel, node);
            }

            pt_rbt_black(node->parent);
            pt_rbt_red(node->parent->parent);
            rbtree_right_rotate(root, sentinel, node->parent->parent);

        } else {
            uncle = node->parent->parent->left;

            if (pt_rbt_is_red(uncle)) {
                pt_rbt_black(node->parent);
                pt_rbt_black(uncle);
                pt_rbt_red(node->parent->parent);
                node = node->parent->parent;
                continue;
            }

            if (node == node->parent->left) {
                node = node->parent;
                rbtree_right_rotate(root, sentinel, node);
            }

            pt_rbt_black(node->parent);
            pt_rbt_red(node->parent->parent);
            rbtree_left_rotate(root, sentinel, node->parent->parent);
        }
    }

    pt_rbt_black(*root);
}


/* Places node by key (equal keys to the right) and colors it red. */
void
pt_rbtree_insert_value(pt_rbtree_node_t *temp, pt_rbtree_node_t *node,
    pt_rbtree_node_t *sentinel)
{
    pt_rbtree_node_t  **p;

    for ( ;; ) {
        p = (node->key < temp->key) ? &temp->left : &temp->right;

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    pt_rbt_red(node);
}


/*
 * Places node by key compared as a signed difference, so that timer keys
 * stay ordered across the wrap-around of the millisecond counter as long
 * as all live keys lie within half the key range of each other.
 */
void
pt_rbtree_insert_timer_value(pt_rbtree_node_t *temp, pt_rbtree_node_t *node,
    pt_rbtree_node_t *sentinel)
{
    pt_rbtree_node_t  **p;

    for ( ;; ) {
        p = ((pt_rbtree_key_int_t) (node->key - temp->key) < 0)
            ? &temp->left : &temp->right;

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    pt_rbt_red(node);
}


/* Removes node from the tree and rebalances; node's links become stale. */
void
pt_rbtree_delete(pt_rbtree_t *tree, pt_rbtree_node_t *node)
{
    unsigned            red;
    pt_rbtree_node_t  **root, *sentinel, *subst, *temp, *w;

    root = &tree->root;
    sentinel = tree->sentinel;

    /* subst: the node actually unlinked; temp: the child taking its place */

    if (node->left == sentinel) {
        temp = node->right;
        subst = node;

    } else if (node->right == sentinel) {
        temp = node->left;
        subst = node;

    } else {
        subst = pt_rbtree_min(node->right, sentinel);
        temp = subst->right;
    }

    if (subst == *root) {
        *root = temp;
        pt_rbt_black(temp);
        temp->parent = NULL;

        node->left = NULL;
        node->right = NULL;
        node->parent = NULL;
        node->key = 0;

        return;
    }

    red = pt_rbt_is_red(subst);

    if (subst == subst->parent->left) {
        subst->parent->left = temp;

    } else {
        subst->parent->right = temp;
    }

    if (subst == node) {
        temp->parent = subst->parent;

    } else {

        /* move subst into node's place, keeping node's color */

        if (subst->parent == node) {
            temp->parent = subst;

        } else {
            temp->parent = subst->parent;
        }

        subst->left = node->left;
        subst->right = node->right;
        subst->parent = node->parent;
        subst->color = node->color;

        if (node == *root) {
            *root = subst;

        } else if (node == node->parent->left) {
            node->parent->left = subst;

        } else {
            node->parent->right = subst;
        }

        if (subst->left != sentinel) {
            subst->left->parent = subst;
        }

        if (subst->right != sentinel) {
            subst->right->parent = subst;
        }
    }

    node->left = NULL;
    node->right = NULL;
    node->parent = NULL;
    node->key = 0;

    if (red) {
        return;
    }

    /* a black node was removed: temp carries an extra black */

    while (temp != *root && pt_rbt_is_black(temp)) {

        if (temp == temp->parent->left) {
            w = temp->parent->right;

            if (pt_rbt_is_red(w)) {
                pt_rbt_black(w);
                pt_rbt_red(temp->parent);
                rbtree_left_rotate(root, sentinel, temp->parent);
                w = temp->parent->right;
            }

            if (pt_rbt_is_black(w->left) && pt_rbt_is_black(w->right)) {
                pt_rbt_red(w);
                temp = temp->parent;
                continue;
            }

            if (pt_rbt_is_black(w->right)) {
                pt_rbt_black(w->left);
                pt_rbt_red(w);
                rbtree_right_rotate(root, sentinel, w);
                w = temp->parent->right;
            }

            w->color = temp->parent->color;
            pt_rbt_black(temp->parent);
            pt_rbt_black(w->right);
            rbtree_left_rotate(root, sentinel, temp->parent);
            temp = *root;

        } else {
            w = temp->parent->left;

            if (pt_rbt_is_red(w)) {
                pt_rbt_black(w);
                pt_rbt_red(temp->parent);
                rbtree_right_rotate(root, sentinel, temp->parent);
                w = temp->parent->left;
            }

            if (pt_rbt_is_black(w->left) && pt_rbt_is_black(w->right)) {
                pt_rbt_red(w);
                temp = temp->parent;
                continue;
            }

            if (pt_rbt_is_black(w->left)) {
                pt_rbt_black(w->right);
                pt_rbt_red(w);
                rbtree_left_rotate(root, sentinel, w);
                w = temp->parent->left;
            }

            w->color = temp->parent->color;
            pt_rbt_black(temp->parent);
            pt_rbt_black(w->left);
            rbtree_right_rotate(root, sentinel, temp->parent);
            temp = *root;
        }
    }

    pt_rbt_black(temp);
}


static void
rbtree_left_rotate(pt_rbtree_node_t **root, pt_rbtree_node_t *sentinel,
    pt_rbtree_node_t *node)
{
    pt_rbtree_node_t  *temp;

    temp = node->right;
    node->right = temp->left;

    if (temp->left != sentinel) {
        temp->left->parent = node;
    }

    temp->parent = node->parent;

    if (node == *root) {
        *root = temp;

    } else if (node == node->parent->left) {
        node->parent->left = temp;

    } else {
        node->parent->right = temp;
    }

    temp->left = node;
    node->parent = temp;
}


static void
rbtree_right_rotate(pt_rbtree_node_t **root, pt_rbtree_node_t *sentinel,
    pt_rbtree_node_t *node)
{
    pt_rbtree_node_t  *temp;

    temp = node->left;
    node->left = temp->right;

    if (temp->right != sentinel) {
        temp->right->parent = node;
    }

    temp->parent = node->parent;

    if (node == *root) {
        *root = temp;

    } else if (node == node->parent->right) {
        node->parent->right = temp;

    } else {
        node->parent->left = temp;
    }

    temp->right = node;
    node->parent = temp;
}


/* Leftmost node of the subtree at node (node itself when it has no left). */
pt_rbtree_node_t *
pt_rbtree_min(pt_rbtree_node_t *node, pt_rbtree_node_t *sentinel)
{
    while (node->left != sentinel) {
        node = node->left;
    }

    return node;
}


/* In-order successor of node in tree, or NULL after the last node. */
pt_rbtree_node_t *
pt_rbtree_next(pt_rbtree_t *tree, pt_rbtree_node_t *node)
{
    pt_rbtree_node_t  *root, *sentinel, *parent;

    sentinel = tree->sentinel;

    if (node->right != sentinel) {
        return pt_rbtree_min(node->right, sentinel);
    }

    root = tree->root;

    for ( ;; ) {
        parent = node->parent;

        if (node == root || parent == NULL) {
            return NULL;
        }

        if (node == parent->left) {
            return parent;
        }

        node = parent;
    }
}
