/* SPDX-License-Identifier: BSD-2-Clause */
/* Numbers the built-in modules so their confs can be found by index. */
#include "pt_config.h"
#include "pt_core.h"

size_t  pt_modules_n;
size_t  pt_http_modules_n;


void
pt_modules_init(void)
{
    size_t  counts[PT_HTTP_MODULE + 1] = { 0 };

    for (size_t i = 0; pt_modules[i]; i++) {
        pt_module_t  *m = pt_modules[i];

        m->index = i;
        m->ctx_index = counts[m->type]++;
        pt_modules_n = i + 1;
    }

    pt_http_modules_n = counts[PT_HTTP_MODULE];
}


bool
pt_module_built(const char *name)
{
    for (size_t i = 0; pt_module_names[i]; i++) {
        if (strcmp(pt_module_names[i], name) == 0) {
            return true;
        }
    }

    return false;
}
