/* trimmed.c -- blocks of a size class between two powers of two, 20 KiB and
 * up (sizeclass.h): the next power of two, split, with the tail beyond the
 * class size given back to the buddy lists at once.
 *
 * The block is a run of power-of-two pieces, largest first, each aligned to
 * its size: its first piece's state byte is the block's (LIVE, CACHED, ...),
 * the following pieces' bytes are ST_PIECE, which is never a block start, so
 * a pointer to a later piece is refused like any interior pointer. On free
 * each piece goes back to the buddy lists and merges as usual. Sizes are
 * multiples of 4 KiB, so a tail never shares a page with the block: a tail
 * nobody uses is never touched and costs no memory. Owner thread only.
 */
#include "heap.h"

static void give_piece(heap_t* h, uintptr_t piece, unsigned order) {
    state_store(piece, STATE(order, ST_CACHED)); /* not free: buddy_give merges it */
    buddy_give(&h->buddy, piece, order);
}

/* A tail cut off a block being taken: its buddy is part of that block, so
 * there is nothing to merge with. */
static void give_tail(heap_t* h, uintptr_t tail, unsigned order) { buddy_put(&h->buddy, tail, order); }

void* trimmed_take(heap_t* h, size_t size, unsigned st) {
    unsigned o = order_of(size);
    uintptr_t blk = (uintptr_t)heap_take_block(h, o, st);
    if (!blk) return NULL;
    uintptr_t at = blk; /* [at, at + 2^o) is the part not yet decided */
    int first = 1;
    for (size_t keep = size; keep;) {
        size_t half = (size_t)1 << --o;
        if (keep >= half) { /* the lower half is a piece of the block */
            state_store(at, STATE(o, first ? st : ST_PIECE));
            first = 0;
            at += half;
            keep -= half;
            if (!keep) give_tail(h, at, o);
        } else { /* the upper half is tail */
            give_tail(h, at + half, o);
        }
    }
    return (void*)blk;
}

size_t trimmed_size(uintptr_t blk, unsigned order) {
    uintptr_t end = pool_base_of(blk) + OFFHEAP_POOL_SIZE, at = blk + ((uintptr_t)1 << order);
    size_t size = (size_t)1 << order;
    while (at < end) {
        uint8_t s = state_load(at);
        if (STATE_KIND(s) != ST_PIECE) break;
        size += (size_t)1 << STATE_ORDER(s);
        at += (uintptr_t)1 << STATE_ORDER(s);
    }
    return size;
}

void trimmed_give(heap_t* h, uintptr_t blk, unsigned order) {
    uintptr_t end = pool_base_of(blk) + OFFHEAP_POOL_SIZE;
    for (;;) {
        uintptr_t next = blk + ((uintptr_t)1 << order);
        uint8_t s = next < end ? state_load(next) : 0; /* read before this piece merges */
        give_piece(h, blk, order);
        if (STATE_KIND(s) != ST_PIECE) return;
        blk = next;
        order = STATE_ORDER(s);
    }
}
