/* SPDX-License-Identifier: BSD-2-Clause */
/* random [two [least_conn]]: a weighted random peer, or the better of two. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_upstream.h"
#include "pt_http_upstream_hash.h"

#include <sys/random.h>

typedef struct {
    int       *ranges;                /* cumulative weights of primary */
    bool       two;
} random_conf_t;

static int random_directive(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);

static const pt_command_t  random_commands[] = {
    { .name = "random", .ctx = PT_HTTP_UPS,
      .args = PT_CONF_NOARGS | PT_CONF_TAKE12, .set = random_directive },
    PT_COMMAND_END
};

static const pt_http_module_t  random_module_ctx = { 0 };

pt_module_t  pt_http_upstream_random_module = {
    .name = "pt_http_upstream_random_module",
    .type = PT_HTTP_MODULE,
    .commands = random_commands,
    .ctx = &random_module_ctx,
};


/* xorshift64*, seeded per process so that workers do not agree. */
static uint32_t
random_next(void)
{
    static uint64_t  state;
    static pid_t     owner;

    if (owner != pt_pid || state == 0) {
        if (getrandom(&state, sizeof(state), GRND_NONBLOCK)
            != (ssize_t) sizeof(state))
        {
            state = (uint64_t) pt_pid * 0x9e3779b97f4a7c15ull
                    ^ (uint64_t) pt_current_msec;
        }
        state |= 1;
        owner = pt_pid;
    }

    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return (uint32_t) ((state * 0x2545f4914f6cdd1dull) >> 32);
}


/* A primary peer drawn with probability weight / total_weight. */
static size_t
random_peek(const pt_http_upstream_srv_conf_t *us, const random_conf_t *rc)
{
    int     x = (int) (random_next() % (uint32_t) us->primary.total_weight);
    size_t  lo = 0, hi = us->primary.npeers - 1;

    while (lo < hi) {
        size_t  mid = lo + (hi - lo) / 2;

        if (rc->ranges[mid] <= x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return lo;
}


/* A usable untried peer, within the tries left; npeers when none. */
static size_t
random_draw(pt_http_upstream_srv_conf_t *us, const random_conf_t *rc,
    const uint64_t *tried, size_t other, int *tries)
{
    while ((*tries)++ < PT_HTTP_UPSTREAM_HASH_TRIES) {
        size_t  i = random_peek(us, rc);

        if (i != other && !pt_http_upstream_was_tried(tried, i)
            && pt_http_upstream_peer_usable(&us->primary.peers[i]))
        {
            return i;
        }
    }

    return us->primary.npeers;
}


static pt_http_upstream_peer_t *
random_get(pt_http_upstream_srv_conf_t *us, pt_http_request_t *r,
    uint64_t *tried)
{
    random_conf_t  *rc = us->balancer_data;
    size_t          n = us->primary.npeers;
    int             tries = 0;
    size_t          i = random_draw(us, rc, tried, n, &tries);

    (void) r;

    if (i == n) {
        return pt_http_upstream_rr(us, tried);
    }

    if (rc->two) {
        /* The second draw must differ; it gets the same number of tries. */
        int     tries2 = 0;
        size_t  j = random_draw(us, rc, tried, i, &tries2);

        if (j != n) {
            pt_http_upstream_peer_t  *a = &us->primary.peers[i];
            pt_http_upstream_peer_t  *b = &us->primary.peers[j];

            if ((int64_t) pt_http_upstream_peer_conns(b) * a->weight
                < (int64_t) pt_http_upstream_peer_conns(a) * b->weight)
            {
                i = j;
            }
        }
    }

    pt_http_upstream_mark(tried, i);
    return &us->primary.peers[i];
}


static int
random_init(pt_conf_t *cf, pt_http_upstream_srv_conf_t *us)
{
    random_conf_t  *rc = us->balancer_data;
    int             sum = 0;

    rc->ranges = pt_palloc(cf->pool, us->primary.npeers * sizeof(int));
    if (rc->ranges == NULL) {
        return PT_ERROR;
    }

    for (size_t i = 0; i < us->primary.npeers; i++) {
        sum += us->primary.peers[i].weight;
        rc->ranges[i] = sum;
    }

    return PT_OK;
}


static int
random_directive(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    random_conf_t  *rc = pt_pcalloc(cf->pool, sizeof(*rc));

    (void) cmd;
    (void) conf;

    if (rc == NULL) {
        return PT_ERROR;
    }

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        pt_str_t  *v = &pt_conf_arg(cf, i);

        if (i == 1 && v->len == 3 && memcmp(v->data, "two", 3) == 0) {
            rc->two = true;
        } else if (i == 2 && v->len == 10
                   && memcmp(v->data, "least_conn", 10) == 0)
        {
            /* The only method of choosing between the two. */
        } else {
            return pt_conf_error(cf, "invalid parameter \"%.*s\"",
                                 PT_STR_ARG(*v));
        }
    }

    pt_http_upstream_set_balancer(cf, "random", random_get, random_init,
                                  true)->balancer_data = rc;
    return PT_OK;
}
