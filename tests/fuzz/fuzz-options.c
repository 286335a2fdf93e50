/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the command line and --property parsing, fed arbitrary arguments.
 * The input is split at NUL bytes into argv[1..]. Nothing may crash, leak or read out
 * of bounds, whatever the user types. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/options.h"
#include "config/property.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *copy = malloc(size + 1), *argv[64];
        struct machine m = MACHINE_INIT;
        struct property p;
        char error[512];
        int argc = 0;

        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = '\0';
        argv[argc++] = (char *)"machined-lite";
        for (char *s = copy; s < copy + size + 1 && argc < 63; s += strlen(s) + 1)
                argv[argc++] = s;
        argv[argc] = NULL;

        (void)parse_argv(argc, argv, &m);
        machine_done(&m);
        /* The first argument on its own, as --property=... would give it. */
        if (property_parse(argv[1], &p, error, sizeof(error)) == 0)
                property_done(&p);
        free(copy);
        return 0;
}
