/* purge.c -- memory goes back to the OS without anyone calling gc.
 *
 * The allocator's slow paths at the top level (an allocation that misses the
 * slab cache, an owner's free that does not fit it, huge blocks) call
 * heap_tick, which reads a coarse clock; about every
 * OFFHEAP_PURGE_MS of activity it purges, in the spirit of mimalloc's purge
 * delay and jemalloc's decay, with no background thread:
 *  - heaps of exited threads are adopted (their memory is then trimmed here);
 *  - cached huge mappings not reused since the previous purge are unmapped;
 *  - pools that were already empty at the previous purge are unmapped,
 *    beyond one kept for the next burst;
 *  - pages of free blocks of 32 KiB and up are released, beyond the
 *    retain_bytes most recently freed (hysteresis: churn inside that budget
 *    never refaults).
 * So memory that stays free goes back within one to two purge intervals of
 * further activity of its heap (or of any heap, once its thread has exited).
 *
 * A thread that exits gives back at once what a purge would (without waiting
 * for pools to stay empty): it never ticks again, and threads that live
 * less than a purge interval never reach their first purge, so their heaps,
 * adopted from one short-lived thread to the next, would keep every free
 * page (mstress with 8 threads per 100 ms phase: 350 MiB peak RSS, 137 MiB
 * with this).
 * gc is the explicit, immediate version of the same.
 *
 * Never from inside a drain or an adoption: a purge unmaps pools, and a drain
 * may be scanning one.
 */
#define _GNU_SOURCE
#include "heap.h"
#include "config.h"

#include <errno.h>
#include <time.h>

#ifndef OFFHEAP_PURGE_MS
#define OFFHEAP_PURGE_MS 500
#endif

static uint64_t now_ms(void) {
    struct timespec ts;
#if defined(CLOCK_MONOTONIC_COARSE)
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts); /* vDSO, no syscall: fine on slow paths */
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void purge(heap_t* h) {
    h->purge_epoch++;
    heap_adopt_pending(h, UINT64_MAX);
    run_release_empty(h);
    huge_trim_cache_since(h, config_huge_cache_bytes(), h->purge_epoch - 1, NULL);
    heap_trim_pools(h, 1, 1, NULL);
    buddy_release_pages(&h->buddy, 15, config_retain_bytes());
}

void heap_purge_exiting(heap_t* h) {
    run_release_empty(h);
    heap_trim_pools(h, 1, 0, NULL);
    buddy_release_pages(&h->buddy, 15, config_retain_bytes());
}

void heap_tick(heap_t* h) {
    uint64_t now = now_ms();
    if (LIKELY(now < h->purge_due_ms)) return;
    int first = h->purge_due_ms == 0, saved = errno; /* offheap_free keeps errno (offheap.h) */
    h->purge_due_ms = now + OFFHEAP_PURGE_MS;
    if (!first) purge(h);
    errno = saved;
}
