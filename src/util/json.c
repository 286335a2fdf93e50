/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON output helpers: strings quoted and escaped, broken UTF-8 shown as U+FFFD, for
 * list, status and inspect's --json. */
#include "util/json.h"

/* The length of the valid UTF-8 sequence at S, with its code point, or 0. */
size_t utf8_sequence(const unsigned char *s, uint32_t *ret)
{
        uint32_t c;
        size_t n;

        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2;
                c = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                c = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                c = s[0] & 0x07;
        } else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *ret = c;
        return n;
}

void json_print_string(const char *s, FILE *f)
{
        const unsigned char *u = (const unsigned char *)(s ? s : "");

        fputc('"', f);
        while (*u) {
                uint32_t c;
                size_t n = utf8_sequence(u, &c);

                if (n == 0) {
                        fputs("\\ufffd", f);
                        u++;
                        continue;
                }
                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", (char)c);
                else if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
                        fprintf(f, "\\u%04x", (unsigned)c);
                else
                        fwrite(u, 1, n, f);
                u += n;
        }
        fputc('"', f);
}
