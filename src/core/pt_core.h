/* SPDX-License-Identifier: BSD-2-Clause */
/* Core typedefs, return codes and the core headers, in dependency order. */
#ifndef PT_CORE_H
#define PT_CORE_H

#define PORTICO_VERSION  "0.1.0"
#define PORTICO_VER      "portico/" PORTICO_VERSION

typedef struct pt_pool_s        pt_pool_t;
typedef struct pt_log_s         pt_log_t;
typedef struct pt_buf_s         pt_buf_t;
typedef struct pt_chain_s       pt_chain_t;
typedef struct pt_array_s       pt_array_t;
typedef struct pt_cycle_s       pt_cycle_t;
typedef struct pt_conf_s        pt_conf_t;
typedef struct pt_command_s     pt_command_t;
typedef struct pt_module_s      pt_module_t;
typedef struct pt_event_s       pt_event_t;
typedef struct pt_connection_s  pt_connection_t;
typedef struct pt_listening_s   pt_listening_t;
typedef struct pt_ssl_connection_s  pt_ssl_connection_t;
typedef struct pt_open_file_s   pt_open_file_t;

typedef uint64_t  pt_msec_t;
typedef int64_t   pt_msec_int_t;
typedef uintptr_t pt_uint_t;
typedef intptr_t  pt_int_t;

/* Return codes (STYLE.md). */
#define PT_OK        0
#define PT_ERROR    -1
#define PT_AGAIN    -2
#define PT_DECLINED -3
#define PT_DONE     -4
#define PT_BUSY     -5
#define PT_ABORT    -6

#define PT_LF     (u_char) '\n'
#define PT_CR     (u_char) '\r'
#define PT_CRLF   "\r\n"

#include "pt_string.h"
#include "pt_queue.h"
#include "pt_array.h"
#include "pt_palloc.h"
#include "pt_buf.h"
#include "pt_rbtree.h"
#include "pt_hash.h"
#include "pt_times.h"
#include "pt_log.h"
#include "pt_parse.h"
#include "pt_regex.h"
#include "pt_file.h"
#include "pt_conf.h"
#include "pt_module.h"
#include "pt_cycle.h"
#include "pt_shm.h"
#include "pt_shm_store.h"

#endif /* PT_CORE_H */
