/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for whole configs: dispatch, errors, include, -g, inheritance. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

#include <check.h>
#include <ftw.h>

/*
 * Each test writes a config into a fresh folder under /tmp and builds a
 * cycle from it with pt_cycle_init(), as `portico -p DIR/ -c DIR/main.conf
 * -e DIR/err.log` would.  Config errors are read back from err.log.
 *
 * Process-global state: the events module remembers an "events { }" seen
 * until its init_conf runs, which a failed parse never reaches (see
 * events_flag_after_failure).  Check forks each test, and teardown resets
 * the flag for CK_FORK=no runs.
 */

typedef pt_http_core_loc_conf_t  loc_t;

static char              dir[64];
static char              conf_path[128];
static char              err_path[128];
static char              errbuf[2048];
static pt_cycle_args_t   args;
static pt_cycle_t       *made[64];      /* freed by teardown (LeakSanitizer) */
static size_t            nmade;


static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}


static char *
path_of(const char *name)
{
    static char  path[4][256];
    static int   n;

    n = (n + 1) % 4;
    snprintf(path[n], sizeof(path[n]), "%s/%s", dir, name);
    return path[n];
}


/* Writes DIR/name, creating its folder when name has one. */
static void
write_file(const char *name, const char *text)
{
    char  *path = path_of(name), *slash;
    int    fd;

    slash = strrchr(path, '/');
    if (slash && slash > path + strlen(dir)) {
        *slash = '\0';
        (void) mkdir(path, 0755);
        *slash = '/';
    }

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ne(fd, -1);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
}


static void
setup(void)
{
    strcpy(dir, "/tmp/pt_conf_engine_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));

    pt_modules_init();
    pt_time_init();
    pt_use_stderr = false;

    snprintf(conf_path, sizeof(conf_path), "%s/main.conf", dir);
    snprintf(err_path, sizeof(err_path), "%s/err.log", dir);

    args.prefix.len = strlen(dir) + 1;
    args.prefix.data = (u_char *) strdup(path_of(""));
    args.conf_file.len = strlen(conf_path);
    args.conf_file.data = (u_char *) conf_path;
    args.error_log.len = strlen(err_path);
    args.error_log.data = (u_char *) err_path;
    args.conf_param.len = 0;
    args.conf_param.data = NULL;

    ck_assert_int_eq(pt_log_open_default(&args.error_log), PT_OK);

    /* The access log's default place. */
    ck_assert_int_eq(mkdir(path_of("logs"), 0755), 0);
}


/*
 * Forgets an "events { }" left seen by a failed parse: a config without
 * one then succeeds (and resets the flag) or fails (the flag was clear).
 */
static void
events_reset(void)
{
    pt_cycle_args_t  a = args;
    pt_cycle_t      *cycle;

    write_file("reset.conf", "# nothing\n");
    a.conf_file.data = (u_char *) strdup(path_of("reset.conf"));
    a.conf_file.len = strlen((char *) a.conf_file.data);
    a.conf_param.len = 0;

    cycle = pt_cycle_init(&a, pt_log_init());
    if (cycle) {
        pt_destroy_pool(cycle->pool);
    }

    free(a.conf_file.data);
}


static void
teardown(void)
{
    while (nmade) {
        pt_destroy_pool(made[--nmade]->pool);
    }

    events_reset();
    pt_use_stderr = true;
    free(args.prefix.data);
    (void) nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}


/*
 * Builds a cycle from text as DIR/main.conf and -g param (NULL: none),
 * with the events flag as the previous build left it.
 */
static pt_cycle_t *
cycle_raw(const char *text, const char *param)
{
    pt_cycle_t  *cycle;

    write_file("main.conf", text);
    ck_assert_int_eq(truncate(err_path, 0), 0);

    args.conf_param.data = (u_char *) param;
    args.conf_param.len = param ? strlen(param) : 0;

    cycle = pt_cycle_init(&args, pt_log_init());
    if (cycle && nmade < sizeof(made) / sizeof(made[0])) {
        made[nmade++] = cycle;
    }

    return cycle;
}


/* The same, as if in a new process (see events_flag_after_failure). */
static pt_cycle_t *
cycle_from(const char *text, const char *param)
{
    events_reset();
    return cycle_raw(text, param);
}


/* The first [emerg] message logged since cycle_from(). */
static const char *
conf_error(void)
{
    char     buf[8192], *p, *e;
    ssize_t  n;
    int      fd;

    fd = open(err_path, O_RDONLY);
    ck_assert_int_ne(fd, -1);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';

    p = strstr(buf, "[emerg] ");
    if (p == NULL) {
        return "";
    }

    p = strstr(p, ": ");
    ck_assert_ptr_nonnull(p);
    p += 2;
    e = strchr(p, '\n');
    snprintf(errbuf, sizeof(errbuf), "%.*s",
             (int) (e ? e - p : (long) strlen(p)), p);
    return errbuf;
}


/* expect with "@F" replaced by DIR/main.conf and "@D" by DIR. */
static const char *
expand(const char *expect)
{
    static char  out[1024];
    char        *o = out;

    while (*expect && o < out + sizeof(out) - 80) {
        if (expect[0] == '@' && expect[1] == 'F') {
            o += sprintf(o, "%s", conf_path);
            expect += 2;
        } else if (expect[0] == '@' && expect[1] == 'D') {
            o += sprintf(o, "%s", dir);
            expect += 2;
        } else {
            *o++ = *expect++;
        }
    }

    *o = '\0';
    return out;
}

#define assert_error(expect)  ck_assert_str_eq(conf_error(), expand(expect))

#define assert_error_prefix(expect)                                          \
    ck_assert_msg(strncmp(conf_error(), expect, strlen(expect)) == 0,        \
                  "error \"%s\" does not start with \"%s\"", errbuf, expect)


/* --- the parsed cycle ------------------------------------------------------ */

static pt_http_conf_ctx_t *
http_ctx(pt_cycle_t *cycle)
{
    ck_assert_ptr_nonnull(cycle->http_ctx);
    return cycle->http_ctx;
}


static loc_t *
http_loc(pt_cycle_t *cycle)
{
    return http_ctx(cycle)->loc_conf[pt_http_core_module.ctx_index];
}


static pt_http_core_srv_conf_t *
server(pt_cycle_t *cycle, size_t i)
{
    pt_http_core_main_conf_t   *cmcf;
    pt_http_core_srv_conf_t   **s;

    cmcf = http_ctx(cycle)->main_conf[pt_http_core_module.ctx_index];
    ck_assert_uint_gt(cmcf->servers.nelts, i);
    s = cmcf->servers.elts;
    return s[i];
}


static size_t
nservers(pt_cycle_t *cycle)
{
    pt_http_core_main_conf_t  *cmcf;

    cmcf = http_ctx(cycle)->main_conf[pt_http_core_module.ctx_index];
    return cmcf->servers.nelts;
}


static loc_t *
server_loc(pt_cycle_t *cycle, size_t i)
{
    return server(cycle, i)->ctx->loc_conf[pt_http_core_module.ctx_index];
}


/* The location named name directly inside parent. */
static loc_t *
sub(loc_t *parent, const char *name)
{
    loc_t  **l;

    ck_assert_ptr_nonnull(parent->locations);
    l = parent->locations->elts;

    for (size_t i = 0; i < parent->locations->nelts; i++) {
        if (l[i]->name.len == strlen(name)
            && memcmp(l[i]->name.data, name, l[i]->name.len) == 0)
        {
            return l[i];
        }
    }

    ck_abort_msg("no location %s", name);
    return NULL;
}


static bool
str_is(const pt_str_t *s, const char *text)
{
    return s->len == strlen(text) && memcmp(s->data, text, s->len) == 0;
}


/* --- whole configs ------------------------------------------------------- */

START_TEST(minimal_config_and_main_defaults)
{
    pt_cycle_t      *cycle;
    pt_core_conf_t  *ccf;

    cycle = cycle_from("events {}\n", NULL);
    ck_assert_ptr_nonnull(cycle);
    ck_assert_str_eq(conf_error(), "");
    ck_assert_ptr_null(cycle->http_ctx);

    ccf = pt_core_conf(cycle);
    ck_assert_int_eq(ccf->daemon, 1);
    ck_assert_int_eq(ccf->master, 1);
    ck_assert_int_eq(ccf->worker_processes, 1);
    ck_assert_int_eq(ccf->rlimit_nofile, 0);
    ck_assert_uint_eq(ccf->shutdown_timeout, 0);
    ck_assert_str_eq((char *) ccf->pid.data, expand("@D/" PT_PID_PATH));

    /* The conf folder is that of the conf file. */
    ck_assert(str_is(&cycle->conf_prefix, expand("@D/")));

}
END_TEST


START_TEST(main_directives)
{
    pt_cycle_t      *cycle;
    pt_core_conf_t  *ccf;

    cycle = cycle_from("# main level\n"
                       "daemon off;\n"
                       "master_process OFF;\n"
                       "worker_processes 3;\n"
                       "pid 'run/p.pid';\n"
                       "worker_rlimit_nofile 4096;\n"
                       "worker_shutdown_timeout '1m 5s';\n"
                       "events {\n"
                       "    worker_connections 64;\n"
                       "    multi_accept on;\n"
                       "    use epoll;\n"
                       "}\n", NULL);
    ck_assert_msg(cycle != NULL, "%s", conf_error());

    ccf = pt_core_conf(cycle);
    ck_assert_int_eq(ccf->daemon, 0);
    ck_assert_int_eq(ccf->master, 0);
    ck_assert_int_eq(ccf->worker_processes, 3);
    ck_assert_int_eq(ccf->rlimit_nofile, 4096);
    ck_assert_uint_eq(ccf->shutdown_timeout, 65000);
    ck_assert_str_eq((char *) ccf->pid.data, expand("@D/run/p.pid"));

    /* worker_processes auto: one per CPU. */
    cycle = cycle_from("worker_processes auto;\nevents {}\n", NULL);
    ck_assert_ptr_nonnull(cycle);
    ck_assert_int_ge(pt_core_conf(cycle)->worker_processes, 1);
}
END_TEST


START_TEST(no_events_section)
{
    ck_assert_ptr_null(cycle_from("daemon off;\n", NULL));
    assert_error("no \"events\" section in configuration");
}
END_TEST


/*
 * Configs that must fail, and nginx's message.  "@F" is the path of
 * main.conf, "@D" the folder; inc (optional) is written as DIR/inc.conf.
 */
static const struct {
    const char  *conf;
    const char  *error;
    const char  *inc;
} bad_configs[] = {

    /* stray punctuation */
    { "events {}\n}\n", "unexpected \"}\" in @F:2", NULL },
    { "events {}\n{\n}\n", "unexpected \"{\" in @F:2", NULL },
    { "events {}\n\n;\n", "unexpected \";\" in @F:3", NULL },
    { "events {};\n", "unexpected \";\" in @F:1", NULL },
    { "events {\n    worker_connections 10 }\n",
      "unexpected \"}\" in @F:2", NULL },

    /* end of file */
    { "events {\n", "unexpected end of file, expecting \"}\" in @F:2", NULL },
    { "events {}\nhttp {\n  server {\n    location / {\n    }\n  }\n",
      "unexpected end of file, expecting \"}\" in @F:7", NULL },
    { "events {}\ndaemon off",
      "unexpected end of file, expecting \";\" or \"}\" in @F:2", NULL },
    { "events {}\npid \"logs/x.pid;\n",
      "unexpected end of file, expecting \";\" or \"}\" in @F:3", NULL },
    { "events {}\npid 'logs/x.pid\n\n",
      "unexpected end of file, expecting \";\" or \"}\" in @F:4", NULL },

    /* dispatch */
    { "events {}\nfoo bar;\n", "unknown directive \"foo\" in @F:2", NULL },
    { "events {}\n\"daemon\" off;\nfoo;\n",
      "unknown directive \"foo\" in @F:3", NULL },
    { "events {}\nDaemon off;\n", "unknown directive \"Daemon\" in @F:2",
      NULL },
    { "events {}\nhttp {\n    listen 80;\n}\n",
      "\"listen\" directive is not allowed here in @F:3", NULL },
    { "worker_connections 10;\nevents {}\n",
      "\"worker_connections\" directive is not allowed here in @F:1", NULL },
    { "events {\n    daemon on;\n}\n",
      "\"daemon\" directive is not allowed here in @F:2", NULL },
    { "events {}\nsend_timeout 1s;\n",
      "\"send_timeout\" directive is not allowed here in @F:2", NULL },
    { "events {}\nhttp {\n    server {\n        server {\n",
      "\"server\" directive is not allowed here in @F:4", NULL },
    { "events {}\nhttp {\n    location / {}\n}\n",
      "\"location\" directive is not allowed here in @F:3", NULL },
    { "events {}\nhttp {\n    server {\n        location / {\n"
      "            client_header_timeout 5s;\n",
      "\"client_header_timeout\" directive is not allowed here in @F:5", NULL },

    /* argument counts */
    { "daemon;\nevents {}\n",
      "invalid number of arguments in \"daemon\" directive in @F:1", NULL },
    { "daemon on off;\nevents {}\n",
      "invalid number of arguments in \"daemon\" directive in @F:1", NULL },
    { "worker_processes;\n",
      "invalid number of arguments in \"worker_processes\" directive in @F:1",
      NULL },
    { "events x {}\n",
      "invalid number of arguments in \"events\" directive in @F:1", NULL },
    { "events {}\nhttp {\n    keepalive_timeout 1 2 3;\n}\n",
      "invalid number of arguments in \"keepalive_timeout\" directive in @F:3",
      NULL },
    { "events {}\nhttp {\n    server {\n        location {\n",
      "invalid number of arguments in \"location\" directive in @F:4", NULL },
    { "events {}\nhttp {\n    server {\n        location = / x {\n",
      "invalid number of arguments in \"location\" directive in @F:4", NULL },
    { "events {}\nhttp {\n    server {\n        listen;\n",
      "invalid number of arguments in \"listen\" directive in @F:4", NULL },
    { "events {}\nhttp {\n    error_page 404;\n}\n",
      "invalid number of arguments in \"error_page\" directive in @F:3", NULL },
    { "events {}\nhttp {\n    server {\n        location / {\n"
      "            internal x;\n",
      "invalid number of arguments in \"internal\" directive in @F:5", NULL },
    { "events {}\nworker_shutdown_timeout 10 s;\n",
      "invalid number of arguments in \"worker_shutdown_timeout\" directive "
      "in @F:2", NULL },
    { "include;\n",
      "invalid number of arguments in \"include\" directive in @F:1", NULL },

    /* duplicates */
    { "daemon on;\ndaemon off;\nevents {}\n",
      "\"daemon\" directive is duplicate in @F:2", NULL },
    { "events {}\nworker_processes 1;\nworker_processes 2;\n",
      "\"worker_processes\" directive is duplicate in @F:3", NULL },
    { "events {}\npid a.pid;\npid b.pid;\n",
      "\"pid\" directive is duplicate in @F:3", NULL },
    { "events {}\nevents {}\n", "\"events\" directive is duplicate in @F:2",
      NULL },
    { "events {}\nhttp {}\nhttp {}\n", "\"http\" directive is duplicate in @F:3",
      NULL },
    { "events {\n    worker_connections 10;\n    worker_connections 20;\n}\n",
      "\"worker_connections\" directive is duplicate in @F:3", NULL },
    { "events {}\nhttp {\n    send_timeout 1s;\n    send_timeout 2s;\n}\n",
      "\"send_timeout\" directive is duplicate in @F:4", NULL },
    { "events {}\nhttp {\n    keepalive_timeout 1s;\n"
      "    keepalive_timeout 2s;\n}\n",
      "\"keepalive_timeout\" directive is duplicate in @F:4", NULL },
    { "events {}\nhttp {\n    server {\n        client_header_timeout 1s;\n"
      "        client_header_timeout 1s;\n",
      "\"client_header_timeout\" directive is duplicate in @F:5", NULL },
    { "events {}\nhttp {\n    server {\n        location / {\n"
      "            default_type a/b;\n            default_type c/d;\n",
      "\"default_type\" directive is duplicate in @F:6", NULL },
    { "events {}\nhttp {\n    server {\n        location / {\n"
      "            internal;\n            internal;\n",
      "\"internal\" directive is duplicate in @F:6", NULL },

    /* flags */
    { "daemon bad;\nevents {}\n",
      "invalid value \"bad\" in \"daemon\" directive, it must be \"on\" or "
      "\"off\" in @F:1", NULL },
    { "events {}\nmaster_process 1;\n",
      "invalid value \"1\" in \"master_process\" directive, it must be \"on\" "
      "or \"off\" in @F:2", NULL },
    { "events {}\nhttp {\n    sendfile yes;\n}\n",
      "invalid value \"yes\" in \"sendfile\" directive, it must be \"on\" or "
      "\"off\" in @F:3", NULL },

    /* numbers, sizes, times, enums */
    { "events {}\nhttp {\n    client_max_body_size 10x;\n}\n",
      "\"client_max_body_size\" directive invalid value in @F:3", NULL },
    { "events {}\nhttp {\n    client_max_body_size 1mb;\n}\n",
      "\"client_max_body_size\" directive invalid value in @F:3", NULL },
    { "events {}\nhttp {\n    send_timeout 5q;\n}\n",
      "\"send_timeout\" directive invalid value in @F:3", NULL },
    { "events {}\nhttp {\n    keepalive_timeout 75x;\n}\n",
      "\"keepalive_timeout\" directive invalid value in @F:3", NULL },
    { "events {}\nhttp {\n    keepalive_timeout 75s 10ms;\n}\n",
      "\"keepalive_timeout\" directive invalid value in @F:3", NULL },
    { "events {}\nworker_shutdown_timeout 1x;\n",
      "\"worker_shutdown_timeout\" directive invalid value in @F:2", NULL },
    { "events {}\nworker_processes none;\n",
      "\"worker_processes\" directive invalid value in @F:2", NULL },
    { "events {}\nhttp {\n    lingering_close maybe;\n}\n",
      "invalid value \"maybe\" in @F:3", NULL },
    { "events {\n    use select;\n}\n", "invalid value \"select\" in @F:2",
      NULL },
    { "events {\n    worker_connections 1;\n}\n",
      "\"worker_connections\" must be between 2 and 1048576 in @F:2", NULL },
    { "events {}\nworker_rlimit_nofile 0;\n",
      "\"worker_rlimit_nofile\" must be between 1 and 1048576 in @F:2", NULL },
    { "events {}\nhttp {\n    client_header_buffer_size 10;\n}\n",
      "\"client_header_buffer_size\" must be between 64 and 1048576 in @F:3",
      NULL },

    /* blocks */
    { "events;\n", "directive \"events\" has no opening \"{\" in @F:1", NULL },
    { "events {}\nhttp;\n", "directive \"http\" has no opening \"{\" in @F:2",
      NULL },
    { "events {}\nhttp {\n    server\n    ;\n}\n",
      "directive \"server\" has no opening \"{\" in @F:4", NULL },
    { "events {}\nhttp {\n    server {\n        location /;\n",
      "directive \"location\" has no opening \"{\" in @F:4", NULL },
    { "events {}\nhttp {\n    types;\n}\n",
      "directive \"types\" has no opening \"{\" in @F:3", NULL },
    { "daemon on {\n}\nevents {}\n",
      "directive \"daemon\" is not terminated by \";\" in @F:1", NULL },
    { "events {\n    worker_connections 10 {\n",
      "directive \"worker_connections\" is not terminated by \";\" in @F:2",
      NULL },
    { "events {}\nhttp {\n    sendfile on {\n",
      "directive \"sendfile\" is not terminated by \";\" in @F:3", NULL },
    { "events {}\ninclude inc.conf {\n",
      "directive \"include\" is not terminated by \";\" in @F:2", NULL },
    { "events {}\nhttp {\n    types {\n        text/html html {\n",
      "unexpected \"{\" in @F:4", NULL },

    /* nested locations */
    { "events {}\nhttp {\n    server {\n        location /a {\n"
      "            location /b {\n",
      "location \"/b\" is outside location \"/a\" in @F:5", NULL },
    { "events {}\nhttp {\n    server {\n        location = /a {\n"
      "            location /a/b {\n",
      "location \"/a/b\" cannot be inside the exact location \"/a\" in @F:5",
      NULL },
    { "events {}\nhttp {\n    server {\n        location /a {\n"
      "            location @n {\n",
      "named location \"@n\" can be on the server level only in @F:5", NULL },

    /* include */
    { "events {}\ninclude missing.conf;\n",
      "open() \"@D/missing.conf\" failed (2: No such file or directory) "
      "in @F:2", NULL },
    { "events {}\nhttp {\n    include missing/*.conf;\n"
      "    include nothing.conf;\n}\n",
      "open() \"@D/nothing.conf\" failed (2: No such file or directory) "
      "in @F:4", NULL },
    { "events {}\ninclude inc.conf;\n", "unknown directive \"bogus\" in "
      "@D/inc.conf:3", "daemon off;\n\nbogus;\n" },
    { "events {}\ninclude inc.conf;\nbogus;\n",
      "unknown directive \"bogus\" in @F:3", "daemon off;\n" },
    { "events {}\ninclude inc.conf;\ndaemon on;\n",
      "\"daemon\" directive is duplicate in @F:3", "daemon off;\n" },
    { "events {}\nhttp {\n    include inc.conf;\n}\n",
      "unexpected \"}\" in @D/inc.conf:2", "server {}\n}\n" },
    { "events {}\nhttp {\n    include inc.conf;\n}\n",
      "unexpected end of file, expecting \"}\" in @D/inc.conf:2",
      "server {\n" },
    { "events {}\nhttp {\n    include inc.conf;\n}\n",
      "\"daemon\" directive is not allowed here in @D/inc.conf:1",
      "daemon off;\n" },
    { "events {}\ninclude inc.conf;\n",
      "unexpected end of file, expecting \";\" or \"}\" in @D/inc.conf:1",
      "daemon 'off;" },
};


START_TEST(bad_config)
{
    const char  *conf = bad_configs[_i].conf;

    if (bad_configs[_i].inc) {
        write_file("inc.conf", bad_configs[_i].inc);
    }

    ck_assert_msg(cycle_from(conf, NULL) == NULL, "config #%d accepted", _i);
    ck_assert_msg(strcmp(conf_error(), expand(bad_configs[_i].error)) == 0,
                  "config #%d:\n%s\nerror:    %s\nexpected: %s", _i, conf,
                  errbuf, expand(bad_configs[_i].error));
}
END_TEST


/* --- include ---------------------------------------------------------------- */

START_TEST(include_glob_in_order)
{
    pt_cycle_t      *cycle;
    pt_log_t        *l;
    pt_core_conf_t  *ccf;

    /* Written out of order: the glob reads them sorted by name. */
    write_file("servers/20-a.conf", "server { server_name a; }\n");
    write_file("servers/05-c.conf", "server {\n    server_name c;\n}\n");
    write_file("servers/10-b.conf", "server { server_name b; }\n"
                                    "# the second one in this file\n"
                                    "server { server_name b2; }\n");
    write_file("servers/10-b.conf.off", "bogus;\n");

    write_file("logs.d/2.conf", "error_log two.log;\n");
    write_file("logs.d/1.conf", "error_log one.log info;\n");
    write_file("logs.d/3.conf", "error_log stderr;\n");

    cycle = cycle_from("events {}\n"
                       "include logs.d/*.conf;\n"
                       "include nothing/*.conf;\n"
                       "include logs.d/*.none;\n"
                       "http {\n"
                       "    include servers/*.conf;\n"
                       "    include servers/*.none;\n"
                       "}\n", NULL);
    ck_assert_msg(cycle != NULL, "%s", conf_error());

    ck_assert_uint_eq(nservers(cycle), 4);
    ck_assert(str_is(&server(cycle, 0)->server_name, "c"));
    ck_assert(str_is(&server(cycle, 1)->server_name, "b"));
    ck_assert(str_is(&server(cycle, 2)->server_name, "b2"));
    ck_assert(str_is(&server(cycle, 3)->server_name, "a"));

    /* The block's position in its file, for later messages. */
    ck_assert(str_is(&server(cycle, 0)->file_name,
                     expand("@D/servers/05-c.conf")));
    ck_assert_uint_eq(server(cycle, 0)->line, 1);
    ck_assert_uint_eq(server(cycle, 2)->line, 3);

    ccf = pt_core_conf(cycle);
    l = ccf->error_log;
    ck_assert_ptr_nonnull(l);
    ck_assert(str_is(&l->file->name, expand("@D/one.log")));
    ck_assert_uint_eq(l->log_level, PT_LOG_INFO);
    l = l->next;
    ck_assert_ptr_nonnull(l);
    ck_assert(str_is(&l->file->name, expand("@D/two.log")));
    ck_assert_uint_eq(l->log_level, PT_LOG_ERR);
    l = l->next;
    ck_assert_ptr_nonnull(l);
    ck_assert(l->file->is_stderr);
    ck_assert_ptr_null(l->next);

    /* -T: every file once, in the order read. */
    pt_conf_dump_t  *d = cycle->config_dump.elts;

    ck_assert_uint_eq(cycle->config_dump.nelts, 7);
    ck_assert(str_is(&d[0].name, conf_path));
    ck_assert(str_is(&d[1].name, expand("@D/logs.d/1.conf")));
    ck_assert(str_is(&d[4].name, expand("@D/servers/05-c.conf")));
    ck_assert(str_is(&d[6].name, expand("@D/servers/20-a.conf")));
    ck_assert_uint_eq(d[1].content.len, sizeof("error_log one.log info;\n") - 1);
}
END_TEST


START_TEST(include_relative_to_conf_folder)
{
    pt_cycle_t  *cycle;

    /* main.conf in DIR/conf/, prefix DIR/: include looks in DIR/conf/. */
    write_file("conf/main.conf", "events {}\ninclude inc.conf;\n"
                                 "include inc.conf;\n");
    write_file("conf/inc.conf", "# included twice, recorded once\n");
    write_file("inc.conf", "bogus;\n");

    snprintf(conf_path, sizeof(conf_path), "%s/conf/main.conf", dir);
    args.conf_file.len = strlen(conf_path);
    ck_assert_int_eq(truncate(err_path, 0), 0);

    cycle = pt_cycle_init(&args, pt_log_init());
    ck_assert_msg(cycle != NULL, "%s", conf_error());
    made[nmade++] = cycle;
    ck_assert(str_is(&cycle->conf_prefix, expand("@D/conf/")));
    ck_assert_uint_eq(cycle->config_dump.nelts, 2);
}
END_TEST


START_TEST(include_missing_main_file)
{
    args.conf_file.data = (u_char *) strdup(path_of("none.conf"));
    args.conf_file.len = strlen((char *) args.conf_file.data);

    ck_assert_ptr_null(pt_cycle_init(&args, pt_log_init()));
    assert_error("open() \"@D/none.conf\" failed (2: No such file or "
                 "directory)");
}
END_TEST


/* --- -g ------------------------------------------------------------------- */

START_TEST(param_sets_main_directives)
{
    pt_cycle_t  *cycle;

    cycle = cycle_from("events {}\n", "daemon off; worker_processes 2;");
    ck_assert_ptr_nonnull(cycle);
    ck_assert_int_eq(pt_core_conf(cycle)->daemon, 0);
    ck_assert_int_eq(pt_core_conf(cycle)->worker_processes, 2);
    ck_assert_int_eq(pt_core_conf(cycle)->master, 1);

    /* -g is not a file: nothing to dump. */
    ck_assert_uint_eq(cycle->config_dump.nelts, 1);
}
END_TEST


START_TEST(param_duplicates_file_directive)
{
    /* -g is read first, so the file's line is the duplicate. */
    ck_assert_ptr_null(cycle_from("events {}\n\ndaemon on;\n", "daemon off;"));
    assert_error("\"daemon\" directive is duplicate in @F:3");

    ck_assert_ptr_null(cycle_from("worker_processes 4;\nevents {}\n",
                                  "worker_processes 2;"));
    assert_error("\"worker_processes\" directive is duplicate in @F:1");

    ck_assert_ptr_null(cycle_from("events {}\npid x.pid;\n", "pid y.pid;"));
    assert_error("\"pid\" directive is duplicate in @F:2");
}
END_TEST


START_TEST(param_errors)
{
    /* The exact tails: see param_nginx_wording. */
    ck_assert_ptr_null(cycle_from("events {}\n", "bogus;"));
    assert_error_prefix("unknown directive \"bogus\" in command line");

    ck_assert_ptr_null(cycle_from("events {}\n", "daemon off; daemon on;"));
    assert_error_prefix("\"daemon\" directive is duplicate in command line");

    ck_assert_ptr_null(cycle_from("events {}\n", "listen 80;"));
    assert_error_prefix("\"listen\" directive is not allowed here in "
                        "command line");

    ck_assert_ptr_null(cycle_from("events {}\n", "daemon maybe;"));
    assert_error_prefix("invalid value \"maybe\" in \"daemon\" directive, it "
                        "must be \"on\" or \"off\" in command line");

    ck_assert_ptr_null(cycle_from("events {}\n", "}"));
    assert_error_prefix("unexpected \"}\" in command line");

    ck_assert_ptr_null(cycle_from("events {}\n", "daemon off"));
    assert_error_prefix("unexpected end of ");

    ck_assert_ptr_null(cycle_from("events {}\n", "pid 'x.pid;"));
    assert_error_prefix("unexpected end of ");
}
END_TEST


/*
 * Regression ("-g messages"): nginx ends -g messages with " in
 * command line" (no ":1"), words a -g cut short as "unexpected end of
 * parameter, expecting \";\"", and refuses blocks in -g.
 */
START_TEST(param_nginx_wording)
{
    ck_assert_ptr_null(cycle_from("events {}\n", "bogus;"));
    assert_error("unknown directive \"bogus\" in command line");

    ck_assert_ptr_null(cycle_from("events {}\n", "daemon off"));
    assert_error("unexpected end of parameter, expecting \";\" in command "
                 "line");

    ck_assert_ptr_null(cycle_from("# no events here\n", "events { }"));
    assert_error("block directives are not supported in -g option in "
                 "command line");
}
END_TEST


/* --- nested blocks and inheritance ----------------------------------------- */

static const char  inherit_conf[] =
    "events {}\n"
    "http {\n"
    "    keepalive_timeout 10s 8;\n"
    "    send_timeout 5s;\n"
    "    client_max_body_size 2m;\n"
    "    sendfile on;\n"
    "    default_type application/octet-stream;\n"
    "    client_header_timeout 15s;\n"
    "    server_tokens off;\n"
    "\n"
    "    server {\n"                            /* 0: inherits everything */
    "        listen 127.0.0.1:8080;\n"
    "        server_name one;\n"
    "        location / {\n"
    "            location /a {\n"
    "                send_timeout 9s;\n"
    "                location /a/b {\n"
    "                }\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "\n"
    "    server {\n"                            /* 1: overrides */
    "        listen 127.0.0.1:8081;\n"
    "        server_name two;\n"
    "        keepalive_timeout 20s;\n"
    "        send_timeout 7s;\n"
    "        client_header_timeout 25s;\n"
    "        sendfile off;\n"
    "        location /x {\n"
    "            keepalive_timeout 30s;\n"
    "            client_max_body_size 0;\n"
    "            server_tokens build;\n"
    "        }\n"
    "        location /y {\n"
    "        }\n"
    "    }\n"
    "}\n";


START_TEST(inheritance_http_server_location)
{
    pt_cycle_t  *cycle;
    loc_t       *h, *s0, *root, *a, *ab, *s1, *x, *y;

    cycle = cycle_from(inherit_conf, NULL);
    ck_assert_msg(cycle != NULL, "%s", conf_error());

    h = http_loc(cycle);
    ck_assert_uint_eq(h->keepalive_timeout, 10000);
    ck_assert_int_eq(h->keepalive_header, 8);
    ck_assert_uint_eq(h->send_timeout, 5000);
    ck_assert_uint_eq(h->client_max_body_size, 2 * 1024 * 1024);
    ck_assert_int_eq(h->sendfile, 1);
    ck_assert(str_is(&h->default_type, "application/octet-stream"));
    ck_assert_int_eq(h->server_tokens, 0);
    ck_assert_uint_eq(h->client_body_timeout, 60000);     /* default */

    /* Server 0 and its locations inherit the http level. */
    ck_assert_uint_eq(nservers(cycle), 2);
    s0 = server_loc(cycle, 0);
    root = sub(s0, "/");
    a = sub(root, "/a");
    ab = sub(a, "/a/b");

    for (loc_t *l = s0; l; l = l == s0 ? root : l == root ? a : l == a ? ab
                                                          : NULL)
    {
        ck_assert_uint_eq(l->keepalive_timeout, 10000);
        ck_assert_int_eq(l->keepalive_header, 8);
        ck_assert_uint_eq(l->client_max_body_size, 2 * 1024 * 1024);
        ck_assert_int_eq(l->sendfile, 1);
        ck_assert(str_is(&l->default_type, "application/octet-stream"));
        ck_assert_int_eq(l->server_tokens, 0);
    }

    ck_assert_uint_eq(s0->send_timeout, 5000);
    ck_assert_uint_eq(root->send_timeout, 5000);
    ck_assert_uint_eq(a->send_timeout, 9000);           /* own */
    ck_assert_uint_eq(ab->send_timeout, 9000);          /* from /a */

    /* Server 1 overrides; its locations inherit from it, not http. */
    s1 = server_loc(cycle, 1);
    x = sub(s1, "/x");
    y = sub(s1, "/y");

    ck_assert_uint_eq(s1->keepalive_timeout, 20000);
    ck_assert_int_eq(s1->keepalive_header, 8);          /* from http */
    ck_assert_uint_eq(s1->send_timeout, 7000);
    ck_assert_int_eq(s1->sendfile, 0);
    ck_assert_uint_eq(s1->client_max_body_size, 2 * 1024 * 1024);

    ck_assert_uint_eq(x->keepalive_timeout, 30000);
    ck_assert_uint_eq(x->send_timeout, 7000);
    ck_assert_int_eq(x->sendfile, 0);
    ck_assert_uint_eq(x->client_max_body_size, 0);      /* 0 is a value */
    ck_assert_int_eq(x->server_tokens, 2);

    ck_assert_uint_eq(y->keepalive_timeout, 20000);
    ck_assert_uint_eq(y->send_timeout, 7000);
    ck_assert_int_eq(y->sendfile, 0);
    ck_assert_int_eq(y->server_tokens, 0);

    /* Server-level fields: http -> server. */
    ck_assert_uint_eq(server(cycle, 0)->client_header_timeout, 15000);
    ck_assert_uint_eq(server(cycle, 1)->client_header_timeout, 25000);
    ck_assert(str_is(&server(cycle, 1)->server_name, "two"));

    /* Each location conf knows its sibling confs. */
    ck_assert_ptr_eq(a->loc_conf[pt_http_core_module.ctx_index], a);
}
END_TEST


START_TEST(inheritance_defaults)
{
    pt_cycle_t  *cycle;
    loc_t       *levels[3];

    cycle = cycle_from("events {}\n"
                       "http {\n"
                       "    server {\n"
                       "        listen 127.0.0.1:8080;\n"
                       "        location / {\n"
                       "        }\n"
                       "    }\n"
                       "}\n", NULL);
    ck_assert_msg(cycle != NULL, "%s", conf_error());

    levels[0] = http_loc(cycle);
    levels[1] = server_loc(cycle, 0);
    levels[2] = sub(levels[1], "/");

    for (size_t i = 0; i < 3; i++) {
        loc_t  *l = levels[i];

        ck_assert_uint_eq(l->keepalive_timeout, 75000);
        ck_assert_int_eq(l->keepalive_header, 0);
        ck_assert_int_eq(l->keepalive_requests, 1000);
        ck_assert_uint_eq(l->send_timeout, 60000);
        ck_assert_uint_eq(l->client_body_timeout, 60000);
        ck_assert_uint_eq(l->client_max_body_size, 1024 * 1024);
        ck_assert_uint_eq(l->client_body_buffer_size, 16384);
        ck_assert_int_eq(l->sendfile, 0);
        ck_assert_int_eq(l->tcp_nodelay, 1);
        ck_assert_int_eq(l->etag, 1);
        ck_assert_int_eq(l->server_tokens, 1);
        ck_assert_int_eq(l->if_modified_since, PT_HTTP_IMS_EXACT);
        ck_assert_int_eq(l->lingering_close, PT_HTTP_LINGERING_ON);
        ck_assert(str_is(&l->default_type, "text/plain"));
        ck_assert_ptr_null(l->error_pages);
    }

    ck_assert_uint_eq(server(cycle, 0)->client_header_timeout, 60000);
    ck_assert_uint_eq(server(cycle, 0)->client_header_buffer_size, 1024);
    ck_assert_int_eq(server(cycle, 0)->merge_slashes, 1);
    ck_assert_int_eq(server(cycle, 0)->underscores_in_headers, 0);
}
END_TEST


/* One directive at the http level only, set in several ways. */
START_TEST(values_case_and_quotes)
{
    pt_cycle_t  *cycle;
    loc_t       *l;

    cycle = cycle_from("events {}\n"
                       "http {\n"
                       "    sendfile \"ON\";\n"
                       "    tcp_nodelay Off;\n"
                       "    send_timeout '1m 30s';\n"
                       "    client_max_body_size 8K;\n"
                       "    if_modified_since BEFORE;\n"
                       "    default_type \"text/x-a\\\"b\";\n"
                       "}\n", NULL);
    ck_assert_msg(cycle != NULL, "%s", conf_error());

    l = http_loc(cycle);
    ck_assert_int_eq(l->sendfile, 1);
    ck_assert_int_eq(l->tcp_nodelay, 0);
    ck_assert_uint_eq(l->send_timeout, 90000);
    ck_assert_uint_eq(l->client_max_body_size, 8192);
    ck_assert_int_eq(l->if_modified_since, PT_HTTP_IMS_BEFORE);
    ck_assert(str_is(&l->default_type, "text/x-a\"b"));
    ck_assert_uint_eq(nservers(cycle), 0);
}
END_TEST


/*
 * Regression ("duplicate location"): nginx names the file and line
 * of the second location ("duplicate location \"/a\" in FILE:LINE").
 * Portico finds duplicates while merging, after cf->file was cleared, so
 * the message has no position.
 */
START_TEST(duplicate_location_position)
{
    ck_assert_ptr_null(cycle_from("events {}\n"
                                  "http {\n"
                                  "    server {\n"
                                  "        location /a { }\n"
                                  "        location /a { }\n"
                                  "    }\n"
                                  "}\n", NULL));
    assert_error("duplicate location \"/a\" in @F:5");
}
END_TEST


START_TEST(duplicate_location)
{
    ck_assert_ptr_null(cycle_from("events {}\n"
                                  "http {\n"
                                  "    server {\n"
                                  "        location /a { }\n"
                                  "        location /a { }\n"
                                  "    }\n"
                                  "}\n", NULL));
    assert_error_prefix("duplicate location \"/a\"");
}
END_TEST


/*
 * Regression ("events flag"): pt_cycle_init() on a config that fails
 * after its "events { }" leaves the events module's static seen-flag set
 * (only init_conf, never reached, clears it).  The next cycle built in the
 * same process then refuses a correct config ("events" directive is
 * duplicate), and accepts one with no events block at all.
 */
START_TEST(events_flag_after_failure)
{
    pt_cycle_t  *cycle;

    ck_assert_ptr_null(cycle_raw("events {}\nbogus;\n", NULL));

    cycle = cycle_raw("events {}\n", NULL);
    ck_assert_msg(cycle != NULL, "%s", conf_error());

    ck_assert_ptr_null(cycle_raw("events {}\nbogus;\n", NULL));
    ck_assert_ptr_null(cycle_raw("daemon off;\n", NULL));
    assert_error("no \"events\" section in configuration");
}
END_TEST


/* A correct config after a failed one, when the failure came first. */
START_TEST(cycle_after_failure)
{
    pt_cycle_t  *cycle;

    ck_assert_ptr_null(cycle_raw("bogus;\nevents {}\n", NULL));
    assert_error("unknown directive \"bogus\" in @F:1");
    ck_assert_ptr_null(pt_cycle);

    cycle = cycle_raw("events {}\nhttp {}\n", NULL);
    ck_assert_msg(cycle != NULL, "%s", conf_error());
    ck_assert_ptr_eq(pt_cycle, cycle);

    /* And a second good one: each cycle parses afresh. */
    cycle = cycle_raw("events {}\nhttp {}\n", NULL);
    ck_assert_msg(cycle != NULL, "%s", conf_error());
}
END_TEST


Suite *
pt_suite_conf_engine(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("conf_engine");

    tc = tcase_create("configs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, minimal_config_and_main_defaults);
    tcase_add_test(tc, main_directives);
    tcase_add_test(tc, no_events_section);
    tcase_add_loop_test(tc, bad_config, 0, (int) pt_nelts(bad_configs));
    tcase_add_test(tc, duplicate_location);
    tcase_add_test(tc, duplicate_location_position);
    tcase_add_test(tc, cycle_after_failure);
    tcase_add_test(tc, events_flag_after_failure);
    suite_add_tcase(s, tc);

    tc = tcase_create("include");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, include_glob_in_order);
    tcase_add_test(tc, include_relative_to_conf_folder);
    tcase_add_test(tc, include_missing_main_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("param");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, param_sets_main_directives);
    tcase_add_test(tc, param_duplicates_file_directive);
    tcase_add_test(tc, param_errors);
    tcase_add_test(tc, param_nginx_wording);
    suite_add_tcase(s, tc);

    tc = tcase_create("inheritance");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, inheritance_http_server_location);
    tcase_add_test(tc, inheritance_defaults);
    tcase_add_test(tc, values_case_and_quotes);
    suite_add_tcase(s, tc);

    return s;
}
