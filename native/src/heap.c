/* heap.c -- the public allocation entry points and the thread's heap.
 *
 * Fast paths (same thread, no locks, no atomic read-modify-write): alloc of
 * <= 16 KiB pops its bin's cache (sizeclass.h); free reads the chunk entry
 * and the block's state byte, stores the new state and pushes the cache.
 */
#define _GNU_SOURCE
#include "forksafe.h"
#include "heap.h"
#include "config.h"
#include "mapped.h"
#include "os.h"
#include "pool.h"
#include "yieldpoint.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

OFFHEAP_TLS heap_t* tls_heap;

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/* Threads beyond OFFHEAP_MAX_HEAPS share one heap under this lock. */
static pthread_mutex_t overflow_lock = PTHREAD_MUTEX_INITIALIZER;
void heap_fork_lock(int take) { take ? pthread_mutex_lock(&overflow_lock) : pthread_mutex_unlock(&overflow_lock); }
static heap_t* overflow_heap;

static void on_thread_exit(void* h) {
    if (tls_heap == h) offheap_thread_detach();
}

static void make_exit_key(void) { pthread_key_create(&exit_key, on_thread_exit); }

heap_t* heap_current_or_create(void) {
    if (tls_heap) return tls_heap;
    if (chunk_table_init() != 0) return NULL;
    sizeclass_init(); /* before the first heap: the fast paths read its tables */
    forksafe_install();
    config_load_env();
    pthread_once(&exit_key_once, make_exit_key);
    heap_t* h = heap_claim();
    if (!h) return NULL;
    tls_heap = h;
    pthread_setspecific(exit_key, h);
    return h;
}

void offheap_thread_detach(void) {
    heap_t* h = tls_heap;
    if (!h) return;
    /* Its slab caches stay: the heap's adopter takes them over (remote.c),
     * usually a new thread whose caches are empty, which then allocates
     * without refilling them from runs. */
    heap_drain_inbox(h);
    huge_trim_cache(h, 0, NULL); /* a thread's huge cache goes when it exits */
    heap_purge_exiting(h);
    tls_heap = NULL;
    pthread_setspecific(exit_key, NULL);
    YIELD(DETACH_BEFORE_PUSH);
    heap_push_pending(h);
}

/* ---- slow paths ---- */

size_t heap_trim_pools(heap_t* h, unsigned keep_empty, unsigned idle_purges, uint64_t* pools_unmapped) {
    size_t unmapped = 0;
    chunk_t* next;
    for (chunk_t* c = h->pools; c; c = next) {
        next = c->next;
        uintptr_t base = chunk_base(c);
        pool_header_t* ph = pool_header(base);
        if (ph->used_bytes != 0) {
            ph->empty_seen = 0;
            continue;
        }
        if (!ph->empty_seen) ph->empty_seen = h->purge_epoch + 1; /* first purge epoch it was seen empty, +1 */
        if (keep_empty) {
            keep_empty--;
            continue;
        }
        if (h->purge_epoch + 1 - ph->empty_seen < idle_purges) continue; /* not empty long enough */
        YIELD(TRIM_BEFORE_RETIRE);
        if (!chunk_retire_unqueued(c)) continue; /* viewed, guarded or queued: stays */
        YIELD(TRIM_AFTER_RETIRE);
        buddy_remove_pool(&h->buddy, base);
        pool_unmap_retired(h, c);
        unmapped += OFFHEAP_POOL_SIZE;
        if (pools_unmapped) ++*pools_unmapped;
    }
    return unmapped;
}

void* heap_take_block(heap_t* h, unsigned order, unsigned st) {
    void* p = buddy_take(&h->buddy, order, st);
    if (p) return p;
    /* before mapping more: blocks freed by other threads, heaps of exited ones */
    if (heap_drain_inbox(h) + heap_adopt_pending(h, 1)) {
        p = buddy_take(&h->buddy, order, st);
        if (p) return p;
    }
    uintptr_t base = pool_map(h);
    if (!base) return NULL;
    buddy_add_pool(&h->buddy, base);
    return buddy_take(&h->buddy, order, st);
}

int block_bin(uintptr_t blk, uint8_t s, size_t* size) {
    if (STATE_IS_SLOT(s)) {
        const run_t* r = run_of_slot(blk, s);
        *size = r->size;
        return r->bin;
    }
    unsigned o = STATE_ORDER(s);
    *size = o >= TRIM_MIN_HEAD_ORDER ? trimmed_size(blk, o) : (size_t)1 << o;
    if (*size > BIN_MAX || o <= BIN_POW2_RUN_MAX_ORDER) return -1; /* small buddy blocks are no bin's */
    return *size == ((size_t)1 << o) ? (int)(o - OFFHEAP_MIN_ORDER) : (int)bin_of(*size);
}

void heap_free_owned_pool_block(heap_t* h, uintptr_t blk, uint8_t s) {
    size_t size;
    int bin = block_bin(blk, s, &size);
    state_store(blk, (uint8_t)((s & 31u) | (ST_CACHED << 5)));
    count_free_size(h, size, order_of(size));
    if (bin < 0) {
        if (size == ((size_t)1 << STATE_ORDER(s))) buddy_give(&h->buddy, blk, STATE_ORDER(s));
        else trimmed_give(h, blk, STATE_ORDER(s));
        return;
    }
    if (!h->slabs[bin].cap) {
        bin_give(h, (unsigned)bin, blk);
        return;
    }
    if (!slab_push(h, (unsigned)bin, (void*)blk)) {
        slab_overflow(h, (unsigned)bin); /* full: half goes back */
        slab_push(h, (unsigned)bin, (void*)blk);
    }
}

/* A pool block (64 B .. 16 MiB) for n bytes, LIVE and counted, or NULL. */
static void* pool_alloc(heap_t* h, size_t n) {
    if (n <= BIN_MAX) {
        unsigned bin = bin_of(n);
        void* p = slab_pop(h, bin);
        if (!p && (p = slab_refill(h, bin))) counter_add(&h->ct.slab_misses, 1);
        if (p) count_alloc(h, bin);
        return p;
    }
    size_t size = class_round(n);
    unsigned o = order_of(size);
    void* p = size == ((size_t)1 << o) ? heap_take_block(h, o, ST_LIVE) : trimmed_take(h, size, ST_LIVE);
    if (p) count_alloc_size(h, size, o);
    return p;
}

static void* alloc_in(heap_t* h, size_t n) {
    heap_drain_inbox(h); /* keeps producer/consumer pairs bounded, huge blocks too */
    heap_tick(h);
    void* p = n > ((size_t)1 << OFFHEAP_MAX_ORDER) ? huge_alloc(h, n) : pool_alloc(h, n);
    if (!p) errno = ENOMEM;
    return p;
}

static void* alloc_overflow(size_t n) {
    pthread_mutex_lock(&overflow_lock);
    if (!overflow_heap) overflow_heap = heap_claim_overflow();
    void* p = overflow_heap ? alloc_in(overflow_heap, n) : NULL;
    pthread_mutex_unlock(&overflow_lock);
    if (!p) errno = ENOMEM;
    return p;
}

static __attribute__((noinline)) void* alloc_slow(heap_t* h, size_t n) {
    if (n == 0 || n > OFFHEAP_MAX_ALLOC) {
        errno = EINVAL;
        return NULL;
    }
    if (!h) {
        if (!(h = heap_current_or_create())) {
            if (chunk_table_init() != 0) {
                errno = ENOMEM;
                return NULL;
            }
            return alloc_overflow(n);
        }
        /* a thread that exited left its pools and full caches (detach keeps
         * them): a new thread's first allocation adopts them, so it is a
         * cache hit instead of a refill from new runs */
        heap_adopt_pending(h, 1);
    }
    return alloc_in(h, n);
}

void* offheap_alloc(size_t n) {
    heap_t* h = tls_heap;
    if (LIKELY(h != NULL) && LIKELY(n - 1 < BIN_SMALL_MAX)) {
        unsigned bin = bin_by_granule[(n + 63) >> 6];
        void* p = slab_pop(h, bin);
        if (LIKELY(p != NULL)) {
            count_alloc(h, bin);
            return p;
        }
    }
    return alloc_slow(h, n);
}

/* ---- finding a block ---- */

/* Resolves a, for a caller that may not own its chunk: a non-owner takes a
 * guard first (chunkmap.h), so nothing inside the chunk is read while its
 * owner could unmap it. 1 if a can start a block (r->state is its state
 * byte); then block_release must follow. 0: a cannot start one of our blocks
 * (nothing to release). */
int block_acquire(uintptr_t a, block_ref_t* r) {
    if (a & (((uintptr_t)1 << OFFHEAP_MIN_ORDER) - 1)) return 0;
    chunk_t* c = chunk_lookup(a);
    if (!c) return 0;
    heap_t* h = tls_heap;
    r->chunk = c;
    r->guarded = !h || atomic_load_explicit(&c->owner, RELAXED) != h;
    if (r->guarded) {
        YIELD(FREE_AFTER_LOOKUP);
        if (!chunk_guard(c)) return 0; /* retired: an empty chunk, nothing live */
    }
    r->block = (void*)a;
    /* kind after the guard: the entry may hold another chunk by now */
    uint8_t kind = atomic_load_explicit(&c->kind, ACQUIRE);
    if (kind == CHUNK_POOL && (a & POOL_MASK) >= POOL_META_SIZE) r->state = pool_state(a);
    else if ((kind == CHUNK_HUGE || kind == CHUNK_FILE) && (a & POOL_MASK) == 0) r->state = &c->state;
    else {
        block_release(r);
        return 0;
    }
    return 1;
}

void block_release(block_ref_t* r) {
    if (!r->guarded) return;
    if (atomic_load_explicit(&r->chunk->kind, RELAXED) == CHUNK_FILE) mapped_unguard(r->chunk); /* may unmap */
    else chunk_unguard(r->chunk);
}

/* Size of the block whose state byte (r->state) read s: owner or guarded. */
static size_t block_size(const block_ref_t* r, uint8_t s) {
    uint8_t kind = atomic_load_explicit(&r->chunk->kind, RELAXED);
    if (kind == CHUNK_FILE) return (size_t)r->chunk->file_off; /* the file length */
    if (kind == CHUNK_HUGE) return r->chunk->size;
    uintptr_t blk = (uintptr_t)r->block;
    if (STATE_IS_SLOT(s)) return run_of_slot(blk, s)->size;
    return STATE_ORDER(s) >= TRIM_MIN_HEAD_ORDER ? trimmed_size(blk, STATE_ORDER(s)) : (size_t)1 << STATE_ORDER(s);
}

static int free_owned_huge(heap_t* h, chunk_t* c) {
    uint8_t s = atomic_load_explicit(&c->state, RELAXED);
    if (STATE_KIND(s) != ST_LIVE ||
        !atomic_compare_exchange_strong_explicit(&c->state, &s, STATE(0, ST_FREE), ACQ_REL, RELAXED))
        return OFFHEAP_EINVAL;
    huge_free_owned(h, c);
    return OFFHEAP_OK;
}

/* A pool block freed by a thread that does not own its chunk: the guard
 * first, then remote.c's protocol. The same steps as block_acquire +
 * remote_free, without their generality (this is every cross-thread free). */
static __attribute__((noinline)) int free_pool_foreign(chunk_t* c, uintptr_t a) {
    if ((a & POOL_MASK) < POOL_META_SIZE || (a & 63)) return OFFHEAP_EINVAL;
    YIELD(FREE_AFTER_LOOKUP);
    if (!chunk_guard(c)) return OFFHEAP_EINVAL; /* retired: an empty chunk, nothing live */
    /* kind after the guard: the entry may hold another chunk by now (and
     * keeps it while the guard is held) */
    if (LIKELY(atomic_load_explicit(&c->kind, ACQUIRE) == CHUNK_POOL)) {
        int rc = remote_free(c, a, pool_state(a));
        chunk_unguard(c);
        return rc;
    }
    block_ref_t r = {.chunk = c, .block = (void*)a, .state = NULL, .guarded = 1};
    int saved = errno; /* a mapped file's last guard may unmap it; offheap_free keeps errno */
    block_release(&r);
    errno = saved;
    return OFFHEAP_EINVAL;
}

/* Everything but a pool block: huge blocks, mapped files, pointers that are
 * not ours. */
static __attribute__((noinline)) int free_slow(void* p) {
    uintptr_t a = (uintptr_t)p;
    block_ref_t r;
    if (!block_acquire(a, &r)) return a ? OFFHEAP_EINVAL : OFFHEAP_OK;
    int saved = errno; /* unmapping a huge block or a file may set it; offheap_free keeps it (offheap.h) */
    int rc = OFFHEAP_EINVAL, owned_huge = !r.guarded && r.state == &r.chunk->state;
    if (atomic_load_explicit(&r.chunk->kind, RELAXED) == CHUNK_FILE) rc = mapped_free(r.chunk); /* always guarded: no owner */
    else if (r.guarded) rc = remote_free(r.chunk, a, r.state);
    else if (owned_huge) rc = free_owned_huge(tls_heap, r.chunk);
    block_release(&r);
    if (owned_huge && rc == OFFHEAP_OK) heap_tick(tls_heap); /* top level: see purge.c */
    errno = saved;
    return rc;
}

int offheap_free(void* p) {
    uintptr_t a = (uintptr_t)p;
    chunk_t* c = chunk_lookup(a);
    heap_t* h = tls_heap;
    /* The owner's pool blocks: nobody else unmaps this pool, so no guard. The
     * owner test comes before any read inside the chunk. */
    if (UNLIKELY(c == NULL) || UNLIKELY(atomic_load_explicit(&c->kind, ACQUIRE) != CHUNK_POOL)) return free_slow(p);
    if (UNLIKELY(atomic_load_explicit(&c->owner, RELAXED) != h)) return free_pool_foreign(c, a);
    if (LIKELY((a & POOL_MASK) >= POOL_META_SIZE) && LIKELY((a & 63) == 0)) {
        _Atomic uint8_t* st = pool_state(a);
        uint8_t s = atomic_load_explicit(st, RELAXED);
        if (UNLIKELY(STATE_KIND(s) != ST_LIVE)) return OFFHEAP_EINVAL;
        YIELD(OWNER_FREE_AFTER_LOAD);
        /* A plain store, no read-modify-write. Another thread may CAS this
         * block LIVE -> REMOTE between our load and this store (a double free
         * racing across threads): both calls then succeed, the drain finds the
         * state no longer REMOTE and skips the block, so it is freed once and
         * the counters balance (remote.c). Every other double free is
         * detected. */
        if (LIKELY(free_to_cache(h, a, s))) return OFFHEAP_OK;
        heap_free_owned_pool_block(h, a, s);
        heap_tick(h); /* a slow path at the top level, never inside a drain (purge.c) */
        return OFFHEAP_OK;
    }
    return OFFHEAP_EINVAL; /* inside our own pool's metadata, or not 64-byte aligned */
}

size_t offheap_usable_size(const void* p) {
    block_ref_t r;
    if (!block_acquire((uintptr_t)p, &r)) return 0;
    uint8_t s = atomic_load_explicit(r.state, RELAXED);
    size_t n = STATE_KIND(s) == ST_LIVE || STATE_KIND(s) == ST_TRANSIT ? block_size(&r, s) : 0;
    block_release(&r);
    return n;
}

/* CAS of the block's state kind from `from` to `to`, order kept. */
int block_transition(void* p, unsigned from, unsigned to) {
    block_ref_t r;
    if (!block_acquire((uintptr_t)p, &r)) return OFFHEAP_EINVAL;
    uint8_t s = atomic_load_explicit(r.state, RELAXED);
    int ok = STATE_KIND(s) == from &&
             atomic_compare_exchange_strong_explicit(r.state, &s, (uint8_t)((s & 31u) | (to << 5)), ACQ_REL, RELAXED);
    block_release(&r);
    return ok ? OFFHEAP_OK : OFFHEAP_EINVAL;
}

/* ---- realloc ---- */

static void* move_block(void* p, size_t old_size, size_t size) {
    void* q = offheap_alloc(size);
    if (!q) return NULL;
    memcpy(q, p, old_size < size ? old_size : size);
    offheap_free(p);
    return q;
}

/* The bytes a pool request of n (<= 16 MiB) occupies. */
static size_t pool_size_for(size_t n) { return n <= BIN_MAX ? bin_table[bin_of(n)].size : class_round(n); }
static int is_pow2(size_t n) { return (n & (n - 1)) == 0; }

/* Grows or shrinks an owned buddy block (a power of two) to another power
 * of two in place when the buddy system allows. The block is held in TRANSIT meanwhile, so a free from another
 * thread racing with the resize is refused (EINVAL) instead of being
 * overwritten. */
enum resize_result { RESIZED, CANNOT_RESIZE, FREED_MEANWHILE };
static enum resize_result resize_in_place(heap_t* h, _Atomic uint8_t* st, uint8_t s, void* p, size_t size) {
    unsigned o = STATE_ORDER(s), no = order_of(size);
    if (no == o) return RESIZED;
    if (!atomic_compare_exchange_strong_explicit(st, &s, STATE(o, ST_TRANSIT), ACQ_REL, RELAXED))
        return FREED_MEANWHILE;
    YIELD(REALLOC_RESIZING);
    int done = 1;
    if (no < o) buddy_shrink_in_place(&h->buddy, (uintptr_t)p, o, no);
    else done = buddy_grow_in_place(&h->buddy, (uintptr_t)p, o, no);
    atomic_store_explicit(st, STATE(done ? no : o, ST_LIVE), RELEASE);
    if (!done) return CANNOT_RESIZE;
    count_free_size(h, (size_t)1 << o, o);
    count_alloc_size(h, (size_t)1 << no, no);
    counter_sub(&h->ct.alloc_count, 1);
    counter_sub(&h->ct.free_count, 1);
    return RESIZED;
}

void* offheap_realloc(void* p, size_t size) {
    if (!p) return offheap_alloc(size);
    if (size == 0 || size > OFFHEAP_MAX_ALLOC) {
        errno = EINVAL;
        return NULL;
    }
    block_ref_t r;
    if (!block_acquire((uintptr_t)p, &r)) {
        errno = EINVAL;
        return NULL;
    }
    /* under the guard (if not ours) the chunk stays mapped while we copy */
    void* q = NULL;
    uint8_t s = atomic_load_explicit(r.state, RELAXED);
    size_t old_size = block_size(&r, s), page = os_page_size();
    int pool_block = r.state != &r.chunk->state;
    enum resize_result rr = CANNOT_RESIZE;
    if (STATE_KIND(s) != ST_LIVE || atomic_load_explicit(&r.chunk->kind, RELAXED) == CHUNK_FILE)
        rr = FREED_MEANWHILE; /* a mapped file is not resized (EINVAL) */
    else if (!pool_block && size > ((size_t)1 << OFFHEAP_MAX_ORDER) && ((size + page - 1) & ~(page - 1)) == old_size)
        rr = RESIZED; /* same huge mapping */
    else if (pool_block && size <= ((size_t)1 << OFFHEAP_MAX_ORDER)) {
        size_t new_size = pool_size_for(size);
        int buddy_block = !STATE_IS_SLOT(s) && old_size == ((size_t)1 << STATE_ORDER(s));
        if (new_size == old_size) rr = RESIZED; /* same size class */
        /* small powers of two are slots of runs, not buddy blocks */
        else if (!r.guarded && buddy_block && is_pow2(new_size) && new_size > ((size_t)1 << BIN_POW2_RUN_MAX_ORDER))
            rr = resize_in_place(tls_heap, r.state, s, p, new_size);
    }
    if (rr == RESIZED) q = p;
    else if (rr == CANNOT_RESIZE) q = move_block(p, old_size, size);
    else errno = EINVAL;
    block_release(&r);
    return q;
}

/* ---- gc on the calling thread ---- */

static void gc_heap(heap_t* h, offheap_gc_report_t* r) {
    r->remote_drained += heap_drain_inbox(h);
    r->heaps_adopted += heap_adopt_pending(h, UINT64_MAX);
    r->slab_blocks_flushed += slab_flush(h);
    huge_trim_cache(h, 0, r);
    r->bytes_unmapped += heap_trim_pools(h, 1, 0, &r->pools_unmapped);
    r->bytes_released += buddy_release_pages(&h->buddy, 15, config_retain_bytes());
}

void offheap_gc_ex(offheap_gc_report_t* report) {
    offheap_gc_report_t r;
    memset(&r, 0, sizeof r);
    heap_t* h = heap_current_or_create();
    if (h) gc_heap(h, &r);
    /* the shared heap of id-less threads is serviced by whoever collects */
    pthread_mutex_lock(&overflow_lock);
    if (overflow_heap) gc_heap(overflow_heap, &r);
    pthread_mutex_unlock(&overflow_lock);
    if (report) *report = r;
}

void offheap_gc(void) { offheap_gc_ex(NULL); }
