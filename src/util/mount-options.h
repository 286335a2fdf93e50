/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* OPTIONS ("rw,nosuid,size=10M,mode=1777") split into mount(2)'s flags and the file
 * system's data ("size=10M,mode=1777", NULL when there is none, the caller's to free):
 * *FLAGS has the defaults in and those with the options applied out ("ro" sets MS_RDONLY,
 * "suid" clears MS_NOSUID). Returns 0, or -errno (-EOPNOTSUPP: no libmount.so.1). */
int mount_options_split(const char *options, unsigned long *flags, char **ret_data);

/* The names of the mount flags mount_options_split() takes apart (libmount's Linux map:
 * ro, nosuid, relatime...), into *RET. 0 or -errno. */
int mount_options_known(char ***ret);
