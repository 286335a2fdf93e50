/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a disk image from anywhere, read as `inspect` and the boot read it.
 * The input is the image, in a memfd; libblkid and our use of what it returns must not
 * crash, leak or read out of bounds, and whatever is printed must stay well-formed. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image/dissect.h"
#include "verbs/inspect.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *null_output;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        /* dissect_image() closes libblkid after each image; held open here, it stays
         * mapped between runs, which keeps the runs fast and the leak reports readable. */
        (void)dlopen("libblkid.so.1", RTLD_NOW | RTLD_LOCAL);
        null_output = fopen("/dev/null", "we");
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct dissected_image d = {};
        char error[256];
        int fd;

        fd = memfd_create("fuzz-dissect", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        for (size_t done = 0; done < size;) {
                ssize_t n = write(fd, data + done, size - done);

                if (n <= 0) {
                        close(fd);
                        return 0;
                }
                done += (size_t)n;
        }
        if (dissect_image(fd, &d, error, sizeof(error)) == 0) {
                inspect_print(&d, "fuzz.raw", true, null_output);
                inspect_print(&d, "fuzz.raw", false, null_output);
                dissected_image_done(&d);
        }
        close(fd);
        return 0;
}
