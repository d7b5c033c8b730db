/* SPDX-License-Identifier: BSD-2-Clause */
/* A process-shared robust mutex that lives inside a shared-memory zone. */
#ifndef PT_SHMTX_H
#define PT_SHMTX_H

#include <pthread.h>

typedef struct {
    pthread_mutex_t  mutex;
} pt_shmtx_t;

/*
 * Initialises mtx (which must lie in memory mapped MAP_SHARED) as a
 * process-shared robust mutex.  PT_OK or PT_ERROR (errno-like value
 * logged to log).
 */
int pt_shmtx_init(pt_shmtx_t *mtx, pt_log_t *log);

/*
 * Locks mtx.  Returns PT_OK, or PT_DONE when the previous owner died
 * holding it: the lock is held and made consistent again, and the data it
 * protects may be half-updated, so the caller repairs it before use.
 * PT_ERROR only on a broken mutex (logged; the lock is not held).
 */
int pt_shmtx_lock(pt_shmtx_t *mtx, pt_log_t *log);

/* Unlocks mtx (held by the caller). */
void pt_shmtx_unlock(pt_shmtx_t *mtx);

#endif /* PT_SHMTX_H */
