/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <unistd.h>

#include "log.h"
#include "machine.h"
#include "options.h"
#include "supervisor.h"
#include "util/proctitle.h"

int main(int argc, char *argv[])
{
        struct machine m = MACHINE_INIT;
        int r;

        proctitle_init(argc, argv);
        r = parse_argv(argc, argv, &m);
        if (r != PARSE_CONTINUE) {
                machine_done(&m);
                return r == PARSE_EXIT ? 0 : EXIT_USAGE;
        }
        if (geteuid() != 0) {
                log_error("Must be run as root: creating namespaces and mounts needs it (try sudo machined-lite ...)");
                machine_done(&m);
                return EXIT_NOT_ROOT;
        }
        r = machine_resolve(&m);
        if (r < 0) {
                machine_done(&m);
                return r == -ENOMEM ? EXIT_SETUP_FAILED : EXIT_BAD_TREE;
        }

        r = supervisor_run(&m);
        machine_done(&m);
        return r;
}
