/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Ourselves run again from a sealed memfd copy of our binary, for the verbs whose
 * processes a guest may see before they exec (machined-lite-oci's create and exec, start
 * with a startContainer hook, machined-lite shell): /proc/PID/exe of any of them then leads to that copy, which
 * nobody can write, never to the host's binary (CVE-2019-5736: a guest root with
 * CAP_SYS_PTRACE opens it and writes it once nothing runs it). It costs a copy of the
 * binary and an exec (3 ms here). Returns 0 if we run from such a copy already (or may
 * not: vm.memfd_noexec=2, one warning); otherwise it does not return but with -errno
 * (one line said). */
int sealed_exe_reexec(char *argv[]);

/* A memfd to execute (MFD_EXEC where the kernel knows it), named NAME, close-on-exec and
 * open to sealing: the fd or -errno (-EACCES: vm.memfd_noexec=2 forbids one). */
int exec_memfd_create(const char *name);

/* Seals it whole (no write, no size change, no more seals): 0 or -errno. */
int exec_memfd_seal(int fd);
