/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Our helper processes are forks of the supervisor and would show its command line
 * in ps (and, for run's init, show the guest a host path). Once main() has recorded
 * where argv lives, a process can rename itself: the command line, and the comm name
 * (its first word). */
void proctitle_init(int argc, char **argv);
void proctitle_set(const char *title);
