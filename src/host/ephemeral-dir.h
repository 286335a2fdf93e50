/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* --ephemeral-dir=DIR: the overlays of --ephemeral and --volatile=overlay keep what the
 * guest writes on disk, in a directory of the machine's own under DIR, instead of on a
 * tmpfs. The supervisor makes it before anything else of the machine and removes it
 * after everything else is gone (the guest's overlays write there until then); the
 * cgroup sweeper (cgroup.h) removes it when the supervisor is killed. */

/* Makes DIR/machined-lite-NAME.XXXXXX, mode 0700 and root's (what the guest writes there
 * is out of other host users' reach: its setuid files too), and tries there that DIR's
 * file system can hold an overlay's upper layer: the kernel takes it, and it has the
 * whiteouts and trusted.* xattrs a guest's deletions need. Returns 0 with the path in
 * *RET_PATH, or logs one line and returns -errno, leaving nothing behind. */
/* MADE(path, USERDATA), if given, is called the moment the directory exists, before it
 * is tried: for the sweeper to know of it. */
int ephemeral_dir_make(const char *dir, const char *machine_name, void (*made)(const char *path, void *userdata),
                       void *userdata, char **ret_path);

/* rm -rf PATH, with remove_tree_at() (util/path.h): what the guest wrote is not
 * trusted. */
int ephemeral_dir_remove(const char *path);
