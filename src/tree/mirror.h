/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The archive mirror a bootstrap installs from. */

/* The mirror the host's apt uses for DISTRIBUTION ("debian": a URI of the sources
 * lists whose last component is that word), as a new string; NULL when there is none:
 * a host that reaches only its own mirror (a proxy, a local copy) bootstraps from it. */
char *host_mirror(const char *distribution);

/* Before a minute of the tool's time: is the http:// MIRROR there, and does it have
 * RELEASE? Fails (one line, -errno) only on a clear answer: the host does not resolve or
 * accept a connection, or the release is missing. 0 otherwise, and for what it cannot
 * judge (https, file:, a proxy configured); -EINTR on an interrupt on SIGNAL_FD
 * (new-tree.h). */
int probe_mirror(const char *mirror, const char *release, int signal_fd);
