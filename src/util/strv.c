/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string arrays, as execve() takes them: length, append, free,
 * environment assignments. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strv.h"

size_t strv_length(char *const *l)
{
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

void strv_free(char **l)
{
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
}

int strv_extend(char ***l, const char *s)
{
        size_t n = strv_length(*l);
        char *copy = strdup(s);
        char **grown;

        if (!copy)
                return -ENOMEM;
        grown = realloc(*l, (n + 2) * sizeof(char *));
        if (!grown) {
                free(copy);
                return -ENOMEM;
        }
        grown[n] = copy;
        grown[n + 1] = NULL;
        *l = grown;
        return 0;
}

int strv_env_set(char ***l, const char *assignment)
{
        const char *eq = strchr(assignment, '=');
        size_t key_len;

        if (!eq || eq == assignment)
                return -EINVAL;
        key_len = (size_t)(eq - assignment) + 1;

        for (size_t i = 0; *l && (*l)[i]; i++)
                if (strncmp((*l)[i], assignment, key_len) == 0) {
                        char *copy = strdup(assignment);

                        if (!copy)
                                return -ENOMEM;
                        free((*l)[i]);
                        (*l)[i] = copy;
                        return 0;
                }
        return strv_extend(l, assignment);
}

bool strv_contains(char *const *l, const char *s)
{
        for (size_t i = 0; l && l[i]; i++)
                if (strcmp(l[i], s) == 0)
                        return true;
        return false;
}

char *strv_join(char *const *l, const char *separator)
{
        size_t size = 1, n = strlen(separator);
        char *joined, *p;

        for (size_t i = 0; l && l[i]; i++)
                size += strlen(l[i]) + n;
        joined = p = malloc(size);
        if (!joined)
                return NULL;
        *p = '\0';
        for (size_t i = 0; l && l[i]; i++)
                p = stpcpy(stpcpy(p, i ? separator : ""), l[i]);
        return joined;
}
