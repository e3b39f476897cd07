/* pool.c -- mapping and unmapping pools. */
#include "pool.h"
#include "heap.h"
#include "os.h"

uintptr_t pool_map(heap_t* h) {
    int file;
    uint64_t file_off;
    void* p = os_map_aligned(OFFHEAP_POOL_SIZE, OFFHEAP_POOL_SIZE, &file, &file_off);
    if (!p) return 0;
    chunk_t* c = chunk_register((uintptr_t)p, OFFHEAP_POOL_SIZE, CHUNK_POOL, h, file, file_off);
    chunk_list_push(&h->pools, c);
    count_mapping(h, c, +1);
    return (uintptr_t)p;
}

void pool_unmap_retired(heap_t* h, chunk_t* c) {
    chunk_list_remove(&h->pools, c);
    count_mapping(h, c, -1);
    uintptr_t base = chunk_base(c);
    int file = c->swap_file;
    uint64_t file_off = c->file_off;
    chunk_unregister(c);
    os_unmap_chunk((void*)base, OFFHEAP_POOL_SIZE, file, file_off);
}
