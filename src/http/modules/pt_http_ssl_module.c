/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS termination: per-server contexts, SNI, ALPN and the accept path. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_internal.h"
#include "pt_http_ssl.h"
#include "pt_http_ssl_conf.h"

/*
 * Directives (context http, server) are described in man/portico.conf.5;
 * pt_http_ssl_conf.c turns them into one SSL_CTX per server that has
 * certificates.  A connection on a `listen ... ssl` address starts with
 * the default server's context; the SNI callback switches it to the
 * server the name selects (and that server becomes the connection's
 * default, as in nginx), keeping the default's when the name is unknown
 * or its server has no certificate.
 */

static int ssl_preconfiguration(pt_conf_t *cf);
static int ssl_postconfiguration(pt_conf_t *cf);

#define SSL_CTX_SRV  (PT_HTTP_MAIN | PT_HTTP_SRV)

static const pt_conf_enum_t  ssl_verify_values[] = {
    { "off", PT_HTTP_SSL_VERIFY_OFF }, { "on", PT_HTTP_SSL_VERIFY_ON },
    { "optional", PT_HTTP_SSL_VERIFY_OPTIONAL },
    { "optional_no_ca", PT_HTTP_SSL_VERIFY_OPTIONAL_NO_CA }, { NULL, 0 }
};

static const pt_command_t  ssl_commands[] = {
    { .name = "ssl_certificate", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_http_ssl_set_path_array,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, certificates) },
    { .name = "ssl_certificate_key", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_http_ssl_set_path_array,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, certificate_keys) },
    { .name = "ssl_password_file", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_http_ssl_set_password_file,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, passwords) },
    { .name = "ssl_protocols", .ctx = SSL_CTX_SRV, .args = PT_CONF_1MORE,
      .set = pt_http_ssl_set_protocols,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, protocols) },
    { .name = "ssl_ciphers", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_str,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, ciphers),
      .def.str = "HIGH:!aNULL:!MD5" },
    { .name = "ssl_prefer_server_ciphers", .ctx = SSL_CTX_SRV,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, prefer_server_ciphers),
      .def.flag = 0 },
    { .name = "ssl_ecdh_curve", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_str,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, ecdh_curve),
      .def.str = "auto" },
    { .name = "ssl_dhparam", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_http_ssl_set_path,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, dhparam) },
    { .name = "ssl_conf_command", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE2,
      .set = pt_http_ssl_set_conf_command,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, conf_commands) },
    { .name = "ssl_early_data", .ctx = SSL_CTX_SRV, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, early_data),
      .def.flag = 0 },
    { .name = "ssl_session_timeout", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_sec,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, session_timeout),
      .def.sec = 300 },
    { .name = "ssl_session_cache", .ctx = SSL_CTX_SRV,
      .args = PT_CONF_TAKE12, .set = pt_http_ssl_set_session_cache,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, session_cache) },
    { .name = "ssl_session_tickets", .ctx = SSL_CTX_SRV, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, session_tickets),
      .def.flag = 1 },
    { .name = "ssl_session_ticket_key", .ctx = SSL_CTX_SRV,
      .args = PT_CONF_TAKE1, .set = pt_http_ssl_set_path_array,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, ticket_keys) },
    { .name = "ssl_stapling", .ctx = SSL_CTX_SRV, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, stapling),
      .def.flag = 0 },
    { .name = "ssl_stapling_file", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_http_ssl_set_path,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, stapling_file) },
    { .name = "ssl_client_certificate", .ctx = SSL_CTX_SRV,
      .args = PT_CONF_TAKE1, .set = pt_http_ssl_set_path,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, client_certificate) },
    { .name = "ssl_trusted_certificate", .ctx = SSL_CTX_SRV,
      .args = PT_CONF_TAKE1, .set = pt_http_ssl_set_path,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, trusted_certificate) },
    { .name = "ssl_crl", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_http_ssl_set_path,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, crl) },
    { .name = "ssl_verify_client", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_enum,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, verify),
      .def.i = PT_HTTP_SSL_VERIFY_OFF, .values = ssl_verify_values },
    { .name = "ssl_verify_depth", .ctx = SSL_CTX_SRV, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_num,
      .field = PT_SRV_FIELD(pt_http_ssl_srv_conf_t, verify_depth),
      .def.i = 1, .min = 0, .max = 100 },
    PT_COMMAND_END
};

static const pt_http_module_t  ssl_module_ctx = {
    .preconfiguration = ssl_preconfiguration,
    .postconfiguration = ssl_postconfiguration,
    .srv_conf_size = sizeof(pt_http_ssl_srv_conf_t),
    .merge_srv_conf = pt_http_ssl_merge_srv_conf,
};

pt_module_t  pt_http_ssl_module = {
    .name = "pt_http_ssl_module",
    .type = PT_HTTP_MODULE,
    .commands = ssl_commands,
    .ctx = &ssl_module_ctx,
};


/* ---- the accept path --------------------------------------------------- */


static void
ssl_handshake_done(pt_connection_t *c)
{
    if (!c->ssl->handshaked || c->timedout || c->close) {
        pt_http_close_connection(c);
        return;
    }

    pt_http_wait_request(c);
}


/* TLS records start with 0x16 (handshake); SSLv2 hellos with 0x80. */
static void
ssl_first_byte_handler(pt_event_t *rev)
{
    pt_connection_t         *c = rev->data;
    pt_http_connection_t    *hc = c->data;
    pt_http_ssl_srv_conf_t  *sscf;
    u_char                   byte;
    ssize_t                  n;

    if (rev->timedout || c->close) {
        if (rev->timedout) {
            pt_log_error(PT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        }
        pt_http_close_connection(c);
        return;
    }

    n = recv(c->fd, &byte, 1, MSG_PEEK);

    if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
        rev->ready = 0;
        return;
    }

    if (n <= 0) {
        if (n == -1) {
            pt_log_error(PT_LOG_INFO, c->log, errno, "recv() failed");
        }
        pt_http_close_connection(c);
        return;
    }

    rev->ready = 1;

    if (byte != 0x16 && byte != 0x80) {
        hc->plain_http = 1;
        pt_http_wait_request(c);
        return;
    }

    sscf = pt_http_ssl_srv_conf(pt_http_default_srv_conf(hc));

    if (sscf->ssl.ctx == NULL) {
        pt_log_error(PT_LOG_ERR, c->log, 0, "no \"ssl_certificate\" is "
                     "defined in server listening on SSL port");
        pt_http_close_connection(c);
        return;
    }

    if (pt_ssl_create_connection(&sscf->ssl, c, true) != PT_OK) {
        pt_http_close_connection(c);
        return;
    }

    /*
     * As nginx: the handshake's flights and the session tickets that
     * follow it must not wait for the peer's delayed ACK (Nagle).
     */
    pt_http_core_srv_conf_t  *cscf = pt_http_default_srv_conf(hc);
    pt_http_core_loc_conf_t  *clcf =
        cscf->ctx->loc_conf[pt_http_core_module.ctx_index];

    if (clcf->tcp_nodelay) {
        (void) pt_tcp_nodelay(c);
    }

    c->log->action = "SSL handshaking";
    c->ssl->handler = ssl_handshake_done;

    int  rc = pt_ssl_handshake(c);

    if (rc != PT_AGAIN) {
        ssl_handshake_done(c);
    }
}


void
pt_http_ssl_init_connection(pt_connection_t *c)
{
    c->log->action = "SSL handshaking";
    c->read->handler = ssl_first_byte_handler;
    c->write->handler = pt_http_empty_handler;

    /* With deferred accept the ClientHello is usually already there. */
    ssl_first_byte_handler(c->read);
}


/* ---- callbacks --------------------------------------------------------- */


/*
 * SNI: the name picks the server (nginx's rules, as for Host) and its
 * certificate; unknown names keep the default server's context.
 */
int
pt_http_ssl_servername(SSL *ssl, int *ad, void *arg)
{
    pt_connection_t          *c = SSL_get_ex_data(ssl, pt_ssl_connection_index);
    const char               *name = SSL_get_servername(ssl,
                                                     TLSEXT_NAMETYPE_host_name);
    pt_http_connection_t     *hc;
    pt_http_core_srv_conf_t  *cscf;
    pt_http_ssl_srv_conf_t   *sscf;
    u_char                    low[256];
    pt_str_t                  host;

    if (c == NULL || name == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }

    host.len = strlen(name);

    if (host.len == 0 || host.len >= sizeof(low)) {
        return SSL_TLSEXT_ERR_NOACK;
    }

    pt_strlow(low, (const u_char *) name, host.len);
    host.data = low;

    if (host.data[host.len - 1] == '.') {
        host.len--;
    }

    hc = c->data;
    cscf = pt_http_find_virtual_server(hc->addr_conf, &host, NULL);
    sscf = pt_http_ssl_srv_conf(cscf);

    hc->ssl_server = cscf;

    if (sscf->ssl.ctx == NULL || sscf->ssl.ctx == SSL_get_SSL_CTX(ssl)) {
        return SSL_TLSEXT_ERR_OK;
    }

    SSL_set_SSL_CTX(ssl, sscf->ssl.ctx);

    /* SSL_set_SSL_CTX() moves certificates only: verification follows. */
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(sscf->ssl.ctx),
                   SSL_CTX_get_verify_callback(sscf->ssl.ctx));
    SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(sscf->ssl.ctx));
    SSL_clear_options(ssl, SSL_get_options(ssl)
                           & ~SSL_CTX_get_options(sscf->ssl.ctx));
    SSL_set_options(ssl, SSL_CTX_get_options(sscf->ssl.ctx));

    return SSL_TLSEXT_ERR_OK;
}


/* ALPN: http/1.1 only for now (h2 would be offered here). */
int
pt_http_ssl_alpn_select(SSL *ssl, const unsigned char **out,
    unsigned char *outlen, const unsigned char *in, unsigned int inlen,
    void *arg)
{
    static const unsigned char  protos[] = "\x08http/1.1";
    unsigned char              *sel;

    if (SSL_select_next_proto(&sel, outlen, protos, sizeof(protos) - 1, in,
                              inlen) != OPENSSL_NPN_NEGOTIATED)
    {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }

    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}


/* ---- configuration hooks ----------------------------------------------- */


static int
ssl_preconfiguration(pt_conf_t *cf)
{
    if (pt_ssl_init(cf->log) != PT_OK) {
        return PT_ERROR;
    }

    return pt_http_ssl_add_variables(cf);
}


/* Every server listening with `ssl` needs a certificate of its own. */
static int
ssl_postconfiguration(pt_conf_t *cf)
{
    pt_http_core_main_conf_t  *cmcf = pt_http_conf_get_module_main_conf(cf,
                                                         pt_http_core_module);
    pt_http_core_srv_conf_t  **servers = cmcf->servers.elts;

    for (size_t i = 0; i < cmcf->servers.nelts; i++) {
        pt_http_ssl_srv_conf_t  *sscf = pt_http_ssl_srv_conf(servers[i]);

        if (servers[i]->listen_ssl && sscf->ssl.ctx == NULL) {
            return pt_conf_error(cf, "no \"ssl_certificate\" is defined for "
                                 "the \"listen ... ssl\" directive in %.*s:%u",
                                 PT_STR_ARG(servers[i]->file_name),
                                 servers[i]->line);
        }
    }

    return PT_OK;
}


int
pt_http_ssl_verify_client(pt_http_request_t *r)
{
    pt_http_ssl_srv_conf_t  *sscf = pt_http_get_module_srv_conf(r,
                                                         pt_http_ssl_module);
    SSL                     *ssl = r->connection->ssl->connection;
    const char              *sni = SSL_get_servername(ssl,
                                                   TLSEXT_NAMETYPE_host_name);
    pt_str_t                *host = &r->headers_in.server;
    long                     rc;

    /*
     * As nginx: a server that verifies clients is not reached under
     * another name than the one the handshake (and its verification
     * settings) was made for.
     */
    if (sni && host->len && sscf->verify != PT_HTTP_SSL_VERIFY_OFF
        && (strlen(sni) != host->len
            || strncasecmp(sni, (char *) host->data, host->len) != 0))
    {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client attempted "
                     "to request the server name different from the one "
                     "that was negotiated");
        return PT_HTTP_MISDIRECTED_REQUEST;
    }

    if (sscf->verify == PT_HTTP_SSL_VERIFY_OFF) {
        return PT_OK;
    }

    rc = SSL_get_verify_result(ssl);

    if (rc != X509_V_OK
        && (sscf->verify != PT_HTTP_SSL_VERIFY_OPTIONAL_NO_CA
            || !pt_http_ssl_verify_error_optional(rc)))
    {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0,
                     "client SSL certificate verify error: (%ld:%s)",
                     rc, X509_verify_cert_error_string(rc));
        return PT_HTTP_SSL_CERT_ERROR;
    }

    if (sscf->verify == PT_HTTP_SSL_VERIFY_ON
        && SSL_get0_peer_certificate(ssl) == NULL)
    {
        pt_log_error(PT_LOG_INFO, r->connection->log, 0,
                     "client sent no required SSL certificate");
        return PT_HTTP_SSL_NO_CERT;
    }

    return PT_OK;
}


/* Errors that optional_no_ca lets through (an unknown issuer), as nginx. */
bool
pt_http_ssl_verify_error_optional(long rc)
{
    return rc == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
           || rc == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
           || rc == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
           || rc == X509_V_ERR_CERT_UNTRUSTED
           || rc == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}
