/* test_overflow.c -- more threads than heap ids. Built with a core compiled
 * for OFFHEAP_MAX_HEAPS=64: 80 threads alive at once, the 16 without an id
 * share the overflow heap (under its lock), and blocks still cross freely.
 * Also: fork() while another thread holds that lock (forksafe.c). */
#define _GNU_SOURCE
#include "check.h"
#include "heap.h"
#include "offheap.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 80
#define PER 100

static pthread_barrier_t all_allocated, stats_taken, all_handed;
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
    pthread_barrier_wait(&stats_taken);   /* and stays so until the main thread has counted */
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
    pthread_barrier_init(&stats_taken, NULL, THREADS + 1);
    pthread_barrier_init(&all_handed, NULL, THREADS);
    for (uintptr_t i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void*)i);
    pthread_barrier_wait(&all_allocated);
    offheap_stats_t s;
    offheap_global_stats(&s);
    CHECK_EQ(s.heaps_live, OFFHEAP_MAX_HEAPS + 1); /* every id, plus the shared overflow heap */
    pthread_barrier_wait(&stats_taken);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&bad), 0);
    offheap_gc();
    offheap_global_stats(&s);
    CHECK_EQ(s.bytes_live, 0);
    CHECK_EQ(s.alloc_count, s.free_count);
    CHECK_EQ(s.heaps_pending, 0);
}

/* ---- fork while the overflow heap's lock is held by another thread ---- */

static _Atomic int fork_stop, holders_ready;
static pthread_barrier_t ids_taken;

static void* id_holder(void* arg) { /* keeps a heap id until the test ends */
    (void)arg;
    offheap_free(offheap_alloc(64));
    pthread_barrier_wait(&ids_taken);
    while (!atomic_load(&fork_stop)) usleep(1000);
    return NULL;
}

static void* overflow_churn(void* arg) { /* takes and drops the overflow lock all the time */
    (void)arg;
    atomic_fetch_add(&holders_ready, 1);
    while (!atomic_load(&fork_stop)) offheap_free(offheap_alloc(64 + (size_t)(rand() % 4000)));
    return NULL;
}

/* 1 if the child exited 0 within 5 s; a child stuck on a lock is killed. */
static int child_finished(pid_t pid) {
    for (int i = 0; i < 500; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}

static _Atomic int fork_failures;
static void* forker(void* arg) { /* a thread without an id: it allocates in the overflow heap too */
    (void)arg;
    for (int i = 0; i < 200; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            void* p = offheap_alloc(100); /* the overflow heap's lock, in the child */
            _exit(p && offheap_free(p) == 0 ? 0 : 1);
        }
        if (pid < 0 || !child_finished(pid)) {
            atomic_fetch_add(&fork_failures, 1);
            break; /* one stuck child says it all */
        }
    }
    return NULL;
}

static void fork_while_another_thread_holds_the_overflow_lock(void) {
    pthread_t holders[OFFHEAP_MAX_HEAPS], churn, f;
    pthread_barrier_init(&ids_taken, NULL, OFFHEAP_MAX_HEAPS + 1);
    for (int i = 0; i < OFFHEAP_MAX_HEAPS; i++) pthread_create(&holders[i], NULL, id_holder, NULL);
    pthread_barrier_wait(&ids_taken); /* with main's heap: every id is taken */
    pthread_create(&churn, NULL, overflow_churn, NULL);
    while (!atomic_load(&holders_ready)) usleep(100);
    pthread_create(&f, NULL, forker, NULL);
    pthread_join(f, NULL);
    atomic_store(&fork_stop, 1);
    pthread_join(churn, NULL);
    for (int i = 0; i < OFFHEAP_MAX_HEAPS; i++) pthread_join(holders[i], NULL);
    CHECK_EQ(atomic_load(&fork_failures), 0);
}

int main(void) {
    RUN(threads_beyond_the_id_limit_share_a_heap);
    RUN(fork_while_another_thread_holds_the_overflow_lock);
    return CHECK_SUMMARY();
}
