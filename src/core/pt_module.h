/* SPDX-License-Identifier: BSD-2-Clause */
/* Modules: a directive table plus hooks, listed in objs/pt_modules.c. */
#ifndef PT_MODULE_H
#define PT_MODULE_H

typedef enum {
    PT_CORE_MODULE = 0,   /* main-context directives, conf in cycle */
    PT_EVENT_MODULE,
    PT_HTTP_MODULE
} pt_module_type_e;

/* Hooks of a core (or event) module. */
typedef struct {
    size_t   conf_size;       /* allocated zeroed, fields set unset */
    int    (*init_conf)(pt_cycle_t *cycle, void *conf);   /* after parsing */
} pt_core_module_t;

struct pt_module_s {
    const char            *name;
    pt_module_type_e       type;
    size_t                 index;       /* in pt_modules[] */
    size_t                 ctx_index;   /* among modules of its type */
    const pt_command_t    *commands;
    const void            *ctx;         /* pt_core_module_t / pt_http_module_t */

    int                  (*init_module)(pt_cycle_t *cycle);    /* master */
    int                  (*init_process)(pt_cycle_t *cycle);   /* worker */
    void                 (*exit_process)(pt_cycle_t *cycle);
};

extern pt_module_t  *pt_modules[];        /* objs/pt_modules.c */
extern const char   *pt_module_names[];
extern size_t        pt_modules_n;
extern size_t        pt_http_modules_n;

/* Numbers modules (index, ctx_index); call once at start. */
void pt_modules_init(void);

/* True when a module named name is built in. */
bool pt_module_built(const char *name);

#endif /* PT_MODULE_H */
