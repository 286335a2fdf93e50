/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-c's functions, dlopen()ed while a bundle's config.json is read (oci/jsonc.h). */

#include "oci/jsonc.h"
#include "util/dl.h"
#include "util/macro.h"

__typeof__(json_tokener_new) *sym_json_tokener_new;
__typeof__(json_tokener_free) *sym_json_tokener_free;
__typeof__(json_tokener_parse_ex) *sym_json_tokener_parse_ex;
__typeof__(json_tokener_get_error) *sym_json_tokener_get_error;
__typeof__(json_tokener_error_desc) *sym_json_tokener_error_desc;
__typeof__(json_tokener_get_parse_end) *sym_json_tokener_get_parse_end;
__typeof__(json_object_put) *sym_json_object_put;
__typeof__(json_object_get_type) *sym_json_object_get_type;
__typeof__(json_object_is_type) *sym_json_object_is_type;
__typeof__(json_object_object_get_ex) *sym_json_object_object_get_ex;
__typeof__(json_object_get_string) *sym_json_object_get_string;
__typeof__(json_object_get_string_len) *sym_json_object_get_string_len;
__typeof__(json_object_get_int64) *sym_json_object_get_int64;
__typeof__(json_object_get_boolean) *sym_json_object_get_boolean;
__typeof__(json_object_get_double) *sym_json_object_get_double;
__typeof__(json_object_array_length) *sym_json_object_array_length;
__typeof__(json_object_array_get_idx) *sym_json_object_array_get_idx;
__typeof__(json_object_iter_begin) *sym_json_object_iter_begin;
__typeof__(json_object_iter_end) *sym_json_object_iter_end;
__typeof__(json_object_iter_equal) *sym_json_object_iter_equal;
__typeof__(json_object_iter_next) *sym_json_object_iter_next;
__typeof__(json_object_iter_peek_name) *sym_json_object_iter_peek_name;
__typeof__(json_object_iter_peek_value) *sym_json_object_iter_peek_value;
__typeof__(json_object_to_json_string_ext) *sym_json_object_to_json_string_ext;

static const struct dl_symbol symbols[] = {
        { "json_tokener_new", (void **)&sym_json_tokener_new },
        { "json_tokener_free", (void **)&sym_json_tokener_free },
        { "json_tokener_parse_ex", (void **)&sym_json_tokener_parse_ex },
        { "json_tokener_get_error", (void **)&sym_json_tokener_get_error },
        { "json_tokener_error_desc", (void **)&sym_json_tokener_error_desc },
        { "json_tokener_get_parse_end", (void **)&sym_json_tokener_get_parse_end },
        { "json_object_put", (void **)&sym_json_object_put },
        { "json_object_get_type", (void **)&sym_json_object_get_type },
        { "json_object_is_type", (void **)&sym_json_object_is_type },
        { "json_object_object_get_ex", (void **)&sym_json_object_object_get_ex },
        { "json_object_get_string", (void **)&sym_json_object_get_string },
        { "json_object_get_string_len", (void **)&sym_json_object_get_string_len },
        { "json_object_get_int64", (void **)&sym_json_object_get_int64 },
        { "json_object_get_boolean", (void **)&sym_json_object_get_boolean },
        { "json_object_get_double", (void **)&sym_json_object_get_double },
        { "json_object_array_length", (void **)&sym_json_object_array_length },
        { "json_object_array_get_idx", (void **)&sym_json_object_array_get_idx },
        { "json_object_iter_begin", (void **)&sym_json_object_iter_begin },
        { "json_object_iter_end", (void **)&sym_json_object_iter_end },
        { "json_object_iter_equal", (void **)&sym_json_object_iter_equal },
        { "json_object_iter_next", (void **)&sym_json_object_iter_next },
        { "json_object_iter_peek_name", (void **)&sym_json_object_iter_peek_name },
        { "json_object_iter_peek_value", (void **)&sym_json_object_iter_peek_value },
        { "json_object_to_json_string_ext", (void **)&sym_json_object_to_json_string_ext },
};

static struct dl_library library = {
        .soname = "libjson-c.so.5",
        .package = "libjson-c5",
        .purpose = "reading an OCI bundle's config.json",
        .symbols = symbols,
        .n_symbols = ELEMENTSOF(symbols),
};

int jsonc_load(void)
{
        return dl_library_load(&library);
}

void jsonc_unload(void)
{
        dl_library_unload(&library);
}
