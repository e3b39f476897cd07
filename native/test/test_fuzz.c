/* test_fuzz.c -- the model-checked stress as a fuzz target.
 *
 * With clang and -fsanitize=fuzzer (cmake -DOFFHEAP_FUZZ=ON) this is a
 * libFuzzer target: ./fuzz_heap -max_total_time=600 corpus/. Without it, it is
 * a standalone driver: `test_fuzz FILE...` replays inputs, `test_fuzz
 * --random N [seed]` runs N random inputs (what npm test does, briefly). Any
 * model error aborts, so the fuzzer records the input. */
#include "introspect.h"
#include "model.h"

#include <stdlib.h>

static model_t model;

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    memset(&model, 0, sizeof model);
    for (size_t i = 0; i < size && !model.errors;) i += model_step(&model, data + i, size - i);
    model_free_all(&model);
    offheap_gc();
    offheap_stats_t s;
    offheap_stats(&s);
    if (model.errors || s.bytes_live != 0 || !heap_fully_coalesced()) {
        fprintf(stderr, "fuzz: %s (bytes_live %llu)\n", model.errors ? model.first_error : "heap not coalesced",
                (unsigned long long)s.bytes_live);
        abort();
    }
    return 0;
}

#ifndef OFFHEAP_LIBFUZZER
static int replay_file(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) return perror(path), 1;
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    return 0;
}

int main(int argc, char** argv) {
    if (argc >= 3 && strcmp(argv[1], "--random") == 0) {
        unsigned long runs = strtoul(argv[2], NULL, 10), seed = argc > 3 ? strtoul(argv[3], NULL, 10) : 7;
        static uint8_t buf[16384];
        srand((unsigned)seed);
        for (unsigned long r = 0; r < runs; r++) {
            size_t n = 4 + (size_t)rand() % sizeof buf;
            for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)rand();
            LLVMFuzzerTestOneInput(buf, n);
        }
        printf("%lu passed, 0 failed\n", runs);
        return 0;
    }
    for (int i = 1; i < argc; i++)
        if (replay_file(argv[i])) return 1;
    printf("%d passed, 0 failed\n", argc - 1);
    return 0;
}
#endif
