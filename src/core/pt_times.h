/* SPDX-License-Identifier: BSD-2-Clause */
/* The cached time: updated once per loop turn, read everywhere. */
#ifndef PT_TIMES_H
#define PT_TIMES_H

typedef struct {
    time_t     sec;
    unsigned   msec;
} pt_time_t;

extern volatile pt_msec_t  pt_current_msec;   /* monotonic milliseconds */
extern volatile pt_time_t *pt_cached_time;     /* wall clock */
extern pt_str_t  pt_cached_err_log_time;      /* 2026/11/28 23:05:01 */
extern pt_str_t  pt_cached_http_time;         /* Sat, 28 Nov 2026 23:05:01 GMT */
extern pt_str_t  pt_cached_http_log_time;     /* 28/Nov/2026:23:05:01 +0000 */
extern pt_str_t  pt_cached_http_log_iso8601;  /* 2026-11-28T23:05:01+00:00 */

#define pt_time()  pt_cached_time->sec

/* Initialises and updates the cache; call once per event loop turn. */
void pt_time_init(void);
void pt_time_update(void);

/* Formats t as an IMF-fixdate (29 bytes) into buf; returns the end. */
u_char *pt_http_time(u_char *buf, time_t t);

/* Formats t as "Sat, 28-Nov-26 23:05:01 GMT" cookie style; returns the end. */
u_char *pt_http_cookie_time(u_char *buf, time_t t);

/*
 * Parses an HTTP date (IMF-fixdate, RFC 850 or asctime).  Returns the time,
 * or -1 when malformed.
 */
time_t pt_parse_http_time(const u_char *value, size_t len);

/* gmtime_r over time_t without locale or TZ surprises. */
void pt_gmtime(time_t t, struct tm *tp);

#endif /* PT_TIMES_H */
