/* heap.c -- the public allocation entry points and the thread's heap.
 *
 * Fast paths (same thread, no locks, no atomic read-modify-write): alloc of
 * <= 64 KiB pops the slab cache; free reads the chunk entry and the block's
 * state byte, stores the new state and pushes the slab cache.
 */
#define _GNU_SOURCE
#include "heap.h"
#include "config.h"
#include "os.h"
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

OFFHEAP_TLS heap_t* tls_heap;

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/* Threads beyond OFFHEAP_MAX_HEAPS share one heap under this lock. */
static pthread_mutex_t overflow_lock = PTHREAD_MUTEX_INITIALIZER;
static heap_t* overflow_heap;

static void on_thread_exit(void* h) {
    if (tls_heap == h) offheap_thread_detach();
}

static void make_exit_key(void) { pthread_key_create(&exit_key, on_thread_exit); }

heap_t* heap_current_or_create(void) {
    if (tls_heap) return tls_heap;
    if (chunk_table_init() != 0) return NULL;
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
    heap_drain_inbox(h); /* first: drained frees land in the slab caches ... */
    slab_flush(h);       /* ... which adoption does not move, so they are emptied last */
    tls_heap = NULL;
    pthread_setspecific(exit_key, NULL);
    heap_push_pending(h);
}

/* ---- slow paths ---- */

size_t heap_trim_pools(heap_t* h, unsigned keep_empty, uint64_t* pools_unmapped) {
    size_t unmapped = 0;
    chunk_t* next;
    for (chunk_t* c = h->pools; c; c = next) {
        next = c->next;
        uintptr_t base = chunk_base(c);
        if (pool_header(base)->used_bytes != 0) continue;
        if (keep_empty) {
            keep_empty--;
            continue;
        }
        if (!chunk_retire(c)) continue; /* script may view it: it stays, its pages go in gc */
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

void heap_free_owned_pool_block(heap_t* h, uintptr_t blk, unsigned order) {
    count_free(h, order);
    if (order <= SLAB_MAX_ORDER && h->slabs[order - SLAB_MIN_ORDER].cap) {
        state_store(blk, STATE(order, ST_CACHED));
        if (!slab_push(h, order, (void*)blk)) {
            slab_overflow(h, order); /* full: half goes back to the buddy lists */
            slab_push(h, order, (void*)blk);
        }
        return;
    }
    buddy_give(&h->buddy, blk, order);
}

static void* alloc_in(heap_t* h, size_t n) {
    void* p;
    if (n > ((size_t)1 << OFFHEAP_MAX_ORDER)) {
        p = huge_alloc(h, n);
    } else {
        unsigned o = order_of(n);
        heap_drain_inbox(h); /* keeps producer/consumer pairs bounded */
        if (o <= SLAB_MAX_ORDER) {
            if (!(p = slab_pop(h, o))) p = slab_refill(h, o);
        } else {
            p = heap_take_block(h, o, ST_LIVE);
        }
        if (p) count_alloc(h, o);
    }
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
    if (!h && !(h = heap_current_or_create())) {
        if (chunk_table_init() != 0) {
            errno = ENOMEM;
            return NULL;
        }
        return alloc_overflow(n);
    }
    return alloc_in(h, n);
}

void* offheap_alloc(size_t n) {
    heap_t* h = tls_heap;
    if (LIKELY(h != NULL) && LIKELY(n - 1 < ((size_t)1 << SLAB_MAX_ORDER))) {
        unsigned o = order_of(n);
        void* p = slab_pop(h, o);
        if (LIKELY(p != NULL)) {
            count_alloc(h, o);
            return p;
        }
    }
    return alloc_slow(h, n);
}

/* ---- finding a block ---- */

/* The state byte of the block that would start at a, or NULL when a cannot
 * start one of our blocks. Reads only memory that is ours. */
static inline __attribute__((always_inline)) _Atomic uint8_t* block_state(uintptr_t a, chunk_t** chunk) {
    if (a & (((uintptr_t)1 << OFFHEAP_MIN_ORDER) - 1)) return NULL;
    chunk_t* c = chunk_lookup(a);
    if (!c) return NULL;
    *chunk = c;
    uint8_t kind = atomic_load_explicit(&c->kind, ACQUIRE);
    if (LIKELY(kind == CHUNK_POOL)) return LIKELY((a & POOL_MASK) >= POOL_META_SIZE) ? pool_state(a) : NULL;
    if (kind == CHUNK_HUGE && (a & POOL_MASK) == 0) return &c->state;
    return NULL;
}

static size_t block_size(chunk_t* c, uint8_t s) {
    return atomic_load_explicit(&c->kind, RELAXED) == CHUNK_HUGE ? c->size : (size_t)1 << STATE_ORDER(s);
}

static int free_owned_huge(heap_t* h, chunk_t* c, uint8_t s) {
    uint8_t expect = s;
    if (!atomic_compare_exchange_strong_explicit(&c->state, &expect, STATE(0, ST_FREE), ACQ_REL, RELAXED))
        return OFFHEAP_EINVAL;
    huge_free_owned(h, c);
    return OFFHEAP_OK;
}

int offheap_free(void* p) {
    uintptr_t a = (uintptr_t)p;
    chunk_t* c;
    _Atomic uint8_t* st = block_state(a, &c);
    if (UNLIKELY(!st)) return a ? OFFHEAP_EINVAL : OFFHEAP_OK;
    uint8_t s = atomic_load_explicit(st, RELAXED);
    if (UNLIKELY(STATE_KIND(s) != ST_LIVE)) return OFFHEAP_EINVAL;
    heap_t* h = tls_heap;
    if (UNLIKELY(atomic_load_explicit(&c->owner, RELAXED) != h)) return remote_free(c, a, st, s);
    if (UNLIKELY(st == &c->state)) return free_owned_huge(h, c, s);

    unsigned o = STATE_ORDER(s);
    /* A plain store, no read-modify-write. Another thread may CAS this block
     * LIVE -> REMOTE between our load and this store (a double free racing
     * across threads): both calls then succeed, and the owner's drain finds
     * the state no longer REMOTE and skips it, so nothing is freed twice and
     * nothing is corrupted (remote.c). Every other double free is detected. */
    atomic_store_explicit(st, STATE(o, ST_CACHED), RELAXED);
    if (LIKELY(o <= SLAB_MAX_ORDER) && LIKELY(slab_push(h, o, p))) {
        count_free(h, o);
        return OFFHEAP_OK;
    }
    heap_free_owned_pool_block(h, a, o);
    return OFFHEAP_OK;
}

size_t offheap_usable_size(const void* p) {
    chunk_t* c;
    _Atomic uint8_t* st = block_state((uintptr_t)p, &c);
    if (!st) return 0;
    uint8_t s = atomic_load_explicit(st, RELAXED);
    if (STATE_KIND(s) != ST_LIVE && STATE_KIND(s) != ST_TRANSIT) return 0;
    return block_size(c, s);
}

static int transition(void* p, unsigned from, unsigned to) {
    chunk_t* c;
    _Atomic uint8_t* st = block_state((uintptr_t)p, &c);
    if (!st) return OFFHEAP_EINVAL;
    uint8_t s = atomic_load_explicit(st, RELAXED);
    if (STATE_KIND(s) != from) return OFFHEAP_EINVAL;
    uint8_t desired = (uint8_t)((s & 31u) | (to << 5));
    return atomic_compare_exchange_strong_explicit(st, &s, desired, ACQ_REL, RELAXED) ? OFFHEAP_OK
                                                                                      : OFFHEAP_EINVAL;
}

int offheap_handoff(void* p) { return transition(p, ST_LIVE, ST_TRANSIT); }
int offheap_adopt(void* p) { return transition(p, ST_TRANSIT, ST_LIVE); }

/* ---- realloc ---- */

static void* move_block(void* p, size_t old_size, size_t size) {
    void* q = offheap_alloc(size);
    if (!q) return NULL;
    memcpy(q, p, old_size < size ? old_size : size);
    offheap_free(p);
    return q;
}

void* offheap_realloc(void* p, size_t size) {
    if (!p) return offheap_alloc(size);
    if (size == 0 || size > OFFHEAP_MAX_ALLOC) {
        errno = EINVAL;
        return NULL;
    }
    chunk_t* c;
    _Atomic uint8_t* st = block_state((uintptr_t)p, &c);
    uint8_t s = st ? atomic_load_explicit(st, RELAXED) : 0;
    if (!st || STATE_KIND(s) != ST_LIVE) {
        errno = EINVAL;
        return NULL;
    }
    size_t old_size = block_size(c, s);
    heap_t* h = tls_heap;
    int pool_block = st != &c->state;
    if (!pool_block || !h || atomic_load_explicit(&c->owner, RELAXED) != h) {
        size_t page = os_page_size();
        if (!pool_block && size > ((size_t)1 << OFFHEAP_MAX_ORDER) && ((size + page - 1) & ~(page - 1)) == old_size)
            return p;
        return move_block(p, old_size, size);
    }
    if (size > ((size_t)1 << OFFHEAP_MAX_ORDER)) return move_block(p, old_size, size);
    unsigned o = STATE_ORDER(s), no = order_of(size);
    if (no == o) return p;
    if (no < o) {
        buddy_shrink_in_place(&h->buddy, (uintptr_t)p, o, no);
    } else if (!buddy_grow_in_place(&h->buddy, (uintptr_t)p, o, no)) {
        return move_block(p, old_size, size);
    }
    /* the block is live throughout: only its order and the counters change */
    state_store((uintptr_t)p, STATE(no, ST_LIVE));
    count_free(h, o);
    count_alloc(h, no);
    counter_sub(&h->ct.alloc_count, 1);
    counter_sub(&h->ct.free_count, 1);
    return p;
}

/* ---- gc on the calling thread ---- */

static void gc_heap(heap_t* h, offheap_gc_report_t* r) {
    r->remote_drained += heap_drain_inbox(h);
    r->heaps_adopted += heap_adopt_pending(h, UINT64_MAX);
    r->slab_blocks_flushed += slab_flush(h);
    huge_trim_cache(h, 0, r);
    r->bytes_unmapped += heap_trim_pools(h, 1, &r->pools_unmapped);
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
