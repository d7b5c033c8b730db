/* SPDX-License-Identifier: BSD-2-Clause */
/* The ssl_* directives: setters, inheritance and building a server's SSL_CTX. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_ssl_conf.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <openssl/ocsp.h>

#define SSL_DEFAULT_PROTOCOLS  (PT_SSL_TLSv1_2 | PT_SSL_TLSv1_3)

static int ssl_stapling(pt_conf_t *cf, pt_http_ssl_srv_conf_t *sscf);


static void *
ssl_field(const pt_command_t *cmd, void *conf)
{
    return (u_char *) conf + cmd->field.offset;
}


int
pt_http_ssl_set_path(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_str_t  *s = ssl_field(cmd, conf);

    if (s->data) {
        return pt_conf_error(cf, "\"%s\" directive is duplicate", cmd->name);
    }

    *s = pt_conf_arg(cf, 1);
    return pt_conf_full_name(cf, s, true);
}


int
pt_http_ssl_set_path_array(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_array_t  **a = ssl_field(cmd, conf);
    pt_str_t     *s;

    if (*a == NULL) {
        *a = pt_array_create(cf->pool, 2, sizeof(pt_str_t));
        if (*a == NULL) {
            return PT_ERROR;
        }
    }

    s = pt_array_push(*a);
    if (s == NULL) {
        return PT_ERROR;
    }

    *s = pt_conf_arg(cf, 1);
    return pt_conf_full_name(cf, s, true);
}


/* One password per line, as nginx; the file is read at config time. */
int
pt_http_ssl_set_password_file(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf)
{
    pt_http_ssl_srv_conf_t  *sscf = conf;
    pt_str_t                 name = pt_conf_arg(cf, 1);
    u_char                   buf[4096];

    if (sscf->passwords) {
        return pt_conf_error(cf, "\"ssl_password_file\" directive is "
                             "duplicate");
    }

    if (pt_conf_full_name(cf, &name, true) != PT_OK) {
        return PT_ERROR;
    }

    int  fd = open((char *) name.data, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        return pt_conf_error(cf, "open() \"%.*s\" failed (%d: %s)",
                             PT_STR_ARG(name), errno, strerror(errno));
    }

    ssize_t  n = pt_read_file(fd, buf, sizeof(buf) - 1, 0);

    close(fd);

    if (n < 0) {
        return pt_conf_error(cf, "read() \"%.*s\" failed", PT_STR_ARG(name));
    }

    sscf->passwords = pt_array_create(cf->pool, 2, sizeof(pt_str_t));
    if (sscf->passwords == NULL) {
        return PT_ERROR;
    }

    for (u_char *p = buf, *last = buf + n; p < last; ) {
        u_char  *end = memchr(p, '\n', (size_t) (last - p));
        size_t   len = (size_t) ((end ? end : last) - p);

        if (len && p[len - 1] == '\r') {
            len--;
        }

        pt_str_t  *pw = pt_array_push(sscf->passwords);

        if (pw == NULL || (pw->data = pt_pnalloc(cf->pool, len + 1)) == NULL) {
            return PT_ERROR;
        }

        memcpy(pw->data, p, len);
        pw->data[len] = '\0';
        pw->len = len;
        p = end ? end + 1 : last;
    }

    OPENSSL_cleanse(buf, sizeof(buf));
    return PT_OK;
}


int
pt_http_ssl_set_protocols(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    static const struct { const char *name; unsigned bit; }  names[] = {
        { "SSLv2", 0 }, { "SSLv3", 0 },   /* accepted, as nginx; never used */
        { "TLSv1", PT_SSL_TLSv1 }, { "TLSv1.1", PT_SSL_TLSv1_1 },
        { "TLSv1.2", PT_SSL_TLSv1_2 }, { "TLSv1.3", PT_SSL_TLSv1_3 },
    };
    unsigned  *protocols = ssl_field(cmd, conf);
    unsigned   mask = 0;

    if (*protocols) {
        return pt_conf_error(cf, "\"%s\" directive is duplicate", cmd->name);
    }

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        pt_str_t  *v = &pt_conf_arg(cf, i);
        size_t     j;

        for (j = 0; j < pt_nelts(names); j++) {
            if (v->len == strlen(names[j].name)
                && memcmp(v->data, names[j].name, v->len) == 0)
            {
                mask |= names[j].bit;
                break;
            }
        }

        if (j == pt_nelts(names)) {
            return pt_conf_error(cf, "invalid value \"%.*s\"", PT_STR_ARG(*v));
        }
    }

    if (mask == 0) {
        return pt_conf_error(cf, "no usable protocol in \"%s\"", cmd->name);
    }

    *protocols = mask;
    return PT_OK;
}


int
pt_http_ssl_set_conf_command(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf)
{
    pt_http_ssl_srv_conf_t  *sscf = conf;

    if (sscf->conf_commands == NULL) {
        sscf->conf_commands = pt_array_create(cf->pool, 4, sizeof(pt_str_t));
        if (sscf->conf_commands == NULL) {
            return PT_ERROR;
        }
    }

    pt_str_t  *pair = pt_array_push_n(sscf->conf_commands, 2);

    if (pair == NULL) {
        return PT_ERROR;
    }

    pair[0] = pt_conf_arg(cf, 1);
    pair[1] = pt_conf_arg(cf, 2);
    return PT_OK;
}


/* off | none | [builtin[:size]] [shared:name:size], as nginx. */
int
pt_http_ssl_set_session_cache(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf)
{
    pt_http_ssl_srv_conf_t  *sscf = conf;

    if (sscf->session_cache) {
        return pt_conf_error(cf, "\"ssl_session_cache\" directive is "
                             "duplicate");
    }

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        pt_str_t  *v = &pt_conf_arg(cf, i);

        if (pt_conf_nargs(cf) == 2 && pt_str_caseeq_lit(v, "off")) {
            sscf->session_cache = PT_SSL_CACHE_OFF;
            return PT_OK;
        }

        if (pt_conf_nargs(cf) == 2 && pt_str_caseeq_lit(v, "none")) {
            sscf->session_cache = PT_SSL_CACHE_NONE;
            return PT_OK;
        }

        sscf->session_cache = PT_SSL_CACHE_ON;

        if (pt_str_caseeq_lit(v, "builtin")) {
            sscf->session_builtin = 20480;
            continue;
        }

        if (v->len > 8 && memcmp(v->data, "builtin:", 8) == 0) {
            pt_str_t  n = { v->len - 8, v->data + 8 };
            int64_t   size = pt_parse_size(&n);

            if (size <= 0) {
                return pt_conf_error(cf, "invalid session cache \"%.*s\"",
                                     PT_STR_ARG(*v));
            }
            sscf->session_builtin = (size_t) size;
            continue;
        }

        if (v->len > 7 && memcmp(v->data, "shared:", 7) == 0) {
            pt_str_t  name;
            size_t    size;

            if (pt_shm_zone_parse_arg(cf, v, 7, &name, &size) != PT_OK) {
                return PT_ERROR;
            }

            sscf->session_zone = pt_ssl_session_cache_zone(cf, &name, size);
            if (sscf->session_zone == NULL) {
                return PT_ERROR;
            }
            continue;
        }

        return pt_conf_error(cf, "invalid session cache \"%.*s\"",
                             PT_STR_ARG(*v));
    }

    return PT_OK;
}


/* ---- building the context ---------------------------------------------- */


/* PEM pass phrase callback: never prompts; userdata is the password. */
static int
ssl_password_cb(char *buf, int size, int rwflag, void *userdata)
{
    pt_str_t  *pw = userdata;

    if (pw == NULL || pw->len > (size_t) size) {
        return 0;
    }

    memcpy(buf, pw->data, pw->len);
    return (int) pw->len;
}


static int
ssl_load_key(pt_http_ssl_srv_conf_t *sscf, const pt_str_t *key, pt_log_t *log)
{
    pt_str_t  *pw = sscf->passwords ? sscf->passwords->elts : NULL;
    size_t     npw = sscf->passwords ? sscf->passwords->nelts : 1;

    for (size_t i = 0; i < npw; i++) {
        BIO  *bio = BIO_new_file((char *) key->data, "r");

        if (bio == NULL) {
            break;
        }

        EVP_PKEY  *pkey = PEM_read_bio_PrivateKey(bio, NULL, ssl_password_cb,
                                                  pw ? &pw[i] : NULL);

        BIO_free(bio);

        if (pkey) {
            int  ok = SSL_CTX_use_PrivateKey(sscf->ssl.ctx, pkey);

            EVP_PKEY_free(pkey);
            if (ok) {
                ERR_clear_error();
                return PT_OK;
            }
            break;
        }
    }

    pt_ssl_error(PT_LOG_EMERG, log, 0, "cannot load certificate key \"%.*s\": "
                 "PEM_read_bio_PrivateKey() failed", PT_STR_ARG(*key));
    return PT_ERROR;
}


static int
ssl_certificates(pt_http_ssl_srv_conf_t *sscf, pt_log_t *log)
{
    pt_str_t  *cert = sscf->certificates->elts;
    pt_str_t  *key = sscf->certificate_keys->elts;

    for (size_t i = 0; i < sscf->certificates->nelts; i++) {
        /* Each key type (RSA, ECDSA ...) gets its own slot and chain. */
        if (SSL_CTX_use_certificate_chain_file(sscf->ssl.ctx,
                                               (char *) cert[i].data) != 1)
        {
            pt_ssl_error(PT_LOG_EMERG, log, 0, "cannot load certificate "
                         "\"%.*s\": SSL_CTX_use_certificate_chain_file() "
                         "failed", PT_STR_ARG(cert[i]));
            return PT_ERROR;
        }

        if (ssl_load_key(sscf, &key[i], log) != PT_OK) {
            return PT_ERROR;
        }

        if (SSL_CTX_check_private_key(sscf->ssl.ctx) != 1) {
            pt_ssl_error(PT_LOG_EMERG, log, 0, "certificate \"%.*s\" does "
                         "not match key \"%.*s\"", PT_STR_ARG(cert[i]),
                         PT_STR_ARG(key[i]));
            return PT_ERROR;
        }
    }

    return PT_OK;
}


static int
ssl_dhparam(pt_http_ssl_srv_conf_t *sscf, pt_log_t *log)
{
    BIO       *bio = BIO_new_file((char *) sscf->dhparam.data, "r");
    EVP_PKEY  *dh = bio ? PEM_read_bio_Parameters(bio, NULL) : NULL;

    BIO_free(bio);

    if (dh == NULL || SSL_CTX_set0_tmp_dh_pkey(sscf->ssl.ctx, dh) != 1) {
        EVP_PKEY_free(dh);
        pt_ssl_error(PT_LOG_EMERG, log, 0, "cannot load DH parameters from "
                     "\"%.*s\"", PT_STR_ARG(sscf->dhparam));
        return PT_ERROR;
    }

    return PT_OK;
}


static int
ssl_conf_commands(pt_http_ssl_srv_conf_t *sscf, pt_log_t *log)
{
    SSL_CONF_CTX  *cctx = SSL_CONF_CTX_new();
    pt_str_t      *cmd = sscf->conf_commands->elts;
    int            rc = PT_OK;

    if (cctx == NULL) {
        return PT_ERROR;
    }

    SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER
                                 | SSL_CONF_FLAG_CERTIFICATE
                                 | SSL_CONF_FLAG_SHOW_ERRORS);
    SSL_CONF_CTX_set_ssl_ctx(cctx, sscf->ssl.ctx);

    for (size_t i = 0; i + 1 < sscf->conf_commands->nelts; i += 2) {
        if (SSL_CONF_cmd(cctx, (char *) cmd[i].data,
                         (char *) cmd[i + 1].data) <= 0)
        {
            pt_ssl_error(PT_LOG_EMERG, log, 0, "SSL_CONF_cmd(\"%.*s\", "
                         "\"%.*s\") failed", PT_STR_ARG(cmd[i]),
                         PT_STR_ARG(cmd[i + 1]));
            rc = PT_ERROR;
            break;
        }
    }

    if (rc == PT_OK && SSL_CONF_CTX_finish(cctx) != 1) {
        pt_ssl_error(PT_LOG_EMERG, log, 0, "SSL_CONF_CTX_finish() failed");
        rc = PT_ERROR;
    }

    SSL_CONF_CTX_free(cctx);
    return rc;
}


/* Names a failing call; "file" is the setting it came from. */
static int
ssl_fail(pt_log_t *log, const char *what, const pt_str_t *file)
{
    /* As nginx words it: SSL_CTX_load_verify_locations("file") failed. */
    pt_ssl_error(PT_LOG_EMERG, log, 0, "%s(\"%.*s\") failed", what,
                 PT_STR_ARG(*file));
    return PT_ERROR;
}


static int
ssl_verify_callback(int ok, X509_STORE_CTX *store)
{
    /* The result is read after the handshake ($ssl_client_verify). */
    return 1;
}


static int
ssl_client_verify(pt_http_ssl_srv_conf_t *sscf, pt_log_t *log)
{
    SSL_CTX  *ctx = sscf->ssl.ctx;

    if (sscf->verify == PT_HTTP_SSL_VERIFY_OFF) {
        return PT_OK;
    }

    if (sscf->client_certificate.len == 0
        && sscf->verify != PT_HTTP_SSL_VERIFY_OPTIONAL_NO_CA)
    {
        pt_log_error(PT_LOG_EMERG, log, 0, "no ssl_client_certificate for "
                     "ssl_verify_client");
        return PT_ERROR;
    }

    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, ssl_verify_callback);
    SSL_CTX_set_verify_depth(ctx, sscf->verify_depth);

    /* The certificates themselves go to the store: ssl_trust below. */
    if (sscf->client_certificate.len) {
        STACK_OF(X509_NAME)  *names;

        names = SSL_load_client_CA_file((char *) sscf->client_certificate.data);
        if (names == NULL) {
            return ssl_fail(log, "SSL_load_client_CA_file",
                            &sscf->client_certificate);
        }

        SSL_CTX_set_client_CA_list(ctx, names);
    }

    return PT_OK;
}


/* The client CAs (when verifying clients), the trusted ones, the CRLs. */
static int
ssl_trust(pt_conf_t *cf, pt_http_ssl_srv_conf_t *sscf)
{
    const pt_str_t  *client = sscf->verify != PT_HTTP_SSL_VERIFY_OFF
                              ? &sscf->client_certificate : NULL;

    return pt_ssl_trust(&sscf->ssl, client, &sscf->trusted_certificate,
                        &sscf->crl, cf->pool);
}


static int
ssl_options(pt_http_ssl_srv_conf_t *sscf, pt_log_t *log)
{
    SSL_CTX  *ctx = sscf->ssl.ctx;

    if (SSL_CTX_set_cipher_list(ctx, (char *) sscf->ciphers.data) != 1) {
        return ssl_fail(log, "SSL_CTX_set_cipher_list", &sscf->ciphers);
    }

    if (sscf->prefer_server_ciphers) {
        SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    }

    if (!pt_str_caseeq_lit(&sscf->ecdh_curve, "auto")
        && SSL_CTX_set1_groups_list(ctx, (char *) sscf->ecdh_curve.data) != 1)
    {
        return ssl_fail(log, "SSL_CTX_set1_groups_list", &sscf->ecdh_curve);
    }

    if (sscf->dhparam.len && ssl_dhparam(sscf, log) != PT_OK) {
        return PT_ERROR;
    }

    /* Early data is replayable: never accepted unless asked for. */
    SSL_CTX_set_max_early_data(ctx, sscf->early_data ? PT_SSL_BUFSIZE : 0);

    /*
     * OpenSSL's own anti-replay needs each session removed from its
     * in-process cache on use; sessions shared between workers (zone or
     * tickets) are not there, so every resumption would fail.  Replays
     * are the application's to refuse, with $ssl_early_data (as nginx).
     */
    if (sscf->early_data) {
        SSL_CTX_set_options(ctx, SSL_OP_NO_ANTI_REPLAY);
    }

    SSL_CTX_set_tlsext_servername_callback(ctx, pt_http_ssl_servername);
    SSL_CTX_set_alpn_select_cb(ctx, pt_http_ssl_alpn_select, NULL);

    return PT_OK;
}


static int
ssl_build(pt_conf_t *cf, pt_http_ssl_srv_conf_t *sscf)
{
    sscf->ssl.log = cf->log;

    if (sscf->certificate_keys == NULL
        || sscf->certificate_keys->nelts < sscf->certificates->nelts)
    {
        pt_str_t  *c = sscf->certificates->elts;

        return pt_conf_error(cf, "no \"ssl_certificate_key\" is defined for "
                             "certificate \"%.*s\"",
                             PT_STR_ARG(c[sscf->certificates->nelts - 1]));
    }

    if (pt_ssl_create(&sscf->ssl, sscf->protocols, true, cf->pool) != PT_OK
        || ssl_certificates(sscf, cf->log) != PT_OK
        || ssl_options(sscf, cf->log) != PT_OK
        || ssl_client_verify(sscf, cf->log) != PT_OK
        || ssl_trust(cf, sscf) != PT_OK
        || (sscf->conf_commands && ssl_conf_commands(sscf, cf->log) != PT_OK))
    {
        return PT_ERROR;
    }

    if (sscf->stapling && ssl_stapling(cf, sscf) != PT_OK) {
        return PT_ERROR;
    }

    if (!sscf->session_tickets) {
        SSL_CTX_set_options(sscf->ssl.ctx, SSL_OP_NO_TICKET);
    } else if (sscf->ticket_keys
               && pt_ssl_session_ticket_keys(&sscf->ssl, sscf->ticket_keys,
                                             cf->pool) != PT_OK)
    {
        return PT_ERROR;
    }

    /*
     * No ticket and no cache: a session could never resume, so TLS 1.3
     * tickets (two per handshake by default) would be work thrown away.
     */
    if (!sscf->session_tickets && (sscf->session_cache == PT_SSL_CACHE_OFF
                                   || sscf->session_cache == PT_SSL_CACHE_NONE))
    {
        SSL_CTX_set_num_tickets(sscf->ssl.ctx, 0);
    }

    return pt_ssl_session_cache(&sscf->ssl, sscf->session_cache,
                                sscf->session_zone, sscf->session_builtin,
                                sscf->session_timeout);
}


/* Staples the OCSP response read from ssl_stapling_file when asked. */
static int
ssl_stapling_cb(SSL *ssl, void *arg)
{
    pt_str_t  *resp = arg;
    u_char    *p;

    if (SSL_get_tlsext_status_type(ssl) != TLSEXT_STATUSTYPE_ocsp) {
        return SSL_TLSEXT_ERR_NOACK;
    }

    /* OpenSSL frees what it is given. */
    p = OPENSSL_malloc(resp->len);
    if (p == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }

    memcpy(p, resp->data, resp->len);
    SSL_set_tlsext_status_ocsp_resp(ssl, p, (long) resp->len);
    return SSL_TLSEXT_ERR_OK;
}


/* Fetching responses from the responder is not done yet: a file only. */
static int
ssl_stapling(pt_conf_t *cf, pt_http_ssl_srv_conf_t *sscf)
{
    pt_str_t  *resp = &sscf->stapling_response;
    BIO       *bio;

    if (sscf->stapling_file.len == 0) {
        pt_conf_log(cf, PT_LOG_WARN, 0, "\"ssl_stapling\" ignored, no "
                    "\"ssl_stapling_file\" (fetching OCSP responses is not "
                    "supported)");
        return PT_OK;
    }

    bio = BIO_new_file((char *) sscf->stapling_file.data, "rb");
    OCSP_RESPONSE  *r = bio ? d2i_OCSP_RESPONSE_bio(bio, NULL) : NULL;

    BIO_free(bio);

    if (r == NULL) {
        return ssl_fail(cf->log, "d2i_OCSP_RESPONSE_bio()",
                        &sscf->stapling_file);
    }

    u_char  *der = NULL;
    int      len = i2d_OCSP_RESPONSE(r, &der);

    OCSP_RESPONSE_free(r);

    if (len <= 0 || (resp->data = pt_pnalloc(cf->pool, (size_t) len)) == NULL) {
        OPENSSL_free(der);
        return PT_ERROR;
    }

    memcpy(resp->data, der, (size_t) len);
    resp->len = (size_t) len;
    OPENSSL_free(der);

    SSL_CTX_set_tlsext_status_cb(sscf->ssl.ctx, ssl_stapling_cb);
    SSL_CTX_set_tlsext_status_arg(sscf->ssl.ctx, resp);
    return PT_OK;
}


#define ssl_merge_ptr(conf, prev, f)                                          \
    do { if ((conf)->f == NULL) (conf)->f = (prev)->f; } while (0)
#define ssl_merge_str(conf, prev, f)                                          \
    do { if ((conf)->f.data == NULL) (conf)->f = (prev)->f; } while (0)


int
pt_http_ssl_merge_srv_conf(pt_conf_t *cf, void *parent, void *child)
{
    pt_http_ssl_srv_conf_t  *prev = parent, *conf = child;

    if (conf->certificates == NULL) {
        conf->certificates = prev->certificates;
        conf->certificate_keys = conf->certificate_keys
                                 ? conf->certificate_keys
                                 : prev->certificate_keys;
    }

    ssl_merge_ptr(conf, prev, certificate_keys);
    ssl_merge_ptr(conf, prev, passwords);
    ssl_merge_ptr(conf, prev, conf_commands);
    ssl_merge_ptr(conf, prev, ticket_keys);

    if (conf->session_cache == PT_SSL_CACHE_UNSET) {
        conf->session_cache = prev->session_cache ? prev->session_cache
                                                  : PT_SSL_CACHE_NONE;
        conf->session_zone = prev->session_zone;
        conf->session_builtin = prev->session_builtin;
    }
    ssl_merge_str(conf, prev, dhparam);
    ssl_merge_str(conf, prev, client_certificate);
    ssl_merge_str(conf, prev, trusted_certificate);
    ssl_merge_str(conf, prev, crl);
    ssl_merge_str(conf, prev, stapling_file);

    if (conf->protocols == 0) {
        conf->protocols = prev->protocols ? prev->protocols
                                          : SSL_DEFAULT_PROTOCOLS;
    }

    if (conf->certificates == NULL) {
        return PT_OK;
    }

    return ssl_build(cf, conf);
}
