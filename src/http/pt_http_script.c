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


/* "$name" or "${name}" into the bare name; false when s is not one. */
static bool
script_cond_var(const pt_str_t *s, pt_str_t *name)
{
    size_t  i;

    if (s->len < 2 || s->data[0] != '$') {
        return false;
    }

    name->data = s->data + 1;
    name->len = s->len - 1;

    if (name->data[0] == '{') {
        if (name->len < 3 || name->data[name->len - 1] != '}') {
            return false;
        }

        name->data++;
        name->len -= 2;
    }

    for (i = 0; i < name->len; i++) {
        if (!script_name_char(name->data[i])) {
            return false;
        }
    }

    return true;
}


/* The operator after "$var": = != ~ ~* !~ !~*; false when unknown. */
static bool
script_cond_op(const pt_str_t *op, pt_http_cond_t *cond)
{
    const u_char  *p = op->data;

    if (op->len == 1 && p[0] == '=') {
        cond->type = PT_HTTP_COND_EQ;
        return true;
    }

    if (op->len == 2 && p[0] == '!' && p[1] == '=') {
        cond->type = PT_HTTP_COND_NE;
        return true;
    }

    if (op->len >= 1 && p[0] == '!') {
        cond->negative = 1;
        p++;
    }

    if ((size_t) (p - op->data) + 1 == op->len && p[0] == '~') {
        cond->type = PT_HTTP_COND_REGEX;
        return true;
    }

    if ((size_t) (p - op->data) + 2 == op->len && p[0] == '~' && p[1] == '*') {
        cond->type = PT_HTTP_COND_REGEX;
        cond->caseless = 1;
        return true;
    }

    return false;
}


/* "-f" .. "!-x" into cond; false when op is no file test. */
static bool
script_cond_file(const pt_str_t *op, pt_http_cond_t *cond)
{
    const u_char  *p = op->data;
    size_t         len = op->len;

    if (len == 3 && p[0] == '!') {
        cond->negative = 1;
        p++;
        len--;
    }

    if (len != 2 || p[0] != '-') {
        return false;
    }

    if (p[1] != 'f' && p[1] != 'd' && p[1] != 'e' && p[1] != 'x') {
        return false;
    }

    cond->type = PT_HTTP_COND_FILE;
    cond->file_op = p[1];
    return true;
}


/* Parses the arguments of `if`; see the header. */
int
pt_http_script_parse_cond(const pt_str_t *args, size_t n,
    pt_http_cond_t *cond, pt_http_cond_err_e *kind, pt_str_t *bad)
{
    pt_str_t  v[PT_CONF_MAX_ARGS];
    size_t    cur, last, i;

    memset(cond, 0, sizeof(pt_http_cond_t));
    *kind = PT_HTTP_COND_ERR_INVALID;

    if (n == 0 || n > PT_CONF_MAX_ARGS) {
        pt_str_null(bad);
        return PT_ERROR;
    }

    for (i = 0; i < n; i++) {
        v[i] = args[i];
    }

    last = n - 1;
    *bad = v[0];

    if (v[0].len == 0 || v[0].data[0] != '(') {
        return PT_ERROR;
    }

    if (v[0].len == 1) {
        cur = 1;
    } else {
        cur = 0;
        v[0].data++;
        v[0].len--;
    }

    *bad = v[last];

    if (v[last].len == 0 || v[last].data[v[last].len - 1] != ')') {
        return PT_ERROR;
    }

    if (v[last].len == 1) {
        if (last == 0) {
            return PT_ERROR;
        }
        last--;
    } else {
        v[last].len--;
    }

    if (cur > last) {
        return PT_ERROR;
    }

    *bad = v[cur];

    if (v[cur].len > 1 && v[cur].data[0] == '$') {
        if (cur != last && cur + 2 != last) {
            return PT_ERROR;
        }

        if (!script_cond_var(&v[cur], &cond->var)) {
            return PT_ERROR;
        }

        if (cur == last) {
            cond->type = PT_HTTP_COND_VAR;
            return PT_OK;
        }

        *bad = v[cur + 1];

        if (!script_cond_op(&v[cur + 1], cond)) {
            *kind = PT_HTTP_COND_ERR_UNEXPECTED;
            return PT_ERROR;
        }

        cond->operand = v[last];
        return PT_OK;
    }

    if (cur + 1 == last && script_cond_file(&v[cur], cond)) {
        cond->operand = v[last];
        return PT_OK;
    }

    return PT_ERROR;
}
