/* yieldpoint.h -- named points inside the cross-thread protocols.
 *
 * In a test build (OFFHEAP_YIELD_POINTS defined), each YIELD(NAME) calls a
 * hook the test installs, so a test can park one thread exactly inside a
 * protocol window and run another thread through it (native/test/park.h).
 * In every other build a YIELD is nothing at all.
 */
#ifndef OFFHEAP_YIELDPOINT_H
#define OFFHEAP_YIELDPOINT_H

enum yield_point {
    YP_FREE_AFTER_LOOKUP,      /* free by a non-owner: chunk kind read, nothing inside it touched yet */
    YP_REMOTE_AFTER_GUARD,     /* remote free: guard taken, block state not yet read */
    YP_REMOTE_AFTER_CAS,       /* remote free: block is REMOTE, line not yet marked dirty */
    YP_REMOTE_BEFORE_TOP,      /* remote free: its line's word made non-zero, the word's top bit not yet set */
    YP_REMOTE_AFTER_DIRTY,     /* remote free: line marked dirty, free not yet counted on the chunk */
    YP_REMOTE_BEFORE_PUSH,     /* remote free: counted on the chunk, chunk not yet on the inbox */
    YP_REMOTE_BEFORE_UNGUARD,  /* remote free: all done but the guard */
    YP_OWNER_FREE_AFTER_LOAD,  /* owner's free: LIVE read, its plain store not yet made */
    YP_DRAIN_AFTER_CLAIM,      /* drain: chunk's count claimed, its dirty lines not yet scanned */
    YP_ADOPT_BEFORE_CLOSE,     /* adoption: chunks re-owned, old inbox not yet closed */
    YP_TRIM_BEFORE_RETIRE,     /* trim: an empty pool chosen for unmapping, retire not yet tried */
    YP_TRIM_AFTER_RETIRE,      /* pool or huge mapping retired, not yet unmapped */
    YP_REGISTER_BEFORE_PUBLISH,/* chunk entry filled in, kind not yet published */
    YP_DETACH_BEFORE_PUSH,     /* thread detach: caches flushed, heap not yet pending */
    YP_REALLOC_RESIZING,       /* realloc in place: block held in TRANSIT while its order changes */
    YP_MAPPED_AFTER_FREE,      /* free of a mapped file: FREE stored, the freer's guard still held */
    YP_FORK_CHILD_BEFORE_COPY, /* fork child: file-backed memory not yet copied (the parent's forking thread waits) */
    YP_COUNT
};

#ifdef OFFHEAP_YIELD_POINTS
#include <stdatomic.h>
#include <stdint.h>
typedef void (*offheap_yield_hook_t)(int point);
extern _Atomic(offheap_yield_hook_t) offheap_yield_hook;
/* Test builds only: where the next aligned reservation is tried first (0:
 * anywhere), so a test can make a new chunk land on an entry just retired. */
extern _Atomic uintptr_t offheap_test_map_at;
#define YIELD(name)                                                              \
    do {                                                                         \
        offheap_yield_hook_t yh_ = atomic_load_explicit(&offheap_yield_hook, memory_order_acquire); \
        if (yh_) yh_(YP_##name);                                                 \
    } while (0)
#else
#define YIELD(name) ((void)0)
#endif

#endif
