/* SPDX-License-Identifier: BSD-2-Clause */
/* Config value parsers: sizes, times, addresses and CIDR blocks. */
#include "pt_config.h"
#include "pt_core.h"


static int64_t
parse_scaled(const pt_str_t *s, int64_t max)
{
    size_t   len;
    int64_t  scale, value;

    len = s->len;

    if (len == 0) {
        return -1;
    }

    switch (s->data[len - 1]) {
    case 'k':
    case 'K':
        scale = 1024;
        len--;
        break;
    case 'm':
    case 'M':
        scale = 1024 * 1024;
        len--;
        break;
    case 'g':
    case 'G':
        scale = 1024 * 1024 * 1024;
        len--;
        break;
    default:
        scale = 1;
    }

    value = pt_atoi(s->data, len, max / scale);
    if (value < 0) {
        return -1;
    }

    return value * scale;
}


/* "512", "8k", "1m", "2g" as bytes; -1 on error or past SSIZE_MAX. */
ssize_t
pt_parse_size(const pt_str_t *s)
{
    return (ssize_t) parse_scaled(s, SSIZE_MAX);
}


/* Like pt_parse_size, bounded by the off_t range. */
off_t
pt_parse_offset(const pt_str_t *s)
{
    return (off_t) parse_scaled(s, INT64_MAX);
}


/*
 * Time with units y M w d h m s ms, largest first, each at most once,
 * optionally separated by spaces ("1h30m", "1h 30m"); a bare number (which must come last)
 * counts as seconds, as in nginx.  Result in seconds (is_sec, where "ms"
 * is an error) or milliseconds; -1 on error or overflow.
 */
int64_t
pt_parse_time(const pt_str_t *s, bool is_sec)
{
    int64_t        total, value, mult, scale;
    unsigned       step, unit;
    const u_char  *p, *last, *start;
    enum {
        ST_START = 0, ST_YEAR, ST_MONTH, ST_WEEK, ST_DAY, ST_HOUR, ST_MIN,
        ST_SEC, ST_MSEC, ST_LAST
    };

    p = s->data;
    last = p + s->len;

    total = 0;
    step = ST_START;
    scale = is_sec ? 1 : 1000;

    while (p < last && *p == ' ') {
        p++;
    }

    if (p == last) {
        return -1;
    }

    while (p < last) {

        if (step == ST_LAST) {
            return -1;
        }

        start = p;

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }

        value = pt_atoi(start, (size_t) (p - start), INT64_MAX);
        if (value < 0) {
            return -1;
        }

        if (p == last || *p == ' ') {
            /* a bare number: seconds, and nothing may follow */
            unit = ST_LAST;
            mult = scale;

        } else {
            switch (*p++) {
            case 'y':
                unit = ST_YEAR;
                mult = 365 * 24 * 60 * 60 * scale;
                break;
            case 'M':
                unit = ST_MONTH;
                mult = 30 * 24 * 60 * 60 * scale;
                break;
            case 'w':
                unit = ST_WEEK;
                mult = 7 * 24 * 60 * 60 * scale;
                break;
            case 'd':
                unit = ST_DAY;
                mult = 24 * 60 * 60 * scale;
                break;
            case 'h':
                unit = ST_HOUR;
                mult = 60 * 60 * scale;
                break;
            case 'm':
                if (p < last && *p == 's') {
                    if (is_sec) {
                        return -1;
                    }

                    p++;
                    unit = ST_MSEC;
                    mult = 1;
                    break;
                }

                unit = ST_MIN;
                mult = 60 * scale;
                break;
            case 's':
                unit = ST_SEC;
                mult = scale;
                break;
            default:
                return -1;
            }
        }

        if (unit <= step) {
            return -1;
        }

        step = unit;

        if (value > INT64_MAX / mult || value * mult > INT64_MAX - total) {
            return -1;
        }

        total += value * mult;

        while (p < last && *p == ' ') {
            p++;
        }
    }

    return total;
}


/* pool copy of "text" as a pt_str_t; PT_OK or PT_ERROR */
static int
url_addr_name(pt_pool_t *pool, pt_addr_t *a)
{
    size_t  n;
    u_char  text[sizeof("unix:") + sizeof(((struct sockaddr_un *) 0)->sun_path)
                 + sizeof("[]:65535") + INET6_ADDRSTRLEN];

    n = pt_sock_ntop((struct sockaddr *) &a->sockaddr, a->socklen, text,
                     sizeof(text), true);

    return pt_pstr_copy(pool, &a->name, text, n);
}


static int
url_add_addr(pt_pool_t *pool, pt_url_t *u, const struct sockaddr *sa,
    socklen_t len)
{
    pt_addr_t  *a;

    a = &u->addrs[u->naddrs];

    memset(&a->sockaddr, 0, sizeof(a->sockaddr));
    memcpy(&a->sockaddr, sa, len);
    a->socklen = len;

    if (sa->sa_family == AF_INET) {
        ((struct sockaddr_in *) &a->sockaddr)->sin_port = htons(u->port);

    } else if (sa->sa_family == AF_INET6) {
        ((struct sockaddr_in6 *) &a->sockaddr)->sin6_port = htons(u->port);
    }

    if (url_addr_name(pool, a) != PT_OK) {
        u->err = "memory allocation failed";
        return PT_ERROR;
    }

    u->naddrs++;

    return PT_OK;
}


static int
url_parse_unix(pt_pool_t *pool, pt_url_t *u)
{
    size_t               len;
    const u_char        *path, *last, *colon;
    struct sockaddr_un   sun;

    path = u->url.data + sizeof("unix:") - 1;
    last = u->url.data + u->url.len;

    /* "unix:/path:/uri": the path ends at a colon */
    colon = memchr(path, ':', (size_t) (last - path));
    if (colon) {
        last = colon;
    }

    len = (size_t) (last - path);

    if (len == 0) {
        u->err = "no path in the unix domain socket";
        return PT_ERROR;
    }

    if (len >= sizeof(sun.sun_path)) {
        u->err = "too long path in the unix domain socket";
        return PT_ERROR;
    }

    u->family = AF_UNIX;
    u->host.data = (u_char *) path;
    u->host.len = len;
    u->port = 0;
    u->no_port = 1;

    u->addrs = pt_pcalloc(pool, sizeof(pt_addr_t));
    if (u->addrs == NULL) {
        u->err = "memory allocation failed";
        return PT_ERROR;
    }

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, len);

    return url_add_addr(pool, u, (struct sockaddr *) &sun,
                        (socklen_t) (offsetof(struct sockaddr_un, sun_path)
                                     + len + 1));
}


static bool
url_all_digits(const u_char *p, size_t len)
{
    if (len == 0) {
        return false;
    }

    while (len--) {
        if (*p < '0' || *p > '9') {
            return false;
        }

        p++;
    }

    return true;
}


static int
url_parse_port(pt_url_t *u, const u_char *p, size_t len)
{
    int64_t  port;

    port = pt_atoi(p, len, 65535);

    if (port < 1) {
        u->err = "invalid port";
        return PT_ERROR;
    }

    u->port = (in_port_t) port;
    u->no_port = 0;

    return PT_OK;
}


/* Resolves u->host (a name) into u->addrs, both families, no duplicates. */
static int
url_resolve(pt_pool_t *pool, pt_url_t *u)
{
    int                       rc;
    char                     *host;
    size_t                    n, i;
    struct addrinfo           hints, *res, *ai;
    struct sockaddr_storage   ss;

    host = (char *) pt_pstrdup(pool, &u->host);
    if (host == NULL) {
        u->err = "memory allocation failed";
        return PT_ERROR;
    }

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        u->err = "host not found";
        return PT_ERROR;
    }

    for (n = 0, ai = res; ai; ai = ai->ai_next) {
        n++;
    }

    u->addrs = pt_pcalloc(pool, n * sizeof(pt_addr_t));
    if (u->addrs == NULL) {
        freeaddrinfo(res);
        u->err = "memory allocation failed";
        return PT_ERROR;
    }

    u->naddrs = 0;

    for (ai = res; ai; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            || ai->ai_addrlen > sizeof(struct sockaddr_storage))
        {
            continue;
        }

        memset(&ss, 0, sizeof(ss));
        memcpy(&ss, ai->ai_addr, ai->ai_addrlen);

        if (ai->ai_family == AF_INET) {
            ((struct sockaddr_in *) &ss)->sin_port = htons(u->port);

        } else {
            ((struct sockaddr_in6 *) &ss)->sin6_port = htons(u->port);
        }

        for (i = 0; i < u->naddrs; i++) {
            if (pt_sock_eq((struct sockaddr *) &u->addrs[i].sockaddr,
                           u->addrs[i].socklen, (struct sockaddr *) &ss,
                           ai->ai_addrlen))
            {
                break;
            }
        }

        if (i < u->naddrs) {
            continue;
        }

        if (url_add_addr(pool, u, ai->ai_addr, ai->ai_addrlen) != PT_OK) {
            freeaddrinfo(res);
            return PT_ERROR;
        }
    }

    freeaddrinfo(res);

    if (u->naddrs == 0) {
        u->err = "host not found";
        return PT_ERROR;
    }

    u->family = u->addrs[0].sockaddr.ss_family;

    return PT_OK;
}


/*
 * Parses u->url: "unix:/path", "[v6]:port", "host[:port]", "*:port" and
 * (with listen) a bare "port".  Anything from the first '/' or '?' after
 * the authority on is ignored.  Literal addresses need no resolver; names
 * are resolved unless no_resolve.  PT_OK, or PT_ERROR with u->err set.
 */
int
pt_parse_url(pt_pool_t *pool, pt_url_t *u)
{
    u_char                *p, *last, *host, *host_last, *port;
    size_t                 len;
    struct sockaddr_in     sin;
    struct sockaddr_in6    sin6;
    u_char                 text[INET6_ADDRSTRLEN + 1];

    u->host.len = 0;
    u->host.data = NULL;
    u->port = u->default_port;
    u->no_port = 1;
    u->wildcard = 0;
    u->family = 0;
    u->addrs = NULL;
    u->naddrs = 0;
    u->err = NULL;

    p = u->url.data;
    len = u->url.len;

    if (len == 0) {
        u->err = "empty address";
        return PT_ERROR;
    }

    if (len >= 5 && pt_strncasecmp(p, (u_char *) "unix:", 5) == 0) {
        return url_parse_unix(pool, u);
    }

    last = p + len;

    for (host_last = p; host_last < last; host_last++) {
        if (*host_last == '/' || *host_last == '?') {
            break;
        }
    }

    last = host_last;
    port = NULL;

    if (*p == '[') {
        host = p + 1;
        host_last = memchr(host, ']', (size_t) (last - host));

        if (host_last == NULL) {
            u->err = "invalid IPv6 address";
            return PT_ERROR;
        }

        if (host_last + 1 < last) {
            if (host_last[1] != ':') {
                u->err = "invalid IPv6 address";
                return PT_ERROR;
            }

            port = host_last + 2;
        }

    } else if (u->listen && url_all_digits(p, (size_t) (last - p))) {
        host = NULL;
        host_last = NULL;
        port = p;

    } else {
        host = p;
        host_last = memchr(p, ':', (size_t) (last - p));

        if (host_last) {
            if (memchr(host_last + 1, ':', (size_t) (last - host_last - 1))) {
                /* a bare IPv6 address without a port */
                host_last = last;

            } else {
                port = host_last + 1;
            }

        } else {
            host_last = last;
        }
    }

    if (port) {
        if (url_parse_port(u, port, (size_t) (last - port)) != PT_OK) {
            return PT_ERROR;
        }

    } else if (u->listen && u->default_port == 0) {
        u->err = "no port";
        return PT_ERROR;
    }

    if (host == NULL || (host_last - host == 1 && *host == '*')) {
        if (!u->listen) {
            u->err = "wildcard address is only allowed in listen";
            return PT_ERROR;
        }

        u->wildcard = 1;
        u->family = AF_INET;
        pt_str_set(&u->host, "*");

        u->addrs = pt_pcalloc(pool, sizeof(pt_addr_t));
        if (u->addrs == NULL) {
            u->err = "memory allocation failed";
            return PT_ERROR;
        }

        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_ANY);

        return url_add_addr(pool, u, (struct sockaddr *) &sin, sizeof(sin));
    }

    u->host.data = host;
    u->host.len = (size_t) (host_last - host);

    if (u->host.len == 0) {
        u->err = "no host";
        return PT_ERROR;
    }

    /* literal addresses */

    if (u->host.len < sizeof(text)) {
        memcpy(text, u->host.data, u->host.len);
        text[u->host.len] = '\0';

        memset(&sin, 0, sizeof(sin));
        memset(&sin6, 0, sizeof(sin6));

        if (*p != '[' && inet_pton(AF_INET, (char *) text, &sin.sin_addr) == 1)
        {
            sin.sin_family = AF_INET;
            u->family = AF_INET;
            u->wildcard = (sin.sin_addr.s_addr == htonl(INADDR_ANY));

            u->addrs = pt_pcalloc(pool, sizeof(pt_addr_t));
            if (u->addrs == NULL) {
                u->err = "memory allocation failed";
                return PT_ERROR;
            }

            return url_add_addr(pool, u, (struct sockaddr *) &sin,
                                sizeof(sin));
        }

        if (inet_pton(AF_INET6, (char *) text, &sin6.sin6_addr) == 1) {
            sin6.sin6_family = AF_INET6;
            u->family = AF_INET6;
            u->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr);

            u->addrs = pt_pcalloc(pool, sizeof(pt_addr_t));
            if (u->addrs == NULL) {
                u->err = "memory allocation failed";
                return PT_ERROR;
            }

            return url_add_addr(pool, u, (struct sockaddr *) &sin6,
                                sizeof(sin6));
        }
    }

    if (*p == '[') {
        u->err = "invalid IPv6 address";
        return PT_ERROR;
    }

    if (u->no_resolve) {
        return PT_OK;
    }

    return url_resolve(pool, u);
}


static void
cidr_mask6(u_char *mask, unsigned bits)
{
    unsigned  i;

    for (i = 0; i < 16; i++) {
        if (bits >= 8) {
            mask[i] = 0xff;
            bits -= 8;

        } else {
            mask[i] = (u_char) (0xff00 >> bits);
            bits = 0;
        }
    }
}


/*
 * Parses "a.b.c.d[/n]", "v6[/n]", "all" or "unix:".  PT_OK; PT_DONE when
 * host bits were set (they are cleared); PT_ERROR when malformed.
 */
int
pt_parse_cidr(const pt_str_t *text, pt_cidr_t *cidr)
{
    int            rc;
    size_t         alen, i;
    int64_t        bits;
    uint32_t       a;
    const u_char  *slash;
    char           addr[INET6_ADDRSTRLEN + 1];

    memset(cidr, 0, sizeof(pt_cidr_t));

    if (text->len == 3 && memcmp(text->data, "all", 3) == 0) {
        cidr->family = 0;
        return PT_OK;
    }

    if (text->len == 5 && memcmp(text->data, "unix:", 5) == 0) {
        cidr->family = AF_UNIX;
        return PT_OK;
    }

    slash = memchr(text->data, '/', text->len);
    alen = slash ? (size_t) (slash - text->data) : text->len;

    if (alen == 0 || alen >= sizeof(addr)) {
        return PT_ERROR;
    }

    memcpy(addr, text->data, alen);
    addr[alen] = '\0';

    rc = PT_OK;

    if (inet_pton(AF_INET, addr, &cidr->u.in.addr) == 1) {
        cidr->family = AF_INET;

        if (slash) {
            bits = pt_atoi(slash + 1, text->len - alen - 1, 32);
            if (bits < 0) {
                return PT_ERROR;
            }

        } else {
            bits = 32;
        }

        cidr->u.in.mask = bits ? htonl((uint32_t) (0xffffffffULL << (32 - bits)))
                               : 0;

        a = cidr->u.in.addr & cidr->u.in.mask;

        if (a != cidr->u.in.addr) {
            cidr->u.in.addr = a;
            rc = PT_DONE;
        }

        return rc;
    }

    if (inet_pton(AF_INET6, addr, cidr->u.in6.addr) == 1) {
        cidr->family = AF_INET6;

        if (slash) {
            bits = pt_atoi(slash + 1, text->len - alen - 1, 128);
            if (bits < 0) {
                return PT_ERROR;
            }

        } else {
            bits = 128;
        }

        cidr_mask6(cidr->u.in6.mask, (unsigned) bits);

        for (i = 0; i < 16; i++) {
            if (cidr->u.in6.addr[i] & ~cidr->u.in6.mask[i]) {
                cidr->u.in6.addr[i] &= cidr->u.in6.mask[i];
                rc = PT_DONE;
            }
        }

        return rc;
    }

    return PT_ERROR;
}


/* True when sa lies in cidr; IPv4-mapped IPv6 peers match IPv4 rules. */
bool
pt_cidr_match(const pt_cidr_t *cidr, const struct sockaddr *sa)
{
    size_t                      i;
    uint32_t                    a;
    const u_char               *b;
    const struct sockaddr_in6  *sin6;

    switch (cidr->family) {

    case 0:
        return true;

    case AF_UNIX:
        return sa->sa_family == AF_UNIX;

    case AF_INET:
        if (sa->sa_family == AF_INET) {
            a = ((const struct sockaddr_in *) sa)->sin_addr.s_addr;

        } else if (sa->sa_family == AF_INET6) {
            sin6 = (const struct sockaddr_in6 *) sa;

            if (!IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
                return false;
            }

            memcpy(&a, sin6->sin6_addr.s6_addr + 12, 4);

        } else {
            return false;
        }

        return (a & cidr->u.in.mask) == cidr->u.in.addr;

    case AF_INET6:
        if (sa->sa_family != AF_INET6) {
            return false;
        }

        b = ((const struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;

        for (i = 0; i < 16; i++) {
            if ((b[i] & cidr->u.in6.mask[i]) != cidr->u.in6.addr[i]) {
                return false;
            }
        }

        return true;
    }

    return false;
}


/*
 * Text form of sa into text (len bytes, not NUL-terminated): "1.2.3.4",
 * "::1", "unix:" followed by the socket path if any; with port,
 * "1.2.3.4:80" and "[::1]:80".  Returns the length written (truncated to
 * len).
 */
size_t
pt_sock_ntop(const struct sockaddr *sa, socklen_t socklen, u_char *text,
    size_t len, bool port)
{
    u_char                    *p, *last;
    size_t                     n;
    char                       addr[INET6_ADDRSTRLEN];
    const struct sockaddr_un  *sun;

    if (len == 0) {
        return 0;
    }

    p = text;
    last = text + len;

    switch (sa->sa_family) {

    case AF_INET:
        if (inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr,
                      addr, sizeof(addr)) == NULL)
        {
            return 0;
        }

        if (port) {
            p = pt_snprintf(p, last, "%s:%u", addr,
                            (unsigned) pt_sock_port(sa));

        } else {
            p = pt_snprintf(p, last, "%s", addr);
        }

        break;

    case AF_INET6:
        if (inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr,
                      addr, sizeof(addr)) == NULL)
        {
            return 0;
        }

        if (port) {
            p = pt_snprintf(p, last, "[%s]:%u", addr,
                            (unsigned) pt_sock_port(sa));

        } else {
            p = pt_snprintf(p, last, "%s", addr);
        }

        break;

    case AF_UNIX:
        p = pt_snprintf(p, last, "unix:");
        sun = (const struct sockaddr_un *) sa;

        if (socklen > offsetof(struct sockaddr_un, sun_path)
            && sun->sun_path[0] != '\0')
        {
            n = strnlen(sun->sun_path,
                        pt_min((size_t) socklen
                               - offsetof(struct sockaddr_un, sun_path),
                               sizeof(sun->sun_path)));
            n = pt_min(n, (size_t) (last - p));
            p = pt_cpymem(p, sun->sun_path, n);
        }

        break;

    default:
        return 0;
    }

    return (size_t) (p - text);
}


/* Port of an AF_INET/AF_INET6 address in host order; 0 otherwise. */
in_port_t
pt_sock_port(const struct sockaddr *sa)
{
    switch (sa->sa_family) {
    case AF_INET:
        return ntohs(((const struct sockaddr_in *) sa)->sin_port);
    case AF_INET6:
        return ntohs(((const struct sockaddr_in6 *) sa)->sin6_port);
    default:
        return 0;
    }
}


/* True when a and b have the same family, address and port (or path). */
bool
pt_sock_eq(const struct sockaddr *a, socklen_t alen,
    const struct sockaddr *b, socklen_t blen)
{
    size_t                      an, bn, off;
    const struct sockaddr_in   *a4, *b4;
    const struct sockaddr_in6  *a6, *b6;
    const struct sockaddr_un   *au, *bu;

    if (a->sa_family != b->sa_family) {
        return false;
    }

    switch (a->sa_family) {

    case AF_INET:
        a4 = (const struct sockaddr_in *) a;
        b4 = (const struct sockaddr_in *) b;

        return a4->sin_port == b4->sin_port
               && a4->sin_addr.s_addr == b4->sin_addr.s_addr;

    case AF_INET6:
        a6 = (const struct sockaddr_in6 *) a;
        b6 = (const struct sockaddr_in6 *) b;

        return a6->sin6_port == b6->sin6_port
               && memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;

    case AF_UNIX:
        au = (const struct sockaddr_un *) a;
        bu = (const struct sockaddr_un *) b;
        off = offsetof(struct sockaddr_un, sun_path);

        an = alen > off ? strnlen(au->sun_path, pt_min((size_t) alen - off,
                                                      sizeof(au->sun_path)))
                        : 0;
        bn = blen > off ? strnlen(bu->sun_path, pt_min((size_t) blen - off,
                                                      sizeof(bu->sun_path)))
                        : 0;

        return an == bn && memcmp(au->sun_path, bu->sun_path, an) == 0;
    }

    return alen == blen && memcmp(a, b, alen) == 0;
}


/* Parses a numeric address with an optional port; see the header. */
int
pt_parse_addr_port(const u_char *p, size_t len, struct sockaddr_storage *ss,
    socklen_t *socklen)
{
    struct sockaddr_in6  *sin6 = (struct sockaddr_in6 *) ss;
    struct sockaddr_in   *sin = (struct sockaddr_in *) ss;
    const u_char         *colon, *host_end;
    char                  text[INET6_ADDRSTRLEN + 1];
    int64_t               port;
    bool                  v6;

    host_end = p + len;
    colon = NULL;
    v6 = false;

    if (len && p[0] == '[') {
        host_end = memchr(p, ']', len);
        if (host_end == NULL) {
            return PT_ERROR;
        }

        colon = host_end + 1 < p + len ? host_end + 1 : NULL;
        p++;
        v6 = true;

        if (colon != NULL && *colon != ':') {
            return PT_ERROR;
        }

    } else {
        colon = memchr(p, ':', len);

        if (colon != NULL && memchr(colon + 1, ':', p + len - colon - 1)) {
            colon = NULL;               /* a bare IPv6 address */
            v6 = true;
        } else if (colon != NULL) {
            host_end = colon;
        }
    }

    if ((size_t) (host_end - p) >= sizeof(text) || host_end == p) {
        return PT_ERROR;
    }

    pt_memcpy(text, p, (size_t) (host_end - p));
    text[host_end - p] = '\0';

    port = 0;

    if (colon != NULL) {
        port = pt_atoi(colon + 1, (size_t) (p + len - colon - 1 - v6), 65535);
        if (port < 1) {
            return PT_ERROR;
        }
    }

    memset(ss, 0, sizeof(*ss));

    if (!v6 && inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((in_port_t) port);
        *socklen = sizeof(struct sockaddr_in);
        return PT_OK;
    }

    if (v6 && inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((in_port_t) port);
        *socklen = sizeof(struct sockaddr_in6);
        return PT_OK;
    }

    return PT_ERROR;
}
