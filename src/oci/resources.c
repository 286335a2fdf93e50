/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* linux.resources written to the container's cgroup (oci/resources.h): v2 first, its
 * controller enabled from the hierarchy's root down as runc does; a hybrid host's v1
 * hierarchy of that controller when v2 has none of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cgroup.h"
#include "oci/resources.h"
#include "util/log.h"
#include "util/macro.h"

void cgroup_settings_done(struct cgroup_settings *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->items[i].controller);
                free(s->items[i].file);
                free(s->items[i].value);
                free(s->items[i].v1_file);
                free(s->items[i].v1_value);
                free(s->items[i].key);
        }
        free(s->items);
        *s = (struct cgroup_settings){};
}

int cgroup_settings_add(struct cgroup_settings *s, const char *key, const char *controller, const char *file,
                        const char *value, const char *v1_file, const char *v1_value)
{
        struct cgroup_setting *grown = realloc(s->items, (s->n + 1) * sizeof(*grown)), *c;

        if (!grown)
                return -ENOMEM;
        s->items = grown;
        c = &s->items[s->n++];
        *c = (struct cgroup_setting){
                .key = strdup(key),
                .controller = strdup(controller),
                .file = strdup(file),
                .value = strdup(value),
                .v1_file = v1_file ? strdup(v1_file) : NULL,
                .v1_value = v1_value ? strdup(v1_value) : NULL,
        };
        return c->key && c->controller && c->file && c->value && (!v1_file || c->v1_file) && (!v1_value || c->v1_value)
                       ? 0
                       : -ENOMEM;
}

static bool has_word(const char *dir, const char *file, const char *word)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char text[1024], *save = NULL;
        ssize_t n;

        if (asprintf(&path, "%s/%s", dir, file) < 0)
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, text, sizeof(text) - 1)) < 0)
                return false;
        text[n] = '\0';
        for (char *w = strtok_r(text, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                if (!strcmp(w, word))
                        return true;
        return false;
}

/* CONTROLLER in CGROUP's cgroup.controllers: each cgroup above it, from the deepest that
 * has it, hands it down (cgroup.subtree_control). false where the hierarchy has it nowhere
 * (a hybrid host's v2 without the v1 controllers) or will not hand it down. */
static bool enable_v2(const char *cgroup, const char *controller)
{
        _cleanup_free_ char *path = NULL;
        char enable[64], *slash;
        size_t full = strlen(cgroup);

        if (has_word(cgroup, "cgroup.controllers", controller))
                return true;
        path = strdup(cgroup);
        if (!path)
                return false;
        while ((slash = strrchr(path, '/')) && slash > path) {
                *slash = '\0';
                if (has_word(path, "cgroup.controllers", controller))
                        break;
        }
        if (!has_word(path, "cgroup.controllers", controller))
                return false;
        snprintf(enable, sizeof(enable), "+%s", controller);
        /* Down again: each level's '/' comes back as it is passed. */
        while (strlen(path) < full) {
                if (cgroup_write_file(path, "cgroup.subtree_control", enable) < 0)
                        return false;
                path[strlen(path)] = '/';
        }
        return has_word(cgroup, "cgroup.controllers", controller);
}

/* The container's cgroup on CONTROLLER's v1 hierarchy (/sys/fs/cgroup/CONTROLLER/..., or a
 * joint one such as cpu,cpuacct). */
static const char *v1_cgroup(char *const *cgroup_v1, const char *controller)
{
        size_t n = strlen(controller);

        for (size_t i = 0; cgroup_v1 && cgroup_v1[i]; i++) {
                const char *h = cgroup_v1[i] + strlen("/sys/fs/cgroup/");

                if (strncmp(cgroup_v1[i], "/sys/fs/cgroup/", 15) != 0)
                        continue;
                /* The hierarchy's name, split at commas. */
                for (const char *p = h; *p && *p != '/';) {
                        size_t len = strcspn(p, ",/");

                        if (len == n && strncmp(p, controller, n) == 0)
                                return cgroup_v1[i];
                        p += len + (p[len] == ',');
                }
        }
        return NULL;
}

int cgroup_settings_apply(const struct cgroup_settings *s, const char *cgroup, char *const *cgroup_v1)
{
        for (size_t i = 0; i < s->n; i++) {
                const struct cgroup_setting *c = &s->items[i];
                const char *v1 = c->v1_file ? v1_cgroup(cgroup_v1, c->controller) : NULL;
                int r;

                if (cgroup && enable_v2(cgroup, c->controller))
                        r = cgroup_write_file(cgroup, c->file, c->value);
                else if (v1)
                        r = cgroup_write_file(v1, c->v1_file, c->v1_value ?: c->value);
                else
                        return log_error_errno(-EOPNOTSUPP,
                                               "linux.resources.%s: this host's cgroups have no %s controller for it",
                                               c->key, c->controller);
                if (r < 0)
                        return log_error_errno(r, "linux.resources.%s: cannot write %s=%s: %m", c->key,
                                               v1 && !(cgroup && has_word(cgroup, "cgroup.controllers", c->controller))
                                                       ? c->v1_file
                                                       : c->file,
                                               c->value);
        }
        return 0;
}
