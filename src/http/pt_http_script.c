/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure splitting of config text with "$var", "${var}" and "$1" into tokens. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_script.h"


static bool
script_name_char(u_char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
           || (ch >= '0' && ch <= '9') || ch == '_';
}


/* Tokenizes text at *pos; see the header for the grammar. */
int
pt_http_script_next(const pt_str_t *text, size_t *pos,
    pt_http_script_token_t *tok, const char **err)
{
    size_t   i, start;
    bool     bracket;
    u_char  *p;

    i = *pos;
    p = text->data;

    if (i >= text->len) {
        return PT_DONE;
    }

    if (p[i] != '$') {
        start = i;

        while (i < text->len && p[i] != '$') {
            i++;
        }

        tok->type = PT_HTTP_SCRIPT_LITERAL;
        tok->text.data = p + start;
        tok->text.len = i - start;
        tok->capture = 0;
        *pos = i;
        return PT_OK;
    }

    i++;                                   /* '$' */

    if (i < text->len && p[i] >= '1' && p[i] <= '9') {
        tok->type = PT_HTTP_SCRIPT_CAPTURE;
        tok->text.data = p + i - 1;
        tok->text.len = 2;
        tok->capture = p[i] - '0';
        *pos = i + 1;
        return PT_OK;
    }

    bracket = false;

    if (i < text->len && p[i] == '{') {
        bracket = true;
        i++;
    }

    start = i;

    while (i < text->len && script_name_char(p[i])) {
        i++;
    }

    if (i == start) {
        *err = "invalid variable name";
        return PT_ERROR;
    }

    tok->type = PT_HTTP_SCRIPT_VARIABLE;
    tok->text.data = p + start;
    tok->text.len = i - start;
    tok->capture = 0;

    if (bracket) {
        if (i >= text->len || p[i] != '}') {
            *err = "the closing bracket in variable is missing";
            return PT_ERROR;
        }

        i++;
    }

    *pos = i;
    return PT_OK;
}


/* Counts the variables and captures of text; -1 when malformed. */
int
pt_http_script_count(const pt_str_t *text)
{
    pt_http_script_token_t   tok;
    const char              *err;
    size_t                   pos;
    int                      n, rc;

    n = 0;
    pos = 0;

    for ( ;; ) {
        rc = pt_http_script_next(text, &pos, &tok, &err);

        if (rc == PT_DONE) {
            return n;
        }

        if (rc == PT_ERROR) {
            return -1;
        }

        if (tok.type != PT_HTTP_SCRIPT_LITERAL) {
            n++;
        }
    }
}
