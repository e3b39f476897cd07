/* buddy.h -- binary buddy allocation inside pools: per-order circular free
 * lists, an availability bitmask, split on take, coalesce on give. Owner
 * thread only.
 *
 * The links of blocks below 4 KiB live inside the free blocks, where a
 * script may still write through a stale fast-mode view; those of larger
 * blocks live in the pool's metadata region (buddy.c: node_of). No link is
 * trusted: before a block is unlinked or followed, its neighbours must be
 * this order's sentinel or free blocks of this order in pools this heap
 * owns, by their state bytes (which script cannot reach), pointing back at
 * it. If not, the lists are rebuilt from the state bytes, and the operation
 * goes on. */
#ifndef OFFHEAP_BUDDY_H
#define OFFHEAP_BUDDY_H

#include "offheap.h"
#include "pool.h"

#define BUDDY_OOB_ORDER 12 /* blocks of 4 KiB and up keep their links out of band */

typedef struct free_node {
    struct free_node* next;
    struct free_node* prev;
} free_node_t;

typedef struct buddy {
    uint64_t avail;                                /* bit o: lists[o] is non-empty */
    free_node_t lists[OFFHEAP_MAX_ORDER + 1];      /* sentinels; orders 6..24 used */
    const void* owner;                             /* the heap: pools it owns hold valid links */
    chunk_t* const* pools;                         /* its pools, to rebuild the lists from */
    uint64_t repairs;                              /* times overwritten links forced a rebuild */
} buddy_t;

void buddy_init(buddy_t* b, const void* owner, chunk_t* const* pools);

/* A block of exactly `order` in state `st` (ST_LIVE or ST_CACHED), split from
 * the smallest free block that fits; NULL when no list can serve it (or the
 * disk behind a file-backed block cannot be reserved again). */
void* buddy_take(buddy_t* b, unsigned order, unsigned st);

/* Returns a block (any state but free) to the lists, merging with free
 * buddies as far as possible. */
void buddy_give(buddy_t* b, uintptr_t blk, unsigned order);

/* Returns a block whose buddy is known to be in use (the tail of a block
 * just split, with its disk reserved): no merge to look for. */
void buddy_put(buddy_t* b, uintptr_t blk, unsigned order);

/* Adds a freshly mapped pool: its space minus the metadata region as free
 * blocks of orders 19..24. */
void buddy_add_pool(buddy_t* b, uintptr_t base);
/* Takes an empty (fully coalesced) pool's blocks off the lists. */
void buddy_remove_pool(buddy_t* b, uintptr_t base);

/* Moves every free block of src to dst (heap adoption). */
void buddy_splice(buddy_t* dst, buddy_t* src);

/* Grows the live block at blk from `order` to `new_order` if the blocks above
 * it are free; 1 on success. Shrinks give the upper halves back. */
int  buddy_grow_in_place(buddy_t* b, uintptr_t blk, unsigned order, unsigned new_order);
void buddy_shrink_in_place(buddy_t* b, uintptr_t blk, unsigned order, unsigned new_order);

/* Releases the pages of free blocks of at least `min_order` (keeping each
 * block's first page, which holds its links), except for the first
 * `keep_resident` bytes found. Returns bytes released. */
size_t buddy_release_pages(buddy_t* b, unsigned min_order, size_t keep_resident);

#endif
