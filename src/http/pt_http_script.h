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

/* The condition of `if (...)`, as nginx's rewrite module reads it. */
typedef enum {
    PT_HTTP_COND_VAR = 0,      /* ($v): true unless empty or "0" */
    PT_HTTP_COND_EQ,           /* ($v = text) */
    PT_HTTP_COND_NE,           /* ($v != text) */
    PT_HTTP_COND_REGEX,        /* ($v ~ re), ~*, !~, !~* */
    PT_HTTP_COND_FILE          /* (-f path), -d -e -x, and !-f ... */
} pt_http_cond_e;

typedef enum {
    PT_HTTP_COND_ERR_INVALID = 0,    /* invalid condition "bad" */
    PT_HTTP_COND_ERR_UNEXPECTED      /* unexpected "bad" in condition */
} pt_http_cond_err_e;

typedef struct {
    pt_http_cond_e   type;
    pt_str_t         var;        /* variable name, without '$' or braces */
    pt_str_t         operand;    /* text, regex or path (may hold $vars) */
    u_char           file_op;    /* 'f', 'd', 'e' or 'x' */
    unsigned         negative:1; /* !~, !~*, !-f ... */
    unsigned         caseless:1; /* ~*, !~* */
} pt_http_cond_t;

/*
 * Parses the n arguments of `if` after its name ("($a", "=", "b)" or
 * "(", "-f", "$x", ")") into cond; strings point into args, which are not
 * modified.  Returns PT_OK, or PT_ERROR with *kind and *bad (the offending
 * argument) set for the message.  Nothing is allocated.
 */
int pt_http_script_parse_cond(const pt_str_t *args, size_t n,
    pt_http_cond_t *cond, pt_http_cond_err_e *kind, pt_str_t *bad);

#endif /* PT_HTTP_SCRIPT_H */
