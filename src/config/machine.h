/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-id128.h>

#include "config/network.h"
#include "config/property.h"

/* Exit codes of machined-lite itself (README "Exit codes"). A guest's own status is
 * passed on as it is, so these can only be told apart from it by the message on stderr. */
enum {
        EXIT_SETUP_FAILED = 1, /* a step of setting the machine up failed */
        EXIT_USAGE = 2,        /* unknown option, bad value, invalid machine name */
        EXIT_NOT_ROOT = 3,     /* not run as root */
        EXIT_BAD_TREE = 4,     /* missing tree, not a directory, no init, init not executable */
        EXIT_BUSY = 5,         /* a machine of that name is already running */
        EXIT_NO_MACHINE = 6,   /* no machine of that name is running (status, stop, kill, shell) */
        EXIT_NOT_EXECUTABLE = 126,
        EXIT_NOT_FOUND = 127, /* the command does not exist in the guest */
        EXIT_REBOOT = 133,    /* the guest rebooted: a unit restarts us on this */
};

enum verb {
        VERB_BOOT,
        VERB_RUN,
        VERB_INSPECT,
        VERB_EXEC, /* systemd-nspawn COMMAND without -b or -a: the command itself is PID 1 */
};

enum console_mode {
        CONSOLE_DEFAULT, /* picked at start-up from what stdin/stdout are */
        CONSOLE_INTERACTIVE,
        CONSOLE_READ_ONLY,
        CONSOLE_PASSIVE,
        CONSOLE_PIPE,
        CONSOLE_AUTOPIPE,
};

enum register_mode {
        REGISTER_AUTO,
        REGISTER_YES,
        REGISTER_NO,
};

enum init_kind {
        INIT_OTHER,
        INIT_SYSTEMD,
        INIT_BUSYBOX,
        INIT_STUB, /* our own, for `run` */
};

enum private_users {
        PRIVATE_USERS_NO,
        PRIVATE_USERS_PICK,       /* -U: a free 64K range, chosen from the name */
        PRIVATE_USERS_TREE_OWNER, /* yes: the range starts at the tree's owner */
        PRIVATE_USERS_FIXED,      /* UID[:COUNT] */
        PRIVATE_USERS_IDENTITY,   /* identity: the host's first 64K IDs as they are, no range of its own */
};

/* --private-users-ownership: how the guest's root comes to own the tree. */
enum ownership {
        OWNERSHIP_AUTO,  /* off when the tree is owned by the range, else map, else chown */
        OWNERSHIP_MAP,   /* an idmapped mount: the tree stays root-owned on disk */
        OWNERSHIP_CHOWN, /* every file shifted into the range on disk, once */
        OWNERSHIP_OFF,   /* as it is on disk */
};

/* --network-configure: who addresses a machine's veth, when it has one. */
enum network_configure {
        NETWORK_CONFIGURE_AUTO, /* we do, unless systemd-networkd runs on the host */
        NETWORK_CONFIGURE_YES,  /* we do: addresses, routes, NAT, DHCP */
        NETWORK_CONFIGURE_NO,   /* we make the links only, as systemd-nspawn: networkd's job */
};

/* --volatile, as systemd-nspawn(1) defines it. */
/* --resolv-conf= (systemd-nspawn(1)): what becomes of the guest's /etc/resolv.conf. */
enum resolv_conf_mode {
        RESOLV_CONF_DEFAULT, /* ours: the host's copied into a tree that has none (-n: ours) */
        RESOLV_CONF_OFF,
        RESOLV_CONF_COPY_HOST,
        RESOLV_CONF_REPLACE_HOST,
        RESOLV_CONF_BIND_HOST,
        RESOLV_CONF_DELETE,
        RESOLV_CONF_AUTO,
};

/* --timezone=: what becomes of the guest's /etc/localtime. */
enum timezone_mode {
        TIMEZONE_DEFAULT, /* ours: the host's zone where the tree has no /etc/localtime */
        TIMEZONE_OFF,
        TIMEZONE_COPY,
        TIMEZONE_BIND,
        TIMEZONE_SYMLINK,
        TIMEZONE_DELETE,
        TIMEZONE_AUTO,
};

/* --rlimit=NAME=SOFT[:HARD]: one resource limit for the guest's PID 1 and what it starts. */
struct guest_rlimit {
        int resource;
        uint64_t soft, hard; /* RLIM_INFINITY for infinity */
};

enum volatile_mode {
        VOLATILE_NO,
        VOLATILE_YES,     /* / is a tmpfs, only /usr comes from the tree, read-only */
        VOLATILE_STATE,   /* the tree read-only, /var a tmpfs */
        VOLATILE_OVERLAY, /* the tree read-only under an overlay whose upper layer is a tmpfs */
};

/* --bind, --bind-ro, --tmpfs, --overlay, --overlay-ro: mounts from the command line, in
 * the guest's namespace. */
struct guest_user;

/* --set-credential=ID:VALUE, --load-credential=ID:PATH (credentials(7)): what the guest's
 * PID 1 finds in $CREDENTIALS_DIRECTORY/ID. */
struct credential {
        char *id;
        char *data;
        size_t size;
};

/* --bind-user=NAME: a user of the host's in the guest, as systemd-nspawn binds one: its home
 * at /run/host/home/NAME, its UID and GID mapped to GUEST_ID, and its records in
 * /run/host/userdb for the guest's nss-systemd (host/bind-user.c fills all but the name). */
struct bind_user {
        char *name; /* the host's user, whose own group has the same name */
        uid_t host_uid;
        gid_t host_gid;
        uid_t guest_id;                   /* its UID and GID in the guest, from 60514 */
        char *home;                       /* the host's home directory, bound */
        char *user_record, *group_record; /* JSON user and group records (userdb) */
        char *privileged_record;          /* the hashed password, mode 0600; NULL for none */
};

/* How a bind's IDs map into the guest (systemd-nspawn(1)'s bind options). */
enum bind_idmap {
        BIND_NOIDMAP,    /* as on disk (with -U: the host's IDs outside the range are nobody) */
        BIND_IDMAP,      /* with -U: the host's UID z is the guest's z */
        BIND_ROOTIDMAP,  /* the source's owner is the guest's root */
        BIND_OWNERIDMAP, /* the source's owner is the owner of the destination in the guest */
};

struct custom_mount {
        enum { CUSTOM_BIND, CUSTOM_TMPFS, CUSTOM_OVERLAY, CUSTOM_INACCESSIBLE, CUSTOM_FS } type;
        char *source;        /* bind: the host path, absolute; overlay: the upper layer, a host
                              * path or +PATH in the tree, NULL for a temporary one (read-only:
                              * always NULL) */
        char *destination;   /* absolute, inside the guest */
        char *options;       /* tmpfs, fs: the file system's mount options (size=, mode=...) */
        unsigned long flags; /* tmpfs, fs: mount(2)'s flags, the defaults with what the options say */
        char *fs_type;       /* fs (OCI's mounts of any other type): the type, SOURCE mount(2)'s source */
        char **lower;        /* overlay: the lower layers, lowest first (host paths or +PATH) */
        char *work_dir;      /* overlay: the name of the work directory that
                              * custom_mounts_prepare() made next to the upper layer */
        int work_parent_fd;  /* ... the directory it is in (valid while work_dir is set) */
        char *temp_dir;      /* overlay with an empty upper: /var/tmp/machined-lite-overlay.XXXXXX
                              * holding upper/ and work/, removed when the machine ends */
        bool read_only;
        bool recursive; /* bind: rbind (default) or norbind */
        bool optional;  /* OCI's maskedPaths and readonlyPaths: nothing where the guest has no such path */
        bool copy_up;   /* tmpfs: OCI's tmpcopyup, what the tree has there copied into it */
        enum bind_idmap idmap;
        /* bind: mount_setattr(2)'s attributes (MOUNT_ATTR_*) set and cleared on its top
         * mount, then on every mount of it (OCI's r-options), and a propagation type
         * (MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE; 0: the source's, a slave of the host's) */
        uint64_t attr_set, attr_clear, recursive_attr_set, recursive_attr_clear, propagation;
        bool propagation_recursive;
};

/* --link-journal, as systemd-nspawn(1) defines it (host/journal-link.c). */
enum link_journal {
        LINK_JOURNAL_AUTO, /* bind the host's /var/log/journal/ID into the guest when it is a directory */
        LINK_JOURNAL_NO,
        LINK_JOURNAL_HOST,      /* the journal on the host, bound into the guest */
        LINK_JOURNAL_GUEST,     /* the journal in the tree, linked from the host */
        LINK_JOURNAL_TRY_HOST,  /* host, or nothing where the host has no /var/log/journal */
        LINK_JOURNAL_TRY_GUEST, /* guest, likewise */
};

/* --settings, as systemd-nspawn(1) defines it. */
enum settings_mode {
        SETTINGS_YES, /* read NAME.machine; the command line wins over it */
        SETTINGS_NO,
        SETTINGS_TRUSTED,  /* also a file next to the tree may grant more */
        SETTINGS_OVERRIDE, /* the file wins over the command line */
};

#define MACHINES_DIR "/var/lib/machines"

struct oci_container;

/* The one description of a machine: options fill it, machine_resolve() and
 * machine_check_root() complete it, and everything after only reads it. */
struct machine {
        enum verb verb;
        char *name;          /* -M, or the tree's base name */
        char *root;          /* absolute path of the tree (for an image: where it is mounted) */
        char *image;         /* -i: the raw disk image or block device, absolute */
        char **image_mounts; /* -i: where the image's file systems other than / are mounted under
                              * root ("/usr", "/home", ...), in the order they were mounted */
        int image_fd;        /* the image, open and locked for the machine's life */
        bool json;           /* --json, for inspect */
        char *template_tree; /* --template: the tree to copy to root when root does not exist */
        char *template_path; /* that tree, found, when root is to be made from it (machine_resolve()) */
        char *oci_bundle;    /* --oci-bundle: an OCI bundle whose root and config.json make the machine */
        bool ephemeral;      /* -x: an overlay on a tmpfs over the tree, gone with the machine */
        char *ephemeral_dir; /* --ephemeral-dir: the overlays' upper layers go in a new directory here,
                              * not on a tmpfs; absolute once resolved */
        enum volatile_mode volatile_mode;
        struct custom_mount *mounts;
        size_t n_mounts;
        enum settings_mode settings_mode;
        char *hostname; /* --hostname, else the name */
        enum console_mode console;
        bool read_only;
        bool private_network;         /* implied by every option of a network of its own */
        bool network_veth;            /* -n: a veth pair ve-NAME/host0 */
        char **network_veth_extra;    /* --network-veth-extra=HOSTIF[:GUESTIF], as given */
        char *network_bridge;         /* --network-bridge=: host0's peer vb-NAME joins this bridge */
        char *network_zone;           /* --network-zone=: ... the zone's bridge vz-ZONE, made as needed */
        char **network_interfaces;    /* --network-interface=IF[:GUESTIF]: moved in, moved back after */
        char **oci_net_devices;       /* OCI's linux.netDevices, IF:GUESTIF: moved in for good, up, with
                                       * their permanent global addresses */
        char **network_macvlan;       /* --network-macvlan=IF[:GUESTIF] */
        char **network_ipvlan;        /* --network-ipvlan=IF[:GUESTIF] */
        char *network_namespace_path; /* --network-namespace-path=: join this one instead */
        enum network_configure network_configure;
        struct port_forward *ports; /* -p */
        size_t n_ports;
        enum register_mode register_mode;
        int kill_signal;              /* 0: chosen from the init */
        char *init;                   /* --init, a path inside the guest */
        char **setenv;                /* --setenv assignments, in order */
        char *user;                   /* -u/--user: the command's user (a name or UID of the guest's) */
        char *working_directory;      /* --chdir: the command's working directory, in the guest */
        bool uuid_given;              /* --uuid: uuid below is the user's, not the tree's */
        unsigned long personality;    /* --personality: PERSONALITY_DEFAULT (0xffffffff) or PER_* */
        struct guest_rlimit *rlimits; /* --rlimit */
        size_t n_rlimits;
        bool oom_score_adjust_set; /* --oom-score-adjust */
        int oom_score_adjust;
        char *cpu_affinity; /* --cpu-affinity, as given (a list of CPUs and ranges) */
        enum resolv_conf_mode resolv_conf;
        enum timezone_mode timezone;
        bool suppress_sync; /* --suppress-sync: sync(), fsync() and the like do nothing */
        enum link_journal link_journal;
        struct credential *credentials;
        size_t n_credentials;
        struct bind_user *bind_users; /* --bind-user, in order */
        size_t n_bind_users;
        bool login_shell;                /* systemd-nspawn without a command: a login shell (bash, else sh) */
        bool nspawn;                     /* the systemd-nspawn command line: NAME.nspawn for settings */
        bool seccomp_off;                /* SYSTEMD_SECCOMP=0 there: no system call filter at all */
        bool tree_lock_off;              /* SYSTEMD_NSPAWN_LOCK=0 there: the tree or image is not locked */
        bool api_vfs_writable;           /* SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 there: /proc/sys and /sys writable */
        bool cgroup_ns_off;              /* SYSTEMD_NSPAWN_USE_CGNS=0 there: the host's cgroup namespace */
        bool cgroup_legacy;              /* SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 there: the v1 hierarchies */
        bool no_machined;                /* its --register=no: a scope as ever, but no machined */
        int settings_verb;               /* NAME.nspawn's Boot=yes or ProcessTwo=yes: VERB_BOOT, VERB_RUN; else -1 */
        char **arguments;                /* after "--": the command (run) or init's arguments (boot) */
        const struct oci_container *oci; /* an OCI container's (oci/config.h), or NULL */
        char *cgroup_path;               /* the guest's cgroup, when not ours: OCI's linux.cgroupsPath */
        bool cgroup_own;                 /* the guest's cgroup is the one we are in (--systemd-cgroup's scope) */
        char *ipc_namespace_path;        /* OCI: an IPC namespace to join (a pod's), or NULL: a new one */
        char *uts_namespace_path;        /* OCI: a UTS namespace to join, or NULL: a new one */
        char *user_namespace_path;       /* OCI: a pod's user namespace to join (its map is config's), or NULL */
        char *pid_namespace_path;        /* OCI: a pod's PID namespace to join, or NULL: a new one */
        char *cgroup_namespace_path;     /* OCI: a cgroup namespace to join, or NULL: a new one */
        char *time_namespace_path;       /* OCI: a time namespace to join, or NULL */
        char *mount_namespace_path;      /* OCI: a mount namespace to build the root in and join, or NULL */
        bool cgroup_read_only;           /* OCI: the config's own cgroup mount asks for ro */
        bool keep_unit;                  /* --keep-unit: stay in the unit we were started in */
        char *slice;                     /* --slice, for our scope */
        struct property *properties;     /* --property, for our scope */
        size_t n_properties;
        int notify_ready;       /* --notify-ready: 1 wait for the guest's READY=1, 0 not, -1 default */
        uint64_t caps_add;      /* --capability= */
        uint64_t caps_drop;     /* --drop-capability= */
        bool no_new_privileges; /* --no-new-privileges */
        char **syscall_allow;   /* --system-call-filter= names taken off the deny list */
        char **syscall_deny;    /* --system-call-filter=~ names added to it */
        enum private_users private_users;
        uid_t uid_base; /* the host UID (and GID) of the guest's root */
        uint32_t uid_count;
        enum ownership ownership;

        /* Filled by machine_check_root(). */
        struct guest_user *run_user; /* -u's user, from the guest's /etc/passwd and /etc/group */
        enum init_kind init_kind;
        char *init_path; /* the init to exec, a path inside the guest */
        sd_id128_t uuid; /* $container_uuid */
};

#define PERSONALITY_DEFAULT 0xffffffffUL

#define MACHINE_INIT                                                                                                \
        {                                                                                                           \
                .console = CONSOLE_DEFAULT, .notify_ready = -1, .image_fd = -1, .personality = PERSONALITY_DEFAULT, \
                .settings_verb = -1                                                                                 \
        }

void machine_done(struct machine *m);
/* For _cleanup_(). */
static inline void machine_donep(struct machine *m)
{
        machine_done(m);
}

/* Checks what the options name and completes the struct from it, changing nothing: the
 * binds' sources, --ephemeral-dir, the tree or image (absolute), the template to make a
 * missing tree from (template_path), the name and the hostname. Logs one line for what
 * is wrong and returns -errno. */
int machine_resolve(struct machine *m);

/* The tree at m->root, checked and made absolute: for a tree just made from its template. */
int machine_resolve_root(struct machine *m);

/* Checks the prepared root (a tree, or the image mounted at m->root) and completes the
 * struct from it: the overlays' layers, /usr for --volatile=yes, the init, the uuid.
 * Logs one line and returns -errno. */
int machine_check_root(struct machine *m);

/* Whether the machine writes to its tree or image: not with --read-only, --ephemeral or
 * --volatile. */
bool machine_writes_tree(const struct machine *m);

/* The signal that asks this machine's PID 1 to shut down cleanly. */
int machine_kill_signal(const struct machine *m);

int console_mode_from_string(const char *s);
/* --private-users-ownership= and --settings= values; -EINVAL for others. */
int ownership_from_string(const char *s);
int settings_mode_from_string(const char *s);
