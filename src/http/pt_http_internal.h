/* SPDX-License-Identifier: BSD-2-Clause */
/* Functions shared by the request engine's files, not by modules. */
#ifndef PT_HTTP_INTERNAL_H
#define PT_HTTP_INTERNAL_H

/* The default server of the connection's address (before Host is known). */
pt_http_core_srv_conf_t *pt_http_default_srv_conf(pt_http_connection_t *hc);

/* Address conf of an accepted connection (wildcard sockets: getsockname). */
pt_http_addr_conf_t *pt_http_find_addr_conf(pt_connection_t *c);

/* The server for host (lower-case, validated) on an address. */
pt_http_core_srv_conf_t *pt_http_find_virtual_server(pt_http_addr_conf_t *ac,
    const pt_str_t *host, pt_http_request_t *r);

/* Records the header just parsed; PT_OK or a status to answer. */
int pt_http_add_header_in(pt_http_request_t *r);

/* Checks the whole head (Host, framing, Connection); PT_OK or a status. */
int pt_http_process_request_header(pt_http_request_t *r);

/*
 * Waits for the first request of a new connection (a TLS one once its
 * handshake is done); the client_header_timeout timer is the caller's.
 */
void pt_http_wait_request(pt_connection_t *c);

void pt_http_empty_handler(pt_event_t *ev);
void pt_http_request_handler(pt_event_t *ev);
void pt_http_block_reading(pt_http_request_t *r);
void pt_http_keepalive_handler(pt_event_t *rev);
int pt_http_keepalive_buffer(pt_connection_t *c, pt_buf_t *from);

/* Closes a connection and destroys its pool. */
void pt_http_close_connection(pt_connection_t *c);

/* Sets r->phase_handler to the first handler of phase. */
void pt_http_phase_restart_at(pt_http_request_t *r, pt_http_phases_e phase);

/* Sends what the write filter holds; the write event handler. */
void pt_http_writer(pt_http_request_t *r);

/* Runs the log phase once (before pipelined bytes move). */
void pt_http_log_request(pt_http_request_t *r);

/* Runs the log phase and frees the request. */
void pt_http_free_request(pt_http_request_t *r, int rc);

/* The last filter: queues in and sends what the socket takes. */
int pt_http_write_filter(pt_http_request_t *r, pt_chain_t *in);

/* Runs the log phase handlers once. */
void pt_http_run_log_phase(pt_http_request_t *r);

/* A request event handler that does nothing. */
void pt_http_request_empty_handler(pt_http_request_t *r);

/* Sends "HTTP/1.1 100 Continue" when the client waits for it. */
int pt_http_test_expect(pt_http_request_t *r);

#endif /* PT_HTTP_INTERNAL_H */
