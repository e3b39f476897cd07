/* platform.h -- compiler hints, thread-local storage and relaxed-atomic helpers. */
#ifndef OFFHEAP_PLATFORM_H
#define OFFHEAP_PLATFORM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* initial-exec TLS: one instruction to reach the thread's heap, also when the
 * core lives in a dlopen'ed Node addon (a pointer fits in glibc's surplus). */
#if defined(__linux__) && !defined(OFFHEAP_TLS_DYNAMIC)
#define OFFHEAP_TLS __thread __attribute__((tls_model("initial-exec")))
#else
#define OFFHEAP_TLS __thread
#endif

#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release
#define ACQ_REL memory_order_acq_rel

/* Counters written by one thread and read by others (stats): a relaxed load
 * and store, never a locked read-modify-write. */
static inline void counter_add(_Atomic uint64_t* c, uint64_t v) {
    atomic_store_explicit(c, atomic_load_explicit(c, RELAXED) + v, RELAXED);
}
static inline void counter_sub(_Atomic uint64_t* c, uint64_t v) {
    atomic_store_explicit(c, atomic_load_explicit(c, RELAXED) - v, RELAXED);
}
static inline uint64_t counter_get(const _Atomic uint64_t* c) {
    return atomic_load_explicit((_Atomic uint64_t*)c, RELAXED);
}

#endif
