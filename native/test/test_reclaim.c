/* test_reclaim.c -- every window of the reclamation protocol, opened on
 * purpose. Built against a core with yield points (OFFHEAP_YIELD_POINTS): a
 * thread is parked exactly inside a window (park.h) and another thread runs
 * through it. Each test is its own ctest entry, so a crash in one cannot
 * hide the others. Usage: test_reclaim TEST_NAME (no argument: list).
 *
 * Geometry the tests rely on: a pool holds one 16 MiB block (its upper half)
 * and one 8 MiB block; pools are listed newest first, and gc keeps the first
 * empty pool it finds, so an empty pool mapped last keeps the others
 * unmappable-when-empty. */
#define _GNU_SOURCE
#include "check.h"
#include "introspect.h"
#include "offheap.h"
#include "park.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define MiB ((size_t)1 << 20)

enum { OWNER = 1, FREER = 2, OTHER = 3 };

/* ---- helpers ---- */

typedef struct job {
    int role;
    void* (*fn)(void*);
    void* arg;
    void* result;
} job_t;

static void* job_main(void* j) {
    job_t* job = j;
    park_as(job->role);
    job->result = job->fn(job->arg);
    return NULL;
}

static pthread_t start(job_t* job) {
    pthread_t t;
    pthread_create(&t, NULL, job_main, job);
    return t;
}

static int mapped(const void* p) {
    offheap_chunk_t c;
    return offheap_chunk_of(p, &c) == 0;
}

static void* do_free(void* p) { return (void*)(intptr_t)offheap_free(p); }

static void expect_process_empty(void) {
    offheap_gc();
    offheap_stats_t s;
    offheap_global_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
    CHECK_EQ(s.remote_pending, 0);
    CHECK_EQ(s.heaps_pending, 0);
    CHECK_EQ(s.huge_count, 0);
    CHECK(heap_fully_coalesced());
}

static uint64_t my_pools(void) {
    offheap_stats_t s;
    offheap_stats(&s);
    return s.pool_count;
}

/* One empty pool mapped after the others: gc keeps it, so the others go when
 * empty. */
static void map_spare_empty_pool(void) {
    void* held[4];
    int n = 0;
    uint64_t before = my_pools();
    do held[n++] = offheap_alloc(16 * MiB);
    while (my_pools() == before && n < 4);
    CHECK(my_pools() == before + 1);
    while (n) CHECK_EQ(offheap_free(held[--n]), 0);
}

/* The next pool of the core lands on the 32 MiB slot of p. */
static void next_pool_at(const void* p) {
    atomic_store(&offheap_test_map_at, (uintptr_t)p & ~(uintptr_t)(OFFHEAP_POOL_SIZE - 1));
}

/* ---- windows of the remote free ---- */

/* Issue 9.1: a remote free parked after marking its line dirty, while
 * another free of the same pool lets the owner drain and empty it. The pool
 * must stay mapped until the parked free is done (it still has to count
 * itself on the chunk and push it). */
static void remote_free_in_flight_keeps_pool_mapped(void) {
    char* x = offheap_alloc(16 * MiB);
    char* w = offheap_alloc(8 * MiB);
    CHECK((uintptr_t)x >> 25 == (uintptr_t)w >> 25); /* one pool */
    map_spare_empty_pool();
    park_arm(YP_REMOTE_AFTER_DIRTY, FREER);
    job_t f1 = {FREER, do_free, x}, f2 = {OTHER, do_free, w};
    pthread_t t1 = start(&f1);
    if (!park_wait(YP_REMOTE_AFTER_DIRTY)) return;
    pthread_t t2 = start(&f2);
    pthread_join(t2, NULL);
    CHECK_EQ((intptr_t)f2.result, 0);
    offheap_gc_report_t r;
    offheap_gc_ex(&r); /* applies both frees (x's line is dirty), the pool is empty */
    CHECK_EQ(r.remote_drained, 2);
    CHECK(mapped(x)); /* the parked free guards it */
    park_release(YP_REMOTE_AFTER_DIRTY);
    pthread_join(t1, NULL);
    CHECK_EQ((intptr_t)f1.result, 0);
    offheap_gc_ex(&r); /* claims the late count, finds nothing left to free */
    CHECK_EQ(r.remote_drained, 0);
    CHECK(!mapped(x)); /* now it goes */
    expect_process_empty();
}

/* The owner has drained and chosen its now-empty pool for unmapping when a
 * remote free that was already applied (its line was dirty) finishes: it
 * counts itself and pushes the chunk onto the owner's inbox. The retire that
 * follows must see the count and keep the pool, or the next drain would
 * scan an unmapped pool. */
static char* _Atomic owned_x;
static char* _Atomic owned_w;
static _Atomic int go_trim;
static void* owner_trims_after_late_push(void* arg) {
    (void)arg;
    atomic_store(&owned_w, offheap_alloc(8 * MiB));
    atomic_store(&owned_x, offheap_alloc(16 * MiB));
    map_spare_empty_pool();
    while (!atomic_load(&go_trim)) sched_yield();
    offheap_gc_report_t r;
    offheap_gc_ex(&r); /* applies both frees, then parks at TRIM_BEFORE_RETIRE */
    CHECK_EQ(r.remote_drained, 2);
    CHECK(mapped(atomic_load(&owned_x))); /* queued again meanwhile: kept */
    offheap_gc_ex(&r);                    /* claims the late count, finds nothing */
    CHECK_EQ(r.remote_drained, 0);
    CHECK(!mapped(atomic_load(&owned_x)));
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
    CHECK_EQ(s.remote_pending, 0);
    return NULL;
}
static void late_push_keeps_retiring_pool_mapped(void) {
    park_arm(YP_TRIM_BEFORE_RETIRE, OWNER);
    park_arm(YP_REMOTE_AFTER_DIRTY, FREER);
    job_t o = {OWNER, owner_trims_after_late_push, NULL};
    pthread_t to = start(&o);
    while (!atomic_load(&owned_x)) sched_yield();
    job_t f1 = {FREER, do_free, atomic_load(&owned_x)};
    pthread_t t1 = start(&f1);
    if (!park_wait(YP_REMOTE_AFTER_DIRTY)) return;
    CHECK_EQ(offheap_free(atomic_load(&owned_w)), 0); /* queues the chunk, count 1 */
    atomic_store(&go_trim, 1);
    if (!park_wait(YP_TRIM_BEFORE_RETIRE)) return; /* both applied, pool empty */
    park_release(YP_REMOTE_AFTER_DIRTY);           /* the late free counts 0 -> 1 and pushes */
    pthread_join(t1, NULL);
    CHECK_EQ((intptr_t)f1.result, 0);
    park_release(YP_TRIM_BEFORE_RETIRE);
    pthread_join(to, NULL);
    expect_process_empty();
}

/* A double free of a 16 MiB block (its pool now empty, a spare empty pool
 * mapped after it) from another thread, parked at `point`; gc runs while it
 * waits. Returns whether the pool was still mapped after that gc. */
static int stale_free_parked_at(int point, intptr_t* result) {
    char* x = offheap_alloc(16 * MiB);
    map_spare_empty_pool();
    CHECK_EQ(offheap_free(x), 0);
    park_arm(point, FREER);
    job_t f = {FREER, do_free, x};
    pthread_t t = start(&f);
    if (!park_wait(point)) return -1;
    offheap_gc();
    int still_mapped = mapped(x);
    park_release(point);
    pthread_join(t, NULL);
    *result = (intptr_t)f.result;
    offheap_gc();
    CHECK(!mapped(x));
    expect_process_empty();
    return still_mapped;
}

/* Issue 9.2: a stale free from another thread that has looked the chunk up
 * but not read inside it, while the owner's gc unmaps the pool. */
static void stale_free_while_pool_is_unmapped(void) {
    intptr_t rc = 0;
    CHECK_EQ(stale_free_parked_at(YP_FREE_AFTER_LOOKUP, &rc), 0); /* no guard yet: the pool goes */
    CHECK_EQ(rc, OFFHEAP_EINVAL);                                 /* the guard finds it retired */
}

/* Issue 9.2, the other half: the stale free holds its guard and is parked
 * before it reads the block's state byte; the owner's gc must leave the pool
 * mapped until it is done. */
static void stale_free_guard_keeps_pool_mapped(void) {
    intptr_t rc = 0;
    CHECK_EQ(stale_free_parked_at(YP_REMOTE_AFTER_GUARD, &rc), 1);
    CHECK_EQ(rc, OFFHEAP_EINVAL); /* a double free, detected */
}

/* A stale free parked after the lookup while the entry is re-registered for
 * a new pool: its guard counts against the new chunk and is dropped once, so
 * the new pool can still be unmapped; the free itself finds no live block. */
static void stale_free_across_reregistration(void) {
    char* x = offheap_alloc(8 * MiB); /* offset 8 MiB: new pools below take only 16 MiB blocks */
    map_spare_empty_pool();
    CHECK_EQ(offheap_free(x), 0);
    park_arm(YP_FREE_AFTER_LOOKUP, FREER);
    job_t f = {FREER, do_free, x};
    pthread_t t = start(&f);
    if (!park_wait(YP_FREE_AFTER_LOOKUP)) return;
    offheap_gc();
    CHECK(!mapped(x));
    /* a new pool on x's slot; its 16 MiB block leaves x's offset a free block start */
    next_pool_at(x);
    void* fresh[4]; /* the spare pool's 16 MiB block first, then the new pool's */
    int n = 0, same = 0;
    while (n < 4 && !same) {
        fresh[n] = offheap_alloc(16 * MiB);
        same = (uintptr_t)fresh[n++] >> 25 == (uintptr_t)x >> 25;
    }
    void* base = (void*)((uintptr_t)x & ~(uintptr_t)(OFFHEAP_POOL_SIZE - 1));
    park_release(YP_FREE_AFTER_LOOKUP);
    pthread_join(t, NULL);
    CHECK_EQ((intptr_t)f.result, OFFHEAP_EINVAL);
    CHECK(same); /* else this test did not open the window it is for */
    while (n) CHECK_EQ(offheap_free(fresh[--n]), 0);
    /* had the raced guard leaked a count (or dropped another), the new pool
     * could not be unmapped (or could be while pinned) */
    CHECK_EQ(offheap_pin(base), 0);
    map_spare_empty_pool();
    offheap_gc();
    CHECK(mapped(x)); /* pinned */
    offheap_unpin(base);
    offheap_gc();
    CHECK(!mapped(x));
    expect_process_empty();
}

/* Issue 9.9, owner side: the owner's free has read LIVE and is parked before
 * its plain store while another thread frees the same block (both calls
 * succeed). The block is freed once and the pending count ends exact. For a
 * buddy block, a slot of a run and a trimmed block (each frees its own way). */
static char* _Atomic shared_block;
static void* owner_frees_parked(void* arg) {
    size_t size = (size_t)(uintptr_t)arg;
    char* x = offheap_alloc(size);
    atomic_store(&shared_block, x);
    intptr_t rc = offheap_free(x); /* parks at OWNER_FREE_AFTER_LOAD */
    /* a slow path drains the other thread's free before x can be reused:
     * it must find x no longer REMOTE and leave it alone */
    CHECK_EQ(offheap_free(offheap_alloc(3 << 20)), 0);
    /* the heap is sound: x comes back at most once among many blocks */
    enum { N = 3000 };
    static char* got[N];
    int seen = 0;
    int n = size > 65536 ? 64 : N;
    for (int i = 0; i < n; i++) {
        got[i] = offheap_alloc(size);
        seen += got[i] == x;
    }
    offheap_gc();
    for (int i = 0; i < n; i++) CHECK_EQ(offheap_free(got[i]), 0);
    CHECK(seen <= 1);
    offheap_gc();
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK_EQ(s.remote_pending, 0);
    CHECK_EQ(s.bytes_live, 0);
    return (void*)rc;
}
static void owner_and_remote_double_free_of(size_t size) {
    park_arm(YP_OWNER_FREE_AFTER_LOAD, OWNER);
    job_t o = {OWNER, owner_frees_parked, (void*)(uintptr_t)size};
    pthread_t t = start(&o);
    if (!park_wait(YP_OWNER_FREE_AFTER_LOAD)) return;
    CHECK_EQ(offheap_free(atomic_load(&shared_block)), 0); /* LIVE -> REMOTE, counted, queued */
    park_release(YP_OWNER_FREE_AFTER_LOAD);
    pthread_join(t, NULL);
    CHECK_EQ((intptr_t)o.result, 0);
    expect_process_empty();
}
static void owner_and_remote_double_free_keep_counters_exact(void) { owner_and_remote_double_free_of(1000); }
static void owner_and_remote_double_free_of_a_slot(void) { owner_and_remote_double_free_of(5000); }
static void owner_and_remote_double_free_of_a_trimmed_block(void) { owner_and_remote_double_free_of(600 << 10); }

/* Issue 9.9, realloc: an in-place resize holds the block in TRANSIT, so a
 * free from another thread in the middle is refused, not overwritten. */
static void* owner_reallocs_parked(void* arg) {
    (void)arg;
    char* x = offheap_alloc(128 << 10); /* above the slab sizes: its buddy is free */
    memset(x, 7, 128 << 10);
    atomic_store(&shared_block, x);
    char* y = offheap_realloc(x, 256 << 10); /* parks at REALLOC_RESIZING */
    CHECK(y == x);                           /* grown in place */
    CHECK(y && y[(128 << 10) - 1] == 7);
    CHECK_EQ(offheap_usable_size(y), 256 << 10);
    CHECK_EQ(offheap_free(y), 0);
    return NULL;
}
static void realloc_in_place_refuses_a_racing_free(void) {
    park_arm(YP_REALLOC_RESIZING, OWNER);
    job_t o = {OWNER, owner_reallocs_parked, NULL};
    pthread_t t = start(&o);
    if (!park_wait(YP_REALLOC_RESIZING)) return;
    CHECK_EQ(offheap_free(atomic_load(&shared_block)), OFFHEAP_EINVAL);
    park_release(YP_REALLOC_RESIZING);
    pthread_join(t, NULL);
    expect_process_empty();
}

/* ---- the drain ---- */

/* The owner has claimed a chunk's count and is parked before scanning; a
 * new free of the same chunk queues it again. Each block is freed once, the
 * second claim finds nothing, the counts balance. */
static char* _Atomic blocks2[2];
static _Atomic int go_drain;
static void* owner_drains_parked(void* arg) {
    (void)arg;
    atomic_store(&blocks2[0], offheap_alloc(MiB));
    atomic_store(&blocks2[1], offheap_alloc(MiB));
    while (!atomic_load(&go_drain)) sched_yield();
    offheap_gc_report_t r1, r2;
    offheap_gc_ex(&r1); /* parks at DRAIN_AFTER_CLAIM */
    offheap_gc_ex(&r2);
    CHECK_EQ(r1.remote_drained + r2.remote_drained, 2);
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
    CHECK_EQ(s.remote_pending, 0);
    CHECK(heap_fully_coalesced());
    return NULL;
}
static void drain_after_claim_sees_late_frees(void) {
    park_arm(YP_DRAIN_AFTER_CLAIM, OWNER);
    job_t o = {OWNER, owner_drains_parked, NULL};
    pthread_t t = start(&o);
    while (!atomic_load(&blocks2[1])) sched_yield();
    CHECK_EQ(offheap_free(atomic_load(&blocks2[0])), 0);
    atomic_store(&go_drain, 1);
    if (!park_wait(YP_DRAIN_AFTER_CLAIM)) return;
    CHECK_EQ(offheap_free(atomic_load(&blocks2[1])), 0); /* count 0 -> 1: queued again */
    offheap_stats_t s;
    offheap_global_stats(&s);
    CHECK_EQ(s.remote_pending, 1);
    park_release(YP_DRAIN_AFTER_CLAIM);
    pthread_join(t, NULL);
    expect_process_empty();
}

/* The first free into a word of dirty lines is parked before it sets the
 * word's top bit; a second free into the same word skips the top bit and
 * announces. A drain then finds nothing (the word is invisible to it), and
 * the first free's own announcement, after its top bit, brings both back. */
static _Atomic int drain_step;
static uint64_t drained[2];
static void* owner_drains_twice(void* arg) {
    (void)arg;
    atomic_store(&blocks2[0], offheap_alloc(1000));
    atomic_store(&blocks2[1], offheap_alloc(1000));
    for (int i = 0; i < 2; i++) {
        while (atomic_load(&drain_step) != 2 * i + 1) sched_yield();
        offheap_gc_report_t r;
        offheap_gc_ex(&r);
        drained[i] = r.remote_drained;
        atomic_store(&drain_step, 2 * i + 2);
    }
    return NULL;
}
static void wait_step(int step) {
    while (atomic_load(&drain_step) != step) sched_yield();
}
static void second_free_into_a_dirty_word_waits_for_the_first(void) {
    job_t o = {OWNER, owner_drains_twice, NULL};
    pthread_t t = start(&o);
    while (!atomic_load(&blocks2[1])) sched_yield();
    char *a = atomic_load(&blocks2[0]), *b = atomic_load(&blocks2[1]);
    uintptr_t base = (uintptr_t)a & ~((uintptr_t)OFFHEAP_POOL_SIZE - 1);
    CHECK_EQ(((uintptr_t)a - base) >> 18, ((uintptr_t)b - base) >> 18); /* one word of 64 lines */
    park_arm(YP_REMOTE_BEFORE_TOP, FREER);
    job_t f = {FREER, do_free, a};
    pthread_t ft = start(&f);
    if (!park_wait(YP_REMOTE_BEFORE_TOP)) return;
    CHECK_EQ(offheap_free(b), 0); /* word already non-zero: no top bit, announced */
    offheap_stats_t s;
    offheap_global_stats(&s);
    CHECK_EQ(s.remote_pending, 1);
    atomic_store(&drain_step, 1);
    wait_step(2);
    CHECK_EQ(drained[0], 0); /* claimed b's announcement, could not see its word */
    CHECK_EQ(offheap_free(b), OFFHEAP_EINVAL); /* still REMOTE: a second free is refused */
    park_release(YP_REMOTE_BEFORE_TOP);
    pthread_join(ft, NULL);
    CHECK_EQ((intptr_t)f.result, 0);
    atomic_store(&drain_step, 3);
    wait_step(4);
    CHECK_EQ(drained[1], 2);
    pthread_join(t, NULL);
    expect_process_empty();
}

/* ---- trim, unmap, register ---- */

/* The owner has retired an empty pool and is parked before unmapping it:
 * frees, size queries and pins from other threads are refused, not faults. */
static void* owner_trims_parked(void* arg) {
    (void)arg;
    char* x = offheap_alloc(16 * MiB);
    map_spare_empty_pool();
    CHECK_EQ(offheap_free(x), 0);
    atomic_store(&shared_block, x);
    offheap_gc(); /* parks at TRIM_AFTER_RETIRE */
    CHECK(!mapped(x));
    return NULL;
}
static void retired_pool_refuses_guards(void) {
    park_arm(YP_TRIM_AFTER_RETIRE, OWNER);
    job_t o = {OWNER, owner_trims_parked, NULL};
    pthread_t t = start(&o);
    if (!park_wait(YP_TRIM_AFTER_RETIRE)) return;
    char* x = atomic_load(&shared_block);
    CHECK_EQ(offheap_free(x), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_usable_size(x), 0);
    CHECK_EQ(offheap_pin((void*)((uintptr_t)x & ~(OFFHEAP_POOL_SIZE - 1))), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_realloc(x, 100), NULL);
    uint64_t ticket;
    CHECK_EQ(offheap_handoff(x, &ticket), OFFHEAP_EINVAL);
    park_release(YP_TRIM_AFTER_RETIRE);
    pthread_join(t, NULL);
    expect_process_empty();
}

/* A thread maps a pool and is parked before publishing its entry; a stale
 * free into that range takes a guard on the half-made entry, finds no pool
 * and drops the guard, which must not keep the new pool from being unmapped. */
static _Atomic uintptr_t probe_slot;
static void* owner_maps_parked(void* arg) {
    (void)arg;
    while (atomic_load(&go_drain) != 1) sched_yield(); /* started before the slot was freed: its stack is not there */
    char* x = offheap_alloc(8 * MiB); /* the first pool: parks at REGISTER_BEFORE_PUBLISH */
    CHECK(x && (uintptr_t)x >> 25 == atomic_load(&probe_slot) >> 25); /* on the retired slot */
    atomic_store(&shared_block, x);
    while (atomic_load(&go_drain) != 2) sched_yield();
    CHECK_EQ(offheap_free(x), 0);
    offheap_gc_report_t r;
    offheap_gc_ex(&r); /* keeps one empty pool ... */
    offheap_thread_detach(); /* ... which the adopter (main) then owns */
    return NULL;
}
static void stale_free_during_registration(void) {
    park_arm(YP_REGISTER_BEFORE_PUBLISH, OWNER);
    job_t o = {OWNER, owner_maps_parked, NULL};
    pthread_t t = start(&o);
    /* a slot that held a pool: its entry is retired and unregistered */
    char* probe = offheap_alloc(16 * MiB);
    uintptr_t slot = (uintptr_t)probe & ~(uintptr_t)(OFFHEAP_POOL_SIZE - 1);
    map_spare_empty_pool();
    CHECK_EQ(offheap_free(probe), 0);
    offheap_gc();
    CHECK(!mapped(probe));
    atomic_store(&probe_slot, slot);
    next_pool_at(probe);
    atomic_store(&go_drain, 1);
    if (!park_wait(YP_REGISTER_BEFORE_PUBLISH)) return;
    CHECK_EQ(offheap_free((void*)(slot + 8 * MiB)), OFFHEAP_EINVAL); /* not published: no block */
    park_release(YP_REGISTER_BEFORE_PUBLISH);
    while (!atomic_load(&shared_block)) sched_yield();
    atomic_store(&go_drain, 2);
    pthread_join(t, NULL);
    /* adopt its heap, then everything empty goes but one pool: if a guard
     * count had leaked on its entry, its pool would stay mapped */
    offheap_gc();
    offheap_gc();
    offheap_stats_t s;
    offheap_global_stats(&s);
    CHECK_EQ(s.pool_count, 1);
    expect_process_empty();
}

/* ---- adoption and detach ---- */

/* A remote free counted on the chunk but parked before pushing it, while its
 * owner exits and is adopted: the push finds the new owner, nothing is lost. */
static void* exit_with_blocks(void* arg) {
    (void)arg;
    atomic_store(&blocks2[0], offheap_alloc(MiB));
    atomic_store(&blocks2[1], offheap_alloc(MiB));
    return NULL; /* exits: the heap goes pending */
}
static void free_racing_owner_exit_reaches_adopter(void) {
    job_t o = {OTHER, exit_with_blocks, NULL};
    pthread_t t = start(&o);
    pthread_join(t, NULL);
    park_arm(YP_REMOTE_BEFORE_PUSH, FREER);
    job_t f = {FREER, do_free, atomic_load(&blocks2[0])};
    pthread_t tf = start(&f);
    if (!park_wait(YP_REMOTE_BEFORE_PUSH)) return;
    offheap_gc_report_t r;
    offheap_gc_ex(&r); /* adopts the exited heap: the parked free is not on its inbox yet */
    CHECK_EQ(r.heaps_adopted, 1);
    CHECK_EQ(r.remote_drained, 0);
    park_release(YP_REMOTE_BEFORE_PUSH);
    pthread_join(tf, NULL);
    CHECK_EQ((intptr_t)f.result, 0);
    offheap_gc_ex(&r);
    CHECK_EQ(r.remote_drained, 1); /* it reached the adopter */
    CHECK_EQ(offheap_free(atomic_load(&blocks2[1])), 0);
    expect_process_empty();
}

/* The adopter is parked after re-owning the chunks, before closing the old
 * inbox; a free meanwhile goes to the new owner and is applied. */
static void* adopter_parked(void* arg) {
    (void)arg;
    offheap_gc_report_t r0, r;
    offheap_gc_ex(&r0); /* parks at ADOPT_BEFORE_CLOSE (its new heap adopts the exited one) */
    while (atomic_load(&go_drain) != 3) sched_yield();
    offheap_gc_ex(&r);
    CHECK_EQ(r0.remote_drained + r.remote_drained, 1); /* applied once, by the first gc or the second */
    CHECK_EQ(offheap_free(atomic_load(&blocks2[1])), 0); /* now its own block */
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
    return NULL;
}
static void free_during_adoption_is_applied(void) {
    job_t o = {OTHER, exit_with_blocks, NULL};
    pthread_t t = start(&o);
    pthread_join(t, NULL);
    park_arm(YP_ADOPT_BEFORE_CLOSE, OWNER);
    job_t a = {OWNER, adopter_parked, NULL};
    pthread_t ta = start(&a);
    if (!park_wait(YP_ADOPT_BEFORE_CLOSE)) return;
    CHECK_EQ(offheap_free(atomic_load(&blocks2[0])), 0);
    park_release(YP_ADOPT_BEFORE_CLOSE);
    atomic_store(&go_drain, 3);
    pthread_join(ta, NULL);
    expect_process_empty();
}

/* A thread parked inside offheap_thread_detach (caches flushed, heap not yet
 * pending) while another frees its block: the free lands on the inbox and
 * the adopter applies it. */
static void* detach_parked(void* arg) {
    (void)arg;
    atomic_store(&shared_block, offheap_alloc(4096));
    while (!atomic_load(&go_drain)) sched_yield();
    offheap_thread_detach(); /* parks at DETACH_BEFORE_PUSH */
    return NULL;
}
static void free_during_detach_is_applied(void) {
    park_arm(YP_DETACH_BEFORE_PUSH, OWNER);
    job_t o = {OWNER, detach_parked, NULL};
    pthread_t t = start(&o);
    while (!atomic_load(&shared_block)) sched_yield();
    atomic_store(&go_drain, 1);
    if (!park_wait(YP_DETACH_BEFORE_PUSH)) return;
    CHECK_EQ(offheap_free(atomic_load(&shared_block)), 0);
    park_release(YP_DETACH_BEFORE_PUSH);
    pthread_join(t, NULL);
    expect_process_empty();
}

/* ---- driver ---- */

static const named_test_t tests[] = {
    NAMED(remote_free_in_flight_keeps_pool_mapped),
    NAMED(stale_free_while_pool_is_unmapped),
    NAMED(stale_free_guard_keeps_pool_mapped),
    NAMED(stale_free_across_reregistration),
    NAMED(owner_and_remote_double_free_keep_counters_exact),
    NAMED(owner_and_remote_double_free_of_a_slot),
    NAMED(owner_and_remote_double_free_of_a_trimmed_block),
    NAMED(realloc_in_place_refuses_a_racing_free),
    NAMED(drain_after_claim_sees_late_frees),
    NAMED(second_free_into_a_dirty_word_waits_for_the_first),
    NAMED(retired_pool_refuses_guards),
    NAMED(late_push_keeps_retiring_pool_mapped),
    NAMED(stale_free_during_registration),
    NAMED(free_racing_owner_exit_reaches_adopter),
    NAMED(free_during_adoption_is_applied),
    NAMED(free_during_detach_is_applied),
};

int main(int argc, char** argv) {
    park_install();
    return run_named(tests, sizeof tests / sizeof tests[0], argc, argv);
}
