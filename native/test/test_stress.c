/* test_stress.c -- randomized, model-checked stress of one heap (model.h).
 * Usage: test_stress [ops] [seed]. After every op batch the shadow model is
 * checked; at the end everything is freed and every pool must be one fully
 * coalesced free region again. */
#include "check.h"
#include "introspect.h"
#include "model.h"

#include <stdlib.h>

static unsigned long ops = 200000, seed = 1;
static model_t model;

static uint64_t next_random(uint64_t* s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void random_ops_keep_the_model(void) {
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1;
    uint8_t buf[4];
    for (unsigned long i = 0; i < ops && !model.errors; i++) {
        uint64_t r = next_random(&rng);
        memcpy(buf, &r, 4);
        model_step(&model, buf, 4);
        if (i % 20000 == 19999) offheap_gc(); /* flushes, coalesces, releases pages mid-run */
    }
    if (model.errors) fprintf(stderr, "  model: %s\n", model.first_error);
    CHECK_EQ(model.errors, 0);
}

static void everything_freed_coalesces_back(void) {
    model_free_all(&model);
    CHECK_EQ(model.errors, 0);
    offheap_gc();
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
    CHECK_EQ(s.alloc_count, s.free_count);
    CHECK_EQ(s.huge_count, 0);
    CHECK_EQ(s.pool_count, 1);
    for (unsigned i = 0; i < OFFHEAP_ORDER_COUNT; i++) CHECK_EQ(s.live_by_order[i], 0);
    CHECK(heap_fully_coalesced());
}

int main(int argc, char** argv) {
    if (argc > 1) ops = strtoul(argv[1], NULL, 10);
    if (argc > 2) seed = strtoul(argv[2], NULL, 10);
    printf("stress: %lu ops, seed %lu\n", ops, seed);
    RUN(random_ops_keep_the_model);
    RUN(everything_freed_coalesces_back);
    return CHECK_SUMMARY();
}
