/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config/machine.h"

/* NAME.machine: a machine's settings, an INI file with systemd.nspawn(5)'s sections and
 * keys where the meaning is the same ([Exec] Boot= Parameters= Environment= Hostname=
 * KillSignal= PrivateUsers= NoNewPrivileges= Capability= DropCapability=
 * SystemCallFilter= Ephemeral=; [Files] ReadOnly= Volatile= Bind= BindReadOnly=
 * TemporaryFileSystem= Overlay= OverlayReadOnly= PrivateUsersOwnership=; [Network]
 * Private= VirtualEthernet= VirtualEthernetExtra= Bridge= Zone= Interface= MACVLAN= IPVLAN=
 * Port=, and our Configure=), plus [Bootstrap]
 * for `bootstrap`. Read with libinih (dlopen()ed). Searched in these directories, then
 * next to the tree or image (DIR.machine, IMAGE less .raw plus .machine), where keys that
 * would grant more than the default are ignored unless --settings=trusted. */
#define SETTINGS_ETC_DIR "/etc/machined-lite/machines"
#define SETTINGS_RUN_DIR "/run/machined-lite/machines"

struct bootstrap_settings {
        char *distribution, *release, *include, *mirror;
};

/* Finds the settings file of the machine M describes (its name, tree or image):
 * 1 with *RET_PATH and whether the place is trusted, 0 when there is none. */
int settings_find(const struct machine *m, char **ret_path, bool *ret_trusted);

/* Parses F (named PATH, for messages) into M (and [Bootstrap] into BOOTSTRAP, when not
 * NULL). An unknown section or key or a bad value: one line naming file, line and key,
 * and -EINVAL. */
int settings_parse_file(FILE *f, const char *path, bool trusted, struct machine *m, struct bootstrap_settings *bootstrap);

/* Looks for M's settings file (as --settings= says) and parses it into RET. Returns 1
 * when a file was read, 0 when there was none, -errno after one line. */
int settings_load(const struct machine *m, struct machine *ret);

/* `bootstrap NAME`: the [Bootstrap] section of NAME.machine, if there is one, into RET.
 * Returns 0, or -errno after one line. */
int bootstrap_settings_load(const char *name, struct bootstrap_settings *ret);

void bootstrap_settings_done(struct bootstrap_settings *b);
