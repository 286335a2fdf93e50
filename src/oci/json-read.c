/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading config.json's keys (oci/json-read.h): each of the type the runtime specification
 * gives it, or one line naming the key. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/json-read.h"
#include "util/log.h"
#include "util/macro.h"

/* config.json is read whole; no real one comes near this. */
#define CONFIG_MAX (4U * 1024U * 1024U)
#include "util/strv.h"

/* One line for a bad key: the bundle's config.json, the key's path, what is wrong. */
int oci_bad_key(const struct oci_reader *rd, const char *key, const char *format, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, format);
        vsnprintf(what, sizeof(what), format, ap);
        va_end(ap);
        log_error("%s: %s: %s", rd->file, key, what);
        return -EINVAL;
}

json_object *oci_member(json_object *obj, const char *key)
{
        json_object *v = NULL;

        if (!obj || !sym_json_object_is_type(obj, json_type_object) || !sym_json_object_object_get_ex(obj, key, &v))
                return NULL;
        /* null is as good as absent (features.md allows it for every optional property). */
        return v && !sym_json_object_is_type(v, json_type_null) ? v : NULL;
}

int oci_want(const struct oci_reader *rd, json_object *v, json_type type, const char *key)
{
        static const char *const names[] = {
                [json_type_boolean] = "a boolean", [json_type_double] = "a number", [json_type_int] = "an integer",
                [json_type_object] = "an object",  [json_type_array] = "an array",  [json_type_string] = "a string",
        };

        if (sym_json_object_is_type(v, type))
                return 0;
        return oci_bad_key(rd, key, "must be %s", names[type]);
}

int oci_get_string(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, const char **ret)
{
        json_object *v = oci_member(obj, key);

        *ret = NULL;
        if (!v)
                return 0;
        if (oci_want(rd, v, json_type_string, path) < 0)
                return -EINVAL;
        *ret = sym_json_object_get_string(v);
        if (strlen(*ret) != (size_t)sym_json_object_get_string_len(v))
                return oci_bad_key(rd, path, "holds a NUL byte");
        return 1;
}

int oci_get_uint(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, uint64_t max,
                 uint64_t *ret)
{
        json_object *v = oci_member(obj, key);
        int64_t n;

        if (!v)
                return 0;
        if (oci_want(rd, v, json_type_int, path) < 0)
                return -EINVAL;
        n = sym_json_object_get_int64(v);
        if (n < 0 || (uint64_t)n > max)
                return oci_bad_key(rd, path, "must be between 0 and %llu", (unsigned long long)max);
        *ret = (uint64_t)n;
        return 1;
}

int oci_get_bool(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, bool *ret)
{
        json_object *v = oci_member(obj, key);

        if (!v)
                return 0;
        if (oci_want(rd, v, json_type_boolean, path) < 0)
                return -EINVAL;
        *ret = sym_json_object_get_boolean(v);
        return 1;
}

/* An array of strings into a strv (appended to *RET). */
int oci_get_strv(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, char ***ret)
{
        json_object *v = oci_member(obj, key);
        size_t n;

        if (!v)
                return 0;
        if (oci_want(rd, v, json_type_array, path) < 0)
                return -EINVAL;
        n = sym_json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
                json_object *e = sym_json_object_array_get_idx(v, i);
                char where[128];

                snprintf(where, sizeof(where), "%s[%zu]", path, i);
                if (!e || oci_want(rd, e, json_type_string, where) < 0)
                        return -EINVAL;
                if (strlen(sym_json_object_get_string(e)) != (size_t)sym_json_object_get_string_len(e))
                        return oci_bad_key(rd, where, "holds a NUL byte");
                if (strv_extend(ret, sym_json_object_get_string(e)) < 0)
                        return -ENOMEM;
        }
        return 1;
}

/* A key we know and cannot honour: present (and not empty) is an error. */
static bool object_is_empty(json_object *v)
{
        struct json_object_iterator begin = sym_json_object_iter_begin(v), end = sym_json_object_iter_end(v);

        return sym_json_object_iter_equal(&begin, &end);
}

int oci_refuse(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, const char *why)
{
        json_object *v = oci_member(obj, key);

        if (!v)
                return 0;
        if ((sym_json_object_is_type(v, json_type_array) && sym_json_object_array_length(v) == 0) ||
            (sym_json_object_is_type(v, json_type_object) && object_is_empty(v)) ||
            (sym_json_object_is_type(v, json_type_string) && sym_json_object_get_string_len(v) == 0))
                return 0;
        return oci_bad_key(rd, path, "%s", why);
}

int oci_get_int64(const struct oci_reader *rd, json_object *obj, const char *key, const char *path, int64_t *ret)
{
        json_object *v = oci_member(obj, key);

        if (!v)
                return 0;
        if (oci_want(rd, v, json_type_int, path) < 0)
                return -EINVAL;
        *ret = sym_json_object_get_int64(v);
        return 1;
}

/* PATH (config.json, or exec's --process) read whole; its size, or -errno (logged). HINT
 * says what the file should be. */
static int read_json_text(const char *path, const char *hint, char **ret)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        size_t size = 0;

        fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot open %s: %m (%s)", path, hint);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX)
                return log_error_errno(-EINVAL, "%s is no regular file of at most 4 MiB", path);
        text = malloc((size_t)st.st_size + 1);
        if (!text)
                return -ENOMEM;
        while (size < (size_t)st.st_size) {
                ssize_t n = read(fd, text + size, (size_t)st.st_size - size);

                if (n <= 0)
                        return log_error_errno(n < 0 ? -errno : -EIO, "Cannot read %s: %m", path);
                size += (size_t)n;
        }
        text[size] = '\0';
        *ret = TAKE_PTR(text);
        return (int)size;
}

int oci_json_load_file(const struct oci_reader *rd, const char *hint,
                       int (*read)(const struct oci_reader *rd, json_object *document, void *userdata), void *userdata)
{
        _cleanup_free_ char *text = NULL;
        json_tokener *tok;
        json_object *document;
        int size, r;

        size = read_json_text(rd->file, hint, &text);
        if (size < 0)
                return size;
        r = jsonc_load();
        if (r < 0)
                return r;
        tok = sym_json_tokener_new();
        if (!tok) {
                jsonc_unload();
                return -ENOMEM;
        }
        document = sym_json_tokener_parse_ex(tok, text, size);
        if (!document || sym_json_tokener_get_parse_end(tok) < (size_t)size) {
                enum json_tokener_error e = sym_json_tokener_get_error(tok);

                log_error("%s is not JSON: %s at offset %zu", rd->file,
                          e == json_tokener_success ? "text after the document" : sym_json_tokener_error_desc(e),
                          sym_json_tokener_get_parse_end(tok));
                r = -EINVAL;
        } else
                r = read(rd, document, userdata);
        if (document)
                sym_json_object_put(document);
        sym_json_tokener_free(tok);
        jsonc_unload();
        if (r >= 0 && rd->keep_text)
                *rd->keep_text = TAKE_PTR(text);
        return r;
}
