/* malloc_shim.c -- liboffheap.so: the C allocation API over the offheap core,
 * for LD_PRELOAD (or linking) in place of the system malloc.
 *
 * Ownership: a pointer is ours when it lies in one of the core's chunks (an
 * O(1) table lookup that never touches the pointer). Pointers that are not
 * ours came from the system allocator (glibc's __libc_* entry points, which
 * stay reachable under interposition) and go back to it. The lookups only
 * run when the core refuses a pointer, never on the fast paths.
 *
 * Alignment: every block is at least 64-byte aligned; a power-of-two request
 * 2^k is aligned to 2^k (pool blocks up to 16 MiB) and huge blocks (> 16 MiB)
 * to 32 MiB. Other sizes get no more than 64, so an aligned request asks the
 * core for the power of two >= max(size, alignment). Alignments above 32 MiB
 * go to the system allocator.
 *
 * Edge cases follow glibc: malloc(0) is a unique pointer; realloc(p, 0)
 * frees p and returns NULL; failures are NULL with errno ENOMEM; bad
 * alignments are EINVAL as in glibc 2.38 (aligned_alloc refuses a
 * non-power of two, memalign rounds it up).
 */
#define _GNU_SOURCE
#include "shim.h"
#include "offheap.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* glibc's own allocator, under names interposition does not touch */
extern void __libc_free(void* p);
extern void* __libc_realloc(void* p, size_t n);
extern void* __libc_memalign(size_t align, size_t n);

#define EXPORT __attribute__((visibility("default")))
#define NOINLINE __attribute__((noinline))
#define LIKELY(x) __builtin_expect(!!(x), 1)

#define MIN_ALIGN  ((size_t)1 << OFFHEAP_MIN_ORDER) /* every block */
#define MAX_POOL   ((size_t)1 << OFFHEAP_MAX_ORDER) /* larger is huge */
#define HUGE_ALIGN OFFHEAP_POOL_SIZE                /* alignment of huge blocks */

_Atomic uint64_t shim_foreign_frees;
_Atomic uint64_t shim_invalid_frees;

/* Inside one of our chunks, also a pool's metadata region (offheap_chunk_of
 * refuses it): a pool fills its whole 32 MiB-aligned slot, so the slot's last
 * byte resolves to the pool. A foreign pointer can never lie in a chunk. */
static int owned(const void* p) {
    offheap_chunk_t c;
    if (offheap_chunk_of(p, &c) == 0) return 1;
    uintptr_t slot_end = ((uintptr_t)p | (HUGE_ALIGN - 1));
    return offheap_chunk_of((const void*)slot_end, &c) == 0 && !c.is_huge;
}

static NOINLINE void* alloc_zero_or_too_big(size_t n) {
    if (n == 0) return offheap_alloc(1); /* malloc(0): a unique pointer */
    errno = ENOMEM; /* the core would say EINVAL above 16 TiB */
    return NULL;
}

static size_t page_size(void) {
    static _Atomic size_t page;
    size_t p = atomic_load_explicit(&page, memory_order_relaxed);
    if (!p) atomic_store_explicit(&page, p = (size_t)sysconf(_SC_PAGESIZE), memory_order_relaxed);
    return p;
}

/* 1 .. OFFHEAP_MAX_ALLOC: the core fails only with ENOMEM (a tail call) */
static inline void* alloc_bytes(size_t n) {
    if (LIKELY(n - 1 < OFFHEAP_MAX_ALLOC)) return offheap_alloc(n);
    return alloc_zero_or_too_big(n);
}

EXPORT void* malloc(size_t n) { return alloc_bytes(n); }

static NOINLINE void free_refused(void* p) {
    int e = errno;
    if (owned(p)) shim_invalid_pointer("free", p);
    else {
        atomic_fetch_add_explicit(&shim_foreign_frees, 1, memory_order_relaxed);
        __libc_free(p);
    }
    errno = e;
}

/* free never changes errno (POSIX 2024, glibc); offheap_free keeps it too */
EXPORT void free(void* p) {
    if (!LIKELY(offheap_free(p) == 0)) free_refused(p);
}

EXPORT void cfree(void* p) { free(p); }

/* Recycled blocks hold old data. The whole pages of a block of 1 MiB or more
 * (page-aligned: powers of two and trimmed classes are) are zeroed by
 * dropping them (the kernel maps zero pages on first touch): nothing is
 * written, and pages the program never touches never become resident, as
 * with glibc's mmap'ed chunks and mimalloc's fresh pages. Measured,
 * calloc(64 MiB) then free, 20 rounds: reading 4 pages, 0.14 ms and 1 MiB
 * resident (memset: 15.6 ms, 65 MiB); writing it all, 68 ms (memset: 20 ms;
 * glibc: 65 ms). node's benchmark workload (bench/native/programs/node.mjs,
 * 3 runs): peak RSS 303-314 MiB instead of 363-400 (mimalloc 326-372).
 * Smaller blocks are written: a system call costs more than their memset.
 * Not for a file-backed chunk, whose dropped pages would come back from the
 * file. */
#define ZERO_BY_DROPPING ((size_t)1 << 20)
static void zero(void* p, size_t n) {
    uintptr_t a = (uintptr_t)p, page = (uintptr_t)page_size();
    offheap_chunk_t c;
    if (n >= ZERO_BY_DROPPING && !(a & (page - 1)) && offheap_chunk_of(p, &c) == 0 && !c.is_file_backed) {
        uintptr_t end = (a + n) & ~(page - 1);
        if (madvise(p, end - a, MADV_DONTNEED) == 0) {
            memset((void*)end, 0, a + n - end);
            return;
        }
    }
    memset(p, 0, n);
}

EXPORT void* calloc(size_t count, size_t size) {
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    void* p = alloc_bytes(n);
    if (p) zero(p, n);
    return p;
}

static NOINLINE void* realloc_refused(void* p, size_t n) {
    int e = errno;
    if (!owned(p)) return __libc_realloc(p, n);
    if (n > OFFHEAP_MAX_ALLOC || e == ENOMEM) { /* p is unchanged */
        errno = ENOMEM;
        return NULL;
    }
    shim_invalid_pointer("realloc", p); /* freed, or not a block start */
    errno = EINVAL;
    return NULL;
}

EXPORT void* realloc(void* p, size_t n) {
    if (!p) return alloc_bytes(n);
    if (n == 0) { /* glibc: frees and returns NULL */
        free(p);
        return NULL;
    }
    void* q = offheap_realloc(p, n);
    return LIKELY(q != NULL) ? q : realloc_refused(p, n);
}

EXPORT void* reallocarray(void* p, size_t count, size_t size) {
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n);
}

/* align: a power of two. */
static void* alloc_aligned(size_t align, size_t n) {
    if (align <= MIN_ALIGN) return alloc_bytes(n);
    if (align > HUGE_ALIGN) {
        void* p = __libc_memalign(align, n);
        if (!p) errno = ENOMEM;
        return p;
    }
    size_t want = n;
    if (n <= MAX_POOL) { /* a power of two is aligned to itself; huge blocks to 32 MiB */
        want = align;
        while (want < n) want <<= 1;
    }
    void* p = alloc_bytes(want);
    if (p && ((uintptr_t)p & (align - 1))) { /* never hand out a misaligned block */
        offheap_free(p);
        p = __libc_memalign(align, n);
        if (!p) errno = ENOMEM;
    }
    return p;
}

static int power_of_two(size_t a) { return a && !(a & (a - 1)); }

EXPORT void* memalign(size_t align, size_t n) {
    if (align > SIZE_MAX / 2 + 1) { /* cannot round up to a power of two */
        errno = EINVAL;
        return NULL;
    }
    size_t a = 1;
    while (a < align) a <<= 1; /* glibc rounds a non-power of two up */
    return alloc_aligned(a, n);
}

EXPORT void* aligned_alloc(size_t align, size_t n) {
    if (!power_of_two(align)) { /* C17: an unsupported alignment fails (glibc >= 2.38) */
        errno = EINVAL;
        return NULL;
    }
    return alloc_aligned(align, n);
}

EXPORT int posix_memalign(void** out, size_t align, size_t n) {
    if (align % sizeof(void*) != 0 || !power_of_two(align / sizeof(void*))) return EINVAL;
    void* p = alloc_aligned(align, n);
    if (!p) return ENOMEM; /* *out stays as it was */
    *out = p;
    return 0;
}

EXPORT void* valloc(size_t n) { return alloc_aligned(page_size(), n); }

EXPORT void* pvalloc(size_t n) {
    size_t page = page_size(), up;
    if (__builtin_add_overflow(n, page - 1, &up)) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_aligned(page, up & ~(page - 1));
}

/* glibc's malloc_usable_size, for foreign pointers only (rare: dlsym may
 * allocate, which comes back here and is served by the core). */
static size_t libc_usable_size(void* p) {
    static size_t (*_Atomic fn)(void*);
    size_t (*f)(void*) = atomic_load_explicit(&fn, memory_order_acquire);
    if (!f) {
        f = (size_t(*)(void*))dlsym(RTLD_NEXT, "malloc_usable_size");
        if (!f) return 0;
        atomic_store_explicit(&fn, f, memory_order_release);
    }
    return f(p);
}

EXPORT size_t malloc_usable_size(void* p) {
    if (!p) return 0;
    size_t n = offheap_usable_size(p);
    if (n || owned(p)) return n; /* 0 for a freed block of ours */
    return libc_usable_size(p);
}
