/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: NAME.machine settings files (src/config/settings.c, through libinih), fed
 * arbitrary bytes, read as a trusted file and as one next to the tree. Nothing may
 * crash, leak or read out of bounds, whatever a file holds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/settings.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        log_quiet = true;
        for (int trusted = 0; trusted < 2; trusted++) {
                struct machine m = MACHINE_INIT;
                struct bootstrap_settings b = {};
                FILE *f = fmemopen((void *)data, size ? size : 1, "r");

                if (!f)
                        return 0;
                (void)settings_parse_file(f, "fuzz.machine", trusted, &m, &b);
                fclose(f);
                machine_done(&m);
                bootstrap_settings_done(&b);
        }
        return 0;
}
