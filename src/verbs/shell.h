/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* shell NAME [--uid=USER] [--setenv=VAR=VALUE]... [-- COMMAND [ARGUMENTS...]]: a login
 * shell, or a command, inside a running machine, found through its state file
 * (state.h). It needs neither systemd-machined on the host nor systemd in the guest:
 * we enter the machine's namespaces and cgroup ourselves, with the capabilities and
 * system call filter its init got, on a pty of the guest's own devpts. Returns the exit
 * code: the command's (128+N for a signal), or one of machine.h's. */
int verb_shell(int argc, char *argv[]);
