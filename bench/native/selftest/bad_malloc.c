/*
 * bad_malloc.c -- a deliberately broken allocator for the benchmark's
 * self-test (bench/native/selftest.mjs), never a contender: preloaded into a
 * server workload, it must make that workload report corrupt blocks.
 *
 * Every 1000th malloc returns the previous block again while it is still live
 * (when it is big enough), the bug a lost-update race in a free list causes.
 * free does nothing, so the duplicate never reaches glibc as a double free.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stddef.h>

extern void* __libc_malloc(size_t n);

static _Atomic unsigned long g_calls;
static void* _Atomic g_last;
static _Atomic size_t g_last_size;

void* malloc(size_t n) {
    void* last = atomic_load(&g_last);
    if (atomic_fetch_add(&g_calls, 1) % 1000 == 999 && last && n <= atomic_load(&g_last_size)) return last;
    void* p = __libc_malloc(n);
    atomic_store(&g_last_size, n);
    atomic_store(&g_last, p);
    return p;
}

void free(void* p) { (void)p; }
