/* SPDX-License-Identifier: BSD-2-Clause */
/* Robust process-shared mutexes: a worker dying inside one wedges nobody. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_shmtx.h"


int
pt_shmtx_init(pt_shmtx_t *mtx, pt_log_t *log)
{
    pthread_mutexattr_t  attr;
    int                  err;

    err = pthread_mutexattr_init(&attr);
    if (err == 0) {
        err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    }
    if (err == 0) {
        err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    }
    if (err == 0) {
        err = pthread_mutex_init(&mtx->mutex, &attr);
    }

    (void) pthread_mutexattr_destroy(&attr);

    if (err != 0) {
        pt_log_error(PT_LOG_EMERG, log, err, "pthread_mutex_init() failed");
        return PT_ERROR;
    }

    return PT_OK;
}


int
pt_shmtx_lock(pt_shmtx_t *mtx, pt_log_t *log)
{
    int  err = pthread_mutex_lock(&mtx->mutex);

    if (err == 0) {
        return PT_OK;
    }

    if (err == EOWNERDEAD) {
        /* The lock is ours; without this every later lock would fail. */
        (void) pthread_mutex_consistent(&mtx->mutex);
        pt_log_error(PT_LOG_WARN, log, 0, "shared memory lock recovered "
                     "from a process that died holding it");
        return PT_DONE;
    }

    pt_log_error(PT_LOG_ALERT, log, err, "pthread_mutex_lock() failed");
    return PT_ERROR;
}


void
pt_shmtx_unlock(pt_shmtx_t *mtx)
{
    (void) pthread_mutex_unlock(&mtx->mutex);
}
