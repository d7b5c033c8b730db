/* SPDX-License-Identifier: BSD-2-Clause */
/* Main-context directives: processes, pid, error_log, user, include ... */
#include "pt_config.h"
#include "pt_core.h"

static int core_set_worker_processes(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int core_set_user(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_set_error_log(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int core_include(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_load_module(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int core_init_conf(pt_cycle_t *cycle, void *conf);

static const pt_command_t  core_commands[] = {
    { .name = "daemon", .ctx = PT_MAIN, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_MAIN_FIELD(pt_core_conf_t, daemon),
      .def.flag = 1 },
    { .name = "master_process", .ctx = PT_MAIN, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_MAIN_FIELD(pt_core_conf_t, master),
      .def.flag = 1 },
    { .name = "worker_processes", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = core_set_worker_processes },
    { .name = "pid", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_str, .field = PT_MAIN_FIELD(pt_core_conf_t, pid),
      .def.str = PT_PID_PATH },
    { .name = "user", .ctx = PT_MAIN, .args = PT_CONF_TAKE12,
      .set = core_set_user },
    { .name = "worker_rlimit_nofile", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_num,
      .field = PT_MAIN_FIELD(pt_core_conf_t, rlimit_nofile), .def.i = 0,
      .min = 1, .max = 1048576 },
    { .name = "worker_shutdown_timeout", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec,
      .field = PT_MAIN_FIELD(pt_core_conf_t, shutdown_timeout), .def.msec = 0 },
    { .name = "error_log", .ctx = PT_MAIN, .args = PT_CONF_1MORE,
      .set = core_set_error_log },
    { .name = "include", .ctx = PT_ANY, .args = PT_CONF_TAKE1,
      .set = core_include },
    { .name = "load_module", .ctx = PT_MAIN, .args = PT_CONF_TAKE1,
      .set = core_load_module },
    PT_COMMAND_END
};

static const pt_core_module_t  core_module_ctx = {
    .conf_size = sizeof(pt_core_conf_t),
    .init_conf = core_init_conf,
};

pt_module_t  pt_core_module = {
    .name = "pt_core_module",
    .type = PT_CORE_MODULE,
    .commands = core_commands,
    .ctx = &core_module_ctx,
};


static int
core_set_worker_processes(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_core_conf_t  *ccf = conf;
    pt_str_t        *v = &pt_conf_arg(cf, 1);

    if (ccf->worker_processes != 0) {
        return pt_conf_error(cf, "\"worker_processes\" directive is duplicate");
    }

    if (pt_str_caseeq_lit(v, "auto")) {
        long  n = sysconf(_SC_NPROCESSORS_ONLN);

        ccf->worker_processes = n > 0 ? (int) n : 1;
        return PT_OK;
    }

    int64_t  n = pt_atoi(v->data, v->len, 1024);

    if (n < 1) {
        return pt_conf_error(cf, "\"worker_processes\" directive invalid "
                             "value");
    }

    ccf->worker_processes = (int) n;
    return PT_OK;
}


static int
core_set_user(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_core_conf_t  *ccf = conf;
    pt_str_t        *u = &pt_conf_arg(cf, 1);
    const char      *g = pt_conf_nargs(cf) == 3
                         ? (const char *) pt_conf_arg(cf, 2).data : NULL;
    struct passwd   *pw;
    struct group    *gr;

    if (ccf->user_set) {
        return pt_conf_error(cf, "\"user\" directive is duplicate");
    }

    ccf->user_set = 1;
    ccf->user_name = *u;

    if (geteuid() != 0) {
        /* nginx ignores "user" when not started as root; so do we. */
        return PT_OK;
    }

    pw = getpwnam((const char *) u->data);
    if (pw == NULL) {
        return pt_conf_error(cf, "getpwnam(\"%.*s\") failed", PT_STR_ARG(*u));
    }

    ccf->user = pw->pw_uid;
    ccf->group = pw->pw_gid;

    if (g) {
        gr = getgrnam(g);
        if (gr == NULL) {
            return pt_conf_error(cf, "getgrnam(\"%s\") failed", g);
        }
        ccf->group = gr->gr_gid;
    }

    return PT_OK;
}


int
pt_conf_set_error_log(pt_conf_t *cf, pt_log_t **head)
{
    pt_str_t   name = pt_conf_arg(cf, 1);
    pt_log_t  *log = pt_pcalloc(cf->pool, sizeof(pt_log_t));
    int        level = PT_LOG_ERR;

    if (log == NULL) {
        return PT_ERROR;
    }

    if (pt_conf_nargs(cf) > 3) {
        return pt_conf_error(cf, "invalid number of arguments in "
                             "\"error_log\" directive");
    }

    if (pt_conf_nargs(cf) == 3) {
        level = pt_log_level_parse(&pt_conf_arg(cf, 2));
        if (level < 0) {
            return pt_conf_error(cf, "invalid log level \"%.*s\"",
                                 PT_STR_ARG(pt_conf_arg(cf, 2)));
        }
    }

    if (name.len == 0) {
        return pt_conf_error(cf, "invalid error_log file name");
    }

    if (!pt_str_caseeq_lit(&name, "stderr")
        && pt_conf_full_name(cf, &name, false) != PT_OK)
    {
        return PT_ERROR;
    }

    log->file = pt_cycle_open_file(cf->cycle, &name);
    if (log->file == NULL) {
        return PT_ERROR;
    }

    log->log_level = (unsigned) level;

    while (*head) {
        head = &(*head)->next;
    }
    *head = log;

    return PT_OK;
}


static int
core_set_error_log(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_core_conf_t  *ccf = conf;

    return pt_conf_set_error_log(cf, &ccf->error_log);
}


/*
 * nginx's dynamic modules cannot load into Portico, and what Portico does
 * is built in.  Debian's nginx.conf includes every modules-enabled/ file,
 * whose load_module lines would make a drop-in configuration fail: they
 * are accepted with a warning, and a directive of such a module is then
 * an unknown directive, named where it is used.
 */
static int
core_load_module(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_str_t  *value = cf->args->elts;

    pt_conf_log(cf, PT_LOG_WARN, 0, "load_module \"%.*s\" ignored: Portico "
                "loads no dynamic modules", PT_STR_ARG(value[1]));
    return PT_OK;
}


static int
core_include(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    return pt_conf_include(cf, &pt_conf_arg(cf, 1));
}


static int
core_init_conf(pt_cycle_t *cycle, void *conf)
{
    pt_core_conf_t  *ccf = conf;
    pt_conf_t        cf = { .cycle = cycle, .pool = cycle->pool,
                            .log = cycle->log };

    if (ccf->worker_processes == 0) {
        ccf->worker_processes = 1;
    }

    if (pt_conf_full_name(&cf, &ccf->pid, false) != PT_OK) {
        return PT_ERROR;
    }

    if (!ccf->user_set && geteuid() == 0) {
        struct passwd  *pw = getpwnam("nobody");
        struct group   *gr = getgrnam("nogroup");

        if (pw) {
            ccf->user = pw->pw_uid;
            ccf->group = gr ? gr->gr_gid : pw->pw_gid;
            ccf->user_set = 1;
            pt_str_set(&ccf->user_name, "nobody");
        }
    }

    return PT_OK;
}
