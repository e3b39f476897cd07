/* heapid.c -- lock-free heap ids and the table of heap structs.
 *
 * An id is a bit in a bitmap, taken with CAS and given back when the heap is
 * adopted, so ids are reused under unlimited thread churn. heap_table[id]
 * keeps the struct for that id forever (it is recycled, never freed), which
 * is what makes stale heap pointers safe to dereference (see heap.h). Slot
 * OFFHEAP_MAX_HEAPS is the shared overflow heap (heap.c).
 */
#define _GNU_SOURCE
#include "heap.h"

#include <string.h>
#include <sys/mman.h>

#define ID_WORDS (OFFHEAP_MAX_HEAPS / 64)
_Static_assert(OFFHEAP_MAX_HEAPS % 64 == 0, "OFFHEAP_MAX_HEAPS must be a multiple of 64");

static _Atomic uint64_t id_bits[ID_WORDS];
static heap_t* _Atomic heap_table[OFFHEAP_MAX_HEAPS + 1];
static _Atomic uint32_t id_limit;

static int take_id(void) {
    for (unsigned w = 0; w < ID_WORDS; w++) {
        uint64_t word = atomic_load_explicit(&id_bits[w], RELAXED);
        while (~word) {
            uint64_t bit = 1ull << __builtin_ctzll(~word);
            if (atomic_compare_exchange_weak_explicit(&id_bits[w], &word, word | bit, ACQ_REL, RELAXED))
                return (int)(w * 64 + (unsigned)__builtin_ctzll(bit));
        }
    }
    return -1;
}

static heap_t* struct_for(uint32_t id) {
    heap_t* h = atomic_load_explicit(&heap_table[id], ACQUIRE);
    if (h) return h;
    /* only the holder of the id can get here, so no race to create */
    void* m = mmap(NULL, sizeof(heap_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL;
    h = m;
    h->id = id;
    atomic_store_explicit(&h->inbox, NULL, RELAXED);
    atomic_store_explicit(&heap_table[id], h, RELEASE);
    return h;
}

static void reset(heap_t* h) {
    /* counters were moved out at adoption */
    memset(&h->ct, 0, sizeof h->ct);
    buddy_init(&h->buddy, h, &h->pools);
    memset(h->runs, 0, sizeof h->runs); /* adoption moved them */
    slab_setup(h);
    h->pools = h->huge_live = h->huge_cache = NULL;
    h->huge_cache_bytes = 0;
    h->pending_next = NULL;
    h->purge_due_ms = 0; /* a new life: its first purge comes a full interval after its first slow path */
    h->purge_epoch = 0;
    /* Reopen the inbox. A straggler may push a chunk it meant for the
     * previous life of this heap; draining forwards it to the real owner. */
    atomic_store_explicit(&h->inbox, NULL, RELEASE);
    atomic_store_explicit(&h->status, HEAP_LIVE, RELEASE);
}

heap_t* heap_claim(void) {
    int id = take_id();
    if (id < 0) return NULL;
    heap_t* h = struct_for((uint32_t)id);
    if (!h) {
        atomic_fetch_and_explicit(&id_bits[id / 64], ~(1ull << (id % 64)), RELEASE);
        return NULL;
    }
    uint32_t lim = atomic_load_explicit(&id_limit, RELAXED);
    while ((uint32_t)id >= lim &&
           !atomic_compare_exchange_weak_explicit(&id_limit, &lim, (uint32_t)id + 1, RELAXED, RELAXED)) {}
    reset(h);
    return h;
}

heap_t* heap_claim_overflow(void) {
    heap_t* h = struct_for(OFFHEAP_MAX_HEAPS);
    if (h) reset(h);
    return h;
}

void heap_unclaim(heap_t* h) {
    atomic_store_explicit(&h->status, HEAP_UNUSED, RELEASE);
    if (h->id < OFFHEAP_MAX_HEAPS)
        atomic_fetch_and_explicit(&id_bits[h->id / 64], ~(1ull << (h->id % 64)), RELEASE);
}

heap_t* heap_at(uint32_t id) {
    return id <= OFFHEAP_MAX_HEAPS ? atomic_load_explicit(&heap_table[id], ACQUIRE) : NULL;
}

uint32_t heap_id_limit(void) { return atomic_load_explicit(&id_limit, RELAXED); }
