/*
 * mstress.c -- thread churn with object migration and varying lifetimes,
 * written from the published description of mimalloc-bench's mstress
 * ("simulates real-world server-like allocation patterns, using N threads with
 * allocations in powers of 2 where objects can migrate between threads and
 * some have long life times; not all threads have equal workloads and after
 * each phase all threads are destroyed and new threads created where some
 * objects survive between phases").
 *
 * --rounds phases; each starts --threads threads and joins them all. Worker i
 * of N does ops * 2(i+1)/(N+1) operations (unequal loads, same total). Each
 * operation allocates a block whose size is a power of two from 16 B to
 * 256 KiB, small ones more likely (each doubling 0.7 times as likely as the one
 * below: mean about 1.9 KiB), and then, by a random draw:
 *   - 70% keep it in the thread's own 1000-slot array, freeing the block that
 *     was there (short lifetime, same thread);
 *   - 25% swap it into the shared transfer array (--threads x 1000 slots),
 *     freeing the block found there: allocated by another thread, often one of
 *     an earlier phase (migration);
 *   - 5% swap it into the shared long-lived array (5000 slots), freeing the
 *     block found there (long lifetime, survives phases).
 * A thread frees what its own array holds when it ends. The transfer and
 * long-lived arrays survive the phases; the main thread frees them at the end.
 * The result is the time of all phases (lower is better); RSS is sampled after
 * every phase.
 *
 * Usage: bench_mstress [--threads 2] [--rounds 10] [--ops 200000] [--seed 1]
 * Prints one JSON line.
 */
#include "common.h"

#define MAX_THREADS 256
#define LOCAL_SLOTS 1000u
#define TRANSFER_PER_THREAD 1000u
#define LONG_SLOTS 5000u

static _Atomic blk_t* g_transfer;
static unsigned g_transfer_slots;
static _Atomic blk_t g_long[LONG_SLOTS];

typedef struct {
    uint64_t ops, rng;
    blk_t* local;
} worker_t;

/* 16 B << k, k = 0..14 (256 KiB), P(k) proportional to 0.7^k: g_cut[k] is
 * the cumulative probability scaled to 2^32 */
#define SIZE_CLASSES 15
static uint64_t g_cut[SIZE_CLASSES];

static void init_sizes(void) {
    double w = 1, sum = 0, acc = 0;
    for (int k = 0; k < SIZE_CLASSES; k++, w *= 0.7) sum += w;
    w = 1;
    for (int k = 0; k < SIZE_CLASSES; k++, w *= 0.7) {
        acc += w;
        g_cut[k] = (uint64_t)(acc / sum * 4294967296.0);
    }
    g_cut[SIZE_CLASSES - 1] = 1ull << 32;
}

static inline size_t pow2_size(uint32_t r32) {
    unsigned k = 0;
    while (r32 >= g_cut[k]) k++;
    return (size_t)16 << k;
}

static void* worker(void* arg) {
    worker_t* w = arg;
    for (uint64_t i = 0; i < w->ops; i++) {
        uint64_t r = rng_next(&w->rng), r2 = rng_next(&w->rng);
        blk_t b = blk_alloc(pow2_size((uint32_t)r), r >> 48);
        uint32_t where = pick((uint32_t)r2, 100), slot = (uint32_t)(r2 >> 32);
        blk_t old;
        if (where < 70) {
            unsigned s = pick(slot, LOCAL_SLOTS);
            old = w->local[s];
            w->local[s] = b;
        } else if (where < 95) {
            old = atomic_exchange_explicit(&g_transfer[pick(slot, g_transfer_slots)], b, memory_order_acq_rel);
        } else {
            old = atomic_exchange_explicit(&g_long[pick(slot, LONG_SLOTS)], b, memory_order_acq_rel);
        }
        if (old) blk_free(old);
    }
    for (unsigned s = 0; s < LOCAL_SLOTS; s++)
        if (w->local[s]) blk_free(w->local[s]), w->local[s] = 0;
    return NULL;
}

int main(int argc, char** argv) {
    double threads = 2, rounds = 10, ops = 200000, seed = 1;
    opt_t opts[] = {{"--threads", &threads, 1, MAX_THREADS}, {"--rounds", &rounds, 1, 1e6},
                    {"--ops", &ops, 1, 1e12}, {"--seed", &seed, 0, 1e18}, {NULL, NULL, 0, 0}};
    parse_opts(argc, argv, opts, "[--threads 2] [--rounds 10] [--ops 200000] [--seed 1]");
    unsigned nt = (unsigned)threads, nr = (unsigned)rounds;
    init_sizes();
    g_transfer_slots = nt * TRANSFER_PER_THREAD;
    g_transfer = bk_alloc(g_transfer_slots * sizeof(blk_t));
    static worker_t workers[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    for (unsigned t = 0; t < nt; t++) workers[t].local = bk_alloc(LOCAL_SLOTS * sizeof(blk_t));

    uint64_t s = (uint64_t)seed, total = 0;
    double t0 = now_s();
    add_sample(t0);
    for (unsigned round = 0; round < nr; round++) {
        for (unsigned t = 0; t < nt; t++) {
            workers[t].ops = (uint64_t)(ops * 2.0 * (t + 1) / (nt + 1));
            workers[t].rng = rng_next(&s);
            total += workers[t].ops;
            if (pthread_create(&tids[t], NULL, worker, &workers[t])) die("pthread_create");
        }
        for (unsigned t = 0; t < nt; t++) pthread_join(tids[t], NULL);
        add_sample(t0);
    }
    double t1 = now_s();
    for (unsigned i = 0; i < g_transfer_slots; i++)
        if (g_transfer[i]) blk_free(g_transfer[i]);
    for (unsigned i = 0; i < LONG_SLOTS; i++)
        if (g_long[i]) blk_free(g_long[i]);

    printf("{\"workload\":\"mstress\",\"malloc_from\":\"%s\",\"threads\":%u,\"rounds\":%u,\"ops\":%llu,"
           "\"seconds\":%.6f,\"mops\":%.4f",
           malloc_from(), nt, nr, (unsigned long long)total, t1 - t0, (double)total / (t1 - t0) / 1e6);
    print_samples();
    return finish_report();
}
