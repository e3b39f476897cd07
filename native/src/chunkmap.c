/* chunkmap.c -- the address-to-chunk table, pins, chunk lists. */
#define _GNU_SOURCE
#include "chunkmap.h"
#include "mapped.h"
#include "pool.h"
#include "yieldpoint.h"

#include <pthread.h>
#include <sys/mman.h>

chunk_t* _Atomic chunk_table;

static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_map(void) {
    size_t bytes = ((size_t)1 << (CHUNK_ADDR_BITS - CHUNK_SHIFT)) * sizeof(chunk_t);
    void* t = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (t != MAP_FAILED) atomic_store_explicit(&chunk_table, (chunk_t*)t, RELEASE);
}

int chunk_table_init(void) {
    pthread_once(&table_once, table_map);
    return atomic_load_explicit(&chunk_table, ACQUIRE) ? 0 : -1;
}

chunk_t* chunk_find(uintptr_t a) {
    chunk_t* c = chunk_lookup(a);
    if (!c) return NULL;
    uint8_t kind = atomic_load_explicit(&c->kind, ACQUIRE);
    if (kind == CHUNK_TAIL) {
        c -= atomic_load_explicit(&c->back, RELAXED);
        kind = atomic_load_explicit(&c->kind, ACQUIRE);
        if ((kind != CHUNK_HUGE && kind != CHUNK_FILE) || a >= chunk_base(c) + c->size) return NULL;
    }
    return (kind == CHUNK_POOL || kind == CHUNK_HUGE || kind == CHUNK_FILE) ? c : NULL;
}

chunk_t* chunk_register(uintptr_t base, size_t size, int kind, struct heap* owner, int swap_file, uint64_t file_off) {
    chunk_t* head = chunk_lookup(base);
    /* First, an acquire on the retire of the chunk that had this entry before
     * (another thread, maybe): its last writes to the entry happen before
     * ours. Only RETIRED goes: pins keeps any guard of a thread that raced
     * with that chunk (chunkmap.h). */
    atomic_fetch_and_explicit(&head->pins, ~CHUNK_RETIRED, ACQ_REL);
    size_t slots = (size + OFFHEAP_POOL_SIZE - 1) >> CHUNK_SHIFT;
    for (size_t i = 1; i < slots; i++) {
        atomic_store_explicit(&head[i].back, (uint32_t)i, RELAXED);
        atomic_store_explicit(&head[i].kind, CHUNK_TAIL, RELEASE);
    }
    atomic_store_explicit(&head->owner, owner, RELAXED);
    head->next = head->prev = NULL;
    head->size = size;
    head->swap_file = (int8_t)swap_file;
    head->file_off = file_off;
    head->released = 0;
    atomic_store_explicit(&head->state, 0, RELAXED);
    /* remote_count is 0 and inbox_next unused: a chunk on an inbox is never
     * unmapped (chunk_retire_unqueued) */
    atomic_store_explicit(&head->inbox_next, NULL, RELAXED);
    YIELD(REGISTER_BEFORE_PUBLISH);
    atomic_store_explicit(&head->kind, (uint8_t)kind, RELEASE); /* publish last */
    return head;
}

static int chunk_retire(chunk_t* c) {
    uint32_t expect = 0;
    return atomic_compare_exchange_strong_explicit(&c->pins, &expect, CHUNK_RETIRED, ACQ_REL, ACQUIRE);
}

int chunk_retire_unqueued(chunk_t* c) {
    if (!chunk_retire(c)) return 0;
    /* every remote free finished under its guard before the retire (acquire),
     * so this count is final: not 0 means the chunk is linked into an inbox */
    if (atomic_load_explicit(&c->remote_count, ACQUIRE) == 0) return 1;
    chunk_unretire(c);
    return 0;
}

void chunk_unretire(chunk_t* c) {
    atomic_fetch_and_explicit(&c->pins, ~CHUNK_RETIRED, RELEASE);
}

void chunk_unregister(chunk_t* c) {
    size_t slots = (c->size + OFFHEAP_POOL_SIZE - 1) >> CHUNK_SHIFT;
    for (size_t i = 0; i < slots; i++) atomic_store_explicit(&c[i].kind, CHUNK_NONE, RELEASE);
    /* Our last touch of the entry: a release that chunk_register's acquire
     * reads, so whoever maps this range next writes the entry after all our
     * reads of it (callers read what they need first). */
    atomic_fetch_or_explicit(&c->pins, 0, RELEASE);
}

void chunk_list_push(chunk_t** head, chunk_t* c) {
    c->prev = NULL;
    c->next = *head;
    if (*head) (*head)->prev = c;
    *head = c;
}

void chunk_list_remove(chunk_t** head, chunk_t* c) {
    if (c->prev) c->prev->next = c->next;
    else *head = c->next;
    if (c->next) c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

/* ---- binding API ---- */

int offheap_chunk_of(const void* p, offheap_chunk_t* out) {
    chunk_t* c = chunk_find((uintptr_t)p);
    if (!c || !out) return OFFHEAP_EINVAL;
    uintptr_t base = chunk_base(c);
    uint8_t kind = atomic_load_explicit(&c->kind, RELAXED);
    int one_block = kind != CHUNK_POOL, file = kind == CHUNK_FILE;
    uintptr_t data = one_block ? base : base + POOL_META_SIZE;
    if (!one_block && (uintptr_t)p < data) return OFFHEAP_EINVAL;
    out->base = (void*)base;
    out->data = (void*)data;
    out->size = file ? (size_t)c->file_off : base + c->size - data; /* a file: its length */
    out->is_huge = one_block;
    out->is_file_backed = c->swap_file >= 0;
    out->is_mapped_file = file;
    return OFFHEAP_OK;
}

int offheap_pin(const void* chunk_base_ptr) {
    uintptr_t base = (uintptr_t)chunk_base_ptr;
    chunk_t* c = chunk_find(base);
    if (!c || chunk_base(c) != base || !chunk_guard(c)) return OFFHEAP_EINVAL; /* retired: being unmapped */
    if (chunk_find(base) != c) { /* unmapped and replaced before the pin took */
        if (atomic_load_explicit(&c->kind, ACQUIRE) == CHUNK_FILE) mapped_unguard(c);
        else chunk_unguard(c);
        return OFFHEAP_EINVAL;
    }
    return OFFHEAP_OK;
}

void offheap_unpin(const void* chunk_base_ptr) {
    uintptr_t base = (uintptr_t)chunk_base_ptr;
    chunk_t* c = chunk_lookup(base);
    if (!c) return;
    if (atomic_load_explicit(&c->kind, ACQUIRE) == CHUNK_FILE) { /* the last drop of a freed file unmaps it */
        mapped_unguard(c);
        return;
    }
    uint32_t v = atomic_load_explicit(&c->pins, RELAXED);
    do {
        if ((v & ~CHUNK_RETIRED) == 0) return; /* unbalanced unpin: ignore */
    } while (!atomic_compare_exchange_weak_explicit(&c->pins, &v, v - 1, ACQ_REL, RELAXED));
}

#ifdef OFFHEAP_YIELD_POINTS
_Atomic(offheap_yield_hook_t) offheap_yield_hook;
_Atomic uintptr_t offheap_test_map_at;
#endif
