/* SPDX-License-Identifier: BSD-2-Clause */
/* allow / deny: client address rules, first match wins, 403 on deny. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

/*
 * Directives:
 *
 *   allow address | CIDR | unix: | all;
 *   deny address | CIDR | unix: | all;
 *       default: none   context: http, server, location
 *
 * The rules of one level are checked in config order and the first that
 * matches the client address decides; none matching allows.  A level
 * with no rule inherits its parent's list as a whole (as nginx).  An
 * IPv6 rule never matches an IPv4 client, except that an IPv4-mapped
 * IPv6 client is checked as IPv4 (pt_cidr_match).
 */

typedef struct {
    pt_cidr_t   cidr;
    bool        deny;
} access_rule_t;

typedef struct {
    pt_array_t  *rules;        /* access_rule_t; NULL: none at this level */
} access_loc_conf_t;


static int access_rule(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int access_init(pt_conf_t *cf);
static int access_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);

#define ACCESS_CTX  (PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC)

static const pt_command_t  access_commands[] = {
    { .name = "allow", .ctx = ACCESS_CTX, .args = PT_CONF_TAKE1,
      .set = access_rule },
    { .name = "deny", .ctx = ACCESS_CTX, .args = PT_CONF_TAKE1,
      .set = access_rule },
    PT_COMMAND_END
};

static const pt_http_module_t  access_module_ctx = {
    .postconfiguration = access_init,
    .loc_conf_size = sizeof(access_loc_conf_t),
    .merge_loc_conf = access_merge_loc_conf,
};

pt_module_t  pt_http_access_module = {
    .name = "pt_http_access_module",
    .type = PT_HTTP_MODULE,
    .commands = access_commands,
    .ctx = &access_module_ctx,
};


static int
access_handler(pt_http_request_t *r)
{
    access_loc_conf_t  *alcf = pt_http_get_module_loc_conf(r,
                                                       pt_http_access_module);
    pt_connection_t    *c = r->connection;

    if (alcf->rules == NULL) {
        return PT_DECLINED;
    }

    access_rule_t  *rule = alcf->rules->elts;

    for (size_t i = 0; i < alcf->rules->nelts; i++) {
        if (!pt_cidr_match(&rule[i].cidr, c->sockaddr)) {
            continue;
        }

        if (rule[i].deny) {
            pt_log_error(PT_LOG_ERR, c->log, 0, "access forbidden by rule");
            return PT_HTTP_FORBIDDEN;
        }

        break;
    }

    /* Allowed: the other access checks still run. */
    return PT_DECLINED;
}


static int
access_rule(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    access_loc_conf_t  *alcf = conf;
    pt_str_t           *v = &pt_conf_arg(cf, 1);
    access_rule_t      *rule;
    int                 rc;

    if (alcf->rules == NULL) {
        alcf->rules = pt_array_create(cf->pool, 4, sizeof(access_rule_t));
        if (alcf->rules == NULL) {
            return PT_ERROR;
        }
    }

    rule = pt_array_push(alcf->rules);
    if (rule == NULL) {
        return PT_ERROR;
    }

    rule->deny = cmd->name[0] == 'd';

    rc = pt_parse_cidr(v, &rule->cidr);

    if (rc == PT_ERROR) {
        return pt_conf_error(cf, "invalid parameter \"%.*s\"", PT_STR_ARG(*v));
    }

    if (rc == PT_DONE) {
        pt_conf_log(cf, PT_LOG_WARN, 0, "low address bits of %.*s are "
                    "meaningless", PT_STR_ARG(*v));
    }

    return PT_OK;
}


static int
access_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf)
{
    access_loc_conf_t  *parent = prev, *child = conf;

    if (parent && child->rules == NULL) {
        child->rules = parent->rules;
    }

    return PT_OK;
}


static int
access_init(pt_conf_t *cf)
{
    return pt_http_phase_add(cf, PT_HTTP_ACCESS_PHASE, access_handler);
}
