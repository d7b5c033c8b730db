/* SPDX-License-Identifier: BSD-2-Clause */
/* Builds a cycle from the config and owns its files, pid and listeners. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"

pt_cycle_t  *pt_cycle;
unsigned     pt_process;
unsigned     pt_worker;
pid_t        pt_pid;
bool         pt_test_config;
bool         pt_quiet_mode;
bool         pt_dump_config;


static int
cycle_alloc_core_confs(pt_cycle_t *cycle)
{
    cycle->conf_ctx = pt_pcalloc(cycle->pool, pt_modules_n * sizeof(void *));
    if (cycle->conf_ctx == NULL) {
        return PT_ERROR;
    }

    for (size_t i = 0; pt_modules[i]; i++) {
        const pt_module_t       *m = pt_modules[i];
        const pt_core_module_t  *cm = m->ctx;

        if (m->type == PT_HTTP_MODULE || cm == NULL || cm->conf_size == 0) {
            continue;
        }

        cycle->conf_ctx[i] = pt_pcalloc(cycle->pool, cm->conf_size);
        if (cycle->conf_ctx[i] == NULL) {
            return PT_ERROR;
        }

        pt_conf_init_fields(m, PT_CONF_MAIN, cycle->conf_ctx[i]);
    }

    return PT_OK;
}


static int
cycle_init_core_confs(pt_cycle_t *cycle)
{
    for (size_t i = 0; pt_modules[i]; i++) {
        const pt_module_t       *m = pt_modules[i];
        const pt_core_module_t  *cm = m->ctx;

        if (m->type == PT_HTTP_MODULE || cycle->conf_ctx[i] == NULL) {
            continue;
        }

        pt_conf_merge_fields(m, PT_CONF_MAIN, NULL, cycle->conf_ctx[i]);

        if (cm->init_conf && cm->init_conf(cycle, cycle->conf_ctx[i]) != PT_OK) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


static int
cycle_parse(pt_cycle_t *cycle, const pt_cycle_args_t *args, pt_log_t *log)
{
    pt_conf_t  cf = { .cycle = cycle, .pool = cycle->pool, .log = log,
                      .ctx_type = PT_MAIN, .dump = pt_dump_config };

    cf.args = pt_array_create(cycle->pool, 10, sizeof(pt_str_t));
    cf.temp_pool = pt_create_pool(PT_POOL_DEFAULT_SIZE, log);
    if (cf.args == NULL || cf.temp_pool == NULL) {
        return PT_ERROR;
    }

    int  rc = PT_OK;

    if (args->conf_param.len) {
        rc = pt_conf_parse_string(&cf, &args->conf_param);
    }

    if (rc == PT_OK) {
        rc = pt_conf_parse(&cf, &cycle->conf_file);
    }

    pt_destroy_pool(cf.temp_pool);
    return rc;
}


static int
cycle_set_error_log(pt_cycle_t *cycle)
{
    pt_core_conf_t  *ccf = pt_core_conf(cycle);

    if (ccf->error_log == NULL) {
        ccf->error_log = pt_pcalloc(cycle->pool, sizeof(pt_log_t));
        if (ccf->error_log == NULL) {
            return PT_ERROR;
        }

        ccf->error_log->log_level = PT_LOG_ERR;
        ccf->error_log->file = pt_cycle_open_file(cycle, &cycle->error_log);
        if (ccf->error_log->file == NULL) {
            return PT_ERROR;
        }
    }

    cycle->new_log = *ccf->error_log;
    return PT_OK;
}


pt_cycle_t *
pt_cycle_init(const pt_cycle_args_t *args, pt_log_t *log)
{
    pt_pool_t   *pool = pt_create_pool(PT_POOL_DEFAULT_SIZE, log);
    pt_cycle_t  *cycle;
    char         host[256];

    if (pool == NULL) {
        return NULL;
    }

    cycle = pt_pcalloc(pool, sizeof(pt_cycle_t));
    if (cycle == NULL
        || pt_array_init(&cycle->listening, pool, 8, sizeof(pt_listening_t))
        || pt_array_init(&cycle->open_files, pool, 8, sizeof(void *))
        || pt_array_init(&cycle->config_dump, pool, 4, sizeof(pt_conf_dump_t))
        || pt_array_init(&cycle->shm_zones, pool, 4, sizeof(void *)))
    {
        pt_destroy_pool(pool);
        return NULL;
    }

    cycle->pool = pool;
    cycle->log = log;
    cycle->prefix = args->prefix;
    cycle->conf_file = args->conf_file;
    cycle->error_log = args->error_log;
    cycle->conf_param = args->conf_param;
    pt_queue_init(&cycle->reusable_connections);

    /* The folder of the config file, with its '/'. */
    cycle->conf_prefix = cycle->conf_file;
    while (cycle->conf_prefix.len
           && cycle->conf_prefix.data[cycle->conf_prefix.len - 1] != '/')
    {
        cycle->conf_prefix.len--;
    }

    if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        pt_str_t  h = { strlen(host), (u_char *) host };

        cycle->hostname.data = pt_pstrdup(pool, &h);
        cycle->hostname.len = cycle->hostname.data ? h.len : 0;
    }

    pt_cycle = cycle;

    if (cycle_alloc_core_confs(cycle) != PT_OK
        || cycle_parse(cycle, args, log) != PT_OK
        || cycle_init_core_confs(cycle) != PT_OK
        || pt_shm_zones_check(cycle) != PT_OK
        || cycle_set_error_log(cycle) != PT_OK
        || pt_cycle_open_files(cycle) != PT_OK)
    {
        pt_destroy_pool(pool);
        pt_cycle = NULL;
        return NULL;
    }

    cycle->log = &cycle->new_log;
    return cycle;
}


int
pt_cycle_open_listeners(pt_cycle_t *cycle)
{
    return pt_open_listening_sockets(cycle);
}


pt_open_file_t *
pt_cycle_open_file(pt_cycle_t *cycle, const pt_str_t *name)
{
    pt_open_file_t  **files = cycle->open_files.elts, *f, **slot;

    for (size_t i = 0; i < cycle->open_files.nelts; i++) {
        if (pt_str_eq(&files[i]->name, name)) {
            return files[i];
        }
    }

    f = pt_pcalloc(cycle->pool, sizeof(pt_open_file_t));
    slot = pt_array_push(&cycle->open_files);
    if (f == NULL || slot == NULL) {
        return NULL;
    }

    f->fd = -1;
    f->name = *name;

    if (pt_str_caseeq_lit(name, "stderr")) {
        f->fd = STDERR_FILENO;
        f->is_stderr = 1;
    }

    *slot = f;
    return f;
}


static int
cycle_open_one(pt_cycle_t *cycle, pt_open_file_t *f, unsigned level)
{
    int  fd = open((const char *) f->name.data,
                   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

    if (fd == -1) {
        pt_log_error(level, cycle->log, errno, "open() \"%.*s\" failed",
                     PT_STR_ARG(f->name));
        return PT_ERROR;
    }

    if (f->fd != -1 && f->fd != fd) {
        /* Reopen: keep the descriptor number so copies stay valid. */
        if (dup3(fd, f->fd, O_CLOEXEC) == -1) {
            pt_log_error(PT_LOG_ALERT, cycle->log, errno, "dup3() failed");
        }
        close(fd);
        return PT_OK;
    }

    f->fd = fd;
    return PT_OK;
}


int
pt_cycle_open_files(pt_cycle_t *cycle)
{
    pt_open_file_t  **files = cycle->open_files.elts;

    for (size_t i = 0; i < cycle->open_files.nelts; i++) {
        if (files[i]->is_stderr || files[i]->fd != -1) {
            continue;
        }

        if (cycle_open_one(cycle, files[i], PT_LOG_EMERG) != PT_OK) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


void
pt_cycle_reopen_files(pt_cycle_t *cycle)
{
    pt_open_file_t  **files = cycle->open_files.elts;
    pt_core_conf_t   *ccf = pt_core_conf(cycle);

    pt_cycle_flush_files(cycle);

    for (size_t i = 0; i < cycle->open_files.nelts; i++) {
        if (files[i]->is_stderr) {
            continue;
        }

        if (cycle_open_one(cycle, files[i], PT_LOG_ALERT) == PT_OK
            && pt_process == PT_PROCESS_MASTER && geteuid() == 0
            && ccf->user_set)
        {
            /* Workers reopen the same path after dropping privileges. */
            if (fchown(files[i]->fd, ccf->user, (gid_t) -1) == -1) {
                pt_log_error(PT_LOG_ALERT, cycle->log, errno,
                             "chown(\"%.*s\", %d) failed",
                             PT_STR_ARG(files[i]->name), (int) ccf->user);
            }
        }
    }
}


void
pt_cycle_flush_files(pt_cycle_t *cycle)
{
    pt_open_file_t  **files = cycle->open_files.elts;

    for (size_t i = 0; i < cycle->open_files.nelts; i++) {
        pt_open_file_t  *f = files[i];

        if (f->buffer && f->pos > f->buffer && f->fd != -1) {
            (void) pt_write_fd(f->fd, f->buffer, (size_t) (f->pos - f->buffer));
            f->pos = f->buffer;
        }
    }
}


/* Whether the file at path holds exactly the len bytes of want. */
static bool
cycle_pid_file_says(const pt_str_t *path, const u_char *want, size_t len)
{
    u_char  have[PT_INT_T_LEN + 4];
    int     fd = open((const char *) path->data, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        return false;
    }

    ssize_t  n = read(fd, have, sizeof(have));

    close(fd);
    return n == (ssize_t) len && memcmp(have, want, len) == 0;
}


int
pt_cycle_write_pid(pt_cycle_t *cycle)
{
    pt_core_conf_t  *ccf = pt_core_conf(cycle);
    u_char           buf[PT_INT_T_LEN + 2], *p;
    int              fd;

    p = pt_snprintf(buf, buf + sizeof(buf), "%d\n", (int) pt_pid);

    /*
     * A reload keeps the PID: the file already says it.  Rewriting it would
     * truncate it first, and `portico -s` or a supervisor reading it in
     * that moment would find it empty.
     */
    if (cycle_pid_file_says(&ccf->pid, buf, (size_t) (p - buf))) {
        return PT_OK;
    }

    fd = open((const char *) ccf->pid.data,
              O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "open() \"%.*s\" failed",
                     PT_STR_ARG(ccf->pid));
        return PT_ERROR;
    }

    if (pt_write_fd(fd, buf, (size_t) (p - buf)) == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "write() \"%.*s\" failed",
                     PT_STR_ARG(ccf->pid));
        close(fd);
        return PT_ERROR;
    }

    close(fd);
    return PT_OK;
}


void
pt_cycle_delete_pid(pt_cycle_t *cycle)
{
    pt_core_conf_t  *ccf = pt_core_conf(cycle);

    if (unlink((const char *) ccf->pid.data) == -1 && errno != ENOENT) {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno, "unlink() \"%.*s\" failed",
                     PT_STR_ARG(ccf->pid));
    }
}


int
pt_cycle_signal_process(pt_cycle_t *cycle, const char *sig)
{
    static const struct {
        const char  *name;
        int          signo;
    } signals[] = {
        { "stop", SIGTERM }, { "quit", SIGQUIT }, { "reload", SIGHUP },
        { "reopen", SIGUSR1 },
    };
    pt_core_conf_t  *ccf = pt_core_conf(cycle);
    u_char           buf[PT_INT_T_LEN + 2];
    ssize_t          n;
    int              fd, signo = 0;

    for (size_t i = 0; i < pt_nelts(signals); i++) {
        if (strcmp(sig, signals[i].name) == 0) {
            signo = signals[i].signo;
        }
    }

    fd = open((const char *) ccf->pid.data, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        pt_log_error(PT_LOG_ERR, cycle->log, errno, "open() \"%.*s\" failed",
                     PT_STR_ARG(ccf->pid));
        return 1;
    }

    n = read(fd, buf, sizeof(buf));
    close(fd);

    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }

    int64_t  pid = n > 0 ? pt_atoi(buf, (size_t) n, INT_MAX) : -1;

    if (pid <= 0) {
        pt_log_error(PT_LOG_ERR, cycle->log, 0, "invalid PID number \"%.*s\" "
                     "in \"%.*s\"", (int) (n > 0 ? n : 0), buf,
                     PT_STR_ARG(ccf->pid));
        return 1;
    }

    if (kill((pid_t) pid, signo) == -1) {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno, "kill(%d, %d) failed",
                     (int) pid, signo);
        return 1;
    }

    return 0;
}
