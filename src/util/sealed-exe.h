/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Ourselves run again from a sealed memfd copy of our binary, for the verbs whose
 * processes a guest may see before they exec (machined-lite-oci's create, start and exec,
 * machined-lite shell): /proc/PID/exe of any of them then leads to that copy, which
 * nobody can write, never to the host's binary (CVE-2019-5736: a guest root with
 * CAP_SYS_PTRACE opens it and writes it once nothing runs it). Returns 0 if we run from
 * such a copy already; otherwise it does not return but with -errno (one line said). */
int sealed_exe_reexec(char *argv[]);
