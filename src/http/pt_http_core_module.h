/* SPDX-License-Identifier: BSD-2-Clause */
/* The HTTP core module: servers, locations, listen, and the phases. */
#ifndef PT_HTTP_CORE_MODULE_H
#define PT_HTTP_CORE_MODULE_H

typedef enum {
    PT_HTTP_POST_READ_PHASE = 0,
    PT_HTTP_SERVER_REWRITE_PHASE,
    PT_HTTP_FIND_CONFIG_PHASE,
    PT_HTTP_REWRITE_PHASE,
    PT_HTTP_POST_REWRITE_PHASE,
    PT_HTTP_PREACCESS_PHASE,
    PT_HTTP_ACCESS_PHASE,
    PT_HTTP_POST_ACCESS_PHASE,
    PT_HTTP_PRECONTENT_PHASE,     /* try_files */
    PT_HTTP_CONTENT_PHASE,
    PT_HTTP_LOG_PHASE,
    PT_HTTP_NPHASES
} pt_http_phases_e;

/*
 * Phase handlers return PT_OK (phase done, next phase), PT_DECLINED (next
 * handler of this phase), PT_AGAIN / PT_DONE (the request continues
 * elsewhere), PT_ERROR, or an HTTP status to finalize with.
 */
int pt_http_phase_add(pt_conf_t *cf, pt_http_phases_e phase,
    pt_http_handler_pt h);

typedef struct {
    pt_http_handler_pt   handler;
    pt_http_phases_e     phase;
} pt_http_phase_handler_t;

typedef struct {
    pt_array_t                servers;      /* pt_http_core_srv_conf_t * */
    pt_array_t                ports;        /* pt_http_conf_port_t */
    pt_array_t                phases[PT_HTTP_NPHASES];   /* handlers */
    pt_http_phase_handler_t  *phase_engine;
    size_t                    nphase_handlers;
    size_t                    phase_start[PT_HTTP_NPHASES];

    pt_array_t                variables;    /* used: pt_http_variable_t */
    pt_array_t                all_variables;   /* declared */
    pt_array_t                prefix_variables;
    pt_hash_t                 headers_in_hash;

    pt_array_t                filters;      /* pt_http_filter_t, chain order */
    pt_array_t                temp_paths;   /* pt_str_t: created at start */

    /* nginx's hash tuning: accepted and checked, our hashes size themselves */
    int                       server_names_hash_max_size;
    int                       server_names_hash_bucket_size;
    int                       variables_hash_max_size;
    int                       variables_hash_bucket_size;
} pt_http_core_main_conf_t;

typedef struct {
    pt_str_t           name;
    pt_regex_t        *regex;
    pt_http_core_srv_conf_t  *server;
} pt_http_server_name_t;

struct pt_http_core_srv_conf_s {
    pt_array_t               server_names;     /* pt_http_server_name_t */
    pt_http_conf_ctx_t      *ctx;
    pt_str_t                 server_name;      /* first name */
    pt_str_t                 file_name;        /* where the block is */
    unsigned                 line;

    size_t                   connection_pool_size;
    size_t                   request_pool_size;
    size_t                   client_header_buffer_size;
    pt_conf_bufs_t           large_buffers;    /* large_client_header_buffers */
    pt_msec_t                client_header_timeout;
    int                      ignore_invalid_headers;
    int                      merge_slashes;
    int                      underscores_in_headers;

    unsigned                 listen:1;
    unsigned                 listen_ssl:1;     /* a listen ... ssl */
};

typedef struct {
    int         status;
    int         overwrite;      /* =code; -1: none; 0: "=" alone */
    pt_http_complex_value_t  value;
    pt_str_t    args;
} pt_http_err_page_t;

struct pt_http_core_loc_conf_s {
    pt_str_t                  name;          /* location uri */
    pt_str_t                  file_name;     /* where it was declared */
    unsigned                  line;
    pt_regex_t               *regex;
    unsigned                  exact_match:1;
    unsigned                  noregex:1;
    unsigned                  named:1;
    unsigned                  noname:1;      /* an if block: merged, never matched */
    unsigned                  auto_redirect:1;
    unsigned                  alias_is_regex:1;
    int                       internal;

    void                    **loc_conf;      /* this location's confs */
    pt_array_t               *locations;     /* nested: core_loc_conf * */
    pt_http_core_loc_conf_t **exact;         /* built at init, by name */
    size_t                    nexact;
    pt_http_core_loc_conf_t **prefix;        /* by name (bytes) */
    size_t                    nprefix;
    pt_http_core_loc_conf_t  *shorter;       /* longest sibling prefix
                                                location that is a prefix
                                                of this one's name */
    pt_http_core_loc_conf_t **regex_locs;    /* config order */
    size_t                    nregex;
    pt_http_core_loc_conf_t **named_locs;
    size_t                    nnamed;

    pt_http_handler_pt        handler;       /* content handler */

    /* root / alias */
    pt_str_t                  root;          /* NUL-less; with prefix */
    pt_http_complex_value_t  *root_cv;       /* when it has variables */
    int                       alias;         /* 1: alias, not root */
    int                       root_set;

    /* types */
    pt_hash_t                *types;
    pt_array_t               *types_keys;    /* pt_hash_key_t, while parsing */
    pt_str_t                  default_type;
    int                       types_hash_max_size;     /* accepted, unused */
    int                       types_hash_bucket_size;  /* accepted, unused */

    size_t                    client_max_body_size;
    size_t                    client_body_buffer_size;
    pt_msec_t                 client_body_timeout;
    pt_msec_t                 send_timeout;
    pt_msec_t                 keepalive_timeout;
    time_t                    keepalive_header;
    int                       keepalive_requests;
    pt_msec_t                 lingering_time;
    pt_msec_t                 lingering_timeout;
    int                       lingering_close;   /* off/on/always */
    int                       reset_timedout_connection;
    int                       sendfile;
    size_t                    sendfile_max_chunk;
    int                       tcp_nopush;
    int                       tcp_nodelay;
    int                       server_tokens;
    int                       etag;
    int                       if_modified_since; /* off/exact/before */
    int                       absolute_redirect;
    int                       server_name_in_redirect;
    int                       port_in_redirect;
    int                       log_not_found;
    int                       recursive_error_pages;
    int                       chunked_transfer_encoding;
    int                       msie_refresh;

    pt_array_t               *error_pages;   /* pt_http_err_page_t */
    pt_log_t                 *error_log;     /* NULL: inherit */
    pt_str_t                  client_body_temp_path;
};

#define PT_HTTP_IMS_OFF     0
#define PT_HTTP_IMS_EXACT   1
#define PT_HTTP_IMS_BEFORE  2

#define PT_HTTP_LINGERING_OFF     0
#define PT_HTTP_LINGERING_ON      1
#define PT_HTTP_LINGERING_ALWAYS  2

/* Virtual servers of one listen address. */
typedef struct {
    pt_hash_t                 names;          /* exact */
    pt_hash_wildcard_t        wildcards;
    pt_http_server_name_t    *regex;
    size_t                    nregex;
} pt_http_virtual_names_t;

struct pt_http_addr_conf_s {
    pt_http_core_srv_conf_t  *default_server;
    pt_http_virtual_names_t  *virtual_names;
    unsigned                  ssl:1;
};

/* One bound socket's addresses: several when the socket is a wildcard. */
typedef struct {
    struct sockaddr_storage   sockaddr;
    socklen_t                 socklen;
    pt_http_addr_conf_t       conf;
} pt_http_in_addr_t;

typedef struct {
    pt_http_in_addr_t        *addrs;
    size_t                    naddrs;
} pt_http_port_t;

/* Finds the location for r->uri and sets r->loc_conf; PT_OK/PT_DONE(301)/error. */
int pt_http_core_find_location(pt_http_request_t *r);

/* Applies location settings to r (timeouts, log) after loc_conf changed. */
void pt_http_update_location_config(pt_http_request_t *r);

/* Finds the virtual server for host (lower-case) on r's address. */
int pt_http_set_virtual_server(pt_http_request_t *r, const pt_str_t *host);

/*
 * Runs a named location (@name).  Like pt_http_internal_redirect() it takes
 * a reference and returns PT_DONE: the caller finalizes with PT_DONE.
 */
int pt_http_named_location(pt_http_request_t *r, const pt_str_t *name);

/* Content handlers of the core: static serving lives in its module. */
extern pt_module_t  pt_http_core_module;

/*
 * Remembers a folder (NUL-terminated) for the master to create, owned by
 * the workers' user, before workers run (temp and cache paths).
 */
int pt_http_core_note_temp_path(pt_conf_t *cf, const pt_str_t *path);

#endif /* PT_HTTP_CORE_MODULE_H */
