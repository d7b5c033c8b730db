/* SPDX-License-Identifier: BSD-2-Clause */
/* Building the http configuration: contexts, locations, listeners, phases. */
#ifndef PT_HTTP_CONF_H
#define PT_HTTP_CONF_H

/*
 * Allocates the conf structs of one block for every http module (main and
 * srv arrays only when asked), with table fields set to unset and
 * create_loc_conf hooks run.  PT_OK or PT_ERROR.
 */
int pt_http_alloc_confs(pt_conf_t *cf, pt_http_conf_ctx_t *ctx, bool main,
    bool srv);

/* Merges loc confs (table fields and hooks) down a location subtree. */
int pt_http_merge_loc(pt_conf_t *cf, void **prev, void **conf);

/* Sorts a location's nested locations into exact/prefix/regex/named. */
int pt_http_init_locations(pt_conf_t *cf, pt_http_core_loc_conf_t *clcf);

/* Flattens the per-phase handler arrays into the engine. */
int pt_http_init_phase_engine(pt_conf_t *cf);

/* Options of one `listen` directive. */
typedef struct {
    pt_url_t      url;
    int           backlog;
    int           rcvbuf;
    int           sndbuf;
    int           keepidle;
    int           keepintvl;
    int           keepcnt;
    unsigned      so_keepalive:2;     /* 1: on, 2: off */
    unsigned      default_server:1;
    unsigned      ssl:1;
    unsigned      reuseport:1;
    unsigned      ipv6only:1;
    unsigned      deferred:1;
    unsigned      bind:1;
    unsigned      socket_options_set:1;   /* per address, while merging */
} pt_http_listen_opt_t;

/* Records that cscf listens on each address of opt; PT_OK or PT_ERROR. */
int pt_http_add_listen(pt_conf_t *cf, pt_http_core_srv_conf_t *cscf,
    pt_http_listen_opt_t *opt);

/* Builds the virtual-server tables and cycle listeners from the ports. */
int pt_http_optimize_servers(pt_conf_t *cf);

#endif /* PT_HTTP_CONF_H */
