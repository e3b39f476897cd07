/* test_reclaim_stress.c -- the reclamation protocol under long randomized
 * load (run again under ASan and TSan by scripts/test-native.sh), plus
 * memory going back to the OS without gc. Only offheap.h is used, so the
 * same program runs against any version of the core.
 * Usage: test_reclaim_stress TEST_NAME [scale%] (no argument: list). */
#define _GNU_SOURCE
#include "check.h"
#include "offheap.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

static unsigned scale = 100;
#define SCALED(n) ((unsigned long)(n) * scale / 100 ? (unsigned long)(n) * scale / 100 : 1)

static uint64_t rnd(uint64_t* s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static size_t rss_bytes(void) {
    FILE* f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static offheap_stats_t process_stats(void) {
    offheap_stats_t s;
    offheap_global_stats(&s);
    return s;
}

static void expect_process_empty(void) {
    offheap_gc();
    offheap_stats_t s = process_stats();
    CHECK_EQ(s.bytes_live, 0);
    CHECK_EQ(s.remote_pending, 0);
    CHECK_EQ(s.heaps_pending, 0);
}

/* ---- issue 9.1: the owner's gc empties and unmaps pools while other
 * threads are still inside their remote frees ---- */

enum { BIG = 6 };
static void* _Atomic big[BIG];
static _Atomic unsigned long round_no, done_round[BIG];
static _Atomic int stop;
static _Atomic unsigned long failures;

static void* big_freer(void* arg) {
    uintptr_t k = (uintptr_t)arg;
    unsigned long seen = 0;
    while (!atomic_load(&stop)) {
        unsigned long r = atomic_load(&round_no);
        if (r == seen) {
            sched_yield();
            continue;
        }
        seen = r;
        if (offheap_free(atomic_load(&big[k])) != 0) atomic_fetch_add(&failures, 1);
        atomic_store(&done_round[k], r);
    }
    return NULL;
}

static void owner_gc_races_remote_frees_of_big_blocks(void) {
    pthread_t t[BIG];
    for (uintptr_t k = 0; k < BIG; k++) pthread_create(&t[k], NULL, big_freer, (void*)k);
    unsigned long rounds = SCALED(600);
    for (unsigned long r = 1; r <= rounds; r++) {
        for (int k = 0; k < BIG; k++) atomic_store(&big[k], offheap_alloc(8 * MiB));
        atomic_store(&round_no, r);
        /* gc until everything came back, as a careful owner would */
        for (;;) {
            offheap_gc();
            int all = 1;
            for (int k = 0; k < BIG; k++) all &= atomic_load(&done_round[k]) == r;
            if (all && process_stats().bytes_live == 0) break;
        }
    }
    atomic_store(&stop, 1);
    for (int k = 0; k < BIG; k++) pthread_join(t[k], NULL);
    printf("  %lu rounds of six 8 MiB blocks freed by six threads against gc\n", rounds);
    CHECK_EQ(atomic_load(&failures), 0);
    expect_process_empty();
}

/* ---- issue 9.1 without gc: short-lived producers, one long-lived
 * consumer; adoption of the producers' heaps trims their pools ---- */

#define RING 1024
static void* _Atomic ring[RING];
static _Atomic unsigned long produced, consumed;

static void* short_producer(void* arg) {
    uint64_t rng = (uintptr_t)arg * 2654435761u + 1;
    for (int i = 0; i < 64; i++) {
        char* p = offheap_alloc(64 << 10);
        if (!p) {
            atomic_fetch_add(&failures, 1);
            continue;
        }
        p[0] = 1;
        void* _Atomic* slot = &ring[rnd(&rng) % RING];
        void* expect = NULL;
        while (!atomic_compare_exchange_weak(slot, &expect, p)) {
            expect = NULL;
            sched_yield();
        }
        atomic_fetch_add(&produced, 1);
    }
    return NULL;
}

static void* long_consumer(void* arg) {
    (void)arg;
    while (!atomic_load(&stop) || atomic_load(&consumed) < atomic_load(&produced)) {
        int any = 0;
        for (int i = 0; i < RING; i++) {
            void* p = atomic_exchange(&ring[i], NULL);
            if (!p) continue;
            any = 1;
            if (offheap_free(p) != 0) atomic_fetch_add(&failures, 1);
            atomic_fetch_add(&consumed, 1);
        }
        if (!any) sched_yield();
    }
    return NULL;
}

static void short_producers_long_consumer(void) {
    atomic_store(&stop, 0);
    pthread_t c;
    pthread_create(&c, NULL, long_consumer, NULL);
    unsigned long batches = SCALED(1500);
    size_t peak = 0;
    for (unsigned long b = 0; b < batches; b++) {
        pthread_t t[4];
        for (uintptr_t k = 0; k < 4; k++) pthread_create(&t[k], NULL, short_producer, (void*)(b * 4 + k + 1));
        for (int k = 0; k < 4; k++) pthread_join(t[k], NULL);
        size_t mapped = process_stats().bytes_mapped;
        peak = mapped > peak ? mapped : peak;
    }
    atomic_store(&stop, 1);
    pthread_join(c, NULL);
    printf("  %lu producer threads, %lu blocks, peak %zu MiB mapped\n", batches * 4, atomic_load(&consumed), peak >> 20);
    CHECK_EQ(atomic_load(&failures), 0);
    CHECK_EQ(atomic_load(&consumed), atomic_load(&produced));
    CHECK(peak <= 16 * OFFHEAP_POOL_SIZE);
    expect_process_empty();
}

/* ---- issue 9.2: stale and double frees from other threads racing gc ---- */

#define SLOTS 256
static void* _Atomic recent[SLOTS]; /* blocks the owner freed a moment ago */
static _Atomic unsigned long passes[2]; /* loop iterations of each stale freer */

static void* stale_freer(void* arg) {
    uint64_t rng = (uintptr_t)arg + 99;
    while (!atomic_load(&stop)) {
        void* p = atomic_load(&recent[rnd(&rng) % SLOTS]);
        if (p && offheap_free(p) == 0) atomic_fetch_add(&failures, 1); /* every one of them is freed already */
        (void)offheap_usable_size(p);
        atomic_fetch_add(&passes[(uintptr_t)arg], 1);
    }
    return NULL;
}

/* Waits until every stale freer has started a fresh pass: none still holds
 * an address from before (it could be reused by the next allocation). */
static void stale_freers_quiesce(void) {
    unsigned long seen[2] = {atomic_load(&passes[0]), atomic_load(&passes[1])};
    while (atomic_load(&passes[0]) < seen[0] + 2 || atomic_load(&passes[1]) < seen[1] + 2) sched_yield();
}

static void stale_frees_race_gc(void) {
    atomic_store(&stop, 0);
    pthread_t t[2];
    for (uintptr_t k = 0; k < 2; k++) pthread_create(&t[k], NULL, stale_freer, (void*)k);
    uint64_t rng = 5;
    unsigned long rounds = SCALED(400);
    for (unsigned long r = 0; r < rounds; r++) {
        void* held[32];
        for (int i = 0; i < 32; i++) held[i] = offheap_alloc(((size_t)1 << (6 + rnd(&rng) % 19)));
        for (int i = 0; i < 32; i++) {
            CHECK_EQ(offheap_free(held[i]), 0);
            /* only blocks whose pool stays out of reuse in this round: freed and
             * then gc'd, so a late stale free must find them not live */
            atomic_store(&recent[rnd(&rng) % SLOTS], held[i]);
        }
        offheap_gc(); /* unmaps empty pools while the stale frees run */
        for (int i = 0; i < SLOTS; i++) atomic_store(&recent[i], NULL);
        stale_freers_quiesce();
    }
    atomic_store(&stop, 1);
    for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
    printf("  %lu rounds of stale frees against gc\n", rounds);
    CHECK_EQ(atomic_load(&failures), 0);
    expect_process_empty();
}

/* ---- issues 9.3 and 9.8: producer/consumer of every size, huge included,
 * runs in flat memory without any gc call ---- */

static void* _Atomic handoff_slot;

static void* frame_consumer(void* arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        void* p = atomic_exchange(&handoff_slot, NULL);
        if (!p) {
            sched_yield();
            continue;
        }
        if (offheap_free(p) != 0) atomic_fetch_add(&failures, 1);
        atomic_fetch_add(&consumed, 1);
    }
    return NULL;
}

static void producer_consumer_of_every_size_runs_flat(void) {
    atomic_store(&stop, 0);
    atomic_store(&consumed, 0);
    pthread_t c;
    pthread_create(&c, NULL, frame_consumer, NULL);
    uint64_t rng = 11;
    unsigned long n = SCALED(3000);
    size_t early = 0, late = 0;
    for (unsigned long i = 0; i < n; i++) {
        /* first 200 huge frames only (nothing else drains the inbox), then
         * 64 B .. 16 MiB with every 10th a 20 MiB frame */
        size_t size = i < 200 || i % 10 == 9 ? 20 * MiB : (size_t)1 << (6 + rnd(&rng) % 19);
        char* p = offheap_alloc(size);
        if (!p) {
            atomic_fetch_add(&failures, 1);
            break;
        }
        p[0] = p[size - 1] = 1;
        while (atomic_load(&handoff_slot)) sched_yield();
        atomic_store(&handoff_slot, p);
        size_t mapped = process_stats().bytes_mapped;
        if (i < 20) early = mapped > early ? mapped : early;
        else late = mapped > late ? mapped : late;
    }
    while (atomic_load(&handoff_slot)) sched_yield();
    atomic_store(&stop, 1);
    pthread_join(c, NULL);
    printf("  %lu frames of 64 B .. 20 MiB: mapped early %zu MiB, late %zu MiB\n", n, early >> 20, late >> 20);
    CHECK_EQ(atomic_load(&failures), 0);
    CHECK(late <= early + 96 * MiB); /* a plateau (a few pools of drain lag), not a ramp (the old core: 4 GiB) */
    CHECK(late <= 512 * MiB);
    expect_process_empty();
}

/* ---- issue 9.4: exited threads leave no huge cache resident ---- */

static void* free_big_and_exit(void* arg) {
    (void)arg;
    char* p = offheap_alloc(200 * MiB);
    if (!p) atomic_fetch_add(&failures, 1);
    else {
        for (size_t i = 0; i < 200 * MiB; i += 1 << 16) p[i] = 1; /* resident: 1/16 of its pages */
        offheap_free(p);
    }
    return NULL;
}

static void exited_threads_keep_no_huge_cache(void) {
    size_t before = rss_bytes();
    pthread_t t[16];
    for (int k = 0; k < 16; k++) pthread_create(&t[k], NULL, free_big_and_exit, NULL);
    for (int k = 0; k < 16; k++) pthread_join(t[k], NULL);
    offheap_stats_t s = process_stats();
    size_t after = rss_bytes();
    printf("  16 threads freed 200 MiB each and exited: %llu MiB mapped, RSS %+ld MiB, no gc\n",
           (unsigned long long)s.bytes_mapped >> 20, ((long)after - (long)before) >> 20);
    CHECK_EQ(atomic_load(&failures), 0);
    CHECK(s.bytes_mapped <= 256 * MiB); /* at most one cache budget, not 3.2 GiB */
    expect_process_empty();
}

/* ---- issue 9.8: live bytes fall, memory goes back without gc ---- */

static void freed_memory_returns_without_gc(void) {
    size_t base = rss_bytes();
    enum { N = 256 };
    char* p[N];
    for (int i = 0; i < N; i++) {
        p[i] = offheap_alloc(MiB);
        memset(p[i], 1, MiB);
    }
    char* huge[3];
    for (int i = 0; i < 3; i++) {
        huge[i] = offheap_alloc(64 * MiB);
        memset(huge[i], 1, 64 * MiB);
    }
    size_t peak = rss_bytes();
    for (int i = 0; i < N; i++) CHECK_EQ(offheap_free(p[i]), 0);
    for (int i = 0; i < 3; i++) CHECK_EQ(offheap_free(huge[i]), 0);
    /* further activity, no gc: small blocks come and go for 1.5 s */
    double end = now_s() + 1.5;
    while (now_s() < end) {
        char* q = offheap_alloc(256 << 10);
        q[0] = 1;
        offheap_free(q);
        usleep(1000);
    }
    size_t after = rss_bytes();
    offheap_stats_t s;
    offheap_stats(&s);
    printf("  RSS: %zu MiB at start, %zu at peak, %zu after 1.5 s of activity (mapped %llu MiB)\n", base >> 20,
           peak >> 20, after >> 20, (unsigned long long)s.bytes_mapped >> 20);
    CHECK(after <= base + 48 * MiB); /* retain budget and a pool's metadata, not the 448 MiB peak */
    CHECK(s.bytes_mapped <= 2 * OFFHEAP_POOL_SIZE);
    expect_process_empty();
}

/* ---- a thread that exits gives back its free pages at once ---- */

enum { EXIT_BLOCKS = 12, EXIT_BLOCK = 4 * MiB }; /* 48 MiB: two pools */
static char* exit_blocks[EXIT_BLOCKS];

static void* touch_free_and_exit(void* arg) {
    (void)arg;
    for (int i = 0; i < EXIT_BLOCKS; i++) {
        exit_blocks[i] = offheap_alloc(EXIT_BLOCK);
        if (!exit_blocks[i]) atomic_fetch_add(&failures, 1);
        else memset(exit_blocks[i], 1, EXIT_BLOCK);
    }
    for (int i = 0; i < EXIT_BLOCKS; i++) offheap_free(exit_blocks[i]);
    return NULL;
}

/* Resident bytes of [p, p + n) (a page that is no longer mapped counts 0). */
static size_t resident_in(const char* p, size_t n) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE), r = 0;
    unsigned char v;
    for (size_t off = 0; off < n; off += page)
        if (mincore((void*)(p + off), page, &v) == 0 && (v & 1)) r += page;
    return r;
}

/* A short-lived thread never reaches its first purge, and its heap waits
 * for adoption by another short-lived thread: without the purge at exit,
 * all 48 MiB stayed resident (mstress: 350 MiB at 8 threads). No gc here,
 * and this thread makes no allocation meanwhile. */
static void exited_thread_gives_back_free_pages(void) {
    pthread_t t;
    pthread_create(&t, NULL, touch_free_and_exit, NULL);
    pthread_join(t, NULL);
    CHECK_EQ(atomic_load(&failures), 0);
    size_t resident = 0;
    for (int i = 0; i < EXIT_BLOCKS; i++) resident += resident_in(exit_blocks[i], EXIT_BLOCK);
    printf("  a thread touched, freed and left %d MiB: %zu MiB still resident\n", EXIT_BLOCKS * 4, resident >> 20);
    CHECK(resident <= 8 * MiB); /* the retain budget (OFFHEAP_RETAIN_DEFAULT), not 48 MiB */
    expect_process_empty();
}

/* ---- a generation of threads takes over the heaps of the one before ---- */

enum { GENERATION = 12, GEN_BLOCKS = 64 };
static pthread_barrier_t gen_all_live, gen_counted;
static _Atomic long fresh_blocks; /* blocks whose page was not resident when handed out */

static int page_resident(const void* p) {
    unsigned char v = 0;
    return mincore((void*)((uintptr_t)p & ~(uintptr_t)4095), 4096, &v) == 0 && (v & 1);
}

/* Allocates and touches 64 pages while all its siblings are alive, waits
 * until the main thread has counted, frees and exits. */
static void* generation_member(void* arg) {
    (void)arg;
    char* blk[GEN_BLOCKS];
    for (int i = 0; i < GEN_BLOCKS; i++) {
        if (!(blk[i] = offheap_alloc(4096))) {
            atomic_fetch_add(&failures, 1);
            continue;
        }
        if (!page_resident(blk[i])) atomic_fetch_add(&fresh_blocks, 1);
        blk[i][0] = 1;
    }
    pthread_barrier_wait(&gen_all_live);
    pthread_barrier_wait(&gen_counted);
    for (int i = 0; i < GEN_BLOCKS; i++) offheap_free(blk[i]);
    return NULL;
}

/* Blocks a generation of threads got on pages never touched (or given back). */
static long run_generation(void) {
    pthread_t t[GENERATION];
    atomic_store(&fresh_blocks, 0);
    for (int k = 0; k < GENERATION; k++) pthread_create(&t[k], NULL, generation_member, NULL);
    pthread_barrier_wait(&gen_all_live);
    long fresh = atomic_load(&fresh_blocks);
    pthread_barrier_wait(&gen_counted);
    for (int k = 0; k < GENERATION; k++) pthread_join(t[k], NULL);
    return fresh;
}

/* Each new thread adopts one heap of an exited thread, with its resident
 * free pages, instead of mapping a pool and faulting in fresh pages. With a
 * backlog slack of 4 (remote.c), the first of 12 new threads took 8 of the
 * 12 pending heaps (and unmapped 7 of their empty pools), and 7 of its
 * siblings mapped fresh pools: about 450 of the 768 blocks were on fresh
 * pages (mstress: 2.5x mimalloc's page faults). */
static void new_threads_adopt_instead_of_mapping(void) {
    pthread_barrier_init(&gen_all_live, NULL, GENERATION + 1);
    pthread_barrier_init(&gen_counted, NULL, GENERATION + 1);
    long first = run_generation();
    long second = run_generation();
    pthread_barrier_destroy(&gen_all_live);
    pthread_barrier_destroy(&gen_counted);
    printf("  %d threads, %d pages each: %ld blocks on fresh pages; %d more threads: %ld\n", GENERATION, GEN_BLOCKS,
           first, GENERATION, second);
    CHECK_EQ(atomic_load(&failures), 0);
    CHECK(first >= GENERATION * GEN_BLOCKS * 3 / 4); /* fresh pools */
    CHECK(second <= first / 8);
    expect_process_empty();
}

/* ---- an exited thread's caches go to the thread that adopts its heap ---- */

enum { HANDED = 100, HANDED_SIZE = 1000 }; /* one bin (1 KiB), well within its cache */
static void* handed[HANDED];

static void* fill_cache_and_exit(void* arg) {
    (void)arg;
    for (int i = 0; i < HANDED; i++)
        if (!(handed[i] = offheap_alloc(HANDED_SIZE))) atomic_fetch_add(&failures, 1);
    for (int i = 0; i < HANDED; i++) offheap_free(handed[i]);
    return NULL;
}

static void* allocate_from_handed_cache(void* arg) {
    int* same = arg;
    void* got[HANDED];
    for (int i = 0; i < HANDED; i++) {
        got[i] = offheap_alloc(HANDED_SIZE);
        for (int k = 0; k < HANDED; k++) *same += got[i] == handed[k];
    }
    for (int i = 0; i < HANDED; i++) offheap_free(got[i]);
    return NULL;
}

/* Before: a thread's exit flushed its caches into runs, and the next thread
 * refilled its own from runs (larson with bleeding threads: a quarter of
 * its instructions). Now the cached blocks wait in the pending heap and
 * the new thread's first allocation adopts them. */
static void exited_threads_caches_go_to_the_adopter(void) {
    pthread_t t;
    pthread_create(&t, NULL, fill_cache_and_exit, NULL);
    pthread_join(t, NULL);
    offheap_stats_t s = process_stats();
    CHECK_EQ(s.heaps_pending, 1);
    CHECK(s.bytes_cached >= HANDED * 1024); /* kept for the adopter, not flushed */
    int same = 0;
    pthread_create(&t, NULL, allocate_from_handed_cache, &same);
    pthread_join(t, NULL);
    printf("  %d cached blocks left by an exited thread: the next thread got %d of them\n", HANDED, same);
    CHECK_EQ(atomic_load(&failures), 0);
    CHECK_EQ(same, HANDED);
    expect_process_empty();
}

/* ---- driver ---- */

static const named_test_t tests[] = {
    NAMED(owner_gc_races_remote_frees_of_big_blocks),
    NAMED(short_producers_long_consumer),
    NAMED(stale_frees_race_gc),
    NAMED(producer_consumer_of_every_size_runs_flat),
    NAMED(exited_threads_keep_no_huge_cache),
    NAMED(freed_memory_returns_without_gc),
    NAMED(exited_thread_gives_back_free_pages),
    NAMED(new_threads_adopt_instead_of_mapping),
    NAMED(exited_threads_caches_go_to_the_adopter),
};

int main(int argc, char** argv) {
    if (argc > 2) scale = (unsigned)atoi(argv[2]);
    return run_named(tests, sizeof tests / sizeof tests[0], argc, argv);
}
