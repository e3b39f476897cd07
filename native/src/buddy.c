/* buddy.c -- split and coalesce. See buddy.h. */
#include "buddy.h"
#include "chunkmap.h"
#include "os.h"

#include <stdlib.h>

#define BLOCK(o) ((uintptr_t)1 << (o))

/* Where a free block's links live: inside blocks below 4 KiB; for 4 KiB and
 * up, in the descriptor of its first page in the pool's metadata region
 * (pool.h: the slot a run would use; a page starts a run or a free block,
 * never both). So a free large block touches none of its own pages: a tail
 * given back or a half split off costs no memory, and purging can release
 * every page of it. */
static inline free_node_t* node_of(uintptr_t blk, unsigned order) {
    return order >= BUDDY_OOB_ORDER ? (free_node_t*)run_at(blk) : (free_node_t*)blk;
}
static inline uintptr_t block_of(const free_node_t* n, unsigned order) {
    if (order < BUDDY_OOB_ORDER) return (uintptr_t)n;
    uintptr_t pool = (uintptr_t)n & ~POOL_MASK;
    return pool + ((uintptr_t)((const run_t*)n - (const run_t*)(pool + POOL_RUN_DESC_OFF)) << 12);
}

static inline void list_push(buddy_t* b, uintptr_t blk, unsigned order) {
    free_node_t* head = &b->lists[order];
    free_node_t* n = node_of(blk, order);
    n->prev = head;
    n->next = head->next;
    head->next->prev = n;
    head->next = n;
    b->avail |= 1ull << order;
}

static inline void list_unlink(buddy_t* b, uintptr_t blk, unsigned order) {
    free_node_t* n = node_of(blk, order);
    n->prev->next = n->next;
    n->next->prev = n->prev;
    if (b->lists[order].next == &b->lists[order]) b->avail &= ~(1ull << order);
}

/* A link read from a free block is trusted only if it is this order's
 * sentinel or the start of a free block of this order in one of our pools.
 * Links kept in the metadata region (4 KiB and up) are out of any view's
 * reach, written by this file only: trusted as they are. */
static int link_ok(const buddy_t* b, const free_node_t* n, unsigned order) {
    if (n == &b->lists[order] || order >= BUDDY_OOB_ORDER) return 1;
    uintptr_t a = (uintptr_t)n;
    if (a & (BLOCK(order) - 1)) return 0;
    chunk_t* c = chunk_lookup(a);
    if (!c || atomic_load_explicit(&c->kind, RELAXED) != CHUNK_POOL ||
        atomic_load_explicit(&c->owner, RELAXED) != b->owner || (a & POOL_MASK) < POOL_META_SIZE)
        return 0;
    uint8_t s = state_load(a);
    return STATE_IS_FREE(s) && STATE_ORDER(s) == order;
}

/* blk (known free by its state byte) can be unlinked safely. */
static int unlink_ok(const buddy_t* b, uintptr_t blk, unsigned order) {
    const free_node_t* n = node_of(blk, order);
    return link_ok(b, n->prev, order) && link_ok(b, n->next, order) && n->prev->next == n && n->next->prev == n;
}

/* Rebuilds every list from the state bytes, the source of truth. */
static void rebuild(buddy_t* b) {
    b->repairs++;
    b->avail = 0;
    for (unsigned o = 0; o <= OFFHEAP_MAX_ORDER; o++) b->lists[o].next = b->lists[o].prev = &b->lists[o];
    for (const chunk_t* c = *b->pools; c; c = c->next) {
        uintptr_t base = chunk_base(c);
        for (uintptr_t off = POOL_META_SIZE; off < OFFHEAP_POOL_SIZE;) {
            uint8_t s = state_load(base + off);
            if (STATE_IS_FREE(s)) list_push(b, base + off, STATE_ORDER(s));
            off += s ? BLOCK(STATE_SPAN_ORDER(s)) : BLOCK(GRANULE_SHIFT); /* a run: all its slots */
        }
    }
}

/* Makes sure blk can be unlinked, rebuilding the lists first if a stale
 * write broke its links. A second failure would be a bug in the core. */
static void ensure_unlinkable(buddy_t* b, uintptr_t blk, unsigned order) {
    if (LIKELY(unlink_ok(b, blk, order))) return;
    rebuild(b);
    if (!unlink_ok(b, blk, order)) abort();
}

void buddy_init(buddy_t* b, const void* owner, chunk_t* const* pools) {
    b->avail = 0;
    b->owner = owner;
    b->pools = pools;
    b->repairs = 0;
    for (unsigned o = 0; o <= OFFHEAP_MAX_ORDER; o++) b->lists[o].next = b->lists[o].prev = &b->lists[o];
}

/* A released (hole-punched) block needs its disk reserved again before use,
 * or a write could SIGBUS; 0, or -1 when the disk is full. (In a fork child
 * the pool may be anonymous now, forksafe.c: nothing to reserve.) */
static int make_usable(uintptr_t blk, unsigned order) {
    if (STATE_KIND(state_load(blk)) != ST_FREE_RELEASED) return 0;
    chunk_t* c = chunk_lookup(blk);
    if (c->swap_file >= 0 && os_reserve_file(c->swap_file, c->file_off + (blk - pool_base_of(blk)), BLOCK(order)) != 0)
        return -1;
    state_store(blk, STATE(order, ST_FREE));
    return 0;
}

/* A block of list `order` that can be used now: its head, or on a full disk
 * any block that needs no new disk; 0 when there is none. */
static uintptr_t pick(buddy_t* b, unsigned order) {
    free_node_t* head = &b->lists[order];
    if (make_usable(block_of(head->next, order), order) == 0) return block_of(head->next, order);
    for (free_node_t* n = head->next->next; n != head; n = n->next) {
        if (!link_ok(b, n, order)) return 0; /* overwritten: the caller rebuilds */
        if (make_usable(block_of(n, order), order) == 0) return block_of(n, order);
    }
    return 0;
}

void* buddy_take(buddy_t* b, unsigned order, unsigned st) {
    for (uint64_t fits = b->avail & (~0ull << order); fits; fits &= fits - 1) {
        unsigned o = (unsigned)__builtin_ctzll(fits);
        free_node_t* first = b->lists[o].next;
        if (UNLIKELY(first == &b->lists[o] || !link_ok(b, first, o))) {
            rebuild(b);
            return buddy_take(b, order, st);
        }
        uintptr_t blk = pick(b, o);
        if (UNLIKELY(!blk)) continue; /* disk full for this order: a larger one may do */
        ensure_unlinkable(b, blk, o);
        list_unlink(b, blk, o);
        while (o > order) { /* split: the upper half goes back */
            o--;
            state_store(blk + BLOCK(o), STATE(o, ST_FREE));
            list_push(b, blk + BLOCK(o), o);
        }
        state_store(blk, STATE(order, st));
        pool_header(pool_base_of(blk))->used_bytes += BLOCK(order);
        return (void*)blk;
    }
    return NULL;
}

void buddy_give(buddy_t* b, uintptr_t blk, unsigned order) {
    uintptr_t base = pool_base_of(blk);
    pool_header(base)->used_bytes -= BLOCK(order);
    /* pass 1: how far it merges, and that every buddy can be unlinked (their
     * orders differ, so unlinking one cannot disturb another's links) */
    unsigned top = order;
    for (uintptr_t off = blk - base; top < OFFHEAP_MAX_ORDER; top++, off &= ~BLOCK(top - 1)) {
        uintptr_t buddy_off = off ^ BLOCK(top);
        if (buddy_off < POOL_META_SIZE) break; /* the metadata region never merges */
        uint8_t s = state_load(base + buddy_off);
        if (!STATE_IS_FREE(s) || STATE_ORDER(s) != top) break;
        ensure_unlinkable(b, base + buddy_off, top);
    }
    /* pass 2: merge */
    uintptr_t off = blk - base;
    unsigned merged = ST_FREE;
    for (; order < top; order++) {
        uintptr_t buddy_off = off ^ BLOCK(order);
        if (STATE_KIND(state_load(base + buddy_off)) == ST_FREE_RELEASED) merged = ST_FREE_RELEASED; /* part lacks disk */
        list_unlink(b, base + buddy_off, order);
        /* the upper of the two starts no block any more */
        state_store(base + (off > buddy_off ? off : buddy_off), ST_NONE);
        off &= ~BLOCK(order);
    }
    state_store(base + off, STATE(order, merged));
    list_push(b, base + off, order);
}

void buddy_put(buddy_t* b, uintptr_t blk, unsigned order) {
    pool_header(pool_base_of(blk))->used_bytes -= BLOCK(order);
    state_store(blk, STATE(order, ST_FREE));
    list_push(b, blk, order);
}

void buddy_add_pool(buddy_t* b, uintptr_t base) {
    pool_header(base)->used_bytes = 0;
    for (unsigned o = POOL_META_ORDER; o < OFFHEAP_POOL_ORDER; o++) {
        state_store(base + BLOCK(o), STATE(o, ST_FREE));
        list_push(b, base + BLOCK(o), o);
    }
}

void buddy_remove_pool(buddy_t* b, uintptr_t base) {
    for (unsigned o = POOL_META_ORDER; o < OFFHEAP_POOL_ORDER; o++) ensure_unlinkable(b, base + BLOCK(o), o);
    for (unsigned o = POOL_META_ORDER; o < OFFHEAP_POOL_ORDER; o++) {
        list_unlink(b, base + BLOCK(o), o);
        state_store(base + BLOCK(o), ST_NONE);
    }
}

void buddy_splice(buddy_t* dst, buddy_t* src) {
    for (unsigned o = OFFHEAP_MIN_ORDER; o <= OFFHEAP_MAX_ORDER; o++) {
        free_node_t* s = &src->lists[o];
        if (s->next == s) continue;
        free_node_t* d = &dst->lists[o];
        s->prev->next = d->next; /* src chain goes in front of dst's */
        d->next->prev = s->prev;
        d->next = s->next;
        s->next->prev = d;
        s->next = s->prev = s;
        dst->avail |= 1ull << o;
    }
    src->avail = 0;
}

int buddy_grow_in_place(buddy_t* b, uintptr_t blk, unsigned order, unsigned new_order) {
    uintptr_t base = pool_base_of(blk), off = blk - base;
    if (off & (BLOCK(new_order) - 1)) return 0; /* not the lower buddy at every level */
    for (unsigned o = order; o < new_order; o++) {
        uint8_t s = state_load(blk + BLOCK(o));
        if (!STATE_IS_FREE(s) || STATE_ORDER(s) != o) return 0;
    }
    /* a buddy whose hole was punched gets its disk back first, or nothing changes */
    for (unsigned o = order; o < new_order; o++)
        if (make_usable(blk + BLOCK(o), o) != 0) return 0;
    for (unsigned o = order; o < new_order; o++) ensure_unlinkable(b, blk + BLOCK(o), o);
    for (unsigned o = order; o < new_order; o++) {
        list_unlink(b, blk + BLOCK(o), o);
        state_store(blk + BLOCK(o), ST_NONE);
    }
    pool_header(base)->used_bytes += BLOCK(new_order) - BLOCK(order);
    return 1;
}

void buddy_shrink_in_place(buddy_t* b, uintptr_t blk, unsigned order, unsigned new_order) {
    while (order > new_order) {
        order--;
        /* account the half as used so buddy_give can subtract it */
        state_store(blk + BLOCK(order), STATE(order, ST_CACHED));
        buddy_give(b, blk + BLOCK(order), order);
    }
}

size_t buddy_release_pages(buddy_t* b, unsigned min_order, size_t keep_resident) {
    size_t page = os_page_size(), released = 0;
    for (unsigned o = min_order; o <= OFFHEAP_MAX_ORDER; o++) {
        if (BLOCK(o) < 2 * page) continue;
        for (free_node_t* n = b->lists[o].next; n != &b->lists[o]; n = n->next) {
            if (UNLIKELY(!link_ok(b, n, o) || !link_ok(b, n->next, o) || n->next->prev != n)) {
                /* overwritten by a stale write: rebuild, walk again */
                rebuild(b);
                return released + buddy_release_pages(b, min_order, keep_resident);
            }
            uintptr_t blk = block_of(n, o);
            if (keep_resident >= BLOCK(o)) { /* hysteresis: the hottest stay resident */
                keep_resident -= BLOCK(o);
                continue;
            }
            /* Released again even if released before: parts may have been
             * reused and merged back since, and an empty range costs little.
             * Blocks whose links live inside them keep their first page. */
            uintptr_t from = blk + (o >= BUDDY_OOB_ORDER ? 0 : page);
            chunk_t* c = chunk_lookup(blk);
            released += os_release((void*)from, blk + BLOCK(o) - from, c->swap_file, c->file_off + (from - pool_base_of(blk)));
            if (c->swap_file >= 0) state_store(blk, STATE(o, ST_FREE_RELEASED));
        }
    }
    return released;
}
