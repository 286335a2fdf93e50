/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OCI containers of machined-lite-oci's default state directory, as `machined-lite
 * list` and `status` show them beside the machines (verbs/containers.h): one engine, so
 * one list. They have no supervisor: what they are is read from their state and judged
 * from their init (oci/state.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oci/config.h"
#include "oci/state.h"
#include "util/json.h"
#include "util/macro.h"
#include "util/strv.h"
#include "verbs/containers.h"

bool containers_id_is_valid(const char *name)
{
        return oci_id_is_valid(name);
}

/* RFC 3339 (UTC) into seconds since the epoch; 0 when it is not one. */
static time_t created_time(const char *created)
{
        struct tm tm = {};

        if (!created || !strptime(created, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return timegm(&tm);
}

/* Calls ROW for each container that has a state, sorted by ID. */
static size_t for_each_container(void (*row)(const struct oci_state *s, enum oci_status status, size_t i))
{
        char **ids = NULL;
        size_t n = 0;

        if (oci_state_list(OCI_DEFAULT_ROOT, &ids) < 0)
                return 0;
        for (size_t i = 0; ids && ids[i]; i++) {
                struct oci_state s = {};

                if (oci_state_read(OCI_DEFAULT_ROOT, ids[i], &s) >= 0)
                        row(&s, oci_state_status(OCI_DEFAULT_ROOT, &s), n++);
                oci_state_done(&s);
        }
        strv_free(ids);
        return n;
}

static bool address_column;
static int name_column = 16;

static void table_row(const struct oci_state *s, enum oci_status status, size_t i _unused_)
{
        time_t t = created_time(s->created);
        char since[64] = "-";
        struct tm tm;

        if (t && localtime_r(&t, &tm))
                strftime(since, sizeof(since), "%a %Y-%m-%d %H:%M:%S %Z", &tm);
        printf("%-*s %-10s %-8s %-8s %8d  ", name_column, s->id, "oci", oci_status_name(status), "-",
               status == OCI_STOPPED ? 0 : (int)s->pid);
        if (address_column)
                printf("%-18s ", "-");
        printf("%-32s %s\n", s->rootfs ?: "-", since);
}

size_t containers_name_width(void)
{
        char **ids = NULL;
        size_t width = 0;

        if (oci_state_list(OCI_DEFAULT_ROOT, &ids) < 0)
                return 0;
        for (size_t i = 0; ids && ids[i]; i++)
                width = MAX(width, strlen(ids[i]));
        strv_free(ids);
        return width;
}

size_t containers_print_table(bool addresses, int name_width)
{
        address_column = addresses;
        name_column = name_width;
        return for_each_container(table_row);
}

static bool json_first;

static void json_row(const struct oci_state *s, enum oci_status status, size_t i)
{
        fputs(json_first && i == 0 ? "{\"name\": " : ", {\"name\": ", stdout);
        json_print_string(s->id, stdout);
        printf(", \"class\": \"oci\", \"state\": \"%s\", \"leader\": %d, \"root\": ", oci_status_name(status),
               status == OCI_STOPPED ? 0 : (int)s->pid);
        json_print_string(s->rootfs, stdout);
        fputs(", \"bundle\": ", stdout);
        json_print_string(s->bundle, stdout);
        fputs(", \"cgroup\": ", stdout);
        json_print_string(s->cgroup, stdout);
        printf(", \"since\": %llu}", (unsigned long long)created_time(s->created) * 1000000ULL);
}

size_t containers_print_json(bool first)
{
        json_first = first;
        return for_each_container(json_row);
}

int containers_print_status(const char *id)
{
        struct oci_state s = {};
        enum oci_status status;

        if (oci_state_read(OCI_DEFAULT_ROOT, id, &s) < 0) {
                oci_state_done(&s);
                return -ENOENT;
        }
        status = oci_state_status(OCI_DEFAULT_ROOT, &s);
        printf("%s (oci container of machined-lite-oci, in %s)\n", s.id, OCI_DEFAULT_ROOT);
        printf("      State: %s\n", oci_status_name(status));
        printf("    Created: %s\n", s.created ?: "-");
        if (status != OCI_STOPPED)
                printf("     Leader: %d\n", (int)s.pid);
        printf("     Bundle: %s\n", s.bundle ?: "-");
        printf("       Root: %s\n", s.rootfs ?: "-");
        printf("     CGroup: %s\n", s.cgroup ?: "-");
        oci_state_done(&s);
        return 0;
}

int containers_read_state(const char *id, struct machine_state *ret)
{
        struct oci_state s = {};
        enum oci_status status;
        int r = oci_state_read(OCI_DEFAULT_ROOT, id, &s);

        if (r < 0) {
                oci_state_done(&s);
                return r;
        }
        status = oci_state_status(OCI_DEFAULT_ROOT, &s);
        if (status == OCI_STOPPED) {
                oci_state_done(&s);
                return -ENOENT;
        }
        *ret = (struct machine_state){
                .name = TAKE_PTR(s.id),
                .leader = s.pid,
                .leader_start = s.pid_start,
                .root = TAKE_PTR(s.rootfs),
                .cgroup = TAKE_PTR(s.cgroup),
                .class = strdup("oci"),
                .init = strdup("oci"),
        };
        oci_state_done(&s);
        if (!ret->name || !ret->root || !ret->cgroup || !ret->class || !ret->init) {
                machine_state_done(ret);
                return -ENOMEM;
        }
        return 0;
}
