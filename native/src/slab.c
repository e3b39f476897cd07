/* slab.c -- per-thread caches of blocks of every bin (64 B .. 64 KiB,
 * sizeclass.h): a hit is a pop, a free to a non-full cache is a push; misses
 * refill and overflows drain in batches so runs and buddy lists are touched
 * once per batch. */
#include "config.h"
#include "heap.h"

void slab_setup(heap_t* h) {
    size_t budget = config_slab_budget();
    void** storage = h->slab_storage;
    for (unsigned bin = 0; bin < BIN_COUNT; bin++) {
        slab_t* s = &h->slabs[bin];
        uint32_t most = bin_table[bin].cache_max;
        if (storage + most > h->slab_storage + SLAB_STORAGE) most = 0; /* SLAB_STORAGE is exact: never */
        uint32_t cap = (uint32_t)(budget / bin_table[bin].size);
        s->cap = cap < most ? cap : most;
        s->size = bin_table[bin].size;
        s->live_state = STATE(bin_table[bin].live_low, ST_LIVE);
        s->items = storage;
        storage += most;
        atomic_store_explicit(&s->count, 0, RELAXED);
    }
    h->slab_budget = (uint32_t)budget;
}

void bin_give(heap_t* h, unsigned bin, uintptr_t blk) {
    const bin_info_t* b = &bin_table[bin];
    if (b->kind == BIN_RUN) run_give(h, blk);
    else if (b->kind == BIN_TRIM) trimmed_give(h, blk, b->live_low);
    else buddy_give(&h->buddy, blk, b->count_order);
}

/* A block of `bin` in state st from the runs or buddy lists, or NULL. */
static void* bin_take(heap_t* h, unsigned bin, unsigned st) {
    const bin_info_t* b = &bin_table[bin];
    if (b->kind == BIN_TRIM) return trimmed_take(h, b->size, st);
    return heap_take_block(h, b->count_order, st);
}

void* slab_refill(heap_t* h, unsigned bin) {
    slab_t* s = &h->slabs[bin];
    uint32_t target = s->cap / 2 + 1, n;
    void* blk;
    if (bin_table[bin].kind == BIN_RUN) {
        if (!h->runs[bin]) {
            if (!run_add(h, bin)) return NULL;
            if ((blk = slab_pop(h, bin))) return blk; /* its drain refilled the cache */
        }
        n = atomic_load_explicit(&s->count, RELAXED);
        n += run_take(h, bin, s->items + n, target > n ? target - n : 1) - 1;
        blk = s->items[n];
        state_store((uintptr_t)blk, STATE(bin_table[bin].live_low, ST_LIVE));
    } else {
        /* first: a drain inside may push to this very cache */
        if (!(blk = bin_take(h, bin, ST_LIVE))) return NULL;
        n = atomic_load_explicit(&s->count, RELAXED);
        if (bin_table[bin].kind == BIN_POW2) /* top up from blocks already on the lists: no new pool */
            for (unsigned o = bin_table[bin].count_order; n + 1 < target; n++) {
                void* extra = buddy_take(&h->buddy, o, ST_CACHED);
                if (!extra) break;
                s->items[n] = extra;
            }
    }
    atomic_store_explicit(&s->count, n, RELAXED);
    return blk;
}

void slab_overflow(heap_t* h, unsigned bin) {
    slab_t* s = &h->slabs[bin];
    uint32_t n = atomic_load_explicit(&s->count, RELAXED), keep = s->cap / 2;
    while (n > keep) bin_give(h, bin, (uintptr_t)s->items[--n]);
    atomic_store_explicit(&s->count, n, RELAXED);
}

uint64_t slab_flush(heap_t* h) {
    uint64_t flushed = 0;
    for (unsigned bin = 0; bin < BIN_COUNT; bin++) {
        slab_t* s = &h->slabs[bin];
        uint32_t n = atomic_load_explicit(&s->count, RELAXED);
        flushed += n;
        while (n) bin_give(h, bin, (uintptr_t)s->items[--n]);
        atomic_store_explicit(&s->count, 0, RELAXED);
    }
    run_release_empty(h);
    /* pick up a budget changed by offheap_configure (cache is empty now) */
    if (config_slab_budget() != h->slab_budget) slab_setup(h);
    return flushed;
}
