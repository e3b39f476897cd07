/* slab.c -- per-thread caches of small blocks (64 B .. 64 KiB): a hit is a
 * pop, a free to a non-full cache is a push; misses refill and overflows
 * drain in batches so the buddy lists are touched once per batch. */
#include "config.h"
#include "heap.h"

static uint32_t max_items(unsigned order) {
    size_t n = (size_t)OFFHEAP_SLAB_BUDGET_MAX >> order;
    return n < SLAB_MAX_ITEMS ? (uint32_t)n : SLAB_MAX_ITEMS;
}

void slab_setup(heap_t* h) {
    size_t budget = config_slab_budget();
    void** storage = h->slab_storage;
    for (unsigned o = SLAB_MIN_ORDER; o <= SLAB_MAX_ORDER; o++) {
        slab_t* s = &h->slabs[o - SLAB_MIN_ORDER];
        uint32_t cap = (uint32_t)(budget >> o);
        s->cap = cap < max_items(o) ? cap : max_items(o);
        s->items = storage;
        storage += max_items(o);
        atomic_store_explicit(&s->count, 0, RELAXED);
    }
    h->slab_budget = (uint32_t)budget;
}

void* slab_refill(heap_t* h, unsigned order) {
    slab_t* s = &h->slabs[order - SLAB_MIN_ORDER];
    void* blk = heap_take_block(h, order, ST_LIVE);
    if (!blk) return NULL;
    uint32_t n = atomic_load_explicit(&s->count, RELAXED), target = s->cap / 2;
    while (n < target) { /* top up from blocks already on the lists: no new pool */
        void* extra = buddy_take(&h->buddy, order, ST_CACHED);
        if (!extra) break;
        s->items[n++] = extra;
    }
    atomic_store_explicit(&s->count, n, RELAXED);
    return blk;
}

void slab_overflow(heap_t* h, unsigned order) {
    slab_t* s = &h->slabs[order - SLAB_MIN_ORDER];
    uint32_t n = atomic_load_explicit(&s->count, RELAXED), keep = s->cap / 2;
    while (n > keep) buddy_give(&h->buddy, (uintptr_t)s->items[--n], order);
    atomic_store_explicit(&s->count, n, RELAXED);
}

uint64_t slab_flush(heap_t* h) {
    uint64_t flushed = 0;
    for (unsigned o = SLAB_MIN_ORDER; o <= SLAB_MAX_ORDER; o++) {
        slab_t* s = &h->slabs[o - SLAB_MIN_ORDER];
        uint32_t n = atomic_load_explicit(&s->count, RELAXED);
        flushed += n;
        while (n) buddy_give(&h->buddy, (uintptr_t)s->items[--n], o);
        atomic_store_explicit(&s->count, 0, RELAXED);
    }
    /* pick up a budget changed by offheap_configure (cache is empty now) */
    if (config_slab_budget() != h->slab_budget) slab_setup(h);
    return flushed;
}
