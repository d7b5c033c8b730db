/* SPDX-License-Identifier: BSD-2-Clause */
/* Timers: a red-black tree of events keyed by their expiry in milliseconds. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"

static pt_rbtree_t       event_timers;
static pt_rbtree_node_t  event_timer_sentinel;


void
pt_event_timer_init(void)
{
    pt_rbtree_init(&event_timers, &event_timer_sentinel,
                   pt_rbtree_insert_timer_value);
}


void
pt_event_add_timer(pt_event_t *ev, pt_msec_t timer)
{
    pt_msec_t  key = pt_current_msec + timer;

    if (ev->timer_set) {
        /* Re-adding within a few ms is a no-op: saves tree churn per read. */
        pt_msec_int_t  diff = (pt_msec_int_t) (key - ev->timer.key);

        if (diff > -20 && diff < 20) {
            return;
        }

        pt_event_del_timer(ev);
    }

    ev->timer.key = (pt_rbtree_key_t) key;
    pt_rbtree_insert(&event_timers, &ev->timer);
    ev->timer_set = 1;
}


void
pt_event_del_timer(pt_event_t *ev)
{
    pt_rbtree_delete(&event_timers, &ev->timer);
    ev->timer_set = 0;
}


pt_msec_t
pt_event_find_timer(void)
{
    pt_rbtree_node_t  *root = event_timers.root;

    if (root == &event_timer_sentinel) {
        return (pt_msec_t) -1;
    }

    pt_rbtree_node_t  *node = pt_rbtree_min(root, &event_timer_sentinel);
    pt_msec_int_t      timer = (pt_msec_int_t) (node->key - pt_current_msec);

    return timer > 0 ? (pt_msec_t) timer : 0;
}


void
pt_event_expire_timers(void)
{
    for ( ;; ) {
        pt_rbtree_node_t  *root = event_timers.root;

        if (root == &event_timer_sentinel) {
            return;
        }

        pt_rbtree_node_t  *node = pt_rbtree_min(root, &event_timer_sentinel);

        if ((pt_msec_int_t) (node->key - pt_current_msec) > 0) {
            return;
        }

        pt_event_t  *ev = (pt_event_t *) ((u_char *) node
                                          - offsetof(pt_event_t, timer));

        pt_rbtree_delete(&event_timers, &ev->timer);
        ev->timer_set = 0;
        ev->timedout = 1;
        ev->handler(ev);
    }
}


bool
pt_event_no_timers_left(void)
{
    pt_rbtree_node_t  *root = event_timers.root;

    if (root == &event_timer_sentinel) {
        return true;
    }

    for (pt_rbtree_node_t *n = pt_rbtree_min(root, &event_timer_sentinel); n;
         n = pt_rbtree_next(&event_timers, n))
    {
        pt_event_t  *ev = (pt_event_t *) ((u_char *) n
                                          - offsetof(pt_event_t, timer));

        if (!ev->cancelable) {
            return false;
        }
    }

    return true;
}
