/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

/* json-c, which reads config.json (oci/config.c), dlopen()ed while a bundle is read and
 * closed after (util/dl.h). Callers call sym_json_FUNCTION() between jsonc_load() and
 * jsonc_unload(). */

extern __typeof__(json_tokener_new) *sym_json_tokener_new;
extern __typeof__(json_tokener_free) *sym_json_tokener_free;
extern __typeof__(json_tokener_parse_ex) *sym_json_tokener_parse_ex;
extern __typeof__(json_tokener_get_error) *sym_json_tokener_get_error;
extern __typeof__(json_tokener_error_desc) *sym_json_tokener_error_desc;
extern __typeof__(json_tokener_get_parse_end) *sym_json_tokener_get_parse_end;
extern __typeof__(json_object_put) *sym_json_object_put;
extern __typeof__(json_object_get_type) *sym_json_object_get_type;
extern __typeof__(json_object_is_type) *sym_json_object_is_type;
extern __typeof__(json_object_object_get_ex) *sym_json_object_object_get_ex;
extern __typeof__(json_object_get_string) *sym_json_object_get_string;
extern __typeof__(json_object_get_string_len) *sym_json_object_get_string_len;
extern __typeof__(json_object_get_int64) *sym_json_object_get_int64;
extern __typeof__(json_object_get_boolean) *sym_json_object_get_boolean;
extern __typeof__(json_object_get_double) *sym_json_object_get_double;
extern __typeof__(json_object_array_length) *sym_json_object_array_length;
extern __typeof__(json_object_array_get_idx) *sym_json_object_array_get_idx;
extern __typeof__(json_object_iter_begin) *sym_json_object_iter_begin;
extern __typeof__(json_object_iter_end) *sym_json_object_iter_end;
extern __typeof__(json_object_iter_equal) *sym_json_object_iter_equal;
extern __typeof__(json_object_iter_next) *sym_json_object_iter_next;
extern __typeof__(json_object_iter_peek_name) *sym_json_object_iter_peek_name;
extern __typeof__(json_object_iter_peek_value) *sym_json_object_iter_peek_value;
extern __typeof__(json_object_to_json_string_ext) *sym_json_object_to_json_string_ext;

/* 0, or -EOPNOTSUPP (logged: the library is missing, and the package that has it). */
int jsonc_load(void);
void jsonc_unload(void);
