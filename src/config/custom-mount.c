/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The syntax of --bind, --bind-ro, --tmpfs, --overlay and --overlay-ro (and their
 * NAME.machine keys), and the check of overlay layers inside the tree. Making their
 * directories on the host is host/overlay-dirs.c's; mounting them is the guest side's. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/mount-options.h"
#include "util/path.h"
#include "util/strv.h"

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

bool guest_path_is_valid(const char *path)
{
        if (path[0] != '/' || strcmp(path, "/") == 0)
                return false;
        for (const char *p = path; (p = strstr(p, "..")); p += 2)
                if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
                        return false;
        return true;
}

struct custom_mount *custom_mount_add(struct machine *m)
{
        struct custom_mount *grown = realloc(m->mounts, (m->n_mounts + 1) * sizeof(*grown));

        if (!grown)
                return NULL;
        m->mounts = grown;
        grown[m->n_mounts] = (struct custom_mount){};
        return &grown[m->n_mounts++];
}

/* A bind's options, comma-separated: rbind or norbind, and how IDs map (systemd-nspawn(1)).
 * Returns NULL, or the first one that is none of these. */
static const char *parse_bind_options(char *options, bool *recursive, enum bind_idmap *idmap)
{
        static const char *const idmaps[] = {
                [BIND_NOIDMAP] = "noidmap",
                [BIND_IDMAP] = "idmap",
                [BIND_ROOTIDMAP] = "rootidmap",
                [BIND_OWNERIDMAP] = "owneridmap",
        };
        char *save = NULL;

        for (char *o = strtok_r(options, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                bool known = false;

                if (strcmp(o, "rbind") == 0 || strcmp(o, "norbind") == 0) {
                        *recursive = strcmp(o, "rbind") == 0;
                        continue;
                }
                for (size_t i = 0; i < ELEMENTSOF(idmaps); i++)
                        if (strcmp(o, idmaps[i]) == 0) {
                                *idmap = (enum bind_idmap)i;
                                known = true;
                        }
                if (!known)
                        return o;
        }
        return NULL;
}

int custom_mount_parse_bind(const char *value, bool read_only, struct machine *m, char *error, size_t error_size)
{
        char *fields[3] = {}, *absolute = NULL;
        enum bind_idmap idmap = BIND_NOIDMAP;
        const char *bad = NULL;
        struct custom_mount *c;
        bool recursive = true;
        int n = split_colons(value, fields, 3), r = -EINVAL;

        if (n < 0)
                return n;
        /* A relative source is the current directory's, as nspawn takes it. */
        if (fields[0][0] != '/' && fields[0][0] != '\0' && fields[0][0] != '+') {
                char *cwd = get_current_dir_name();

                if (!cwd || asprintf(&absolute, "%s/%s", cwd, fields[0]) < 0)
                        absolute = NULL;
                free(cwd);
                if (!absolute) {
                        for (int i = 0; i < n; i++)
                                free(fields[i]);
                        return -ENOMEM;
                }
                free(fields[0]);
                fields[0] = absolute;
        }
        if (n == 3)
                bad = parse_bind_options(fields[2], &recursive, &idmap);
        /* +PATH: in the tree; empty: a temporary directory (host/overlay-dirs.c), as nspawn. */
        if (fields[0][0] == '+' && !guest_path_is_valid(fields[0] + 1))
                snprintf(error, error_size, "--bind%s=%s: +PATH takes an absolute path in the tree, without ..",
                         read_only ? "-ro" : "", value);
        else if (fields[0][0] == '\0' && n < 2)
                snprintf(error, error_size, "--bind%s=%s: an empty source (a temporary directory) needs a destination",
                         read_only ? "-ro" : "", value);
        else if (n >= 2 && !guest_path_is_valid(fields[1]))
                snprintf(error, error_size,
                         "--bind%s=%s: the destination must be an absolute path in the guest, without ..",
                         read_only ? "-ro" : "", value);
        else if (bad)
                snprintf(error, error_size,
                         "--bind%s=%s: unknown option '%s' (rbind, norbind, idmap, noidmap, rootidmap or owneridmap)",
                         read_only ? "-ro" : "", value, bad);
        else if (n == 1 && !guest_path_is_valid(fields[0] + (fields[0][0] == '+')))
                snprintf(error, error_size, "--bind%s=%s: give a destination (SOURCE:DESTINATION) for this source",
                         read_only ? "-ro" : "", value);
        else {
                c = custom_mount_add(m);
                if (!c)
                        r = -ENOMEM;
                else {
                        *c = (struct custom_mount){
                                .type = CUSTOM_BIND, .read_only = read_only, .recursive = recursive, .idmap = idmap
                        };
                        c->destination = n >= 2 ? fields[1] : strdup(fields[0] + (fields[0][0] == '+'));
                        c->source = fields[0][0] ? fields[0] : NULL;
                        if (!c->source)
                                free(fields[0]);
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

int custom_mount_parse_inaccessible(const char *value, struct machine *m, char *error, size_t error_size)
{
        struct custom_mount *c;

        if (!guest_path_is_valid(value)) {
                snprintf(error, error_size, "--inaccessible=%s: the path must be absolute in the guest, without ..",
                         value);
                return -EINVAL;
        }
        c = custom_mount_add(m);
        if (!c)
                return -ENOMEM;
        *c = (struct custom_mount){ .type = CUSTOM_INACCESSIBLE, .destination = strdup(value), .read_only = true };
        return c->destination ? 0 : -ENOMEM;
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
                c = custom_mount_add(m);
                if (!c)
                        r = -ENOMEM;
                else {
                        *c = (struct custom_mount){ .type = CUSTOM_TMPFS, .flags = MS_NOSUID | MS_NODEV | MS_STRICTATIME };
                        c->destination = fields[0];
                        fields[0] = NULL;
                        /* systemd-nspawn's default: a directory anyone may enter, not write;
                         * else what the options say, mount(2)'s flags apart ("rw,nosuid"). */
                        if (n < 2)
                                r = (c->options = strdup("mode=0755")) ? 0 : -ENOMEM;
                        else {
                                r = mount_options_split(fields[1], &c->flags, &c->options);
                                if (r == -EINVAL)
                                        snprintf(error, error_size, "--tmpfs=%s: cannot parse the mount options", value);
                        }
                }
        }
        for (int i = 0; i < n; i++)
                free(fields[i]);
        return r;
}

/* An overlay's +PATH layer: absolute inside the tree, without ".."; the tree's root
 * itself only as a lower layer. */
static bool tree_layer_is_valid(const char *layer, bool upper)
{
        return guest_path_is_valid(layer + 1) || (!upper && strcmp(layer + 1, "/") == 0);
}

/* What is wrong with LAYER, the I-th of N_LAYERS counted from the lowest; NULL when
 * nothing is. */
static const char *overlay_layer_problem(const char *layer, size_t i, size_t n_layers, int n_paths, bool read_only)
{
        bool top = i == n_layers - 1;

        if (layer[0] == '\0') {
                if (!top)
                        return "only the uppermost layer may be empty (LOWER::DESTINATION: a temporary one)";
                if (read_only)
                        return "a read-only overlay has no upper layer to leave empty: give a directory for each layer";
                if (n_paths == 2)
                        return "with two paths the upper layer is the destination too, and cannot be empty "
                               "(LOWER::DESTINATION for a temporary one)";
                return NULL;
        }
        if (layer[0] == '+')
                return tree_layer_is_valid(layer, top && !read_only)
                               ? NULL
                               : "a +PATH layer is an absolute path in the tree, without .. (not / for the upper layer)";
        if (layer[0] != '/')
                return "each layer is an absolute host path, or +PATH in the tree";
        if (top && !read_only && strcmp(layer, "/") == 0)
                return "the upper layer cannot be /";
        return NULL;
}

int custom_mount_parse_overlay(const char *value, bool read_only, struct machine *m, char *error, size_t error_size)
{
        const char *option = read_only ? "--overlay-ro" : "--overlay", *problem = NULL, *bad_layer = "", *destination;
        _cleanup_free_ char **fields = NULL;
        struct custom_mount *c;
        size_t colons = 0, n_layers, n_lower;
        int n, r = -EINVAL;

        for (const char *p = value; *p; p++)
                colons += *p == ':';
        fields = calloc(colons + 1, sizeof(*fields));
        if (!fields)
                return -ENOMEM;
        n = split_colons(value, fields, (int)colons + 1);
        if (n < 0)
                return n;
        /* systemd-nspawn(1): of two paths the second is the upper layer and, less its "+",
         * the destination; of more, the last is the destination. */
        n_layers = n == 2 ? 2 : (size_t)n - 1;
        destination = n == 2 ? fields[1] + (fields[1][0] == '+') : fields[n - 1];
        for (size_t i = 0; n >= 2 && i < n_layers && !problem; i++) {
                problem = overlay_layer_problem(fields[i], i, n_layers, n, read_only);
                bad_layer = fields[i];
                /* The kernel would say ELOOP, "too many levels of symbolic links". */
                for (size_t j = 0; j < i && !problem; j++)
                        if (fields[i][0] && strcmp(fields[i], fields[j]) == 0)
                                problem = "the same layer twice: give each directory once";
        }
        if (n < 2)
                snprintf(error, error_size,
                         "%s=%s: give at least two paths, LOWER:UPPER or LOWER...:UPPER:DESTINATION "
                         "(\\: for a colon in a path)",
                         option, value);
        else if (problem)
                snprintf(error, error_size, "%s=%s: %s%s%s%s", option, value, bad_layer[0] ? "'" : "", bad_layer,
                         bad_layer[0] ? "': " : "", problem);
        else if (!guest_path_is_valid(destination))
                snprintf(error, error_size,
                         "%s=%s: the destination must be an absolute path in the guest, without .., not /", option,
                         value);
        else if (!(c = custom_mount_add(m)))
                r = -ENOMEM;
        else {
                /* Read-only, every layer is a lower one; writable, the uppermost is the upper. */
                n_lower = read_only ? n_layers : n_layers - 1;
                *c = (struct custom_mount){ .type = CUSTOM_OVERLAY, .read_only = read_only, .work_parent_fd = -EBADF };
                c->destination = strdup(destination);
                r = c->destination ? 0 : -ENOMEM;
                for (size_t i = 0; i < n_lower && r >= 0; i++)
                        r = strv_extend(&c->lower, fields[i]);
                if (r >= 0 && !read_only && fields[n_layers - 1][0] != '\0')
                        c->source = TAKE_PTR(fields[n_layers - 1]);
        }
        for (int i = 0; i < n; i++)
                free(fields[i]);
        return r;
}

const char *custom_mount_upper_in_tree(const struct machine *m)
{
        for (size_t i = 0; i < m->n_mounts; i++)
                if (m->mounts[i].type == CUSTOM_OVERLAY && m->mounts[i].source && m->mounts[i].source[0] == '+')
                        return m->mounts[i].source;
        return NULL;
}

int custom_mount_open_layer(int tree_fd, const char *layer)
{
        int fd;

        if (layer[0] == '+')
                return open_in_root(tree_fd, layer + 1, O_PATH | O_DIRECTORY, 0);
        fd = open(layer, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

int custom_mounts_check_overlays(const struct machine *m, int tree_fd)
{
        for (size_t i = 0; i < m->n_mounts; i++) {
                const struct custom_mount *c = &m->mounts[i];
                size_t n = strv_length(c->lower);

                if (c->type != CUSTOM_OVERLAY)
                        continue;
                /* The lower layers, then the upper one (when there is one). */
                for (size_t j = 0; j <= n; j++) {
                        const char *layer = j < n ? c->lower[j] : c->source;
                        int fd;

                        if (!layer)
                                continue;
                        fd = custom_mount_open_layer(tree_fd, layer);
                        if (fd < 0)
                                return log_error_errno(
                                        fd,
                                        "Overlay layer %s cannot be used: %m (give an existing directory %s to --overlay%s)",
                                        layer, layer[0] == '+' ? "in the tree after +" : "on the host",
                                        c->read_only ? "-ro" : "");
                        close(fd);
                }
        }
        return 0;
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
