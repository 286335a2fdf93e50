/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hash set of paths (path-set.h), for import-tar's checks of the entries it unpacks.
 * Not the checks themselves (import-tar.c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tree/path-set.h"

/* What a removed path leaves in its slot: a search goes on past it. */
static char slot_removed;
#define SLOT_REMOVED (&slot_removed)

static uint64_t path_hash(const char *path, size_t length)
{
        uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

        for (size_t i = 0; i < length; i++)
                h = (h ^ (unsigned char)path[i]) * 0x100000001b3ULL;
        return h;
}

/* The slot that holds PATH (LENGTH bytes of it), or NULL. */
char **path_set_find(const struct path_set *s, const char *path, size_t length)
{
        if (s->size == 0)
                return NULL;
        for (size_t i = path_hash(path, length) & (s->size - 1);; i = (i + 1) & (s->size - 1)) {
                char *slot = s->slots[i];

                if (!slot)
                        return NULL;
                if (slot != SLOT_REMOVED && strncmp(slot, path, length) == 0 && slot[length] == '\0')
                        return &s->slots[i];
        }
}

int path_set_add(struct path_set *s, const char *path)
{
        size_t length = strlen(path);
        char *copy;

        if (path_set_find(s, path, length))
                return 0;
        /* At most half full, so that a search ends soon on a free slot. */
        if ((s->used + 1) * 2 > s->size) {
                size_t size = s->size ? s->size * 2 : 256;
                char **slots = calloc(size, sizeof(char *));

                if (!slots)
                        return -ENOMEM;
                for (size_t i = 0; i < s->size; i++) {
                        char *old = s->slots[i];
                        size_t j;

                        if (!old || old == SLOT_REMOVED)
                                continue;
                        for (j = path_hash(old, strlen(old)) & (size - 1); slots[j]; j = (j + 1) & (size - 1))
                                ;
                        slots[j] = old;
                }
                free(s->slots);
                s->slots = slots;
                s->size = size;
                s->used = 0;
                for (size_t i = 0; i < size; i++)
                        s->used += slots[i] != NULL;
        }
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        for (size_t i = path_hash(path, length) & (s->size - 1);; i = (i + 1) & (s->size - 1))
                if (!s->slots[i]) {
                        s->slots[i] = copy;
                        s->used++;
                        return 0;
                }
}

void path_set_remove(struct path_set *s, const char *path)
{
        char **slot = path_set_find(s, path, strlen(path));

        if (!slot)
                return;
        free(*slot);
        *slot = SLOT_REMOVED;
}

void path_set_free(struct path_set *s)
{
        for (size_t i = 0; i < s->size; i++)
                if (s->slots[i] != SLOT_REMOVED)
                        free(s->slots[i]);
        free(s->slots);
        *s = (struct path_set){};
}
