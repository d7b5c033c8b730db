/* SPDX-License-Identifier: BSD-2-Clause */
/* The TLS session cache in a shared zone, and session ticket keys. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

/*
 * Sessions are stored DER-encoded (i2d_SSL_SESSION), keyed by session id,
 * in a pt_shm_store whose fixed value points at a slab blob holding the
 * bytes: every worker (and the next image after a reload) finds what any
 * other stored.  Expired entries go first when the zone fills up.
 */

#define SSL_CACHE_TAG          PT_SHM_TAG('s', 's', 'l', 'c')
#define SSL_CACHE_MAX_SESSION  4096       /* larger ones are not cached */

typedef struct {
    int64_t    expire;          /* seconds, epoch */
    uint32_t   len;
    uint32_t   blob;            /* slab offset of the DER bytes */
} ssl_cache_node_t;

typedef struct {
    int64_t         now;
    size_t          forced;     /* how many live entries may go too */
    pt_slab_pool_t *sp;
} ssl_cache_evict_t;

static int  ssl_cache_index = -1;       /* SSL_CTX ex_data: the zone */


static pt_shm_store_t *
ssl_cache_store(pt_shm_zone_t *zone)
{
    return pt_shm_ptr(zone, pt_shm_header(zone)->root);
}


static int
ssl_cache_create_store(pt_shm_zone_t *zone)
{
    pt_shm_store_t  *st = pt_shm_store_create(pt_shm_slab(zone),
                                              sizeof(ssl_cache_node_t),
                                              zone->size / 8);

    if (st == NULL) {
        return PT_ERROR;
    }

    pt_shm_header(zone)->root = pt_shm_off(zone, st);
    return PT_OK;
}


static int
ssl_cache_init_zone(pt_shm_zone_t *zone, bool adopted)
{
    if (adopted && ssl_cache_store(zone) != NULL) {
        return PT_OK;       /* sessions stay resumable across the reload */
    }

    if (ssl_cache_create_store(zone) != PT_OK) {
        pt_log_error(PT_LOG_EMERG, zone->log, 0, "zone \"%.*s\" is too small",
                     PT_STR_ARG(zone->name));
        return PT_ERROR;
    }

    return PT_OK;
}


static void
ssl_cache_repair(pt_shm_zone_t *zone)
{
    pt_shm_store_t  *st = ssl_cache_store(zone);

    if (st == NULL || st->busy) {
        pt_shm_zone_reset(zone);
        (void) ssl_cache_create_store(zone);
    }
}


pt_shm_zone_t *
pt_ssl_session_cache_zone(pt_conf_t *cf, const pt_str_t *name, size_t size)
{
    pt_shm_zone_t  *zone = pt_shm_zone_add(cf, name, size, SSL_CACHE_TAG,
                                           ssl_cache_init_zone);

    if (zone) {
        zone->repair = ssl_cache_repair;
    }

    return zone;
}


/* Frees the blob of an entry about to be deleted (evict/walk callback). */
static bool
ssl_cache_evictable(void *value, void *data)
{
    ssl_cache_node_t   *node = value;
    ssl_cache_evict_t  *ev = data;

    if (node->expire > ev->now) {
        if (ev->forced == 0) {
            return false;
        }
        ev->forced--;
    }

    pt_slab_free(ev->sp, node->blob);
    node->blob = 0;
    return true;
}


static void
ssl_cache_delete(pt_slab_pool_t *sp, pt_shm_store_t *st,
    ssl_cache_node_t *node)
{
    pt_slab_free(sp, node->blob);
    pt_shm_store_delete(sp, st, node);
}


/* Stores der under id; the lock is held.  False when it does not fit. */
static bool
ssl_cache_put(pt_shm_zone_t *zone, const u_char *id, size_t idlen,
    const u_char *der, size_t len, int64_t expire, pt_log_t *log)
{
    pt_slab_pool_t     *sp = pt_shm_slab(zone);
    pt_shm_store_t     *st = ssl_cache_store(zone);
    uint32_t            hash = pt_shm_store_hash(id, idlen);
    ssl_cache_evict_t   ev = { .now = pt_time(), .forced = 0, .sp = sp };
    ssl_cache_node_t   *node;
    uint32_t            blob;

    node = pt_shm_store_find(sp, st, id, idlen, hash);
    if (node) {
        ssl_cache_delete(sp, st, node);
    }

    /* Expired sessions go first; then, if still full, the oldest live. */
    (void) pt_shm_store_evict(sp, st, 2, ssl_cache_evictable, &ev);

    for (int tries = 0; tries < 8; tries++) {
        blob = pt_slab_alloc(sp, len);
        node = blob ? pt_shm_store_insert(sp, st, id, idlen, hash) : NULL;

        if (node) {
            memcpy(pt_slab_ptr(sp, blob), der, len);
            node->blob = blob;
            node->len = (uint32_t) len;
            node->expire = expire;
            return true;
        }

        pt_slab_free(sp, blob);
        pt_shm_zone_warn_full(zone, log);
        ev.forced = 1;

        if (pt_shm_store_evict(sp, st, 1, ssl_cache_evictable, &ev) == 0) {
            break;
        }
    }

    return false;
}


/*
 * TLS 1.3 with stateless tickets resumes from the ticket alone and never
 * looks a session up by its ID: storing one (OpenSSL offers each of the
 * tickets it sends) would only cost time and push TLS 1.2 sessions out.
 * With ssl_session_tickets off, TLS 1.3 tickets name cached sessions.
 */
static bool
ssl_cache_ticket_only(SSL *ssl)
{
    return SSL_version(ssl) == TLS1_3_VERSION
           && !(SSL_get_options(ssl) & SSL_OP_NO_TICKET);
}


static int
ssl_cache_new_session(SSL *ssl, SSL_SESSION *sess)
{
    pt_connection_t  *c = SSL_get_ex_data(ssl, pt_ssl_connection_index);
    pt_shm_zone_t    *zone = SSL_CTX_get_ex_data(pt_ssl_session_ctx(ssl),
                                                 ssl_cache_index);
    u_char            der[SSL_CACHE_MAX_SESSION], *p = der;
    unsigned int      idlen;
    const u_char     *id = SSL_SESSION_get_id(sess, &idlen);
    int               len = i2d_SSL_SESSION(sess, NULL);

    if (zone == NULL || c == NULL || len <= 0 || len > (int) sizeof(der)
        || ssl_cache_ticket_only(ssl))
    {
        return 0;
    }

    len = i2d_SSL_SESSION(sess, &p);

    if (pt_shm_zone_lock(zone) != PT_OK) {
        return 0;
    }

    (void) ssl_cache_put(zone, id, idlen, der, (size_t) len,
                         pt_time() + (int64_t) SSL_SESSION_get_timeout(sess),
                         c->log);
    pt_shm_zone_unlock(zone);

    OPENSSL_cleanse(der, (size_t) len);
    return 0;       /* OpenSSL keeps no reference for us */
}


static SSL_SESSION *
ssl_cache_get_session(SSL *ssl, const unsigned char *id, int idlen,
    int *copy)
{
    pt_shm_zone_t     *zone = SSL_CTX_get_ex_data(pt_ssl_session_ctx(ssl),
                                                  ssl_cache_index);
    u_char             der[SSL_CACHE_MAX_SESSION];
    const u_char      *p = der;
    size_t             len = 0;
    ssl_cache_node_t  *node;

    *copy = 0;

    if (zone == NULL || pt_shm_zone_lock(zone) != PT_OK) {
        return NULL;
    }

    pt_slab_pool_t  *sp = pt_shm_slab(zone);
    pt_shm_store_t  *st = ssl_cache_store(zone);

    node = pt_shm_store_find(sp, st, id, (size_t) idlen,
                             pt_shm_store_hash(id, (size_t) idlen));

    if (node && node->expire <= pt_time()) {
        ssl_cache_delete(sp, st, node);
        node = NULL;
    }

    if (node && node->len <= sizeof(der)) {
        len = node->len;
        memcpy(der, pt_slab_ptr(sp, node->blob), len);
    }

    pt_shm_zone_unlock(zone);

    if (len == 0) {
        return NULL;
    }

    SSL_SESSION  *sess = d2i_SSL_SESSION(NULL, &p, (long) len);

    OPENSSL_cleanse(der, len);
    ERR_clear_error();
    return sess;
}


static void
ssl_cache_remove_session(SSL_CTX *ctx, SSL_SESSION *sess)
{
    pt_shm_zone_t  *zone = SSL_CTX_get_ex_data(ctx, ssl_cache_index);
    unsigned int    idlen;
    const u_char   *id = SSL_SESSION_get_id(sess, &idlen);

    if (zone == NULL || pt_shm_zone_lock(zone) != PT_OK) {
        return;
    }

    pt_slab_pool_t    *sp = pt_shm_slab(zone);
    pt_shm_store_t    *st = ssl_cache_store(zone);
    ssl_cache_node_t  *node = pt_shm_store_find(sp, st, id, idlen,
                                       pt_shm_store_hash(id, idlen));

    if (node) {
        ssl_cache_delete(sp, st, node);
    }

    pt_shm_zone_unlock(zone);
}


int
pt_ssl_session_cache(pt_ssl_t *ssl, int mode, pt_shm_zone_t *zone,
    size_t builtin, time_t timeout)
{
    SSL_CTX  *ctx = ssl->ctx;

    /* One context for every server: sessions resume whichever SNI picks. */
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *) "portico",
                                   sizeof("portico") - 1);
    SSL_CTX_set_timeout(ctx, (long) timeout);

    if (mode == PT_SSL_CACHE_OFF) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        return PT_OK;
    }

    if (mode == PT_SSL_CACHE_NONE) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER
                                            | SSL_SESS_CACHE_NO_INTERNAL);
        return PT_OK;
    }

    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER
        | (zone ? SSL_SESS_CACHE_NO_INTERNAL : 0));

    if (builtin) {
        SSL_CTX_sess_set_cache_size(ctx, (long) builtin);
    }

    if (zone == NULL) {
        return PT_OK;
    }

    if (ssl_cache_index == -1) {
        ssl_cache_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        if (ssl_cache_index == -1) {
            return PT_ERROR;
        }
    }

    if (SSL_CTX_set_ex_data(ctx, ssl_cache_index, zone) == 0) {
        return PT_ERROR;
    }

    SSL_CTX_sess_set_new_cb(ctx, ssl_cache_new_session);
    SSL_CTX_sess_set_get_cb(ctx, ssl_cache_get_session);
    SSL_CTX_sess_set_remove_cb(ctx, ssl_cache_remove_session);
    return PT_OK;
}


/* ---- session ticket keys ----------------------------------------------- */


typedef struct {
    u_char   name[16];
    u_char   hmac[32];
    u_char   aes[32];
    size_t   size;                      /* 16: AES-128, 32: AES-256 */
} ssl_ticket_key_t;

typedef struct {
    ssl_ticket_key_t  *keys;
    size_t             n;
} ssl_ticket_keys_t;

static int  ssl_ticket_index = -1;      /* SSL_CTX ex_data: the keys */


static int
ssl_ticket_mac(EVP_MAC_CTX *hctx, ssl_ticket_key_t *key)
{
    OSSL_PARAM  params[3];

    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
                                                  key->hmac, key->size);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[2] = OSSL_PARAM_construct_end();

    return EVP_MAC_CTX_set_params(hctx, params);
}


/*
 * AES-128-CBC or AES-256-CBC, fetched once per process: handing OpenSSL 3
 * the legacy EVP_aes_*_cbc() makes it fetch the cipher on every ticket.
 */
static const EVP_CIPHER *
ssl_ticket_cipher(size_t size)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    static EVP_CIPHER  *aes[2];
    int                 i = size == 16 ? 0 : 1;

    if (aes[i] == NULL) {
        aes[i] = EVP_CIPHER_fetch(NULL, i ? "AES-256-CBC" : "AES-128-CBC",
                                  NULL);
    }

    return aes[i];
#else
    return size == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
#endif
}


/* The first key encrypts new tickets; every key decrypts (rotation). */
static int
ssl_ticket_cb(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc)
{
    ssl_ticket_keys_t  *tk = SSL_CTX_get_ex_data(pt_ssl_session_ctx(ssl),
                                                 ssl_ticket_index);
    ssl_ticket_key_t   *key;
    const EVP_CIPHER   *cipher;
    size_t              i = 0;

    if (tk == NULL) {
        return 0;               /* no keys here: no ticket, full handshake */
    }

    if (!enc) {
        for (i = 0; i < tk->n; i++) {
            if (memcmp(name, tk->keys[i].name, 16) == 0) {
                break;
            }
        }
        if (i == tk->n) {
            return 0;           /* unknown key: a full handshake */
        }
    }

    key = &tk->keys[i];
    cipher = ssl_ticket_cipher(key->size);
    if (cipher == NULL) {
        return -1;
    }

    if (enc) {
        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(cipher)) != 1
            || EVP_EncryptInit_ex(ectx, cipher, NULL, key->aes, iv) != 1
            || ssl_ticket_mac(hctx, key) != 1)
        {
            return -1;
        }
        memcpy(name, key->name, 16);
        return 1;
    }

    if (ssl_ticket_mac(hctx, key) != 1
        || EVP_DecryptInit_ex(ectx, cipher, NULL, key->aes, iv) != 1)
    {
        return -1;
    }

    return i == 0 ? 1 : 2;      /* 2: renew the ticket with the first key */
}


/* nginx's formats: 48 bytes (name, AES-128, HMAC) or 80 (name, HMAC, AES-256). */
static int
ssl_ticket_read(ssl_ticket_key_t *key, const pt_str_t *file, pt_log_t *log)
{
    u_char   buf[81];
    int      fd = open((char *) file->data, O_RDONLY | O_CLOEXEC);
    ssize_t  n;

    if (fd == -1) {
        pt_log_error(PT_LOG_EMERG, log, errno, "open() \"%.*s\" failed",
                     PT_STR_ARG(*file));
        return PT_ERROR;
    }

    n = pt_read_file(fd, buf, sizeof(buf), 0);
    close(fd);

    if (n != 48 && n != 80) {
        pt_log_error(PT_LOG_EMERG, log, 0, "\"%.*s\" must be 48 or 80 bytes",
                     PT_STR_ARG(*file));
        return PT_ERROR;
    }

    memcpy(key->name, buf, 16);

    if (n == 48) {
        key->size = 16;
        memcpy(key->aes, buf + 16, 16);
        memcpy(key->hmac, buf + 32, 16);
    } else {
        key->size = 32;
        memcpy(key->hmac, buf + 16, 32);
        memcpy(key->aes, buf + 48, 32);
    }

    OPENSSL_cleanse(buf, sizeof(buf));
    return PT_OK;
}


int
pt_ssl_session_ticket_keys(pt_ssl_t *ssl, const pt_array_t *files,
    pt_pool_t *pool)
{
    ssl_ticket_keys_t  *tk = pt_pcalloc(pool, sizeof(*tk));
    const pt_str_t     *file = files->elts;

    if (tk == NULL) {
        return PT_ERROR;
    }

    tk->keys = pt_pcalloc(pool, files->nelts * sizeof(ssl_ticket_key_t));
    if (tk->keys == NULL) {
        return PT_ERROR;
    }

    for (size_t i = 0; i < files->nelts; i++) {
        if (ssl_ticket_read(&tk->keys[tk->n++], &file[i], ssl->log) != PT_OK) {
            return PT_ERROR;
        }
    }

    if (ssl_ticket_index == -1) {
        ssl_ticket_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }

    if (ssl_ticket_index == -1
        || SSL_CTX_set_ex_data(ssl->ctx, ssl_ticket_index, tk) == 0
        || SSL_CTX_set_tlsext_ticket_key_evp_cb(ssl->ctx, ssl_ticket_cb) != 1)
    {
        pt_ssl_error(PT_LOG_EMERG, ssl->log, 0,
                     "SSL_CTX_set_tlsext_ticket_key_evp_cb() failed");
        return PT_ERROR;
    }

    return PT_OK;
}
