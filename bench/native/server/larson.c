/*
 * larson.c -- server churn with "bleeding" threads, written from the published
 * description of the Larson & Krishnan benchmark ("Memory Allocation for
 * Long-Running Server Applications", ISMM 1998) as mimalloc-bench runs it.
 *
 * The main thread allocates a window of --slots blocks for each of --threads
 * workers. Each worker repeatedly frees a random slot of its window and puts a
 * newly allocated block of a random size in --min..--max bytes there. After
 * --lifetime such operations it starts a successor thread that inherits the
 * window (and so frees blocks the exited thread allocated) and exits. After
 * --seconds the main thread stops the chains; throughput = operations (one
 * free + one malloc) per second over all threads.
 *
 * Usage: bench_larson [--threads 2] [--seconds 3] [--slots 5000] [--min 16]
 *                     [--max 1000] [--lifetime 10000] [--seed 1]
 * Prints one JSON line.
 */
#include "common.h"

#define MAX_THREADS 256

typedef struct {
    blk_t* window;
    unsigned slots;
    uint64_t rng, ops, generations;
} chain_t;

static size_t g_min, g_max;
static uint64_t g_lifetime;
static _Atomic int g_stop, g_running;
static pthread_attr_t g_detached;

static void* worker(void* arg) {
    chain_t* c = arg;
    uint64_t done = 0;
    while (done < g_lifetime) {
        if ((done & 63) == 0 && atomic_load_explicit(&g_stop, memory_order_relaxed)) break;
        uint64_t r = rng_next(&c->rng);
        unsigned slot = pick((uint32_t)r, c->slots);
        blk_free(c->window[slot]);
        c->window[slot] = blk_alloc(g_min + pick((uint32_t)(r >> 32), (uint32_t)(g_max - g_min + 1)), r >> 16);
        done++;
    }
    c->ops += done;
    if (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        /* bleed: a new thread takes the window over; this one exits */
        c->generations++;
        pthread_t next;
        if (pthread_create(&next, &g_detached, worker, c) == 0) return NULL;
        die("pthread_create");
    }
    atomic_fetch_sub_explicit(&g_running, 1, memory_order_release);
    return NULL;
}

int main(int argc, char** argv) {
    double threads = 2, seconds = 3, slots = 5000, min = 16, max = 1000, lifetime = 10000, seed = 1;
    opt_t opts[] = {{"--threads", &threads, 1, MAX_THREADS}, {"--seconds", &seconds, 0.01, 3600},
                    {"--slots", &slots, 1, 1e7}, {"--min", &min, BLK_MIN, 1 << 30}, {"--max", &max, BLK_MIN, 1 << 30},
                    {"--lifetime", &lifetime, 1, 1e12}, {"--seed", &seed, 0, 1e18}, {NULL, NULL, 0, 0}};
    parse_opts(argc, argv, opts, "[--threads 2] [--seconds 3] [--slots 5000] [--min 16] [--max 1000] [--lifetime 10000] [--seed 1]");
    if (max < min) {
        fprintf(stderr, "--max must be >= --min\n");
        return 1;
    }
    g_min = (size_t)min;
    g_max = (size_t)max;
    g_lifetime = (uint64_t)lifetime;
    unsigned nt = (unsigned)threads, ns = (unsigned)slots;
    pthread_attr_init(&g_detached);
    pthread_attr_setdetachstate(&g_detached, PTHREAD_CREATE_DETACHED);

    /* the windows are bookkeeping, not part of the measured allocations */
    static chain_t chains[MAX_THREADS];
    uint64_t s = (uint64_t)seed;
    for (unsigned t = 0; t < nt; t++) {
        chains[t].slots = ns;
        chains[t].rng = rng_next(&s);
        chains[t].window = bk_alloc(ns * sizeof(blk_t));
        for (unsigned i = 0; i < ns; i++) {
            uint64_t r = rng_next(&s);
            chains[t].window[i] = blk_alloc(g_min + pick((uint32_t)(r >> 32), (uint32_t)(g_max - g_min + 1)), r);
        }
    }

    double t0 = now_s();
    add_sample(t0);
    atomic_store(&g_running, (int)nt);
    for (unsigned t = 0; t < nt; t++) {
        pthread_t tid;
        if (pthread_create(&tid, &g_detached, worker, &chains[t])) die("pthread_create");
    }
    struct timespec tick = {0, 20 * 1000 * 1000};
    while (now_s() - t0 < seconds) {
        nanosleep(&tick, NULL);
        add_sample(t0);
    }
    atomic_store(&g_stop, 1);
    while (atomic_load_explicit(&g_running, memory_order_acquire) > 0) nanosleep(&tick, NULL);
    double t1 = now_s();

    uint64_t ops = 0, gens = 0;
    for (unsigned t = 0; t < nt; t++) {
        ops += chains[t].ops;
        gens += chains[t].generations;
        for (unsigned i = 0; i < ns; i++) blk_free(chains[t].window[i]);
    }
    printf("{\"workload\":\"larson\",\"malloc_from\":\"%s\",\"threads\":%u,\"ops\":%llu,\"seconds\":%.6f,"
           "\"mops\":%.4f,\"thread_generations\":%llu",
           malloc_from(), nt, (unsigned long long)ops, t1 - t0, (double)ops / (t1 - t0) / 1e6,
           (unsigned long long)gens);
    print_samples();
    return finish_report();
}
