/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Our standing with the host's systemd over D-Bus: the transient scope
 * (StartTransientUnit, Delegate=yes) and the machine registered with systemd-machined,
 * and their removal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/register.h"
#include "host/unit-property.h"
#include "util/libsystemd.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/time.h"

#define SYSTEMD_BUS "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define MACHINED_BUS "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_MANAGER "org.freedesktop.machine1.Manager"

/* How long systemd may take to start our scope. */
#define JOB_TIMEOUT_USEC (30ULL * 1000000ULL)

int register_connect(const struct machine *m, struct registration *reg)
{
        int r;

        if (m->register_mode == REGISTER_NO)
                return 0;
        /* auto: only a host that runs systemd has the managers we register with. The
         * test is sd_booted()'s, made here: on a host without systemd nothing of libsystemd
         * but sd-event then pages into the supervisor (bench/, section 2). */
        if (m->register_mode == REGISTER_AUTO) {
                struct stat st;

                if (lstat("/run/systemd/system/", &st) < 0 || !S_ISDIR(st.st_mode))
                        return 0;
        }
        r = libsystemd_load();
        if (r < 0)
                return m->register_mode == REGISTER_AUTO ? 0 : r;
        r = sym_sd_bus_open_system(&reg->bus);
        if (r < 0) {
                reg->bus = NULL;
                libsystemd_unload();
                if (m->register_mode == REGISTER_AUTO)
                        return 0;
                return log_error_errno(r, "--register=yes: cannot connect to the system bus: %m "
                                          "(is this host running systemd and dbus? use --register=no)");
        }
        return 1;
}

struct job_wait {
        const char *job;
        char *result;
};

static int on_job_removed(sd_bus_message *message, void *userdata, sd_bus_error *error _unused_)
{
        struct job_wait *wait = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sym_sd_bus_message_read(message, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (wait->job && strcmp(path, wait->job) == 0 && !wait->result)
                wait->result = strdup(result);
        return 0;
}

/* Our scope's properties, then those of --property; errors are logged. */
static int append_scope_properties(const struct machine *m, sd_bus *bus, sd_bus_message *message)
{
        _cleanup_free_ char *introspection = NULL;
        char description[256];
        uint32_t pid = (uint32_t)getpid();
        int r;

        snprintf(description, sizeof(description), "Machine %s (machined-lite)", m->name);
        r = sym_sd_bus_message_append(message, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", description, "Slice", "s",
                                      m->slice ?: "machine.slice", "Delegate", "b", 1, "PIDs", "au", 1, pid,
                                      /* Gone from systemd's memory once it ends, even if it failed. */
                                      "CollectMode", "s", "inactive-or-failed");
        if (r < 0)
                return log_error_errno(r, "Cannot build the request for our scope: %m");
        for (size_t i = 0; i < m->n_properties; i++) {
                const struct property *p = &m->properties[i];

                if (p->type != PROPERTY_PASSED) {
                        r = property_append(message, p);
                        if (r < 0)
                                return log_error_errno(r, "Cannot build --property=%s for systemd: %m", p->name);
                        continue;
                }
                if (!introspection)
                        introspection = unit_property_introspect(bus);
                r = unit_property_append_passed(message, p, introspection);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Runs the bus until systemd says our job is gone, with its result. */
static int wait_for_job(struct registration *reg, struct job_wait *wait)
{
        uint64_t deadline = now_usec() + JOB_TIMEOUT_USEC;
        int r;

        while (!wait->result) {
                uint64_t now;

                r = sym_sd_bus_process(reg->bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                now = now_usec();
                if (now >= deadline)
                        return -ETIMEDOUT;
                r = sym_sd_bus_wait(reg->bus, deadline - now);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* StartTransientUnit of the scope SCOPE, its properties from APPEND, and the wait for its
 * job; OWNER names what it is for, in the line that says systemd refused it. 0, -EEXIST
 * (the unit exists) or -errno, logged. */
static int start_scope(sd_bus *bus, const char *scope, const char *owner,
                       int (*append)(sd_bus *bus, sd_bus_message *message, void *userdata), void *userdata)
{
        _cleanup_(bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *message = NULL, *reply = NULL;
        sd_bus_slot *slot = NULL;
        struct job_wait wait = {};
        struct registration reg = { .bus = bus };
        const char *job;
        int r;

        /* Listen before asking: the job may be done before the call returns. */
        r = sym_sd_bus_match_signal(bus, &slot, SYSTEMD_BUS, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                    on_job_removed, &wait);
        if (r < 0)
                return log_error_errno(r, "Cannot watch systemd's jobs: %m");
        r = sym_sd_bus_message_new_method_call(bus, &message, SYSTEMD_BUS, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                               "StartTransientUnit");
        if (r >= 0)
                r = sym_sd_bus_message_append(message, "ss", scope, "fail");
        if (r >= 0)
                r = sym_sd_bus_message_open_container(message, 'a', "(sv)");
        if (r >= 0) {
                r = append(bus, message, userdata);
                if (r < 0) {
                        sym_sd_bus_message_unref(message);
                        sym_sd_bus_slot_unref(slot);
                        return r;
                }
        }
        if (r >= 0)
                r = sym_sd_bus_message_close_container(message);
        if (r >= 0)
                r = sym_sd_bus_message_append(message, "a(sa(sv))", 0);
        if (r < 0) {
                sym_sd_bus_message_unref(message);
                sym_sd_bus_slot_unref(slot);
                return log_error_errno(r, "Cannot build the request for %s: %m", scope);
        }

        r = sym_sd_bus_call(bus, message, 0, &error, &reply);
        sym_sd_bus_message_unref(message);
        if (r < 0) {
                sym_sd_bus_slot_unref(slot);
                if (sym_sd_bus_error_has_name(&error, "org.freedesktop.systemd1.UnitExists"))
                        return log_error_errno(-EEXIST, "%s is already running (%s exists)", owner, scope);
                return log_error_errno(r, "systemd refused to create %s: %s", scope, error.message ?: strerror(-r));
        }
        r = sym_sd_bus_message_read(reply, "o", &job);
        if (r >= 0)
                wait.job = job;
        if (r >= 0)
                r = wait_for_job(&reg, &wait);
        sym_sd_bus_message_unref(reply);
        sym_sd_bus_slot_unref(slot);
        if (r < 0) {
                free(wait.result);
                return log_error_errno(r, "Waiting for systemd to start %s failed: %m", scope);
        }
        if (strcmp(wait.result, "done") != 0) {
                log_error("systemd could not start %s: its job ended with \"%s\" (see journalctl -u %s)", scope,
                          wait.result, scope);
                free(wait.result);
                return -EIO;
        }
        free(wait.result);
        return 0;
}

static int append_machine_scope(sd_bus *bus, sd_bus_message *message, void *userdata)
{
        return append_scope_properties(userdata, bus, message);
}

int register_scope(const struct machine *m, struct registration *reg)
{
        char scope[128], owner[160];
        int r;

        snprintf(scope, sizeof(scope), "machine-%s.scope", m->name);
        snprintf(owner, sizeof(owner), "A machine named %s", m->name);
        r = start_scope(reg->bus, scope, owner, append_machine_scope, (void *)m);
        if (r < 0)
                return r;
        reg->scope = strdup(scope);
        return reg->scope ? 0 : -ENOMEM;
}

struct container_scope {
        const char *slice, *description;
};

/* As runc's systemd driver makes a container's scope: in its slice, delegated, holding
 * us (and so what we start), gone once empty. */
static int append_container_scope(sd_bus *bus _unused_, sd_bus_message *message, void *userdata)
{
        const struct container_scope *c = userdata;

        return sym_sd_bus_message_append(message, "(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s", c->description,
                                         "Slice", "s", c->slice, "Delegate", "b", 1, "PIDs", "au", 1, (uint32_t)getpid(),
                                         "DefaultDependencies", "b", 0, "CollectMode", "s", "inactive-or-failed");
}

int register_container_scope(const char *scope, const char *slice, const char *id)
{
        _cleanup_free_ char *description = NULL;
        sd_bus *bus = NULL;
        char owner[192];
        int r;

        r = libsystemd_load();
        if (r < 0)
                return r;
        r = sym_sd_bus_open_system(&bus);
        if (r < 0) {
                libsystemd_unload();
                return log_error_errno(r, "--systemd-cgroup: cannot connect to the system bus: %m (is this host running "
                                          "systemd? use the cgroupfs manager: a path in cgroupsPath)");
        }
        if (asprintf(&description, "OCI container %s (machined-lite-oci)", id) < 0)
                description = NULL;
        snprintf(owner, sizeof(owner), "A container %s", id);
        r = description ? start_scope(bus, scope, owner, append_container_scope,
                                      &(struct container_scope){ slice, description })
                        : -ENOMEM;
        sym_sd_bus_flush_close_unref(bus);
        libsystemd_unload();
        return r;
}

int register_container_machine(const char *id, pid_t leader, const char *root)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        int r;

        r = libsystemd_load();
        if (r < 0)
                return r;
        r = sym_sd_bus_open_system(&bus);
        if (r >= 0)
                /* No ID of its own (machined makes none up), no network interfaces to tell. */
                r = sym_sd_bus_call_method(bus, MACHINED_BUS, MACHINED_PATH, MACHINED_MANAGER, "RegisterMachine",
                                           &error, NULL, "sayssus", id, 0, "machined-lite-oci", "container",
                                           (uint32_t)leader, root);
        if (r < 0 && !sym_sd_bus_error_has_names_sentinel(&error, "org.freedesktop.DBus.Error.ServiceUnknown",
                                                          "org.freedesktop.DBus.Error.NameHasNoOwner", NULL))
                log_warning("Note: container %s is not registered with systemd-machined (machinectl does not list it): "
                            "%s",
                            id, error.message ?: strerror(-r));
        /* (No cleanup attribute: nothing of libsystemd's may run once it is unloaded.) */
        sym_sd_bus_error_free(&error);
        sym_sd_bus_flush_close_unref(bus);
        libsystemd_unload();
        return 0;
}

int register_machine(const struct machine *m, struct registration *reg, pid_t leader, int ifindex)
{
        _cleanup_(bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *message = NULL;
        int r;

        r = sym_sd_bus_message_new_method_call(reg->bus, &message, MACHINED_BUS, MACHINED_PATH, MACHINED_MANAGER,
                                               "RegisterMachineWithNetwork");
        if (r >= 0)
                r = sym_sd_bus_message_append(message, "s", m->name);
        if (r >= 0)
                r = sym_sd_bus_message_append_array(message, 'y', m->uuid.bytes, sizeof(m->uuid.bytes));
        if (r >= 0)
                r = sym_sd_bus_message_append(message, "ssus", "machined-lite", "container", (uint32_t)leader, m->root);
        /* host0's peer, as nspawn tells it: machinectl status shows it as Iface. */
        if (r >= 0)
                r = ifindex > 0 ? sym_sd_bus_message_append(message, "ai", 1, ifindex)
                                : sym_sd_bus_message_append(message, "ai", 0);
        if (r < 0) {
                sym_sd_bus_message_unref(message);
                return log_error_errno(r, "Cannot build the request to systemd-machined: %m");
        }
        r = sym_sd_bus_call(reg->bus, message, 0, &error, NULL);
        sym_sd_bus_message_unref(message);
        if (r < 0) {
                /* Without machined (no systemd-container), all else still works. */
                if (sym_sd_bus_error_has_names_sentinel(&error, "org.freedesktop.DBus.Error.ServiceUnknown",
                                                        "org.freedesktop.DBus.Error.NameHasNoOwner", NULL))
                        return 0;
                if (sym_sd_bus_error_has_name(&error, "org.freedesktop.machine1.MachineExists"))
                        return log_error_errno(-EEXIST, "A machine named %s is already registered with systemd-machined",
                                               m->name);
                return log_error_errno(r, "systemd-machined refused to register machine %s: %s", m->name,
                                       error.message ?: strerror(-r));
        }
        reg->machined = true;
        return 0;
}

void register_let_go(struct registration *reg)
{
        if (!reg->bus)
                return;
        reg->bus = sym_sd_bus_flush_close_unref(reg->bus);
        libsystemd_unload();
}

void register_done(const struct machine *m, struct registration *reg)
{
        if (reg->machined && !reg->bus && libsystemd_load() >= 0) {
                if (sym_sd_bus_open_system(&reg->bus) < 0)
                        reg->bus = NULL;
                if (!reg->bus)
                        libsystemd_unload();
        }
        if (reg->bus && reg->machined)
                /* machined would notice the leader's end by itself; say it at once. */
                (void)sym_sd_bus_call_method(reg->bus, MACHINED_BUS, MACHINED_PATH, MACHINED_MANAGER,
                                             "UnregisterMachine", NULL, NULL, "s", m->name);
        reg->machined = false;
        free(reg->scope);
        reg->scope = NULL;
        register_let_go(reg);
}
