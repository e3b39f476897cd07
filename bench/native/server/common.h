/*
 * common.h -- shared helpers of the server-style workloads (larson.c,
 * mstress.c, xmalloc.c). These are plain malloc/free programs: the driver runs
 * them under each allocator with LD_PRELOAD, as mimalloc-bench does, so the
 * same binary measures every contender.
 *
 * Every block is stamped when allocated (size, nonce and a check word in its
 * first 16 bytes, one byte written in every 4 KiB page so its pages are really
 * resident, the check's low byte in its last byte) and checked when freed: a
 * block handed out twice or overwritten by the allocator counts as corrupt, and
 * the program exits with status 3.
 */
#ifndef BENCH_SERVER_COMMON_H
#define BENCH_SERVER_COMMON_H

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* wyrand: fast, good enough for picking sizes and slots */
static inline uint64_t rng_next(uint64_t* s) {
    *s += 0xa0761d6478bd642full;
    __uint128_t m = (__uint128_t)(*s ^ 0xe7037ed1a0b428dbull) * (*s);
    return (uint64_t)(m >> 64) ^ (uint64_t)m;
}
/* uniform in [0, n) from 32 random bits, no division */
static inline uint32_t pick(uint32_t r32, uint32_t n) { return (uint32_t)(((uint64_t)r32 * n) >> 32); }

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline long rss_kib_now(void) { /* current resident set, from statm */
    FILE* f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    long size = 0, res = 0;
    if (fscanf(f, "%ld %ld", &size, &res) != 2) res = -1;
    fclose(f);
    return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static inline void die(const char* what) {
    fprintf(stderr, "%s (errno %d: %s)\n", what, errno, strerror(errno));
    exit(2);
}

/* zeroed memory for the workloads' own bookkeeping (slot arrays), from mmap so
 * it never goes through the allocator under test; never freed */
static inline void* bk_alloc(size_t bytes) {
    void* p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die("mmap");
    return p;
}

/* the shared object malloc resolved to: lets the driver check that the
 * LD_PRELOAD it asked for is the allocator that actually ran */
static inline const char* malloc_from(void) {
    Dl_info info;
    void* (*volatile fn)(size_t) = malloc;
    if (!dladdr((void*)fn, &info) || !info.dli_fname) return "unknown";
    const char* slash = strrchr(info.dli_fname, '/');
    return slash ? slash + 1 : info.dli_fname;
}

/* ---- stamped blocks -------------------------------------------------------- */

/* A block as the workloads pass it around: the pointer with a 16-bit nonce in
 * its top bits (user addresses fit in 47 bits). The block's header repeats the
 * nonce and its size, so a block the allocator hands out twice, or overwrites
 * while it is live, fails the check when one of its owners frees it. */
typedef uintptr_t blk_t;
#define BLK_MIN 16u
#define BLK_PTR(b) ((unsigned char*)((b) & ((1ull << 48) - 1)))

static _Atomic uint64_t g_corrupt;

static inline uint64_t blk_check(const void* p, uint64_t head) {
    return (head ^ (uint64_t)(uintptr_t)p) * 0x9e3779b97f4a7c15ull;
}

/* n >= BLK_MIN; touches every 4 KiB page, so RSS counts the whole block */
static inline blk_t blk_alloc(size_t n, uint64_t random) {
    unsigned char* p = malloc(n);
    if (!p) die("malloc failed");
    uint64_t nonce = random & 0xffff, head = ((uint64_t)n << 16) | nonce, check = blk_check(p, head);
    memcpy(p, &head, 8);
    memcpy(p + 8, &check, 8);
    for (size_t off = 4096; off < n; off += 4096) p[off] = (unsigned char)off;
    if (n > 16) p[n - 1] = (unsigned char)check;
    return (blk_t)p | (nonce << 48);
}

static inline void blk_free(blk_t b) {
    unsigned char* p = BLK_PTR(b);
    uint64_t head, check;
    memcpy(&head, p, 8);
    memcpy(&check, p + 8, 8);
    size_t n = (size_t)(head >> 16);
    if ((head & 0xffff) != (uint64_t)(b >> 48) || check != blk_check(p, head) || n < BLK_MIN ||
        (n > 16 && p[n - 1] != (unsigned char)check)) {
        atomic_fetch_add_explicit(&g_corrupt, 1, memory_order_relaxed);
        return; /* do not hand a damaged block back: the allocator may be the one that broke it */
    }
    free(p);
}

/* ---- RSS samples (taken by the main thread while workers run) --------------- */

#define MAX_SAMPLES 4096u
typedef struct { double t_ms; long rss_kib; } sample_t;
static sample_t g_samples[MAX_SAMPLES];
static unsigned g_nsamples;

static inline void add_sample(double t0) {
    if (g_nsamples < MAX_SAMPLES) {
        g_samples[g_nsamples].t_ms = (now_s() - t0) * 1e3;
        g_samples[g_nsamples].rss_kib = rss_kib_now();
        g_nsamples++;
    }
}

/* prints ,"rss_samples":[[t_ms,kib],...] with at most 64 evenly spaced points */
static inline void print_samples(void) {
    unsigned n = g_nsamples, step = n > 64 ? (n + 63) / 64 : 1;
    printf(",\"rss_samples\":[");
    for (unsigned i = 0; i < n; i += step) printf("%s[%.1f,%ld]", i ? "," : "", g_samples[i].t_ms, g_samples[i].rss_kib);
    if (n && (n - 1) % step) printf(",[%.1f,%ld]", g_samples[n - 1].t_ms, g_samples[n - 1].rss_kib);
    printf("]");
}

/* ---- options ------------------------------------------------------------------ */

/* parses "--name value" pairs into the matching entries; unknown names or bad
 * numbers print usage and exit 1 */
typedef struct { const char* name; double* value; double min, max; } opt_t;

static inline void parse_opts(int argc, char** argv, opt_t* opts, const char* usage) {
    for (int i = 1; i < argc; i += 2) {
        opt_t* o = opts;
        while (o->name && strcmp(o->name, argv[i])) o++;
        char* end = NULL;
        double v = i + 1 < argc ? strtod(argv[i + 1], &end) : 0;
        if (!o->name || i + 1 >= argc || end == argv[i + 1] || *end || v < o->min || v > o->max) {
            fprintf(stderr, "bad option %s\nusage: %s %s\n", argv[i], argv[0], usage);
            exit(1);
        }
        *o->value = v;
    }
}

/* the common tail of every report; ends the JSON object and picks the exit status */
static inline int finish_report(void) {
    uint64_t bad = atomic_load(&g_corrupt);
    printf(",\"corrupt\":%llu,\"rss_end_kib\":%ld}\n", (unsigned long long)bad, rss_kib_now());
    return bad ? 3 : 0;
}

#endif
