/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "oci/config.h"
#include "oci/json-read.h"

/* Where a document read by oci_json_load_file() goes. */
struct oci_target {
        struct machine *m;
        struct oci_container *c;
};

/* PROCESS (config.json's process, or NULL: refused as missing) into M and C. 0, or
 * -EINVAL after one line naming the key (-ENOMEM). */
int oci_read_process(const struct oci_reader *rd, json_object *process, struct machine *m, struct oci_container *c);

/* Reads the process object at PATH (exec --process) into M and C in place of config.json's
 * process (after oci_config_load()): args, env, cwd, user, capabilities, rlimits,
 * terminal, noNewPrivileges. 0, or -EINVAL (-ENOENT) after one line naming the key. */
int oci_process_load(struct oci_container *c, struct machine *m, const char *path);
