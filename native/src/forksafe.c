/* forksafe.c -- fork() while another thread holds one of the core's locks.
 *
 * The child has only the forking thread, so a lock held elsewhere at the
 * fork would stay locked in the child for ever (a malloc replacement over the
 * core forks inside every program that does). Every lock is taken before the
 * fork, in the order the code nests them (overflow heap, then swap, then
 * configuration; the hand-off table on its own), and released on both sides.
 * The lock-free parts need nothing: a CAS either happened before the fork or
 * not at all.
 *
 * File-backed (swap) memory is MAP_SHARED: the child turns it into private
 * memory with the same bytes before anything else runs in it, while the
 * parent's forking thread waits (swap.c), so that fork() copies it as it
 * copies anonymous memory. Blocks other threads of the parent write during
 * the copy may reach the child half-written, as they may in any fork() of a
 * running multi-threaded program; the parent's memory is never written.
 */
#include "forksafe.h"
#include "chunkmap.h"
#include "heap.h"
#include "swap.h"

#include <pthread.h>

static void prepare(void) {
    heap_fork_lock(1);
    swap_fork_lock(1);
    swap_fork_prepare();
    config_fork_lock(1);
    handoff_fork_lock(1);
}

static void unlock_all(void) {
    handoff_fork_lock(0);
    config_fork_lock(0);
    swap_fork_lock(0);
    heap_fork_lock(0);
}

static void in_parent(void) {
    swap_fork_parent();
    unlock_all();
}

/* The chunk at base is anonymous memory now: its owner counts it so. A
 * mapping another thread had not registered yet stays unknown (and leaks:
 * that thread does not exist in the child). */
static void chunk_now_anonymous(uintptr_t base) {
    chunk_t* c = chunk_lookup(base);
    if (!c || atomic_load_explicit(&c->kind, RELAXED) == CHUNK_NONE || c->swap_file < 0) return;
    heap_t* owner = atomic_load_explicit(&c->owner, RELAXED);
    if (owner) count_mapping(owner, c, -1);
    c->swap_file = -1;
    c->file_off = 0;
    if (owner) count_mapping(owner, c, +1);
}

static void in_child(void) {
    swap_fork_child(chunk_now_anonymous);
    unlock_all();
}

static void install(void) { pthread_atfork(prepare, in_parent, in_child); }

static pthread_once_t once = PTHREAD_ONCE_INIT;
void forksafe_install(void) { pthread_once(&once, install); }
