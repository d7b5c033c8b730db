/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for splitting "$var" text into literal, variable and capture tokens. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_script.h"

#include <check.h>


/*
 * Tokenizes src and renders each token as "L(text)", "V(name)" or "C(n)",
 * or "E(reason)" at an error, into out.
 */
static const char *
render(const char *src)
{
    static char              out[512];
    pt_http_script_token_t   tok;
    pt_str_t                 text;
    const char              *err;
    size_t                   pos, n;
    int                      rc;

    text.data = (u_char *) src;
    text.len = strlen(src);
    pos = 0;
    n = 0;
    out[0] = '\0';

    for ( ;; ) {
        rc = pt_http_script_next(&text, &pos, &tok, &err);

        if (rc == PT_DONE) {
            break;
        }

        if (rc == PT_ERROR) {
            n += (size_t) snprintf(out + n, sizeof(out) - n, "E(%s)", err);
            break;
        }

        ck_assert_int_eq(rc, PT_OK);

        switch (tok.type) {
        case PT_HTTP_SCRIPT_LITERAL:
            n += (size_t) snprintf(out + n, sizeof(out) - n, "L(%.*s)",
                                   PT_STR_ARG(tok.text));
            break;
        case PT_HTTP_SCRIPT_VARIABLE:
            n += (size_t) snprintf(out + n, sizeof(out) - n, "V(%.*s)",
                                   PT_STR_ARG(tok.text));
            break;
        case PT_HTTP_SCRIPT_CAPTURE:
            n += (size_t) snprintf(out + n, sizeof(out) - n, "C(%u)",
                                   tok.capture);
            break;
        }
    }

    return out;
}


static int
count(const char *src)
{
    pt_str_t  text = { strlen(src), (u_char *) src };

    return pt_http_script_count(&text);
}


START_TEST(script_literals_and_variables)
{
    ck_assert_str_eq(render(""), "");
    ck_assert_str_eq(render("plain text"), "L(plain text)");
    ck_assert_str_eq(render("$uri"), "V(uri)");
    ck_assert_str_eq(render("$scheme://$host${uri}x"),
                     "V(scheme)L(://)V(host)V(uri)L(x)");
    ck_assert_str_eq(render("a$http_user_agent-b"),
                     "L(a)V(http_user_agent)L(-b)");
    ck_assert_str_eq(render("[$time_local] \"$request\""),
                     "L([)V(time_local)L(] \")V(request)L(\")");
    ck_assert_str_eq(render("$a$b"), "V(a)V(b)");
    ck_assert_str_eq(render("${a}b"), "V(a)L(b)");
    ck_assert_str_eq(render("$arg_X1"), "V(arg_X1)");
}
END_TEST


START_TEST(script_captures)
{
    ck_assert_str_eq(render("$1"), "C(1)");
    ck_assert_str_eq(render("/p/$1/$9x"), "L(/p/)C(1)L(/)C(9)L(x)");
    /* one digit only, as nginx: "$12" is capture 1 then "2" */
    ck_assert_str_eq(render("$12"), "C(1)L(2)");
    /* "$0" is not a capture: a variable named "0" */
    ck_assert_str_eq(render("$0"), "V(0)");
}
END_TEST


START_TEST(script_errors)
{
    ck_assert_str_eq(render("cost $"), "L(cost )E(invalid variable name)");
    ck_assert_str_eq(render("$ x"), "E(invalid variable name)");
    ck_assert_str_eq(render("${}"), "E(invalid variable name)");
    ck_assert_str_eq(render("${uri"),
                     "E(the closing bracket in variable is missing)");
    ck_assert_str_eq(render("${u-ri}"),
                     "E(the closing bracket in variable is missing)");
}
END_TEST


START_TEST(script_count)
{
    ck_assert_int_eq(count(""), 0);
    ck_assert_int_eq(count("text"), 0);
    ck_assert_int_eq(count("$a ${b} $1"), 3);
    ck_assert_int_eq(count("x$"), -1);
}
END_TEST


START_TEST(script_binary_safe)
{
    pt_http_script_token_t   tok;
    pt_str_t                 text = { 5, (u_char *) "a\0$bz" };
    const char              *err;
    size_t                   pos = 0;

    /* counted, not NUL-terminated: the NUL is part of the literal */
    ck_assert_int_eq(pt_http_script_next(&text, &pos, &tok, &err), PT_OK);
    ck_assert_uint_eq(tok.text.len, 2);
    ck_assert_int_eq(pt_http_script_next(&text, &pos, &tok, &err), PT_OK);
    ck_assert_int_eq(tok.type, PT_HTTP_SCRIPT_VARIABLE);
    ck_assert_uint_eq(tok.text.len, 2);
    ck_assert_uint_eq(pos, 5);

    /* and it never reads past len */
    text.len = 3;
    pos = 2;
    ck_assert_int_eq(pt_http_script_next(&text, &pos, &tok, &err), PT_ERROR);
}
END_TEST


/*
 * Parses the space-separated arguments of an `if` and renders the result:
 * "VAR(v)", "EQ(v,x)", "NE(v,x)", "RE(v,x)" with "!" and "*" flags,
 * "FILE(f,x)" with "!", or "INVALID(bad)" / "UNEXPECTED(bad)".
 */
static const char *
cond(const char *src)
{
    static char          out[256];
    static char          buf[256];
    pt_str_t             args[PT_CONF_MAX_ARGS];
    pt_http_cond_t       c;
    pt_http_cond_err_e   kind;
    pt_str_t             bad;
    size_t               n;
    char                *p, *save;

    snprintf(buf, sizeof(buf), "%s", src);
    n = 0;

    for (p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
        args[n].data = (u_char *) p;
        args[n].len = strlen(p);
        n++;
    }

    if (pt_http_script_parse_cond(args, n, &c, &kind, &bad) != PT_OK) {
        snprintf(out, sizeof(out), "%s(%.*s)",
                 kind == PT_HTTP_COND_ERR_INVALID ? "INVALID" : "UNEXPECTED",
                 PT_STR_ARG(bad));
        return out;
    }

    switch (c.type) {
    case PT_HTTP_COND_VAR:
        snprintf(out, sizeof(out), "VAR(%.*s)", PT_STR_ARG(c.var));
        break;
    case PT_HTTP_COND_EQ:
    case PT_HTTP_COND_NE:
        snprintf(out, sizeof(out), "%s(%.*s,%.*s)",
                 c.type == PT_HTTP_COND_EQ ? "EQ" : "NE", PT_STR_ARG(c.var),
                 PT_STR_ARG(c.operand));
        break;
    case PT_HTTP_COND_REGEX:
        snprintf(out, sizeof(out), "%sRE%s(%.*s,%.*s)", c.negative ? "!" : "",
                 c.caseless ? "*" : "", PT_STR_ARG(c.var),
                 PT_STR_ARG(c.operand));
        break;
    case PT_HTTP_COND_FILE:
        snprintf(out, sizeof(out), "%sFILE(%c,%.*s)", c.negative ? "!" : "",
                 c.file_op, PT_STR_ARG(c.operand));
        break;
    }

    return out;
}


START_TEST(cond_variable)
{
    ck_assert_str_eq(cond("($a)"), "VAR(a)");
    ck_assert_str_eq(cond("( $a )"), "VAR(a)");
    ck_assert_str_eq(cond("(${a_b})"), "VAR(a_b)");
    ck_assert_str_eq(cond("($)"), "INVALID($)");
}
END_TEST


START_TEST(cond_compare)
{
    ck_assert_str_eq(cond("($a = b)"), "EQ(a,b)");
    ck_assert_str_eq(cond("( $a = b )"), "EQ(a,b)");
    ck_assert_str_eq(cond("($a != $b)"), "NE(a,$b)");
    ck_assert_str_eq(cond("($a = ))"), "EQ(a,))");
    ck_assert_str_eq(cond("($a == b)"), "UNEXPECTED(==)");
    ck_assert_str_eq(cond("($a = b c)"), "INVALID($a)");
}
END_TEST


START_TEST(cond_regex)
{
    ck_assert_str_eq(cond("($uri ~ ^/a(b))"), "RE(uri,^/a(b))");
    ck_assert_str_eq(cond("($uri ~* x)"), "RE*(uri,x)");
    ck_assert_str_eq(cond("($uri !~ x)"), "!RE(uri,x)");
    ck_assert_str_eq(cond("($uri !~* x)"), "!RE*(uri,x)");
    ck_assert_str_eq(cond("($uri ~~ x)"), "UNEXPECTED(~~)");
}
END_TEST


START_TEST(cond_file)
{
    ck_assert_str_eq(cond("(-f $request_filename)"), "FILE(f,$request_filename)");
    ck_assert_str_eq(cond("( !-d /tmp )"), "!FILE(d,/tmp)");
    ck_assert_str_eq(cond("(-e x)"), "FILE(e,x)");
    ck_assert_str_eq(cond("(!-x x)"), "!FILE(x,x)");
    ck_assert_str_eq(cond("(-z x)"), "INVALID(-z)");
    ck_assert_str_eq(cond("(-f)"), "INVALID(-f)");
}
END_TEST


START_TEST(cond_brackets)
{
    ck_assert_str_eq(cond("$a"), "INVALID($a)");
    ck_assert_str_eq(cond("($a"), "INVALID($a)");
    ck_assert_str_eq(cond("()"), "INVALID())");
    ck_assert_str_eq(cond("( )"), "INVALID())");
    ck_assert_str_eq(cond("(a)"), "INVALID(a)");
}
END_TEST


Suite *
pt_suite_http_script(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("http_script");

    tc = tcase_create("pt_http_script_next");
    tcase_add_test(tc, script_literals_and_variables);
    tcase_add_test(tc, script_captures);
    tcase_add_test(tc, script_errors);
    tcase_add_test(tc, script_binary_safe);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_http_script_count");
    tcase_add_test(tc, script_count);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_http_script_parse_cond");
    tcase_add_test(tc, cond_variable);
    tcase_add_test(tc, cond_compare);
    tcase_add_test(tc, cond_regex);
    tcase_add_test(tc, cond_file);
    tcase_add_test(tc, cond_brackets);
    suite_add_tcase(s, tc);

    return s;
}
