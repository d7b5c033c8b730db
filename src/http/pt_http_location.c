/* SPDX-License-Identifier: BSD-2-Clause */
/* Location matching by nginx's rules: =, longest prefix, ^~, regex order. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_conf.h"
#include "pt_http_internal.h"

typedef pt_http_core_loc_conf_t  loc_t;

typedef enum {
    LOC_NONE = 0,
    LOC_PREFIX,          /* longest prefix; regexes may still win */
    LOC_NOREGEX,         /* ^~ prefix: stop */
    LOC_EXACT,
    LOC_REGEX
} loc_match_e;


/* Byte order of names, a prefix before what it begins. */
static int
loc_cmp_name(const pt_str_t *a, const pt_str_t *b)
{
    int  rc = memcmp(a->data, b->data, pt_min(a->len, b->len));

    return rc ? rc : (a->len > b->len) - (a->len < b->len);
}


static int
loc_cmp(const void *a, const void *b)
{
    return loc_cmp_name(&(*(loc_t *const *) a)->name,
                        &(*(loc_t *const *) b)->name);
}


static loc_t **
loc_collect(pt_conf_t *cf, pt_array_t *all, size_t *n, int kind)
{
    loc_t   **src = all->elts;
    loc_t   **out = pt_palloc(cf->pool, (all->nelts + 1) * sizeof(loc_t *));

    if (out == NULL) {
        return NULL;
    }

    *n = 0;
    for (size_t i = 0; i < all->nelts; i++) {
        loc_t  *l = src[i];
        int     k = l->noname ? -1 : l->named ? 3 : l->regex ? 2
                    : l->exact_match ? 1 : 0;

        if (k == kind) {
            out[(*n)++] = l;
        }
    }

    return out;
}


/* Names the first location of the file that repeats an earlier one. */
static int
loc_duplicate(pt_conf_t *cf, pt_array_t *all)
{
    loc_t  **l = all->elts;

    for (size_t j = 1; j < all->nelts; j++) {
        for (size_t i = 0; i < j; i++) {
            if (!l[i]->regex && !l[j]->regex && !l[i]->noname
                && !l[j]->noname && !l[i]->named && !l[j]->named
                && l[i]->exact_match == l[j]->exact_match
                && pt_str_eq(&l[i]->name, &l[j]->name))
            {
                /* Merging runs after parsing: name the place ourselves. */
                pt_log_error(PT_LOG_EMERG, cf->log, 0, "duplicate location "
                             "\"%.*s\" in %.*s:%u", PT_STR_ARG(l[j]->name),
                             PT_STR_ARG(l[j]->file_name), l[j]->line);
                return PT_ERROR;
            }
        }
    }

    return PT_OK;
}


/* Sorts l by name; false when two are equal. */
static bool
loc_sort_unique(loc_t **l, size_t n)
{
    qsort(l, n, sizeof(loc_t *), loc_cmp);

    for (size_t i = 1; i < n; i++) {
        if (pt_str_eq(&l[i - 1]->name, &l[i]->name)) {
            return false;
        }
    }

    return true;
}


/*
 * Links each prefix location (sorted by name) to the longest other one
 * that is a prefix of its name: a stack of the names the current one
 * may begin with.
 */
static int
loc_link_shorter(loc_t **l, size_t n, pt_pool_t *pool)
{
    loc_t  **stack = pt_palloc(pool, (n + 1) * sizeof(loc_t *));
    size_t   depth = 0;

    if (stack == NULL) {
        return PT_ERROR;
    }

    for (size_t i = 0; i < n; i++) {
        while (depth && (stack[depth - 1]->name.len > l[i]->name.len
                         || memcmp(stack[depth - 1]->name.data,
                                   l[i]->name.data,
                                   stack[depth - 1]->name.len) != 0))
        {
            depth--;
        }

        l[i]->shorter = depth ? stack[depth - 1] : NULL;
        stack[depth++] = l[i];
    }

    return PT_OK;
}


int
pt_http_init_locations(pt_conf_t *cf, loc_t *clcf)
{
    pt_array_t  *all = clcf->locations;

    if (all == NULL) {
        return PT_OK;
    }

    clcf->prefix = loc_collect(cf, all, &clcf->nprefix, 0);
    clcf->exact = loc_collect(cf, all, &clcf->nexact, 1);
    clcf->regex_locs = loc_collect(cf, all, &clcf->nregex, 2);
    clcf->named_locs = loc_collect(cf, all, &clcf->nnamed, 3);

    if (!clcf->prefix || !clcf->exact || !clcf->regex_locs || !clcf->named_locs) {
        return PT_ERROR;
    }

    /* Sorted, a repeated name sits next to its twin: n log n, not n^2. */
    if (!loc_sort_unique(clcf->prefix, clcf->nprefix)
        || !loc_sort_unique(clcf->exact, clcf->nexact))
    {
        return loc_duplicate(cf, all);
    }

    return loc_link_shorter(clcf->prefix, clcf->nprefix, cf->pool);
}


/* How many of the n names in l (sorted) are at or before uri. */
static size_t
loc_upper(loc_t **l, size_t n, const pt_str_t *uri)
{
    size_t  lo = 0, hi = n;

    while (lo < hi) {
        size_t  mid = lo + (hi - lo) / 2;

        if (loc_cmp_name(&l[mid]->name, uri) <= 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return lo;
}


/* The = location named uri. */
static loc_t *
loc_find_exact(loc_t *parent, const pt_str_t *uri)
{
    size_t  i = loc_upper(parent->exact, parent->nexact, uri);

    return i && pt_str_eq(&parent->exact[i - 1]->name, uri)
           ? parent->exact[i - 1] : NULL;
}


/*
 * The longest prefix location that uri begins with.  All the names uri
 * begins with sort at or before uri, and every name between one of them
 * and uri begins with it too.  So the last name at or before uri begins
 * with the answer: it is that name, or the first of its chain of shorter
 * ones no longer than what the name and uri have in common.
 */
static loc_t *
loc_find_prefix(loc_t *parent, const pt_str_t *uri)
{
    size_t  n = loc_upper(parent->prefix, parent->nprefix, uri);

    if (n == 0) {
        return NULL;
    }

    loc_t   *l = parent->prefix[n - 1];
    size_t   common = 0, max = pt_min(l->name.len, uri->len);

    while (common < max && l->name.data[common] == uri->data[common]) {
        common++;
    }

    while (l != NULL && l->name.len > common) {
        l = l->shorter;
    }

    return l;
}


static bool
loc_regex_match(pt_http_request_t *r, loc_t *l)
{
    /* A match sets $1..$9 and named captures for what follows. */
    return pt_http_regex_exec(r, l->regex, &r->uri) == PT_OK;
}


static loc_match_e
loc_find(pt_http_request_t *r, loc_t *parent, loc_t **found)
{
    pt_str_t     *uri = &r->uri;
    loc_match_e   rc = LOC_NONE;
    loc_t        *l = loc_find_exact(parent, uri);

    if (l != NULL) {
        *found = l;
        return LOC_EXACT;
    }

    l = loc_find_prefix(parent, uri);

    if (l != NULL) {
        *found = l;
        rc = l->noregex ? LOC_NOREGEX : LOC_PREFIX;

        if (l->locations) {
            loc_t       *inner = NULL;
            loc_match_e  irc = loc_find(r, l, &inner);

            if (irc != LOC_NONE) {
                *found = inner;
                rc = irc;
            }
        }
    }

    if (rc == LOC_EXACT || rc == LOC_REGEX || rc == LOC_NOREGEX) {
        return rc;
    }

    for (size_t i = 0; i < parent->nregex; i++) {
        loc_t  *re = parent->regex_locs[i];

        if (loc_regex_match(r, re)) {
            *found = re;

            if (re->locations) {
                loc_t  *inner = NULL;

                if (loc_find(r, re, &inner) != LOC_NONE) {
                    *found = inner;
                }
            }
            return LOC_REGEX;
        }
    }

    return rc;
}


int
pt_http_core_find_location(pt_http_request_t *r)
{
    pt_http_core_srv_conf_t  *cscf = pt_http_get_module_srv_conf(r,
                                                         pt_http_core_module);
    loc_t                    *root = cscf->ctx->loc_conf[pt_http_core_module.ctx_index];
    loc_t                    *found = NULL;

    if (loc_find(r, root, &found) == LOC_NONE) {
        found = root;
    }

    r->loc_conf = found->loc_conf;
    return PT_OK;
}


int
pt_http_named_location(pt_http_request_t *r, const pt_str_t *name)
{
    pt_http_core_srv_conf_t  *cscf = pt_http_get_module_srv_conf(r,
                                                         pt_http_core_module);
    loc_t                    *root = cscf->ctx->loc_conf[pt_http_core_module.ctx_index];

    if (r->uri_changes-- == 0) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0, "rewrite or internal "
                     "redirection cycle while redirect to named location "
                     "\"%.*s\"", PT_STR_ARG(*name));
        r->count++;
        pt_http_finalize_request(r, PT_HTTP_INTERNAL_SERVER_ERROR);
        return PT_DONE;
    }

    for (size_t i = 0; i < root->nnamed; i++) {
        if (pt_str_eq(&root->named_locs[i]->name, name)) {
            r->loc_conf = root->named_locs[i]->loc_conf;
            r->internal = 1;
            pt_http_update_location_config(r);
            pt_http_phase_restart_at(r, PT_HTTP_REWRITE_PHASE);
            /* Like an internal redirect: the caller drops this reference. */
            r->count++;
            pt_http_core_run_phases(r);
            return PT_DONE;
        }
    }

    pt_log_error(PT_LOG_ERR, r->connection->log, 0, "could not find named "
                 "location \"%.*s\"", PT_STR_ARG(*name));
    r->count++;
    pt_http_finalize_request(r, PT_HTTP_INTERNAL_SERVER_ERROR);
    return PT_DONE;
}
