/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared-memory zones: named memfd mappings the master creates or inherits. */
#ifndef PT_SHM_H
#define PT_SHM_H

#include "pt_shmtx.h"
#include "pt_slab.h"

/*
 * A zone is one memfd of fixed size, mapped MAP_SHARED by the master after
 * the config is parsed and before workers fork, so every worker sees the
 * same bytes; a reload hands the fd to the next image, which re-maps the
 * zone (at another address) when name, type and size still match.
 *
 * Layout: pt_shm_header_t at offset 0 (magic, layout version, type tag,
 * size, generation, the lock, the owner's root offset), then the slab
 * pool managing the rest.  Owners keep every link as an offset from the
 * base: pt_shm_ptr() / pt_shm_off().
 */

#define PT_SHM_MAGIC    0x6d687370u          /* "pshm" */
#define PT_SHM_LAYOUT   1u
#define PT_SHM_MIN_SIZE (8 * 4096)           /* as nginx: eight pages */

/* Type tags: four characters naming the owner, stable across images. */
#define PT_SHM_TAG(a, b, c, d)                                               \
    ((uint32_t) (a) << 24 | (uint32_t) (b) << 16 | (uint32_t) (c) << 8       \
     | (uint32_t) (d))

typedef struct {
    uint32_t         magic;
    uint32_t         layout;
    uint32_t         tag;
    uint32_t         generation;   /* images that have used the zone */
    uint64_t         size;
    pt_shmtx_t       lock;
    uint32_t         root;         /* the owner's top structure, 0: none */
    uint32_t         pad;
    pt_slab_pool_t   slab;
} pt_shm_header_t;

typedef struct pt_shm_zone_s  pt_shm_zone_t;

/*
 * Called in the master once the zone is mapped: adopted is true when the
 * zone came from the previous image with its content (the owner checks
 * hdr->root and carries on), false for a fresh zone (the owner allocates
 * its root).  PT_OK or PT_ERROR (reported; start-up fails).
 */
typedef int (*pt_shm_zone_init_pt)(pt_shm_zone_t *zone, bool adopted);

/*
 * Called (in the master) when a worker process pid is gone, with the
 * zone's lock held, so the owner can undo what that process held.
 */
typedef void (*pt_shm_zone_exited_pt)(pt_shm_zone_t *zone, pid_t pid);

/* Called with the lock held after it was recovered from a dead owner. */
typedef void (*pt_shm_zone_repair_pt)(pt_shm_zone_t *zone);

struct pt_shm_zone_s {
    pt_str_t                name;
    size_t                  size;       /* 0: only referenced so far */
    uint32_t                tag;
    pt_shm_zone_init_pt     init;
    pt_shm_zone_exited_pt   exited;
    pt_shm_zone_repair_pt   repair;
    void                   *data;       /* the owner's config */
    u_char                 *addr;       /* the mapping; NULL before start */
    int                     fd;
    bool                    adopted;
    pt_log_t               *log;
    pt_msec_t               full_logged; /* last "is full" warning */
};

/*
 * Declares (size > 0) or references (size 0) the zone name of type tag
 * for the cycle being configured.  A second declaration with another size,
 * or any use with another tag, is a config error with file:line, worded
 * as nginx words it.  Returns the zone (one object per name; init may be
 * NULL on a reference), or NULL with the error reported.
 */
pt_shm_zone_t *pt_shm_zone_add(pt_conf_t *cf, const pt_str_t *name,
    size_t size, uint32_t tag, pt_shm_zone_init_pt init);

/*
 * Parses a "zone=NAME:SIZE" argument (arg, prefix the length of "zone=")
 * into name (pointing into arg) and size, with nginx's messages ("invalid
 * zone size", "zone ... is too small").  PT_OK or PT_ERROR (reported).
 */
int pt_shm_zone_parse_arg(pt_conf_t *cf, const pt_str_t *arg, size_t prefix,
    pt_str_t *name, size_t *size);

/* At the end of parsing: every referenced zone was declared.  PT_OK/ERROR. */
int pt_shm_zones_check(pt_cycle_t *cycle);

/*
 * A reload's inherited zone: when a declared zone has this name, tag and
 * size, takes fd for it and returns true; the caller closes fd otherwise.
 */
bool pt_shm_zone_adopt(pt_cycle_t *cycle, int fd, const pt_str_t *name,
    uint32_t tag, size_t size);

/*
 * In the master before forking: maps adopted zones (checking their header)
 * and creates the others, then runs each owner's init.  PT_OK or PT_ERROR
 * (reported).
 */
int pt_shm_zones_init(pt_cycle_t *cycle);

/*
 * Empties the zone (lock held): a fresh slab and no root.  For an owner's
 * repair hook when its structures may be half-written.
 */
void pt_shm_zone_reset(pt_shm_zone_t *zone);

/* Sets or clears close-on-exec on every zone fd (reload handoff). */
int pt_shm_zones_cloexec(pt_cycle_t *cycle, bool on);

/*
 * Appends "fd:tag:size:hexname," for each zone to buf (up to last);
 * returns the new end.
 */
u_char *pt_shm_zones_describe(pt_cycle_t *cycle, u_char *p, u_char *last);

/* A worker process has gone: every zone's exited hook runs. */
void pt_shm_zones_process_exited(pt_cycle_t *cycle, pid_t pid);

/*
 * Locks the zone; when the previous holder died inside, runs the owner's
 * repair hook before returning.  PT_OK or PT_ERROR (not locked, logged).
 */
int pt_shm_zone_lock(pt_shm_zone_t *zone);
void pt_shm_zone_unlock(pt_shm_zone_t *zone);

/*
 * Logs, at most once a minute per process, that the zone is full and
 * old entries are being evicted.
 */
void pt_shm_zone_warn_full(pt_shm_zone_t *zone, pt_log_t *log);

static inline pt_shm_header_t *
pt_shm_header(const pt_shm_zone_t *zone)
{
    return (pt_shm_header_t *) zone->addr;
}

static inline pt_slab_pool_t *
pt_shm_slab(const pt_shm_zone_t *zone)
{
    return &pt_shm_header(zone)->slab;
}

/* Address of a zone offset (0: NULL) and the offset of an address. */
static inline void *
pt_shm_ptr(const pt_shm_zone_t *zone, uint32_t off)
{
    return off ? zone->addr + off : NULL;
}

static inline uint32_t
pt_shm_off(const pt_shm_zone_t *zone, const void *p)
{
    return p ? (uint32_t) ((const u_char *) p - zone->addr) : 0;
}

#endif /* PT_SHM_H */
