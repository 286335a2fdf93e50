/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* machined-lite-oci's command line (argv[0] named so): an OCI runtime. Returns its exit
 * code. */
int verb_oci(int argc, char *argv[]);
