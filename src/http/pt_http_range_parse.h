/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure parsing of the Range request header ("bytes=a-b,c-,-n"). */
#ifndef PT_HTTP_RANGE_PARSE_H
#define PT_HTTP_RANGE_PARSE_H

/* One satisfiable byte range: [start, end), end exclusive. */
typedef struct {
    off_t     start;
    off_t     end;
    pt_str_t  content_range;   /* filled by the range filter, not the parser */
} pt_http_range_t;

/* The parser's "answer 416" result (same value as the HTTP status). */
#define PT_HTTP_RANGE_UNSATISFIABLE  416

/*
 * Upper bound on the number of ranges value (len bytes) can hold: one more
 * than its commas.  Use it to size the array given to pt_http_range_parse.
 */
size_t pt_http_range_count(const u_char *value, size_t len);

/*
 * Parses a Range header value (len bytes, not NUL-terminated, starting with
 * "bytes=" in any case) against a representation of size bytes, storing at
 * most nalloc ranges into ranges and their number into *n.  With nginx's
 * rules: "a-b", "a-" and "-n" (suffix) specs separated by commas, blanks
 * allowed around them; end is clipped to size; a spec starting past the
 * end is skipped.  Returns
 *   PT_OK                        ranges hold *n >= 1 ranges;
 *   PT_DECLINED                  ignore the header and send the whole
 *                                representation (not "bytes=", more than
 *                                max_ranges ranges, ranges summing past
 *                                size, or a range starting at 0 that is
 *                                empty: an empty representation);
 *   PT_HTTP_RANGE_UNSATISFIABLE  malformed or no satisfiable range: 416.
 * Nothing is allocated; ranges[i].content_range is left untouched.
 */
int pt_http_range_parse(const u_char *value, size_t len, off_t size,
    size_t max_ranges, pt_http_range_t *ranges, size_t nalloc, size_t *n);

#endif /* PT_HTTP_RANGE_PARSE_H */
