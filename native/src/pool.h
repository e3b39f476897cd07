/* pool.h -- layout of a 32 MiB pool and the per-block state bytes.
 *
 * A pool is aligned to its size. Its first 1 MiB is metadata: a small
 * header, one state byte per 64-byte granule of the pool (the bytes that
 * would describe the metadata region itself hold the header), then one run
 * descriptor per 4 KiB of pool (run.c), then one byte per 4 KiB of pool
 * naming the bin of the run there. Only the byte of a block's first
 * granule is meaningful; every other byte is 0, so an interior pointer is
 * recognised in O(1). Blocks carry no header of their own.
 *
 * Three kinds of block start (sizeclass.h): a buddy block (low 5 bits: its
 * order, 6..24), a slot of a run (low bits: the run's order + RUN_CODE_BIAS,
 * 25..31), and the first piece of a trimmed block (its order; the pieces
 * after it are ST_PIECE bytes, never block starts).
 */
#ifndef OFFHEAP_POOL_H
#define OFFHEAP_POOL_H

#include "chunkmap.h"
#include "offheap.h"
#include "platform.h"
#include "sizeclass.h"

#define POOL_META_ORDER 20
#define POOL_META_SIZE  ((uintptr_t)1 << POOL_META_ORDER)
#define POOL_MASK       ((uintptr_t)OFFHEAP_POOL_SIZE - 1)
#define GRANULE_SHIFT   OFFHEAP_MIN_ORDER

/* State byte: order in the low 5 bits, block state in the high 3. */
enum block_state {
    ST_NONE = 0,          /* not a block start */
    ST_FREE = 1,          /* on a buddy free list, pages resident */
    ST_FREE_RELEASED = 2, /* on a buddy free list, file hole punched: re-reserve disk before reuse */
    ST_LIVE = 3,          /* allocated */
    ST_CACHED = 4,        /* in the owner's slab cache */
    ST_REMOTE = 5,        /* freed by another thread, queued to the owner */
    ST_TRANSIT = 6,       /* handed off (offheap_handoff), waiting for offheap_adopt */
    ST_PIECE = 7          /* a later piece of a trimmed block (low bits: the piece's order); not a block start */
};
#define STATE(order, st)  ((uint8_t)((order) | ((st) << 5)))
#define STATE_ORDER(b)    ((unsigned)(b) & 31u)
#define STATE_KIND(b)     ((unsigned)(b) >> 5)
#define STATE_IS_FREE(b)  (STATE_KIND(b) == ST_FREE || STATE_KIND(b) == ST_FREE_RELEASED)
#define STATE_IS_SLOT(b)  (STATE_ORDER(b) > OFFHEAP_MAX_ORDER)
/* Bytes from this start to the next block start (a run: the whole run). */
#define STATE_SPAN_ORDER(b) (STATE_IS_SLOT(b) ? STATE_ORDER(b) - RUN_CODE_BIAS : STATE_ORDER(b))

/* Cross-thread frees mark the 64-byte line of state bytes (64 granules, 4 KiB
 * of pool) that holds a REMOTE block: a bit in remote_lines, and a bit per
 * word in remote_top, so the owner scans only dirty lines (remote.c). */
#define POOL_STATE_LINES (OFFHEAP_POOL_SIZE >> GRANULE_SHIFT >> 6) /* 8192 */

typedef struct pool_header {
    uint64_t used_bytes; /* bytes not on the buddy free lists; owner-only */
    uint64_t empty_seen; /* purge epoch + 1 when a trim first saw it empty, 0: in use; owner-only */
    _Alignas(64) _Atomic uint64_t remote_top[POOL_STATE_LINES / 64 / 64];
    _Atomic uint64_t remote_lines[POOL_STATE_LINES / 64];
} pool_header_t;
_Static_assert(sizeof(pool_header_t) <= (POOL_META_SIZE >> GRANULE_SHIFT),
               "the pool header must fit in the state bytes the metadata region does not use");

/* A run: a buddy block cut into equal slots of one size class (run.c). Its
 * descriptor sits in the metadata region, out of reach of stale writes.
 * Owner-only fields. */
typedef struct run {
    uint64_t free_mask;  /* slots neither live nor cached */
    struct run* next;    /* the owner's runs of this bin with free slots */
    struct run* prev;
    uint32_t size;       /* slot size */
    uint8_t bin;
    uint8_t slots;
    uint8_t listed;      /* on the owner's list */
} run_t;
#define POOL_RUN_DESC_OFF ((uintptr_t)OFFHEAP_POOL_SIZE >> GRANULE_SHIFT) /* after the state bytes */
_Static_assert(POOL_RUN_DESC_OFF + (OFFHEAP_POOL_SIZE >> 12) * sizeof(run_t) <= POOL_META_SIZE,
               "one run descriptor per 4 KiB of pool fits in the metadata region");

/* The bin of the run covering each 4 KiB page, written when the run is made:
 * the owner's free finds a slot's bin in this 8 KiB table (usually cached)
 * instead of the run's descriptor in a 256 KiB one (a cache miss per free). */
#define POOL_PAGE_BIN_OFF (POOL_RUN_DESC_OFF + (OFFHEAP_POOL_SIZE >> 12) * sizeof(run_t))
_Static_assert(POOL_PAGE_BIN_OFF + (OFFHEAP_POOL_SIZE >> 12) <= POOL_META_SIZE,
               "the page bin table fits in the metadata region");

static inline uintptr_t pool_base_of(uintptr_t a) { return a & ~POOL_MASK; }
/* The bin of slot a's run (meaningful only while a's state byte says slot). */
static inline uint8_t* pool_page_bin(uintptr_t a) {
    uintptr_t base = pool_base_of(a);
    return (uint8_t*)(base + POOL_PAGE_BIN_OFF + ((a - base) >> 12));
}
/* The descriptor of the run starting at run_base. */
static inline run_t* run_at(uintptr_t run_base) {
    uintptr_t base = pool_base_of(run_base);
    return (run_t*)(base + POOL_RUN_DESC_OFF) + ((run_base - base) >> 12);
}
/* The run holding slot a, from the slot's state byte s. */
static inline run_t* run_of_slot(uintptr_t a, uint8_t s) {
    return run_at(a & ~(((uintptr_t)1 << STATE_SPAN_ORDER(s)) - 1));
}
static inline pool_header_t* pool_header(uintptr_t base) { return (pool_header_t*)base; }
static inline _Atomic uint8_t* pool_state(uintptr_t a) {
    uintptr_t base = pool_base_of(a);
    return (_Atomic uint8_t*)(base + ((a - base) >> GRANULE_SHIFT));
}
static inline uint8_t state_load(uintptr_t a) {
    return atomic_load_explicit(pool_state(a), RELAXED);
}
/* Owner-only transitions of blocks nobody else may touch (free, cached, and
 * live -> cached on a same-thread free; other threads CAS, see remote.c). */
static inline void state_store(uintptr_t a, uint8_t v) {
    atomic_store_explicit(pool_state(a), v, RELAXED);
}

struct heap;
/* Maps a pool for heap h (per the swap policy) and publishes it; returns its
 * base or 0 with errno ENOMEM. Blocks are added by buddy_add_pool. */
uintptr_t pool_map(struct heap* h);
/* Unmaps an empty pool already retired (chunk_retire_unqueued) and off the free lists. */
void pool_unmap_retired(struct heap* h, chunk_t* c);

#endif
