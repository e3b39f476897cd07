/* remote.c -- frees from other threads, and heaps of exited threads.
 *
 * Cross-thread free protocol (no link is ever stored in user memory). Every
 * step runs under the freeing thread's guard on the chunk (chunkmap.h), so
 * the owner cannot unmap the pool, or re-register its entry, until the last
 * step is done; and not after it either while the chunk is on an inbox.
 *  1. The freeing thread wins the block with a CAS on its state byte
 *     (LIVE -> REMOTE). A second free, concurrent or later, fails the CAS:
 *     double frees are detected across threads.
 *  2. It marks the block's line of state bytes dirty in the pool header
 *     (a bit per line, a bit per word of lines).
 *  3. It adds one to the chunk's remote_count; the thread that raises it
 *     from 0 pushes the chunk on its owner's inbox, a lock-free MPSC stack of
 *     chunks linked through their chunk-map entries (CAS push; the owner
 *     takes everything with one exchange). Huge blocks skip step 2.
 *  4. It drops the guard. Until the owner claims the count, the chunk is on
 *     an inbox and the owner does not unmap it (chunk_retire_unqueued).
 *  5. The owner claims the count (exchange to 0), then scans the dirty lines
 *     and frees every block still in state REMOTE. A free that lands after
 *     the claim raises the count from 0 and queues the chunk again, so none
 *     is missed. A block whose state is no longer REMOTE was freed by its
 *     owner at the same moment (the owner's plain store, heap.c): it is
 *     skipped, never freed twice. The owner subtracts what it claimed, not
 *     what it found, so the pending count balances even then.
 *  6. Heap structs are never freed (heap.h), so a stale owner pointer is
 *     always safe to use. If the owner has been adopted, its inbox is CLOSED:
 *     the adopter rewrote chunk->owner *before* closing it (release), so
 *     after seeing CLOSED (acquire) a re-read yields the new owner. If the
 *     heap struct has since been reused by a new thread, the chunk lands in
 *     its reopened inbox and draining forwards it to the chunk's current
 *     owner (the count stays up, so the chunk stays mapped). A free racing
 *     with its owner's exit is never lost.
 *
 * Pending merges
 *  A detaching thread drains and flushes its caches and pushes its heap on a
 *  global lock-free LIFO (CAS push; consumers take the whole list with one
 *  exchange and push back what they leave, so there is no ABA-prone pop). A
 *  heap that runs out of free blocks adopts one pending heap, oldest first
 *  (so each new thread inherits a dead one's partly used pools instead of
 *  mapping fresh ones); gc adopts them all. Adoption: chunks change owner,
 *  free lists are spliced, counters added, the inbox is closed and drained,
 *  and the id is released for reuse.
 */
#include "heap.h"
#include "config.h"
#include "pool.h"
#include "yieldpoint.h"

#include <sched.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static heap_t* _Atomic pending_head;

/* Remote frees announced and not yet claimed, for the process-wide stats:
 * a freeing thread counts its announcements in its own heap's counters and
 * an owner its claims in its own (plain stores, no shared line); only a
 * thread without a heap counts here. The total is their difference. */
static _Atomic int64_t unowned_announced;

int64_t remote_pending_unowned(void) { return atomic_load_explicit(&unowned_announced, RELAXED); }

static uint64_t pending_in(const chunk_t* list) {
    uint64_t n = 0;
    for (; list; list = list->next) n += atomic_load_explicit(&list->remote_count, RELAXED);
    return n;
}

uint64_t remote_pending_of(heap_t* h) { return pending_in(h->pools) + pending_in(h->huge_live); }
static _Atomic int adopters; /* threads between taking the list and putting the rest back */

static int inbox_push(heap_t* owner, chunk_t* c) {
    chunk_t* head = atomic_load_explicit(&owner->inbox, ACQUIRE);
    do {
        if (head == INBOX_CLOSED) return 0;
        atomic_store_explicit(&c->inbox_next, head, RELAXED);
    } while (!atomic_compare_exchange_weak_explicit(&owner->inbox, &head, c, RELEASE, ACQUIRE));
    return 1;
}

static void push_to_owner(chunk_t* c) {
    while (!inbox_push(atomic_load_explicit(&c->owner, ACQUIRE), c)) {}
}

/* Step 3: count the free on the chunk; the first since the last claim queues it. */
static void announce(chunk_t* c) {
    heap_t* me = tls_heap;
    if (me) counter_add(&me->ct.remote_announced, 1);
    else atomic_fetch_add_explicit(&unowned_announced, 1, RELAXED);
    if (atomic_fetch_add_explicit(&c->remote_count, 1, ACQ_REL) == 0) {
        YIELD(REMOTE_BEFORE_PUSH);
        push_to_owner(c);
    }
}

/* Step 2. The word's bit in remote_top is set only by the free that makes
 * the word non-zero: every freeing thread of a pool shares those two words,
 * so one contended read-modify-write per free is saved. A later free into the
 * same word needs no top bit of its own: the word stays non-zero until a
 * drain exchanges it, and a drain exchanges a word only after taking its top
 * bit (apply_pool). If that drain ran between the first free's two steps, it
 * missed the word, but the first free has not announced yet: its
 * announcement queues the chunk again, with the top bit set by then. */
static void mark_dirty(uintptr_t blk) {
    uintptr_t base = pool_base_of(blk);
    pool_header_t* ph = pool_header(base);
    size_t line = (blk - base) >> (GRANULE_SHIFT + 6);
    if (!atomic_fetch_or_explicit(&ph->remote_lines[line / 64], 1ull << (line % 64), RELEASE)) {
        YIELD(REMOTE_BEFORE_TOP);
        atomic_fetch_or_explicit(&ph->remote_top[line / 4096], 1ull << (line / 64 % 64), RELEASE);
    }
}

int remote_free(chunk_t* c, uintptr_t blk, _Atomic uint8_t* state) {
    YIELD(REMOTE_AFTER_GUARD);
    uint8_t s = atomic_load_explicit(state, RELAXED);
    if (STATE_KIND(s) != ST_LIVE ||
        !atomic_compare_exchange_strong_explicit(state, &s, (uint8_t)((s & 31u) | (ST_REMOTE << 5)), ACQ_REL, RELAXED))
        return OFFHEAP_EINVAL;
    YIELD(REMOTE_AFTER_CAS);
    if (state != &c->state) mark_dirty(blk);
    YIELD(REMOTE_AFTER_DIRTY);
    announce(c);
    YIELD(REMOTE_BEFORE_UNGUARD);
    return OFFHEAP_OK;
}

/* Bit 8k+5 set for each byte k of w (8 state bytes) whose kind is REMOTE:
 * eight bytes tested at once, without a branch per byte. */
static inline uint64_t remote_bytes(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t y = (w & (0xE0 * ones)) ^ ((uint64_t)(ST_REMOTE << 5) * ones); /* 0 where the kind matches */
    return ~(y | y >> 1 | y >> 2) & (0x20 * ones);
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OFFHEAP_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define OFFHEAP_TSAN 1
#endif

/* Bit g set for each state byte g of a line (64 bytes, aligned to 64) whose
 * kind is REMOTE: the candidates. A relaxed look, racing with freeing
 * threads' CASes; each candidate is re-read with acquire before use. With
 * SSE2, four 16-byte compares (a dirty line usually holds one or two REMOTE
 * blocks, so testing it 8 bytes at a time was most of a drain's work). TSan
 * sees only atomic loads, so its builds take the 8-byte path, which finds
 * the same candidates. */
static inline uint64_t remote_candidates(_Atomic uint8_t* states) {
    uint64_t m = 0;
#if defined(__SSE2__) && !defined(OFFHEAP_TSAN)
    const __m128i kind = _mm_set1_epi8((char)0xE0), remote = _mm_set1_epi8((char)(ST_REMOTE << 5));
    for (unsigned i = 0; i < 4; i++) {
        __m128i v = _mm_load_si128((const __m128i*)(const void*)(states + 16 * i));
        unsigned bits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, kind), remote));
        m |= (uint64_t)bits << (16 * i);
    }
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (unsigned w = 0; w < 8; w++)
        for (uint64_t b = remote_bytes(atomic_load_explicit((_Atomic uint64_t*)(void*)(states + 8 * w), RELAXED)); b;
             b &= b - 1)
            m |= 1ull << (8 * w + ((unsigned)__builtin_ctzll(b) >> 3));
#else
    (void)states;
    m = ~0ull; /* every byte a candidate */
#endif
    return m;
}

/* Frees, in heap h, the REMOTE blocks of one line of state bytes. */
static uint64_t apply_line(heap_t* h, uintptr_t base, size_t line) {
    uint64_t n = 0;
    uintptr_t first = base + (line << (GRANULE_SHIFT + 6));
    _Atomic uint8_t* states = pool_state(first);
    for (uint64_t m = remote_candidates(states); m; m &= m - 1) {
        unsigned g = (unsigned)__builtin_ctzll(m);
        /* acquire pairs with the freeing thread's CAS: its last use of the
         * block happens before we reuse it, even if its dirty bit comes later */
        uint8_t s = atomic_load_explicit(&states[g], ACQUIRE);
        if (STATE_KIND(s) != ST_REMOTE) continue;
        uintptr_t blk = first + ((uintptr_t)g << GRANULE_SHIFT);
        if (!free_to_cache(h, blk, s)) heap_free_owned_pool_block(h, blk, s);
        n++;
    }
    return n;
}

static uint64_t apply_pool(heap_t* h, uintptr_t base) {
    pool_header_t* ph = pool_header(base);
    uint64_t n = 0;
    for (size_t t = 0; t < sizeof ph->remote_top / sizeof ph->remote_top[0]; t++) {
        uint64_t words = atomic_exchange_explicit(&ph->remote_top[t], 0, ACQUIRE);
        for (; words; words &= words - 1) {
            size_t w = t * 64 + (size_t)__builtin_ctzll(words);
            uint64_t lines = atomic_exchange_explicit(&ph->remote_lines[w], 0, ACQUIRE);
            for (; lines; lines &= lines - 1) n += apply_line(h, base, w * 64 + (size_t)__builtin_ctzll(lines));
        }
    }
    return n;
}

/* Applies the remote frees of chunk c in heap h, or forwards c to its owner. */
static uint64_t apply_chunk(heap_t* h, chunk_t* c) {
    if (atomic_load_explicit(&c->owner, ACQUIRE) != h) {
        push_to_owner(c); /* meant for someone else (its count stays up) */
        return 0;
    }
    /* claim before scanning: see step 5 */
    int64_t claimed = atomic_exchange_explicit(&c->remote_count, 0, ACQ_REL);
    counter_add(&h->ct.remote_claimed, (uint64_t)claimed);
    YIELD(DRAIN_AFTER_CLAIM);
    uint64_t n;
    if (atomic_load_explicit(&c->kind, RELAXED) == CHUNK_HUGE) {
        n = STATE_KIND(atomic_load_explicit(&c->state, ACQUIRE)) == ST_REMOTE;
        if (n) huge_free_owned(h, c);
    } else {
        n = apply_pool(h, chunk_base(c));
    }
    counter_add(&h->ct.remote_frees, n);
    return n;
}

static uint64_t apply_list(heap_t* h, chunk_t* list) {
    uint64_t n = 0;
    while (list && list != INBOX_CLOSED) {
        chunk_t* next = atomic_load_explicit(&list->inbox_next, RELAXED);
        n += apply_chunk(h, list);
        list = next;
    }
    return n;
}

uint64_t heap_drain_inbox(heap_t* h) {
    if (!atomic_load_explicit(&h->inbox, RELAXED)) return 0;
    return apply_list(h, atomic_exchange_explicit(&h->inbox, NULL, ACQUIRE));
}

void heap_push_pending(heap_t* h) {
    atomic_store_explicit(&h->status, HEAP_PENDING, RELEASE);
    heap_t* head = atomic_load_explicit(&pending_head, RELAXED);
    do {
        h->pending_next = head;
    } while (!atomic_compare_exchange_weak_explicit(&pending_head, &head, h, RELEASE, RELAXED));
}

static void reown(heap_t* a, chunk_t** from, chunk_t** to) {
    while (*from) {
        chunk_t* c = *from;
        chunk_list_remove(from, c);
        atomic_store_explicit(&c->owner, a, RELEASE);
        chunk_list_push(to, c);
    }
}

static void move_counters(heap_t* a, heap_t* p) {
    _Atomic uint64_t* src = (_Atomic uint64_t*)&p->ct;
    _Atomic uint64_t* dst = (_Atomic uint64_t*)&a->ct;
    size_t n = sizeof(heap_counters_t) / sizeof(uint64_t);
    uint64_t peak = counter_get(&a->ct.bytes_peak), their_peak = counter_get(&p->ct.bytes_peak);
    for (size_t i = 0; i < n; i++) {
        counter_add(&dst[i], counter_get(&src[i]));
        atomic_store_explicit(&src[i], 0, RELAXED);
    }
    uint64_t live = counter_get(&a->ct.bytes_live);
    peak = peak > their_peak ? peak : their_peak;
    atomic_store_explicit(&a->ct.bytes_peak, peak > live ? peak : live, RELAXED);
}

/* p's cached blocks into a's caches, in their order, most recently freed
 * (warmest) on top (a new thread's caches are empty, so it allocates
 * without refilling from runs); the oldest that do not fit go back to a's
 * runs and buddy lists. After p's chunks and runs became a's. */
static void take_caches(heap_t* a, heap_t* p) {
    for (unsigned bin = 0; bin < BIN_COUNT; bin++) {
        slab_t* s = &p->slabs[bin];
        uint32_t n = atomic_load_explicit(&s->count, RELAXED), i = 0;
        uint32_t cap = a->slabs[bin].cap, has = atomic_load_explicit(&a->slabs[bin].count, RELAXED);
        uint32_t room = cap > has ? cap - has : 0;
        for (; n - i > room; i++) bin_give(a, bin, (uintptr_t)s->items[i]);
        for (; i < n; i++) slab_push(a, bin, s->items[i]);
        atomic_store_explicit(&s->count, 0, RELAXED);
    }
}

static void adopt(heap_t* a, heap_t* p) {
    /* 1. new owner on every chunk, before the inbox closes (see top) */
    reown(a, &p->pools, &a->pools);
    reown(a, &p->huge_live, &a->huge_live);
    reown(a, &p->huge_cache, &a->huge_cache);
    a->huge_cache_bytes += p->huge_cache_bytes;
    p->huge_cache_bytes = 0;
    /* 2. free blocks: lists, runs, then its slab caches */
    buddy_splice(&a->buddy, &p->buddy);
    run_splice(a, p);
    take_caches(a, p);
    move_counters(a, p);
    YIELD(ADOPT_BEFORE_CLOSE);
    /* 3. close the inbox and apply what was queued */
    apply_list(a, atomic_exchange_explicit(&p->inbox, INBOX_CLOSED, ACQ_REL));
    heap_unclaim(p);
}

static heap_t* reverse(heap_t* list) {
    heap_t* out = NULL;
    while (list) {
        heap_t* next = list->pending_next;
        list->pending_next = out;
        out = list;
        list = next;
    }
    return out;
}

/* Puts a chain of pending heaps back (CAS push of the whole chain). */
static void push_back(heap_t* first) {
    heap_t* last = first;
    while (last->pending_next) last = last->pending_next;
    heap_t* head = atomic_load_explicit(&pending_head, RELAXED);
    do {
        last->pending_next = head;
    } while (!atomic_compare_exchange_weak_explicit(&pending_head, &head, first, RELEASE, RELAXED));
}

/* More pending heaps than threads are likely to come for soon: a thread that
 * found the list momentarily empty (another was adopting) mapped a pool of
 * its own, so a backlog beyond PENDING_SLACK is paid down by the next
 * adoption. The slack must exceed the threads that exit and start together:
 * with 4, the first of 8 new threads took 4 heaps and the last 3 mapped fresh
 * pools (mstress, 8 threads per phase: 110-140k page faults against 45k with
 * 16). A pending heap holds little resident memory (its thread's exit gave
 * back what a purge would, purge.c). */
#define PENDING_SLACK 16
static int backlog(heap_t* list) {
    int n = 0;
    for (; list && n <= PENDING_SLACK; list = list->pending_next) n++;
    return n > PENDING_SLACK;
}

uint64_t heap_adopt_pending(heap_t* h, uint64_t max) {
    /* A heap with no pools yet would map a fresh one if it found the list
     * empty only because another thread holds it for a moment: wait briefly. */
    for (int spins = 0; h->pools == NULL && spins < 64 && !atomic_load_explicit(&pending_head, RELAXED) &&
                        atomic_load_explicit(&adopters, ACQUIRE);
         spins++)
        sched_yield();
    if (!max || !atomic_load_explicit(&pending_head, RELAXED)) return 0;
    atomic_fetch_add_explicit(&adopters, 1, ACQ_REL);
    /* oldest first, or heaps at the bottom of the LIFO would never be adopted */
    heap_t* list = reverse(atomic_exchange_explicit(&pending_head, NULL, ACQUIRE));
    heap_t *mine = NULL, **tail = &mine;
    uint64_t n = 0;
    while (list && (n < max || backlog(list))) { /* split off what this heap takes */
        *tail = list;
        tail = &list->pending_next;
        list = list->pending_next;
        n++;
    }
    *tail = NULL;
    /* the rest goes back at once: the next thread that needs memory finds it */
    if (list) push_back(reverse(list));
    atomic_fetch_sub_explicit(&adopters, 1, RELEASE);
    while (mine) {
        heap_t* next = mine->pending_next;
        adopt(h, mine);
        mine = next;
    }
    if (n) {
        heap_trim_pools(h, 1, 0, NULL);
        huge_trim_cache(h, config_huge_cache_bytes(), NULL); /* their caches, to budget */
    }
    return n;
}
