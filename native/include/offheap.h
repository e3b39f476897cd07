/*
 * offheap.h -- public C API of the offheap allocator core.
 *
 * The only header that bindings, tests and benchmarks include.
 *
 * Model: every thread owns a heap (created on its first allocation). Small and
 * medium blocks (64 B .. 16 MiB) come from self-aligned 32 MiB pools managed as
 * a buddy system. A request of exactly 2^k >= 64 bytes occupies exactly 2^k
 * bytes aligned to 2^k; any other request occupies its size class: 64, 128,
 * 192 B, then 5/4, 6/4, 7/4 and 2 times a power of two up to 16 KiB (slots of
 * runs, 64-byte aligned), then steps of 1/8 of a power of two, at least 4 KiB
 * (blocks whose tail goes back to the buddy lists). Larger requests get
 * their own page-rounded mapping ("huge" blocks, 32 MiB aligned). Any thread
 * may free any block; frees from a non-owner are queued to the owner
 * lock-free.
 *
 * File-backed memory (the swap fallback) lives in one unlinked file per swap
 * directory, whatever the number of mappings: at most 4 descriptors.
 */
#ifndef OFFHEAP_H
#define OFFHEAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- geometry ---------------------------------------------------------- */
#define OFFHEAP_MIN_ORDER   6    /* smallest block: 64 B */
#define OFFHEAP_MAX_ORDER   24   /* largest pool block: 16 MiB; larger is huge */
#define OFFHEAP_POOL_ORDER  25   /* pools are 32 MiB, aligned to 32 MiB */
#define OFFHEAP_ORDER_COUNT (OFFHEAP_MAX_ORDER - OFFHEAP_MIN_ORDER + 1)
#define OFFHEAP_POOL_SIZE   ((size_t)1 << OFFHEAP_POOL_ORDER)
#define OFFHEAP_MAX_ALLOC   ((size_t)1 << 44) /* 16 TiB: larger requests are EINVAL */

/* ---- error codes (negative, returned by int functions) ----------------- */
#define OFFHEAP_OK       0
#define OFFHEAP_EINVAL (-22) /* not a live block start / bad argument */
#define OFFHEAP_ENOMEM (-12)

/* ---- allocation -------------------------------------------------------- */

/* >= 64-byte aligned (2^k blocks to their own size, huge blocks to 32 MiB). Contents unspecified. NULL with errno EINVAL for 0 or
 * > OFFHEAP_MAX_ALLOC, ENOMEM when no memory (anonymous or file-backed) can
 * be had; the heap stays usable either way. */
void* offheap_alloc(size_t size);

/* 0 on success and for NULL. OFFHEAP_EINVAL when p is not the start of a live
 * block: double free, interior pointer, foreign pointer (stack, malloc,
 * unmapped). Callable from any thread, at any time, with any pointer: it
 * never crashes, never corrupts the heap, and never touches memory it does
 * not own (a non-owner announces itself on the chunk before it reads inside
 * it, and its owner unmaps nothing while such a reader is there).
 *
 * Double and stale frees, exactly:
 *  - detected (OFFHEAP_EINVAL), from any thread, also while the owner runs
 *    gc or exits: every double or stale free whose address was not handed
 *    out again in between, and every free of a block in transit
 *    (offheap_handoff) or being resized by offheap_realloc;
 *  - not detectable: a stale free of an address that has been allocated
 *    again since (it frees the new block, as with any allocator);
 *  - harmless: the owner freeing a block at the very instant another thread
 *    frees it too. Both calls return 0, the block is freed once, and every
 *    counter (bytes_live, remote_pending) stays exact.
 * It never changes errno (as free in POSIX 2024), so a malloc replacement
 * calls it without saving errno. */
int offheap_free(void* p);

/* Block size of the live block starting at p (its size class for pool
 * blocks, the page-rounded mapping for huge blocks, the file length for a
 * mapped file); 0 if p is not a live block start. */
size_t offheap_usable_size(const void* p);

/* Resize. Stays in place within the size class; a power-of-two block
 * shrinks and grows in place to another power of two when the buddy system allows (growing
 * needs the buddies above to be free, and their disk reserved again if it was
 * given back), else allocates, copies and frees. p == NULL behaves like
 * offheap_alloc. On failure returns NULL (errno EINVAL: p is not a live
 * block, or another thread freed it meanwhile; ENOMEM) and p stays valid
 * and unchanged. */
void* offheap_realloc(void* p, size_t size);

/* ---- maintenance ------------------------------------------------------- */

typedef struct offheap_gc_report {
    uint64_t slab_blocks_flushed; /* cached small blocks returned to the buddy lists */
    uint64_t remote_drained;      /* cross-thread frees applied */
    uint64_t heaps_adopted;       /* exited threads' heaps merged into this one */
    uint64_t bytes_released;      /* physical pages given back (madvise / hole punch) */
    uint64_t bytes_unmapped;      /* address space returned (pools, huge mappings) */
    uint64_t pools_unmapped;
    uint64_t huge_unmapped;
} offheap_gc_report_t;

/* On the calling thread's heap: flush slab caches, drain the cross-thread
 * inbox, adopt heaps of exited threads, release physical pages of large free
 * blocks, unmap wholly free pools and cached huge mappings beyond a small
 * retained budget (never a pinned range, see offheap_pin).
 *
 * Memory also goes back without gc: about every 500 ms of allocator activity
 * (on the heap's slow paths: no background thread) a heap purges what stayed
 * free (cached huge mappings not reused since the last purge, pools empty at
 * two purges in a row, pages of free blocks beyond retain_bytes) and adopts
 * heaps of exited threads; a thread's huge cache goes when it exits. gc is
 * the explicit, immediate version. */
void offheap_gc(void);
/* Same, and describes what was released (report may be NULL). */
void offheap_gc_ex(offheap_gc_report_t* report);

/* Hand the calling thread's heap to the pending-merge queue now (also done by
 * a thread-exit destructor). Its blocks stay valid and can be freed from any
 * thread. A later allocation on this thread starts a fresh heap. */
void offheap_thread_detach(void);

/* ---- statistics -------------------------------------------------------- */

typedef struct offheap_stats {
    uint64_t alloc_count;     /* successful allocations */
    uint64_t free_count;      /* frees applied (cross-thread frees count when drained) */
    uint64_t bytes_live;      /* block sizes of live blocks (what the heap really spends) */
    uint64_t bytes_peak;      /* high-water mark of bytes_live */
    uint64_t slab_hits;       /* allocations served from a slab cache */
    uint64_t pool_count;      /* pools mapped */
    uint64_t swap_pool_count; /* of which file-backed */
    uint64_t bytes_mapped;    /* pools + huge mappings (live and cached) */
    uint64_t bytes_swap;      /* of which file-backed */
    uint64_t huge_count;      /* live huge blocks */
    uint64_t huge_bytes;      /* their mapped size */
    uint64_t remote_pending;  /* cross-thread frees queued, not yet drained */
    uint64_t remote_frees;    /* cross-thread frees drained so far */
    uint64_t bytes_cached;    /* free blocks held in slab caches */
    uint64_t heaps_live;      /* global stats: heaps owned by running threads */
    uint64_t heaps_pending;   /* global stats: exited threads' heaps not yet adopted */
    uint64_t live_by_order[OFFHEAP_ORDER_COUNT]; /* live pool blocks by the order their size rounds up to (6..24) */
} offheap_stats_t;

void offheap_stats(offheap_stats_t* out);        /* calling thread's heap (zeros if none) */
void offheap_global_stats(offheap_stats_t* out); /* every heap of the process, live and pending */

/* ---- configuration (process-wide) ------------------------------------- */

typedef enum offheap_swap_policy {
    OFFHEAP_SWAP_AUTO   = 0, /* file-backed only when anonymous mmap fails with ENOMEM */
    OFFHEAP_SWAP_ALWAYS = 1, /* every pool and huge mapping file-backed */
    OFFHEAP_SWAP_NEVER  = 2
} offheap_swap_policy_t;

/* Which fields of offheap_config_t to apply. */
#define OFFHEAP_CFG_SWAP_DIR         (1u << 0)
#define OFFHEAP_CFG_SWAP_POLICY      (1u << 1)
#define OFFHEAP_CFG_SLAB_BUDGET      (1u << 2)
#define OFFHEAP_CFG_HUGE_CACHE_BYTES (1u << 3)
#define OFFHEAP_CFG_RETAIN_BYTES     (1u << 4)

typedef struct offheap_config {
    unsigned    set;              /* OFFHEAP_CFG_* bits: fields to apply */
    const char* swap_dir;         /* existing directory for swap files (copied) */
    int         swap_policy;      /* offheap_swap_policy_t */
    size_t      slab_budget;      /* bytes cached per small order per thread (0 disables) */
    size_t      huge_cache_bytes; /* freed huge mappings kept for reuse, per thread */
    size_t      retain_bytes;     /* free resident bytes gc keeps per heap (hysteresis) */
} offheap_config_t;

/* Defaults come from OFFHEAP_SWAP (auto|always|never) and OFFHEAP_SWAP_DIR
 * (else TMPDIR, else /tmp), read once when the first heap is created.
 * Returns 0, or OFFHEAP_EINVAL (nothing applied) for an unknown bit, a bad
 * policy, a swap_dir that is not an existing directory or is too long, or a
 * budget out of range. */
int  offheap_configure(const offheap_config_t* cfg);
void offheap_get_config(offheap_config_t* out); /* swap_dir points to internal storage */

/* ---- for bindings: chunks, pins and hand-off --------------------------- */

/* A chunk is a pool or a huge mapping: the unit a binding exposes as one
 * buffer. `data`/`size` is the part that holds blocks (a pool's metadata
 * region is excluded). */
typedef struct offheap_chunk {
    void*  base;    /* chunk identity: pool base or huge mapping base */
    void*  data;    /* first byte that can belong to a block */
    size_t size;    /* bytes from data to the end of the chunk */
    int    is_huge;        /* a huge block: one block, the whole chunk */
    int    is_file_backed; /* swap file behind it (not a user's file) */
    int    is_mapped_file; /* offheap_map_file: one block, the whole chunk, a user's file */
} offheap_chunk_t;

/* Chunk containing address p (any byte of it). 0 or OFFHEAP_EINVAL. */
int offheap_chunk_of(const void* p, offheap_chunk_t* out);

/* A pinned chunk is never unmapped: when the core would unmap it, it
 * releases its physical pages instead and unmaps it after the last unpin.
 * Bindings pin every chunk that script may view. pin returns 0, or
 * OFFHEAP_EINVAL if base is not a chunk (or is being unmapped). */
int  offheap_pin(const void* chunk_base);
void offheap_unpin(const void* chunk_base);

/* Zero-copy hand-off between threads. offheap_handoff marks the live block at
 * p as "in transit" (nobody can free it meanwhile) and returns a ticket in
 * *ticket: non-zero, below 2^53 (exact in a JavaScript number) and never
 * reused within the process. offheap_adopt(p, ticket) takes the block back
 * only with that ticket, exactly once, from any thread; a replayed ticket is
 * refused even after the address was freed and handed off again. Both return
 * 0 or OFFHEAP_EINVAL (OFFHEAP_ENOMEM: the ticket table could not grow). */
int offheap_handoff(void* p, uint64_t* ticket);
int offheap_adopt(void* p, uint64_t ticket);

/* ---- file mappings ------------------------------------------------------ */

#define OFFHEAP_MAP_READ  0 /* private: the file is never changed (a write, which
                               JavaScript cannot forbid, stays in this process) */
#define OFFHEAP_MAP_COPY  1 /* private copy-on-write: the same mapping, meant for writing */
#define OFFHEAP_MAP_WRITE 2 /* shared: writes reach the file (fd opened read-write) */

/* Maps bytes [0, length) of the open file fd (0 < length <= its size) as one
 * block, registered like a huge block: aligned to 32 MiB, found by
 * offheap_chunk_of (is_mapped_file), released by offheap_free from any
 * thread exactly once, offheap_usable_size is `length`. Never reused as
 * anonymous memory; a pinned mapping stays mapped until its last unpin
 * (then the next unpin, free or gc unmaps it). fd may be closed afterwards.
 * Returns 0 and *out, OFFHEAP_EINVAL (bad mode, length 0, beyond the end of
 * the file or above OFFHEAP_MAX_ALLOC), OFFHEAP_ENOMEM, or -errno from
 * fstat/mmap (e.g. -EACCES: write mode on a read-only descriptor, -ENODEV:
 * a file that cannot be mapped). */
int offheap_map_file(int fd, uint64_t length, int mode, void** out);

#ifdef __cplusplus
}
#endif
#endif /* OFFHEAP_H */
