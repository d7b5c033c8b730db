/* SPDX-License-Identifier: BSD-2-Clause */
/* The request: its state, headers in and out, and its lifecycle calls. */
#ifndef PT_HTTP_REQUEST_H
#define PT_HTTP_REQUEST_H

#define PT_HTTP_VERSION_9    9
#define PT_HTTP_VERSION_10   1000
#define PT_HTTP_VERSION_11   1001

#define PT_HTTP_CONTINUE                 100
#define PT_HTTP_SWITCHING_PROTOCOLS      101
#define PT_HTTP_OK                       200
#define PT_HTTP_CREATED                  201
#define PT_HTTP_NO_CONTENT               204
#define PT_HTTP_PARTIAL_CONTENT          206
#define PT_HTTP_SPECIAL_RESPONSE         300
#define PT_HTTP_MOVED_PERMANENTLY        301
#define PT_HTTP_MOVED_TEMPORARILY        302
#define PT_HTTP_SEE_OTHER                303
#define PT_HTTP_NOT_MODIFIED             304
#define PT_HTTP_TEMPORARY_REDIRECT       307
#define PT_HTTP_PERMANENT_REDIRECT       308
#define PT_HTTP_BAD_REQUEST              400
#define PT_HTTP_FORBIDDEN                403
#define PT_HTTP_NOT_FOUND                404
#define PT_HTTP_NOT_ALLOWED              405
#define PT_HTTP_REQUEST_TIME_OUT         408
#define PT_HTTP_CONFLICT                 409
#define PT_HTTP_LENGTH_REQUIRED          411
#define PT_HTTP_PRECONDITION_FAILED      412
#define PT_HTTP_REQUEST_ENTITY_TOO_LARGE 413
#define PT_HTTP_REQUEST_URI_TOO_LARGE    414
#define PT_HTTP_UNSUPPORTED_MEDIA_TYPE   415
#define PT_HTTP_RANGE_NOT_SATISFIABLE    416
#define PT_HTTP_EXPECTATION_FAILED       417
#define PT_HTTP_MISDIRECTED_REQUEST      421
#define PT_HTTP_TOO_MANY_REQUESTS        429
#define PT_HTTP_HEADER_FIELDS_TOO_LARGE  431
/* nginx's internal codes, logged but never sent */
#define PT_HTTP_CLOSE                    444
#define PT_HTTP_REQUEST_HEADER_TOO_LARGE 494
#define PT_HTTP_SSL_CERT_ERROR           495
#define PT_HTTP_SSL_NO_CERT              496
#define PT_HTTP_TO_HTTPS                 497
#define PT_HTTP_CLIENT_CLOSED_REQUEST    499
#define PT_HTTP_INTERNAL_SERVER_ERROR    500
#define PT_HTTP_NOT_IMPLEMENTED          501
#define PT_HTTP_BAD_GATEWAY              502
#define PT_HTTP_SERVICE_UNAVAILABLE      503
#define PT_HTTP_GATEWAY_TIME_OUT         504
#define PT_HTTP_VERSION_NOT_SUPPORTED    505

#define PT_HTTP_MAX_URI_CHANGES  10

/* One header line; a removed header keeps its slot with hash 0. */
typedef struct pt_table_elt_s  pt_table_elt_t;

struct pt_table_elt_s {
    uintptr_t        hash;         /* pt_hash_key_lc of the name; 0: deleted */
    pt_str_t         key;
    pt_str_t         value;
    u_char          *lowcase_key;
    pt_table_elt_t  *next;         /* list order */
    pt_table_elt_t  *dup;          /* next header with the same name */
};

typedef struct {
    pt_table_elt_t  *first;
    pt_table_elt_t  *last;
    size_t           n;
} pt_http_headers_t;

typedef struct {
    pt_http_headers_t  headers;

    pt_table_elt_t    *host;
    pt_table_elt_t    *connection;        /* first; others via dup */
    pt_table_elt_t    *if_modified_since;
    pt_table_elt_t    *if_unmodified_since;
    pt_table_elt_t    *if_match;
    pt_table_elt_t    *if_none_match;
    pt_table_elt_t    *if_range;
    pt_table_elt_t    *user_agent;
    pt_table_elt_t    *referer;
    pt_table_elt_t    *content_length;
    pt_table_elt_t    *content_type;
    pt_table_elt_t    *range;
    pt_table_elt_t    *transfer_encoding;
    pt_table_elt_t    *te;
    pt_table_elt_t    *expect;
    pt_table_elt_t    *upgrade;
    pt_table_elt_t    *accept_encoding;
    pt_table_elt_t    *authorization;
    pt_table_elt_t    *keep_alive;
    pt_table_elt_t    *x_forwarded_for;   /* first; others via dup */
    pt_table_elt_t    *cookie;            /* first; others via dup */

    pt_str_t           server;            /* validated, lower-cased host */
    off_t              content_length_n;  /* -1: none */
    time_t             keep_alive_n;

    unsigned           connection_type:2; /* PT_HTTP_CONNECTION_* */
    unsigned           chunked:1;
    unsigned           msie:1;
    unsigned           msie6:1;
} pt_http_headers_in_t;

#define PT_HTTP_CONNECTION_CLOSE       1
#define PT_HTTP_CONNECTION_KEEP_ALIVE  2

typedef struct {
    pt_http_headers_t  headers;

    unsigned           status;
    pt_str_t           status_line;      /* overrides the reason phrase */

    pt_table_elt_t    *server;
    pt_table_elt_t    *date;
    pt_table_elt_t    *content_length;
    pt_table_elt_t    *content_encoding;
    pt_table_elt_t    *location;
    pt_table_elt_t    *refresh;
    pt_table_elt_t    *last_modified;
    pt_table_elt_t    *content_range;
    pt_table_elt_t    *accept_ranges;
    pt_table_elt_t    *www_authenticate;
    pt_table_elt_t    *expires;
    pt_table_elt_t    *etag;
    pt_table_elt_t    *cache_control;

    pt_str_t           content_type;      /* without charset */
    pt_str_t           charset;
    size_t             content_type_len;  /* type part of content_type */

    off_t              content_length_n;  /* -1: unknown */
    off_t              content_offset;
    time_t             date_time;
    time_t             last_modified_time; /* -1: none */
} pt_http_headers_out_t;

typedef void (*pt_http_client_body_handler_pt)(pt_http_request_t *r);

typedef struct {
    pt_chain_t                       *bufs;      /* body read so far */
    pt_buf_t                         *buf;
    pt_file_ref_t                    *temp_file; /* past client_body_buffer_size */
    off_t                             rest;      /* -1: unknown (chunked) */
    off_t                             received;
    pt_http_chunked_t                *chunked;
    pt_http_client_body_handler_pt    post_handler;
    /* proxy_request_buffering off: buf holds what came, not all of it */
    pt_http_client_body_handler_pt    data_handler; /* more, end or error */
    int                               error;     /* a status; 0: none */
    unsigned                          unbuffered:1;
    unsigned                          taken:1;   /* the consumer holds buf */
    unsigned                          done:1;    /* the body ended */
} pt_http_request_body_t;

typedef int (*pt_http_handler_pt)(pt_http_request_t *r);
typedef void (*pt_http_event_handler_pt)(pt_http_request_t *r);

typedef struct pt_http_core_srv_conf_s   pt_http_core_srv_conf_t;
typedef struct pt_http_core_loc_conf_s   pt_http_core_loc_conf_t;
typedef struct pt_http_addr_conf_s       pt_http_addr_conf_t;

/* What lives on the connection across keep-alive requests. */
typedef struct {
    pt_http_addr_conf_t  *addr_conf;
    pt_http_request_t    *request;       /* current */
    pt_buf_t            **busy;          /* large header buffers in use */
    size_t                nbusy;
    pt_buf_t            **free;
    size_t                nfree;
    pt_str_t              server_name;   /* from the first request */
    pt_http_core_srv_conf_t *ssl_server; /* picked by SNI, else NULL */
    unsigned              ssl:1;         /* a TLS port */
    unsigned              plain_http:1;  /* plain HTTP on a TLS port */
} pt_http_connection_t;

struct pt_http_request_s {
    pt_connection_t              *connection;
    pt_http_connection_t         *http_connection;
    pt_pool_t                    *pool;
    pt_buf_t                     *header_in;

    void                        **main_conf;
    void                        **srv_conf;
    void                        **loc_conf;
    void                        **ctx;           /* per http module */

    pt_http_event_handler_pt      read_event_handler;
    pt_http_event_handler_pt      write_event_handler;
    pt_http_handler_pt            content_handler;

    pt_http_parse_t               parse;
    pt_http_headers_in_t          headers_in;
    pt_http_headers_out_t         headers_out;
    pt_http_request_body_t       *request_body;

    pt_http_method_e              method;
    unsigned                      http_version;
    pt_str_t                      request_line;
    pt_str_t                      method_name;
    pt_str_t                      unparsed_uri;   /* as received */
    pt_str_t                      uri;            /* normalised path */
    pt_str_t                      parsed_uri;     /* uri as first parsed */
    pt_str_t                      args;
    pt_str_t                      exten;
    pt_str_t                      http_protocol;
    pt_str_t                      schema;         /* absolute-form */

    pt_chain_t                   *out;            /* unsent output */
    pt_chain_t                   *free_links;     /* sent, for reuse */
    pt_chain_t                   *chunk_bufs;     /* chunk framing buffers */
    pt_http_variable_value_t     *variables;
    int                          *captures;       /* last regex match */
    unsigned                      ncaptures;
    pt_str_t                      captures_subject;

    int                           phase_handler;
    unsigned                      nlarge_buffers;
    unsigned                      err_status;
    pt_str_t                      root_path;      /* last mapped root */
    pt_str_t                      upstream_log;   /* ", upstream: ..." */
    pt_array_t                   *upstream_states; /* kept across redirects */
    off_t                         request_length;
    off_t                         header_size;    /* bytes of response head */
    pt_msec_t                     start_msec;
    time_t                        start_sec;
    unsigned                      start_msec_frac;

    unsigned                      count:16;       /* references */
    unsigned                      uri_changes:5;

    unsigned                      keepalive:1;
    unsigned                      lingering_close:1;
    unsigned                      header_only:1;
    unsigned                      header_sent:1;
    unsigned                      internal:1;
    unsigned                      error_page:1;
    unsigned                      discard_body:1;
    unsigned                      reading_body:1;
    unsigned                      expect_tested:1;
    unsigned                      chunked:1;       /* response is chunked */
    unsigned                      allow_ranges:1;
    unsigned                      single_range:1;
    unsigned                      done:1;
    unsigned                      logged:1;
    unsigned                      terminated:1;
    unsigned                      buffered:1;
    unsigned                      uri_changed:1;
    unsigned                      add_uri_to_alias:1;
    unsigned                      valid_location:1;
    unsigned                      disable_not_modified:1;
    unsigned                      limit_rate_set:1;
    unsigned                      preserve_body:1;
    unsigned                      filter_finalize:1;
    unsigned                      upgrade:1;       /* 101: a tunnel follows */

    /* kept across internal redirects: each limit applies once */
    unsigned                      limit_req_status:3;
    unsigned                      limit_conn_status:2;
};

/* Request lifecycle. */

/* Ends the request with rc (PT_OK, PT_DONE, PT_ERROR or a status). */
void pt_http_finalize_request(pt_http_request_t *r, int rc);

/* Sends a complete error page (or error_page redirect) for status. */
int pt_http_special_response_handler(pt_http_request_t *r, int status);

/* Restarts phase processing at find-config for uri (and args). */
int pt_http_internal_redirect(pt_http_request_t *r, const pt_str_t *uri,
    const pt_str_t *args);

/* Runs the phase engine from r->phase_handler. */
void pt_http_core_run_phases(pt_http_request_t *r);

/* Write-event handler that reruns phases. */
void pt_http_handler(pt_http_request_t *r);

/*
 * Reads the whole request body (Content-Length or chunked) into memory
 * (or a temp file when larger than client_body_buffer_size), then calls
 * post_handler.  Returns PT_OK / PT_AGAIN (handler will be called later)
 * or an HTTP status to finalize with.
 */
int pt_http_read_client_request_body(pt_http_request_t *r,
    pt_http_client_body_handler_pt post_handler);

/*
 * Without buffering (proxy_request_buffering off): reads what is there
 * into r->request_body->buf (client_body_buffer_size bytes) and calls
 * post_handler at once.  The consumer takes [buf->pos, buf->last) (and
 * sets ->taken: nothing is read into buf while it holds those bytes) and
 * calls pt_http_read_unbuffered_request_body() for more: PT_OK (bytes
 * are there, or ->done), PT_AGAIN (data_handler runs when some come, the
 * body ends or fails with ->error), or an error status.  Returns as
 * pt_http_read_client_request_body().
 */
int pt_http_read_unbuffered_client_body(pt_http_request_t *r,
    pt_http_client_body_handler_pt post_handler);
int pt_http_read_unbuffered_request_body(pt_http_request_t *r);

/* The consumer gives up on an unfinished unbuffered body: no keep-alive. */
void pt_http_unbuffered_body_abort(pt_http_request_t *r);

/* Reads and drops the body (keep-alive stays possible); PT_OK or status. */
int pt_http_discard_request_body(pt_http_request_t *r);

/* Adds a response header; NULL on allocation failure. */
pt_table_elt_t *pt_http_add_header_out(pt_http_request_t *r,
    const pt_str_t *key, const pt_str_t *value);

/* Removes every response header named key (case-insensitive). */
void pt_http_clear_header_out(pt_http_request_t *r, pt_table_elt_t **known);

/* Drops Content-Length, Accept-Ranges, Last-Modified, ETag as filters do. */
void pt_http_clear_content_length(pt_http_request_t *r);
void pt_http_clear_accept_ranges(pt_http_request_t *r);
void pt_http_clear_last_modified(pt_http_request_t *r);
void pt_http_clear_etag(pt_http_request_t *r);
/* Makes a strong ETag weak (W/"...") as encoders must. */
void pt_http_weak_etag(pt_http_request_t *r);

/*
 * Maps r->uri to a file name under the location's root or alias, with
 * reserved bytes at the end.  Returns the end of the name (NUL-terminated)
 * and sets *root_len; NULL on error.  The path cannot leave the root: the
 * uri is normalised before matching.
 */
u_char *pt_http_map_uri_to_path(pt_http_request_t *r, pt_str_t *path,
    size_t *root_len, size_t reserved);

/* Sets Content-Type from the extension of r->uri (or default_type). */
int pt_http_set_content_type(pt_http_request_t *r);

/* Sets r->exten from r->uri. */
void pt_http_set_exten(pt_http_request_t *r);

/*
 * Makes a Location value that starts with '/' absolute (scheme://host[:port])
 * when absolute_redirect is on; other values are left alone.  PT_OK or
 * PT_ERROR.
 */
int pt_http_absolute_location(pt_http_request_t *r, pt_str_t *location);

/* Sends `Location: url` with status (301/302/...), absolute as configured. */
int pt_http_send_redirect(pt_http_request_t *r, int status,
    const pt_str_t *location);

/* Sends status with a small text body (return code text). */
int pt_http_send_response(pt_http_request_t *r, unsigned status,
    const pt_str_t *content_type, const pt_str_t *body);

/*
 * Sends the head, then all of file (opened, file->size set) as the body,
 * unless a header filter answered otherwise (304, 412, 416) or the
 * request is HEAD.  A file of up to PT_HTTP_SMALL_FILE bytes is read and
 * sent from memory, larger ones with sendfile.  tag marks the buffer's
 * owner.  Returns what the filters returned, for the content handler to
 * finalize with.
 */
#define PT_HTTP_SMALL_FILE  16384
int pt_http_send_file(pt_http_request_t *r, pt_file_ref_t *file, void *tag);

/* Reason phrase for status ("Not Found"), or NULL. */
const char *pt_http_status_text(unsigned status, size_t *len);

/* Log handler context. */
typedef struct {
    pt_connection_t     *connection;
    pt_http_request_t   *request;
    pt_http_request_t   *current_request;
} pt_http_log_ctx_t;

#endif /* PT_HTTP_REQUEST_H */
