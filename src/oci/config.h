/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "config/machine.h"
#include "oci/devices.h"
#include "oci/hooks.h"
#include "oci/resources.h"
#include "oci/scheduling.h"

/* The state directories of the OCI runtime's containers, unless --root says otherwise. */
#define OCI_DEFAULT_ROOT "/run/machined-lite-oci"

/* An OCI container: what the runtime's command line and the bundle's config.json say
 * beyond the struct machine they fill (machine->oci points here). */
struct oci_container {
        char *id;
        char *bundle;            /* absolute */
        char *state_dir;         /* ROOT/ID */
        char *pid_file;          /* create --pid-file */
        char *console_socket;    /* create --console-socket */
        bool terminal;           /* process.terminal: the pty's master goes to the console socket */
        bool capabilities_given; /* process.capabilities is there */
        uint64_t caps_effective, caps_permitted, caps_inheritable, caps_ambient; /* its other sets */
        unsigned short console_rows, console_columns;                            /* process.consoleSize, or 0 */
        char *domainname;                                                        /* domainname, or NULL */
        int start_fifo;    /* O_PATH fd of STATE_DIR/exec.fifo: the init opens it for writing,
                            * which blocks until start opens it for reading */
        char *annotations; /* the annotations object, as JSON text ("{}" for none) */
        struct oci_hooks hooks;
        char *config_text; /* config.json as read, saved with the state: what exec takes */
        char *config_file; /* where to read it from, NULL: BUNDLE/config.json */
        char *hooks_json;  /* the hooks object as JSON text, saved for start and delete; NULL: none */
        char *oci_version;
        bool systemd_cgroup;              /* --systemd-cgroup: cgroupsPath is slice:prefix:name */
        struct oci_seccomp *seccomp;      /* linux.seccomp, or NULL: no filter */
        struct cgroup_settings resources; /* linux.resources, written by create */
        struct oci_devices devices;       /* linux.devices, made in its /dev */
        char **sysctl; /* linux.sysctl as KEY=VALUE, each namespaced (written in the container's namespaces) */
        mode_t umask;
        unsigned preserve_fds;             /* create's or exec's --preserve-fds: fds 3 to 3+N-1 go along */
        struct oci_scheduling scheduling;  /* process.ioPriority, scheduler, execCPUAffinity */
        bool time_namespace;               /* linux.namespaces' time: a new one, with linux.timeOffsets */
        bool host_ipc, host_uts, host_pid; /* linux.namespaces without them: the runtime's own,
                                            * joined by create (a machine has its own) */
        bool host_net;                     /* no network namespace of its own, or the host's by path */
        struct {
                int64_t seconds;
                long nanoseconds;
                bool given;
        } time_offsets[2]; /* monotonic, boottime */
};


/* More fds than a caller passes (conmon passes LISTEN_FDS's) is a mistake. */
#define OCI_PRESERVE_FDS_MAX 1024

#define OCI_CONTAINER_INIT                     \
        {                                      \
                .start_fifo = -1, .umask = 022 \
        }

void oci_container_done(struct oci_container *c);

/* Reads BUNDLE/config.json into M and C (C->bundle set by the caller): every key of the
 * runtime specification that machined-lite implements, and a clear refusal for a key it
 * knows but cannot honour here; unknown keys are ignored, as the specification says.
 * Returns 0, or -EINVAL (-ENOENT, -EOPNOTSUPP) after one line naming the key. */
int oci_config_load(struct oci_container *c, struct machine *m);

/* Whether M's config.json sets something of the namespace of clone flag TYPE (network,
 * IPC, UTS): a sysctl of it, or (UTS) a host name or domain name. */
bool oci_sets_namespace(const struct machine *m, int type);
