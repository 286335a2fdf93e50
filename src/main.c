/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "image.h"
#include "log.h"
#include "machine.h"
#include "options.h"
#include "supervisor.h"
#include "userns.h"
#include "util/proctitle.h"

int main(int argc, char *argv[])
{
        struct machine m = MACHINE_INIT;
        _cleanup_close_ int userns_lock = -EBADF;
        int r;

        proctitle_init(argc, argv);
        r = parse_argv(argc, argv, &m);
        if (r != PARSE_CONTINUE) {
                machine_done(&m);
                return r == PARSE_EXIT ? 0 : EXIT_USAGE;
        }
        if (m.verb == VERB_INSPECT) {
                _cleanup_free_ char *path = NULL;

                if (!m.image && asprintf(&path, "%s/%s.raw", MACHINES_DIR, m.name) < 0)
                        return EXIT_SETUP_FAILED;
                r = image_inspect(m.image ?: path, m.json);
                machine_done(&m);
                return r < 0 ? EXIT_BAD_TREE : 0;
        }
        if (geteuid() != 0) {
                log_error("Must be run as root: creating namespaces and mounts needs it (try sudo machined-lite ...)");
                machine_done(&m);
                return EXIT_NOT_ROOT;
        }
        r = machine_resolve(&m);
        if (r < 0) {
                machine_done(&m);
                return r == -ENOMEM ? EXIT_SETUP_FAILED : r == -EBUSY ? EXIT_BUSY : EXIT_BAD_TREE;
        }

        /* The UID range is held (a lock) for as long as we run. */
        if (m.private_users != PRIVATE_USERS_NO) {
                r = userns_choose(&m, &userns_lock);
                if (r < 0) {
                        machine_done(&m);
                        return r == -EBUSY ? EXIT_BUSY : EXIT_SETUP_FAILED;
                }
        }

        r = supervisor_run(&m);
        machine_done(&m);
        return r;
}
