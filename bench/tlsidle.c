/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/tlsidle: opens N TLS keep-alive connections to 127.0.0.1:PORT,
 * makes one request on each (GET PATH, the whole response read), then
 * prints "ok N" and holds them until its standard input closes, so that
 * bench/run can read the server's memory with them open.  Sessions are
 * resumed from the first connection's to keep the set-up quick.
 *
 *     tlsidle PORT N PATH
 *
 * Exits 1 with a message on the first failure.  Loopback only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>


static void
fail(const char *what, int i)
{
    fprintf(stderr, "tlsidle: connection %d: %s\n", i + 1, what);
    ERR_print_errors_fp(stderr);
    exit(1);
}


/* Reads one response whose head has a Content-Length; 0 or -1. */
static int
read_response(SSL *ssl)
{
    char    buf[8192];
    size_t  got = 0;
    long    want = -1;

    for ( ;; ) {
        int  n = SSL_read(ssl, buf + got, (int) (sizeof(buf) - 1 - got));

        if (n <= 0) {
            return -1;
        }

        got += (size_t) n;
        buf[got] = '\0';

        char  *end = strstr(buf, "\r\n\r\n");

        if (end == NULL) {
            if (got == sizeof(buf) - 1) {
                return -1;
            }
            continue;
        }

        if (want < 0) {
            char  *cl = strcasestr(buf, "\r\nContent-Length:");

            if (cl == NULL || strncmp(buf, "HTTP/1.1 200 ", 13) != 0) {
                return -1;
            }
            want = strtol(cl + 17, NULL, 10);
        }

        if ((long) (got - (size_t) (end + 4 - buf)) >= want) {
            return 0;
        }

        if (got == sizeof(buf) - 1) {
            return -1;          /* bodies here are small */
        }
    }
}


int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: tlsidle PORT N PATH\n");
        return 2;
    }

    int                 port = atoi(argv[1]), n = atoi(argv[2]);
    char                req[512];
    struct sockaddr_in  sin = { .sin_family = AF_INET,
                                .sin_port = htons((uint16_t) port) };
    SSL_CTX            *ctx = SSL_CTX_new(TLS_client_method());
    SSL_SESSION        *sess = NULL;
    int                 len;

    len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n"
                   "\r\n", argv[3]);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (ctx == NULL || n < 1 || port < 1) {
        fail("bad arguments or no SSL_CTX", 0);
    }

    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);

    for (int i = 0; i < n; i++) {
        int   fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        SSL  *ssl = SSL_new(ctx);

        if (fd == -1 || ssl == NULL
            || connect(fd, (struct sockaddr *) &sin, sizeof(sin)) == -1)
        {
            fail(strerror(errno), i);
        }

        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        SSL_set_fd(ssl, fd);
        SSL_set_tlsext_host_name(ssl, "localhost");
        if (sess) {
            SSL_set_session(ssl, sess);
        }

        if (SSL_connect(ssl) != 1) {
            fail("handshake failed", i);
        }

        if (SSL_write(ssl, req, len) != len || read_response(ssl) != 0) {
            fail("no 200 response", i);
        }

        if (sess == NULL) {
            sess = SSL_get1_session(ssl);   /* TLS 1.3: after the ticket */
        }
        /* ssl and fd are held open until exit */
    }

    printf("ok %d\n", n);
    fflush(stdout);

    char  c;

    while (read(0, &c, 1) > 0) {
        /* wait for bench/run to close our input */
    }

    return 0;
}
