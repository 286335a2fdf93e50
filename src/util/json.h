/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The length of the valid UTF-8 sequence at S, with its code point in *RET, or 0 (broken
 * UTF-8, overlong forms, surrogates, or the terminating NUL). */
size_t utf8_sequence(const unsigned char *s, uint32_t *ret);

/* S as a JSON string, quoted: control characters escaped, broken UTF-8 as U+FFFD, so
 * that nothing taken from an image or a path can break the JSON. NULL prints "". */
void json_print_string(const char *s, FILE *f);
