/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: an OCI bundle's config.json (src/oci/config.c, through json-c), fed
 * arbitrary bytes. Nothing may crash, leak or read out of bounds, whatever a bundle holds. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "oci/config.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char bundle[] = "/tmp/fuzz-oci-config.XXXXXX";
static FILE *quiet;

static void remove_bundle(void)
{
        char path[64];

        snprintf(path, sizeof(path), "%s/config.json", bundle);
        (void)unlink(path);
        (void)rmdir(bundle);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct oci_container c = OCI_CONTAINER_INIT;
        struct machine m = MACHINE_INIT;
        char path[64];
        int fd;

        if (!quiet) {
                quiet = fopen("/dev/null", "we");
                log_set_output(quiet, "fuzz", false);
        }
        if (bundle[sizeof(bundle) - 2] == 'X') {
                if (!mkdtemp(bundle))
                        return 0;
                (void)atexit(remove_bundle);
        }
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) != (ssize_t)size) {
                close(fd);
                return 0;
        }
        close(fd);
        c.bundle = realpath(bundle, NULL);
        if (c.bundle)
                (void)oci_config_load(&c, &m);
        oci_container_done(&c);
        machine_done(&m);
        return 0;
}
