/* park.h -- deterministic interleavings through the core's yield points.
 *
 * Built against a core compiled with OFFHEAP_YIELD_POINTS (yieldpoint.h). A
 * thread takes a role (park_as); park_arm(point, role) makes the first thread
 * of that role that reaches `point` stop there until park_release. The test
 * meanwhile runs another thread through the window. Waits time out (a test
 * failure, never a hang), so a missed point shows as a failed CHECK.
 */
#ifndef OFFHEAP_PARK_H
#define OFFHEAP_PARK_H

#include "../src/yieldpoint.h"
#include "check.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

static _Thread_local int park_role;
static _Atomic int park_armed[YP_COUNT];    /* role to park there, 0: none */
static _Atomic int park_parked[YP_COUNT];   /* a thread waits there */
static _Atomic int park_released[YP_COUNT];
static _Atomic unsigned long park_hits[YP_COUNT];

static void park_hook(int point) {
    atomic_fetch_add(&park_hits[point], 1);
    int role = atomic_load(&park_armed[point]);
    if (!role || role != park_role) return;
    int expect = role;
    if (!atomic_compare_exchange_strong(&park_armed[point], &expect, 0)) return; /* once */
    atomic_store(&park_parked[point], 1);
    while (!atomic_load(&park_released[point])) sched_yield();
    atomic_store(&park_parked[point], 0);
}

static void park_install(void) { atomic_store(&offheap_yield_hook, park_hook); }
static void park_as(int role) { park_role = role; }

static void park_arm(int point, int role) {
    atomic_store(&park_released[point], 0);
    atomic_store(&park_armed[point], role);
}

static double park_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* 1 once a thread is parked at point (within 10 s), else 0 (and a failed CHECK). */
static int park_wait(int point) {
    double end = park_now() + 10;
    while (!atomic_load(&park_parked[point])) {
        if (park_now() > end) {
            fprintf(stderr, "  no thread reached yield point %d\n", point);
            check_failures++;
            return 0;
        }
        sched_yield();
    }
    return 1;
}

static void park_release(int point) {
    atomic_store(&park_armed[point], 0);
    atomic_store(&park_released[point], 1);
}

#endif
