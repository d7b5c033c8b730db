/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS termination for http: what the request engine calls. */
#ifndef PT_HTTP_SSL_H
#define PT_HTTP_SSL_H

/*
 * Starts a connection accepted on a `listen ... ssl` address: waits for
 * the first byte, answers plain HTTP with a 400 (hc->plain_http), runs the
 * TLS handshake otherwise, then hands the connection to the request
 * reader.  Closes c itself on failure or timeout.
 */
void pt_http_ssl_init_connection(pt_connection_t *c);

/*
 * Checks the client certificate against ssl_verify_client of r's server:
 * PT_OK, or PT_HTTP_SSL_NO_CERT / PT_HTTP_SSL_CERT_ERROR (logged) for the
 * request to answer.
 */
int pt_http_ssl_verify_client(pt_http_request_t *r);

#endif /* PT_HTTP_SSL_H */
