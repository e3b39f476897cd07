/*
 * harness.c -- native allocator benchmark, one executable per contender.
 *
 * The same source is compiled once per allocator with -DALLOC_OFFHEAP,
 * -DALLOC_MIMALLOC, -DALLOC_JEMALLOC or -DALLOC_GLIBC, so no contender
 * replaces malloc for another: each runs in its own process (bench/native/run.mjs
 * runs them interleaved and takes medians).
 *
 * Usage: bench_<contender> <workload> [--ops N] [--seed S] [--threads W]
 *        [--max-seconds T]   (prodcons only: stop producing after T s)
 *        workloads: small | large | prodcons | threads | fit
 * Prints exactly one JSON object on stdout.
 *
 *   small     same-thread churn: 10k live slots, free a random slot, allocate
 *             a random size in 16..4096 B into it, write 1 byte. 1 op = free+alloc.
 *   large     the same with sizes 16 B..1 MiB.
 *   prodcons  one producer thread allocates (16..4096 B, writes 1 byte) and
 *             pushes through a bounded SPSC ring; a consumer thread frees:
 *             100% cross-thread frees. The main thread samples RSS every 10 ms.
 *             1 op = one block produced and freed.
 *   threads   thread churn with hand-over: rounds of short-lived threads; each
 *             allocates blocks (16..4096 B) and swaps them into a shared array
 *             of 10k slots, freeing whatever block was there (allocated by
 *             another, usually exited, thread). RSS sampled after every round.
 *             1 op = alloc + swap + free.
 *   fit       memory fit: for each of four request-size distributions, keep
 *             1,000 live blocks, replace a random one per op, and sum the
 *             allocator's usable size of every block against the bytes
 *             requested (request-weighted block bytes / requested bytes).
 *             Usable size: offheap_usable_size, mi_usable_size, and
 *             malloc_usable_size (jemalloc's own in its executable, glibc's).
 *
 * Harness bookkeeping (slot arrays, ring, samples) is static, so it never goes
 * through the allocator under test. Sizes and indices use multiply-shift on a
 * 64-bit PRNG (no division); every contender sees the same sequence.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(ALLOC_OFFHEAP)
#include "offheap.h"
#define CONTENDER "offheap"
#define B_ALLOC(n) offheap_alloc(n)
#define B_FREE(p) offheap_free(p)
#define B_USABLE(p) offheap_usable_size(p)
#elif defined(ALLOC_MIMALLOC)
#include <mimalloc.h>
#define CONTENDER "mimalloc"
#define B_ALLOC(n) mi_malloc(n)
#define B_FREE(p) (mi_free(p), 0)
#define B_USABLE(p) mi_usable_size(p)
#elif defined(ALLOC_JEMALLOC)
#include <jemalloc/jemalloc.h>
#define CONTENDER "jemalloc"
#define B_ALLOC(n) malloc(n)
#define B_FREE(p) (free(p), 0)
#define B_USABLE(p) malloc_usable_size(p)
#elif defined(ALLOC_GLIBC)
#include <gnu/libc-version.h>
#include <malloc.h>
#define CONTENDER "glibc"
#define B_ALLOC(n) malloc(n)
#define B_FREE(p) (free(p), 0)
#define B_USABLE(p) malloc_usable_size(p)
#else
#error "define one of ALLOC_OFFHEAP, ALLOC_MIMALLOC, ALLOC_JEMALLOC, ALLOC_GLIBC"
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define SLOTS 10000u
#define RING 4096u /* power of two */
#define MAX_SAMPLES 8192u

/* ---- small utilities ---------------------------------------------------- */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* wyrand: fast, good enough for picking sizes and slots */
static inline uint64_t rng_next(uint64_t* s) {
    *s += 0xa0761d6478bd642full;
    __uint128_t m = (__uint128_t)(*s ^ 0xe7037ed1a0b428dbull) * (*s);
    return (uint64_t)(m >> 64) ^ (uint64_t)m;
}
/* uniform in [0, n) from 32 random bits, no division */
static inline uint32_t pick(uint32_t r32, uint32_t n) { return (uint32_t)(((uint64_t)r32 * n) >> 32); }

static long rss_kib_now(void) { /* current resident set, from statm (cheap) */
    static long page_kib = 0;
    if (!page_kib) page_kib = sysconf(_SC_PAGESIZE) / 1024;
    FILE* f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    long size = 0, res = 0;
    if (fscanf(f, "%ld %ld", &size, &res) != 2) res = -1;
    fclose(f);
    return res < 0 ? -1 : res * page_kib;
}

static long status_kib(const char* key) { /* VmHWM / VmRSS from /proc/self/status */
    FILE* f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static void die(const char* what) {
    fprintf(stderr, "bench_%s: %s (errno %d: %s)\n", CONTENDER, what, errno, strerror(errno));
    exit(2);
}

static _Atomic uint64_t g_free_errors; /* offheap_free returning non-zero: must stay 0 */

static inline void* b_alloc(size_t n) {
    void* p = B_ALLOC(n);
    if (UNLIKELY(!p)) die("allocation failed");
    return p;
}
static inline void b_free(void* p) {
    if (UNLIKELY(B_FREE(p) != 0)) atomic_fetch_add_explicit(&g_free_errors, 1, memory_order_relaxed);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
static inline void backoff(unsigned* spins) {
    if (++*spins < 128) cpu_relax();
    else sched_yield();
}

/* ---- RSS samples ---------------------------------------------------------- */

typedef struct { double t_ms; long rss_kib; } sample_t;
static sample_t g_samples[MAX_SAMPLES];
static unsigned g_nsamples;

static void add_sample(uint64_t t0) {
    if (g_nsamples < MAX_SAMPLES) {
        g_samples[g_nsamples].t_ms = (double)(now_ns() - t0) / 1e6;
        g_samples[g_nsamples].rss_kib = rss_kib_now();
        g_nsamples++;
    }
}

/* ---- workload: same-thread churn ---------------------------------------- */

static void* g_slots[SLOTS];

typedef struct {
    uint64_t ops;
    double seconds;
    long rss_live_kib; /* VmRSS with the live set still allocated */
} result_t;

static inline size_t rand_size(uint32_t r32, size_t lo, size_t hi) {
    return lo + pick(r32, (uint32_t)(hi - lo + 1));
}

static result_t run_churn(size_t lo, size_t hi, uint64_t ops, uint64_t seed) {
    uint64_t s = seed;
    for (unsigned i = 0; i < SLOTS; i++) {
        uint64_t r = rng_next(&s);
        char* p = b_alloc(rand_size((uint32_t)(r >> 32), lo, hi));
        p[0] = 1;
        g_slots[i] = p;
    }
    /* warm-up: a tenth of the run, untimed, so caches and pools reach steady state */
    uint64_t warm = ops / 10;
    for (uint64_t k = 0; k < warm; k++) {
        uint64_t r = rng_next(&s);
        uint32_t idx = pick((uint32_t)r, SLOTS);
        b_free(g_slots[idx]);
        char* p = b_alloc(rand_size((uint32_t)(r >> 32), lo, hi));
        p[0] = 1;
        g_slots[idx] = p;
    }
    uint64_t t0 = now_ns();
    for (uint64_t k = 0; k < ops; k++) {
        uint64_t r = rng_next(&s);
        uint32_t idx = pick((uint32_t)r, SLOTS);
        b_free(g_slots[idx]);
        char* p = b_alloc(rand_size((uint32_t)(r >> 32), lo, hi));
        p[0] = (char)k;
        g_slots[idx] = p;
    }
    uint64_t t1 = now_ns();
    result_t res = {ops, (double)(t1 - t0) / 1e9, status_kib("VmRSS")};
    for (unsigned i = 0; i < SLOTS; i++) {
        b_free(g_slots[i]);
        g_slots[i] = NULL;
    }
    return res;
}

/* ---- workload: producer / consumer --------------------------------------- */

typedef struct {
    _Alignas(64) _Atomic uint64_t head; /* written by producer */
    _Alignas(64) _Atomic uint64_t tail; /* written by consumer */
    _Alignas(64) void* buf[RING];
} ring_t;

static ring_t g_ring;
static uint64_t g_pc_ops, g_pc_seed;
static _Atomic int g_pc_done, g_pc_prod_done, g_pc_stop;
static uint64_t g_pc_consumed;
static double g_max_seconds = 0; /* prodcons: stop producing after this long (0: never) */

static void* producer_main(void* arg) {
    (void)arg;
    uint64_t s = g_pc_seed, head = 0, tail_cache = 0;
    for (uint64_t k = 0; k < g_pc_ops; k++) {
        if ((k & 1023) == 0 && atomic_load_explicit(&g_pc_stop, memory_order_relaxed)) break;
        uint64_t r = rng_next(&s);
        char* p = b_alloc(rand_size((uint32_t)(r >> 32), 16, 4096));
        p[0] = (char)k;
        if (head - tail_cache >= RING) {
            unsigned spins = 0;
            while (head - (tail_cache = atomic_load_explicit(&g_ring.tail, memory_order_acquire)) >= RING)
                backoff(&spins);
        }
        g_ring.buf[head & (RING - 1)] = p;
        head++;
        atomic_store_explicit(&g_ring.head, head, memory_order_release);
    }
    atomic_store_explicit(&g_pc_prod_done, 1, memory_order_release);
    return NULL;
}

static void* consumer_main(void* arg) {
    (void)arg;
    uint64_t tail = 0, head_cache = 0;
    for (;;) {
        if (tail == head_cache) {
            unsigned spins = 0;
            while (tail == (head_cache = atomic_load_explicit(&g_ring.head, memory_order_acquire))) {
                if (atomic_load_explicit(&g_pc_prod_done, memory_order_acquire) &&
                    tail == atomic_load_explicit(&g_ring.head, memory_order_acquire))
                    goto out;
                backoff(&spins);
            }
        }
        void* p = g_ring.buf[tail & (RING - 1)];
        tail++;
        atomic_store_explicit(&g_ring.tail, tail, memory_order_release);
        b_free(p);
    }
out:
    g_pc_consumed = tail;
    atomic_store_explicit(&g_pc_done, 1, memory_order_release);
    return NULL;
}

static result_t run_prodcons(uint64_t ops, uint64_t seed) {
    g_pc_ops = ops;
    g_pc_seed = seed;
    pthread_t prod, cons;
    uint64_t t0 = now_ns();
    add_sample(t0);
    if (pthread_create(&cons, NULL, consumer_main, NULL)) die("pthread_create");
    if (pthread_create(&prod, NULL, producer_main, NULL)) die("pthread_create");
    struct timespec tick = {0, 10 * 1000 * 1000};
    while (!atomic_load_explicit(&g_pc_done, memory_order_acquire)) {
        nanosleep(&tick, NULL);
        add_sample(t0);
        if (g_max_seconds > 0 && (double)(now_ns() - t0) / 1e9 > g_max_seconds)
            atomic_store_explicit(&g_pc_stop, 1, memory_order_relaxed);
    }
    pthread_join(prod, NULL);
    pthread_join(cons, NULL);
    uint64_t t1 = now_ns();
    add_sample(t0);
    result_t res = {g_pc_consumed, (double)(t1 - t0) / 1e9, status_kib("VmRSS")};
    return res;
}

/* ---- workload: thread churn with hand-over -------------------------------- */

static _Atomic(void*) g_hand[SLOTS];
typedef struct { uint64_t ops, seed; } churn_arg_t;

static void* churn_worker(void* arg) {
    churn_arg_t* a = arg;
    uint64_t s = a->seed;
    for (uint64_t k = 0; k < a->ops; k++) {
        uint64_t r = rng_next(&s);
        uint32_t idx = pick((uint32_t)r, SLOTS);
        char* p = b_alloc(rand_size((uint32_t)(r >> 32), 16, 4096));
        p[0] = (char)k;
        void* old = atomic_exchange_explicit(&g_hand[idx], p, memory_order_acq_rel);
        if (old) b_free(old);
    }
    return NULL; /* thread exits: its allocator state is handed over / torn down */
}

#define MAX_WORKERS 64
static result_t run_threads(uint64_t ops, uint64_t seed, unsigned workers) {
    if (workers < 1) workers = 1;
    if (workers > MAX_WORKERS) workers = MAX_WORKERS;
    const uint64_t per_thread = 5000; /* each short-lived thread does this many ops */
    uint64_t rounds = ops / (per_thread * workers);
    if (rounds < 2) rounds = 2;
    pthread_t tids[MAX_WORKERS];
    churn_arg_t args[MAX_WORKERS];
    uint64_t s = seed;
    uint64_t t0 = now_ns();
    add_sample(t0);
    for (uint64_t round = 0; round < rounds; round++) {
        for (unsigned w = 0; w < workers; w++) {
            args[w].ops = per_thread;
            args[w].seed = rng_next(&s);
            if (pthread_create(&tids[w], NULL, churn_worker, &args[w])) die("pthread_create");
        }
        for (unsigned w = 0; w < workers; w++) pthread_join(tids[w], NULL);
        add_sample(t0);
    }
    uint64_t t1 = now_ns();
    result_t res = {rounds * workers * per_thread, (double)(t1 - t0) / 1e9, status_kib("VmRSS")};
    for (unsigned i = 0; i < SLOTS; i++) {
        void* p = atomic_exchange(&g_hand[i], NULL);
        if (p) b_free(p);
    }
    return res;
}

/* ---- workload: memory fit ------------------------------------------------- */

#define FIT_SLOTS 1000u
enum { FIT_UNIFORM, FIT_POW2, FIT_POW2_HDR, FIT_SMALL, FIT_N };
static const char* const g_fit_names[FIT_N] = {"uniform_64_1m", "pow2_64_1m", "pow2_plus_header", "uniform_16_4096"};
static double g_fit[FIT_N];

static inline size_t fit_size(int dist, uint64_t r) {
    uint32_t lo = (uint32_t)r, hi = (uint32_t)(r >> 32);
    switch (dist) {
    case FIT_UNIFORM: return rand_size(lo, 64, 1u << 20);               /* 64 B..1 MiB, uniform */
    case FIT_POW2: return (size_t)1 << (6 + pick(lo, 15));              /* 2^6..2^20 */
    case FIT_POW2_HDR: return ((size_t)1 << (8 + pick(lo, 9))) + 8 * (1 + pick(hi, 34)); /* 2^8..2^16 + 8..272 B */
    default: return rand_size(lo, 16, 4096);                            /* 16 B..4 KiB, uniform */
    }
}

static result_t run_fit(uint64_t ops, uint64_t seed) {
    uint64_t t0 = now_ns(), total = 0;
    for (int d = 0; d < FIT_N; d++) {
        uint64_t s = seed + (uint64_t)d;
        double requested = 0, usable = 0;
        for (uint64_t k = 0; k < ops + FIT_SLOTS; k++) {
            uint64_t r = rng_next(&s);
            uint32_t idx = k < FIT_SLOTS ? (uint32_t)k : pick((uint32_t)(r >> 16), FIT_SLOTS);
            if (g_slots[idx]) b_free(g_slots[idx]);
            size_t n = fit_size(d, r);
            char* p = b_alloc(n);
            p[0] = 1;
            size_t u = B_USABLE(p);
            if (u < n) die("usable size smaller than the request");
            requested += (double)n;
            usable += (double)u;
            g_slots[idx] = p;
        }
        for (unsigned i = 0; i < FIT_SLOTS; i++) {
            b_free(g_slots[i]);
            g_slots[i] = NULL;
        }
        g_fit[d] = usable / requested;
        total += ops + FIT_SLOTS;
    }
    result_t res = {total, (double)(now_ns() - t0) / 1e9, status_kib("VmRSS")};
    return res;
}

/* ---- reporting ------------------------------------------------------------ */

static const char* allocator_version(char* buf, size_t n) {
#if defined(ALLOC_MIMALLOC)
    int v = mi_version();
    snprintf(buf, n, "%d.%d.%d", v / 100, (v / 10) % 10, v % 10);
#elif defined(ALLOC_JEMALLOC)
    const char* v = "?";
    size_t sz = sizeof v;
    if (mallctl("version", (void*)&v, &sz, NULL, 0) != 0) v = "unknown (mallctl failed: jemalloc not active?)";
    snprintf(buf, n, "%s", v);
#elif defined(ALLOC_GLIBC)
    snprintf(buf, n, "%s", gnu_get_libc_version());
#else
    snprintf(buf, n, "dev");
#endif
    return buf;
}

static void print_samples(void) {
    /* at most 64 points, evenly spaced over the recorded samples */
    unsigned n = g_nsamples, step = n > 64 ? (n + 63) / 64 : 1;
    printf(",\"rss_samples\":[");
    int first = 1;
    for (unsigned i = 0; i < n; i += step) {
        printf("%s[%.1f,%ld]", first ? "" : ",", g_samples[i].t_ms, g_samples[i].rss_kib);
        first = 0;
    }
    if (n && (n - 1) % step) printf("%s[%.1f,%ld]", first ? "" : ",", g_samples[n - 1].t_ms, g_samples[n - 1].rss_kib);
    printf("]");
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s small|large|prodcons|threads|fit [--ops N] [--seed S] [--threads W] [--max-seconds T]\n", argv[0]);
        return 1;
    }
    const char* wl = argv[1];
    uint64_t ops = 0, seed = 0x5eed1234abcdull;
    unsigned workers = 4;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--ops")) ops = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--max-seconds")) g_max_seconds = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--threads")) workers = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 1; }
    }
    result_t res;
    if (!strcmp(wl, "small")) res = run_churn(16, 4096, ops ? ops : 10000000, seed);
    else if (!strcmp(wl, "large")) res = run_churn(16, 1u << 20, ops ? ops : 1000000, seed);
    else if (!strcmp(wl, "prodcons")) res = run_prodcons(ops ? ops : 10000000, seed);
    else if (!strcmp(wl, "threads")) res = run_threads(ops ? ops : 4000000, seed, workers);
    else if (!strcmp(wl, "fit")) res = run_fit(ops ? ops : 200000, seed);
    else { fprintf(stderr, "unknown workload %s\n", wl); return 1; }

    char ver[128];
    double ns = res.seconds * 1e9 / (double)res.ops;
    printf("{\"contender\":\"%s\",\"version\":\"%s\",\"workload\":\"%s\",\"ops\":%llu,\"seconds\":%.6f,"
           "\"ns_per_op\":%.3f,\"mops\":%.3f,\"peak_rss_kib\":%ld,\"rss_live_kib\":%ld,\"rss_end_kib\":%ld,"
           "\"free_errors\":%llu",
           CONTENDER, allocator_version(ver, sizeof ver), wl, (unsigned long long)res.ops, res.seconds, ns,
           (double)res.ops / res.seconds / 1e6, status_kib("VmHWM"), res.rss_live_kib, status_kib("VmRSS"),
           (unsigned long long)atomic_load(&g_free_errors));
    if (g_nsamples) print_samples();
    if (!strcmp(wl, "fit")) {
        printf(",\"fit\":{");
        for (int d = 0; d < FIT_N; d++) printf("%s\"%s\":%.5f", d ? "," : "", g_fit_names[d], g_fit[d]);
        printf("}");
    }
#if defined(ALLOC_OFFHEAP)
    offheap_stats_t st;
    offheap_global_stats(&st);
    printf(",\"offheap_stats\":{\"alloc_count\":%llu,\"free_count\":%llu,\"bytes_live\":%llu,\"pool_count\":%llu,"
           "\"bytes_mapped\":%llu,\"huge_count\":%llu,\"remote_pending\":%llu,\"remote_frees\":%llu,"
           "\"bytes_cached\":%llu,\"heaps_live\":%llu,\"heaps_pending\":%llu}",
           (unsigned long long)st.alloc_count, (unsigned long long)st.free_count, (unsigned long long)st.bytes_live,
           (unsigned long long)st.pool_count, (unsigned long long)st.bytes_mapped, (unsigned long long)st.huge_count,
           (unsigned long long)st.remote_pending, (unsigned long long)st.remote_frees,
           (unsigned long long)st.bytes_cached, (unsigned long long)st.heaps_live,
           (unsigned long long)st.heaps_pending);
#endif
    printf("}\n");
    return 0;
}
