/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* import-tar FILE|- NAME and bootstrap NAME: the verbs that bring a new tree into
 * /var/lib/machines (tree/import-tar.h, tree/bootstrap.h). argv[0] is the verb's name.
 * They return the exit status: 0, 1 (failed), 2 (bad command line), 3 (not root), 5
 * (NAME exists, or a running machine uses it), 128+N (stopped by signal N, nothing left
 * behind). */
int verb_import_tar(int argc, char *argv[]);
int verb_bootstrap(int argc, char *argv[]);
