/* SPDX-License-Identifier: BSD-2-Clause */
/* The supplementary groups workers take with `user`, looked up once. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_process.h"

/*
 * initgroups() in every worker reads the group database through NSS,
 * which loads its modules (libnss_systemd and what it needs) into each
 * new worker: milliseconds on the path from a reload to serving.  The
 * master looks the list up instead and workers only call setgroups().
 * On a reload the old image looks it up while the `-t` check runs (it
 * waits anyway) and hands it to the new image in PORTICO_INHERIT as
 * "grp=HEXNAME:GID:G1,G2,..."; the new image uses it when its `user` and
 * group are the same, and looks the list up itself otherwise.
 */

#define GROUPS_INHERIT_MAX  256     /* longer lists are looked up again */

static gid_t    *groups;
static int       ngroups = -1;      /* -1: none looked up */
static pt_str_t  groups_user;
static gid_t     groups_gid;
static bool      groups_nss_loaded; /* this image has called getgrouplist */

static bool
groups_set(const pt_str_t *user, gid_t gid, const gid_t *list, int n)
{
    gid_t   *copy = malloc(((size_t) n + 1) * sizeof(gid_t));
    u_char  *name = malloc(user->len + 1);

    if (copy == NULL || name == NULL) {
        free(copy);
        free(name);
        return false;
    }

    memcpy(copy, list, (size_t) n * sizeof(gid_t));
    memcpy(name, user->data, user->len);
    name[user->len] = '\0';

    free(groups);
    free(groups_user.data);
    groups = copy;
    ngroups = n;
    groups_user = (pt_str_t) { user->len, name };
    groups_gid = gid;
    return true;
}

/* getgrouplist() for user: the groups it is a member of, and gid. */
static bool
groups_lookup(const pt_str_t *user, gid_t gid)
{
    int     n = 64;
    gid_t  *list = NULL;

    groups_nss_loaded = true;

    for (int tries = 0; tries < 4; tries++) {
        gid_t  *more = realloc(list, (size_t) n * sizeof(gid_t));

        if (more == NULL) {
            break;
        }
        list = more;

        int  want = n;

        if (getgrouplist((const char *) user->data, gid, list, &want) != -1) {
            bool  ok = groups_set(user, gid, list, want);

            free(list);
            return ok;
        }

        n = want > n ? want : n * 4;
    }

    free(list);
    return false;
}

static bool
groups_match(const pt_core_conf_t *ccf)
{
    return ngroups >= 0 && groups_gid == ccf->group
           && pt_str_eq(&groups_user, &ccf->user_name);
}

void
pt_groups_prepare(pt_cycle_t *cycle)
{
    pt_core_conf_t  *ccf = pt_core_conf(cycle);

    if (geteuid() != 0 || !ccf->user_set || groups_match(ccf)) {
        return;
    }

    if (!groups_lookup(&ccf->user_name, ccf->group)) {
        /* Workers fall back to initgroups(); its failure stops them. */
        ngroups = -1;
    }
}

/*
 * Looks the list up again (/etc/group may have changed since); only a
 * success replaces it.  A list kept for another user than the next
 * image's is not used there (groups_match): that image looks it up.
 */
void
pt_groups_refresh(pt_cycle_t *cycle)
{
    pt_core_conf_t  *ccf = pt_core_conf(cycle);

    if (geteuid() == 0 && ccf->user_set) {
        (void) groups_lookup(&ccf->user_name, ccf->group);
    }
}

/*
 * An image that took its list from PORTICO_INHERIT has not loaded the NSS
 * modules.  The next reload's lookup would load them (libnss_systemd and
 * what it links: ~2 ms alone, 6-7 ms measured while competing with the
 * `-t` child for the CPU).  The master calls this once the previous
 * generation is gone and nothing else is starting: the lookup then loads
 * them, and the one at the next reload only reads the group database.
 */
void
pt_groups_warm(pt_cycle_t *cycle)
{
    if (!groups_nss_loaded) {
        pt_groups_refresh(cycle);
        groups_nss_loaded = true;
    }
}

u_char *
pt_groups_describe(u_char *p, u_char *last)
{
    if (ngroups < 0 || ngroups > GROUPS_INHERIT_MAX
        || (size_t) (last - p) < groups_user.len * 2 + 16)
    {
        return p;
    }

    p = pt_snprintf(p, last, ";grp=");
    p = pt_hex_dump(p, groups_user.data, groups_user.len);
    p = pt_snprintf(p, last, ":%u:", (unsigned) groups_gid);

    for (int i = 0; i < ngroups; i++) {
        p = pt_snprintf(p, last, "%s%u", i ? "," : "", (unsigned) groups[i]);
    }

    return p;
}

void
pt_groups_inherit(const char *spec)
{
    u_char        name[256];
    gid_t         list[GROUPS_INHERIT_MAX];
    const char   *colon = strchr(spec, ':');
    size_t        hex = colon ? (size_t) (colon - spec) : 0;
    int           n = 0;
    char         *end;

    if (hex == 0
        || pt_hex_decode(name, sizeof(name), (const u_char *) spec, hex) < 0)
    {
        return;
    }

    unsigned long  gid = strtoul(colon + 1, &end, 10);

    if (*end != ':') {
        return;
    }

    for (const char *s = end + 1; *s && n < GROUPS_INHERIT_MAX; n++) {
        list[n] = (gid_t) strtoul(s, &end, 10);
        if (end == s || (*end != ',' && *end != '\0')) {
            return;            /* malformed: the new image looks it up */
        }
        s = *end ? end + 1 : end;
    }

    pt_str_t  user = { hex / 2, name };

    (void) groups_set(&user, (gid_t) gid, list, n);
}

int
pt_groups_apply(pt_cycle_t *cycle)
{
    pt_core_conf_t  *ccf = pt_core_conf(cycle);

    if (groups_match(ccf)) {
        /* Keeping the master's groups would be keeping root's: stop. */
        if (setgroups((size_t) ngroups, groups) == -1) {
            pt_log_error(PT_LOG_EMERG, cycle->log, errno,
                         "setgroups(%d) failed", ngroups);
            return PT_ERROR;
        }
        return PT_OK;
    }

    /* As nginx: a worker never keeps the master's (root's) groups. */
    if (initgroups((const char *) ccf->user_name.data, ccf->group) == -1) {
        pt_log_error(PT_LOG_EMERG, cycle->log, errno,
                     "initgroups(%.*s, %d) failed",
                     PT_STR_ARG(ccf->user_name), (int) ccf->group);
        return PT_ERROR;
    }

    return PT_OK;
}
