/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custom-mount.h"
#include "util/macro.h"

/* Splits VALUE at its first N-1 unescaped colons ("\:" is a colon in a path), into at
 * most N fields, unescaped. Returns how many fields, or -ENOMEM. */
static int split_colons(const char *value, char *fields[], int n)
{
        int count = 0;
        char *field = malloc(strlen(value) + 1), *out = field;

        if (!field)
                return -ENOMEM;
        for (const char *p = value;; p++) {
                if (*p == '\\' && p[1] == ':') {
                        *out++ = ':';
                        p++;
                } else if ((*p == ':' && count < n - 1) || *p == '\0') {
                        *out = '\0';
                        fields[count++] = field;
                        if (*p == '\0')
                                return count;
                        field = malloc(strlen(p) + 1);
                        if (!field) {
                                for (int i = 0; i < count; i++)
                                        free(fields[i]);
                                return -ENOMEM;
                        }
                        out = field;
                } else
                        *out++ = *p;
        }
}

/* A path inside the guest: absolute, no "..", so that it reads the same to everyone. */
static bool guest_path_is_valid(const char *path)
{
        if (path[0] != '/' || strcmp(path, "/") == 0)
                return false;
        for (const char *p = path; (p = strstr(p, "..")); p += 2)
                if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
                        return false;
        return true;
}

static struct custom_mount *add(struct machine *m)
{
        struct custom_mount *grown = realloc(m->mounts, (m->n_mounts + 1) * sizeof(*grown));

        if (!grown)
                return NULL;
        m->mounts = grown;
        grown[m->n_mounts] = (struct custom_mount){};
        return &grown[m->n_mounts++];
}

int custom_mount_parse_bind(const char *value, bool read_only, struct machine *m, char *error, size_t error_size)
{
        char *fields[3] = {};
        struct custom_mount *c;
        bool recursive = true;
        int n = split_colons(value, fields, 3), r = -EINVAL;

        if (n < 0)
                return n;
        if (fields[0][0] != '/')
                snprintf(error, error_size, "--bind%s=%s: the source must be an absolute path on the host",
                         read_only ? "-ro" : "", value);
        else if (n >= 2 && !guest_path_is_valid(fields[1]))
                snprintf(error, error_size, "--bind%s=%s: the destination must be an absolute path in the guest, without ..",
                         read_only ? "-ro" : "", value);
        else if (n == 3 && strcmp(fields[2], "rbind") != 0 && strcmp(fields[2], "norbind") != 0)
                snprintf(error, error_size, "--bind%s=%s: unknown option '%s' (rbind or norbind)", read_only ? "-ro" : "", value,
                         fields[2]);
        else if (n == 1 && !guest_path_is_valid(fields[0]))
                snprintf(error, error_size, "--bind%s=%s: give a destination (SOURCE:DESTINATION) for this source",
                         read_only ? "-ro" : "", value);
        else {
                recursive = !(n == 3 && strcmp(fields[2], "norbind") == 0);
                c = add(m);
                if (!c)
                        r = -ENOMEM;
                else {
                        *c = (struct custom_mount){ .type = CUSTOM_BIND, .read_only = read_only, .recursive = recursive };
                        c->source = fields[0];
                        c->destination = n >= 2 ? fields[1] : strdup(fields[0]);
                        fields[0] = NULL;
                        if (n >= 2)
                                fields[1] = NULL;
                        r = c->destination ? 0 : -ENOMEM;
                }
        }
        for (int i = 0; i < n; i++)
                free(fields[i]);
        return r;
}

int custom_mount_parse_tmpfs(const char *value, struct machine *m, char *error, size_t error_size)
{
        char *fields[2] = {};
        struct custom_mount *c;
        int n = split_colons(value, fields, 2), r = -EINVAL;

        if (n < 0)
                return n;
        if (!guest_path_is_valid(fields[0]))
                snprintf(error, error_size, "--tmpfs=%s: the path must be absolute in the guest, without ..", value);
        else if (n == 2 && strpbrk(fields[1], " \t\n"))
                snprintf(error, error_size, "--tmpfs=%s: mount options are comma-separated, without spaces", value);
        else {
                c = add(m);
                if (!c)
                        r = -ENOMEM;
                else {
                        *c = (struct custom_mount){ .type = CUSTOM_TMPFS };
                        c->destination = fields[0];
                        /* systemd-nspawn's default: a directory anyone may enter, not write. */
                        c->options = n == 2 ? fields[1] : strdup("mode=0755");
                        fields[0] = NULL;
                        if (n == 2)
                                fields[1] = NULL;
                        r = c->options ? 0 : -ENOMEM;
                }
        }
        for (int i = 0; i < n; i++)
                free(fields[i]);
        return r;
}

int volatile_mode_from_string(const char *s)
{
        if (!s || strcmp(s, "yes") == 0)
                return VOLATILE_YES;
        if (strcmp(s, "no") == 0)
                return VOLATILE_NO;
        if (strcmp(s, "state") == 0)
                return VOLATILE_STATE;
        if (strcmp(s, "overlay") == 0)
                return VOLATILE_OVERLAY;
        return -EINVAL;
}
