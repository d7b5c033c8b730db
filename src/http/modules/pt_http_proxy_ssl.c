/* SPDX-License-Identifier: BSD-2-Clause */
/* proxy_pass https://: the client TLS context, SNI, sessions, verification. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_proxy.h"

#include <openssl/x509v3.h>

/*
 * Sessions kept for resumption, one per backend address, per worker (as
 * nginx keeps one per peer).  A fixed table: proxy_pass with variables
 * may name any number of addresses, and the oldest slot makes room.
 */
#define PROXY_SSL_SESSIONS  32

typedef struct {
    struct sockaddr_storage   sockaddr;
    socklen_t                 socklen;
    SSL_SESSION              *session;
} proxy_ssl_session_t;

struct proxy_ssl_sessions_s {
    proxy_ssl_session_t       slots[PROXY_SSL_SESSIONS];
    unsigned                  n;
    unsigned                  next;         /* the slot to recycle */
};

/* The SSL ex_data slot holding the proxy_ssl_session_t of a connection. */
static int  proxy_ssl_session_index = -1;


int
pt_http_proxy_ssl_set_name(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_loc_conf_t  *plcf = conf;
    pt_str_t           v = pt_conf_arg(cf, 1);

    if (plcf->ssl_name != PT_CONF_UNSET_PTR) {
        return pt_conf_error(cf, "\"%s\" directive is duplicate", cmd->name);
    }

    plcf->ssl_name = pt_pcalloc(cf->pool, sizeof(pt_http_complex_value_t));
    if (plcf->ssl_name == NULL) {
        return PT_ERROR;
    }

    return pt_http_compile_complex_value(cf, &v, plcf->ssl_name);
}


static void
proxy_ssl_sessions_cleanup(void *data)
{
    proxy_ssl_sessions_t  *ss = data;

    for (unsigned i = 0; i < ss->n; i++) {
        SSL_SESSION_free(ss->slots[i].session);
    }
}


/* OpenSSL hands us a new session: it replaces the address's old one. */
static int
proxy_ssl_new_session(SSL *ssl, SSL_SESSION *session)
{
    proxy_ssl_session_t  *slot = SSL_get_ex_data(ssl, proxy_ssl_session_index);
    pt_connection_t      *c = SSL_get_ex_data(ssl, pt_ssl_connection_index);

    /* The slot may have been recycled for another address meanwhile. */
    if (slot == NULL || c == NULL
        || !pt_sock_eq(c->sockaddr, c->socklen,
                       (struct sockaddr *) &slot->sockaddr, slot->socklen))
    {
        return 0;
    }

    SSL_SESSION_free(slot->session);
    slot->session = session;
    return 1;
}


static proxy_ssl_session_t *
proxy_ssl_session_slot(proxy_ssl_sessions_t *ss, pt_connection_t *c)
{
    proxy_ssl_session_t  *slot;

    for (unsigned i = 0; i < ss->n; i++) {
        slot = &ss->slots[i];
        if (pt_sock_eq(c->sockaddr, c->socklen,
                       (struct sockaddr *) &slot->sockaddr, slot->socklen))
        {
            return slot;
        }
    }

    if (ss->n < PROXY_SSL_SESSIONS) {
        slot = &ss->slots[ss->n++];
    } else {
        slot = &ss->slots[ss->next++ % PROXY_SSL_SESSIONS];
        SSL_SESSION_free(slot->session);
        slot->session = NULL;
    }

    memcpy(&slot->sockaddr, c->sockaddr, c->socklen);
    slot->socklen = c->socklen;
    return slot;
}


static int
proxy_ssl_sessions(pt_conf_t *cf, proxy_loc_conf_t *conf)
{
    SSL_CTX            *ctx = conf->ssl.ctx;
    pt_pool_cleanup_t  *cln = pt_pool_cleanup_add(cf->pool, 0);

    if (cln == NULL) {
        return PT_ERROR;
    }

    conf->ssl_sessions = pt_pcalloc(cf->pool, sizeof(proxy_ssl_sessions_t));
    if (conf->ssl_sessions == NULL) {
        return PT_ERROR;
    }

    cln->handler = proxy_ssl_sessions_cleanup;
    cln->data = conf->ssl_sessions;

    if (proxy_ssl_session_index == -1) {
        proxy_ssl_session_index = SSL_get_ex_new_index(0, NULL, NULL, NULL,
                                                       NULL);
        if (proxy_ssl_session_index == -1) {
            return pt_conf_error(cf, "SSL_get_ex_new_index() failed");
        }
    }

    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT
                                        | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, proxy_ssl_new_session);
    return PT_OK;
}


/* proxy_ssl_verify: the result is read after the handshake, as nginx. */
static int
proxy_ssl_verify_callback(int ok, X509_STORE_CTX *store)
{
    return 1;
}


static int
proxy_ssl_fail(pt_conf_t *cf, const char *what, const pt_str_t *file)
{
    pt_ssl_error(PT_LOG_EMERG, cf->log, 0, "%s \"%.*s\" failed", what,
                 PT_STR_ARG(*file));
    return PT_ERROR;
}


static int
proxy_ssl_context(pt_conf_t *cf, proxy_loc_conf_t *conf)
{
    SSL_CTX  *ctx;

    conf->ssl.log = cf->log;

    if (pt_ssl_init(cf->log) != PT_OK
        || pt_ssl_create(&conf->ssl, conf->ssl_protocols, false, cf->pool)
           != PT_OK)
    {
        return PT_ERROR;
    }

    ctx = conf->ssl.ctx;

    if (conf->ssl_ciphers.len
        && SSL_CTX_set_cipher_list(ctx, (char *) conf->ssl_ciphers.data) != 1)
    {
        return proxy_ssl_fail(cf, "SSL_CTX_set_cipher_list()",
                              &conf->ssl_ciphers);
    }

    if (conf->ssl_certificate.len) {
        if (conf->ssl_certificate_key.len == 0) {
            return pt_conf_error(cf, "no \"proxy_ssl_certificate_key\" is "
                                 "defined for certificate \"%.*s\"",
                                 PT_STR_ARG(conf->ssl_certificate));
        }

        if (SSL_CTX_use_certificate_chain_file(ctx,
                (char *) conf->ssl_certificate.data) != 1)
        {
            return proxy_ssl_fail(cf, "SSL_CTX_use_certificate_chain_file()",
                                  &conf->ssl_certificate);
        }

        if (SSL_CTX_use_PrivateKey_file(ctx,
                (char *) conf->ssl_certificate_key.data, SSL_FILETYPE_PEM) != 1)
        {
            return proxy_ssl_fail(cf, "SSL_CTX_use_PrivateKey_file()",
                                  &conf->ssl_certificate_key);
        }
    }

    if (conf->ssl_verify) {
        if (conf->ssl_trusted_certificate.len == 0) {
            return pt_conf_error(cf, "no proxy_ssl_trusted_certificate for "
                                 "proxy_ssl_verify");
        }

        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, proxy_ssl_verify_callback);
        SSL_CTX_set_verify_depth(ctx, conf->ssl_verify_depth);

        /* Shared with every location trusting the same file. */
        if (pt_ssl_trust(&conf->ssl, &conf->ssl_trusted_certificate, NULL,
                         NULL, cf->pool) != PT_OK)
        {
            return PT_ERROR;
        }
    }

    ERR_clear_error();
    return conf->ssl_session_reuse ? proxy_ssl_sessions(cf, conf) : PT_OK;
}


int
pt_http_proxy_ssl_merge(pt_conf_t *cf, proxy_loc_conf_t *prev,
    proxy_loc_conf_t *conf)
{
    if (conf->ssl_name == PT_CONF_UNSET_PTR) {
        conf->ssl_name = prev->ssl_name;
    }

    if (conf->ssl_protocols == 0) {
        conf->ssl_protocols = prev->ssl_protocols
                              ? prev->ssl_protocols
                              : PT_SSL_TLSv1_2 | PT_SSL_TLSv1_3;
    }

    static const size_t  paths[] = {
        offsetof(proxy_loc_conf_t, ssl_trusted_certificate),
        offsetof(proxy_loc_conf_t, ssl_certificate),
        offsetof(proxy_loc_conf_t, ssl_certificate_key),
    };

    for (size_t i = 0; i < pt_nelts(paths); i++) {
        pt_str_t  *s = (pt_str_t *) ((u_char *) conf + paths[i]);

        if (s->data == NULL) {
            *s = *(pt_str_t *) ((u_char *) prev + paths[i]);
        }
    }

    /* With variables the scheme is known only per request. */
    if (!conf->ssl_url && conf->url_cv == NULL) {
        return PT_OK;
    }

    return proxy_ssl_context(cf, conf);
}


int
pt_http_proxy_ssl_name(proxy_ctx_t *ctx)
{
    pt_http_request_t  *r = ctx->r;
    pt_str_t            name = ctx->host;
    proxy_loc_conf_t   *plcf = ctx->plcf;

    if (plcf->ssl_name != PT_CONF_UNSET_PTR && plcf->ssl_name
        && pt_http_complex_value(r, plcf->ssl_name, &name) != PT_OK)
    {
        return PT_ERROR;
    }

    /* The port is no part of the name (nginx strips it too). */
    if (name.len && name.data[0] != '[') {
        u_char  *colon = memchr(name.data, ':', name.len);

        if (colon) {
            name.len = (size_t) (colon - name.data);
        }
    }

    ctx->ssl_name.data = pt_pnalloc(r->pool, name.len + 1);
    if (ctx->ssl_name.data == NULL) {
        return PT_ERROR;
    }

    memcpy(ctx->ssl_name.data, name.data, name.len);
    ctx->ssl_name.data[name.len] = '\0';
    ctx->ssl_name.len = name.len;
    return PT_OK;
}


/* SNI carries host names only: no IP literal (RFC 6066, section 3). */
static bool
proxy_ssl_is_address(const pt_str_t *name)
{
    struct in6_addr  a6;
    struct in_addr   a4;

    return name->len == 0 || name->data[0] == '['
           || inet_pton(AF_INET, (char *) name->data, &a4) == 1
           || inet_pton(AF_INET6, (char *) name->data, &a6) == 1;
}


int
pt_http_proxy_ssl_start(proxy_ctx_t *ctx)
{
    proxy_loc_conf_t  *plcf = ctx->plcf;
    pt_connection_t   *pc = ctx->pc;
    SSL               *ssl;

    if (pt_ssl_create_connection(&plcf->ssl, pc, false) != PT_OK) {
        return PT_ERROR;
    }

    ssl = pc->ssl->connection;
    pc->ssl->tag = plcf;
    pc->ssl->name.data = pt_pnalloc(pc->pool, ctx->ssl_name.len + 1);
    if (pc->ssl->name.data == NULL) {
        return PT_ERROR;
    }

    memcpy(pc->ssl->name.data, ctx->ssl_name.data, ctx->ssl_name.len + 1);
    pc->ssl->name.len = ctx->ssl_name.len;

    if (plcf->ssl_server_name && !proxy_ssl_is_address(&ctx->ssl_name)
        && SSL_set_tlsext_host_name(ssl, (char *) ctx->ssl_name.data) != 1)
    {
        pt_ssl_error(PT_LOG_ERR, ctx->r->connection->log, 0,
                     "SSL_set_tlsext_host_name(\"%s\") failed",
                     (char *) ctx->ssl_name.data);
        return PT_ERROR;
    }

    if (plcf->ssl_sessions) {
        proxy_ssl_session_t  *slot = proxy_ssl_session_slot(plcf->ssl_sessions,
                                                             pc);

        if (SSL_set_ex_data(ssl, proxy_ssl_session_index, slot) != 1) {
            return PT_ERROR;
        }

        if (slot->session && SSL_set_session(ssl, slot->session) != 1) {
            pt_ssl_error(PT_LOG_ERR, ctx->r->connection->log, 0,
                         "SSL_set_session() failed");
            return PT_ERROR;
        }
    }

    return PT_OK;
}


int
pt_http_proxy_ssl_verify(proxy_ctx_t *ctx)
{
    pt_log_t  *log = ctx->r->connection->log;
    SSL       *ssl = ctx->pc->ssl->connection;
    X509      *cert;
    long       rc;

    if (!ctx->plcf->ssl_verify) {
        return PT_OK;
    }

    rc = SSL_get_verify_result(ssl);
    if (rc != X509_V_OK) {
        pt_log_error(PT_LOG_ERR, log, 0, "upstream SSL certificate verify "
                     "error: (%ld:%s)", rc, X509_verify_cert_error_string(rc));
        return PT_ERROR;
    }

    cert = SSL_get0_peer_certificate(ssl);
    if (cert == NULL) {
        pt_log_error(PT_LOG_ERR, log, 0, "upstream sent no SSL certificate");
        return PT_ERROR;
    }

    const char  *name = (char *) ctx->ssl_name.data;

    if (X509_check_host(cert, name, ctx->ssl_name.len, 0, NULL) == 1
        || X509_check_ip_asc(cert, name, 0) == 1)
    {
        return PT_OK;
    }

    pt_log_error(PT_LOG_ERR, log, 0, "upstream SSL certificate does not match "
                 "\"%.*s\"", PT_STR_ARG(ctx->ssl_name));
    return PT_ERROR;
}
