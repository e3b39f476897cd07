/* test_api.c -- the public API, one behaviour at a time, with real mmaps. */
#define _GNU_SOURCE
#include "check.h"
#include "introspect.h"
#include "offheap.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

static size_t rss_bytes(void) {
    long pages = 0, resident = 0;
    FILE* f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Runs fn on a fresh thread, hence a fresh heap with known layout. */
static void on_fresh_thread(void (*fn)(void)) {
    pthread_t t;
    pthread_create(&t, NULL, (void* (*)(void*))(void*)fn, NULL);
    pthread_join(t, NULL);
}

static void sizes_take_their_class_and_align(void) {
    struct { size_t ask, block; } cases[] = {
        {1, 64}, {63, 64}, {64, 64}, {65, 128}, {100, 128}, {129, 192}, {193, 256}, {257, 320},
        {4095, 4096}, {4096, 4096}, {4097, 5120}, {4104, 5120}, {4368, 5120}, {4112, 5120}, {5121, 6144},
        {14337, 16384}, {16385, 20480}, {40000, 40960}, {65536, 65536}, {65537, 73728},
        {MiB, MiB}, {MiB + 1, MiB + 128 * 1024}, {600 * 1024, 640 * 1024}, {16 * MiB - 1, 16 * MiB}, {16 * MiB, 16 * MiB},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        void* p = offheap_alloc(cases[i].ask);
        CHECK(p != NULL);
        CHECK_EQ(offheap_usable_size(p), cases[i].block);
        size_t b = cases[i].block;
        CHECK_EQ((uintptr_t)p % ((b & (b - 1)) == 0 ? b : 64), 0); /* 2^k: aligned to itself; others: 64 B */
        memset(p, 0xAB, cases[i].ask);
        CHECK_EQ(offheap_free(p), 0);
        CHECK_EQ(offheap_usable_size(p), 0);
    }
}

/* Every request of 1 B .. 130 KiB: a power of two takes exactly itself, and
 * any other size at most a quarter more (+64 B) beyond 256 B; every block is
 * freed back and the heap ends empty. */
static void every_size_rounds_by_less_than_a_quarter(void) {
    size_t worst_pct = 0;
    for (size_t n = 1; n <= 130 * 1024; n += n < 20000 ? 1 : 61) {
        void* p = offheap_alloc(n);
        size_t u = offheap_usable_size(p);
        CHECK(p != NULL && u >= n);
        if ((n & (n - 1)) == 0 && n >= 64) CHECK_EQ(u, n);
        if (n > 256) CHECK(u <= n + n / 4 + 64);
        else CHECK(u <= 256);
        if (n > 256 && (u - n) * 100 / n > worst_pct) worst_pct = (u - n) * 100 / n;
        CHECK_EQ(offheap_free(p), 0);
    }
    CHECK(worst_pct <= 25);
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
}

/* Slots of a run and trimmed blocks refuse what buddy blocks refuse: a
 * pointer inside a slot, a pointer to a trimmed block's later piece, a double
 * free; and a slot next to a freed one stays intact. */
static void class_blocks_refuse_bad_frees(void) {
    char* a = offheap_alloc(5000); /* run slots of 5120 */
    char* b = offheap_alloc(5000);
    memset(a, 1, 5000);
    memset(b, 2, 5000);
    CHECK_EQ(offheap_usable_size(a), 5120);
    CHECK_EQ(offheap_free(a + 64), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free(a), 0);
    CHECK_EQ(offheap_free(a), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_usable_size(a), 0);
    CHECK(b[0] == 2 && b[4999] == 2);
    CHECK(offheap_realloc(a, 100) == NULL && errno == EINVAL); /* freed: refused, nothing moves */
    CHECK_EQ(offheap_free(b), 0);

    char* t = offheap_alloc(600 * 1024); /* trimmed: 512 KiB + 128 KiB pieces */
    CHECK_EQ(offheap_usable_size(t), 640 * 1024);
    memset(t, 3, 600 * 1024);
    CHECK_EQ(offheap_free(t + 512 * 1024), OFFHEAP_EINVAL); /* its second piece starts no block */
    CHECK_EQ(offheap_usable_size(t + 512 * 1024), 0);
    CHECK_EQ(offheap_free(t + 640 * 1024), OFFHEAP_EINVAL); /* the tail went back: free, not live */
    char* u = offheap_alloc(128 * 1024); /* may take the tail given back */
    CHECK(u != NULL && (u >= t + 640 * 1024 || u + 128 * 1024 <= t)); /* never inside the block */
    CHECK_EQ(offheap_free(t), 0);
    CHECK_EQ(offheap_free(t), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free(u), 0);
}

static void zero_and_absurd_sizes_are_einval(void) {
    errno = 0;
    CHECK(offheap_alloc(0) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(offheap_alloc(OFFHEAP_MAX_ALLOC + 1) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(offheap_alloc(SIZE_MAX) == NULL);
    CHECK_EQ(errno, EINVAL);
    void* p = offheap_alloc(10);
    CHECK(p != NULL);
    CHECK_EQ(offheap_free(p), 0);
}

/* offheap_free never changes errno (offheap.h), on any of its paths: a
 * malloc replacement relies on it instead of saving errno per free. */
static void* free_in_thread(void* p) {
    errno = 4321;
    int rc = offheap_free(p);
    return (void*)(intptr_t)(rc == 0 && errno == 4321);
}

static void free_keeps_errno(void) {
    int local = 0;
    void* small = offheap_alloc(100);
    void* odd = offheap_alloc(40000);     /* a trimmed block: the owner's slow path */
    void* huge = offheap_alloc(48u << 20); /* its own mapping */
    void* other = offheap_alloc(4096);
    CHECK(small && odd && huge && other);
    void* frees[] = {small, odd, huge, NULL};
    for (unsigned i = 0; i < sizeof frees / sizeof frees[0]; i++) {
        errno = 1234;
        CHECK_EQ(offheap_free(frees[i]), 0);
        CHECK_EQ(errno, 1234);
    }
    void* bad[] = {small, &local, (char*)other + 64, (void*)(uintptr_t)0x10};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 1234;
        CHECK_EQ(offheap_free(bad[i]), OFFHEAP_EINVAL);
        CHECK_EQ(errno, 1234);
    }
    pthread_t t;
    void* ok = NULL;
    pthread_create(&t, NULL, free_in_thread, other); /* a cross-thread free */
    pthread_join(t, &ok);
    CHECK(ok != NULL);
    errno = 1234;
    offheap_gc(); /* not offheap_free: may set errno, nothing promised */
    CHECK_EQ(offheap_usable_size(other), 0);
}

static int a_static_int;

static void bad_frees_are_rejected_and_harmless(void) {
    int on_stack = 0;
    void* from_malloc = malloc(128);
    char* p = offheap_alloc(256);
    char* huge = offheap_alloc(40 * MiB);
    memset(p, 7, 256);
    offheap_chunk_t c;
    CHECK_EQ(offheap_chunk_of(p, &c), 0);

    CHECK_EQ(offheap_free(NULL), 0);
    CHECK_EQ(offheap_free(&on_stack), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free(from_malloc), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free(&a_static_int), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free((void*)(uintptr_t)0x1000), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free((void*)((uintptr_t)1 << 60)), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free(p + 1), OFFHEAP_EINVAL);      /* interior, unaligned */
    CHECK_EQ(offheap_free(p + 64), OFFHEAP_EINVAL);     /* interior, granule-aligned */
    CHECK_EQ(offheap_free(p + 128), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free(c.base), OFFHEAP_EINVAL);     /* pool metadata */
    CHECK_EQ(offheap_free((char*)c.base + 4096), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free(huge + 4096), OFFHEAP_EINVAL); /* inside a huge block */
    CHECK_EQ(offheap_free(huge + 32 * MiB), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_usable_size(p + 64), 0);
    CHECK_EQ(offheap_usable_size(&on_stack), 0);

    for (int i = 0; i < 256; i++) CHECK_EQ((unsigned char)p[i], 7); /* untouched */
    CHECK_EQ(offheap_free(p), 0);
    CHECK_EQ(offheap_free(p), OFFHEAP_EINVAL); /* double free */
    CHECK_EQ(offheap_free(huge), 0);
    CHECK_EQ(offheap_free(huge), OFFHEAP_EINVAL);
    free(from_malloc);

    /* the heap still works */
    void* q = offheap_alloc(256);
    CHECK(q != NULL);
    memset(q, 1, 256);
    CHECK_EQ(offheap_free(q), 0);
}

static void stats_count_block_sizes(void) {
    offheap_stats_t a, b;
    offheap_stats(&a);
    void* p = offheap_alloc(4096);
    void* q = offheap_alloc(100);
    offheap_stats(&b);
    CHECK_EQ(b.bytes_live - a.bytes_live, 4096 + 128);
    CHECK_EQ(b.alloc_count - a.alloc_count, 2);
    CHECK_EQ(b.live_by_order[12 - OFFHEAP_MIN_ORDER] - a.live_by_order[12 - OFFHEAP_MIN_ORDER], 1);
    CHECK_EQ(b.live_by_order[7 - OFFHEAP_MIN_ORDER] - a.live_by_order[7 - OFFHEAP_MIN_ORDER], 1);
    CHECK(b.bytes_peak >= b.bytes_live);
    CHECK(b.pool_count >= 1);
    CHECK(b.bytes_mapped >= OFFHEAP_POOL_SIZE);
    offheap_free(p);
    offheap_free(q);
    offheap_stats(&b);
    CHECK_EQ(b.bytes_live, a.bytes_live);
    CHECK_EQ(b.free_count - a.free_count, 2);
    CHECK(b.bytes_cached >= 4096 + 128); /* both went to slab caches */

    void* r = offheap_alloc(4096); /* comes straight back from the cache */
    offheap_stats_t c;
    offheap_stats(&c);
    CHECK(c.slab_hits > b.slab_hits);
    offheap_free(r);
}

static void exact_fit_for_powers_of_two(void) {
    /* a 1 Mi-element f64 column takes exactly 8 MiB, not 16 */
    offheap_stats_t a, b;
    offheap_stats(&a);
    void* col = offheap_alloc(8 * MiB);
    offheap_stats(&b);
    CHECK_EQ(b.bytes_live - a.bytes_live, 8 * MiB);
    CHECK_EQ(offheap_usable_size(col), 8 * MiB);
    offheap_free(col);
}

static void huge_blocks_are_page_rounded_and_reused(void) {
    offheap_stats_t a, b;
    offheap_stats(&a);
    char* p = offheap_alloc(100 * MiB);
    CHECK(p != NULL);
    CHECK_EQ((uintptr_t)p % OFFHEAP_POOL_SIZE, 0);
    CHECK_EQ(offheap_usable_size(p), 100 * MiB);
    offheap_stats(&b);
    CHECK_EQ(b.bytes_mapped - a.bytes_mapped, 100 * MiB); /* not 128 or 256 */
    CHECK_EQ(b.huge_count - a.huge_count, 1);
    CHECK_EQ(b.huge_bytes - a.huge_bytes, 100 * MiB);
    CHECK_EQ(b.bytes_live - a.bytes_live, 100 * MiB);
    p[0] = 1;
    p[100 * MiB - 1] = 2;
    CHECK_EQ(offheap_free(p), 0);
    char* again = offheap_alloc(100 * MiB - 100); /* same page-rounded size: from the cache */
    CHECK(again == p);
    CHECK_EQ(offheap_free(again), 0);

    char* odd = offheap_alloc(16 * MiB + 1);
    CHECK_EQ(offheap_usable_size(odd), 16 * MiB + 4096);
    offheap_free(odd);
    offheap_gc();
}

static void realloc_in_place_and_moving_body(void) {
    char* p = offheap_alloc(128 << 10);
    memset(p, 5, 128 << 10);
    char* g = offheap_realloc(p, 256 << 10); /* upper buddy is free on a fresh heap */
    CHECK(g == p);
    CHECK_EQ(offheap_usable_size(g), 256 << 10);
    CHECK(g[0] == 5 && g[(128 << 10) - 1] == 5);
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK_EQ(s.bytes_live, 256 << 10);

    char* sh = offheap_realloc(g, 128 << 10); /* shrink in place: order 17 */
    CHECK(sh == p);
    CHECK_EQ(offheap_usable_size(sh), 128 << 10);
    offheap_stats(&s);
    CHECK_EQ(s.bytes_live, 128 << 10);
    CHECK(offheap_realloc(sh, 125 << 10) == sh); /* the same class (120..128 KiB): nothing moves */
    CHECK_EQ(offheap_usable_size(sh), 128 << 10);

    char* blocker = offheap_alloc(128 << 10); /* takes the upper buddy */
    CHECK(blocker == p + (128 << 10));
    char* moved = offheap_realloc(sh, MiB);
    CHECK(moved != NULL && moved != p);
    CHECK(moved[0] == 5 && moved[(70 << 10) - 1] == 5);
    CHECK_EQ(offheap_usable_size(p), 0); /* old one freed */

    errno = 0;
    CHECK(offheap_realloc(moved, OFFHEAP_MAX_ALLOC + 1) == NULL); /* failure keeps the block */
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(offheap_usable_size(moved), MiB);
    CHECK(offheap_realloc(moved + 64, 10) == NULL);

    char* big = offheap_realloc(moved, 20 * MiB); /* pool -> huge */
    CHECK(big && big[0] == 5);
    char* small = offheap_realloc(big, 1000); /* huge -> pool */
    CHECK(small && small[999] == 5);
    CHECK_EQ(offheap_usable_size(small), 1024);
    void* fresh = offheap_realloc(NULL, 10);
    CHECK_EQ(offheap_usable_size(fresh), 64);
    offheap_free(fresh);
    offheap_free(small);
    offheap_free(blocker);
    offheap_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
    CHECK_EQ(s.alloc_count, s.free_count);
}
static void realloc_in_place_and_moving(void) { on_fresh_thread(realloc_in_place_and_moving_body); }

static void gc_returns_memory_body(void) {
    enum { N = 256 };
    void* blocks[N];
    size_t before = rss_bytes();
    for (int i = 0; i < N; i++) {
        blocks[i] = offheap_alloc(MiB);
        memset(blocks[i], i, MiB);
    }
    size_t peak = rss_bytes();
    CHECK(peak > before + 200 * MiB);
    for (int i = 0; i < N; i++) CHECK_EQ(offheap_free(blocks[i]), 0);
    offheap_gc_report_t r;
    offheap_gc_ex(&r);
    size_t after = rss_bytes();
    CHECK(after + 200 * MiB < peak); /* RSS really dropped */
    CHECK(r.pools_unmapped >= 6);
    CHECK(r.bytes_unmapped >= 6 * OFFHEAP_POOL_SIZE);
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK_EQ(s.pool_count, 1); /* one empty pool retained */
    CHECK_EQ(s.bytes_live, 0);
    CHECK(heap_fully_coalesced());
}
static void gc_returns_memory(void) { on_fresh_thread(gc_returns_memory_body); }

static void pinned_ranges_are_never_unmapped_body(void) {
    char* p = offheap_alloc(64 * MiB);
    offheap_chunk_t c;
    CHECK_EQ(offheap_chunk_of(p + 123, &c), 0);
    CHECK(c.base == p && c.data == p && c.size == 64 * MiB && c.is_huge);
    CHECK_EQ(offheap_pin(c.base), 0);
    memset(p, 9, 64 * MiB);
    CHECK_EQ(offheap_free(p), 0);
    offheap_gc_report_t r;
    offheap_gc_ex(&r);
    CHECK_EQ(r.huge_unmapped, 0);           /* pinned: kept mapped ... */
    CHECK(r.bytes_released >= 60 * MiB);    /* ... but its pages are gone */
    CHECK_EQ(p[0], 0);                      /* a stale view reads zeros, no fault */
    p[1] = 1;                               /* and may even write */
    offheap_unpin(c.base);
    offheap_gc_ex(&r);
    CHECK_EQ(r.huge_unmapped, 1);
    CHECK_EQ(offheap_chunk_of(p, &c), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_pin(p), OFFHEAP_EINVAL);

    /* pools: a pinned empty pool stays, unpinned it goes */
    void* a = offheap_alloc(16 * MiB);
    void* b = offheap_alloc(16 * MiB); /* second pool */
    offheap_chunk_t ca, cb;
    offheap_chunk_of(a, &ca);
    offheap_chunk_of(b, &cb);
    CHECK(ca.base != cb.base);
    CHECK((char*)ca.data == (char*)ca.base + MiB); /* 1 MiB of metadata */
    CHECK_EQ(ca.size, OFFHEAP_POOL_SIZE - MiB);
    CHECK_EQ(offheap_pin(ca.base), 0);
    CHECK_EQ(offheap_pin(cb.base), 0);
    offheap_free(a);
    offheap_free(b);
    offheap_gc_ex(&r);
    CHECK_EQ(r.pools_unmapped, 0);
    offheap_unpin(ca.base);
    offheap_unpin(cb.base);
    offheap_gc_ex(&r);
    CHECK_EQ(r.pools_unmapped, 1); /* the other is the retained empty pool */
}
static void pinned_ranges_are_never_unmapped(void) { on_fresh_thread(pinned_ranges_are_never_unmapped_body); }

/* What a stale fast-mode view can do: write into blocks after they were
 * freed. Free buddy blocks of 4 KiB and up keep their free-list links in the
 * metadata region, and smaller blocks are slots of runs, whose free masks
 * are there too: out of reach. Free buddy blocks under 4 KiB, which hold
 * their links inside, no longer arise from any request; made here through
 * the buddy calls, the core must notice their overwrite, rebuild its lists
 * from the state bytes and stay sound. */
static void* small_buddy_block(void) { return heap_take_block(tls_heap, 10, ST_LIVE); }
static void give_small_buddy_block(void* p) {
    state_store((uintptr_t)p, STATE(10, ST_CACHED));
    buddy_give(&tls_heap->buddy, (uintptr_t)p, 10);
}
static void stale_writes_into_free_blocks_are_survived_body(void) {
    enum { N = 64 };
    char* blocks[N];
    for (int i = 0; i < N; i++) blocks[i] = offheap_alloc((size_t)(128 << 10) << (i % 4)); /* not slab-cached */
    for (int i = 0; i < N; i += 2) CHECK_EQ(offheap_free(blocks[i]), 0);
    for (int i = 0; i < N; i += 2) memset(blocks[i], 0xA5, 64); /* use after free */
    for (int i = 1; i < N; i += 2) CHECK_EQ(offheap_free(blocks[i]), 0); /* coalescing reads the links */
    CHECK_EQ(tls_heap->buddy.repairs, 0); /* nothing to repair: no link lives in them */

    offheap_config_t no_cache = {.set = OFFHEAP_CFG_SLAB_BUDGET, .slab_budget = 0}, saved;
    offheap_get_config(&saved);
    CHECK_EQ(offheap_configure(&no_cache), 0);
    offheap_gc(); /* empties the caches and applies the budget */
    for (int i = 0; i < N; i++) blocks[i] = offheap_alloc(1024); /* slots of runs */
    for (int i = 0; i < N; i += 2) CHECK_EQ(offheap_free(blocks[i]), 0);
    for (int i = 0; i < N; i += 2) memset(blocks[i], 0xA5, 64);
    for (int i = 1; i < N; i += 2) CHECK_EQ(offheap_free(blocks[i]), 0);
    CHECK_EQ(tls_heap->buddy.repairs, 0); /* nothing to repair: no link lives in slots */
    for (int i = 0; i < N; i++) CHECK((blocks[i] = small_buddy_block()) != NULL);
    for (int i = 0; i < N; i += 2) give_small_buddy_block(blocks[i]);
    for (int i = 0; i < N; i += 2) memset(blocks[i], 0xA5, 64); /* links inside overwritten */
    for (int i = 1; i < N; i += 2) give_small_buddy_block(blocks[i]); /* coalescing reads them */
    CHECK(tls_heap->buddy.repairs >= 1);
    saved.set = OFFHEAP_CFG_SLAB_BUDGET;
    CHECK_EQ(offheap_configure(&saved), 0);
    offheap_gc();
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            blocks[i] = offheap_alloc((size_t)(64 << 10) << (i % 5));
            memset(blocks[i], i, 64 << 10);
        }
        for (int i = 0; i < N; i++) {
            CHECK_EQ(blocks[i][0], i);
            CHECK_EQ(offheap_free(blocks[i]), 0);
            memset(blocks[i], 0x5A, 32); /* again, and this time gc walks the lists */
        }
        offheap_gc();
    }
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
    CHECK(heap_fully_coalesced());
}
static void stale_writes_into_free_blocks_are_survived(void) { on_fresh_thread(stale_writes_into_free_blocks_are_survived_body); }

static void handoff_and_adopt(void) {
    char* p = offheap_alloc(1000);
    uint64_t t = 0, t2 = 0;
    CHECK_EQ(offheap_handoff(p, NULL), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_handoff(p, &t), 0);
    CHECK(t != 0 && t < (1ull << 53));
    CHECK_EQ(offheap_handoff(p, &t2), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free(p), OFFHEAP_EINVAL); /* in transit: nobody frees it */
    CHECK_EQ(offheap_realloc(p, 4000), NULL);   /* nor resizes it */
    CHECK_EQ(offheap_usable_size(p), 1024);
    CHECK_EQ(offheap_adopt(p, t + 1), OFFHEAP_EINVAL); /* wrong ticket */
    CHECK_EQ(offheap_adopt(p, 0), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_adopt(p, t), 0);
    CHECK_EQ(offheap_adopt(p, t), OFFHEAP_EINVAL); /* exactly once */
    CHECK_EQ(offheap_free(p), 0);
    CHECK_EQ(offheap_handoff(p, &t2), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_adopt(p, t), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_handoff(p + 64, &t2), OFFHEAP_EINVAL);
    int x;
    CHECK_EQ(offheap_adopt(&x, t), OFFHEAP_EINVAL);
    char* h = offheap_alloc(20 * MiB);
    CHECK_EQ(offheap_handoff(h, &t), 0);
    CHECK_EQ(offheap_free(h), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_adopt(h, t), 0);
    CHECK_EQ(offheap_free(h), 0);
}

/* A replayed ticket is refused after the address was freed and handed off
 * again (the JS handle-replay attack, at the C level), and many blocks in
 * transit at once (the ticket table grows and shrinks) keep their tickets. */
static void replayed_tickets_are_refused(void) {
    char* p = offheap_alloc(256);
    uint64_t old, fresh;
    CHECK_EQ(offheap_handoff(p, &old), 0);
    CHECK_EQ(offheap_adopt(p, old), 0);
    CHECK_EQ(offheap_free(p), 0);
    char* q = offheap_alloc(256);
    CHECK(q == p); /* the same address, reused */
    CHECK_EQ(offheap_handoff(q, &fresh), 0);
    CHECK(fresh != old);
    CHECK_EQ(offheap_adopt(q, old), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_adopt(q, fresh), 0);
    CHECK_EQ(offheap_free(q), 0);

    enum { N = 5000 };
    static char* blocks[N];
    static uint64_t tickets[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = offheap_alloc(64);
        CHECK_EQ(offheap_handoff(blocks[i], &tickets[i]), 0);
    }
    for (int i = 0; i < N; i += 2) CHECK_EQ(offheap_adopt(blocks[i], tickets[i]), 0); /* deletions mid-table */
    for (int i = 1; i < N; i += 2) CHECK_EQ(offheap_adopt(blocks[i], tickets[i - 1]), OFFHEAP_EINVAL);
    for (int i = 1; i < N; i += 2) CHECK_EQ(offheap_adopt(blocks[i], tickets[i]), 0);
    for (int i = 0; i < N; i++) CHECK_EQ(offheap_free(blocks[i]), 0);
}

static void configure_validates(void) {
    offheap_config_t cfg = {0};
    CHECK_EQ(offheap_configure(NULL), OFFHEAP_EINVAL);
    cfg.set = 1u << 20;
    CHECK_EQ(offheap_configure(&cfg), OFFHEAP_EINVAL);
    cfg.set = OFFHEAP_CFG_SWAP_POLICY;
    cfg.swap_policy = 7;
    CHECK_EQ(offheap_configure(&cfg), OFFHEAP_EINVAL);
    cfg.set = OFFHEAP_CFG_SWAP_DIR;
    cfg.swap_dir = "/definitely/not/here";
    CHECK_EQ(offheap_configure(&cfg), OFFHEAP_EINVAL);
    cfg.swap_dir = "/etc/passwd"; /* not a directory */
    CHECK_EQ(offheap_configure(&cfg), OFFHEAP_EINVAL);
    cfg.set = OFFHEAP_CFG_SWAP_DIR | OFFHEAP_CFG_SLAB_BUDGET;
    cfg.swap_dir = "/tmp";
    cfg.slab_budget = (size_t)1 << 30; /* too big: nothing applied */
    CHECK_EQ(offheap_configure(&cfg), OFFHEAP_EINVAL);
    offheap_config_t now;
    offheap_get_config(&now);
    CHECK_EQ(now.slab_budget, 256 << 10);
    cfg.slab_budget = 64 << 10;
    CHECK_EQ(offheap_configure(&cfg), 0);
    offheap_get_config(&now);
    CHECK_EQ(now.slab_budget, 64 << 10);
    CHECK(strcmp(now.swap_dir, "/tmp/") == 0);
    CHECK_EQ(now.swap_policy, OFFHEAP_SWAP_AUTO);
    cfg.set = OFFHEAP_CFG_SLAB_BUDGET;
    cfg.slab_budget = 256 << 10;
    CHECK_EQ(offheap_configure(&cfg), 0);
}

static void slab_disabled_still_allocates_body(void) {
    offheap_config_t cfg = {.set = OFFHEAP_CFG_SLAB_BUDGET, .slab_budget = 0};
    CHECK_EQ(offheap_configure(&cfg), 0);
    offheap_gc(); /* the new budget applies from the next flush */
    offheap_stats_t a, b;
    offheap_stats(&a);
    for (int i = 0; i < 1000; i++) {
        void* p = offheap_alloc(100);
        CHECK(p != NULL);
        CHECK_EQ(offheap_free(p), 0);
    }
    offheap_stats(&b);
    CHECK_EQ(b.slab_hits, a.slab_hits);
    CHECK_EQ(b.bytes_cached, 0);
    cfg.slab_budget = 256 << 10;
    offheap_configure(&cfg);
    offheap_gc();
    CHECK(heap_fully_coalesced());
}
static void slab_disabled_still_allocates(void) { on_fresh_thread(slab_disabled_still_allocates_body); }

int main(void) {
    RUN(sizes_take_their_class_and_align);
    RUN(every_size_rounds_by_less_than_a_quarter);
    RUN(zero_and_absurd_sizes_are_einval);
    RUN(class_blocks_refuse_bad_frees);
    RUN(bad_frees_are_rejected_and_harmless);
    RUN(free_keeps_errno);
    RUN(stats_count_block_sizes);
    RUN(exact_fit_for_powers_of_two);
    RUN(huge_blocks_are_page_rounded_and_reused);
    RUN(realloc_in_place_and_moving);
    RUN(gc_returns_memory);
    RUN(pinned_ranges_are_never_unmapped);
    RUN(stale_writes_into_free_blocks_are_survived);
    RUN(handoff_and_adopt);
    RUN(replayed_tickets_are_refused);
    RUN(configure_validates);
    RUN(slab_disabled_still_allocates);
    return CHECK_SUMMARY();
}
