/* pool.c -- mapping and unmapping pools. */
#include "pool.h"
#include "heap.h"
#include "os.h"

uintptr_t pool_map(heap_t* h, int* file_backed) {
    void* p = os_map_aligned(OFFHEAP_POOL_SIZE, OFFHEAP_POOL_SIZE, file_backed);
    if (!p) return 0;
    chunk_t* c = chunk_register((uintptr_t)p, OFFHEAP_POOL_SIZE, CHUNK_POOL, h, *file_backed);
    chunk_list_push(&h->pools, c);
    counter_add(&h->ct.pool_count, 1);
    counter_add(&h->ct.bytes_mapped, OFFHEAP_POOL_SIZE);
    if (*file_backed) {
        counter_add(&h->ct.swap_pool_count, 1);
        counter_add(&h->ct.bytes_swap, OFFHEAP_POOL_SIZE);
    }
    return (uintptr_t)p;
}

int pool_unmap(chunk_t* c) {
    if (!chunk_retire(c)) return 0;
    uintptr_t base = chunk_base(c);
    chunk_unregister(c);
    os_unmap((void*)base, OFFHEAP_POOL_SIZE);
    return 1;
}
