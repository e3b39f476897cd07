/* test_overflow.c -- more threads than heap ids. Built with a core compiled
 * for OFFHEAP_MAX_HEAPS=64: 80 threads alive at once, the 16 without an id
 * share the overflow heap (under its lock), and blocks still cross freely. */
#define _GNU_SOURCE
#include "check.h"
#include "heap.h"
#include "offheap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define THREADS 80
#define PER 100

static pthread_barrier_t all_allocated, all_handed;
static char* blocks[THREADS][PER];
static _Atomic int bad;

static void* worker(void* arg) {
    int me = (int)(uintptr_t)arg;
    for (int i = 0; i < PER; i++) {
        size_t size = 64 + (size_t)(i * 97 % 3000);
        blocks[me][i] = offheap_alloc(size);
        if (!blocks[me][i]) atomic_fetch_add(&bad, 1);
        else memset(blocks[me][i], me, size);
    }
    pthread_barrier_wait(&all_allocated); /* every thread alive: ids are exhausted */
    for (int i = 0; i < PER; i += 2) {
        if (blocks[me][i][0] != (char)me || offheap_free(blocks[me][i])) atomic_fetch_add(&bad, 1);
    }
    pthread_barrier_wait(&all_handed);
    int next = (me + 1) % THREADS; /* the odd ones of the neighbour: cross-thread frees */
    for (int i = 1; i < PER; i += 2) {
        if (blocks[next][i][0] != (char)next || offheap_free(blocks[next][i])) atomic_fetch_add(&bad, 1);
    }
    offheap_gc();
    return NULL;
}

static void threads_beyond_the_id_limit_share_a_heap(void) {
    pthread_t t[THREADS];
    pthread_barrier_init(&all_allocated, NULL, THREADS + 1);
    pthread_barrier_init(&all_handed, NULL, THREADS);
    for (uintptr_t i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void*)i);
    pthread_barrier_wait(&all_allocated);
    offheap_stats_t s;
    offheap_global_stats(&s);
    CHECK_EQ(s.heaps_live, OFFHEAP_MAX_HEAPS + 1); /* every id, plus the shared overflow heap */
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&bad), 0);
    offheap_gc();
    offheap_global_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
    CHECK_EQ(s.alloc_count, s.free_count);
    CHECK_EQ(s.heaps_pending, 0);
}

int main(void) {
    RUN(threads_beyond_the_id_limit_share_a_heap);
    return CHECK_SUMMARY();
}
