/* check.h -- a minimal test harness: CHECK records failures with their line,
 * RUN runs one test function, and main ends with "N passed, N failed". */
#ifndef OFFHEAP_CHECK_H
#define OFFHEAP_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Programs with one ctest entry per test: `prog NAME` runs that test, `prog`
 * lists the names. */
typedef struct named_test {
    const char* name;
    void (*fn)(void);
} named_test_t;
#define NAMED(fn) {#fn, fn}

static int run_named(const named_test_t* tests, size_t n, int argc, char** argv) {
    for (size_t i = 0; i < n; i++) {
        if (argc < 2) {
            printf("%s\n", tests[i].name);
        } else if (strcmp(argv[1], tests[i].name) == 0) {
            RUN_NAMED(tests[i].name, tests[i].fn);
            printf("%d passed, %d failed\n", tests_passed, tests_failed);
            return tests_failed ? 1 : 0;
        }
    }
    if (argc < 2) return 0;
    fprintf(stderr, "unknown test %s\n", argv[1]);
    return 2;
}

#define CHECK_SUMMARY()                                                   \
    (printf("%d passed, %d failed\n", tests_passed, tests_failed), tests_failed ? 1 : 0)

#endif
