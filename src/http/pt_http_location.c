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


static int
loc_cmp_len(const void *a, const void *b)
{
    const loc_t  *x = *(loc_t *const *) a, *y = *(loc_t *const *) b;

    /* Longest first, so the first match is the longest. */
    return (x->name.len < y->name.len) - (x->name.len > y->name.len);
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


int
pt_http_init_locations(pt_conf_t *cf, loc_t *clcf)
{
    pt_array_t  *all = clcf->locations;

    if (all == NULL) {
        return PT_OK;
    }

    loc_t  **l = all->elts;

    for (size_t i = 0; i < all->nelts; i++) {
        for (size_t j = i + 1; j < all->nelts; j++) {
            if (!l[i]->regex && !l[j]->regex && !l[i]->noname && !l[j]->noname
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

    clcf->prefix = loc_collect(cf, all, &clcf->nprefix, 0);
    clcf->exact = loc_collect(cf, all, &clcf->nexact, 1);
    clcf->regex_locs = loc_collect(cf, all, &clcf->nregex, 2);
    clcf->named_locs = loc_collect(cf, all, &clcf->nnamed, 3);

    if (!clcf->prefix || !clcf->exact || !clcf->regex_locs || !clcf->named_locs) {
        return PT_ERROR;
    }

    qsort(clcf->prefix, clcf->nprefix, sizeof(loc_t *), loc_cmp_len);
    return PT_OK;
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

    for (size_t i = 0; i < parent->nexact; i++) {
        if (pt_str_eq(&parent->exact[i]->name, uri)) {
            *found = parent->exact[i];
            return LOC_EXACT;
        }
    }

    for (size_t i = 0; i < parent->nprefix; i++) {
        loc_t  *l = parent->prefix[i];

        if (l->name.len <= uri->len
            && memcmp(l->name.data, uri->data, l->name.len) == 0)
        {
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
            break;
        }
    }

    if (rc == LOC_EXACT || rc == LOC_REGEX || rc == LOC_NOREGEX) {
        return rc;
    }

    for (size_t i = 0; i < parent->nregex; i++) {
        loc_t  *l = parent->regex_locs[i];

        if (loc_regex_match(r, l)) {
            *found = l;

            if (l->locations) {
                loc_t  *inner = NULL;

                if (loc_find(r, l, &inner) != LOC_NONE) {
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
