/* SPDX-License-Identifier: BSD-2-Clause */
/* The config language: tokenizer, directive dispatch and table setters. */
#ifndef PT_CONF_H
#define PT_CONF_H

/* Contexts a directive may appear in (pt_command_t.ctx). */
#define PT_MAIN        0x0001      /* top level */
#define PT_EVENT       0x0002      /* events { } */
#define PT_HTTP_MAIN   0x0004      /* http { } */
#define PT_HTTP_SRV    0x0008      /* server { } */
#define PT_HTTP_LOC    0x0010      /* location { } */
#define PT_HTTP_IF     0x0020      /* if { } in a location */
#define PT_HTTP_SIF    0x0040      /* if { } in a server */
#define PT_HTTP_UPS    0x0080      /* upstream { } */
#define PT_ANY         0x00ff

/* Argument counts (pt_command_t.args), combinable. */
#define PT_CONF_NOARGS 0x00000001
#define PT_CONF_TAKE1  0x00000002
#define PT_CONF_TAKE2  0x00000004
#define PT_CONF_TAKE3  0x00000008
#define PT_CONF_TAKE4  0x00000010
#define PT_CONF_TAKE5  0x00000020
#define PT_CONF_TAKE6  0x00000040
#define PT_CONF_TAKE7  0x00000080
#define PT_CONF_MAX_ARGS 8
#define PT_CONF_TAKE12   (PT_CONF_TAKE1 | PT_CONF_TAKE2)
#define PT_CONF_TAKE13   (PT_CONF_TAKE1 | PT_CONF_TAKE3)
#define PT_CONF_TAKE23   (PT_CONF_TAKE2 | PT_CONF_TAKE3)
#define PT_CONF_TAKE123  (PT_CONF_TAKE12 | PT_CONF_TAKE3)
#define PT_CONF_TAKE1234 (PT_CONF_TAKE123 | PT_CONF_TAKE4)
#define PT_CONF_BLOCK  0x00000100   /* takes a { } block */
#define PT_CONF_FLAG   0x00000200   /* exactly one of on|off */
#define PT_CONF_ANY    0x00000400   /* any number, including none */
#define PT_CONF_1MORE  0x00000800
#define PT_CONF_2MORE  0x00001000

/* Which conf struct of the module a table field lives in. */
typedef enum {
    PT_CONF_NONE = 0,
    PT_CONF_MAIN,       /* core module conf, or http main conf */
    PT_CONF_SRV,        /* http server conf */
    PT_CONF_LOC         /* http location conf */
} pt_conf_level_e;

typedef struct {
    pt_conf_level_e  level;
    size_t           offset;
} pt_conf_field_t;

#define PT_MAIN_FIELD(type, member)  { PT_CONF_MAIN, offsetof(type, member) }
#define PT_SRV_FIELD(type, member)   { PT_CONF_SRV, offsetof(type, member) }
#define PT_LOC_FIELD(type, member)   { PT_CONF_LOC, offsetof(type, member) }

/* Unset markers the engine writes into table fields before parsing. */
#define PT_CONF_UNSET        -1
#define PT_CONF_UNSET_SIZE   ((size_t) -1)
#define PT_CONF_UNSET_MSEC   ((pt_msec_t) -1)
#define PT_CONF_UNSET_PTR    ((void *) -1)

/* A name and its value, for enum-like arguments (pt_conf_set_enum). */
typedef struct {
    const char  *name;
    int          value;
} pt_conf_enum_t;

/* info | notice | warn | error: the levels limit_* directives log at. */
extern const pt_conf_enum_t  pt_conf_limit_log_levels[];

typedef int (*pt_conf_set_pt)(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);

/* "NAME number size;" values (proxy_buffers, gzip_buffers ...): 0 unset. */
typedef struct {
    size_t   num;
    size_t   size;
} pt_conf_bufs_t;

/* Defaults of a table field (the member used depends on the setter). */
typedef union {
    int          flag;      /* pt_conf_set_flag (int: 0/1) */
    int          i;         /* pt_conf_set_num, pt_conf_set_enum */
    size_t       size;      /* pt_conf_set_size */
    pt_msec_t    msec;      /* pt_conf_set_msec */
    time_t       sec;       /* pt_conf_set_sec */
    const char  *str;       /* pt_conf_set_str (NULL: empty) */
} pt_conf_default_t;

struct pt_command_s {
    const char             *name;
    unsigned                ctx;      /* PT_MAIN | PT_HTTP_LOC ... */
    unsigned                args;     /* PT_CONF_TAKE1 ... */
    pt_conf_set_pt          set;
    pt_conf_field_t         field;    /* where a standard setter stores */
    pt_conf_default_t       def;      /* applied when no level set it */
    int64_t                 min;      /* bounds for num/size/time; */
    int64_t                 max;      /* max 0: unbounded */
    const pt_conf_enum_t   *values;   /* for pt_conf_set_enum */
    const void             *post;     /* setter-specific extra */
};

#define PT_COMMAND_END  { .name = NULL }

typedef struct pt_conf_file_s {
    pt_str_t   name;      /* path as opened */
    unsigned   line;
    int        fd;
    u_char    *buf;       /* whole file in memory */
    size_t     size;
    size_t     pos;
    bool       param;     /* the -g string, not a file */
    struct pt_conf_file_s  *parent;   /* the file that included it */
} pt_conf_file_t;

/*
 * Handles a directive inside a block whose contents are not directives
 * (types { }): args are in cf->args.  PT_OK or PT_ERROR (already reported).
 */
typedef int (*pt_conf_handler_pt)(pt_conf_t *cf, void *data);

struct pt_conf_s {
    pt_cycle_t          *cycle;
    pt_pool_t           *pool;        /* cycle pool */
    pt_pool_t           *temp_pool;
    pt_log_t            *log;
    pt_array_t          *args;        /* of pt_str_t; args[0] is the name */
    pt_conf_file_t      *file;
    unsigned             ctx_type;    /* PT_MAIN, PT_EVENT, PT_HTTP_SRV ... */
    void                *ctx;         /* context data (http: pt_http_conf_ctx_t) */
    pt_conf_handler_pt   handler;     /* non-NULL inside types-like blocks */
    void                *handler_data;
    unsigned             dump:1;      /* -T: record file contents */
};

/*
 * Parses file (NULL: the rest of the current block) dispatching directives
 * to module tables by cf->ctx_type.  Reports errors as
 * `portico: [emerg] MESSAGE in FILE:LINE` and returns PT_ERROR.
 */
int pt_conf_parse(pt_conf_t *cf, const pt_str_t *file);

/*
 * include: parses file (relative to the config folder), or each file a
 * mask ("*", "?", "[") matches, in order, into the current context.
 * Blocks with their own line handlers (types, map) use it too.
 */
int pt_conf_include(pt_conf_t *cf, const pt_str_t *file);

/* Parses the -g string as if it were a file named "command line". */
int pt_conf_parse_string(pt_conf_t *cf, const pt_str_t *text);

/* Reports a config error with " in FILE:LINE" appended; always PT_ERROR. */
int pt_conf_error(pt_conf_t *cf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Logs a config message (warn ...) with " in FILE:LINE" appended. */
void pt_conf_log(pt_conf_t *cf, unsigned level, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Makes name absolute against the config folder (include, ssl files). */
int pt_conf_full_name(pt_conf_t *cf, pt_str_t *name, bool conf_prefix);

/* The argument vector of the directive being handled. */
#define pt_conf_arg(cf, i)  (((pt_str_t *) (cf)->args->elts)[i])
#define pt_conf_nargs(cf)   ((cf)->args->nelts)

/*
 * Standard setters: store into cmd->field of conf (the struct of the level
 * the directive appeared at), rejecting a second setting in one block
 * ("is duplicate") and enforcing min/max.
 */
int pt_conf_set_flag(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
int pt_conf_set_num(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
int pt_conf_set_size(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
int pt_conf_set_msec(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
int pt_conf_set_sec(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
int pt_conf_set_str(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
int pt_conf_set_enum(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
/*
 * "number size" into the pt_conf_bufs_t at cmd->field (num 0 is unset; a
 * second setting is a duplicate); size at least cmd->min bytes.  Merging
 * such a composite is the module's (defaults differ per directive).
 */
int pt_conf_set_bufs(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
/* Accepted and ignored (e.g. *_temp_path of modules that exist). */
int pt_conf_set_ignored(pt_conf_t *cf, const pt_command_t *cmd, void *conf);

/*
 * Table-driven conf handling: fills every standard-setter field of conf
 * (at level) with its unset marker; and merges child from parent (NULL
 * parent: apply the table defaults).
 */
void pt_conf_init_fields(const pt_module_t *m, pt_conf_level_e level,
    void *conf);
int pt_conf_merge_fields(const pt_module_t *m, pt_conf_level_e level,
    void *parent, void *child);

#endif /* PT_CONF_H */
