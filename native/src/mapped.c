/* mapped.c -- a user's file mapped as one block (offheap_map_file).
 *
 * The mapping is a chunk of kind CHUNK_FILE, registered like a huge block
 * (aligned to 32 MiB, its state in the chunk entry) but owned by no heap:
 * every thread reaches it through a guard (chunkmap.h) and none ever reuses
 * it as anonymous memory.
 *
 * Unmapping without an owner: free is a CAS LIVE -> FREE made under a guard,
 * and whoever drops the last guard or pin of a FREE mapping unmaps it. That
 * thread still holds its own guard when it decides, so it retires by a CAS of
 * `pins` from exactly 1 (itself) to RETIRED: the entry cannot have been
 * reused under it, and no pin or guard can start afterwards. A JavaScript
 * view pins the chunk, so a mapping freed while viewed stays mapped until the
 * binding drops the view's pin.
 */
#define _GNU_SOURCE
#include "mapped.h"
#include "os.h"
#include "pool.h"
#include "yieldpoint.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* The file length is kept where file-backed swap keeps its offset
 * (chunk_t.file_off): a mapped file has no swap file. */
static void unmap(chunk_t* c) {
    uintptr_t base = chunk_base(c);
    size_t size = c->size;
    chunk_unregister(c);
    os_unmap((void*)base, size);
}

void mapped_unguard(chunk_t* c) {
    /* acquire: a drop seen here comes with the FREE its thread stored before */
    uint32_t v = atomic_load_explicit(&c->pins, ACQUIRE);
    for (;;) {
        if ((v & ~CHUNK_RETIRED) == 0) return; /* unbalanced: ignore, as offheap_unpin does */
        int last_of_freed = v == 1 && STATE_KIND(atomic_load_explicit(&c->state, ACQUIRE)) == ST_FREE;
        uint32_t next = last_of_freed ? CHUNK_RETIRED : v - 1;
        if (atomic_compare_exchange_weak_explicit(&c->pins, &v, next, ACQ_REL, ACQUIRE)) {
            if (last_of_freed) {
                YIELD(TRIM_AFTER_RETIRE);
                unmap(c);
            }
            return;
        }
    }
}

int mapped_free(chunk_t* c) {
    uint8_t s = atomic_load_explicit(&c->state, RELAXED);
    if (STATE_KIND(s) != ST_LIVE ||
        !atomic_compare_exchange_strong_explicit(&c->state, &s, STATE(0, ST_FREE), ACQ_REL, RELAXED))
        return OFFHEAP_EINVAL;
    YIELD(MAPPED_AFTER_FREE);
    return OFFHEAP_OK;
}

int offheap_map_file(int fd, uint64_t length, int mode, void** out) {
    if (!out || length == 0 || length > OFFHEAP_MAX_ALLOC || mode < OFFHEAP_MAP_READ || mode > OFFHEAP_MAP_WRITE)
        return OFFHEAP_EINVAL;
    *out = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) return -errno;
    if (S_ISDIR(st.st_mode)) return -EISDIR;
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) return -ENODEV;
    if (S_ISREG(st.st_mode) && length > (uint64_t)st.st_size) return OFFHEAP_EINVAL; /* pages past EOF would SIGBUS */
    if (chunk_table_init() != 0) return OFFHEAP_ENOMEM;
    size_t page = os_page_size(), size = (size_t)((length + page - 1) & ~(uint64_t)(page - 1));
    void* addr = os_reserve_aligned(size, OFFHEAP_POOL_SIZE);
    if (!addr) return OFFHEAP_ENOMEM;
    /* Private modes never reserve swap for the whole file (MAP_NORESERVE), so
     * a file larger than RAM maps under heuristic overcommit; a written page
     * becomes this process's own copy. Read mode is writable too: a stray
     * write from JavaScript must not kill the process. */
    int flags = MAP_FIXED | (mode == OFFHEAP_MAP_WRITE ? MAP_SHARED : MAP_PRIVATE | MAP_NORESERVE);
    if (mmap(addr, size, PROT_READ | PROT_WRITE, flags, fd, 0) == MAP_FAILED) {
        int e = errno;
        os_unmap(addr, size);
        return e == ENOMEM ? OFFHEAP_ENOMEM : -e;
    }
    chunk_t* c = chunk_register((uintptr_t)addr, size, CHUNK_FILE, NULL, -1, length);
    atomic_store_explicit(&c->state, STATE(0, ST_LIVE), RELEASE);
    *out = addr;
    return OFFHEAP_OK;
}
