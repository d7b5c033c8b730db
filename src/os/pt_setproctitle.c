/* SPDX-License-Identifier: BSD-2-Clause */
/* Process titles ("portico: worker process") as ps shows them. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_process.h"

#include <sys/prctl.h>

static char    *title_start;
static size_t   title_room;


void
pt_init_setproctitle(int argc, char **argv)
{
    /*
     * Only argv's own contiguous area is reused (not environ), so the
     * environment stays intact for the re-exec on reload.
     */
    if (argc == 0) {
        return;
    }

    char  *end = argv[0] + strlen(argv[0]);

    for (int i = 1; i < argc; i++) {
        if (argv[i] == end + 1) {
            end = argv[i] + strlen(argv[i]);
        }
    }

    title_start = argv[0];
    title_room = (size_t) (end - argv[0]);
}


void
pt_setproctitle(const char *title)
{
    char  buf[64];

    snprintf(buf, sizeof(buf), "portico: %s", title);
    (void) prctl(PR_SET_NAME, "portico", 0, 0, 0);

    if (title_start == NULL || title_room == 0) {
        return;
    }

    size_t  len = pt_min(strlen(buf), title_room);

    memcpy(title_start, buf, len);
    memset(title_start + len, '\0', title_room - len + 1);
}
