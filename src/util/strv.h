/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* NULL-terminated arrays of strings, as execve() takes them. */
size_t strv_length(char *const *l);
void strv_free(char **l);
/* Appends a copy of s; returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);
/* Sets "NAME=VALUE" in an environment block, replacing an earlier NAME. */
int strv_env_set(char ***l, const char *assignment);
