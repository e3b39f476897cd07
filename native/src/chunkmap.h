/* chunkmap.h -- from any address to the chunk (pool or huge mapping) holding
 * it, in O(1), without touching memory that might not be ours.
 *
 * One entry per 32 MiB of address space, indexed by addr >> 25, in a table
 * reserved once (MAP_NORESERVE: untouched entries cost no memory) and never
 * unmapped. Because entries are never freed, any thread may read one at any
 * time: a stale entry is simply "not a chunk" or a newer chunk, never a fault.
 */
#ifndef OFFHEAP_CHUNKMAP_H
#define OFFHEAP_CHUNKMAP_H

#include "offheap.h"
#include "platform.h"

#define CHUNK_ADDR_BITS 48
#define CHUNK_SHIFT     OFFHEAP_POOL_ORDER

enum chunk_kind { CHUNK_NONE = 0, CHUNK_POOL = 1, CHUNK_HUGE = 2, CHUNK_TAIL = 3 };

#define CHUNK_RETIRED 0x80000000u /* in pins: being unmapped, no new pins */

struct heap;

typedef struct chunk {
    _Atomic(struct heap*) owner; /* heap whose free lists the chunk's blocks return to */
    struct chunk* next;          /* owner's list (pools, live huge, cached huge) */
    struct chunk* prev;
    size_t size;                 /* mapping size */
    _Atomic uint32_t pins;       /* binding pins | CHUNK_RETIRED */
    _Atomic uint8_t kind;        /* enum chunk_kind */
    _Atomic uint8_t state;       /* huge block: a block state (pool.h) */
    uint8_t released;            /* cached huge mapping whose pages were given back */
    uint32_t back;               /* CHUNK_TAIL: entries back to the head */
    _Atomic uint8_t queued;      /* on its owner's inbox (remote.c) */
    _Atomic(struct chunk*) inbox_next;
    int fd;                      /* file-backed: the (unlinked) file, for hole punching; else -1 */
} chunk_t;

extern chunk_t* _Atomic chunk_table;

/* The entry for address a (possibly CHUNK_NONE); NULL when a is outside the
 * covered address space or nothing was ever mapped. */
static inline chunk_t* chunk_lookup(uintptr_t a) {
    chunk_t* t = atomic_load_explicit(&chunk_table, RELAXED);
    if (UNLIKELY(!t || (a >> CHUNK_ADDR_BITS))) return NULL;
    return &t[a >> CHUNK_SHIFT];
}

static inline uintptr_t chunk_base(const chunk_t* c) {
    return (uintptr_t)(c - atomic_load_explicit(&chunk_table, RELAXED)) << CHUNK_SHIFT;
}

/* Head entry of the chunk holding a, or NULL. */
chunk_t* chunk_find(uintptr_t a);

int  chunk_table_init(void); /* 0 or -1 */
/* Publishes a new mapping [base, base+size) (base aligned to 32 MiB). */
chunk_t* chunk_register(uintptr_t base, size_t size, int kind, struct heap* owner, int fd);
/* Claims the right to unmap: succeeds (1) only when nothing is pinned; then no
 * new pin can start. */
int  chunk_retire(chunk_t* c);
/* Removes the entries of a retired chunk (call before unmapping). */
void chunk_unregister(chunk_t* c);
static inline int chunk_pinned(chunk_t* c) {
    return (atomic_load_explicit(&c->pins, ACQUIRE) & ~CHUNK_RETIRED) != 0;
}

/* Doubly linked lists of chunks, owned by one heap. */
void chunk_list_push(chunk_t** head, chunk_t* c);
void chunk_list_remove(chunk_t** head, chunk_t* c);

#endif
