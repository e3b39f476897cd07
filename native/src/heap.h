/* heap.h -- the per-thread heap: buddy lists, slab caches, huge blocks,
 * counters, and the cross-thread inbox.
 *
 * Reclamation rule: a heap_t is never freed or unmapped. It lives in
 * heap_table[id] for the life of the process and is reused with its id, so
 * any thread holding a stale heap pointer (a pool's owner read a moment ago)
 * can still read it and push to its inbox safely; see remote.c.
 */
#ifndef OFFHEAP_HEAP_H
#define OFFHEAP_HEAP_H

#include "buddy.h"
#include "pool.h"
#include "chunkmap.h"
#include "offheap.h"
#include "platform.h"
#include "sizeclass.h"

#ifndef OFFHEAP_MAX_HEAPS
#define OFFHEAP_MAX_HEAPS 4096 /* concurrent heaps; more threads share the overflow heap */
#endif

/* Every bin (sizeclass.h: blocks of 64 B .. 64 KiB) is cached per thread. */
#define SLAB_STORAGE 37171u /* sum over bins of bin_table[].cache_max (slab_setup checks) */

/* 32 bytes: a bin's slab is found with a shift, not a multiply */
typedef struct __attribute__((aligned(32))) slab {
    _Atomic uint32_t count; /* written by the owner only; atomic for stats readers */
    uint32_t cap;           /* from the byte budget */
    void** items;           /* LIFO stack of ST_CACHED blocks */
    /* copies of the bin's bin_table entry: the fast paths read one line */
    uint32_t size;
    uint8_t live_state;     /* a live block's state byte */
} slab_t;
_Static_assert(sizeof(slab_t) == 32, "a slab is 32 bytes");

/* Adoption adds every word of a heap's counters to the adopter's. The fast
 * paths count a cached bin's blocks in bin_allocs/bin_frees only (one store
 * each way); stats.c folds those into alloc_count, free_count, live_by_order
 * and slab_hits (every bin allocation the slow path did not serve). */
typedef struct heap_counters {
    _Atomic uint64_t alloc_count, free_count, bytes_live, bytes_peak, slab_misses;
    _Atomic uint64_t pool_count, swap_pool_count, bytes_mapped, bytes_swap;
    _Atomic uint64_t huge_count, huge_bytes, remote_frees;
    _Atomic uint64_t remote_announced, remote_claimed; /* remote frees this heap made, and claimed (remote.c) */
    _Atomic uint64_t live_by_order[OFFHEAP_ORDER_COUNT];
    _Atomic uint64_t bin_allocs[BIN_COUNT], bin_frees[BIN_COUNT];
} heap_counters_t;

enum heap_status { HEAP_UNUSED = 0, HEAP_LIVE = 1, HEAP_PENDING = 2 };

typedef struct heap {
    /* owner-only, hot */
    slab_t slabs[BIN_COUNT];
    heap_counters_t ct;
    buddy_t buddy;
    run_t* runs[BIN_TRIM_FIRST]; /* runs with free slots, by bin (run.c; NULL for buddy bins) */
    chunk_t* pools;       /* pools owned */
    chunk_t* huge_live;   /* live huge blocks owned */
    chunk_t* huge_cache;  /* freed huge mappings kept for reuse (MRU first) */
    size_t huge_cache_bytes;
    uint32_t slab_budget; /* budget the caps were computed from */
    uint32_t id;
    _Atomic int status;   /* enum heap_status */
    struct heap* pending_next; /* pending-merge LIFO link */

    /* memory return without gc (purge.c) */
    uint64_t purge_due_ms;  /* next time the slow path purges */
    uint64_t purge_epoch;   /* purges so far: cached huge mappings remember when they were freed */

    /* written by other threads: own cache line */
    _Alignas(64) _Atomic(chunk_t*) inbox; /* MPSC stack of chunks with remote frees, or INBOX_CLOSED */

    _Alignas(64) void* slab_storage[SLAB_STORAGE];
} heap_t;

#define INBOX_CLOSED ((chunk_t*)1)

extern OFFHEAP_TLS heap_t* tls_heap;

static inline unsigned order_of(size_t n) {
    return n <= 64 ? OFFHEAP_MIN_ORDER : (unsigned)(64 - __builtin_clzll((unsigned long long)(n - 1)));
}

/* Counting, owner only: a pool block of `size` bytes (live_by_order counts
 * it under the order its size rounds up to). */
static inline void count_live(heap_t* h, size_t size) {
    uint64_t live = counter_get(&h->ct.bytes_live) + size;
    atomic_store_explicit(&h->ct.bytes_live, live, RELAXED);
    if (live > counter_get(&h->ct.bytes_peak)) atomic_store_explicit(&h->ct.bytes_peak, live, RELAXED);
}
static inline void count_alloc_size(heap_t* h, size_t size, unsigned count_order) {
    count_live(h, size);
    counter_add(&h->ct.alloc_count, 1);
    counter_add(&h->ct.live_by_order[count_order - OFFHEAP_MIN_ORDER], 1);
}
static inline void count_free_size(heap_t* h, size_t size, unsigned count_order) {
    counter_sub(&h->ct.bytes_live, size);
    counter_add(&h->ct.free_count, 1);
    counter_sub(&h->ct.live_by_order[count_order - OFFHEAP_MIN_ORDER], 1);
}
/* The same for a block of a cached bin (its count_order is the bin's). */
static inline void count_alloc(heap_t* h, unsigned bin) {
    count_live(h, h->slabs[bin].size);
    counter_add(&h->ct.bin_allocs[bin], 1);
}
static inline void count_free(heap_t* h, unsigned bin) {
    counter_sub(&h->ct.bytes_live, h->slabs[bin].size);
    counter_add(&h->ct.bin_frees[bin], 1);
}

/* A mapping (pool or huge) enters (+1) or leaves (-1) heap h's counters. */
static inline void count_mapping(heap_t* h, const chunk_t* c, int sign) {
    uint64_t n = sign > 0 ? c->size : (uint64_t)0 - c->size, one = sign > 0 ? 1 : (uint64_t)-1;
    counter_add(&h->ct.bytes_mapped, n);
    if (c->swap_file >= 0) counter_add(&h->ct.bytes_swap, n);
    if (atomic_load_explicit(&c->kind, RELAXED) != CHUNK_POOL) return;
    counter_add(&h->ct.pool_count, one);
    if (c->swap_file >= 0) counter_add(&h->ct.swap_pool_count, one);
}

/* Slab cache, owner only: a cached block of `bin` made LIVE, or NULL. */
static inline void* slab_pop(heap_t* h, unsigned bin) {
    slab_t* s = &h->slabs[bin];
    uint32_t k = atomic_load_explicit(&s->count, RELAXED);
    if (UNLIKELY(k == 0)) return NULL;
    void* p = s->items[--k];
    if (!p) __builtin_unreachable(); /* cached blocks are never NULL: lets callers skip a test */
    atomic_store_explicit(&s->count, k, RELAXED);
    state_store((uintptr_t)p, s->live_state);
    return p;
}
/* Caches blk (its state already set to ST_CACHED); 0 when the cache is full. */
static inline int slab_push(heap_t* h, unsigned bin, void* blk) {
    slab_t* s = &h->slabs[bin];
    uint32_t n = atomic_load_explicit(&s->count, RELAXED);
    if (UNLIKELY(n >= s->cap)) return 0;
    s->items[n] = blk;
    atomic_store_explicit(&s->count, n + 1, RELAXED);
    return 1;
}

/* The owner's free of a pool block whose state byte read s (LIVE; REMOTE
 * in a drain) into its bin's cache, when the state byte alone names the bin:
 * slots of runs (their page's bin byte) and 8 KiB buddy blocks. Stores the
 * block's state CACHED either way; 0: the caller goes on to
 * heap_free_owned_pool_block (another kind, or the cache is full). */
static inline int free_to_cache(heap_t* h, uintptr_t a, uint8_t s) {
    unsigned o = STATE_ORDER(s);
    state_store(a, STATE(o, ST_CACHED));
    int bin = STATE_IS_SLOT(s) ? *pool_page_bin(a)
              : o > BIN_POW2_RUN_MAX_ORDER && o < TRIM_MIN_HEAD_ORDER ? (int)(o - OFFHEAP_MIN_ORDER) : -1;
    if (UNLIKELY(bin < 0) || UNLIKELY(!slab_push(h, (unsigned)bin, (void*)a))) return 0;
    count_free(h, (unsigned)bin);
    return 1;
}

/* heap.c */
heap_t* heap_current_or_create(void); /* NULL only when no heap can be had */

/* A block start resolved for a caller that may not own its chunk (guarded
 * then, see chunkmap.h). */
typedef struct block_ref {
    chunk_t* chunk;
    void* block;            /* the block start */
    _Atomic uint8_t* state; /* the block's state byte */
    int guarded;
} block_ref_t;
int  block_acquire(uintptr_t a, block_ref_t* r); /* 1: r is valid until block_release */
void block_release(block_ref_t* r);
/* CAS of the block state kind from -> to; 0 or OFFHEAP_EINVAL. */
int  block_transition(void* p, unsigned from, unsigned to);
/* Frees a pool block this heap owns whose start byte read s (any state but
 * free; its kind is not looked at): into its bin's cache, or back to its run
 * or the buddy lists. */
void heap_free_owned_pool_block(heap_t* h, uintptr_t blk, uint8_t s);
/* The bin of the block starting at blk with state byte s, or -1 (no bin:
 * larger than BIN_MAX); *size gets its size. Owner, or under a guard. */
int  block_bin(uintptr_t blk, uint8_t s, size_t* size);
/* The slow path: take a block of `order` from the buddy lists, draining the
 * inbox, adopting pending heaps and mapping a pool as needed. */
void* heap_take_block(heap_t* h, unsigned order, unsigned st);
/* Unmaps empty pools beyond `keep_empty` that were seen empty at least
 * `idle_purges` purges ago (pinned, guarded and queued ones stay). */
size_t heap_trim_pools(heap_t* h, unsigned keep_empty, unsigned idle_purges, uint64_t* pools_unmapped);

/* slab.c */
void slab_setup(heap_t* h);
void* slab_refill(heap_t* h, unsigned bin); /* one LIVE block, cache topped up; NULL if OOM */
void slab_overflow(heap_t* h, unsigned bin); /* cache full: give half back */
uint64_t slab_flush(heap_t* h);              /* everything back to runs and buddy lists */
/* A cached (ST_CACHED) block of `bin` back to its run or the buddy lists. */
void bin_give(heap_t* h, unsigned bin, uintptr_t blk);

/* run.c */
/* Up to `want` free slots of run bin `bin` into out[] (ST_CACHED), from the
 * runs with free slots (never maps); the count. */
uint32_t run_take(heap_t* h, unsigned bin, void** out, uint32_t want);
/* A new run of `bin`, every slot free, on the list; 0 when out of memory.
 * It may drain the inbox, which may fill the bin's cache. */
int run_add(heap_t* h, unsigned bin);
/* A slot (ST_CACHED) back to its run; an emptied run goes back to the buddy lists. */
void run_give(heap_t* h, uintptr_t slot);
/* Releases listed runs with every slot free (a new run can stay unused when
 * the drain that mapped it refilled the cache). */
void run_release_empty(heap_t* h);
/* Moves the runs lists of p to a (heap adoption). */
void run_splice(heap_t* a, heap_t* p);

/* trimmed.c */
/* A LIVE trimmed block of `size` (a class_round() or trimmed-bin size, not a
 * power of two) in state st, or NULL. */
void* trimmed_take(heap_t* h, size_t size, unsigned st);
/* Size of the block whose first piece starts at blk with order `order`
 * (its pieces follow as ST_PIECE bytes); 1 << order for a buddy block. */
size_t trimmed_size(uintptr_t blk, unsigned order);
/* All pieces back to the buddy lists (the first one's byte: any non-free state). */
void trimmed_give(heap_t* h, uintptr_t blk, unsigned order);

/* huge.c */
void* huge_alloc(heap_t* h, size_t size);
void huge_free_owned(heap_t* h, chunk_t* c);
void huge_trim_cache(heap_t* h, size_t keep_bytes, offheap_gc_report_t* r);
void huge_trim_cache_since(heap_t* h, size_t keep_bytes, uint64_t since, offheap_gc_report_t* r);

/* remote.c */
/* Free by a thread that does not own c, under its guard. */
int  remote_free(chunk_t* c, uintptr_t blk, _Atomic uint8_t* state);
int64_t remote_pending_unowned(void);    /* remote frees announced by threads without a heap (remote.c; stats.c subtracts the claims) */
uint64_t remote_pending_of(heap_t* h);   /* the same for h's chunks; owner only */
uint64_t heap_drain_inbox(heap_t* h);
uint64_t heap_adopt_pending(heap_t* h, uint64_t max);
void heap_push_pending(heap_t* h);

/* purge.c */
/* On top-level slow paths (never inside a drain): about every
 * OFFHEAP_PURGE_MS of activity, gives memory that stayed free back to the OS
 * (no background thread needed). */
void heap_tick(heap_t* h);
/* The same for the heap of a detaching thread, at once, before it goes pending. */
void heap_purge_exiting(heap_t* h);

/* heapid.c */
heap_t* heap_claim(void);       /* a free heap struct with a fresh id, or NULL */
heap_t* heap_claim_overflow(void); /* the shared heap of threads beyond OFFHEAP_MAX_HEAPS */
void heap_unclaim(heap_t* h);   /* id back to the bitmap */
heap_t* heap_at(uint32_t id);   /* NULL if never created */
uint32_t heap_id_limit(void);   /* ids ever handed out are < this */

#endif
