/* run.c -- runs: a buddy block of 4..256 KiB cut into equal slots of one size
 * class (sizeclass.h): the classes between two powers of two, and the powers
 * of two up to 4 KiB.
 *
 * Every slot start has its own state byte (the run's order + RUN_CODE_BIAS,
 * and LIVE/CACHED/REMOTE/TRANSIT like any block), so free, validation and
 * cross-thread frees work on slots exactly as on buddy blocks. Which slots
 * are free is a bit mask in the run's descriptor, in the pool's metadata
 * region: no link ever lives inside a slot. A run with free slots is on its
 * owner's list for its bin; a run whose slots are all free goes back to the
 * buddy lists at once (the bin's cache in front of it absorbs churn).
 * Owner thread only.
 */
#include "heap.h"

#include <string.h>

static uint64_t all_slots(unsigned n) { return n >= 64 ? ~0ull : (1ull << n) - 1; }

static uintptr_t run_base(const run_t* r) {
    uintptr_t pool = (uintptr_t)r & ~POOL_MASK;
    return pool + ((uintptr_t)(r - (const run_t*)(pool + POOL_RUN_DESC_OFF)) << 12);
}

static void list_push(heap_t* h, run_t* r) {
    run_t** head = &h->runs[r->bin];
    r->prev = NULL;
    r->next = *head;
    if (*head) (*head)->prev = r;
    *head = r;
    r->listed = 1;
}

static void list_remove(heap_t* h, run_t* r) {
    if (r->prev) r->prev->next = r->next;
    else h->runs[r->bin] = r->next;
    if (r->next) r->next->prev = r->prev;
    r->next = r->prev = NULL;
    r->listed = 0;
}

int run_add(heap_t* h, unsigned bin) {
    const bin_info_t* b = &bin_table[bin];
    uintptr_t base = (uintptr_t)heap_take_block(h, b->run_order, ST_CACHED);
    if (!base) return 0;
    uint8_t free_slot = STATE(b->live_low, ST_CACHED);
    for (unsigned i = 0; i < b->run_slots; i++) state_store(base + (uintptr_t)i * b->size, free_slot);
    run_t* r = run_at(base);
    r->free_mask = all_slots(b->run_slots);
    r->size = b->size;
    r->bin = (uint8_t)bin;
    r->slots = b->run_slots;
    memset(pool_page_bin(base), (int)bin, (size_t)1 << (b->run_order - 12));
    list_push(h, r);
    return 1;
}

uint32_t run_take(heap_t* h, unsigned bin, void** out, uint32_t want) {
    uint32_t n = 0;
    for (run_t* r; n < want && (r = h->runs[bin]);) {
        uintptr_t base = run_base(r);
        for (; n < want && r->free_mask; r->free_mask &= r->free_mask - 1)
            out[n++] = (void*)(base + (uintptr_t)__builtin_ctzll(r->free_mask) * r->size);
        if (!r->free_mask) list_remove(h, r);
    }
    return n;
}

/* An empty run back to the buddy lists: a plain block again. */
static void release(heap_t* h, run_t* r) {
    uintptr_t base = run_base(r);
    if (r->listed) list_remove(h, r);
    unsigned order = bin_table[r->bin].run_order;
    for (unsigned i = 1; i < r->slots; i++) state_store(base + (uintptr_t)i * r->size, ST_NONE);
    state_store(base, STATE(order, ST_CACHED));
    buddy_give(&h->buddy, base, order);
}

void run_give(heap_t* h, uintptr_t slot) {
    run_t* r = run_of_slot(slot, state_load(slot));
    r->free_mask |= 1ull << ((slot - run_base(r)) / r->size);
    if (r->free_mask == all_slots(r->slots)) release(h, r);
    else if (!r->listed) list_push(h, r);
}

void run_release_empty(heap_t* h) {
    for (unsigned i = 0; i < BIN_TRIM_FIRST; i++) {
        run_t* next;
        for (run_t* r = h->runs[i]; r; r = next) {
            next = r->next;
            if (r->free_mask == all_slots(r->slots)) release(h, r);
        }
    }
}

void run_splice(heap_t* a, heap_t* p) {
    for (unsigned i = 0; i < BIN_TRIM_FIRST; i++) {
        while (p->runs[i]) {
            run_t* r = p->runs[i];
            list_remove(p, r);
            list_push(a, r);
        }
    }
}
