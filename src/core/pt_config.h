/* SPDX-License-Identifier: BSD-2-Clause */
/* First include of every file: system headers and the probed features. */
#ifndef PT_CONFIG_H
#define PT_CONFIG_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "pt_auto_config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
#include <glob.h>
#include <pwd.h>
#include <grp.h>
#include <dirent.h>

typedef unsigned char  u_char;

#define PT_ALIGNMENT    sizeof(uintptr_t)
#define pt_align(d, a)  (((d) + ((a) - 1)) & ~((a) - 1))
#define pt_align_ptr(p, a)                                                   \
    (u_char *) (((uintptr_t) (p) + ((uintptr_t) (a) - 1)) & ~((uintptr_t) (a) - 1))

#define PT_INT_T_LEN    (sizeof("-9223372036854775808") - 1)
#define PT_OFF_T_LEN    PT_INT_T_LEN

#define pt_min(a, b)    ((a) < (b) ? (a) : (b))
#define pt_max(a, b)    ((a) > (b) ? (a) : (b))
#define pt_nelts(a)     (sizeof(a) / sizeof((a)[0]))

#endif /* PT_CONFIG_H */
