/* SPDX-License-Identifier: BSD-2-Clause */
/* The cached clock and its preformatted strings, and HTTP date handling. */
#include "pt_config.h"
#include "pt_core.h"


volatile pt_msec_t   pt_current_msec;
volatile pt_time_t  *pt_cached_time;

pt_str_t  pt_cached_err_log_time;
pt_str_t  pt_cached_http_time;
pt_str_t  pt_cached_http_log_time;
pt_str_t  pt_cached_http_log_iso8601;


static pt_time_t  cached_time;
static time_t     cached_strings_sec = -1;

static u_char  err_log_time[sizeof("1970/09/28 12:00:00")];
static u_char  http_time[sizeof("Mon, 28 Sep 1970 06:00:00 GMT")];
static u_char  http_log_time[sizeof("28/Sep/1970:12:00:00 +0600")];
static u_char  http_log_iso8601[sizeof("1970-09-28T12:00:00+06:00")];

static u_char *put_digits(u_char *p, unsigned v, unsigned n);
static u_char *put_clock(u_char *p, const struct tm *tm);
static u_char *http_date(u_char *p, time_t t, u_char sep, bool short_year);

static const char  *week[] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};

static const char  *week_long[] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday"
};

static const char  *months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};


/* Sets up the cache with the current time; call once at startup. */
void
pt_time_init(void)
{
    pt_cached_err_log_time.len = sizeof("1970/09/28 12:00:00") - 1;
    pt_cached_http_time.len = sizeof("Mon, 28 Sep 1970 06:00:00 GMT") - 1;
    pt_cached_http_log_time.len = sizeof("28/Sep/1970:12:00:00 +0600") - 1;
    pt_cached_http_log_iso8601.len = sizeof("1970-09-28T12:00:00+06:00") - 1;

    pt_cached_err_log_time.data = err_log_time;
    pt_cached_http_time.data = http_time;
    pt_cached_http_log_time.data = http_log_time;
    pt_cached_http_log_iso8601.data = http_log_iso8601;

    pt_cached_time = &cached_time;

    tzset();

    /* reformat even within the same second (TZ may have changed) */
    cached_strings_sec = -1;

    pt_time_update();
}


/*
 * Reads both clocks; the strings are reformatted only when the second
 * changed.  Local time (error and access logs) follows TZ as read at
 * startup, like nginx.
 */
void
pt_time_update(void)
{
    long             off;
    char             sign;
    u_char          *p;
    unsigned         year, tzh, tzm;
    struct tm        tm, gmt;
    struct timespec  ts;

    if (pt_cached_time == NULL) {
        pt_time_init();
        return;
    }

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);
    pt_current_msec = (pt_msec_t) ts.tv_sec * 1000
                      + (pt_msec_t) (ts.tv_nsec / 1000000);

    (void) clock_gettime(CLOCK_REALTIME, &ts);
    cached_time.sec = ts.tv_sec;
    cached_time.msec = (unsigned) (ts.tv_nsec / 1000000);

    if (ts.tv_sec == cached_strings_sec) {
        return;
    }

    cached_strings_sec = ts.tv_sec;

    pt_gmtime(ts.tv_sec, &gmt);

    (void) http_date(http_time, ts.tv_sec, ' ', false);

    if (localtime_r(&ts.tv_sec, &tm) == NULL) {
        tm = gmt;
        tm.tm_gmtoff = 0;
    }

    off = tm.tm_gmtoff / 60;
    sign = off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;

    year = (unsigned) (tm.tm_year + 1900) % 10000;
    tzh = (unsigned) (off / 60) % 100;
    tzm = (unsigned) (off % 60);

    /* 2026/11/28 23:05:01 */
    p = put_digits(err_log_time, year, 4);
    *p++ = '/';
    p = put_digits(p, (unsigned) tm.tm_mon + 1, 2);
    *p++ = '/';
    p = put_digits(p, (unsigned) tm.tm_mday, 2);
    *p++ = ' ';
    p = put_clock(p, &tm);

    /* 28/Nov/2026:23:05:01 +0000 */
    p = put_digits(http_log_time, (unsigned) tm.tm_mday, 2);
    *p++ = '/';
    p = pt_cpymem(p, months[tm.tm_mon], 3);
    *p++ = '/';
    p = put_digits(p, year, 4);
    *p++ = ':';
    p = put_clock(p, &tm);
    *p++ = ' ';
    *p++ = (u_char) sign;
    p = put_digits(p, tzh, 2);
    p = put_digits(p, tzm, 2);

    /* 2026-11-28T23:05:01+00:00 */
    p = put_digits(http_log_iso8601, year, 4);
    *p++ = '-';
    p = put_digits(p, (unsigned) tm.tm_mon + 1, 2);
    *p++ = '-';
    p = put_digits(p, (unsigned) tm.tm_mday, 2);
    *p++ = 'T';
    p = put_clock(p, &tm);
    *p++ = (u_char) sign;
    p = put_digits(p, tzh, 2);
    *p++ = ':';
    (void) put_digits(p, tzm, 2);
}


/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t   era;
    unsigned  yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t) doe - 719468;
}


/* Breaks t (UTC) into tp; tm_gmtoff is 0 and tm_isdst 0. */
void
pt_gmtime(time_t t, struct tm *tp)
{
    int64_t   days, secs, z, era, y;
    unsigned  doe, yoe, doy, mp, d, m;

    days = t / 86400;
    secs = t % 86400;

    if (secs < 0) {
        secs += 86400;
        days--;
    }

    memset(tp, 0, sizeof(struct tm));

    tp->tm_hour = (int) (secs / 3600);
    tp->tm_min = (int) (secs % 3600 / 60);
    tp->tm_sec = (int) (secs % 60);

    /* 1970-01-01 was a Thursday */
    tp->tm_wday = (int) ((days % 7 + 11) % 7);

    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned) (z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = (int64_t) yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;

    if (m <= 2) {
        y++;
    }

    tp->tm_year = (int) (y - 1900);
    tp->tm_mon = (int) m - 1;
    tp->tm_mday = (int) d;
    tp->tm_yday = (int) (days - days_from_civil(y, 1, 1));
}


static u_char *
put_digits(u_char *p, unsigned v, unsigned n)
{
    u_char  *q;

    for (q = p + n; q > p; v /= 10) {
        *--q = (u_char) ('0' + v % 10);
    }

    return p + n;
}


/* "HH:MM:SS" */
static u_char *
put_clock(u_char *p, const struct tm *tm)
{
    p = put_digits(p, (unsigned) tm->tm_hour, 2);
    *p++ = ':';
    p = put_digits(p, (unsigned) tm->tm_min, 2);
    *p++ = ':';

    return put_digits(p, (unsigned) tm->tm_sec, 2);
}


/*
 * "Www, DD", sep, "Mon", sep, the year (two digits when short_year and
 * not past 2037), " HH:MM:SS GMT": the body of both HTTP date formats.
 */
static u_char *
http_date(u_char *p, time_t t, u_char sep, bool short_year)
{
    unsigned   year;
    struct tm  tm;

    pt_gmtime(t, &tm);

    year = (unsigned) (tm.tm_year + 1900) % 10000;

    p = pt_cpymem(p, week[tm.tm_wday], 3);
    *p++ = ',';
    *p++ = ' ';
    p = put_digits(p, (unsigned) tm.tm_mday, 2);
    *p++ = sep;
    p = pt_cpymem(p, months[tm.tm_mon], 3);
    *p++ = sep;

    if (short_year && year <= 2037) {
        p = put_digits(p, year % 100, 2);

    } else {
        p = put_digits(p, year, 4);
    }

    *p++ = ' ';
    p = put_clock(p, &tm);

    return pt_cpymem(p, " GMT", 4);
}


/* "Sat, 28 Nov 2026 23:05:01 GMT" (29 bytes) into buf; returns the end. */
u_char *
pt_http_time(u_char *buf, time_t t)
{
    /*
     * Last-Modified of a busy file formats the same second over and over:
     * keep the last one (workers are single-threaded).
     */
    static time_t  last_t = -1;
    static u_char  last[32];
    static size_t  last_len;

    if (t != last_t) {
        last_len = (size_t) (http_date(last, t, ' ', false) - last);
        last_t = t;
    }

    return pt_cpymem(buf, last, last_len);
}


/*
 * Cookie "expires" style: "Sat, 28-Nov-26 23:05:01 GMT" (27 bytes), with
 * a four-digit year past 2037 (29 bytes) as old clients misread two
 * digits there.  Returns the end.
 */
u_char *
pt_http_cookie_time(u_char *buf, time_t t)
{
    return http_date(buf, t, '-', true);
}


/* Parses exactly n digits at *pp into *v, advancing; false if not digits. */
static bool
parse_digits(const u_char **pp, const u_char *last, unsigned n, int *v)
{
    const u_char  *p;
    int            value;

    p = *pp;

    if ((size_t) (last - p) < n) {
        return false;
    }

    for (value = 0; n--; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }

        value = value * 10 + (*p - '0');
    }

    *pp = p;
    *v = value;

    return true;
}


static bool
parse_literal(const u_char **pp, const u_char *last, const char *lit)
{
    size_t  n;

    n = strlen(lit);

    if ((size_t) (last - *pp) < n || memcmp(*pp, lit, n) != 0) {
        return false;
    }

    *pp += n;

    return true;
}


/* Month "Jan".."Dec" (exact case, as the RFC demands) -> 0..11, or -1. */
static int
parse_month(const u_char **pp, const u_char *last)
{
    int  i;

    for (i = 0; i < 12; i++) {
        if (parse_literal(pp, last, months[i])) {
            return i;
        }
    }

    return -1;
}


static bool
parse_clock(const u_char **pp, const u_char *last, int *h, int *m, int *s)
{
    return parse_digits(pp, last, 2, h) && parse_literal(pp, last, ":")
           && parse_digits(pp, last, 2, m) && parse_literal(pp, last, ":")
           && parse_digits(pp, last, 2, s);
}


/*
 * Parses the three RFC 9110 date forms:
 *   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
 *   RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"
 *   asctime      "Sun Nov  6 08:49:37 1994"
 * Trailing whitespace is allowed, and so is a ';' tail (old browsers
 * send "; length=N" in If-Modified-Since).  The weekday is checked for
 * spelling only.  Returns the time, or -1 when malformed.
 */
time_t
pt_parse_http_time(const u_char *value, size_t len)
{
    int            i, day, month, year, hour, min, sec;
    size_t         n;
    const u_char  *p, *last, *q;
    static const unsigned  mdays[] = {
        31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    p = value;
    last = value + len;

    /* weekday, short or long */

    for (q = p; q < last && ((*q >= 'A' && *q <= 'Z')
                             || (*q >= 'a' && *q <= 'z')); q++)
    {
        /* void */
    }

    n = (size_t) (q - p);

    for (i = 0; i < 7; i++) {
        if ((n == 3 && memcmp(p, week[i], 3) == 0)
            || (n == strlen(week_long[i]) && memcmp(p, week_long[i], n) == 0))
        {
            break;
        }
    }

    if (i == 7) {
        return -1;
    }

    p = q;

    if (parse_literal(&p, last, ", ")) {

        if (n == 3) {
            /* IMF-fixdate */
            if (!parse_digits(&p, last, 2, &day)
                || !parse_literal(&p, last, " ")
                || (month = parse_month(&p, last)) < 0
                || !parse_literal(&p, last, " ")
                || !parse_digits(&p, last, 4, &year)
                || !parse_literal(&p, last, " ")
                || !parse_clock(&p, last, &hour, &min, &sec)
                || !parse_literal(&p, last, " GMT"))
            {
                return -1;
            }

        } else {
            /* RFC 850 */
            if (!parse_digits(&p, last, 2, &day)
                || !parse_literal(&p, last, "-")
                || (month = parse_month(&p, last)) < 0
                || !parse_literal(&p, last, "-")
                || !parse_digits(&p, last, 2, &year)
                || !parse_literal(&p, last, " ")
                || !parse_clock(&p, last, &hour, &min, &sec)
                || !parse_literal(&p, last, " GMT"))
            {
                return -1;
            }

            year += (year < 70) ? 2000 : 1900;
        }

    } else if (n == 3 && parse_literal(&p, last, " ")) {
        /* asctime: the day is space-padded */
        if ((month = parse_month(&p, last)) < 0
            || !parse_literal(&p, last, " "))
        {
            return -1;
        }

        if (p < last && *p == ' ') {
            p++;

            if (!parse_digits(&p, last, 1, &day)) {
                return -1;
            }

        } else if (!parse_digits(&p, last, 2, &day)) {
            return -1;
        }

        if (!parse_literal(&p, last, " ")
            || !parse_clock(&p, last, &hour, &min, &sec)
            || !parse_literal(&p, last, " ")
            || !parse_digits(&p, last, 4, &year))
        {
            return -1;
        }

    } else {
        return -1;
    }

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (p < last && *p != ';') {
        return -1;
    }

    if (day < 1 || (unsigned) day > mdays[month] || hour > 23 || min > 59
        || sec > 60 || year < 1970)
    {
        return -1;
    }

    if (month == 1 && day == 29
        && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
    {
        return -1;
    }

    if (sec == 60) {
        sec = 59;
    }

    return (time_t) (days_from_civil(year, (unsigned) month + 1,
                                     (unsigned) day) * 86400
                     + hour * 3600 + min * 60 + sec);
}
