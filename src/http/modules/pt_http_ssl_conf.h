/* SPDX-License-Identifier: BSD-2-Clause */
/* The http ssl module's server settings, shared by its files. */
#ifndef PT_HTTP_SSL_CONF_H
#define PT_HTTP_SSL_CONF_H

#define PT_HTTP_SSL_VERIFY_OFF             0
#define PT_HTTP_SSL_VERIFY_ON              1
#define PT_HTTP_SSL_VERIFY_OPTIONAL        2
#define PT_HTTP_SSL_VERIFY_OPTIONAL_NO_CA  3

typedef struct {
    pt_ssl_t        ssl;                   /* ctx NULL: no certificate */

    pt_array_t     *certificates;          /* pt_str_t, full paths */
    pt_array_t     *certificate_keys;
    pt_array_t     *passwords;             /* pt_str_t; NULL: none */
    pt_array_t     *conf_commands;         /* pt_str_t pairs */
    unsigned        protocols;             /* PT_SSL_*; 0: unset */

    pt_str_t        ciphers;
    pt_str_t        ecdh_curve;
    pt_str_t        dhparam;               /* full path or empty */
    int             prefer_server_ciphers;
    int             early_data;
    time_t          session_timeout;
    int             session_cache;         /* PT_SSL_CACHE_* */
    pt_shm_zone_t  *session_zone;          /* shared:NAME:SIZE */
    size_t          session_builtin;       /* builtin:SIZE */
    int             session_tickets;
    pt_array_t     *ticket_keys;           /* pt_str_t, full paths */

    int             stapling;
    pt_str_t        stapling_file;         /* full path or empty */
    pt_str_t        stapling_response;     /* the DER bytes, read once */

    pt_str_t        client_certificate;
    pt_str_t        trusted_certificate;
    pt_str_t        crl;
    int             verify;                /* PT_HTTP_SSL_VERIFY_* */
    int             verify_depth;
} pt_http_ssl_srv_conf_t;

extern pt_module_t  pt_http_ssl_module;

/* The ssl settings of a server. */
#define pt_http_ssl_srv_conf(cscf)                                           \
    ((pt_http_ssl_srv_conf_t *)                                              \
     (cscf)->ctx->srv_conf[pt_http_ssl_module.ctx_index])

/* Setters (pt_command_t.set): cmd->field names the member they fill. */
int pt_http_ssl_set_path(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
int pt_http_ssl_set_path_array(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
int pt_http_ssl_set_password_file(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
int pt_http_ssl_set_protocols(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
int pt_http_ssl_set_session_cache(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
int pt_http_ssl_set_conf_command(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);

/*
 * Inherits the composite settings from prev and, when the server has
 * certificates, builds its SSL_CTX (freed with the cycle pool).  PT_OK or
 * PT_ERROR (reported).
 */
int pt_http_ssl_merge_srv_conf(pt_conf_t *cf, void *prev, void *conf);

/* OpenSSL callbacks installed on every server context. */
int pt_http_ssl_servername(SSL *ssl, int *ad, void *arg);
int pt_http_ssl_alpn_select(SSL *ssl, const unsigned char **out,
    unsigned char *outlen, const unsigned char *in, unsigned int inlen,
    void *arg);

/* True for verify errors that ssl_verify_client optional_no_ca accepts. */
bool pt_http_ssl_verify_error_optional(long rc);

/* Declares the $ssl_* variables (preconfiguration); PT_OK or PT_ERROR. */
int pt_http_ssl_add_variables(pt_conf_t *cf);

#endif /* PT_HTTP_SSL_CONF_H */
