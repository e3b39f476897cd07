/* huge.c -- blocks above 16 MiB: their own page-rounded mapping, aligned to
 * 32 MiB so the chunk map finds them, and a small per-heap cache of freed
 * mappings whose pages stay resident for fast reuse. */
#include "heap.h"
#include "config.h"
#include "os.h"
#include "pool.h"
#include "swap.h"
#include "yieldpoint.h"

#include <errno.h>

/* Shortens a cached, unpinned mapping to `size` bytes by unmapping its tail;
 * 0 when script may view it or a thread guards it (it keeps its extent). */
static int trim_tail(heap_t* h, chunk_t* c, size_t size) {
    if (!chunk_retire_unqueued(c)) return 0;
    uintptr_t base = chunk_base(c);
    size_t old_slots = (c->size + OFFHEAP_POOL_SIZE - 1) >> CHUNK_SHIFT;
    size_t new_slots = (size + OFFHEAP_POOL_SIZE - 1) >> CHUNK_SHIFT;
    for (size_t i = new_slots; i < old_slots; i++) atomic_store_explicit(&c[i].kind, CHUNK_NONE, RELEASE);
    count_mapping(h, c, -1);
    if (c->swap_file >= 0) swap_shrink((void*)base, c->swap_file, c->file_off, c->size, size); /* with the tail's disk */
    else os_unmap((void*)(base + size), c->size - size);
    c->size = size;
    count_mapping(h, c, +1);
    chunk_unretire(c);
    return 1;
}

/* A cached mapping of exactly `size` bytes, else the smallest larger one
 * trimmed to size: reuse beats unmapping, mapping and faulting afresh. A
 * mapping whose pages were released needs disk again (file-backed): only the
 * one chosen is reserved, and only for `size` bytes. */
static chunk_t* take_cached(heap_t* h, size_t size) {
    chunk_t* best = NULL;
    for (chunk_t* c = h->huge_cache; c; c = c->next) {
        if (c->size == size) {
            best = c;
            break;
        }
        if (c->size > size && (!best || c->size < best->size) && !chunk_pinned(c)) best = c;
    }
    if (!best) return NULL;
    if (best->released && best->swap_file >= 0 && os_reserve_file(best->swap_file, best->file_off, size) != 0) return NULL;
    size_t old_size = best->size;
    if (old_size != size && !trim_tail(h, best, size)) return NULL;
    chunk_list_remove(&h->huge_cache, best);
    if (!best->released) h->huge_cache_bytes -= old_size;
    best->released = 0;
    return best;
}

void* huge_alloc(heap_t* h, size_t n) {
    size_t page = os_page_size(), size = (n + page - 1) & ~(page - 1);
    chunk_t* c = take_cached(h, size);
    if (!c) {
        int file;
        uint64_t file_off;
        void* p = os_map_aligned(size, OFFHEAP_POOL_SIZE, &file, &file_off);
        if (!p) return NULL;
        c = chunk_register((uintptr_t)p, size, CHUNK_HUGE, h, file, file_off);
        count_mapping(h, c, +1);
    }
    atomic_store_explicit(&c->state, STATE(0, ST_LIVE), RELEASE);
    chunk_list_push(&h->huge_live, c);
    counter_add(&h->ct.huge_count, 1);
    counter_add(&h->ct.huge_bytes, size);
    counter_add(&h->ct.alloc_count, 1);
    uint64_t live = counter_get(&h->ct.bytes_live) + size;
    atomic_store_explicit(&h->ct.bytes_live, live, RELAXED);
    if (live > counter_get(&h->ct.bytes_peak)) atomic_store_explicit(&h->ct.bytes_peak, live, RELAXED);
    return (void*)chunk_base(c);
}

/* Unmaps c unless script may still view it (or a thread guards it); then
 * its pages go instead. */
static int unmap_or_release(heap_t* h, chunk_t* c, offheap_gc_report_t* r) {
    if (chunk_retire_unqueued(c)) {
        YIELD(TRIM_AFTER_RETIRE);
        uintptr_t base = chunk_base(c);
        size_t size = c->size;
        int file = c->swap_file;
        uint64_t file_off = c->file_off;
        count_mapping(h, c, -1);
        if (r) {
            r->huge_unmapped++;
            r->bytes_unmapped += size;
        }
        chunk_unregister(c);
        os_unmap_chunk((void*)base, size, file, file_off);
        return 1;
    }
    if (!c->released) {
        size_t n = os_release((void*)chunk_base(c), c->size, c->swap_file, c->file_off);
        if (r) r->bytes_released += n;
        c->released = 1;
    }
    return 0;
}

/* Keeps the most recently freed mappings up to keep_bytes, and of those only
 * the ones freed at or after purge epoch `since` (older ones stayed unused
 * for a whole purge interval: purge.c); the rest are unmapped (pinned ones
 * lose their pages instead). */
void huge_trim_cache_since(heap_t* h, size_t keep_bytes, uint64_t since, offheap_gc_report_t* r) {
    size_t kept = 0;
    chunk_t* next;
    for (chunk_t* c = h->huge_cache; c; c = next) {
        next = c->next;
        if (c->released) { /* a pinned mapping whose pages already went: unmap once unpinned */
            if (!chunk_pinned(c)) {
                chunk_list_remove(&h->huge_cache, c);
                if (!unmap_or_release(h, c, r)) chunk_list_push(&h->huge_cache, c); /* guarded right now */
            }
            continue;
        }
        if (kept + c->size <= keep_bytes && atomic_load_explicit(&c->freed_epoch, RELAXED) >= since) {
            kept += c->size;
            continue;
        }
        h->huge_cache_bytes -= c->size;
        chunk_list_remove(&h->huge_cache, c);
        if (!unmap_or_release(h, c, r)) chunk_list_push(&h->huge_cache, c); /* pinned: kept, released */
    }
}

void huge_trim_cache(heap_t* h, size_t keep_bytes, offheap_gc_report_t* r) {
    huge_trim_cache_since(h, keep_bytes, 0, r);
}

void huge_free_owned(heap_t* h, chunk_t* c) {
    atomic_store_explicit(&c->state, STATE(0, ST_FREE), RELAXED);
    chunk_list_remove(&h->huge_live, c);
    counter_sub(&h->ct.huge_count, 1);
    counter_sub(&h->ct.huge_bytes, c->size);
    counter_add(&h->ct.free_count, 1);
    counter_sub(&h->ct.bytes_live, c->size);
    c->released = 0;
    atomic_store_explicit(&c->freed_epoch, (uint32_t)h->purge_epoch, RELAXED);
    chunk_list_push(&h->huge_cache, c);
    h->huge_cache_bytes += c->size;
    huge_trim_cache(h, config_huge_cache_bytes(), NULL);
}
