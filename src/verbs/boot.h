/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* boot, run and inspect (the verbs whose options parse into a struct machine): ARGV is
 * the whole command line. Returns our exit code (config/machine.h). */
int verb_boot(int argc, char *argv[]);

/* The systemd-nspawn command line (the entry point of that name): ARGV is the whole
 * command line. Returns our exit code, as verb_boot(). */
int verb_nspawn(int argc, char *argv[]);
