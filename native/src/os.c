/* os.c -- mmap-level helpers. */
#define _GNU_SOURCE
#include "os.h"
#include "config.h"
#include "offheap.h"
#include "swap.h"
#include "yieldpoint.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

size_t os_page_size(void) {
    static _Atomic size_t page; /* any thread may be first: a relaxed atomic, not a plain cache */
    size_t p = atomic_load_explicit(&page, memory_order_relaxed);
    if (!p) atomic_store_explicit(&page, p = (size_t)sysconf(_SC_PAGESIZE), memory_order_relaxed);
    return p;
}

void* os_reserve_aligned(size_t size, size_t align) {
#if defined(OFFHEAP_YIELD_POINTS) && defined(MAP_FIXED_NOREPLACE)
    uintptr_t at = atomic_exchange(&offheap_test_map_at, 0);
    if (at && !(at & (align - 1))) {
        void* p = mmap((void*)at, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == (void*)at) return p;
        if (p != MAP_FAILED) munmap(p, size);
    }
#endif
    size_t span = size + align;
    if (span < size) return NULL;
    void* raw = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    uintptr_t start = (uintptr_t)raw, aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
    if (aligned > start) munmap(raw, aligned - start);
    uintptr_t end = start + span, kept_end = aligned + size;
    if (end > kept_end) munmap((void*)kept_end, end - kept_end);
    return (void*)aligned;
}

/* Anonymous, committed (no MAP_NORESERVE): under Linux's heuristic overcommit
 * this is exactly where a mapping larger than RAM+swap is refused. */
static int map_anonymous_fixed(void* addr, size_t size) {
    void* p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    return p == MAP_FAILED ? -1 : 0;
}

void* os_map_aligned(size_t size, size_t align, int* file, uint64_t* file_off) {
    int policy = config_swap_policy();
    *file = -1;
    *file_off = 0;
    void* addr = os_reserve_aligned(size, align);
    if (!addr) {
        errno = ENOMEM;
        return NULL;
    }
    if (policy != OFFHEAP_SWAP_ALWAYS) {
        if (map_anonymous_fixed(addr, size) == 0) return addr;
        int refused = errno == ENOMEM;
        /* A failed MAP_FIXED may have dropped the reservation: take a new one. */
        munmap(addr, size);
        if (!refused || policy == OFFHEAP_SWAP_NEVER || !(addr = os_reserve_aligned(size, align))) {
            errno = ENOMEM;
            return NULL;
        }
    }
    if ((*file = swap_map_fixed(addr, size, file_off)) < 0) {
        munmap(addr, size);
        errno = ENOMEM;
        return NULL;
    }
    return addr;
}

void os_unmap(void* p, size_t size) { munmap(p, size); }

size_t os_release(void* p, size_t size, int file, uint64_t file_off) {
    size_t page = os_page_size();
    uintptr_t start = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t end = ((uintptr_t)p + size) & ~(uintptr_t)(page - 1);
    if (end <= start) return 0;
    /* a hole also drops the pages from every mapping of the file */
    if (file >= 0) return swap_release(file, file_off + (start - (uintptr_t)p), end - start);
    return madvise((void*)start, end - start, MADV_DONTNEED) == 0 ? end - start : 0;
}

int os_reserve_file(int file, uint64_t file_off, size_t size) { return swap_reserve(file, file_off, size); }

void os_unmap_chunk(void* p, size_t size, int file, uint64_t file_off) {
    if (file >= 0) swap_unmap(p, size, file, file_off);
    else munmap(p, size);
}
