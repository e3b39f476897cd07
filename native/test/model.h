/* model.h -- a shadow model of the heap, driven by a stream of op bytes.
 *
 * ASan cannot see inside our pools, so this model is the memory checker: it
 * keeps every live block (address, requested size, block size) sorted by
 * address, checks that a new block overlaps no live one, is aligned (a power
 * of two to its size, any other to 64 B) and has the usable size of its size
 * class (written here from the contract, not from the core's tables), fills each block with a
 * pattern derived from its address, and verifies the pattern at realloc and
 * free. Used by test_stress (random ops) and test_fuzz (ops from a fuzzer).
 */
#ifndef OFFHEAP_MODEL_H
#define OFFHEAP_MODEL_H

#include "offheap.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MODEL_MAX_LIVE 4096

typedef struct model_block {
    uintptr_t addr;
    size_t size;  /* requested */
    size_t block; /* usable */
} model_block_t;

typedef struct model {
    model_block_t live[MODEL_MAX_LIVE]; /* sorted by addr */
    size_t count;
    size_t errors;
    const char* first_error;
} model_t;

static inline void model_fail(model_t* m, const char* what) {
    if (!m->errors++) m->first_error = what;
}

static inline uint8_t model_byte(uintptr_t addr, size_t i) {
    return (uint8_t)((addr >> 6) * 131u + i * 7u + 1u);
}

/* Indices checked: every byte of small blocks; for large ones the first and
 * last 256 bytes and one byte per page, so big blocks stay cheap. */
static inline size_t model_next(size_t size, size_t i) {
    if (size <= 65536 || i + 1 < 256 || i + 1 >= size - 256) return i + 1;
    size_t next_page = (i | 4095) + 1;
    return next_page < size - 256 ? next_page : size - 256;
}

static inline void model_fill(uintptr_t addr, size_t size) {
    uint8_t* p = (uint8_t*)addr;
    for (size_t i = 0; i < size; i = model_next(size, i)) p[i] = model_byte(addr, i);
}

static inline int model_intact(uintptr_t pattern_addr, uintptr_t addr, size_t size) {
    const uint8_t* p = (const uint8_t*)addr;
    for (size_t i = 0; i < size; i = model_next(size, i))
        if (p[i] != model_byte(pattern_addr, i)) return 0;
    return 1;
}

/* The size class of a request (offheap.h, sizeclass.h): a power of two stays
 * itself; up to 16 KiB the classes are 5/4, 6/4 and 7/4 of a power of two
 * that are multiples of 64 B; above, steps of 1/8 of the lower power of two,
 * at least 4 KiB; above 16 MiB whole pages. */
static inline size_t model_expected_block(size_t size) {
    if (size > ((size_t)1 << OFFHEAP_MAX_ORDER)) return (size + 4095) & ~(size_t)4095;
    size_t p = 64;
    while (p < size) p <<= 1;
    size_t half = p / 2;
    if (p == size || size <= 128) return p;
    if (size <= 16384) {
        for (size_t q = 5; q <= 7; q++)
            if (half * q / 4 >= size && half * q % 256 == 0) return half * q / 4;
        return p;
    }
    size_t step = half / 8 < 4096 ? 4096 : half / 8;
    return (size + step - 1) / step * step;
}
static inline int model_is_pow2(size_t n) { return (n & (n - 1)) == 0; }

static inline size_t model_find(model_t* m, uintptr_t addr) { /* first index with live[i].addr >= addr */
    size_t lo = 0, hi = m->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->live[mid].addr < addr) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static inline void model_insert(model_t* m, uintptr_t addr, size_t size) {
    size_t block = offheap_usable_size((void*)addr);
    if (block != model_expected_block(size)) model_fail(m, "usable size is not the expected block size");
    if (size > ((size_t)1 << OFFHEAP_MAX_ORDER) ? addr % OFFHEAP_POOL_SIZE : addr % (model_is_pow2(block) ? block : 64))
        model_fail(m, "block not aligned to its size");
    size_t i = model_find(m, addr);
    if (i < m->count && m->live[i].addr < addr + block) model_fail(m, "overlaps the next live block");
    if (i > 0 && m->live[i - 1].addr + m->live[i - 1].block > addr) model_fail(m, "overlaps the previous live block");
    memmove(&m->live[i + 1], &m->live[i], (m->count - i) * sizeof m->live[0]);
    m->live[i] = (model_block_t){addr, size, block};
    m->count++;
    model_fill(addr, size);
}

static inline model_block_t model_remove(model_t* m, size_t i) {
    model_block_t b = m->live[i];
    memmove(&m->live[i], &m->live[i + 1], (m->count - i - 1) * sizeof m->live[0]);
    m->count--;
    return b;
}

/* Size classes by op byte: mostly small, some medium, a few huge. */
static inline size_t model_size(uint8_t kind, uint16_t r) {
    if (kind < 176) return 1 + r % 4096;
    if (kind < 248) return 4097 + (size_t)r * 4;               /* up to 260 KiB */
    if (kind < 255) return ((size_t)1 << 18) + (size_t)r * 32; /* 256 KiB..2.3 MiB */
    return ((size_t)16 << 20) + 1 + (size_t)r * 64;            /* huge: 16..20 MiB */
}

/* One op from up to 4 bytes; returns bytes consumed. */
static inline size_t model_step(model_t* m, const uint8_t* in, size_t n) {
    if (n < 4) return n;
    uint8_t op = in[0] % 8, kind = in[1];
    uint16_t r = (uint16_t)(in[2] | in[3] << 8);
    if ((op < 4 || m->count == 0) && m->count < MODEL_MAX_LIVE) { /* alloc */
        size_t size = model_size(kind, r);
        void* p = offheap_alloc(size);
        if (!p) model_fail(m, "allocation failed");
        else model_insert(m, (uintptr_t)p, size);
    } else if (op < 7 && m->count) { /* free */
        model_block_t b = model_remove(m, r % m->count);
        if (!model_intact(b.addr, b.addr, b.size)) model_fail(m, "pattern damaged before free");
        if (offheap_free((void*)b.addr) != 0) model_fail(m, "free of a live block failed");
        if (offheap_free((void*)b.addr) != OFFHEAP_EINVAL) model_fail(m, "double free not detected");
        if (b.block >= 128 && offheap_free((void*)(b.addr + 64)) != OFFHEAP_EINVAL)
            model_fail(m, "interior free not detected");
    } else if (m->count) { /* realloc */
        model_block_t b = model_remove(m, r % m->count);
        size_t size = model_size(kind, (uint16_t)(r * 31u));
        void* q = offheap_realloc((void*)b.addr, size);
        if (!q) {
            model_fail(m, "realloc failed");
            return 4;
        }
        size_t kept = b.size < size ? b.size : size;
        if (b.size > 65536 && kept > 256) kept = 256; /* only sampled bytes were filled */
        if (!model_intact(b.addr, (uintptr_t)q, kept)) model_fail(m, "realloc lost data");
        model_insert(m, (uintptr_t)q, size);
    }
    return 4;
}

static inline void model_free_all(model_t* m) {
    while (m->count) {
        model_block_t b = model_remove(m, m->count - 1);
        if (!model_intact(b.addr, b.addr, b.size)) model_fail(m, "pattern damaged at teardown");
        if (offheap_free((void*)b.addr) != 0) model_fail(m, "teardown free failed");
    }
}

#endif
