/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Verbs on running machines, found through their state files (state.h), without
 * systemd-machined: list [--json], status NAME, stop NAME, reboot NAME,
 * kill NAME [--signal=SIG] [--kill-whom=leader|all]. Each returns the exit code. */
int verb_list(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_stop(int argc, char *argv[]);
int verb_reboot(int argc, char *argv[]);
int verb_kill(int argc, char *argv[]);
