/* SPDX-License-Identifier: BSD-2-Clause */
/* Config value parsers: sizes, times, addresses, CIDR. Pure functions. */
#ifndef PT_PARSE_H
#define PT_PARSE_H

/* "512", "8k", "1m", "2g" (case-insensitive); -1 on error or overflow. */
ssize_t pt_parse_size(const pt_str_t *s);
off_t pt_parse_offset(const pt_str_t *s);

/*
 * "30", "500ms", "1h 30m", "1d", "1w", "1M", "1y" (units ms s m h d w M y,
 * combinable in descending order).  With is_sec, returns seconds and "ms"
 * is an error; otherwise milliseconds.  -1 on error or overflow.
 */
int64_t pt_parse_time(const pt_str_t *s, bool is_sec);

typedef struct {
    struct sockaddr_storage  sockaddr;
    socklen_t                socklen;
    pt_str_t                 name;     /* text as given, e.g. "127.0.0.1:80" */
} pt_addr_t;

typedef struct {
    pt_str_t     url;            /* the input */
    in_port_t    default_port;
    unsigned     listen:1;       /* "8080" alone means *:8080; "*:80" allowed */
    unsigned     no_resolve:1;

    /* results */
    pt_str_t     host;           /* without brackets */
    in_port_t    port;
    unsigned     no_port:1;
    unsigned     wildcard:1;     /* *:port or [::]:port */
    unsigned     family;         /* AF_INET, AF_INET6, AF_UNIX */
    pt_addr_t   *addrs;          /* resolved addresses */
    size_t       naddrs;
    const char  *err;            /* static message when PT_ERROR */
} pt_url_t;

/*
 * Parses "host[:port]", "[v6]:port", "port", "*:port", "unix:/path" and
 * resolves names (getaddrinfo, config time only) into u->addrs allocated
 * from pool: every IPv4 and IPv6 address, without duplicates, each with
 * its "addr:port" name.  A "/..." or "?..." tail after the authority is
 * ignored, as is ":/uri" after a unix path.  With no_resolve a name gives
 * naddrs 0.  PT_OK, or PT_ERROR with u->err set.
 */
int pt_parse_url(pt_pool_t *pool, pt_url_t *u);

typedef struct {
    unsigned   family;           /* AF_INET, AF_INET6, or AF_UNIX for "unix:" */
    union {
        struct { uint32_t addr, mask; } in;          /* network byte order */
        struct { u_char addr[16], mask[16]; } in6;
    } u;
} pt_cidr_t;

/*
 * Parses "1.2.3.0/24", "::1", "2001:db8::/32", "all" (family 0, matches
 * everything) or "unix:".  PT_OK; PT_DONE when host bits were set (and
 * cleared: the caller may warn); PT_ERROR when malformed.
 */
int pt_parse_cidr(const pt_str_t *text, pt_cidr_t *cidr);

/* True when sa lies in cidr (IPv4-mapped IPv6 matches IPv4 rules). */
bool pt_cidr_match(const pt_cidr_t *cidr, const struct sockaddr *sa);

/*
 * Writes "1.2.3.4", "::1" or "unix:" (followed by the socket path when the
 * address has one) (with port: "1.2.3.4:80", "[::1]:80") into text (len
 * bytes, not NUL-terminated, truncated to len); returns the length written.
 */
size_t pt_sock_ntop(const struct sockaddr *sa, socklen_t socklen,
    u_char *text, size_t len, bool port);

/* Port of an AF_INET/AF_INET6 address (host order); 0 otherwise. */
in_port_t pt_sock_port(const struct sockaddr *sa);

/* True when two socket addresses are equal (family, address, port). */
bool pt_sock_eq(const struct sockaddr *a, socklen_t alen,
    const struct sockaddr *b, socklen_t blen);

/*
 * Parses a numeric address as proxies write it in X-Forwarded-For:
 * "192.0.2.1", "192.0.2.1:80", "2001:db8::1", "[2001:db8::1]" or
 * "[2001:db8::1]:80" (len bytes, no spaces) into *ss (port 0 when none).
 * PT_OK, or PT_ERROR for anything else (names, bad ports).
 */
int pt_parse_addr_port(const u_char *p, size_t len,
    struct sockaddr_storage *ss, socklen_t *socklen);

#endif /* PT_PARSE_H */
