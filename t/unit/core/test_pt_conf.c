/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the config tokenizer, error wording and table setters. */
#include "pt_config.h"
#include "pt_core.h"

#include <check.h>
#include <ftw.h>

/*
 * The tokenizer is driven through pt_conf_parse() with a cf->handler (the
 * hook `types { }` uses): every statement reaches the handler with its
 * words in cf->args, so the words can be checked without any module.
 * Errors go to a log written to a file in a temporary folder.
 */

static pt_pool_t        *pool;
static pt_cycle_t        cycle;
static pt_conf_t         cf;
static pt_open_file_t    log_file;
static pt_log_t          log_;
static char              dir[64];
static char              words[4096];     /* "[w1][w2];[w3];" */
static size_t            nwords;
static char              errbuf[2048];
static pt_conf_file_t    fake_file;


static int
collect(pt_conf_t *c, void *data)
{
    pt_str_t  *a = c->args->elts;

    for (size_t i = 0; i < c->args->nelts; i++) {
        nwords += (size_t) snprintf(words + nwords, sizeof(words) - nwords,
                                    "[%.*s]", PT_STR_ARG(a[i]));
    }

    nwords += (size_t) snprintf(words + nwords, sizeof(words) - nwords, ";");
    return PT_OK;
}


static void
setup(void)
{
    char  path[128];

    strcpy(dir, "/tmp/pt_conf_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));

    pool = pt_create_pool(4096, NULL);
    ck_assert_ptr_nonnull(pool);

    pt_time_init();
    pt_use_stderr = false;

    snprintf(path, sizeof(path), "%s/err.log", dir);
    log_file.fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ck_assert_int_ne(log_file.fd, -1);
    log_.log_level = PT_LOG_NOTICE;
    log_.file = &log_file;

    memset(&cycle, 0, sizeof(cycle));
    cycle.pool = pool;
    cycle.log = &log_;
    ck_assert_int_eq(pt_array_init(&cycle.config_dump, pool, 4,
                                   sizeof(pt_conf_dump_t)), PT_OK);

    memset(&cf, 0, sizeof(cf));
    cf.cycle = &cycle;
    cf.pool = pool;
    cf.log = &log_;
    cf.ctx_type = PT_MAIN;
    cf.args = pt_array_create(pool, 10, sizeof(pt_str_t));
    ck_assert_ptr_nonnull(cf.args);
    cf.handler = collect;

    fake_file.name.data = (u_char *) "t.conf";
    fake_file.name.len = 6;
    fake_file.line = 3;

    nwords = 0;
    words[0] = '\0';
}


static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}


static void
teardown(void)
{
    close(log_file.fd);
    pt_destroy_pool(pool);
    pool = NULL;
    pt_use_stderr = true;
    (void) nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}


/* The message of the first [level] line logged since the last clear. */
static const char *
logged(const char *level)
{
    char     buf[8192], tag[16], *p, *e;
    ssize_t  n;

    n = pread(log_file.fd, buf, sizeof(buf) - 1, 0);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';

    snprintf(tag, sizeof(tag), "[%s] ", level);
    p = strstr(buf, tag);
    if (p == NULL) {
        return "";
    }

    /* "YYYY/MM/DD HH:MM:SS [emerg] PID#TID: message" */
    p = strstr(p, ": ");
    ck_assert_ptr_nonnull(p);
    p += 2;
    e = strchr(p, '\n');
    snprintf(errbuf, sizeof(errbuf), "%.*s", (int) (e ? e - p : (long) strlen(p)),
             p);
    return errbuf;
}


static const char *
conf_error(void)
{
    return logged("emerg");
}


static void
clear(void)
{
    ck_assert_int_eq(ftruncate(log_file.fd, 0), 0);
    nwords = 0;
    words[0] = '\0';
}


static char *
write_conf(const char *name, const char *text)
{
    static char  path[256];
    int          fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ne(fd, -1);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);

    return path;
}


/* Tokenizes text as the file t.conf: PT_OK or PT_ERROR. */
static int
tokens(const char *text)
{
    pt_str_t  name;

    clear();

    name.data = (u_char *) write_conf("t.conf", text);
    name.len = strlen((char *) name.data);
    name.data = pt_pstrdup(cf.pool, &name);

    return pt_conf_parse(&cf, &name);
}


/* Tokenizes text as a -g parameter. */
static int
param(const char *text)
{
    pt_str_t  s = { strlen(text), (u_char *) text };

    clear();
    return pt_conf_parse_string(&cf, &s);
}


/* Asserts the first emerg message, "@F" standing for the t.conf path. */
#define assert_error(expect)                                                 \
    do {                                                                     \
        char        e_[1024], *o_ = e_;                                      \
        const char *s_ = (expect);                                           \
        while (*s_ && o_ < e_ + sizeof(e_) - 80) {                           \
            if (s_[0] == '@' && s_[1] == 'F') {                              \
                o_ += sprintf(o_, "%s/t.conf", dir);                         \
                s_ += 2;                                                     \
            } else {                                                         \
                *o_++ = *s_++;                                               \
            }                                                                \
        }                                                                    \
        *o_ = '\0';                                                          \
        ck_assert_str_eq(conf_error(), e_);                                  \
    } while (0)


/* --- words ----------------------------------------------------------------- */

START_TEST(plain_words_and_comments)
{
    ck_assert_int_eq(tokens("a b;\n"
                            "# a comment ; { } \" '\n"
                            "c  d\t e ; # trailing comment\n"
                            "f#g h#;\n"
                            "  #\n"
                            "i;# no newline at the end"), PT_OK);
    ck_assert_str_eq(words, "[a][b];[c][d][e];[f#g][h#];[i];");
    ck_assert_str_eq(conf_error(), "");

    ck_assert_int_eq(tokens(""), PT_OK);
    ck_assert_str_eq(words, "");

    ck_assert_int_eq(tokens("# only a comment"), PT_OK);
    ck_assert_str_eq(words, "");

    /* Statements may share lines and span them. */
    ck_assert_int_eq(tokens("a;b;\nc\nd\n;"), PT_OK);
    ck_assert_str_eq(words, "[a];[b];[c][d];");

    /* CR LF line ends are white space. */
    ck_assert_int_eq(tokens("a b;\r\nc;\r\n"), PT_OK);
    ck_assert_str_eq(words, "[a][b];[c];");
}
END_TEST


START_TEST(quoted_words)
{
    ck_assert_int_eq(tokens("a \"b c\" 'd e' \"\" '';"), PT_OK);
    ck_assert_str_eq(words, "[a][b c][d e][][];");

    /* Each quote hides the other kind, and the config specials. */
    ck_assert_int_eq(tokens("a 'say \"hi\"' \"it's\" \"x;{}#y\";"), PT_OK);
    ck_assert_str_eq(words, "[a][say \"hi\"][it's][x;{}#y];");

    /* A quote inside a word is an ordinary character. */
    ck_assert_int_eq(tokens("a b\"c\" d'e;"), PT_OK);
    ck_assert_str_eq(words, "[a][b\"c\"][d'e];");

    /* A quoted word may span lines; the newline is kept. */
    ck_assert_int_eq(tokens("a \"x\ny\";"), PT_OK);
    ck_assert_str_eq(words, "[a][x\ny];");

    /* Quoted words may end right at ; { } */
    ck_assert_int_eq(tokens("a \"b\";c 'd';"), PT_OK);
    ck_assert_str_eq(words, "[a][b];[c][d];");
}
END_TEST


START_TEST(escapes)
{
    ck_assert_int_eq(tokens("a \"q\\\"q\" 'q\\'q' \"b\\\\s\" \"t\\tx\" "
                            "\"n\\nx\" \"r\\rx\";"), PT_OK);
    ck_assert_str_eq(words, "[a][q\"q][q'q][b\\s][t\tx][n\nx][r\rx];");

    /* Unknown escapes stay as written. */
    ck_assert_int_eq(tokens("a \"k\\qk\" '\\$x';"), PT_OK);
    ck_assert_str_eq(words, "[a][k\\qk][\\$x];");

    /* Unquoted words unescape too, and \; \{ do not end them. */
    ck_assert_int_eq(tokens("a b\\\"c d\\'e f\\\\g h\\ti x\\;y z\\{;"), PT_OK);
    ck_assert_str_eq(words, "[a][b\"c][d'e][f\\g][h\ti][x\\;y][z\\{];");

    /* An escaped quote does not close the word. */
    ck_assert_int_eq(tokens("a 'it\\'s; fine' \"say \\\"x\\\";\";"), PT_OK);
    ck_assert_str_eq(words, "[a][it's; fine][say \"x\";];");
}
END_TEST


START_TEST(variable_braces)
{
    /* "{" right after "$" belongs to the word, and so does its "}". */
    ck_assert_int_eq(tokens("set $a ${host}x a${b}c \"${d}\" ${e};"), PT_OK);
    ck_assert_str_eq(words, "[set][$a][${host}x][a${b}c][${d}][${e}];");

    ck_assert_int_eq(tokens("a ${x}${y};"), PT_OK);
    ck_assert_str_eq(words, "[a][${x}${y}];");

    /* Without "$", "{" ends the word and starts a block. */
    ck_assert_int_eq(tokens("a b{"), PT_ERROR);
    ck_assert_str_eq(words, "");
    assert_error("unexpected \"{\" in @F:1");
}
END_TEST


/* --- errors and line numbers ---------------------------------------------- */

START_TEST(unexpected_characters)
{
    ck_assert_int_eq(tokens("a;\n}\n"), PT_ERROR);
    assert_error("unexpected \"}\" in @F:2");

    ck_assert_int_eq(tokens("a;\n\n  ;\n"), PT_ERROR);
    assert_error("unexpected \";\" in @F:3");

    ck_assert_int_eq(tokens("\n{\n"), PT_ERROR);
    assert_error("unexpected \"{\" in @F:2");

    /* "}" may not end a statement that has words. */
    ck_assert_int_eq(tokens("a b }"), PT_ERROR);
    assert_error("unexpected \"}\" in @F:1");

    /* After a quoted word: white space, ";", "{" or "}" only. */
    ck_assert_int_eq(tokens("a\n\"b\"c;"), PT_ERROR);
    assert_error("unexpected \"c\" in @F:2");

    ck_assert_int_eq(tokens("a 'b'#c;"), PT_ERROR);
    assert_error("unexpected \"#\" in @F:1");

    ck_assert_int_eq(tokens("a 'b'\"c\";"), PT_ERROR);
    assert_error("unexpected \"\"\" in @F:1");

    ck_assert_int_eq(tokens("a \"b\"}"), PT_ERROR);
    assert_error("unexpected \"}\" in @F:1");

    /* Inside a handler block (types { }), "{" is refused. */
    ck_assert_int_eq(tokens("a;\nb {\n"), PT_ERROR);
    ck_assert_str_eq(words, "[a];");
    assert_error("unexpected \"{\" in @F:2");
}
END_TEST


START_TEST(unexpected_end_of_file)
{
    ck_assert_int_eq(tokens("a;\nb c"), PT_ERROR);
    assert_error("unexpected end of file, expecting \";\" or \"}\" in @F:2");

    /* The line is where the file ended: after its last newline. */
    ck_assert_int_eq(tokens("a;\nb c\n"), PT_ERROR);
    assert_error("unexpected end of file, expecting \";\" or \"}\" in @F:3");

    ck_assert_int_eq(tokens("a # comment ;\n"), PT_ERROR);
    assert_error("unexpected end of file, expecting \";\" or \"}\" in @F:2");

    /* A quote left open. */
    ck_assert_int_eq(tokens("a \"bc;\n\nd"), PT_ERROR);
    assert_error("unexpected end of file, expecting \";\" or \"}\" in @F:3");

    ck_assert_int_eq(tokens("a 'x;"), PT_ERROR);
    assert_error("unexpected end of file, expecting \";\" or \"}\" in @F:1");

    ck_assert_int_eq(tokens("a 'x\\'"), PT_ERROR);
    assert_error("unexpected end of file, expecting \";\" or \"}\" in @F:1");

    ck_assert_int_eq(tokens("a \""), PT_ERROR);
    assert_error("unexpected end of file, expecting \";\" or \"}\" in @F:1");
}
END_TEST


START_TEST(line_numbers)
{
    /* Comments, quoted newlines and escaped newlines in quotes all count. */
    ck_assert_int_eq(tokens("# c1\n"
                            "# c2\n"
                            "a \"x\n"
                            "y\" 'p\n"
                            "q';\n"
                            "b \"m\\\n"
                            "n\";\n"
                            "\n"
                            "}\n"), PT_ERROR);
    ck_assert_str_eq(words, "[a][x\ny][p\nq];[b][m\\\nn];");
    assert_error("unexpected \"}\" in @F:9");

    ck_assert_int_eq(tokens("a;\r\nb;\r\n}"), PT_ERROR);
    assert_error("unexpected \"}\" in @F:3");
}
END_TEST


/*
 * Regression ("line count after backslash-newline"): in an unquoted
 * word, conf_read_word() skips "\\" and the character after it without
 * counting a newline, so every later error names a line one too low.
 * nginx counts every LF it reads.
 */
START_TEST(line_numbers_escaped_newline_in_word)
{
    ck_assert_int_eq(tokens("a x\\\ny;\n}"), PT_ERROR);
    ck_assert_str_eq(words, "[a][x\\\ny];");
    assert_error("unexpected \"}\" in @F:3");
}
END_TEST


/*
 * Regression ("\"}\" ends unquoted words"): nginx ends an unquoted
 * word only at white space, ";" or "{"; a "}" inside a word is kept
 * ("return 200 a}b;").  conf_read_word() ends the word at "}" (outside
 * "${...}"), so the statement fails with unexpected "}".
 */
START_TEST(brace_inside_word)
{
    ck_assert_int_eq(tokens("a b}c;\nd}};"), PT_OK);
    ck_assert_str_eq(words, "[a][b}c];[d}}];");
}
END_TEST


/*
 * Regression ("\")\" after a quoted word"): nginx lets ")" follow a
 * closing quote, as in `if ($a = "b") { ... }`, and makes ")" the next
 * word.  conf_read_quoted() rejects it with unexpected ")".
 */
START_TEST(paren_after_quote)
{
    ck_assert_int_eq(tokens("if ($a = \"b\");"), PT_OK);
    ck_assert_str_eq(words, "[if][($a][=][b][)];");
}
END_TEST


/* --- -g ------------------------------------------------------------------- */

START_TEST(param_string)
{
    ck_assert_int_eq(param("daemon off; worker_processes  2;"), PT_OK);
    ck_assert_str_eq(words, "[daemon][off];[worker_processes][2];");

    ck_assert_int_eq(param("pid \"/tmp/a b.pid\";"), PT_OK);
    ck_assert_str_eq(words, "[pid][/tmp/a b.pid];");

    ck_assert_int_eq(param(""), PT_OK);
    ck_assert_str_eq(words, "");

    /* The file name in messages is "command line". */
    ck_assert_int_eq(param("a; }"), PT_ERROR);
    ck_assert_str_eq(words, "[a];");
    ck_assert(strncmp(conf_error(), "unexpected \"}\" in command line",
                      sizeof("unexpected \"}\" in command line") - 1) == 0);

    ck_assert_int_eq(param("daemon off"), PT_ERROR);
    ck_assert(strncmp(conf_error(), "unexpected end of ",
                      sizeof("unexpected end of ") - 1) == 0);

    /* pt_conf_parse_string leaves cf->file as it found it. */
    ck_assert_ptr_null(cf.file);
}
END_TEST


/*
 * Regression ("-g messages"): nginx words -g errors without a line
 * ("... in command line") and says "unexpected end of parameter,
 * expecting \";\"" when -g ends mid-statement; Portico appends ":1" and
 * uses the file wording.
 */
START_TEST(param_string_nginx_wording)
{
    ck_assert_int_eq(param("a; }"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "unexpected \"}\" in command line");

    ck_assert_int_eq(param("daemon off"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "unexpected end of parameter, expecting "
                     "\";\" in command line");
}
END_TEST


/* --- pt_conf_error, pt_conf_log, pt_conf_full_name ----------------------- */

START_TEST(error_and_log)
{
    clear();
    ck_assert_int_eq(pt_conf_error(&cf, "bad %s %d", "thing", 7), PT_ERROR);
    ck_assert_str_eq(conf_error(), "bad thing 7");

    clear();
    cf.file = &fake_file;
    ck_assert_int_eq(pt_conf_error(&cf, "bad"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "bad in t.conf:3");

    clear();
    pt_conf_log(&cf, PT_LOG_WARN, ENOENT, "open() \"%s\" failed", "x");
    ck_assert_str_eq(logged("warn"), "open() \"x\" failed (2: No such file "
                     "or directory) in t.conf:3");
    ck_assert_str_eq(conf_error(), "");

    /* Below the log's level: nothing is written. */
    clear();
    pt_conf_log(&cf, PT_LOG_INFO, 0, "quiet");
    ck_assert_str_eq(logged("info"), "");
}
END_TEST


START_TEST(full_name)
{
    pt_str_t  n;

    pt_str_set(&cycle.prefix, "/srv/portico/");
    pt_str_set(&cycle.conf_prefix, "/etc/portico/");

    pt_str_set(&n, "mime.types");
    ck_assert_int_eq(pt_conf_full_name(&cf, &n, true), PT_OK);
    ck_assert_int_eq(n.len, sizeof("/etc/portico/mime.types") - 1);
    ck_assert_str_eq((char *) n.data, "/etc/portico/mime.types");

    pt_str_set(&n, "logs/error.log");
    ck_assert_int_eq(pt_conf_full_name(&cf, &n, false), PT_OK);
    ck_assert_str_eq((char *) n.data, "/srv/portico/logs/error.log");

    pt_str_set(&n, "/abs/path");
    ck_assert_int_eq(pt_conf_full_name(&cf, &n, true), PT_OK);
    ck_assert_str_eq((char *) n.data, "/abs/path");
}
END_TEST


/* --- files ---------------------------------------------------------------- */

START_TEST(missing_and_odd_files)
{
    pt_str_t  name;
    char      path[128], expect[512];

    clear();
    snprintf(path, sizeof(path), "%s/none.conf", dir);
    name.data = (u_char *) path;
    name.len = strlen(path);
    ck_assert_int_eq(pt_conf_parse(&cf, &name), PT_ERROR);
    snprintf(expect, sizeof(expect), "open() \"%s\" failed (2: No such file "
             "or directory)", path);
    ck_assert_str_eq(conf_error(), expect);

    /* The message names the including file when there is one. */
    clear();
    cf.file = &fake_file;
    ck_assert_int_eq(pt_conf_parse(&cf, &name), PT_ERROR);
    ck_assert_ptr_eq(cf.file, &fake_file);
    snprintf(expect, sizeof(expect), "open() \"%s\" failed (2: No such file "
             "or directory) in t.conf:3", path);
    ck_assert_str_eq(conf_error(), expect);

    /* A folder is not a config file (the tail: see folder_errno). */
    clear();
    cf.file = NULL;
    name.data = (u_char *) dir;
    name.len = strlen(dir);
    ck_assert_int_eq(pt_conf_parse(&cf, &name), PT_ERROR);
    snprintf(expect, sizeof(expect), "\"%s\" is not a regular file", dir);
    ck_assert(strncmp(conf_error(), expect, strlen(expect)) == 0);
}
END_TEST


/*
 * Regression ("stale errno"): conf_read_file() reports a file that
 * opens and stats fine but is not regular with whatever errno was left
 * over (here ENOENT from the open() before), so the message ends in a
 * false "(2: No such file or directory)".  No errno belongs there.
 */
START_TEST(folder_errno)
{
    pt_str_t  name;
    char      expect[512];
    int       fd;

    clear();
    errno = 0;
    fd = open("/nonexistent/pt_conf", O_RDONLY);      /* sets ENOENT */
    ck_assert_int_eq(fd, -1);
    name.data = (u_char *) dir;
    name.len = strlen(dir);
    ck_assert_int_eq(pt_conf_parse(&cf, &name), PT_ERROR);
    snprintf(expect, sizeof(expect), "\"%s\" is not a regular file", dir);
    ck_assert_str_eq(conf_error(), expect);
}
END_TEST


/* Each file parsed is kept once for -T, in the order first read. */
START_TEST(config_dump)
{
    pt_conf_dump_t  *d;

    ck_assert_int_eq(tokens("a;"), PT_OK);
    ck_assert_int_eq(tokens("b;"), PT_OK);

    ck_assert_uint_eq(cycle.config_dump.nelts, 1);
    d = cycle.config_dump.elts;
    ck_assert_uint_eq(d[0].content.len, 2);
    ck_assert_int_eq(memcmp(d[0].content.data, "a;", 2), 0);
}
END_TEST


/* --- the table setters and init/merge, on a module of the test's own ----- */

typedef struct {
    int         flag;
    int         num;
    size_t      size;
    pt_msec_t   msec;
    time_t      sec;
    pt_str_t    str;
    pt_str_t    str_nodef;
    int         en;
    int         loc_only;
    int         custom;
} test_conf_t;

static const pt_conf_enum_t  test_levels[] = {
    { "low", 1 }, { "high", 2 }, { NULL, 0 }
};

static int
test_custom(pt_conf_t *c, const pt_command_t *cmd, void *conf)
{
    return PT_OK;
}

static const pt_command_t  test_commands[] = {
    { .name = "t_flag", .ctx = PT_MAIN, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_MAIN_FIELD(test_conf_t, flag),
      .def.flag = 1 },
    { .name = "t_num", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_num, .field = PT_MAIN_FIELD(test_conf_t, num),
      .def.i = 7, .min = 2, .max = 100 },
    { .name = "t_size", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_size, .field = PT_MAIN_FIELD(test_conf_t, size),
      .def.size = 4096, .min = 512 },
    { .name = "t_msec", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec, .field = PT_MAIN_FIELD(test_conf_t, msec),
      .def.msec = 60000 },
    { .name = "t_sec", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_sec, .field = PT_MAIN_FIELD(test_conf_t, sec),
      .def.sec = 30 },
    { .name = "t_str", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_str, .field = PT_MAIN_FIELD(test_conf_t, str),
      .def.str = "dflt" },
    { .name = "t_str_nodef", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_str, .field = PT_MAIN_FIELD(test_conf_t, str_nodef) },
    { .name = "t_enum", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_enum, .field = PT_MAIN_FIELD(test_conf_t, en),
      .def.i = 1, .values = test_levels },
    { .name = "t_loc", .ctx = PT_HTTP_LOC, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_num, .field = PT_LOC_FIELD(test_conf_t, loc_only),
      .def.i = 5 },
    { .name = "t_custom", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = test_custom, .field = PT_MAIN_FIELD(test_conf_t, custom) },
    PT_COMMAND_END
};

static pt_module_t  test_module = {
    .name = "test_conf_module",
    .type = PT_CORE_MODULE,
    .commands = test_commands,
};


static const pt_command_t *
test_cmd(const char *name)
{
    for (const pt_command_t *c = test_commands; c->name; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }

    ck_abort_msg("no command %s", name);
    return NULL;
}


/* Runs the setter of directive name with one argument value. */
static int
set(test_conf_t *conf, const char *name, const char *value)
{
    pt_str_t  *a;

    clear();
    cf.file = &fake_file;
    cf.args->nelts = 0;

    a = pt_array_push(cf.args);
    a->data = (u_char *) name;
    a->len = strlen(name);
    a = pt_array_push(cf.args);
    a->data = (u_char *) value;
    a->len = strlen(value);

    return test_cmd(name)->set(&cf, test_cmd(name), conf);
}


static void
init_conf(test_conf_t *conf)
{
    memset(conf, 0, sizeof(*conf));
    pt_conf_init_fields(&test_module, PT_CONF_MAIN, conf);
}


START_TEST(init_fields_marks_unset)
{
    test_conf_t  c;

    init_conf(&c);

    ck_assert_int_eq(c.flag, PT_CONF_UNSET);
    ck_assert_int_eq(c.num, PT_CONF_UNSET);
    ck_assert(c.size == PT_CONF_UNSET_SIZE);
    ck_assert(c.msec == PT_CONF_UNSET_MSEC);
    ck_assert(c.sec == (time_t) PT_CONF_UNSET);
    ck_assert_ptr_null(c.str.data);
    ck_assert_ptr_null(c.str_nodef.data);
    ck_assert_int_eq(c.en, PT_CONF_UNSET);

    /* Other levels' fields, and custom setters' fields, are left alone. */
    ck_assert_int_eq(c.loc_only, 0);
    ck_assert_int_eq(c.custom, 0);

    memset(&c, 0, sizeof(c));
    pt_conf_init_fields(&test_module, PT_CONF_LOC, &c);
    ck_assert_int_eq(c.loc_only, PT_CONF_UNSET);
    ck_assert_int_eq(c.flag, 0);
}
END_TEST


START_TEST(merge_fields_defaults_and_parent)
{
    test_conf_t  parent, child;

    /* No parent: the table defaults. */
    init_conf(&parent);
    ck_assert_int_eq(pt_conf_merge_fields(&test_module, PT_CONF_MAIN, NULL,
                                          &parent), PT_OK);
    ck_assert_int_eq(parent.flag, 1);
    ck_assert_int_eq(parent.num, 7);
    ck_assert_uint_eq(parent.size, 4096);
    ck_assert_uint_eq(parent.msec, 60000);
    ck_assert_int_eq(parent.sec, 30);
    ck_assert_int_eq(parent.str.len, 4);
    ck_assert_int_eq(memcmp(parent.str.data, "dflt", 4), 0);
    ck_assert_ptr_nonnull(parent.str_nodef.data);     /* "", not NULL */
    ck_assert_uint_eq(parent.str_nodef.len, 0);
    ck_assert_int_eq(parent.en, 1);
    ck_assert_int_eq(parent.loc_only, 0);

    /* A child takes what it did not set from its parent. */
    init_conf(&parent);
    ck_assert_int_eq(set(&parent, "t_flag", "off"), PT_OK);
    ck_assert_int_eq(set(&parent, "t_num", "42"), PT_OK);
    ck_assert_int_eq(set(&parent, "t_str", "p"), PT_OK);
    ck_assert_int_eq(pt_conf_merge_fields(&test_module, PT_CONF_MAIN, NULL,
                                          &parent), PT_OK);

    init_conf(&child);
    ck_assert_int_eq(set(&child, "t_num", "9"), PT_OK);
    ck_assert_int_eq(set(&child, "t_msec", "2s"), PT_OK);
    ck_assert_int_eq(pt_conf_merge_fields(&test_module, PT_CONF_MAIN, &parent,
                                          &child), PT_OK);

    ck_assert_int_eq(child.flag, 0);          /* parent */
    ck_assert_int_eq(child.num, 9);           /* own */
    ck_assert_uint_eq(child.msec, 2000);      /* own */
    ck_assert_uint_eq(child.size, 4096);      /* parent's default */
    ck_assert_int_eq(child.str.len, 1);
    ck_assert_int_eq(child.str.data[0], 'p');

    /* An explicit "off" / 0 is a value, not "unset". */
    init_conf(&child);
    ck_assert_int_eq(set(&child, "t_flag", "on"), PT_OK);
    parent.flag = 0;
    pt_conf_merge_fields(&test_module, PT_CONF_MAIN, &parent, &child);
    ck_assert_int_eq(child.flag, 1);
}
END_TEST


START_TEST(set_flag)
{
    test_conf_t  c;

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_flag", "on"), PT_OK);
    ck_assert_int_eq(c.flag, 1);

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_flag", "OFF"), PT_OK);
    ck_assert_int_eq(c.flag, 0);

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_flag", "On"), PT_OK);
    ck_assert_int_eq(c.flag, 1);

    ck_assert_int_eq(set(&c, "t_flag", "off"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_flag\" directive is duplicate in "
                     "t.conf:3");
    ck_assert_int_eq(c.flag, 1);

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_flag", "yes"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "invalid value \"yes\" in \"t_flag\" "
                     "directive, it must be \"on\" or \"off\" in t.conf:3");

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_flag", "1"), PT_ERROR);
    ck_assert_int_eq(set(&c, "t_flag", "onn"), PT_ERROR);
    ck_assert_int_eq(set(&c, "t_flag", ""), PT_ERROR);
}
END_TEST


START_TEST(set_num)
{
    test_conf_t  c;

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_num", "42"), PT_OK);
    ck_assert_int_eq(c.num, 42);
    ck_assert_int_eq(set(&c, "t_num", "43"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_num\" directive is duplicate in "
                     "t.conf:3");

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_num", "100"), PT_OK);
    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_num", "2"), PT_OK);

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_num", "1"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_num\" must be between 2 and 100 in "
                     "t.conf:3");

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_num", "101"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_num\" must be between 2 and 100 in "
                     "t.conf:3");

    /* Not numbers (the exact wording: see num_nginx_wording). */
    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_num", "abc"), PT_ERROR);
    ck_assert_int_eq(set(&c, "t_num", "-5"), PT_ERROR);
    ck_assert_int_eq(set(&c, "t_num", "5k"), PT_ERROR);
    ck_assert_int_eq(set(&c, "t_num", ""), PT_ERROR);
    ck_assert_int_eq(set(&c, "t_num", "99999999999999999999"), PT_ERROR);
    ck_assert_int_eq(c.num, PT_CONF_UNSET);
}
END_TEST


/*
 * Regression ("set_num wording"): nginx's ngx_conf_set_num_slot
 * says "invalid number" ("keepalive_requests" directive invalid number);
 * pt_conf_set_num says "invalid value".
 */
START_TEST(num_nginx_wording)
{
    test_conf_t  c;

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_num", "abc"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_num\" directive invalid number in "
                     "t.conf:3");
}
END_TEST


START_TEST(set_size)
{
    test_conf_t  c;

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_size", "8k"), PT_OK);
    ck_assert_uint_eq(c.size, 8192);
    ck_assert_int_eq(set(&c, "t_size", "8k"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_size\" directive is duplicate in "
                     "t.conf:3");

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_size", "1M"), PT_OK);
    ck_assert_uint_eq(c.size, 1048576);

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_size", "512"), PT_OK);
    ck_assert_uint_eq(c.size, 512);

    static const char  *bad[] = { "10x", "1mb", "k", "", "-1", "1 k", "1.5m" };

    for (size_t i = 0; i < pt_nelts(bad); i++) {
        init_conf(&c);
        ck_assert_int_eq(set(&c, "t_size", bad[i]), PT_ERROR);
        ck_assert_str_eq(conf_error(), "\"t_size\" directive invalid value in "
                         "t.conf:3");
    }

    /* min without max. */
    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_size", "511"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_size\" must be at least 512 in "
                     "t.conf:3");
}
END_TEST


START_TEST(set_times)
{
    test_conf_t  c;

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_msec", "500ms"), PT_OK);
    ck_assert_uint_eq(c.msec, 500);

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_msec", "75"), PT_OK);      /* seconds */
    ck_assert_uint_eq(c.msec, 75000);

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_msec", "1m 30s"), PT_OK);
    ck_assert_uint_eq(c.msec, 90000);
    ck_assert_int_eq(set(&c, "t_msec", "1s"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_msec\" directive is duplicate in "
                     "t.conf:3");

    static const char  *bad[] = { "5q", "-1", "", "s", "1h 2h", "30s 1m" };

    for (size_t i = 0; i < pt_nelts(bad); i++) {
        init_conf(&c);
        ck_assert_int_eq(set(&c, "t_msec", bad[i]), PT_ERROR);
        ck_assert_str_eq(conf_error(), "\"t_msec\" directive invalid value in "
                         "t.conf:3");
    }

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_sec", "1h"), PT_OK);
    ck_assert_int_eq(c.sec, 3600);

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_sec", "2d 1"), PT_OK);
    ck_assert_int_eq(c.sec, 172801);

    /* Seconds directives take no milliseconds. */
    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_sec", "500ms"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_sec\" directive invalid value in "
                     "t.conf:3");
}
END_TEST


START_TEST(set_str_enum_ignored)
{
    test_conf_t  c;

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_str", ""), PT_OK);
    ck_assert_ptr_nonnull(c.str.data);
    ck_assert_uint_eq(c.str.len, 0);
    /* Even an empty string counts as set. */
    ck_assert_int_eq(set(&c, "t_str", "x"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_str\" directive is duplicate in "
                     "t.conf:3");

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_enum", "HIGH"), PT_OK);
    ck_assert_int_eq(c.en, 2);
    ck_assert_int_eq(set(&c, "t_enum", "low"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "\"t_enum\" directive is duplicate in "
                     "t.conf:3");

    init_conf(&c);
    ck_assert_int_eq(set(&c, "t_enum", "mid"), PT_ERROR);
    ck_assert_str_eq(conf_error(), "invalid value \"mid\" in t.conf:3");
    ck_assert_int_eq(c.en, PT_CONF_UNSET);

    ck_assert_int_eq(pt_conf_set_ignored(&cf, test_cmd("t_custom"), &c), PT_OK);
}
END_TEST


Suite *
pt_suite_conf(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("conf");

    tc = tcase_create("tokens");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, plain_words_and_comments);
    tcase_add_test(tc, quoted_words);
    tcase_add_test(tc, escapes);
    tcase_add_test(tc, variable_braces);
    tcase_add_test(tc, brace_inside_word);
    tcase_add_test(tc, paren_after_quote);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unexpected_characters);
    tcase_add_test(tc, unexpected_end_of_file);
    tcase_add_test(tc, line_numbers);
    tcase_add_test(tc, line_numbers_escaped_newline_in_word);
    tcase_add_test(tc, error_and_log);
    tcase_add_test(tc, full_name);
    tcase_add_test(tc, missing_and_odd_files);
    tcase_add_test(tc, folder_errno);
    tcase_add_test(tc, config_dump);
    suite_add_tcase(s, tc);

    tc = tcase_create("param");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, param_string);
    tcase_add_test(tc, param_string_nginx_wording);
    suite_add_tcase(s, tc);

    tc = tcase_create("setters");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, init_fields_marks_unset);
    tcase_add_test(tc, merge_fields_defaults_and_parent);
    tcase_add_test(tc, set_flag);
    tcase_add_test(tc, set_num);
    tcase_add_test(tc, num_nginx_wording);
    tcase_add_test(tc, set_size);
    tcase_add_test(tc, set_times);
    tcase_add_test(tc, set_str_enum_ignored);
    suite_add_tcase(s, tc);

    return s;
}
