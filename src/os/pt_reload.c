/* SPDX-License-Identifier: BSD-2-Clause */
/* SIGHUP: test the new config, then re-exec in place, handing over sockets. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"
#include "pt_process.h"

#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define RELOAD_ENV          "PORTICO_INHERIT"
#define RELOAD_TEST_TIMEOUT 30000      /* ms for `portico -t` to answer */
#define RELOAD_MAX_FDS      256
#define RELOAD_PID_MAX      1024       /* longer pid paths are not passed */

bool  pt_inherited;

static char   **reload_argv;
static char     reload_binary[PATH_MAX];
static pid_t    reload_old_workers[PT_MAX_PROCESSES];
static size_t   reload_nold;
static u_char   reload_old_pid[RELOAD_PID_MAX + 1];  /* the old pid file */


int
pt_reload_init(int argc, char **argv, pt_log_t *log)
{
    ssize_t  n = readlink("/proc/self/exe", reload_binary,
                          sizeof(reload_binary) - 1);

    if (n <= 0) {
        pt_log_error(PT_LOG_ALERT, log, errno, "readlink(\"/proc/self/exe\") "
                     "failed, reload will not re-execute");
        reload_binary[0] = '\0';
    } else {
        reload_binary[n] = '\0';
    }

    reload_argv = calloc((size_t) argc + 1, sizeof(char *));
    if (reload_argv == NULL) {
        return PT_ERROR;
    }

    for (int i = 0; i < argc; i++) {
        reload_argv[i] = strdup(argv[i]);
        if (reload_argv[i] == NULL) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


/* Logs a line of `portico -t` output at the level it was printed with. */
static void
reload_relay_line(pt_cycle_t *cycle, char *line)
{
    unsigned  level = PT_LOG_ERR;
    char     *msg = line;

    if (strncmp(msg, "portico: ", 9) == 0) {
        msg += 9;
    }

    if (msg[0] == '[') {
        char  *end = strchr(msg, ']');

        if (end) {
            pt_str_t  name = { (size_t) (end - msg - 1), (u_char *) msg + 1 };
            int       l = pt_log_level_parse(&name);

            if (l > 0) {
                level = (unsigned) l;
                msg = end + 1 + (end[1] == ' ');
            }
        }
    }

    pt_log_error(level, cycle->log, 0, "%s", msg);
}


/* Logs each line the test child printed, then returns its exit status. */
static int
reload_collect(pt_cycle_t *cycle, pid_t pid, int fd)
{
    char       buf[4096];
    size_t     len = 0;
    int        status = -1;
    pt_msec_t  deadline = pt_current_msec + RELOAD_TEST_TIMEOUT;

    for ( ;; ) {
        struct pollfd  pfd = { .fd = fd, .events = POLLIN };

        pt_time_update();
        if (pt_current_msec >= deadline) {
            pt_log_error(PT_LOG_ERR, cycle->log, 0, "configuration test did "
                         "not finish in %d ms", RELOAD_TEST_TIMEOUT);
            (void) kill(pid, SIGKILL);
            break;
        }

        if (poll(&pfd, 1, 100) <= 0) {
            continue;
        }

        ssize_t  n = read(fd, buf + len, sizeof(buf) - 1 - len);

        if (n <= 0) {
            break;
        }
        len += (size_t) n;
        if (len == sizeof(buf) - 1) {
            break;
        }
    }

    (void) waitpid(pid, &status, 0);

    buf[len] = '\0';
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        reload_relay_line(cycle, line);
    }

    return status;
}


static bool
reload_test_config(pt_cycle_t *cycle)
{
    char  *args[] = {
        reload_binary, "-t", "-q", "-p", (char *) cycle->prefix.data,
        "-c", (char *) cycle->conf_file.data,
        cycle->conf_param.len ? "-g" : NULL, (char *) cycle->conf_param.data,
        NULL
    };
    int    pipefd[2];

    if (pipe2(pipefd, O_CLOEXEC) == -1) {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno, "pipe2() failed");
        return false;
    }

    /*
     * posix_spawn (a vfork underneath): no copy of the master's page
     * tables for a child that only execs, and the master waits anyway.
     */
    posix_spawn_file_actions_t  fa;
    posix_spawnattr_t           attr;
    sigset_t                    none;
    pid_t                       pid = -1;
    int                         err;

    sigemptyset(&none);
    err = posix_spawn_file_actions_init(&fa);
    if (err == 0) {
        (void) posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
        (void) posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
        err = posix_spawnattr_init(&attr);
        if (err == 0) {
            (void) posix_spawnattr_setsigmask(&attr, &none);
            (void) posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
            err = posix_spawn(&pid, reload_binary, &fa, &attr, args, environ);
            (void) posix_spawnattr_destroy(&attr);
        }
        (void) posix_spawn_file_actions_destroy(&fa);
    }

    close(pipefd[1]);

    if (err != 0) {
        /* A program file that is not a program: the reload's own error. */
        pt_log_error(PT_LOG_ERR, cycle->log, err, "cannot run \"%s\" to "
                     "test the configuration", reload_binary);
        close(pipefd[0]);
        return false;
    }

    /* The child checks; meanwhile the next image's groups are read. */
    pt_groups_refresh(cycle);

    int  status = reload_collect(cycle, pid, pipefd[0]);

    close(pipefd[0]);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}


static int
reload_set_cloexec(pt_cycle_t *cycle, bool on)
{
    pt_listening_t  *ls = cycle->listening.elts;

    for (size_t i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd != -1
            && fcntl(ls[i].fd, F_SETFD, on ? FD_CLOEXEC : 0) == -1)
        {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


/* "ls=3,4;old=100,101;shm=6:TAG:SIZE:HEXNAME,...;hand=8,9;grp=...;pid=HEX" */
static int
reload_build_env(pt_cycle_t *cycle, char *buf, size_t size)
{
    pt_listening_t  *ls = cycle->listening.elts;
    u_char          *p = (u_char *) buf, *last = p + size - 1;

    p = pt_snprintf(p, last, "ls=");
    for (size_t i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd != -1) {
            p = pt_snprintf(p, last, "%d,", ls[i].fd);
        }
    }

    p = pt_snprintf(p, last, ";old=");
    for (size_t i = 0; i < pt_nprocesses; i++) {
        if (pt_processes[i].pid != -1) {
            p = pt_snprintf(p, last, "%d,", (int) pt_processes[i].pid);
        }
    }

    p = pt_snprintf(p, last, ";shm=");
    p = pt_shm_zones_describe(cycle, p, last);
    p = pt_handoff_describe(p, last);
    p = pt_groups_describe(p, last);

    pt_str_t  *pid = &pt_core_conf(cycle)->pid;

    if (pid->len <= RELOAD_PID_MAX && (size_t) (last - p) > pid->len * 2 + 5) {
        p = pt_snprintf(p, last, ";pid=");
        p = pt_hex_dump(p, pid->data, pid->len);
    }

    if (p >= last) {
        return PT_ERROR;
    }

    *p = '\0';
    return PT_OK;
}


void
pt_master_reload(pt_cycle_t *cycle)
{
    static char  env[16384];

    pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "signal %d (SIGHUP) received, "
                 "reconfiguring", SIGHUP);

    if (reload_binary[0] == '\0' || reload_argv == NULL) {
        pt_log_error(PT_LOG_ERR, cycle->log, 0, "reload is not possible: "
                     "program path unknown");
        return;
    }

    pt_notify(cycle->log, "RELOADING=1\nMONOTONIC_USEC=%llu\n"
              "STATUS=reloading", (unsigned long long) pt_notify_monotonic_usec());

    if (!reload_test_config(cycle)) {
        pt_log_error(PT_LOG_ERR, cycle->log, 0, "reload failed, the new "
                     "configuration was not applied; the old one keeps "
                     "running");
        pt_notify(cycle->log, "READY=1\nSTATUS=reload failed, serving the "
                  "previous configuration");
        return;
    }

    memcpy(env, RELOAD_ENV "=", sizeof(RELOAD_ENV));
    if (reload_build_env(cycle, env + sizeof(RELOAD_ENV),
                         sizeof(env) - sizeof(RELOAD_ENV)) != PT_OK
        || putenv(env) != 0 || reload_set_cloexec(cycle, false) != PT_OK
        || pt_shm_zones_cloexec(cycle, false) != PT_OK
        || pt_handoff_cloexec(false) != PT_OK)
    {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno, "reload: cannot prepare "
                     "the handoff");
        (void) reload_set_cloexec(cycle, true);
        (void) pt_shm_zones_cloexec(cycle, true);
        (void) pt_handoff_cloexec(true);
        return;
    }

    pt_cycle_flush_files(cycle);
    execv(reload_binary, reload_argv);

    pt_log_error(PT_LOG_ALERT, cycle->log, errno, "execv() \"%s\" failed, "
                 "keeping the running configuration", reload_binary);
    pt_notify(cycle->log, "READY=1\nSTATUS=reload failed, serving the "
              "previous configuration");
    (void) unsetenv(RELOAD_ENV);
    (void) reload_set_cloexec(cycle, true);
    (void) pt_shm_zones_cloexec(cycle, true);
    (void) pt_handoff_cloexec(true);
}


static bool
reload_adopt(pt_cycle_t *cycle, int fd)
{
    struct sockaddr_storage  ss;
    socklen_t                len = sizeof(ss);
    pt_listening_t          *ls = cycle->listening.elts;

    if (getsockname(fd, (struct sockaddr *) &ss, &len) == -1) {
        return false;
    }

    for (size_t i = 0; i < cycle->listening.nelts; i++) {
        if (!ls[i].open
            && pt_sock_eq((struct sockaddr *) &ls[i].sockaddr, ls[i].socklen,
                          (struct sockaddr *) &ss, len))
        {
            ls[i].fd = fd;
            ls[i].open = 1;
            ls[i].inherited = 1;
            (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
            (void) listen(fd, ls[i].backlog);
            return true;
        }
    }

    return false;
}


/* One "fd:tag:size:hexname" of the shm= list: adopt or close. */
static void
reload_inherit_zone(pt_cycle_t *cycle, char *s)
{
    char      *f[4];
    u_char     name[256];

    for (int i = 0; i < 4; i++) {
        f[i] = strsep(&s, ":");
        if (f[i] == NULL) {
            return;
        }
    }

    int      fd = atoi(f[0]);
    ssize_t  n = pt_hex_decode(name, sizeof(name), (u_char *) f[3],
                               strlen(f[3]));

    if (fd <= STDERR_FILENO) {
        return;
    }

    pt_str_t  zname = { n > 0 ? (size_t) n : 0, name };

    if (n < 0 || !pt_shm_zone_adopt(cycle, fd, &zname,
                                       (uint32_t) strtoul(f[1], NULL, 10),
                                       (size_t) strtoull(f[2], NULL, 10)))
    {
        close(fd);     /* no longer configured, or configured otherwise */
    }
}


int
pt_reload_inherit(pt_cycle_t *cycle)
{
    const char  *env = getenv(RELOAD_ENV);

    if (env == NULL) {
        return PT_OK;
    }

    char  *copy = strdup(env);

    (void) unsetenv(RELOAD_ENV);
    if (copy == NULL) {
        return PT_ERROR;
    }

    /* Only our own handoff: anything else starts afresh, said so. */
    if (strncmp(copy, "ls=", 3) != 0) {
        pt_log_error(PT_LOG_ALERT, cycle->log, 0, "ignoring malformed "
                     RELOAD_ENV " \"%.32s\"", copy);
        free(copy);
        return PT_OK;
    }

    pt_inherited = true;

    char  *pid = strstr(copy, ";pid=");

    if (pid) {
        *pid = '\0';
        pid += 5;

        ssize_t  n = pt_hex_decode(reload_old_pid, RELOAD_PID_MAX,
                                   (u_char *) pid, strlen(pid));

        reload_old_pid[n > 0 ? n : 0] = '\0';
    }

    char  *grp = strstr(copy, ";grp=");

    if (grp) {
        *grp = '\0';
        pt_groups_inherit(grp + 5);
    }

    char  *hand = strstr(copy, ";hand=");

    if (hand) {
        *hand = '\0';
        pt_handoff_inherit(hand + 6);
    }

    char  *shm = strstr(copy, ";shm=");

    if (shm) {
        *shm = '\0';
        shm += 5;
    }

    /* An older image also sends "gen=": nothing uses it any more. */
    char  *gen = strstr(copy, ";gen=");

    if (gen) {
        *gen = '\0';
    }

    char  *olds = strstr(copy, ";old=");

    if (olds) {
        *olds = '\0';
        olds += 5;
    }

    for (char *s = strtok(copy + 3, ","); s; s = strtok(NULL, ",")) {
        int          fd = atoi(s);
        struct stat  st;

        /* Never close what is not an inherited socket (a log, say). */
        if (fd <= STDERR_FILENO || fstat(fd, &st) == -1
            || !S_ISSOCK(st.st_mode))
        {
            continue;
        }

        if (!reload_adopt(cycle, fd)) {
            close(fd);     /* no longer configured */
        }
    }

    for (char *s = olds ? strtok(olds, ",") : NULL; s; s = strtok(NULL, ",")) {
        pid_t      pid = (pid_t) atoi(s);
        siginfo_t  si;

        /* Only our children (the image before this one forked them);
           WNOWAIT leaves an exited one for the reaper. */
        if (reload_nold < PT_MAX_PROCESSES && pid > 0
            && waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT)
               == 0)
        {
            reload_old_workers[reload_nold++] = pid;
        }
    }

    for (char *s = shm ? strtok(shm, ",") : NULL; s; s = strtok(NULL, ",")) {
        reload_inherit_zone(cycle, s);
    }

    free(copy);
    return PT_OK;
}


void
pt_reload_move_pid(pt_cycle_t *cycle)
{
    pt_str_t     *pid = &pt_core_conf(cycle)->pid;
    struct stat   old, now;

    /*
     * Another file than the one just written: the same name, or another
     * name for it (/var/run is often /run), is the same device and inode.
     */
    if (reload_old_pid[0] != '\0'
        && stat((char *) reload_old_pid, &old) == 0
        && stat((char *) pid->data, &now) == 0
        && (old.st_dev != now.st_dev || old.st_ino != now.st_ino)
        && unlink((char *) reload_old_pid) == -1 && errno != ENOENT)
    {
        pt_log_error(PT_LOG_ALERT, cycle->log, errno, "unlink() \"%s\" "
                     "failed", (char *) reload_old_pid);
    }

    reload_old_pid[0] = '\0';
}


bool
pt_reload_inherited(void)
{
    return pt_inherited;
}


void
pt_reload_retire_old(pt_cycle_t *cycle)
{
    for (size_t i = 0; i < reload_nold; i++) {
        union sigval  v = { .sival_int = PT_QUIT_RELOAD };

        if (sigqueue(reload_old_workers[i], SIGQUIT, v) == -1) {
            if (errno != ESRCH) {
                pt_log_error(PT_LOG_ALERT, cycle->log, errno, "sigqueue(%d, "
                             "SIGQUIT) failed", (int) reload_old_workers[i]);
            }
            continue;
        }

        /* Still ours (children of this PID): a stop must reach them too. */
        pt_process_adopt_retiring(reload_old_workers[i]);
    }

    reload_nold = 0;
}
