/* SPDX-License-Identifier: BSD-2-Clause */
/* Trusted CA certificates and CRLs: one X509_STORE per set of files. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"

/*
 * A configuration names the same CA bundle in many places: a
 * proxy_ssl_trusted_certificate inherited by every location that proxies
 * to https, an ssl_trusted_certificate (for stapling) in every server.
 * Loading it into each SSL_CTX parses it again each time: with the system
 * bundle and 200 such locations, reading the configuration took 4.7 s and
 * 175 MB (nginx 1.22 too), and a reload reads it twice.  The contexts that
 * trust the same files (in the same order, with the same CRL) share one
 * store instead; it is only read during verification.
 */

typedef struct ssl_trust_s  ssl_trust_t;

struct ssl_trust_s {
    ssl_trust_t  *next;
    pt_str_t      key;          /* "ca1\nca2\ncrl" */
    X509_STORE   *store;
};

/* The stores of the configurations alive (one, bar a -t beside it). */
static ssl_trust_t  *ssl_trusts;


static void
ssl_trust_cleanup(void *data)
{
    ssl_trust_t  *t = data;

    for (ssl_trust_t **p = &ssl_trusts; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }

    X509_STORE_free(t->store);
}


static bool
ssl_trust_given(const pt_str_t *file)
{
    return file != NULL && file->len != 0;
}


static int
ssl_trust_load(X509_STORE *store, const pt_str_t *file, pt_log_t *log)
{
    if (!ssl_trust_given(file)) {
        return PT_OK;
    }

    /* What SSL_CTX_load_verify_locations does, named as nginx names it. */
    if (X509_STORE_load_file(store, (char *) file->data) != 1) {
        pt_ssl_error(PT_LOG_EMERG, log, 0, "SSL_CTX_load_verify_locations("
                     "\"%.*s\") failed", PT_STR_ARG(*file));
        return PT_ERROR;
    }

    return PT_OK;
}


static int
ssl_trust_load_crl(X509_STORE *store, const pt_str_t *crl, pt_log_t *log)
{
    if (!ssl_trust_given(crl)) {
        return PT_OK;
    }

    X509_LOOKUP  *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());

    if (lookup == NULL
        || X509_LOOKUP_load_file(lookup, (char *) crl->data,
                                 X509_FILETYPE_PEM) != 1)
    {
        pt_ssl_error(PT_LOG_EMERG, log, 0, "X509_LOOKUP_load_file(\"%.*s\") "
                     "failed", PT_STR_ARG(*crl));
        return PT_ERROR;
    }

    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK
                                | X509_V_FLAG_CRL_CHECK_ALL);
    return PT_OK;
}


static X509_STORE *
ssl_trust_build(const pt_str_t *ca1, const pt_str_t *ca2,
    const pt_str_t *crl, pt_log_t *log)
{
    X509_STORE  *store = X509_STORE_new();

    if (store == NULL) {
        pt_ssl_error(PT_LOG_EMERG, log, 0, "X509_STORE_new() failed");
        return NULL;
    }

    if (ssl_trust_load(store, ca1, log) != PT_OK
        || ssl_trust_load(store, ca2, log) != PT_OK
        || ssl_trust_load_crl(store, crl, log) != PT_OK)
    {
        X509_STORE_free(store);
        return NULL;
    }

    return store;
}


static bool
ssl_trust_key(pt_str_t *key, const pt_str_t *ca1, const pt_str_t *ca2,
    const pt_str_t *crl, pt_pool_t *pool)
{
    const pt_str_t  *parts[] = { ca1, ca2, crl };
    size_t           len = 0;

    for (size_t i = 0; i < pt_nelts(parts); i++) {
        len += (ssl_trust_given(parts[i]) ? parts[i]->len : 0) + 1;
    }

    key->data = pt_pnalloc(pool, len);
    if (key->data == NULL) {
        return false;
    }

    u_char  *p = key->data;

    for (size_t i = 0; i < pt_nelts(parts); i++) {
        if (ssl_trust_given(parts[i])) {
            p = pt_cpymem(p, parts[i]->data, parts[i]->len);
        }
        *p++ = '\n';        /* no path read from a config line holds one */
    }

    key->len = len;
    return true;
}


int
pt_ssl_trust(pt_ssl_t *ssl, const pt_str_t *ca1, const pt_str_t *ca2,
    const pt_str_t *crl, pt_pool_t *pool)
{
    pt_str_t      key;
    ssl_trust_t  *t;

    if (!ssl_trust_given(ca1) && !ssl_trust_given(ca2)
        && !ssl_trust_given(crl))
    {
        return PT_OK;
    }

    if (!ssl_trust_key(&key, ca1, ca2, crl, pool)) {
        return PT_ERROR;
    }

    for (t = ssl_trusts; t; t = t->next) {
        if (pt_str_eq(&t->key, &key)) {
            break;
        }
    }

    if (t == NULL) {
        pt_pool_cleanup_t  *cln = pt_pool_cleanup_add(pool, 0);

        t = pt_pcalloc(pool, sizeof(ssl_trust_t));
        if (cln == NULL || t == NULL) {
            return PT_ERROR;
        }

        t->store = ssl_trust_build(ca1, ca2, crl, ssl->log);
        if (t->store == NULL) {
            return PT_ERROR;
        }

        t->key = key;
        t->next = ssl_trusts;
        ssl_trusts = t;
        cln->handler = ssl_trust_cleanup;
        cln->data = t;
    }

    SSL_CTX_set1_cert_store(ssl->ctx, t->store);
    return PT_OK;
}
