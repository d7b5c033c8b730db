/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure splitting of config text with "$var", "${var}" and "$1" into tokens. */
#ifndef PT_HTTP_SCRIPT_H
#define PT_HTTP_SCRIPT_H

typedef enum {
    PT_HTTP_SCRIPT_LITERAL = 0,   /* text holds the bytes */
    PT_HTTP_SCRIPT_VARIABLE,      /* text holds the name, without '$' */
    PT_HTTP_SCRIPT_CAPTURE        /* capture holds 1..9 ("$1") */
} pt_http_script_token_e;

typedef struct {
    pt_http_script_token_e   type;
    pt_str_t                 text;     /* points into the source */
    unsigned                 capture;
} pt_http_script_token_t;

/*
 * Reads the token of text starting at *pos and advances *pos past it.
 * A literal runs up to the next '$'; "$name" takes [A-Za-z0-9_]+, "${name}"
 * anything up to '}', and "$1".."$9" (one digit) is a regex capture, as in
 * nginx (there is no escape for '$').  Returns PT_OK with tok filled,
 * PT_DONE when *pos is at the end of text, or PT_ERROR with *err set to a
 * static, lower-case reason ("invalid variable name", "the closing bracket
 * in variable is missing").  Nothing is allocated; text is not modified.
 */
int pt_http_script_next(const pt_str_t *text, size_t *pos,
    pt_http_script_token_t *tok, const char **err);

/* Number of variables and captures in text; -1 when text is malformed. */
int pt_http_script_count(const pt_str_t *text);

#endif /* PT_HTTP_SCRIPT_H */
