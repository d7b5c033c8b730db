/* SPDX-License-Identifier: BSD-2-Clause */
/* main(): nginx's command line, then config test, signal, or serve. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"
#include "pt_process.h"

#include <openssl/opensslv.h>
#include <openssl/crypto.h>

typedef struct {
    bool         help;
    bool         version;
    bool         show_configure;
    const char  *signal;
    const char  *prefix;
    const char  *conf_file;
    const char  *error_log;
    const char  *conf_param;
} main_opts_t;


static void
main_write(const char *s)
{
    (void) pt_write_fd(STDERR_FILENO, s, strlen(s));
}


static void
main_show_help(void)
{
    main_write(
        "Usage: portico [-?hvVtTq] [-s signal] [-p prefix]\n"
        "               [-e filename] [-c filename] [-g directives]\n\n"
        "Options:\n"
        "  -?,-h         : this help\n"
        "  -v            : show version and exit\n"
        "  -V            : show version and configure options then exit\n"
        "  -t            : test configuration and exit\n"
        "  -T            : test configuration, dump it and exit\n"
        "  -q            : suppress non-error messages during configuration "
        "testing\n"
        "  -s signal     : send signal to a master process: "
        "stop, quit, reopen, reload\n"
        "  -p prefix     : set prefix path (default: " PT_PREFIX ")\n"
        "  -e filename   : set error log file (default: " PT_ERROR_LOG_PATH ")\n"
        "  -c filename   : set configuration file (default: " PT_CONF_PATH
        ")\n"
        "  -g directives : set global directives out of configuration file\n\n");
}


static void
main_show_version(bool configure)
{
    main_write("portico version: " PORTICO_VER "\n");

    if (!configure) {
        return;
    }

    main_write("built by " PT_COMPILER "\n");

    char  buf[256];

    snprintf(buf, sizeof(buf), "built with %s (running with %s)\n",
             OPENSSL_VERSION_TEXT, OpenSSL_version(OPENSSL_VERSION));
    main_write(buf);
    main_write("TLS SNI support enabled\n");
    main_write("configure arguments: " PT_CONFIGURE_ARGS "\n");
}


static int
main_opt_value(int argc, char **argv, int *i, char *p, const char **out,
    char opt)
{
    if (p[1] != '\0') {
        *out = p + 1;
        return PT_OK;
    }

    if (*i + 1 < argc) {
        *out = argv[++*i];
        return PT_OK;
    }

    pt_log_stderr(0, "option \"-%c\" requires %s", opt,
                  opt == 's' ? "signal name"
                  : opt == 'g' ? "parameter" : "file name");
    return PT_ERROR;
}


static int
main_get_options(int argc, char **argv, main_opts_t *o)
{
    for (int i = 1; i < argc; i++) {
        char  *p = argv[i];

        if (*p++ != '-' || *p == '\0') {
            pt_log_stderr(0, "invalid option: \"%s\"", argv[i]);
            return PT_ERROR;
        }

        while (*p) {
            switch (*p) {
            case '?': case 'h':
                o->help = o->version = true;
                p++;
                continue;
            case 'v':
                o->version = true;
                p++;
                continue;
            case 'V':
                o->version = o->show_configure = true;
                p++;
                continue;
            case 't':
                pt_test_config = true;
                p++;
                continue;
            case 'T':
                pt_test_config = pt_dump_config = true;
                p++;
                continue;
            case 'q':
                pt_quiet_mode = true;
                p++;
                continue;
            }

            const char  **dst = *p == 's' ? &o->signal
                                : *p == 'p' ? &o->prefix
                                : *p == 'c' ? &o->conf_file
                                : *p == 'e' ? &o->error_log
                                : *p == 'g' ? &o->conf_param : NULL;

            if (dst == NULL) {
                pt_log_stderr(0, "invalid option: \"%c\"", *p);
                return PT_ERROR;
            }

            if (main_opt_value(argc, argv, &i, p, dst, *p) != PT_OK) {
                return PT_ERROR;
            }
            break;
        }
    }

    if (o->signal && strcmp(o->signal, "stop") && strcmp(o->signal, "quit")
        && strcmp(o->signal, "reopen") && strcmp(o->signal, "reload"))
    {
        pt_log_stderr(0, "invalid option: \"-s %s\"", o->signal);
        return PT_ERROR;
    }

    return PT_OK;
}


static int
main_path(pt_pool_t *pool, const pt_str_t *prefix, const char *value,
    pt_str_t *out)
{
    out->data = (u_char *) value;
    out->len = strlen(value);
    return pt_get_full_name(pool, prefix, out);
}


static int
main_process_options(pt_pool_t *pool, const main_opts_t *o,
    pt_cycle_args_t *a)
{
    char  cwd[PATH_MAX];

    if (o->prefix) {
        size_t  len = strlen(o->prefix);
        bool    slash = len && o->prefix[len - 1] == '/';

        a->prefix.data = pt_pnalloc(pool, len + 2);
        if (a->prefix.data == NULL) {
            return PT_ERROR;
        }
        memcpy(a->prefix.data, o->prefix, len);
        if (!slash) {
            a->prefix.data[len++] = '/';
        }
        a->prefix.data[len] = '\0';
        a->prefix.len = len;

        if (a->prefix.data[0] != '/' && getcwd(cwd, sizeof(cwd))) {
            pt_str_t  c = { strlen(cwd), (u_char *) cwd };

            c.data[c.len++] = '/';
            if (pt_get_full_name(pool, &c, &a->prefix) != PT_OK) {
                return PT_ERROR;
            }
        }
    } else {
        pt_str_set(&a->prefix, PT_PREFIX);
    }

    if (main_path(pool, &a->prefix, o->conf_file ? o->conf_file : PT_CONF_PATH,
                  &a->conf_file) != PT_OK)
    {
        return PT_ERROR;
    }

    const char  *el = o->error_log ? o->error_log : PT_ERROR_LOG_PATH;

    if (strcmp(el, "stderr") == 0) {
        pt_str_set(&a->error_log, "stderr");
    } else if (main_path(pool, &a->prefix, el, &a->error_log) != PT_OK) {
        return PT_ERROR;
    }

    if (o->conf_param) {
        /* A copy: the process title is written over argv later. */
        pt_str_t  g = { strlen(o->conf_param), (u_char *) o->conf_param };

        a->conf_param.data = pt_pstrdup(pool, &g);
        a->conf_param.len = g.len;
        if (a->conf_param.data == NULL) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


static void
main_dump_config(pt_cycle_t *cycle)
{
    pt_conf_dump_t  *d = cycle->config_dump.elts;

    for (size_t i = 0; i < cycle->config_dump.nelts; i++) {
        u_char   head[PATH_MAX + 64];
        u_char  *p = pt_snprintf(head, head + sizeof(head),
                                 "# configuration file %.*s:\n",
                                 PT_STR_ARG(d[i].name));

        (void) pt_write_fd(STDOUT_FILENO, head, (size_t) (p - head));
        (void) pt_write_fd(STDOUT_FILENO, d[i].content.data, d[i].content.len);
        (void) pt_write_fd(STDOUT_FILENO, "\n", 1);
    }
}


static int
main_test_config(pt_cycle_t *cycle, const pt_cycle_args_t *a)
{
    if (cycle == NULL) {
        pt_log_stderr(0, "configuration file %.*s test failed",
                      PT_STR_ARG(a->conf_file));
        return 1;
    }

    if (!pt_quiet_mode) {
        pt_log_stderr(0, "the configuration file %.*s syntax is ok",
                      PT_STR_ARG(a->conf_file));
        pt_log_stderr(0, "configuration file %.*s test is successful",
                      PT_STR_ARG(a->conf_file));
    }

    if (pt_dump_config) {
        main_dump_config(cycle);
    }

    return 0;
}


int
main(int argc, char **argv)
{
    main_opts_t       o = { 0 };
    pt_cycle_args_t   a = { 0 };
    pt_log_t         *log = pt_log_init();
    pt_pool_t        *pool;
    pt_cycle_t       *cycle;

    pt_time_init();
    pt_pid = getpid();

    if (main_get_options(argc, argv, &o) != PT_OK) {
        return 1;
    }

    if (o.version) {
        main_show_version(o.show_configure);
        if (o.help) {
            main_show_help();
        }
        return 0;
    }

    pool = pt_create_pool(4096, log);
    if (pool == NULL || main_process_options(pool, &o, &a) != PT_OK) {
        return 1;
    }

    pt_modules_init();
    (void) pt_log_open_default(&a.error_log);

    if (!pt_test_config && !o.signal) {
        if (pt_reload_init(argc, argv, log) != PT_OK) {
            return 1;
        }
        pt_init_setproctitle(argc, argv);
    }

    if (pt_test_config || o.signal) {
        pt_log_t  *l = log;

        /* -t reports to the terminal; the error log gets a copy. */
        l->log_level = PT_LOG_NOTICE;
    }

    cycle = pt_cycle_init(&a, log);

    if (pt_test_config) {
        return main_test_config(cycle, &a);
    }

    if (cycle == NULL) {
        return 1;
    }

    if (o.signal) {
        return pt_cycle_signal_process(cycle, o.signal);
    }

    return pt_process_run(cycle);
}
