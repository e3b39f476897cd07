/* remote.c -- frees from other threads, and heaps of exited threads.
 *
 * Cross-thread free protocol
 *  1. The freeing thread wins the block with a CAS on its state byte
 *     (LIVE -> REMOTE). A second free, concurrent or later, fails the CAS:
 *     double frees are detected across threads.
 *  2. It pushes the block on its owner's inbox, a lock-free MPSC stack whose
 *     links live in the freed blocks (CAS push; the owner takes everything
 *     with one exchange). The owner is read from the chunk (acquire).
 *  3. Heap structs are never freed (heap.h), so a stale owner pointer is
 *     always safe to use. If the owner has been adopted, its inbox is CLOSED:
 *     the adopter rewrote chunk->owner *before* closing it (release), so
 *     after seeing CLOSED (acquire) a re-read yields the new owner. If the
 *     heap struct has since been reused by a new thread, the push lands in
 *     its reopened inbox and draining forwards the block to the chunk's
 *     current owner. A free racing with its owner's exit is never lost.
 *
 * Pending merges
 *  A detaching thread flushes its caches and pushes its heap on a global
 *  lock-free LIFO (CAS push; consumers take the whole list with one exchange
 *  and push back what they leave, so there is no ABA-prone pop). A heap that
 *  runs out of free blocks adopts one pending heap (so each new thread
 *  inherits a dead one's partly used pools instead of mapping fresh ones);
 *  gc adopts them all. Adoption: chunks change owner, free lists are
 *  spliced, counters added, the inbox is closed and drained, and the id is
 *  released for reuse.
 */
#include "heap.h"
#include "pool.h"

#include <sched.h>

static heap_t* _Atomic pending_head;
static _Atomic int adopters; /* threads between taking the list and putting the rest back */

static int inbox_push(heap_t* owner, uintptr_t blk) {
    uintptr_t head = atomic_load_explicit(&owner->inbox, ACQUIRE);
    do {
        if (head == INBOX_CLOSED) return 0;
        *(uintptr_t*)blk = head;
    } while (!atomic_compare_exchange_weak_explicit(&owner->inbox, &head, blk, RELEASE, ACQUIRE));
    return 1;
}

static void push_to_owner(chunk_t* c, uintptr_t blk) {
    for (;;) {
        heap_t* owner = atomic_load_explicit(&c->owner, ACQUIRE);
        atomic_fetch_add_explicit(&owner->remote_pending, 1, RELAXED);
        if (inbox_push(owner, blk)) return;
        atomic_fetch_sub_explicit(&owner->remote_pending, 1, RELAXED);
    }
}

int remote_free(chunk_t* c, uintptr_t blk, _Atomic uint8_t* state, uint8_t live_state) {
    uint8_t expect = live_state;
    uint8_t remote = (uint8_t)((live_state & 31u) | (ST_REMOTE << 5));
    if (!atomic_compare_exchange_strong_explicit(state, &expect, remote, ACQ_REL, RELAXED))
        return OFFHEAP_EINVAL;
    push_to_owner(c, blk);
    return OFFHEAP_OK;
}

/* Applies one queued free in heap h; `queued_on` is the heap whose inbox
 * held it (its pending count drops). */
static void apply_remote(heap_t* h, uintptr_t blk, heap_t* queued_on) {
    chunk_t* c = chunk_find(blk); /* a REMOTE block keeps its chunk mapped */
    if (atomic_load_explicit(&c->owner, ACQUIRE) != h) {
        push_to_owner(c, blk); /* meant for someone else: forward */
    } else {
        counter_add(&h->ct.remote_frees, 1);
        if (atomic_load_explicit(&c->kind, RELAXED) == CHUNK_HUGE) huge_free_owned(h, c);
        else heap_free_owned_pool_block(h, blk, STATE_ORDER(state_load(blk)));
    }
    atomic_fetch_sub_explicit(&queued_on->remote_pending, 1, RELAXED);
}

static uint64_t apply_list(heap_t* h, uintptr_t list, heap_t* queued_on) {
    uint64_t n = 0;
    while (list && list != INBOX_CLOSED) {
        uintptr_t next = *(uintptr_t*)list; /* read before the block is reused */
        apply_remote(h, list, queued_on);
        list = next;
        n++;
    }
    return n;
}

uint64_t heap_drain_inbox(heap_t* h) {
    if (!atomic_load_explicit(&h->inbox, RELAXED)) return 0;
    return apply_list(h, atomic_exchange_explicit(&h->inbox, 0, ACQUIRE), h);
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

static void adopt(heap_t* a, heap_t* p) {
    /* 1. new owner on every chunk, before the inbox closes (see top) */
    reown(a, &p->pools, &a->pools);
    reown(a, &p->huge_live, &a->huge_live);
    reown(a, &p->huge_cache, &a->huge_cache);
    a->huge_cache_bytes += p->huge_cache_bytes;
    p->huge_cache_bytes = 0;
    /* 2. free blocks (its slab caches were flushed when it detached) */
    buddy_splice(&a->buddy, &p->buddy);
    move_counters(a, p);
    /* 3. close the inbox and apply what was queued */
    apply_list(a, atomic_exchange_explicit(&p->inbox, INBOX_CLOSED, ACQ_REL), p);
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
 * its own, so the backlog is paid down one extra heap at a time. */
#define PENDING_SLACK 4
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
    if (n) heap_trim_pools(h, 1, NULL); /* exited threads' empty pools beyond one go */
    return n;
}
