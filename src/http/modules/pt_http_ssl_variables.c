/* SPDX-License-Identifier: BSD-2-Clause */
/* The $ssl_* variables: the session and the client certificate. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_ssl_conf.h"

#include <openssl/x509v3.h>

typedef int (*ssl_var_pt)(pt_http_request_t *r, SSL *ssl, BIO *out);


/* Copies what out holds into r->pool as the value. */
static int
ssl_var_from_bio(pt_http_request_t *r, pt_http_variable_value_t *v, BIO *out)
{
    char  *data;
    long   len = BIO_get_mem_data(out, &data);

    if (len <= 0) {
        v->len = 0;
        v->data = (u_char *) "";
    } else {
        v->data = pt_pnalloc(r->pool, (size_t) len);
        if (v->data == NULL) {
            return PT_ERROR;
        }
        memcpy(v->data, data, (size_t) len);
        v->len = (unsigned) len;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    return PT_OK;
}


static int
ssl_var_protocol(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    return BIO_puts(out, SSL_get_version(ssl));
}


static int
ssl_var_cipher(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    return BIO_puts(out, SSL_get_cipher_name(ssl));
}


static int
ssl_var_reused(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    return BIO_puts(out, SSL_session_reused(ssl) ? "r" : ".");
}


/* "1" while the request came as 0-RTT data and the handshake is not over. */
static int
ssl_var_early_data(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    (void) ssl;
    return pt_ssl_in_early_data(r->connection) ? BIO_puts(out, "1") : 1;
}


static int
ssl_var_session_id(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    SSL_SESSION          *sess = SSL_get0_session(ssl);
    unsigned int          len = 0;
    const unsigned char  *id = sess ? SSL_SESSION_get_id(sess, &len) : NULL;

    for (unsigned int i = 0; i < len; i++) {
        BIO_printf(out, "%02x", id[i]);
    }

    return 1;
}


static int
ssl_var_curve(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    int  nid = SSL_get_negotiated_group(ssl);

    if (nid == 0) {
        return 1;
    }

    if (nid & TLSEXT_nid_unknown) {
        return BIO_printf(out, "0x%04x", nid & 0xffff);
    }

    return BIO_puts(out, OBJ_nid2sn(nid));
}


static int
ssl_var_server_name(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    const char  *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

    return name ? BIO_puts(out, name) : 1;
}


static int
ssl_var_alpn(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    const unsigned char  *p;
    unsigned int          len;

    SSL_get0_alpn_selected(ssl, &p, &len);
    return len ? BIO_write(out, p, (int) len) : 1;
}


static int
ssl_var_client_verify(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    X509  *cert = SSL_get0_peer_certificate(ssl);
    long   rc = SSL_get_verify_result(ssl);

    if (cert == NULL) {
        return BIO_puts(out, "NONE");
    }

    if (rc == X509_V_OK) {
        return BIO_puts(out, "SUCCESS");
    }

    return BIO_printf(out, "FAILED:%s", X509_verify_cert_error_string(rc));
}


static int
ssl_var_dn(BIO *out, const X509_NAME *name)
{
    return X509_NAME_print_ex(out, name, 0, XN_FLAG_RFC2253);
}


static int
ssl_var_s_dn(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    X509  *cert = SSL_get0_peer_certificate(ssl);

    return cert ? ssl_var_dn(out, X509_get_subject_name(cert)) : 1;
}


static int
ssl_var_i_dn(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    X509  *cert = SSL_get0_peer_certificate(ssl);

    return cert ? ssl_var_dn(out, X509_get_issuer_name(cert)) : 1;
}


static int
ssl_var_serial(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    X509  *cert = SSL_get0_peer_certificate(ssl);

    return cert ? i2a_ASN1_INTEGER(out, X509_get0_serialNumber(cert)) : 1;
}


static int
ssl_var_fingerprint(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    X509          *cert = SSL_get0_peer_certificate(ssl);
    unsigned char  md[EVP_MAX_MD_SIZE];
    unsigned int   len = 0;

    if (cert == NULL || !X509_digest(cert, EVP_sha1(), md, &len)) {
        return 1;
    }

    for (unsigned int i = 0; i < len; i++) {
        BIO_printf(out, "%02x", md[i]);
    }

    return 1;
}


/* The PEM certificate, URL-escaped as nginx does (for a header). */
static int
ssl_var_escaped_cert(pt_http_request_t *r, SSL *ssl, BIO *out)
{
    X509   *cert = SSL_get0_peer_certificate(ssl);
    BIO    *pem;
    char   *data;
    long    len;

    if (cert == NULL || (pem = BIO_new(BIO_s_mem())) == NULL) {
        return 1;
    }

    PEM_write_bio_X509(pem, cert);
    len = BIO_get_mem_data(pem, &data);

    for (long i = 0; i < len; i++) {
        u_char  ch = (u_char) data[i];

        if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            BIO_write(out, &ch, 1);
        } else {
            BIO_printf(out, "%%%02X", ch);
        }
    }

    BIO_free(pem);
    return 1;
}


static int
ssl_variable(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_connection_t  *c = r->connection;
    BIO              *out;
    int               rc;

    if (c->ssl == NULL) {
        v->not_found = 1;
        return PT_OK;
    }

    out = BIO_new(BIO_s_mem());
    if (out == NULL) {
        return PT_ERROR;
    }

    (void) ((ssl_var_pt) data)(r, c->ssl->connection, out);
    rc = ssl_var_from_bio(r, v, out);
    BIO_free(out);
    ERR_clear_error();

    return rc;
}


int
pt_http_ssl_add_variables(pt_conf_t *cf)
{
    static const struct {
        const char  *name;
        ssl_var_pt   get;
    }                    vars[] = {
        { "ssl_protocol", ssl_var_protocol },
        { "ssl_cipher", ssl_var_cipher },
        { "ssl_session_reused", ssl_var_reused },
        { "ssl_early_data", ssl_var_early_data },
        { "ssl_session_id", ssl_var_session_id },
        { "ssl_curve", ssl_var_curve },
        { "ssl_server_name", ssl_var_server_name },
        { "ssl_alpn_protocol", ssl_var_alpn },
        { "ssl_client_verify", ssl_var_client_verify },
        { "ssl_client_s_dn", ssl_var_s_dn },
        { "ssl_client_i_dn", ssl_var_i_dn },
        { "ssl_client_serial", ssl_var_serial },
        { "ssl_client_fingerprint", ssl_var_fingerprint },
        { "ssl_client_escaped_cert", ssl_var_escaped_cert },
    };

    for (size_t i = 0; i < pt_nelts(vars); i++) {
        pt_str_t             name = { strlen(vars[i].name),
                                      (u_char *) vars[i].name };
        pt_http_variable_t  *v = pt_http_add_variable(cf, &name, 0);

        if (v == NULL) {
            return PT_ERROR;
        }

        v->get = ssl_variable;
        v->data = (uintptr_t) vars[i].get;
    }

    return PT_OK;
}
