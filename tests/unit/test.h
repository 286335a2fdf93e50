/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>
#include <stdlib.h>

/* A failed check prints where and what, and the test goes on so one run shows them all. */
static int test_failures;

#define CHECK(expr)                                                                              \
        do {                                                                                     \
                if (!(expr)) {                                                                   \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        test_failures++;                                                         \
                }                                                                                \
        } while (0)

#define TEST_DONE() \
        (test_failures ? (fprintf(stderr, "%d check(s) failed\n", test_failures), EXIT_FAILURE) : EXIT_SUCCESS)
