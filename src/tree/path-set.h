/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* A set of paths, for import-tar: the symlinks an archive made in the new tree (the tree
 * was empty, so these are all the symlinks it holds), the block device nodes it did not
 * get. An open-addressing hash set; zero-initialized, it is empty. */
struct path_set {
        char **slots; /* NULL: never used; path_set.c's SLOT_REMOVED: used once */
        size_t size;  /* a power of two, or 0 */
        size_t used;  /* slots that are not NULL */
};

/* The slot that holds PATH (LENGTH bytes of it: a leading part of a longer path will
 * do), or NULL. */
char **path_set_find(const struct path_set *s, const char *path, size_t length);

/* Adds a copy of PATH, unless it is there: 0 or -ENOMEM. */
int path_set_add(struct path_set *s, const char *path);

void path_set_remove(struct path_set *s, const char *path);

/* Frees what S holds and leaves it empty. */
void path_set_free(struct path_set *s);
