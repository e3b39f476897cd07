/* beyond_ram.c -- the "beyond RAM" target: one allocation of 1.5x physical
 * memory on a machine without swap, every byte written, every byte read back.
 * Anonymous memory of that size is refused by the kernel (heuristic
 * overcommit), so offheap's "auto" policy serves it from a preallocated,
 * unlinked file in the swap directory.
 * Usage: bench_beyond_ram [factor=1.5] [swap-dir=/var/tmp]   (npm run bench:beyond-ram)
 * Needs factor x RAM of free disk in swap-dir; takes minutes (disk bound). */
#define _GNU_SOURCE
#include "offheap.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
    double factor = argc > 1 ? atof(argv[1]) : 1.5;
    const char* dir = argc > 2 ? argv[2] : "/var/tmp";
    size_t ram = (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
    size_t size = (size_t)((double)ram * factor) & ~(size_t)4095;
    offheap_config_t cfg = {.set = OFFHEAP_CFG_SWAP_DIR | OFFHEAP_CFG_SWAP_POLICY, .swap_dir = dir,
                            .swap_policy = OFFHEAP_SWAP_AUTO};
    if (offheap_configure(&cfg) != 0) return fprintf(stderr, "bad swap dir %s\n", dir), 2;

    fprintf(stderr, "RAM %.1f GiB, allocating %.1f GiB (%.2fx) with swap dir %s\n", ram / 1073741824.0,
            size / 1073741824.0, factor, dir);
    double t0 = now();
    uint64_t* p = offheap_alloc(size);
    if (!p) return fprintf(stderr, "allocation failed: %s\n", strerror(errno)), 1;
    double t1 = now();
    offheap_stats_t s;
    offheap_stats(&s);

    size_t words = size / 8;
    for (size_t i = 0; i < words; i++) p[i] = i * 0x9E3779B97F4A7C15ull;
    double t2 = now();
    size_t bad = 0;
    for (size_t i = 0; i < words; i++) bad += p[i] != i * 0x9E3779B97F4A7C15ull;
    double t3 = now();
    int freed = offheap_free(p);
    double t4 = now();

    printf("{\"ram_bytes\":%zu,\"bytes\":%zu,\"factor\":%.2f,\"file_backed_bytes\":%llu,\"alloc_s\":%.3f,"
           "\"write_s\":%.1f,\"write_gib_s\":%.2f,\"read_s\":%.1f,\"read_gib_s\":%.2f,\"free_s\":%.3f,"
           "\"mismatched_words\":%zu,\"free_result\":%d}\n",
           ram, size, factor, (unsigned long long)s.bytes_swap, t1 - t0, t2 - t1, size / 1073741824.0 / (t2 - t1),
           t3 - t2, size / 1073741824.0 / (t3 - t2), t4 - t3, bad, freed);
    return bad || freed || s.bytes_swap < size ? 1 : 0;
}
