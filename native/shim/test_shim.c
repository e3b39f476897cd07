/* test_shim.c -- liboffheap.so's malloc API, one edge case at a time, plus
 * threads freeing each other's blocks and fork() under load. Linked to
 * liboffheap.so, so its malloc is the process's malloc (checked first).
 * `test_shim strict-double-free` is the child of strict_mode_aborts. */
#define _GNU_SOURCE
#include "check.h"
#include "offheap.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern void* __libc_malloc(size_t n);
extern void* __libc_calloc(size_t n, size_t m);
extern void* __libc_memalign(size_t align, size_t n);
extern void __libc_free(void* p);

#define MiB ((size_t)1 << 20)

/* volatile sizes keep the compiler from judging the calls itself */
static volatile size_t v_max = SIZE_MAX;

static int owned(const void* p) {
    offheap_chunk_t c;
    return offheap_chunk_of(p, &c) == 0;
}

static int all_zero(const unsigned char* p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

static void malloc_is_the_shim(void) {
    void* p = malloc(100);
    CHECK(p != NULL && owned(p));
    Dl_info info;
    CHECK(dladdr((void*)dlsym(RTLD_DEFAULT, "malloc"), &info) && strstr(info.dli_fname, "liboffheap.so"));
    /* the public API is exported, the core's internals are not */
    CHECK(dlsym(RTLD_DEFAULT, "offheap_global_stats") != NULL);
    CHECK(dlsym(RTLD_DEFAULT, "slab_push") == NULL);
    CHECK(dlsym(RTLD_DEFAULT, "heap_current_or_create") == NULL);
    free(p);
    /* libc's own allocations come here too */
    char* s = strdup("offheap");
    CHECK(s && owned(s));
    free(s);
}

static void malloc_zero_is_unique_and_freeable(void) {
    void* p[64];
    for (int i = 0; i < 64; i++) {
        p[i] = malloc(0);
        CHECK(p[i] != NULL && owned(p[i]));
        for (int j = 0; j < i; j++) CHECK(p[i] != p[j]);
    }
    for (int i = 0; i < 64; i++) free(p[i]);
    void* q = realloc(NULL, 0);
    CHECK(q != NULL && owned(q));
    free(q);
    free(NULL);
}

static void impossible_sizes_are_enomem(void) {
    size_t sizes[] = {v_max, v_max / 2, OFFHEAP_MAX_ALLOC + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        errno = 0;
        CHECK(malloc(sizes[i]) == NULL);
        CHECK_EQ(errno, ENOMEM);
        errno = 0;
        CHECK(calloc(1, sizes[i]) == NULL);
        CHECK_EQ(errno, ENOMEM);
        errno = 0;
        CHECK(memalign(4096, sizes[i]) == NULL);
        CHECK_EQ(errno, ENOMEM);
        void* out = (void*)&out;
        CHECK_EQ(posix_memalign(&out, 64, sizes[i]), ENOMEM);
        CHECK(out == (void*)&out);
    }
}

static void calloc_overflow_is_enomem(void) {
    errno = 0;
    CHECK(calloc(v_max / 2, 3) == NULL);
    CHECK_EQ(errno, ENOMEM);
    errno = 0;
    volatile size_t big = (size_t)1 << 32;
    CHECK(calloc(big, big) == NULL);
    CHECK_EQ(errno, ENOMEM);
    void* p = calloc(0, 1000);
    CHECK(p != NULL && owned(p));
    free(p);
}

static void calloc_recycled(void) {
    size_t sizes[] = {1, 64, 100, 4096, 5000, 65536, MiB - 1, MiB, MiB + 1, 3 * MiB / 2 + 5, 2 * MiB, 20 * MiB, 40 * MiB + 123};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        unsigned char* p = malloc(n);
        CHECK(p != NULL);
        memset(p, 0xAB, malloc_usable_size(p));
        free(p);
        unsigned char* q = calloc(1, n);
        CHECK(q == p); /* the same block again: the test is about recycled memory */
        CHECK(q && all_zero(q, n));
        free(q);
    }
}

static void calloc_zeroes_recycled_blocks(void) {
    calloc_recycled();
    /* file-backed chunks too (dropping their pages would bring the file's data back) */
    offheap_config_t cfg = {.set = OFFHEAP_CFG_SWAP_POLICY, .swap_policy = OFFHEAP_SWAP_ALWAYS};
    CHECK_EQ(offheap_configure(&cfg), 0);
    pthread_t t; /* a fresh thread: its heap maps new, file-backed chunks */
    pthread_create(&t, NULL, (void* (*)(void*))(void*)calloc_recycled, NULL);
    pthread_join(t, NULL);
    offheap_stats_t st;
    offheap_global_stats(&st);
    CHECK(st.swap_pool_count > 0 || st.bytes_swap > 0);
    cfg.swap_policy = OFFHEAP_SWAP_NEVER;
    CHECK_EQ(offheap_configure(&cfg), 0);
}

static void realloc_follows_glibc(void) {
    /* realloc(p, 0) frees p and returns NULL */
    char* p = malloc(200);
    CHECK(p != NULL);
    CHECK(realloc(p, 0) == NULL);
    CHECK_EQ(offheap_usable_size(p), 0);
    /* contents survive growth and shrink across small, pool and huge blocks */
    size_t steps[] = {10, 100, 5000, 70000, 3 * MiB, 40 * MiB, 300, 17};
    unsigned char* b = NULL;
    size_t have = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        size_t n = steps[i];
        b = realloc(b, n);
        CHECK(b != NULL && owned(b));
        if (!b) return;
        size_t keep = have < n ? have : n;
        for (size_t j = 0; j < keep; j++)
            if (b[j] != (unsigned char)(j * 7 + 1)) {
                CHECK(!"realloc lost contents");
                break;
            }
        for (size_t j = 0; j < n; j++) b[j] = (unsigned char)(j * 7 + 1);
        have = n;
    }
    /* failure: NULL, ENOMEM, the block untouched */
    errno = 0;
    CHECK(realloc(b, v_max) == NULL);
    CHECK_EQ(errno, ENOMEM);
    CHECK(b[16] == (unsigned char)(16 * 7 + 1));
    CHECK(malloc_usable_size(b) >= 17);
    free(b);
}

static void reallocarray_checks_overflow(void) {
    int* a = reallocarray(NULL, 10, sizeof(int));
    CHECK(a != NULL);
    for (int i = 0; i < 10; i++) a[i] = i;
    errno = 0;
    CHECK(reallocarray(a, v_max / 2, 4) == NULL);
    CHECK_EQ(errno, ENOMEM);
    CHECK(a[9] == 9);
    int* b = reallocarray(a, 100000, sizeof(int));
    CHECK(b != NULL && b[9] == 9);
    CHECK(reallocarray(b, 0, sizeof(int)) == NULL); /* realloc(p, 0): freed */
}

static void check_aligned_block(void* p, size_t align, size_t n, const char* fn) {
    if (!p) {
        fprintf(stderr, "  %s(%zu, %zu) failed\n", fn, align, n);
        CHECK(p != NULL);
        return;
    }
    if ((uintptr_t)p % align) fprintf(stderr, "  %s(%zu, %zu) = %p misaligned\n", fn, align, n, p);
    CHECK((uintptr_t)p % align == 0);
    CHECK(malloc_usable_size(p) >= n);
    /* up to 32 MiB the core serves it; above, the system allocator does */
    CHECK(owned(p) == (align <= 32 * MiB));
    memset(p, 0x5A, n ? n : 1);
    free(p);
}

static void aligned_functions_align(void) {
    size_t sizes[] = {0, 1, 63, 100, 4097, MiB + 1, 17 * MiB};
    for (size_t align = 1; align <= 64 * MiB; align <<= 1) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t n = sizes[i];
            check_aligned_block(memalign(align, n), align, n, "memalign");
            check_aligned_block(aligned_alloc(align, n), align, n, "aligned_alloc");
            if (align >= sizeof(void*)) {
                void* p = NULL;
                CHECK_EQ(posix_memalign(&p, align, n), 0);
                check_aligned_block(p, align, n, "posix_memalign");
            }
        }
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    check_aligned_block(valloc(1), page, 1, "valloc");
    check_aligned_block(valloc(0), page, 0, "valloc");
    void* p = pvalloc(1); /* rounded up to a whole page */
    CHECK(malloc_usable_size(p) >= page);
    check_aligned_block(p, page, page, "pvalloc");
    check_aligned_block(pvalloc(0), page, 0, "pvalloc");
    errno = 0;
    CHECK(pvalloc(v_max) == NULL);
    CHECK_EQ(errno, ENOMEM);
}

static void bad_alignments_are_refused(void) {
    size_t bad_posix[] = {0, 1, 2, 4, 12, 24, 48, 100, 3 * 64};
    for (size_t i = 0; i < sizeof bad_posix / sizeof bad_posix[0]; i++) {
        void* p = (void*)&p;
        CHECK_EQ(posix_memalign(&p, bad_posix[i], 100), EINVAL);
        CHECK(p == (void*)&p); /* untouched */
    }
    size_t bad_c11[] = {0, 3, 24, 100, 3 * 64, v_max};
    for (size_t i = 0; i < sizeof bad_c11 / sizeof bad_c11[0]; i++) {
        errno = 0;
        CHECK(aligned_alloc(bad_c11[i], 100) == NULL);
        CHECK_EQ(errno, EINVAL);
    }
    /* memalign rounds a non-power of two up, as glibc does */
    check_aligned_block(memalign(24, 100), 32, 100, "memalign");
    check_aligned_block(memalign(3000, 10), 4096, 10, "memalign");
    check_aligned_block(memalign(0, 10), 1, 10, "memalign");
    errno = 0;
    CHECK(memalign(v_max / 2 + 2, 1) == NULL);
    CHECK_EQ(errno, EINVAL);
}

static void usable_size_covers_the_request(void) {
    CHECK_EQ(malloc_usable_size(NULL), 0);
    size_t sizes[] = {1, 64, 65, 100, 4104, 70000, 20 * MiB};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char* p = malloc(sizes[i]);
        size_t u = malloc_usable_size(p);
        CHECK(u >= sizes[i] && u <= 2 * sizes[i] + 64 + 4096);
        memset(p, 1, u); /* all of it is the caller's */
        free(p);
        CHECK_EQ(malloc_usable_size(p), 0); /* freed (ours: safe to ask) */
    }
}

static void foreign_pointers_go_to_glibc(void) {
    void* p = __libc_malloc(100);
    CHECK(p && !owned(p));
    CHECK(malloc_usable_size(p) >= 100);
    free(p);
    /* glibc got it back: its cache hands out the same chunk again */
    void* again = __libc_malloc(100);
    CHECK(again == p);
    /* realloc keeps a foreign block with glibc, contents and all */
    strcpy(again, "foreign");
    char* r = realloc(again, 5000);
    CHECK(r && !owned(r) && strcmp(r, "foreign") == 0);
    CHECK(realloc(r, 0) == NULL);
    void* c = __libc_calloc(10, 10);
    void* m = __libc_memalign(4096, 100);
    CHECK(c && m && !owned(c) && !owned(m));
    free(c);
    free(m);
    /* glibc still works: a corrupted heap would abort here */
    for (int i = 0; i < 1000; i++) __libc_free(__libc_malloc((size_t)i * 16));
}

static void invalid_frees_are_ignored(void) {
    char* p = malloc(4096);
    CHECK(p != NULL);
    free(p + 64); /* interior pointer: refused, the block stays */
    CHECK_EQ(malloc_usable_size(p), 4096);
    free(p);
    free(p); /* double free: refused */
    CHECK_EQ(malloc_usable_size(p), 0);
    errno = 0;
    CHECK(realloc(p, 100) == NULL); /* realloc of a freed block */
    CHECK_EQ(errno, EINVAL);
    /* the start of a pool (its metadata) is ours too: never passed to glibc */
    void* q = malloc(100);
    offheap_chunk_t c;
    CHECK_EQ(offheap_chunk_of(q, &c), 0);
    free(c.base);
    free((char*)c.data - 64);
    CHECK_EQ(malloc_usable_size(q), 128);
    free(q);
    /* the heap is intact */
    void* a = malloc(4096);
    void* b = malloc(4096);
    CHECK(a && b && a != b);
    free(a);
    free(b);
}

static int run_child(const char* arg, char* const env[]) {
    pid_t pid = fork();
    if (pid == 0) {
        char* argv[] = {"test_shim", (char*)arg, NULL};
        execve("/proc/self/exe", argv, env);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void strict_mode_aborts(void) {
    char* strict[] = {"OFFHEAP_MALLOC_STRICT=1", NULL};
    int st = run_child("strict-double-free", strict);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    char* lenient[] = {NULL};
    st = run_child("strict-double-free", lenient);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int strict_child(void) {
    void* p = malloc(100);
    free(p);
    free(p); /* aborts under OFFHEAP_MALLOC_STRICT=1 */
    return 0;
}

/* ---- threads: every block is freed (or resized) by another thread ---- */

#define THREADS 8
#define RING 1024
typedef struct {
    _Atomic(unsigned char*) slot[RING];
} ring_t;
static ring_t rings[THREADS];
static _Atomic int corrupt;

static uint64_t rnd(uint64_t* s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A block carries its size and a fill byte in its first 9 bytes. */
static unsigned char* make_block(uint64_t* s) {
    uint64_t r = rnd(s);
    size_t n = 16 + (size_t)(r % 5 == 0 ? r % 70000 : r % 600);
    unsigned char* p;
    switch (r % 4) {
    case 0: p = calloc(1, n); break;
    case 1: p = memalign((size_t)64 << (r % 7), n); break;
    default: p = malloc(n); break;
    }
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    memset(p + 8, (int)(n & 0xFF), n - 8);
    return p;
}

static int block_ok(const unsigned char* p) {
    size_t n;
    memcpy(&n, p, sizeof n);
    for (size_t i = 8; i < n; i += 61)
        if (p[i] != (unsigned char)(n & 0xFF)) return 0;
    return 1;
}

static void* churn(void* arg) {
    int me = (int)(intptr_t)arg;
    uint64_t s = 0x9E3779B97F4A7C15ull * (uint64_t)(me + 1);
    ring_t* out = &rings[(me + 1) % THREADS];
    for (int i = 0; i < 60000; i++) {
        unsigned char* p = make_block(&s);
        if (!p) {
            atomic_store(&corrupt, 1);
            break;
        }
        unsigned char* old = atomic_exchange(&out->slot[rnd(&s) % RING], p);
        if (!old) continue;
        if (!block_ok(old)) atomic_store(&corrupt, 1);
        if (rnd(&s) % 8 == 0) { /* resize another thread's block, then free it */
            size_t n;
            memcpy(&n, old, sizeof n);
            unsigned char* g = realloc(old, n + 9000);
            if (!g || !block_ok(g)) atomic_store(&corrupt, 1);
            old = g;
        }
        free(old);
    }
    return NULL;
}

static void threads_free_each_others_blocks(void) {
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, churn, (void*)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    CHECK(!atomic_load(&corrupt));
    for (int r = 0; r < THREADS; r++)
        for (int i = 0; i < RING; i++) {
            unsigned char* p = atomic_exchange(&rings[r].slot[i], NULL);
            if (p) {
                CHECK(block_ok(p));
                free(p);
            }
        }
    offheap_stats_t st;
    offheap_gc();
    offheap_global_stats(&st);
    CHECK(st.alloc_count >= THREADS * 60000);
    CHECK(st.remote_frees > 0);
}

/* ---- fork while other threads allocate ---- */

static _Atomic int stop_churn;

static void* background_churn(void* arg) {
    uint64_t s = (uint64_t)(intptr_t)arg * 7919 + 1;
    unsigned char* keep[256] = {0};
    while (!atomic_load(&stop_churn)) {
        unsigned i = (unsigned)(rnd(&s) % 256);
        free(keep[i]);
        keep[i] = make_block(&s);
    }
    for (int i = 0; i < 256; i++) free(keep[i]);
    return NULL;
}

static void* child_thread(void* p) {
    free(p); /* a block of the parent's main thread, freed by a new thread */
    void* q = malloc(1000);
    free(q);
    return NULL;
}

static int in_child(unsigned char* shared) {
    uint64_t s = (uint64_t)getpid();
    unsigned char* keep[64] = {0};
    for (int i = 0; i < 2000; i++) {
        unsigned j = (unsigned)(rnd(&s) % 64);
        if (keep[j] && !block_ok(keep[j])) return 3;
        free(keep[j]);
        keep[j] = make_block(&s);
    }
    for (int i = 0; i < 64; i++) free(keep[i]);
    if (!block_ok(shared)) return 4;
    pthread_t t;
    if (pthread_create(&t, NULL, child_thread, shared) != 0) return 5;
    pthread_join(t, NULL);
    return 0;
}

static void fork_under_load_does_not_deadlock(void) {
    pthread_t t[4];
    atomic_store(&stop_churn, 0);
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, background_churn, (void*)(intptr_t)(i + 1));
    int bad = 0, hung = 0;
    for (int round = 0; round < 100 && !hung; round++) {
        uint64_t s = (uint64_t)round + 99;
        unsigned char* shared = make_block(&s);
        pid_t pid = fork();
        if (pid == 0) _exit(in_child(shared));
        free(shared);
        int status = 0;
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (waitpid(pid, &status, WNOHANG) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - start.tv_sec > 20) { /* a deadlocked child */
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                hung = 1;
                break;
            }
            usleep(1000);
        }
        if (!hung && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            fprintf(stderr, "  child %d: status %#x\n", round, status);
            bad++;
        }
    }
    atomic_store(&stop_churn, 1);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    CHECK(!hung);
    CHECK_EQ(bad, 0);
}

/* malloc's memory is private: no file-backed (MAP_SHARED) pools by default */
static void fork_child_writes_stay_private(void) {
    offheap_config_t cfg;
    offheap_get_config(&cfg);
    if (!getenv("OFFHEAP_SWAP")) CHECK_EQ(cfg.swap_policy, OFFHEAP_SWAP_NEVER);
    size_t sizes[] = {100, 100000, 20 * MiB};
    char* p[3];
    for (int i = 0; i < 3; i++) {
        p[i] = malloc(sizes[i]);
        strcpy(p[i], "parent");
    }
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 3; i++) strcpy(p[i], "child");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    for (int i = 0; i < 3; i++) {
        CHECK(strcmp(p[i], "parent") == 0);
        free(p[i]);
    }
}

/* many short threads: their heaps are handed on at exit, their blocks freed later */
static void* short_lived(void* arg) {
    void** out = arg;
    for (int i = 0; i < 100; i++) free(malloc((size_t)i * 40 + 1));
    *out = malloc(3000);
    memset(*out, 0x77, 3000);
    return NULL;
}

static void exited_threads_blocks_stay_valid(void) {
    void* left[300];
    for (int i = 0; i < 300; i++) {
        pthread_t t;
        pthread_create(&t, NULL, short_lived, &left[i]);
        pthread_join(t, NULL);
    }
    for (int i = 0; i < 300; i++) {
        CHECK(left[i] && ((unsigned char*)left[i])[2999] == 0x77);
        free(left[i]);
    }
    offheap_stats_t st;
    offheap_gc();
    offheap_global_stats(&st);
    CHECK(st.heaps_live + st.heaps_pending < 50); /* the exited threads' heaps were reused */
}

/* A key destructor that runs after the shim's has handed the thread's heap
 * on: its allocation starts a new heap, which must be handed on too. */
static pthread_key_t late_key;
static void* late_blocks[200];
static _Atomic int late_count;

static _Atomic int late_without_heap;

static void late_destructor(void* v) {
    int i = (int)(intptr_t)v - 1;
    offheap_stats_t st;
    offheap_stats(&st); /* zeros: the core's exit destructor already ran */
    if (st.alloc_count == 0) atomic_fetch_add(&late_without_heap, 1);
    late_blocks[i] = malloc(777);
    free(malloc(5000));
    atomic_fetch_add(&late_count, 1);
}

static void* set_late_key(void* v) {
    free(malloc(10)); /* this thread's heap exists before the key is set */
    pthread_setspecific(late_key, v);
    return NULL;
}

static void allocation_in_late_destructors_is_handed_on(void) {
    offheap_gc();
    offheap_stats_t before, after;
    offheap_global_stats(&before);
    CHECK_EQ(pthread_key_create(&late_key, late_destructor), 0);
    for (int i = 0; i < 200; i++) {
        pthread_t t;
        pthread_create(&t, NULL, set_late_key, (void*)(intptr_t)(i + 1));
        pthread_join(t, NULL);
    }
    CHECK_EQ(atomic_load(&late_count), 200);
    CHECK_EQ(atomic_load(&late_without_heap), 200); /* the case under test happened */
    offheap_gc();
    offheap_global_stats(&after);
    CHECK_EQ(after.heaps_live, before.heaps_live); /* none left behind by exited threads */
    CHECK_EQ(after.heaps_pending, 0);
    for (int i = 0; i < 200; i++) {
        CHECK(late_blocks[i] && owned(late_blocks[i]));
        free(late_blocks[i]);
    }
    pthread_key_delete(late_key);
}

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "strict-double-free") == 0) return strict_child();
    RUN(malloc_is_the_shim);
    RUN(malloc_zero_is_unique_and_freeable);
    RUN(impossible_sizes_are_enomem);
    RUN(calloc_overflow_is_enomem);
    RUN(calloc_zeroes_recycled_blocks);
    RUN(realloc_follows_glibc);
    RUN(reallocarray_checks_overflow);
    RUN(aligned_functions_align);
    RUN(bad_alignments_are_refused);
    RUN(usable_size_covers_the_request);
    RUN(foreign_pointers_go_to_glibc);
    RUN(invalid_frees_are_ignored);
    RUN(strict_mode_aborts);
    RUN(threads_free_each_others_blocks);
    RUN(fork_under_load_does_not_deadlock);
    RUN(fork_child_writes_stay_private);
    RUN(exited_threads_blocks_stay_valid);
    RUN(allocation_in_late_destructors_is_handed_on);
    return CHECK_SUMMARY();
}
