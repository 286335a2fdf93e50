/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `inspect`: an image's dissection (image/dissect.c) printed for people or as JSON.
 * Not the reading of the image, nor its mounting for a boot (image/image.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/machine.h"
#include "image/dissect.h"
#include "util/json.h"
#include "util/log.h"
#include "util/macro.h"
#include "verbs/inspect.h"

/* Labels and types come from the image: nothing in them may reach a terminal as a
 * control sequence, nor break the JSON. */

/* C0, DEL and C1 controls; and the bidirectional overrides and line separators, which
 * would let a label rearrange or break the lines printed after it. */
static bool is_control(uint32_t c)
{
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
               (c >= 0x2066 && c <= 0x2069);
}

/* For the terminal: control characters and broken UTF-8 become '?'. Pads with spaces
 * to WIDTH characters; returns how many characters S takes. */
static int print_sanitized(const char *s, int width, FILE *f)
{
        const unsigned char *u = (const unsigned char *)s;
        int n_chars = 0;

        while (*u) {
                uint32_t c;
                size_t n = utf8_sequence(u, &c);

                if (n == 0 || is_control(c)) {
                        if (f)
                                fputc('?', f);
                        u += n ? n : 1;
                } else {
                        if (f)
                                fwrite(u, 1, n, f);
                        u += n;
                }
                n_chars++;
        }
        for (int i = n_chars; f && i < width; i++)
                fputc(' ', f);
        return n_chars;
}

static void format_size(uint64_t bytes, char *buf, size_t buf_size)
{
        static const char units[] = "KMGTPE";
        double value = (double)bytes;
        size_t unit = 0;

        if (bytes < 1024) {
                snprintf(buf, buf_size, "%" PRIu64 "B", bytes);
                return;
        }
        value /= 1024;
        while (value >= 1024 && unit + 1 < sizeof(units) - 1) {
                value /= 1024;
                unit++;
        }
        snprintf(buf, buf_size, "%.1f%c", value, units[unit]);
}

static void format_flags(const struct image_partition *p, char *buf, size_t buf_size)
{
        snprintf(buf, buf_size, "%s%s%s%s%s", p->read_only ? "ro" : "",
                 p->read_only && (p->no_auto || p->growfs) ? "," : "", p->no_auto ? "no-auto" : "",
                 p->no_auto && p->growfs ? "," : "", p->growfs ? "growfs" : "");
        if (buf[0] == '\0')
                snprintf(buf, buf_size, "-");
}

static void print_json(const struct dissected_image *d, const char *path, FILE *f)
{
        fputs("{\"image\": ", f);
        if (path)
                json_print_string(path, f);
        else
                fputs("null", f);
        fputs(", \"table\": ", f);
        json_print_string(d->table, f);
        fputs(", \"disk_uuid\": ", f);
        json_print_string(d->disk_uuid, f);
        fprintf(f, ", \"size\": %" PRIu64 ", \"partitions\": [", d->size);
        for (size_t i = 0; i < d->n_partitions; i++) {
                const struct image_partition *p = &d->partitions[i];

                fprintf(f, "%s{\"number\": %d, \"designator\": ", i > 0 ? ", " : "", p->number);
                json_print_string(partition_designator_to_string(p->designator), f);
                fputs(", \"type\": ", f);
                json_print_string(p->type, f);
                fputs(", \"arch\": ", f);
                json_print_string(p->arch, f);
                fputs(", \"uuid\": ", f);
                json_print_string(p->uuid, f);
                fputs(", \"label\": ", f);
                json_print_string(p->label, f);
                fputs(", \"fstype\": ", f);
                json_print_string(p->fstype, f);
                fprintf(f,
                        ", \"offset\": %" PRIu64 ", \"size\": %" PRIu64
                        ", \"read_only\": %s, \"no_auto\": %s, \"growfs\": %s, \"mount_point\": ",
                        p->offset, p->size, p->read_only ? "true" : "false", p->no_auto ? "true" : "false",
                        p->growfs ? "true" : "false");
                if (p->mount_point)
                        json_print_string(p->mount_point, f);
                else
                        fputs("null", f);
                fputc('}', f);
        }
        fputs("]}\n", f);
}

static void print_table(const struct dissected_image *d, const char *path, FILE *f)
{
        char size[16];
        int label_width = 5; /* "LABEL" */

        fputs("Image:  ", f);
        print_sanitized(path ? path : "-", 0, f);
        format_size(d->size, size, sizeof(size));
        if (d->table[0] == '\0')
                fprintf(f, "\nTable:  none (a bare file system), %s\n", size);
        else if (d->disk_uuid[0] != '\0')
                fprintf(f, "\nTable:  %s, disk %s, %s\n", d->table, d->disk_uuid, size);
        else
                fprintf(f, "\nTable:  %s, %s\n", d->table, size);

        for (size_t i = 0; i < d->n_partitions; i++) {
                int width = print_sanitized(d->partitions[i].label, 0, NULL);

                if (width > label_width)
                        label_width = width;
        }
        fprintf(f, "%-3s %-15s %-11s %-11s %8s  %-17s %-*s %s\n", "#", "DESIGNATOR", "ARCH", "FS", "SIZE", "FLAGS",
                label_width, "LABEL", "MOUNT");
        for (size_t i = 0; i < d->n_partitions; i++) {
                const struct image_partition *p = &d->partitions[i];
                char flags[32];

                format_size(p->size, size, sizeof(size));
                format_flags(p, flags, sizeof(flags));
                fprintf(f, "%-3d %-15s %-11s ", p->number, partition_designator_to_string(p->designator),
                        p->arch[0] ? p->arch : "-");
                print_sanitized(p->fstype[0] ? p->fstype : "-", 11, f);
                fprintf(f, " %8s  %-17s ", size, flags);
                print_sanitized(p->label[0] ? p->label : "-", label_width, f);
                fprintf(f, " %s\n", p->mount_point ? p->mount_point : "-");
        }
}

void inspect_print(const struct dissected_image *d, const char *path, bool json, FILE *f)
{
        if (json)
                print_json(d, path, f);
        else
                print_table(d, path, f);
}

int inspect_image(const char *path, bool json)
{
        struct dissected_image d = {};
        char error[256];
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        int r;

        if (fd < 0)
                return log_error_errno(-errno, "Cannot open image %s: %m", path);
        r = dissect_image(fd, &d, error, sizeof(error));
        if (r < 0)
                return log_error_errno(r, "Image %s: %s", path, error);
        inspect_print(&d, path, json, stdout);
        dissected_image_done(&d);
        return 0;
}

int verb_inspect(const struct machine *m)
{
        _cleanup_free_ char *path = NULL;

        if (!m->image && asprintf(&path, "%s/%s.raw", MACHINES_DIR, m->name) < 0)
                return EXIT_SETUP_FAILED;
        if (!m->image && access(path, F_OK) < 0 && errno == ENOENT) {
                /* NAME of a directory machine: say so rather than that NAME.raw is missing. */
                struct stat st;

                path[strlen(path) - strlen(".raw")] = '\0';
                if (stat(path, &st) >= 0 && S_ISDIR(st.st_mode)) {
                        log_error("Machine %s is a directory tree (%s): inspect reads raw disk images only "
                                  "(give -i IMAGE, or the NAME of %s/NAME.raw)",
                                  m->name, path, MACHINES_DIR);
                        return EXIT_BAD_TREE;
                }
                strcat(path, ".raw");
        }
        return inspect_image(m->image ?: path, m->json) < 0 ? EXIT_BAD_TREE : 0;
}
