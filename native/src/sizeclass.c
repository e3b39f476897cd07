/* sizeclass.c -- the bin tables (see sizeclass.h). */
#include "sizeclass.h"
#include "config.h"

#include <pthread.h>

bin_info_t bin_table[BIN_COUNT];
uint8_t bin_by_granule[BIN_SMALL_MAX / 64 + 1];
uint8_t bin_by_page[BIN_MAX / 4096];

static unsigned order_up(size_t n) { return n <= 64 ? 6 : 64 - (unsigned)__builtin_clzll((unsigned long long)(n - 1)); }

/* The smallest run order (4..256 KiB) with at least min_slots slots whose
 * slack after the last whole slot is at most 1/32, keeping at most 64 slots
 * (one word of free bits). Powers of two have no slack at any order: they
 * ask for 16 slots, so a run is not taken and given back every few blocks. */
static unsigned pick_run_order(uint32_t size, unsigned min_slots) {
    for (unsigned r = RUN_MIN_ORDER; r <= RUN_MAX_ORDER; r++) {
        size_t run = (size_t)1 << r, slots = run / size;
        if (slots >= min_slots && slots <= 64 && (run - slots * size) * 32 <= run) return r;
    }
    return RUN_MAX_ORDER;
}

static void add(unsigned bin, uint32_t size, unsigned kind) {
    bin_info_t* b = &bin_table[bin];
    b->size = size;
    b->kind = (uint8_t)kind;
    b->count_order = (uint8_t)order_up(size);
    b->live_low = b->count_order; /* a block's own order; runs and trimmed heads below */
    if (kind == BIN_RUN) {
        b->run_order = (uint8_t)pick_run_order(size, (size & (size - 1)) ? 2 : 16);
        b->run_slots = (uint8_t)(((size_t)1 << b->run_order) / size);
        b->live_low = (uint8_t)(b->run_order + RUN_CODE_BIAS);
    } else if (kind == BIN_TRIM) {
        b->live_low = (uint8_t)(b->count_order - 1); /* its first piece */
    }
    size_t most = OFFHEAP_SLAB_BUDGET_MAX / size;
    b->cache_max = most < 4096 ? (uint32_t)most : 4096;
}

static uint8_t smallest_bin(size_t n) {
    unsigned best = 0;
    for (unsigned i = 0; i < BIN_COUNT; i++)
        if (bin_table[i].size >= n && (bin_table[best].size < n || bin_table[i].size < bin_table[best].size)) best = i;
    return (uint8_t)best;
}

static void build(void) {
    unsigned bin = 0;
    for (unsigned o = 6; o <= 16; o++) add(bin++, 1u << o, o <= BIN_POW2_RUN_MAX_ORDER ? BIN_RUN : BIN_POW2);
    add(bin++, 192, BIN_RUN); /* 160 and 224 are not multiples of 64 */
    for (uint32_t base = 256; base <= 8192; base *= 2)
        for (uint32_t q = 5; q <= 7; q++) add(bin++, base * q / 4, BIN_RUN);
    for (uint32_t s = 20480; s < 65536; s += TRIM_STEP_MIN)
        if (s != 32768) add(bin++, s, BIN_TRIM);
    /* every request maps to the smallest bin that holds it */
    for (unsigned g = 0; g <= BIN_SMALL_MAX / 64; g++) bin_by_granule[g] = smallest_bin(g ? (size_t)g * 64 : 1);
    for (unsigned p = BIN_SMALL_MAX / 4096; p < BIN_MAX / 4096; p++) bin_by_page[p] = smallest_bin((size_t)(p + 1) * 4096);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
void sizeclass_init(void) { pthread_once(&once, build); }
