/* check.h -- a minimal test harness: CHECK records failures with their line,
 * RUN runs one test function, and main ends with "N passed, N failed". */
#ifndef OFFHEAP_CHECK_H
#define OFFHEAP_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures, tests_passed, tests_failed;

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                      \
        }                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                         \
    do {                                                                                       \
        unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b);       \
        if (va_ != vb_) {                                                                      \
            fprintf(stderr, "  %s:%d: %s == %s failed: %llu != %llu\n", __FILE__, __LINE__, #a, #b, va_, vb_); \
            check_failures++;                                                                  \
        }                                                                                      \
    } while (0)

#define RUN_NAMED(name, fn)                                       \
    do {                                                          \
        int before_ = check_failures;                             \
        fn();                                                     \
        if (check_failures == before_) {                          \
            tests_passed++;                                       \
            printf("ok   %s\n", name);                            \
        } else {                                                  \
            tests_failed++;                                       \
            printf("FAIL %s\n", name);                            \
        }                                                         \
        fflush(stdout);                                           \
    } while (0)
#define RUN(fn) RUN_NAMED(#fn, fn)

#define CHECK_SUMMARY()                                                   \
    (printf("%d passed, %d failed\n", tests_passed, tests_failed), tests_failed ? 1 : 0)

#endif
