/* shim_report.c -- liboffheap.so's start-up, its exit report and its
 * handling of invalid pointers.
 *
 *  OFFHEAP_MALLOC_STATS=<file>  each process that loaded the library appends
 *                               one line at exit: pid, the core's global stats,
 *                               foreign and invalid frees. Proof for tests and
 *                               benchmarks that the library was in use.
 *  OFFHEAP_SWAP                 unset: no file-backed memory (see shim_start).
 *  OFFHEAP_MALLOC_STRICT=1      a free or realloc of a pointer inside our
 *                               chunks that is no live block (double free,
 *                               interior pointer) aborts, as glibc does. By
 *                               default it is counted and ignored: the core
 *                               detected it, so nothing was corrupted.
 */
#define _GNU_SOURCE
#include "shim.h"
#include "offheap.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char stats_path[PATH_MAX];
static _Atomic int strict;

void shim_invalid_pointer(const char* op, const void* p) {
    atomic_fetch_add_explicit(&shim_invalid_frees, 1, memory_order_relaxed);
    if (!atomic_load_explicit(&strict, memory_order_relaxed)) return;
    char msg[128];
    int n = snprintf(msg, sizeof msg, "offheap: %s(%p): not a live block (double free?)\n", op, p);
    if (n > 0 && write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0) { /* nothing to do */ }
    abort();
}

/* Runs before main. The first allocation also sets up the core's process-wide
 * state (pthread_once), so a fork() racing with another thread's very first
 * allocation cannot leave a child waiting on a half-done once. */
__attribute__((constructor)) static void shim_start(void) {
    /* File-backed pools are MAP_SHARED: a fork() child would write into its
     * parent's blocks. malloc's memory is private, so the swap fallback stays
     * off unless OFFHEAP_SWAP asks for it. */
    if (!getenv("OFFHEAP_SWAP")) {
        offheap_config_t cfg = {.set = OFFHEAP_CFG_SWAP_POLICY, .swap_policy = OFFHEAP_SWAP_NEVER};
        offheap_configure(&cfg);
    }
    offheap_free(offheap_alloc(1));
    const char* s = getenv("OFFHEAP_MALLOC_STRICT");
    atomic_store(&strict, s && strcmp(s, "1") == 0);
    const char* path = getenv("OFFHEAP_MALLOC_STATS");
    if (path && strlen(path) < sizeof stats_path) strcpy(stats_path, path);
}

__attribute__((destructor)) static void shim_report(void) {
    if (!stats_path[0]) return;
    offheap_stats_t st;
    offheap_global_stats(&st);
    char line[512];
    int n = snprintf(line, sizeof line,
                     "offheap-malloc pid=%d alloc_count=%llu free_count=%llu bytes_live=%llu bytes_peak=%llu "
                     "pools=%llu huge=%llu heaps_live=%llu heaps_pending=%llu foreign_frees=%llu invalid_frees=%llu\n",
                     (int)getpid(), (unsigned long long)st.alloc_count, (unsigned long long)st.free_count,
                     (unsigned long long)st.bytes_live, (unsigned long long)st.bytes_peak,
                     (unsigned long long)st.pool_count, (unsigned long long)st.huge_count,
                     (unsigned long long)st.heaps_live, (unsigned long long)st.heaps_pending,
                     (unsigned long long)atomic_load(&shim_foreign_frees),
                     (unsigned long long)atomic_load(&shim_invalid_frees));
    int fd = open(stats_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || n <= 0) return;
    /* one write per line: processes sharing the file never interleave */
    if (write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) { /* nothing to do */ }
    close(fd);
}
