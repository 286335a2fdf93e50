/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* NULL-terminated arrays of strings, as execve() takes them. */
size_t strv_length(char *const *l);
void strv_free(char **l);
/* For _cleanup_(). */
static inline void strv_freep(char ***l)
{
        strv_free(*l);
}
bool strv_contains(char *const *l, const char *s);
/* The strings joined with SEPARATOR ("" for none), or NULL without memory. */
char *strv_join(char *const *l, const char *separator);
/* Appends a copy of s; returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);
/* Sets "NAME=VALUE" in an environment block, replacing an earlier NAME. */
int strv_env_set(char ***l, const char *assignment);
