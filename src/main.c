/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verb table: which function runs which verb, and the entry points named
 * systemd-nspawn and machined-lite-oci (links to us) that take nspawn's command line and
 * the OCI runtime's. Nothing else happens here. */
#include <string.h>

#include "oci/cli.h"
#include "util/macro.h"
#include "verbs/boot.h"
#include "verbs/control.h"
#include "verbs/import.h"
#include "verbs/shell.h"

/* Verbs that work on machines rather than boot one parse their own options: the verb
 * comes first, and the function gets the arguments from the verb on. The others (boot,
 * run, inspect: options and verb in any order) go to verb_boot() with the whole line. */
static const struct {
        const char *name;
        int (*run)(int argc, char *argv[]);
} verbs[] = {
        { "list", verb_list },
        { "status", verb_status },
        { "stop", verb_stop },
        { "reboot", verb_reboot },
        { "kill", verb_kill },
        { "shell", verb_shell },
        { "import-tar", verb_import_tar },
        { "bootstrap", verb_bootstrap },
};

int main(int argc, char *argv[])
{
        const char *name = argc > 0 ? strrchr(argv[0], '/') : NULL;

        if (argc > 0 && strcmp(name ? name + 1 : argv[0], "systemd-nspawn") == 0)
                return verb_nspawn(argc, argv);
        if (argc > 0 && strcmp(name ? name + 1 : argv[0], "machined-lite-oci") == 0)
                return verb_oci(argc, argv);
        for (size_t i = 0; argc > 1 && i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return verbs[i].run(argc - 1, argv + 1);
        return verb_boot(argc, argv);
}
