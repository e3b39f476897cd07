/* test_threads.c -- real pthreads: cross-thread frees, producer/consumer in
 * bounded memory, 10,000-thread churn with hand-over, concurrent double
 * frees, frees racing their owner's exit. Usage: test_threads [scale%]
 * (the sanitizer builds run it smaller). */
#define _GNU_SOURCE
#include "check.h"
#include "introspect.h"
#include "offheap.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned scale = 100; /* percent of the full workload */
#define SCALED(n) ((unsigned long)(n) * scale / 100 ? (unsigned long)(n) * scale / 100 : 1)

/* ---- blocks that carry their own size and a pattern from their address ---- */

static uint64_t rnd(uint64_t* s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void* make_block(uint64_t* rng) {
    size_t size = 16 + rnd(rng) % 4096;
    if (rnd(rng) % 64 == 0) size = 4096 + rnd(rng) % (512 << 10);
    uint8_t* p = offheap_alloc(size);
    if (!p) return NULL;
    memcpy(p, &size, 8);
    for (size_t i = 8; i < size; i += 61) p[i] = (uint8_t)((uintptr_t)p >> 6) + (uint8_t)i;
    p[size - 1] = 0xEE;
    return p;
}

static int block_intact(const uint8_t* p) {
    size_t size;
    memcpy(&size, p, 8);
    if (size < 16 || size > 4096 + (512 << 10)) return 0;
    for (size_t i = 8; i < size - 1; i += 61)
        if (p[i] != (uint8_t)((uint8_t)((uintptr_t)p >> 6) + (uint8_t)i)) return 0;
    return p[size - 1] == 0xEE;
}

static _Atomic unsigned long bad;
static void free_checked(void* p) {
    if (!block_intact(p)) atomic_fetch_add(&bad, 1);
    if (offheap_free(p) != 0) atomic_fetch_add(&bad, 1);
}

static void expect_process_empty(void) {
    offheap_gc();
    offheap_stats_t s;
    offheap_global_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
    CHECK_EQ(s.alloc_count, s.free_count);
    CHECK_EQ(s.remote_pending, 0); /* exact, also after owner/non-owner double frees */
    CHECK_EQ(s.heaps_pending, 0);
    CHECK_EQ(s.huge_count, 0);
    CHECK(heap_fully_coalesced());
    printf("  after gc: %llu pools, %llu MiB mapped, %llu heaps live\n", (unsigned long long)s.pool_count,
           (unsigned long long)s.bytes_mapped >> 20, (unsigned long long)s.heaps_live);
}

/* ---- 1. N threads, shared slots: most frees are of other threads' blocks ---- */

#define SLOTS 4096
static void* _Atomic slots[SLOTS];

static void* swap_worker(void* arg) {
    uint64_t rng = (uintptr_t)arg * 7919 + 13;
    unsigned long ops = SCALED(200000);
    for (unsigned long i = 0; i < ops; i++) {
        void* fresh = rnd(&rng) % 8 ? make_block(&rng) : NULL;
        void* old = atomic_exchange(&slots[rnd(&rng) % SLOTS], fresh);
        if (old) free_checked(old);
        if (i % 50000 == 49999) offheap_gc();
    }
    if ((uintptr_t)arg % 2) offheap_thread_detach(); /* the others exit via the destructor */
    return NULL;
}

static void cross_thread_frees_keep_every_block_intact(void) {
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++) pthread_create(&t[i], NULL, swap_worker, (void*)(i + 1));
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < SLOTS; i++) {
        void* p = atomic_exchange(&slots[i], NULL);
        if (p) free_checked(p);
    }
    CHECK_EQ(atomic_load(&bad), 0);
    expect_process_empty();
}

/* ---- 2. producer/consumer: 100% cross-thread frees, memory must plateau ---- */

#define RING 1024
static void* _Atomic ring[RING];
static _Atomic int stop;

static void* producer(void* arg) {
    uint64_t rng = 99;
    for (unsigned long i = 0; !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
        void* p = make_block(&rng);
        void* _Atomic* slot = &ring[i % RING];
        while (atomic_load_explicit(slot, memory_order_acquire))
            if (atomic_load_explicit(&stop, memory_order_relaxed)) return p ? (offheap_free(p), NULL) : NULL;
        atomic_store_explicit(slot, p, memory_order_release);
    }
    return NULL;
}

static _Atomic unsigned long consumed;
static void* consumer(void* arg) {
    for (unsigned long i = 0;; i++) {
        void* _Atomic* slot = &ring[i % RING];
        void* p;
        while (!(p = atomic_exchange_explicit(slot, NULL, memory_order_acquire)))
            if (atomic_load_explicit(&stop, memory_order_relaxed)) return NULL;
        free_checked(p);
        atomic_fetch_add_explicit(&consumed, 1, memory_order_relaxed);
    }
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void producer_consumer_runs_in_bounded_memory(void) {
    pthread_t p, c;
    atomic_store(&stop, 0);
    pthread_create(&p, NULL, producer, NULL);
    pthread_create(&c, NULL, consumer, NULL);
    long run_ms = 300 + 30 * (long)scale; /* 3.3 s at full scale */
    uint64_t early = 0, late = 0;
    for (long t = 0; t < run_ms; t += 50) {
        sleep_ms(50);
        offheap_stats_t s;
        offheap_global_stats(&s);
        if (t < run_ms / 3) early = s.bytes_mapped > early ? s.bytes_mapped : early;
        else late = s.bytes_mapped > late ? s.bytes_mapped : late;
    }
    atomic_store(&stop, 1);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    for (int i = 0; i < RING; i++) {
        void* q = atomic_exchange(&ring[i], NULL);
        if (q) free_checked(q);
    }
    printf("  producer/consumer: %lu blocks, mapped early %llu MiB, late %llu MiB\n", atomic_load(&consumed),
           (unsigned long long)early >> 20, (unsigned long long)late >> 20);
    CHECK(atomic_load(&consumed) > SCALED(10000)); /* it really ran (sanitizer builds are slower) */
    CHECK(late <= early + OFFHEAP_POOL_SIZE); /* a plateau, not a ramp */
    CHECK(late <= 8 * OFFHEAP_POOL_SIZE);
    CHECK_EQ(atomic_load(&bad), 0);
    expect_process_empty();
}

/* ---- 3. thread churn: 10,000 short-lived threads handing blocks around ---- */

static void* churn_worker(void* arg) {
    uint64_t rng = (uintptr_t)arg * 2654435761u + 1;
    void* mine[20];
    for (int i = 0; i < 20; i++) mine[i] = make_block(&rng);
    for (int i = 0; i < 5; i++) free_checked(mine[i]);           /* free some at once */
    for (int i = 5; i < 15; i++) {                                 /* hand some over */
        void* old = atomic_exchange(&slots[rnd(&rng) % SLOTS], mine[i]);
        if (old) free_checked(old);                                /* another thread's block */
    }
    for (int i = 15; i < 20; i++) free_checked(mine[i]);
    if ((uintptr_t)arg % 2) offheap_thread_detach();
    return NULL;
}

static void thread_churn_leaks_nothing(void) {
    unsigned long n = SCALED(10000);
    for (unsigned long i = 0; i < n; i += 4) {
        pthread_t t[4];
        for (uintptr_t k = 0; k < 4; k++) pthread_create(&t[k], NULL, churn_worker, (void*)(i + k + 1));
        for (int k = 0; k < 4; k++) pthread_join(t[k], NULL);
    }
    offheap_stats_t s;
    offheap_global_stats(&s);
    printf("  churn: %lu threads, %llu heaps pending, %llu MiB mapped, ids used %u\n", n,
           (unsigned long long)s.heaps_pending, (unsigned long long)s.bytes_mapped >> 20, heap_id_limit());
    CHECK(s.bytes_mapped <= 16 * OFFHEAP_POOL_SIZE); /* no pool kept per dead thread */
    CHECK(heap_id_limit() <= 32);                    /* ids are reused */
    for (int i = 0; i < SLOTS; i++) {
        void* p = atomic_exchange(&slots[i], NULL);
        if (p) free_checked(p);
    }
    CHECK_EQ(atomic_load(&bad), 0);
    expect_process_empty();
    offheap_global_stats(&s);
    CHECK(s.bytes_mapped <= 2 * OFFHEAP_POOL_SIZE);
}

/* ---- 4. concurrent double free ----
 * Two non-owner threads: the state CAS lets exactly one win. The owner racing
 * a non-owner: the owner's free is a plain store (no RMW on the fast path),
 * so in a truly simultaneous race both may return 0; the block is still freed
 * once and the heap stays consistent (checked after the rounds). */

static void* _Atomic target;
static _Atomic unsigned round_no, arrived, wins, losses;

static void* racer(void* arg) {
    unsigned rounds = (unsigned)(uintptr_t)arg;
    for (unsigned r = 1; r <= rounds; r++) {
        while (atomic_load(&round_no) != r) sched_yield();
        atomic_fetch_add(&arrived, 1);
        while (atomic_load(&arrived) < 3) {} /* main + 2 racers line up */
        void* p = atomic_load(&target);
        if (offheap_free(p) == 0) atomic_fetch_add(&wins, 1);
        else atomic_fetch_add(&losses, 1);
    }
    return NULL;
}

static void concurrent_double_free_is_detected(void) {
    unsigned rounds = (unsigned)SCALED(2000);
    pthread_t a, b;
    pthread_create(&a, NULL, racer, (void*)(uintptr_t)rounds);
    pthread_create(&b, NULL, racer, (void*)(uintptr_t)rounds);
    unsigned main_wins = 0, bad_rounds = 0, both_won = 0;
    for (unsigned r = 1; r <= rounds; r++) {
        atomic_store(&wins, 0);
        atomic_store(&losses, 0);
        atomic_store(&arrived, 0);
        atomic_store(&target, offheap_alloc(64 + (r % 3) * 1000));
        atomic_store(&round_no, r);
        atomic_fetch_add(&arrived, 1);
        while (atomic_load(&arrived) < 3) {}
        int mine = r % 2 ? offheap_free(atomic_load(&target)) == 0 : -1; /* odd rounds: the owner races too */
        while (atomic_load(&wins) + atomic_load(&losses) < 2) {}
        unsigned total = atomic_load(&wins) + (mine == 1);
        main_wins += mine == 1;
        if (mine == -1 ? total != 1 : total < 1) bad_rounds++;
        if (mine != -1 && total == 2) both_won++;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("  double free: %u rounds, owner won %u, owner and another both won %u\n", rounds, main_wins, both_won);
    CHECK_EQ(bad_rounds, 0);
    expect_process_empty();
    /* the heap is sound: a model-checked burst of work on it */
    uint64_t rng = 3;
    void* keep[256];
    for (int i = 0; i < 256; i++) keep[i] = make_block(&rng);
    for (int i = 0; i < 256; i++) free_checked(keep[i]);
    CHECK_EQ(atomic_load(&bad), 0);
    expect_process_empty();
}

/* ---- 5. frees racing their owner's exit are never lost ---- */

#define HANDED 1000
static void* _Atomic handed[HANDED];
static _Atomic int published;

static void* short_owner(void* arg) {
    uint64_t rng = 5;
    for (int i = 0; i < HANDED; i++) atomic_store(&handed[i], make_block(&rng));
    atomic_store(&published, 1);
    return NULL; /* exits while the others free: thread-exit destructor */
}

static void* late_freer(void* arg) {
    while (!atomic_load(&published)) sched_yield();
    for (int i = (int)(uintptr_t)arg; i < HANDED; i += 2) free_checked(atomic_exchange(&handed[i], NULL));
    return NULL;
}

static void frees_racing_owner_exit_are_not_lost(void) {
    for (int round = 0; round < (int)SCALED(50); round++) {
        atomic_store(&published, 0);
        pthread_t o, f1, f2;
        pthread_create(&f1, NULL, late_freer, (void*)0);
        pthread_create(&f2, NULL, late_freer, (void*)1);
        pthread_create(&o, NULL, short_owner, NULL);
        pthread_join(o, NULL);
        pthread_join(f1, NULL);
        pthread_join(f2, NULL);
    }
    CHECK_EQ(atomic_load(&bad), 0);
    expect_process_empty();
}

int main(int argc, char** argv) {
    if (argc > 1) scale = (unsigned)atoi(argv[1]);
    RUN(cross_thread_frees_keep_every_block_intact);
    RUN(producer_consumer_runs_in_bounded_memory);
    RUN(thread_churn_leaks_nothing);
    RUN(concurrent_double_free_is_detected);
    RUN(frees_racing_owner_exit_are_not_lost);
    return CHECK_SUMMARY();
}
