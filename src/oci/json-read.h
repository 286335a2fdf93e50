/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "oci/jsonc.h"
#include "util/macro.h"

/* Reading a bundle's config.json: each getter takes the object OBJ, the member KEY and its
 * full PATH for messages ("linux.resources.pids.limit"); it returns 1 with *RET set, 0
 * when the member is absent (or null, as good as absent), or -EINVAL after one line
 * "BUNDLE/config.json: PATH: what is wrong". */
struct oci_reader {
        const char *bundle; /* relative paths in the document are the bundle's */
        const char *file;   /* the document, for messages */
        char **keep_text;   /* if set, oci_json_load_file() hands the document's text over here */
};

/* Logs that one line about KEY and returns -EINVAL. */
_printf_(3, 4) int oci_bad_key(const struct oci_reader *rd, const char *key, const char *format, ...);

/* OBJ's member KEY, or NULL when OBJ is no object or has none (or null). */
json_object *oci_member(json_object *obj, const char *key);

/* 0 if V is of TYPE, else -EINVAL after the line naming KEY. */
int oci_want(const struct oci_reader *rd, json_object *v, json_type type, const char *key);

int oci_get_string(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, const char **ret);
int oci_get_uint(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, uint64_t max,
                 uint64_t *ret);
int oci_get_int64(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, int64_t *ret);
int oci_get_bool(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, bool *ret);
/* An array of strings, appended to the strv *RET. */
int oci_get_strv(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, char ***ret);

/* Parses the JSON document RD->file (config.json, exec's --process, a container's saved
 * hooks) and hands it to READ, json-c loaded meanwhile; HINT says what the file should be
 * when it cannot be opened. READ's result, or -errno after one line. */
int oci_json_load_file(const struct oci_reader *rd, const char *hint,
                       int (*read)(const struct oci_reader *rd, json_object *document, void *userdata), void *userdata);

/* A key machined-lite knows and cannot honour: present and not empty ([], {}, "") is
 * refused, saying WHY. */
int oci_refuse(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, const char *why);
