/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <sys/types.h>

#include "oci/state.h"
#include "util/macro.h"

/* What machined-lite-oci's verbs share (oci/cli.c has the command line, each verb of some
 * size a file of its own: oci/create.c). */

/* Exit codes of machined-lite-oci (README), machined-lite's where they mean the same:
 * runc's callers look at 0 and not-0; ours say more. */
enum {
        OCI_EXIT_FAILED = 1,   /* the operation failed (the line says why) */
        OCI_EXIT_USAGE = 2,    /* a bad option, ID or config.json */
        OCI_EXIT_NOT_ROOT = 3, /* not run as root */
        OCI_EXIT_EXISTS = 5,   /* the ID is taken */
        OCI_EXIT_NO_SUCH = 6,  /* no container of that ID */
        OCI_EXIT_STATE = 7,    /* the container is not in a state the verb allows */
};

/* The global options, before the verb. */
struct oci_global {
        const char *root;
        bool systemd_cgroup;
        char **argv; /* our whole command line, to run again from a sealed copy */
};

/* One line, "(see machined-lite-oci --help)" after it; returns OCI_EXIT_USAGE. */
_printf_(1, 2) int oci_usage(const char *format, ...);

/* The verb's options, runc's spelling (one dash or two, as urfave/cli takes them): APPLY
 * for each; 0, or the exit code of the first failure. */
int oci_parse_verb_options(int argc, char *argv[], const struct option *options,
                           int (*apply)(int c, const char *value, void *userdata), void *userdata);

/* --preserve-fds=VALUE of VERB: fds 3 to 3+N-1, each open, go on into the container's
 * process (their close-on-exec flag cleared), as runc passes them. 0 with *RET = N, or
 * an exit code after the line. */
int oci_parse_preserve_fds(const char *verb, const char *value, unsigned *ret);

/* The one ID a verb works on, ARGV[FIRST]: 0, or an exit code after the line. */
int oci_take_id(int argc, char *argv[], int first, const char **ret);

/* A container that exists, with its state; logs and returns our exit code otherwise. */
int oci_load_state(const struct oci_global *g, const char *id, struct oci_state *ret);

/* The container of the ID at ARGV[FIRST], that exists: its state. */
int oci_load_container(const struct oci_global *g, int argc, char *argv[], int first, const char **ret_id,
                       struct oci_state *ret);

struct oci_container;

/* process.consoleSize on the pty whose master is MASTER, if it gives one. */
void oci_set_console_size(const struct oci_container *c, int master);

/* The pty's master to the caller over its console socket (SCM_RIGHTS), as runc does:
 * conmon takes it as the container's terminal. 0 or -errno (logged). */
int oci_send_console(const char *socket_path, int master);

/* PID into the file PATH, whole or not at all (conmon reads it as soon as we exit). 0 or
 * -errno (logged). */
int oci_write_pid_file(const char *path, pid_t pid);

int oci_verb_create(const struct oci_global *g, int argc, char *argv[]);
int oci_verb_exec(const struct oci_global *g, int argc, char *argv[]);
int oci_verb_features(const struct oci_global *g, int argc, char *argv[]);
int oci_verb_spec(const struct oci_global *g, int argc, char *argv[]);
