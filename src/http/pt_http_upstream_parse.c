/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure parsing of a backend's status line (headers reuse the request parser). */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_upstream_parse.h"


static bool
status_digit(u_char ch)
{
    return ch >= '0' && ch <= '9';
}


int
pt_http_parse_status_line(const u_char *buf, size_t len, pt_http_status_t *st)
{
    const u_char  *lf = memchr(buf, '\n', len);
    size_t         end;

    if (lf == NULL) {
        return PT_AGAIN;
    }

    end = (size_t) (lf - buf);
    st->line_end = end + 1;

    if (end > 0 && buf[end - 1] == '\r') {
        end--;
    }

    /* "HTTP/1.1 200" is the shortest valid line. */
    if (end < 12 || memcmp(buf, "HTTP/", 5) != 0 || !status_digit(buf[5])
        || buf[6] != '.' || !status_digit(buf[7]) || buf[8] != ' ')
    {
        return PT_ERROR;
    }

    st->http_major = buf[5] - '0';
    st->http_minor = buf[7] - '0';

    if (st->http_major != 1) {
        return PT_ERROR;
    }

    if (!status_digit(buf[9]) || !status_digit(buf[10])
        || !status_digit(buf[11]) || buf[9] == '0')
    {
        return PT_ERROR;
    }

    st->code = (unsigned) ((buf[9] - '0') * 100 + (buf[10] - '0') * 10
                           + (buf[11] - '0'));

    if (end > 12 && buf[12] != ' ') {
        return PT_ERROR;
    }

    st->reason_start = end > 12 ? 13 : 12;
    st->reason_end = end;

    for (size_t i = st->reason_start; i < end; i++) {
        if ((buf[i] < 0x20 && buf[i] != '\t') || buf[i] == 0x7f) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}
