/*
 * xmalloc.c -- producer/consumer allocation, written from the published
 * description of xmalloc-test (Lever and Boreham, "malloc() Performance in a
 * Multithreaded Linux Environment", 2000; run by mimalloc-bench): threads that
 * only allocate hand their blocks to threads that only free them, so every
 * free is a cross-thread free and the producers' caches never see their
 * blocks come back.
 *
 * --threads N starts N/2 producers and N/2 consumers (N even). A producer
 * allocates blocks of mixed sizes up to 64 KiB (each doubling from 16 B to
 * 64 KiB equally likely, uniform within it: most blocks are small, most bytes
 * are in big ones), fills a batch of 64 and pushes it on a queue; there are
 * 32 batches plus one per producer, so at most about 2,100 blocks are in
 * flight (about 17 MiB with 1 producer); a consumer pops a batch and
 * frees it. After --seconds the producers stop and the consumers drain the
 * queue. The result is frees per second; the main thread samples RSS every
 * 10 ms, and since the in-flight set is bounded, RSS must stay flat.
 *
 * Usage: bench_xmalloc [--threads 2] [--seconds 3] [--seed 1]
 * Prints one JSON line.
 */
#include "common.h"

#define MAX_THREADS 256
#define BATCH 64u
#define QUEUE 32u /* batches, plus one per producer: all can be in flight */
#define RING (QUEUE + MAX_THREADS)

typedef struct { blk_t blk[BATCH]; } batch_t;

/* bounded queue of full batches plus a stack of empty ones, under one mutex:
 * one lock round trip per 64 blocks, so the allocator dominates */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    batch_t* full[RING];
    unsigned head, count;
    batch_t* empty[RING];
    unsigned n_empty;
    int producers_left;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, {0}, 0, 0};

static _Atomic int g_stop;

/* 16 B..64 KiB: doubling e in 4..15 uniform, then uniform inside [2^e, 2^(e+1)] */
static inline size_t mixed_size(uint64_t r) {
    unsigned e = 4 + pick((uint32_t)r, 12);
    return ((size_t)1 << e) + pick((uint32_t)(r >> 32), (1u << e) + 1);
}

static void* producer(void* arg) {
    uint64_t rng = (uint64_t)(uintptr_t)arg;
    for (;;) {
        pthread_mutex_lock(&q.lock);
        while (q.n_empty == 0) pthread_cond_wait(&q.not_full, &q.lock);
        batch_t* b = q.empty[--q.n_empty];
        pthread_mutex_unlock(&q.lock);

        int stop = atomic_load_explicit(&g_stop, memory_order_relaxed);
        for (unsigned i = 0; i < BATCH; i++) {
            uint64_t r = rng_next(&rng);
            b->blk[i] = stop ? 0 : blk_alloc(mixed_size(r), r >> 20);
        }

        pthread_mutex_lock(&q.lock);
        if (stop) {
            q.empty[q.n_empty++] = b;
            q.producers_left--;
            pthread_cond_broadcast(&q.not_empty);
            pthread_mutex_unlock(&q.lock);
            return NULL;
        }
        q.full[(q.head + q.count++) % RING] = b;
        pthread_cond_signal(&q.not_empty);
        pthread_mutex_unlock(&q.lock);
    }
}

static void* consumer(void* arg) {
    uint64_t* freed = arg;
    for (;;) {
        pthread_mutex_lock(&q.lock);
        while (q.count == 0 && q.producers_left > 0) pthread_cond_wait(&q.not_empty, &q.lock);
        if (q.count == 0) {
            pthread_mutex_unlock(&q.lock);
            return NULL;
        }
        batch_t* b = q.full[q.head];
        q.head = (q.head + 1) % RING;
        q.count--;
        pthread_mutex_unlock(&q.lock);

        for (unsigned i = 0; i < BATCH; i++) blk_free(b->blk[i]);
        *freed += BATCH;

        pthread_mutex_lock(&q.lock);
        q.empty[q.n_empty++] = b;
        pthread_cond_signal(&q.not_full);
        pthread_mutex_unlock(&q.lock);
    }
}

int main(int argc, char** argv) {
    double threads = 2, seconds = 3, seed = 1;
    opt_t opts[] = {{"--threads", &threads, 2, MAX_THREADS}, {"--seconds", &seconds, 0.01, 3600},
                    {"--seed", &seed, 0, 1e18}, {NULL, NULL, 0, 0}};
    parse_opts(argc, argv, opts, "[--threads 2] [--seconds 3] [--seed 1]");
    unsigned nt = (unsigned)threads;
    if (nt % 2) {
        fprintf(stderr, "--threads must be even (half producers, half consumers)\n");
        return 1;
    }
    unsigned np = nt / 2;
    /* one more batch per producer, so a stopping producer never waits */
    batch_t* batches = bk_alloc((QUEUE + np) * sizeof(batch_t));
    for (unsigned i = 0; i < QUEUE + np; i++) q.empty[q.n_empty++] = &batches[i];
    q.producers_left = (int)np;

    static uint64_t freed[MAX_THREADS][8]; /* one cache line each */
    pthread_t tids[MAX_THREADS];
    uint64_t s = (uint64_t)seed;
    double t0 = now_s();
    add_sample(t0);
    for (unsigned t = 0; t < np; t++)
        if (pthread_create(&tids[t], NULL, consumer, freed[t])) die("pthread_create");
    for (unsigned t = 0; t < np; t++)
        if (pthread_create(&tids[np + t], NULL, producer, (void*)(uintptr_t)(rng_next(&s) | 1))) die("pthread_create");
    struct timespec tick = {0, 10 * 1000 * 1000};
    while (now_s() - t0 < seconds) {
        nanosleep(&tick, NULL);
        add_sample(t0);
    }
    atomic_store(&g_stop, 1);
    for (unsigned t = 0; t < nt; t++) pthread_join(tids[t], NULL);
    double t1 = now_s();
    add_sample(t0);

    uint64_t total = 0;
    for (unsigned t = 0; t < np; t++) total += freed[t][0];
    printf("{\"workload\":\"xmalloc\",\"malloc_from\":\"%s\",\"threads\":%u,\"ops\":%llu,\"seconds\":%.6f,"
           "\"mops\":%.4f",
           malloc_from(), nt, (unsigned long long)total, t1 - t0, (double)total / (t1 - t0) / 1e6);
    print_samples();
    return finish_report();
}
