/* sizeclass.h -- which block a request gets.
 *
 * A request of exactly 2^k bytes gets exactly 2^k bytes aligned to 2^k
 * (columns of 2^k elements waste nothing). Other requests get a size class
 * with less than 25% rounding (about 12% on average) instead of the next
 * power of two (up to 100%):
 *
 *  - runs (192 B .. 14 KiB, 4 classes per doubling, multiples of 64 B, and
 *    the powers of two 64 B .. 4 KiB): a buddy block of 4..256 KiB cut into
 *    equal slots (run.c). A power-of-two slot is aligned to its size because
 *    its run is aligned to the run's. Small blocks in runs are found and
 *    returned with a bit mask instead of being split from and coalesced
 *    into the buddy lists one level at a time, which cost several times a
 *    run's work when threads free each other's blocks. The run's
 *    bookkeeping lives in the pool's metadata region, never in the slots,
 *    and each slot has its own state byte, so validation stays O(1).
 *  - powers of two from 8 KiB: buddy blocks.
 *  - trimmed blocks (20 KiB .. 16 MiB): the next power of two with its tail
 *    given back to the buddy lists at once, in power-of-two pieces
 *    (trimmed.c): 8 classes per doubling, in steps of at least 4 KiB so no
 *    page is shared with a tail (an untouched tail costs no memory).
 *
 * Requests up to 64 KiB map to a "bin": the unit of the per-thread caches
 * (slab.c). Bins 0..10 are the powers of two 64 B .. 64 KiB, then the run
 * classes, then the trimmed classes up to 64 KiB.
 */
#ifndef OFFHEAP_SIZECLASS_H
#define OFFHEAP_SIZECLASS_H

#include <stddef.h>
#include <stdint.h>

#define BIN_POW2_COUNT 11 /* 64 B .. 64 KiB: bin = order - 6 */
#define BIN_POW2_RUN_MAX_ORDER 12 /* powers of two up to 4 KiB are slots of runs */
#define BIN_RUN_FIRST  11 /* the classes between powers of two */
#define BIN_RUN_COUNT  19
#define BIN_TRIM_FIRST (BIN_RUN_FIRST + BIN_RUN_COUNT) /* bins below it may be runs */
#define BIN_TRIM_COUNT 10
#define BIN_COUNT      (BIN_TRIM_FIRST + BIN_TRIM_COUNT)
#define BIN_SMALL_MAX  16384u /* bins up to here are found by 64-byte granule */
#define BIN_MAX        65536u

#define RUN_MIN_ORDER 12 /* 4 KiB: the run descriptor table's unit */
#define RUN_MAX_ORDER 18
/* A slot's state byte holds its run's order plus this bias (25..31) where
 * a block's holds its own order (6..24): one byte tells them apart. */
#define RUN_CODE_BIAS 13
#define TRIM_MIN_HEAD_ORDER 14 /* the first piece of the smallest trimmed class (20 KiB) */
#define TRIM_STEP_MIN 4096u

enum bin_kind { BIN_POW2 = 0, BIN_RUN = 1, BIN_TRIM = 2 }; /* BIN_POW2: buddy blocks */

typedef struct bin_info {
    uint32_t size;        /* bytes a block of the bin spans */
    uint8_t kind;         /* enum bin_kind */
    uint8_t live_low;     /* low 5 bits of a live block's state byte */
    uint8_t count_order;  /* live_by_order slot: the order the size rounds up to */
    uint8_t run_order;    /* BIN_RUN: order of its runs */
    uint8_t run_slots;    /* BIN_RUN: slots per run */
    uint32_t cache_max;   /* most blocks its per-thread cache can ever hold */
} bin_info_t;

extern bin_info_t bin_table[BIN_COUNT];
extern uint8_t bin_by_granule[BIN_SMALL_MAX / 64 + 1];
extern uint8_t bin_by_page[BIN_MAX / 4096];

/* Fills the tables (once; every heap is created after it). */
void sizeclass_init(void);

/* The bin of a request of 1..BIN_MAX bytes. */
static inline unsigned bin_of(size_t n) {
    return n <= BIN_SMALL_MAX ? bin_by_granule[(n + 63) >> 6] : bin_by_page[(n - 1) >> 12];
}

/* Bytes a request of n (BIN_MAX < n <= 16 MiB) takes: a power of two if n is
 * one, else n rounded up to 1/8 of its power of two (at least 4 KiB). */
static inline size_t class_round(size_t n) {
    unsigned top = 64 - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
    size_t step = ((size_t)1 << top) >> 4;
    if (step < TRIM_STEP_MIN) step = TRIM_STEP_MIN;
    return (n + step - 1) & ~(step - 1);
}

#endif
