/* SPDX-License-Identifier: BSD-2-Clause */
/* The phase engine: each phase's handlers run by that phase's checker. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_conf.h"
#include "pt_http_internal.h"

typedef struct phase_entry_s  phase_entry_t;

/* Returns true when the engine should stop (the request went elsewhere). */
typedef bool (*phase_checker_pt)(pt_http_request_t *r, const phase_entry_t *e);

struct phase_entry_s {
    phase_checker_pt     checker;
    pt_http_handler_pt   handler;
    size_t               next;        /* first entry of the next phase */
};

static phase_entry_t  *phase_engine;
static size_t          phase_start[PT_HTTP_NPHASES + 1];


/* POST_READ, PREACCESS, ACCESS, PRECONTENT, LOG: OK moves to the next phase. */
static bool
phase_generic(pt_http_request_t *r, const phase_entry_t *e)
{
    int  rc = e->handler(r);

    if (rc == PT_OK) {
        r->phase_handler = (int) e->next;
        return false;
    }

    if (rc == PT_DECLINED) {
        r->phase_handler++;
        return false;
    }

    if (rc == PT_AGAIN || rc == PT_DONE) {
        return true;
    }

    pt_http_finalize_request(r, rc);
    return true;
}


/* SERVER_REWRITE and REWRITE: every handler runs unless one ends it. */
static bool
phase_rewrite(pt_http_request_t *r, const phase_entry_t *e)
{
    int  rc = e->handler(r);

    if (rc == PT_DECLINED || rc == PT_OK) {
        r->phase_handler++;
        return false;
    }

    if (rc == PT_DONE || rc == PT_AGAIN) {
        return true;
    }

    pt_http_finalize_request(r, rc);
    return true;
}


static int
phase_check_body_size(pt_http_request_t *r, pt_http_core_loc_conf_t *clcf)
{
    off_t  len = r->headers_in.content_length_n;

    if (clcf->client_max_body_size && len > (off_t) clcf->client_max_body_size) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0, "client intended to "
                     "send too large body: %lld bytes", (long long) len);
        return PT_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    return PT_OK;
}


static bool
phase_find_config(pt_http_request_t *r, const phase_entry_t *e)
{
    pt_http_core_loc_conf_t  *clcf;
    int                       rc;

    r->content_handler = NULL;
    r->uri_changed = 0;

    rc = pt_http_core_find_location(r);
    if (rc != PT_OK) {
        pt_http_finalize_request(r, rc);
        return true;
    }

    clcf = pt_http_get_module_loc_conf(r, pt_http_core_module);

    if (!r->internal && clcf->internal) {
        pt_http_finalize_request(r, PT_HTTP_NOT_FOUND);
        return true;
    }

    pt_http_update_location_config(r);

    rc = phase_check_body_size(r, clcf);
    if (rc != PT_OK) {
        pt_http_finalize_request(r, rc);
        return true;
    }

    r->phase_handler++;
    return false;
}


static bool
phase_post_rewrite(pt_http_request_t *r, const phase_entry_t *e)
{
    if (!r->uri_changed) {
        r->phase_handler++;
        return false;
    }

    if (--r->uri_changes == 0) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0, "rewrite or internal "
                     "redirection cycle while processing \"%.*s\"",
                     PT_STR_ARG(r->uri));
        pt_http_finalize_request(r, PT_HTTP_INTERNAL_SERVER_ERROR);
        return true;
    }

    r->phase_handler = (int) phase_start[PT_HTTP_FIND_CONFIG_PHASE];
    return false;
}


static bool
phase_content(pt_http_request_t *r, const phase_entry_t *e)
{
    /* From here the response, not the phases, owns the write event. */
    r->write_event_handler = pt_http_request_empty_handler;

    if (r->content_handler) {
        pt_http_finalize_request(r, r->content_handler(r));
        return true;
    }

    if (e->handler) {
        int  rc = e->handler(r);

        if (rc != PT_DECLINED) {
            pt_http_finalize_request(r, rc);
            return true;
        }

        r->phase_handler++;
        if (phase_engine[r->phase_handler].checker == phase_content
            && phase_engine[r->phase_handler].handler)
        {
            return false;
        }
    }

    /* Nobody served it. */
    if (r->uri.len && r->uri.data[r->uri.len - 1] == '/') {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0, "directory index of "
                     "\"%.*s\" is forbidden", PT_STR_ARG(r->uri));
        pt_http_finalize_request(r, PT_HTTP_FORBIDDEN);
        return true;
    }

    pt_log_error(PT_LOG_ERR, r->connection->log, 0, "no handler found");
    pt_http_finalize_request(r, PT_HTTP_NOT_FOUND);
    return true;
}


void
pt_http_request_empty_handler(pt_http_request_t *r)
{
}


static phase_checker_pt
phase_checker(pt_http_phases_e phase)
{
    switch (phase) {
    case PT_HTTP_SERVER_REWRITE_PHASE:
    case PT_HTTP_REWRITE_PHASE:
        return phase_rewrite;
    case PT_HTTP_FIND_CONFIG_PHASE:
        return phase_find_config;
    case PT_HTTP_POST_REWRITE_PHASE:
        return phase_post_rewrite;
    case PT_HTTP_CONTENT_PHASE:
        return phase_content;
    default:
        return phase_generic;
    }
}


int
pt_http_init_phase_engine(pt_conf_t *cf)
{
    pt_http_core_main_conf_t  *cmcf = pt_http_conf_get_module_main_conf(cf,
                                                         pt_http_core_module);
    size_t                     n = 0;

    for (int i = 0; i < PT_HTTP_NPHASES; i++) {
        n += cmcf->phases[i].nelts + 1;
    }

    phase_engine = pt_pcalloc(cf->pool, (n + 1) * sizeof(phase_entry_t));
    if (phase_engine == NULL) {
        return PT_ERROR;
    }

    size_t  k = 0;

    /* The log phase runs from pt_http_free_request, not the engine. */
    for (int i = 0; i < PT_HTTP_LOG_PHASE; i++) {
        pt_http_handler_pt  *h = cmcf->phases[i].elts;
        size_t               nh = cmcf->phases[i].nelts;
        bool                 builtin = i == PT_HTTP_FIND_CONFIG_PHASE
                                       || i == PT_HTTP_POST_REWRITE_PHASE
                                       || i == PT_HTTP_CONTENT_PHASE;

        phase_start[i] = k;

        /* Handlers registered later run first, as in nginx. */
        for (size_t j = nh; j-- > 0; ) {
            phase_engine[k++] = (phase_entry_t) { phase_checker(i), h[j], 0 };
        }

        if (builtin && (nh == 0 || i != PT_HTTP_CONTENT_PHASE)) {
            phase_engine[k++] = (phase_entry_t) { phase_checker(i), NULL, 0 };
        }

        for (size_t j = phase_start[i]; j < k; j++) {
            phase_engine[j].next = k;
        }
    }

    phase_start[PT_HTTP_LOG_PHASE] = k;
    cmcf->nphase_handlers = k;

    /* find-config and post-rewrite have no module handlers. */
    for (size_t j = phase_start[PT_HTTP_FIND_CONFIG_PHASE];
         j < phase_start[PT_HTTP_REWRITE_PHASE]; j++)
    {
        phase_engine[j].checker = phase_find_config;
    }

    return PT_OK;
}


void
pt_http_phase_restart_at(pt_http_request_t *r, pt_http_phases_e phase)
{
    r->phase_handler = (int) phase_start[phase];
}


void
pt_http_core_run_phases(pt_http_request_t *r)
{
    for ( ;; ) {
        const phase_entry_t  *e = &phase_engine[r->phase_handler];

        if (e->checker == NULL) {
            /* Past the content phase: nothing produced a response. */
            pt_http_finalize_request(r, PT_HTTP_NOT_FOUND);
            return;
        }

        if (e->checker(r, e)) {
            return;
        }
    }
}


void
pt_http_handler(pt_http_request_t *r)
{
    pt_http_core_run_phases(r);
}


void
pt_http_run_log_phase(pt_http_request_t *r)
{
    pt_http_core_main_conf_t  *cmcf = pt_http_get_module_main_conf(r,
                                                         pt_http_core_module);
    pt_http_handler_pt        *h = cmcf->phases[PT_HTTP_LOG_PHASE].elts;

    for (size_t i = 0; i < cmcf->phases[PT_HTTP_LOG_PHASE].nelts; i++) {
        (void) h[i](r);
    }
}


int
pt_http_internal_redirect(pt_http_request_t *r, const pt_str_t *uri,
    const pt_str_t *args)
{
    if (--r->uri_changes == 0) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0, "rewrite or internal "
                     "redirection cycle while internally redirecting to "
                     "\"%.*s\"", PT_STR_ARG(*uri));
        /* Callers finalize with PT_DONE after us, as for a redirect. */
        r->count++;
        pt_http_finalize_request(r, PT_HTTP_INTERNAL_SERVER_ERROR);
        return PT_DONE;
    }

    r->uri = *uri;

    if (args) {
        r->args = *args;
    } else {
        pt_str_null(&r->args);
    }

    pt_http_set_exten(r);

    /* Module state belongs to the old URI; variables are recomputed. */
    memset(r->ctx, 0, pt_http_modules_n * sizeof(void *));

    pt_http_core_main_conf_t  *cmcf = pt_http_get_module_main_conf(r,
                                                         pt_http_core_module);

    memset(r->variables, 0, cmcf->variables.nelts
                            * sizeof(pt_http_variable_value_t));

    /* Server-level handlers see the server's conf again, as in nginx. */
    pt_http_core_srv_conf_t  *cscf = pt_http_get_module_srv_conf(r,
                                                         pt_http_core_module);

    r->loc_conf = cscf->ctx->loc_conf;
    r->internal = 1;
    r->valid_location = 1;
    r->phase_handler = (int) phase_start[PT_HTTP_SERVER_REWRITE_PHASE];
    r->write_event_handler = pt_http_core_run_phases;
    r->count++;

    pt_http_core_run_phases(r);
    return PT_DONE;
}
