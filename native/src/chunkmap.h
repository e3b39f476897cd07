/* chunkmap.h -- from any address to the chunk (pool or huge mapping) holding
 * it, in O(1), without touching memory that might not be ours.
 *
 * One entry per 32 MiB of address space, indexed by addr >> 25, in a table
 * reserved once (MAP_NORESERVE: untouched entries cost no memory) and never
 * unmapped. Because entries are never freed, any thread may read one at any
 * time: a stale entry is simply "not a chunk" or a newer chunk, never a fault.
 *
 * Reclamation protocol for the memory a chunk entry describes (the pool's
 * state bytes and header, a huge block's pages):
 *
 *  - Invariant: a chunk is unmapped (and its entry re-registered) only when
 *    no thread other than its owner can be reading or writing it.
 *  - Announce: a thread that is not the chunk's owner takes a guard before it
 *    reads anything inside the chunk (chunk_guard: a CAS that adds one to
 *    `pins` unless RETIRED is set) and drops it when done (chunk_unguard).
 *    JavaScript pins are long-lived guards of the same kind.
 *  - Retire: the owner unmaps only after chunk_retire_unqueued, a CAS of `pins` from 0
 *    to RETIRED: it succeeds only when no guard is held, and afterwards no
 *    guard can start. A guard that finds RETIRED means "the chunk is going
 *    away": the owner retires only empty chunks, so the pointer the guard was
 *    for is not a live block (EINVAL).
 *  - Queued chunks: the owner also keeps a chunk whose remote_count is not 0
 *    (it is linked into an inbox, remote.c). A remote free raises the count
 *    and pushes under its guard, so once the retire CAS has succeeded the
 *    count it reads is final (chunk_retire_unqueued).
 *  - Re-use of an entry: `pins` is changed only by these read-modify-writes,
 *    never by a plain store, so a guard that raced with unmapping and
 *    re-registration counts against whatever chunk the entry holds now and
 *    is dropped exactly once. A guard re-checks the entry's kind after it is
 *    taken.
 */
#ifndef OFFHEAP_CHUNKMAP_H
#define OFFHEAP_CHUNKMAP_H

#include "offheap.h"
#include "platform.h"

#define CHUNK_ADDR_BITS 48
#define CHUNK_SHIFT     OFFHEAP_POOL_ORDER

/* CHUNK_FILE: a user's file mapped by offheap_map_file (mapped.c), owned by no heap */
enum chunk_kind { CHUNK_NONE = 0, CHUNK_POOL = 1, CHUNK_HUGE = 2, CHUNK_TAIL = 3, CHUNK_FILE = 4 };

#define CHUNK_RETIRED 0x80000000u /* in pins: being unmapped, no new pins */

struct heap;

/* Two cache lines: the first is read by every free and allocation of the
 * owner (kind, owner) and written only when the chunk changes hands; the
 * second is written by other threads (guards and pins, remote-free counts,
 * inbox links, a huge block's state). Sharing one line, every remote free
 * took the owner's next fast-path free a cache miss. */
typedef struct chunk {
    _Atomic uint8_t kind;        /* enum chunk_kind */
    uint8_t released;            /* cached huge mapping whose pages were given back */
    int8_t swap_file;            /* file-backed: its swap file (swap.c); -1: anonymous */
    _Atomic(struct heap*) owner; /* heap whose free lists the chunk's blocks return to */
    union { /* atomic: an entry is reused by other threads over its life */
        _Atomic uint32_t back;        /* CHUNK_TAIL: entries back to the head */
        _Atomic uint32_t freed_epoch; /* cached huge mapping: its heap's purge epoch when freed */
    };
    struct chunk* next;          /* owner's list (pools, live huge, cached huge) */
    struct chunk* prev;
    size_t size;                 /* mapping size */
    uint64_t file_off;           /* file-backed: where the mapping starts in its file; CHUNK_FILE: the file length */

    _Alignas(64) _Atomic uint32_t pins; /* binding pins and guards | CHUNK_RETIRED */
    _Atomic uint32_t remote_count; /* remote frees announced, not yet claimed by a drain; != 0: on an inbox (remote.c) */
    _Atomic uint8_t state;       /* huge block: a block state (pool.h) */
    _Atomic(struct chunk*) inbox_next;
} chunk_t;
_Static_assert(sizeof(chunk_t) == 128, "a chunk entry is two cache lines");

extern chunk_t* _Atomic chunk_table;

/* The entry for address a (possibly CHUNK_NONE); NULL when a is outside the
 * covered address space or nothing was ever mapped. */
static inline chunk_t* chunk_lookup(uintptr_t a) {
    chunk_t* t = atomic_load_explicit(&chunk_table, ACQUIRE); /* a plain load on x86 and arm64 */
    if (UNLIKELY(!t || (a >> CHUNK_ADDR_BITS))) return NULL;
    return &t[a >> CHUNK_SHIFT];
}

static inline uintptr_t chunk_base(const chunk_t* c) {
    return (uintptr_t)(c - atomic_load_explicit(&chunk_table, RELAXED)) << CHUNK_SHIFT;
}

/* Head entry of the chunk holding a, or NULL. */
chunk_t* chunk_find(uintptr_t a);

int  chunk_table_init(void); /* 0 or -1 */
/* Publishes a new mapping [base, base+size) (base aligned to 32 MiB);
 * swap_file and file_off say where a file-backed one lives (-1: anonymous). */
chunk_t* chunk_register(uintptr_t base, size_t size, int kind, struct heap* owner, int swap_file, uint64_t file_off);
/* Claims the right to unmap: succeeds (1) only when nothing is pinned or
 * guarded and the chunk is on no inbox; then no new pin or guard can start.
 * Else (0) the chunk is left as it was. */
int  chunk_retire_unqueued(chunk_t* c);
/* Lets pins and guards start again on a retired chunk that stays mapped. */
void chunk_unretire(chunk_t* c);

/* A guard (see the protocol above): 1 if taken, 0 if the chunk is retired. */
static inline int chunk_guard(chunk_t* c) {
    uint32_t v = atomic_load_explicit(&c->pins, RELAXED);
    do {
        if (v & CHUNK_RETIRED) return 0;
    } while (!atomic_compare_exchange_weak_explicit(&c->pins, &v, v + 1, ACQUIRE, RELAXED));
    return 1;
}
/* Drops a guard or pin (release: everything done under it happens before a
 * retire that follows). */
static inline void chunk_unguard(chunk_t* c) {
    atomic_fetch_sub_explicit(&c->pins, 1, RELEASE);
}
/* Removes the entries of a retired chunk (call before unmapping, after the
 * last read of the entry). */
void chunk_unregister(chunk_t* c);
static inline int chunk_pinned(chunk_t* c) {
    return (atomic_load_explicit(&c->pins, ACQUIRE) & ~CHUNK_RETIRED) != 0;
}

/* Doubly linked lists of chunks, owned by one heap. */
void chunk_list_push(chunk_t** head, chunk_t* c);
void chunk_list_remove(chunk_t** head, chunk_t* c);

#endif
