/* introspect.h -- test-only views into the core's internals: walks a heap's
 * pools and free lists to check the buddy invariants. */
#ifndef OFFHEAP_INTROSPECT_H
#define OFFHEAP_INTROSPECT_H

#include "../src/heap.h"
#include "../src/pool.h"

/* 1 if every pool of the calling thread's heap is one fully coalesced free
 * region again (only the six blocks of orders 19..24) and the free lists
 * hold nothing else. */
static inline int heap_fully_coalesced(void) {
    heap_t* h = tls_heap;
    if (!h) return 1;
    size_t pools = 0, listed = 0;
    for (chunk_t* c = h->pools; c; c = c->next) {
        uintptr_t base = chunk_base(c);
        pools++;
        if (pool_header(base)->used_bytes != 0) return 0;
        for (unsigned o = POOL_META_ORDER; o < OFFHEAP_POOL_ORDER; o++) {
            uint8_t s = state_load(base + ((uintptr_t)1 << o));
            if (!STATE_IS_FREE(s) || STATE_ORDER(s) != o) return 0;
        }
    }
    for (unsigned o = OFFHEAP_MIN_ORDER; o <= OFFHEAP_MAX_ORDER; o++)
        for (free_node_t* n = h->buddy.lists[o].next; n != &h->buddy.lists[o]; n = n->next) {
            if (o < POOL_META_ORDER) return 0;
            listed++;
        }
    return listed == pools * (OFFHEAP_POOL_ORDER - POOL_META_ORDER);
}

#endif
