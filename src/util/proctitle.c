/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Renaming our helper processes (command line and comm) so that ps shows what they are,
 * not the supervisor's command line. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "util/proctitle.h"

static char *area;
static size_t area_size;

void proctitle_init(int argc, char **argv)
{
        /* The kernel lays the argument strings out back to back: the area runs from the
         * first to the end of the last one that follows on. */
        if (argc < 1 || !argv[0])
                return;
        area = argv[0];
        area_size = strlen(argv[0]) + 1;
        for (int i = 1; i < argc && argv[i] == area + area_size; i++)
                area_size += strlen(argv[i]) + 1;
}

void proctitle_set(const char *title)
{
        char comm[16];

        /* The comm name (what pgrep -x matches) is the title's first word. */
        snprintf(comm, sizeof(comm), "%.*s", (int)strcspn(title, " "), title);
        (void)prctl(PR_SET_NAME, comm);
        if (!area || area_size < 2)
                return;
        memset(area, 0, area_size);
        strncpy(area, title, area_size - 1);
}
