/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared-memory zones: declaration, creation, inheritance, lock, hooks. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_shm.h"

#define SHM_FULL_LOG_INTERVAL  60000      /* ms between "is full" warnings */


static pt_shm_zone_t *
shm_find(pt_cycle_t *cycle, const pt_str_t *name)
{
    pt_shm_zone_t  **zones = cycle->shm_zones.elts;

    for (size_t i = 0; i < cycle->shm_zones.nelts; i++) {
        if (pt_str_eq(&zones[i]->name, name)) {
            return zones[i];
        }
    }

    return NULL;
}


static pt_shm_zone_t *
shm_new(pt_conf_t *cf, const pt_str_t *name, uint32_t tag)
{
    pt_shm_zone_t  *zone = pt_pcalloc(cf->pool, sizeof(pt_shm_zone_t));
    pt_shm_zone_t **slot = pt_array_push(&cf->cycle->shm_zones);

    if (zone == NULL || slot == NULL
        || pt_pstr_copy(cf->pool, &zone->name, name->data, name->len))
    {
        return NULL;
    }

    zone->tag = tag;
    zone->fd = -1;
    *slot = zone;
    return zone;
}


pt_shm_zone_t *
pt_shm_zone_add(pt_conf_t *cf, const pt_str_t *name, size_t size,
    uint32_t tag, pt_shm_zone_init_pt init)
{
    pt_shm_zone_t  *zone = shm_find(cf->cycle, name);

    if (zone == NULL) {
        zone = shm_new(cf, name, tag);
        if (zone == NULL) {
            return NULL;
        }
    }

    if (zone->tag != tag) {
        pt_conf_error(cf, "the shared memory zone \"%.*s\" is already "
                      "declared for a different use", PT_STR_ARG(*name));
        return NULL;
    }

    if (size && zone->size && size != zone->size) {
        pt_conf_error(cf, "the size %zu of shared memory zone \"%.*s\" "
                      "conflicts with already declared size %zu", size,
                      PT_STR_ARG(*name), zone->size);
        return NULL;
    }

    if (size) {
        zone->size = size;
    }

    if (init) {
        zone->init = init;
    }

    return zone;
}


int
pt_shm_zone_parse_arg(pt_conf_t *cf, const pt_str_t *arg, size_t prefix,
    pt_str_t *name, size_t *size)
{
    u_char  *colon = memchr(arg->data + prefix, ':', arg->len - prefix);

    if (colon == NULL || colon == arg->data + prefix) {
        return pt_conf_error(cf, "invalid zone size \"%.*s\"",
                             PT_STR_ARG(*arg));
    }

    pt_str_t  s = { (size_t) (arg->data + arg->len - colon - 1), colon + 1 };
    ssize_t   n = pt_parse_size(&s);

    if (n == -1) {
        return pt_conf_error(cf, "invalid zone size \"%.*s\"",
                             PT_STR_ARG(*arg));
    }

    if ((size_t) n < PT_SHM_MIN_SIZE) {
        return pt_conf_error(cf, "zone \"%.*s\" is too small",
                             PT_STR_ARG(*arg));
    }

    if ((uint64_t) n > UINT32_MAX) {
        /* Offsets inside a zone are 32 bits. */
        return pt_conf_error(cf, "zone \"%.*s\" is too big (4g at most)",
                             PT_STR_ARG(*arg));
    }

    name->data = arg->data + prefix;
    name->len = (size_t) (colon - name->data);
    *size = (size_t) n;
    return PT_OK;
}


int
pt_shm_zones_check(pt_cycle_t *cycle)
{
    pt_shm_zone_t  **zones = cycle->shm_zones.elts;

    for (size_t i = 0; i < cycle->shm_zones.nelts; i++) {
        if (zones[i]->size == 0) {
            pt_log_error(PT_LOG_EMERG, cycle->log, 0, "zero size shared "
                         "memory zone \"%.*s\"", PT_STR_ARG(zones[i]->name));
            return PT_ERROR;
        }
    }

    return PT_OK;
}


bool
pt_shm_zone_adopt(pt_cycle_t *cycle, int fd, const pt_str_t *name,
    uint32_t tag, size_t size)
{
    pt_shm_zone_t  *zone = shm_find(cycle, name);

    if (zone == NULL || zone->tag != tag || zone->size != size
        || zone->fd != -1)
    {
        return false;
    }

    zone->fd = fd;
    zone->adopted = true;
    (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
    return true;
}


static int
shm_create_fd(pt_cycle_t *cycle, pt_shm_zone_t *zone)
{
    char  name[64];

    (void) snprintf(name, sizeof(name), "portico:%.*s",
                    (int) pt_min(zone->name.len, 48), zone->name.data);

#if (PT_HAVE_MEMFD_CREATE)
    zone->fd = memfd_create(name, MFD_CLOEXEC);
#else
    errno = ENOSYS;
#endif

    if (zone->fd == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "memfd_create(\"%s\") "
                     "failed", name);
        return PT_ERROR;
    }

    if (ftruncate(zone->fd, (off_t) zone->size) == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "ftruncate(%zu) of "
                     "shared memory zone \"%.*s\" failed", zone->size,
                     PT_STR_ARG(zone->name));
        return PT_ERROR;
    }

    return PT_OK;
}


/* True when an inherited mapping was laid out by a compatible image. */
static bool
shm_header_valid(const pt_shm_zone_t *zone)
{
    const pt_shm_header_t  *hdr = pt_shm_header(zone);

    return hdr->magic == PT_SHM_MAGIC && hdr->layout == PT_SHM_LAYOUT
           && hdr->tag == zone->tag && hdr->size == zone->size;
}


static int
shm_format(pt_cycle_t *cycle, pt_shm_zone_t *zone)
{
    pt_shm_header_t  *hdr = pt_shm_header(zone);

    memset(hdr, 0, sizeof(pt_shm_header_t));
    hdr->layout = PT_SHM_LAYOUT;
    hdr->tag = zone->tag;
    hdr->size = zone->size;

    if (pt_shmtx_init(&hdr->lock, cycle->log) != PT_OK
        || pt_slab_init(&hdr->slab, offsetof(pt_shm_header_t, slab),
                        zone->size) != PT_OK)
    {
        pt_log_error(PT_LOG_EMERG, cycle->log, 0, "cannot set up shared "
                     "memory zone \"%.*s\"", PT_STR_ARG(zone->name));
        return PT_ERROR;
    }

    /* Last: a half-formatted zone never looks valid to the next image. */
    hdr->magic = PT_SHM_MAGIC;
    return PT_OK;
}


static int
shm_map(pt_cycle_t *cycle, pt_shm_zone_t *zone)
{
    if (zone->fd == -1 && shm_create_fd(cycle, zone) != PT_OK) {
        return PT_ERROR;
    }

    void  *p = mmap(NULL, zone->size, PROT_READ | PROT_WRITE, MAP_SHARED,
                    zone->fd, 0);

    if (p == MAP_FAILED) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno, "mmap(%zu) of shared "
                     "memory zone \"%.*s\" failed", zone->size,
                     PT_STR_ARG(zone->name));
        return PT_ERROR;
    }

    zone->addr = p;
    zone->log = cycle->log;

    if (zone->adopted && !shm_header_valid(zone)) {
        /*
         * The old workers still use that memory with their layout: leave
         * it to them and start a new zone of our own.
         */
        pt_log_error(PT_LOG_NOTICE, cycle->log, 0, "inherited shared memory "
                     "zone \"%.*s\" has another layout, starting it afresh",
                     PT_STR_ARG(zone->name));
        (void) munmap(zone->addr, zone->size);
        (void) close(zone->fd);
        zone->addr = NULL;
        zone->fd = -1;
        zone->adopted = false;
        return shm_map(cycle, zone);
    }

    if (zone->adopted) {
        pt_shm_header(zone)->generation++;
        return PT_OK;
    }

    if (shm_format(cycle, zone) != PT_OK) {
        return PT_ERROR;
    }

    pt_shm_header(zone)->generation = 1;
    return PT_OK;
}


int
pt_shm_zones_init(pt_cycle_t *cycle)
{
    pt_shm_zone_t  **zones = cycle->shm_zones.elts;

    for (size_t i = 0; i < cycle->shm_zones.nelts; i++) {
        pt_shm_zone_t  *zone = zones[i];

        if (shm_map(cycle, zone) != PT_OK) {
            return PT_ERROR;
        }

        if (zone->init && zone->init(zone, zone->adopted) != PT_OK) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


void
pt_shm_zone_reset(pt_shm_zone_t *zone)
{
    pt_shm_header_t  *hdr = pt_shm_header(zone);

    hdr->root = 0;
    (void) pt_slab_init(&hdr->slab, offsetof(pt_shm_header_t, slab),
                        zone->size);
    pt_log_error(PT_LOG_WARN, zone->log, 0, "shared memory zone \"%.*s\" "
                 "was reset after a crash inside it", PT_STR_ARG(zone->name));
}


int
pt_shm_zones_cloexec(pt_cycle_t *cycle, bool on)
{
    pt_shm_zone_t  **zones = cycle->shm_zones.elts;

    for (size_t i = 0; i < cycle->shm_zones.nelts; i++) {
        if (zones[i]->fd != -1
            && fcntl(zones[i]->fd, F_SETFD, on ? FD_CLOEXEC : 0) == -1)
        {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


u_char *
pt_shm_zones_describe(pt_cycle_t *cycle, u_char *p, u_char *last)
{
    pt_shm_zone_t  **zones = cycle->shm_zones.elts;

    for (size_t i = 0; i < cycle->shm_zones.nelts; i++) {
        pt_shm_zone_t  *zone = zones[i];

        if (zone->fd == -1) {
            continue;
        }

        p = pt_snprintf(p, last, "%d:%u:%zu:", zone->fd, (unsigned) zone->tag,
                        zone->size);

        /* Hex keeps any byte of a zone name out of the separators. */
        if ((size_t) (last - p) > zone->name.len * 2 + 1) {
            p = pt_hex_dump(p, zone->name.data, zone->name.len);
        } else {
            p = last;
        }

        p = pt_snprintf(p, last, ",");
    }

    return p;
}


void
pt_shm_zones_process_exited(pt_cycle_t *cycle, pid_t pid)
{
    pt_shm_zone_t  **zones = cycle->shm_zones.elts;

    for (size_t i = 0; i < cycle->shm_zones.nelts; i++) {
        pt_shm_zone_t  *zone = zones[i];

        if (zone->addr == NULL || zone->exited == NULL
            || pt_shm_zone_lock(zone) != PT_OK)
        {
            continue;
        }

        zone->exited(zone, pid);
        pt_shm_zone_unlock(zone);
    }
}


int
pt_shm_zone_lock(pt_shm_zone_t *zone)
{
    int  rc = pt_shmtx_lock(&pt_shm_header(zone)->lock, zone->log);

    if (rc == PT_DONE) {
        if (zone->repair) {
            zone->repair(zone);
        }
        return PT_OK;
    }

    return rc;
}


void
pt_shm_zone_unlock(pt_shm_zone_t *zone)
{
    pt_shmtx_unlock(&pt_shm_header(zone)->lock);
}


void
pt_shm_zone_warn_full(pt_shm_zone_t *zone, pt_log_t *log)
{
    if (zone->full_logged
        && pt_current_msec - zone->full_logged < SHM_FULL_LOG_INTERVAL)
    {
        return;
    }

    zone->full_logged = pt_current_msec ? pt_current_msec : 1;
    pt_log_error(PT_LOG_WARN, log, 0, "shared memory zone \"%.*s\" is full, "
                 "evicting least recently used entries",
                 PT_STR_ARG(zone->name));
}
