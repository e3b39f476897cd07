/* forksafe.c -- fork() while another thread holds one of the core's locks.
 *
 * The child has only the forking thread, so a lock held elsewhere at the
 * fork would stay locked in the child for ever (a malloc replacement over the
 * core forks inside every program that does). Every lock is taken before the
 * fork, in the order the code nests them (overflow heap, then swap, then
 * configuration; the hand-off table on its own), and released on both sides.
 * The lock-free parts need nothing: a CAS either happened before the fork or
 * not at all.
 */
#include "forksafe.h"

#include <pthread.h>

static void prepare(void) {
    heap_fork_lock(1);
    swap_fork_lock(1);
    config_fork_lock(1);
    handoff_fork_lock(1);
}

static void after(void) {
    handoff_fork_lock(0);
    config_fork_lock(0);
    swap_fork_lock(0);
    heap_fork_lock(0);
}

static void install(void) { pthread_atfork(prepare, after, after); }

static pthread_once_t once = PTHREAD_ONCE_INIT;
void forksafe_install(void) { pthread_once(&once, install); }
