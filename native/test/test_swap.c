/* test_swap.c -- the file-backed fallback, for real: files in a directory,
 * posix_fallocate, unlink-after-map, ENOSPC on a small tmpfs, hole punching,
 * and the "auto" trigger (an anonymous mapping larger than RAM refused). */
#define _GNU_SOURCE
#include "check.h"
#include "offheap.h"
#include "../src/os.h"
#include "../src/pool.h"
#include "../src/swap.h"
#include "../src/yieldpoint.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

static char dir[64];

/* A test that cannot run here says why and exits 77: ctest shows it as
 * skipped (SKIP_RETURN_CODE), never as passed. */
static int skipped;
static void skip(const char* why) {
    printf("SKIP: %s\n", why);
    skipped = 1;
}

static int files_in(const char* path) {
    DIR* d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent* e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static size_t free_bytes(const char* path) {
    struct statvfs v;
    return statvfs(path, &v) == 0 ? (size_t)v.f_bavail * v.f_frsize : 0;
}

static void set_swap(int policy, const char* where) {
    offheap_config_t cfg = {.set = OFFHEAP_CFG_SWAP_POLICY, .swap_policy = policy};
    if (where) {
        cfg.set |= OFFHEAP_CFG_SWAP_DIR;
        cfg.swap_dir = where;
    }
    CHECK_EQ(offheap_configure(&cfg), 0);
}

static void on_fresh_thread(void (*fn)(void)) {
    pthread_t t;
    pthread_create(&t, NULL, (void* (*)(void*))(void*)fn, NULL);
    pthread_join(t, NULL);
    offheap_gc(); /* adopt what it left and unmap empty pools */
}

static void always_policy_body(void) {
    char* p = offheap_alloc(MiB);
    char* huge = offheap_alloc(40 * MiB);
    CHECK(p && huge);
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK_EQ(s.swap_pool_count, 1);
    CHECK_EQ(s.bytes_swap, OFFHEAP_POOL_SIZE + 40 * MiB);
    CHECK_EQ(files_in(dir), 0); /* unlinked as soon as mapped */
    offheap_chunk_t c;
    CHECK_EQ(offheap_chunk_of(p, &c), 0);
    CHECK(c.is_file_backed);
    for (size_t i = 0; i < MiB; i += 4096) p[i] = (char)(i >> 12);
    for (size_t i = 0; i < 40 * MiB; i += 4096) huge[i] = (char)(i >> 12);
    int intact = 1;
    for (size_t i = 0; i < MiB; i += 4096) intact &= p[i] == (char)(i >> 12);
    for (size_t i = 0; i < 40 * MiB; i += 4096) intact &= huge[i] == (char)(i >> 12);
    CHECK(intact);
    CHECK_EQ(offheap_free(p), 0);
    CHECK_EQ(offheap_free(huge), 0);
    offheap_thread_detach();
}

static void always_policy_maps_unlinked_files(void) {
    strcpy(dir, "/tmp/offheap-swap-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    set_swap(OFFHEAP_SWAP_ALWAYS, dir);
    on_fresh_thread(always_policy_body);
    set_swap(OFFHEAP_SWAP_AUTO, "/tmp");
    CHECK_EQ(files_in(dir), 0);
    rmdir(dir);
}

static void full_disk_body(void) {
    /* 48 MiB of tmpfs: one 32 MiB pool fits, a second does not */
    char* a = offheap_alloc(64);
    char* b = offheap_alloc(16 * MiB);
    CHECK(a && b);
    memset(b, 1, 16 * MiB);
    errno = 0;
    CHECK(offheap_alloc(16 * MiB) == NULL); /* needs a second pool: ENOSPC */
    CHECK_EQ(errno, ENOMEM);
    errno = 0;
    CHECK(offheap_alloc(20 * MiB) == NULL); /* huge mapping: ENOSPC */
    CHECK_EQ(errno, ENOMEM);
    /* the heap is intact and usable */
    memset(a, 2, 64);
    CHECK(a[63] == 2 && b[16 * MiB - 1] == 1);
    CHECK_EQ(offheap_free(b), 0);
    char* again = offheap_alloc(16 * MiB);
    CHECK(again != NULL);
    CHECK_EQ(offheap_free(again), 0);

    /* releasing pages of a file-backed range frees its disk blocks too */
    size_t before = free_bytes(dir);
    offheap_gc();
    size_t after = free_bytes(dir);
    CHECK(after >= before + 12 * MiB);
    /* and reused blocks get disk reserved again */
    char* c = offheap_alloc(8 * MiB);
    CHECK(c != NULL);
    CHECK(free_bytes(dir) + 7 * MiB <= after);
    memset(c, 3, 8 * MiB);
    CHECK_EQ(offheap_free(c), 0);
    CHECK_EQ(offheap_free(a), 0);
    offheap_thread_detach();
}

/* Runs body on a fresh thread with every mapping file-backed in a tmpfs of
 * `size` (needs root: skipped, visibly, elsewhere). */
static void on_small_tmpfs(const char* size, void (*body)(void)) {
    strcpy(dir, "/tmp/offheap-tmpfs-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    char opts[32];
    snprintf(opts, sizeof opts, "size=%s", size);
    if (mount("offheap-test", dir, "tmpfs", 0, opts) != 0) {
        char why[160];
        snprintf(why, sizeof why, "cannot mount a tmpfs here (%s): run as root", strerror(errno));
        skip(why);
        rmdir(dir);
        return;
    }
    set_swap(OFFHEAP_SWAP_ALWAYS, dir);
    on_fresh_thread(body);
    set_swap(OFFHEAP_SWAP_AUTO, "/tmp");
    offheap_gc();
    umount2(dir, MNT_DETACH);
    rmdir(dir);
}

static void full_disk_fails_cleanly(void) { on_small_tmpfs("48m", full_disk_body); }

/* Fills the swap directory's disk with a file (removed by unfill). */
static char filler[128];
static void fill_disk(void) {
    snprintf(filler, sizeof filler, "%s/filler", dir);
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    static char buf[64 << 10];
    memset(buf, 0xAB, sizeof buf);
    while (fd >= 0 && write(fd, buf, sizeof buf) > 0) {}
    while (fd >= 0 && write(fd, buf, 4096) > 0) {}
    if (fd >= 0) close(fd);
    CHECK(free_bytes(dir) < 64 << 10);
}
static void unfill_disk(void) { unlink(filler); }

static void no_retained_pages(void) {
    offheap_config_t cfg = {.set = OFFHEAP_CFG_RETAIN_BYTES, .retain_bytes = 0};
    CHECK_EQ(offheap_configure(&cfg), 0);
}

/* Issue 9.5: realloc growing in place into a buddy whose hole was punched
 * must reserve its disk first: on a full disk it moves or fails, never maps
 * unreserved disk (a write there would SIGBUS). Runs in a child process, so
 * a SIGBUS is a failed test, not a dead suite. */
static void realloc_growth_body(void) {
    no_retained_pages();
    char* first = offheap_alloc(MiB); /* the pool's own 1 MiB block */
    char* a = offheap_alloc(MiB);     /* lower half of a split 2 MiB block: its buddy is free */
    CHECK(((uintptr_t)a & (2 * MiB - 1)) == 0);
    memset(a, 5, MiB);
    offheap_gc(); /* punches the free buddy's hole */
    fill_disk();
    char* b = offheap_realloc(a, 2 * MiB);
    if (b) memset(b, 6, 2 * MiB); /* would SIGBUS on unreserved disk */
    else CHECK(a[MiB - 1] == 5);  /* failed: a is intact */
    unfill_disk();
    CHECK_EQ(offheap_free(b ? b : a), 0);
    CHECK_EQ(offheap_free(first), 0);
    offheap_thread_detach();
}
static void realloc_growth_in_child(void) { on_small_tmpfs("40m", realloc_growth_body); }
static void realloc_growth_never_maps_unreserved_disk(void) {
    pid_t pid = fork();
    if (pid == 0) {
        realloc_growth_in_child();
        _exit(skipped ? 77 : check_failures ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) skip("no tmpfs (see the child's output)");
    else CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (WIFSIGNALED(status)) printf("  child killed by signal %d\n", WTERMSIG(status));
}

/* Issue 9.7: on a full disk, a free block that needs no new disk serves a
 * request even when the head of its free list is a punched one. */
static void released_head_body(void) {
    no_retained_pages();
    char* blk[6]; /* at 1, 2, 3, 4, 5, 6 MiB: b (2) and d (4) have live buddies */
    for (int i = 0; i < 6; i++) blk[i] = offheap_alloc(MiB);
    CHECK(blk[3] == blk[1] + 2 * MiB);
    CHECK_EQ(offheap_free(blk[1]), 0);
    CHECK_EQ(offheap_free(blk[3]), 0); /* the list of 1 MiB blocks: d, b, ... */
    /* release d's pages only, as a purge would, making the head a punched block */
    offheap_chunk_t c;
    CHECK_EQ(offheap_chunk_of(blk[3], &c), 0);
    chunk_t* entry = chunk_find((uintptr_t)blk[3]);
    uintptr_t base = (uintptr_t)c.base;
    size_t page = os_page_size();
    os_release(blk[3] + page, MiB - page, entry->swap_file, entry->file_off + ((uintptr_t)blk[3] + page - base));
    state_store((uintptr_t)blk[3], STATE(20, ST_FREE_RELEASED));
    fill_disk();
    char* got = offheap_alloc(MiB);
    CHECK(got == blk[1]); /* b needs no disk */
    if (got) memset(got, 1, MiB);
    unfill_disk();
    CHECK_EQ(offheap_free(got), 0);
    for (int i = 0; i < 6; i += 2) CHECK_EQ(offheap_free(blk[i]), 0);
    CHECK_EQ(offheap_free(blk[5]), 0);
    offheap_thread_detach();
}
static void full_disk_uses_blocks_that_need_no_disk(void) { on_small_tmpfs("40m", released_head_body); }

/* Issue 9.7: reusing cached huge mappings whose pages were released reserves
 * disk for the one chosen, for the size asked, once. */
static void huge_cache_body(void) {
    char* a = offheap_alloc(40 * MiB);
    char* b = offheap_alloc(40 * MiB);
    CHECK(a && b);
    CHECK_EQ(offheap_pin(a), 0); /* as a JavaScript buffer would: gc releases instead of unmapping */
    CHECK_EQ(offheap_pin(b), 0);
    CHECK_EQ(offheap_free(a), 0);
    CHECK_EQ(offheap_free(b), 0);
    offheap_gc();
    offheap_unpin(a);
    offheap_unpin(b);
    size_t before = free_bytes(dir);
    char* r = offheap_alloc(30 * MiB); /* smaller than both: one is trimmed to it */
    CHECK(r != NULL);
    size_t taken = before - free_bytes(dir);
    printf("  disk taken for a 30 MiB block from the cache: %zu MiB\n", taken >> 20);
    CHECK(taken <= 31 * MiB);
    if (r) memset(r, 1, 30 * MiB);
    CHECK_EQ(offheap_free(r), 0);
    offheap_thread_detach();
}
static void huge_cache_reserves_disk_once(void) { on_small_tmpfs("160m", huge_cache_body); }

/* Issue 9.7: a request that cannot fit leaves the disk as it found it. */
static void failed_request_body(void) {
    size_t before = free_bytes(dir);
    errno = 0;
    CHECK(offheap_alloc(100 * MiB) == NULL);
    CHECK_EQ(errno, ENOMEM);
    CHECK_EQ(free_bytes(dir), before);
    char* p = offheap_alloc(16 * MiB); /* a pool fits */
    CHECK(p != NULL);
    CHECK_EQ(offheap_free(p), 0);
    offheap_thread_detach();
}
static void failed_request_leaves_disk_as_found(void) { on_small_tmpfs("64m", failed_request_body); }

/* Issue 9.6: one descriptor for all file-backed memory, however many pools
 * and huge blocks, so RLIMIT_NOFILE is not the heap's limit and the
 * application keeps its descriptors. */
static void descriptors_body(void) {
    enum { POOLS = 48, HUGE = 8 };
    char* p[POOLS + HUGE];
    int ok = 1;
    for (int i = 0; i < POOLS + HUGE && ok; i++) {
        p[i] = offheap_alloc(i < POOLS ? 16 * MiB : 20 * MiB); /* one pool each, then huge blocks */
        ok = p[i] != NULL;
        if (ok) p[i][0] = (char)i;
    }
    CHECK(ok);
    CHECK_EQ(swap_open_files(), 1);
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0); /* the application can still open files */
    if (fd >= 0) close(fd);
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK(s.swap_pool_count >= POOLS);
    for (int i = 0; i < POOLS + HUGE && ok; i++) CHECK_EQ(offheap_free(p[i]), 0);
    offheap_thread_detach();
}
static void descriptors_stay_bounded(void) {
    struct rlimit old, low = {32, 32};
    getrlimit(RLIMIT_NOFILE, &old);
    low.rlim_max = old.rlim_max;
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    strcpy(dir, "/tmp/offheap-swap-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    size_t before = free_bytes(dir);
    set_swap(OFFHEAP_SWAP_ALWAYS, dir);
    on_fresh_thread(descriptors_body);
    set_swap(OFFHEAP_SWAP_AUTO, "/tmp");
    offheap_gc();
    /* everything unmapped but one pool: the disk is back */
    CHECK(free_bytes(dir) + 64 * MiB >= before);
    CHECK(swap_open_files() <= 1);
    setrlimit(RLIMIT_NOFILE, &old);
    rmdir(dir);
}

static void beyond_ram_body(void) {
    /* One mapping larger than RAM: Linux's heuristic overcommit refuses it
     * anonymously, so "auto" must fall back to a file. */
    long pages = sysconf(_SC_PHYS_PAGES);
    size_t size = (size_t)pages * (size_t)sysconf(_SC_PAGESIZE) / 4 * 5;
    char* p = offheap_alloc(size);
    if (!p) {
        char why[160];
        snprintf(why, sizeof why, "%zu MiB could not be mapped even file-backed (%s)", size >> 20, strerror(errno));
        skip(why);
        return;
    }
    offheap_stats_t s;
    offheap_stats(&s);
    CHECK(s.bytes_swap >= size);
    for (size_t i = 0; i < size; i += 256 * MiB) p[i] = (char)(i >> 28) + 1;
    p[size - 1] = 42;
    int intact = p[size - 1] == 42;
    for (size_t i = 0; i < size; i += 256 * MiB) intact &= p[i] == (char)(i >> 28) + 1;
    CHECK(intact);
    CHECK_EQ(offheap_free(p), 0);
    offheap_thread_detach();
}

static void auto_policy_falls_back_beyond_ram(void) {
    FILE* f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int mode = -1;
    if (f) {
        if (fscanf(f, "%d", &mode) != 1) mode = -1;
        fclose(f);
    }
    if (mode != 0) {
        char why[96];
        snprintf(why, sizeof why, "overcommit_memory is %d, not the heuristic mode 0", mode);
        skip(why);
        return;
    }
    strcpy(dir, "/var/tmp/offheap-big-XXXXXX"); /* on disk, not tmpfs */
    CHECK(mkdtemp(dir) != NULL);
    set_swap(OFFHEAP_SWAP_AUTO, dir);
    on_fresh_thread(beyond_ram_body);
    set_swap(OFFHEAP_SWAP_AUTO, "/tmp");
    CHECK_EQ(files_in(dir), 0);
    rmdir(dir);
}

/* ---- fork: file-backed memory is copied, never shared ---- */

static void fill(unsigned char* p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i += 61) p[i] = (unsigned char)(seed + i / 61);
    p[n - 1] = (unsigned char)seed;
}
static int filled(const unsigned char* p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i += 61)
        if (p[i] != (unsigned char)(seed + i / 61)) return 0;
    return p[n - 1] == (unsigned char)seed;
}

/* The child's own churn: blocks of every kind, in new file-backed pools
 * (the policy is still "always"), checked, freed, and purged. */
static int child_churn(unsigned seed) {
    static const size_t sizes[] = {64, 200, 3000, 5000, 70000, 300000, 3 * MiB};
    unsigned char* keep[64] = {0};
    size_t len[64];
    for (unsigned i = 0; i < 1000; i++) {
        unsigned j = (i * 37 + seed) % 64;
        if (keep[j] && !filled(keep[j], len[j], j)) return 10;
        offheap_free(keep[j]);
        len[j] = sizes[(i + seed) % 7];
        if (!(keep[j] = offheap_alloc(len[j]))) return 11;
        fill(keep[j], len[j], j);
    }
    for (unsigned j = 0; j < 64; j++) offheap_free(keep[j]);
    offheap_gc(); /* purging: a hole punched in the parent's file would lose its pages */
    return 0;
}

static const size_t fork_sizes[] = {100, 5000, 100000, 3 * MiB, 40 * MiB};
#define FORK_BLOCKS (sizeof fork_sizes / sizeof fork_sizes[0])

/* The fork tests: every new mapping file-backed, in a directory of their own. */
static void swap_always_in_fresh_dir(void) {
    strcpy(dir, "/tmp/offheap-fork-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    set_swap(OFFHEAP_SWAP_ALWAYS, dir);
}
static void swap_dir_done(void) { /* after the last block is freed: no file left behind */
    offheap_gc();
    set_swap(OFFHEAP_SWAP_AUTO, "/tmp");
    CHECK_EQ(files_in(dir), 0);
    rmdir(dir);
}
static void alloc_fork_blocks(unsigned char** p) {
    for (unsigned i = 0; i < FORK_BLOCKS; i++) {
        CHECK((p[i] = offheap_alloc(fork_sizes[i])) != NULL);
        fill(p[i], fork_sizes[i], i + 1);
    }
}

static int fork_child(unsigned char** p, const offheap_stats_t* before) {
    for (unsigned i = 0; i < FORK_BLOCKS; i++)
        if (!filled(p[i], fork_sizes[i], i + 1)) return 3; /* the copy has the parent's bytes */
    offheap_stats_t s;
    offheap_stats(&s);
    if (s.bytes_swap != 0 || s.swap_pool_count != 0) return 4; /* and is anonymous memory */
    if (s.bytes_mapped != before->bytes_mapped) return 5;
    /* the pool's free space was released (hole-punched) in the parent: it is
     * usable without a file now, and no new pool is mapped for it */
    unsigned char* q = offheap_alloc(8 * MiB);
    if (!q) return 7;
    fill(q, 8 * MiB, 9);
    offheap_stats(&s);
    if (s.pool_count != before->pool_count || s.bytes_mapped != before->bytes_mapped) return 8;
    offheap_free(q);
    for (unsigned i = 0; i < FORK_BLOCKS; i++) {
        fill(p[i], fork_sizes[i], 0xC0 + i);
        if (offheap_free(p[i]) != 0) return 6;
    }
    return child_churn(7);
}

static void fork_child_gets_a_private_copy(void) {
    swap_always_in_fresh_dir();
    unsigned char* p[FORK_BLOCKS];
    alloc_fork_blocks(p);
    offheap_gc(); /* releases the pool's free space: its file range becomes holes */
    offheap_stats_t before;
    offheap_stats(&before);
    CHECK_EQ(before.swap_pool_count, 1);
    CHECK(before.bytes_swap >= OFFHEAP_POOL_SIZE + 40 * MiB);
    for (int round = 0; round < 3; round++) {
        pid_t pid = fork();
        if (pid == 0) _exit(fork_child(p, &before));
        int status = -1;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK_EQ(status, 0);
        for (unsigned i = 0; i < FORK_BLOCKS; i++) CHECK(filled(p[i], fork_sizes[i], i + 1));
    }
    offheap_stats_t after;
    offheap_stats(&after);
    CHECK_EQ(after.bytes_swap, before.bytes_swap);
    CHECK_EQ(child_churn(3), 0); /* the parent's heap and files are as they were */
    for (unsigned i = 0; i < FORK_BLOCKS; i++) CHECK_EQ(offheap_free(p[i]), 0);
    swap_dir_done();
}

/* The window between fork() returning in the parent and the child's copy,
 * forced: the child is held at its copy's yield point for 300 ms while the
 * parent's forking thread overwrites its blocks at once. The child must see
 * the bytes of the moment of the fork, so the parent must wait. */
static pid_t parent_pid;
static void hold_the_childs_copy(int point) {
    if (point == YP_FORK_CHILD_BEFORE_COPY && getpid() != parent_pid) usleep(300 * 1000);
}

static void forking_thread_waits_for_the_childs_copy(void) {
    swap_always_in_fresh_dir();
    unsigned char* p[FORK_BLOCKS];
    alloc_fork_blocks(p);
    parent_pid = getpid();
    atomic_store(&offheap_yield_hook, hold_the_childs_copy);
    pid_t pid = fork();
    if (pid == 0) {
        for (unsigned i = 0; i < FORK_BLOCKS; i++)
            if (!filled(p[i], fork_sizes[i], i + 1)) _exit(3);
        _exit(0);
    }
    for (unsigned i = 0; i < FORK_BLOCKS; i++) fill(p[i], fork_sizes[i], 0x50 + i); /* at once */
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_EQ(status, 0);
    atomic_store(&offheap_yield_hook, NULL);
    for (unsigned i = 0; i < FORK_BLOCKS; i++) {
        CHECK(filled(p[i], fork_sizes[i], 0x50 + i));
        CHECK_EQ(offheap_free(p[i]), 0);
    }
    swap_dir_done();
}

/* Forks while another thread maps, fills, checks and unmaps file-backed
 * blocks: the children see the forking thread's blocks intact and never
 * write the parent's; the churning thread never finds its blocks changed. */
static _Atomic int churning, churn_bad;
static void* swap_churn(void* arg) {
    (void)arg;
    unsigned char* keep[16] = {0};
    size_t len[16];
    for (unsigned i = 0; atomic_load(&churning); i++) {
        unsigned j = i % 16;
        if (keep[j] && !filled(keep[j], len[j], j + 100)) atomic_store(&churn_bad, 1);
        offheap_free(keep[j]);
        len[j] = (size_t)1000 << (i % 13);
        if ((keep[j] = offheap_alloc(len[j]))) fill(keep[j], len[j], j + 100);
    }
    for (unsigned j = 0; j < 16; j++) offheap_free(keep[j]);
    return NULL;
}

static void fork_under_load_copies_file_backed_memory(void) {
    swap_always_in_fresh_dir();
    atomic_store(&churning, 1);
    pthread_t t;
    pthread_create(&t, NULL, swap_churn, NULL);
    int bad = 0;
    for (int round = 0; round < 30; round++) {
        unsigned char* p[FORK_BLOCKS];
        for (unsigned i = 0; i < FORK_BLOCKS; i++) {
            CHECK((p[i] = offheap_alloc(fork_sizes[i])) != NULL);
            fill(p[i], fork_sizes[i], i + 1);
        }
        offheap_stats_t now;
        offheap_stats(&now);
        pid_t pid = fork();
        if (pid == 0) {
            for (unsigned i = 0; i < FORK_BLOCKS; i++)
                if (!filled(p[i], fork_sizes[i], i + 1)) _exit(3);
            for (unsigned i = 0; i < FORK_BLOCKS; i++) fill(p[i], fork_sizes[i], 0xC0 + i);
            _exit(child_churn((unsigned)round));
        }
        int status = -1;
        waitpid(pid, &status, 0);
        if (status != 0) {
            fprintf(stderr, "  round %d: child status %#x\n", round, status);
            bad++;
        }
        for (unsigned i = 0; i < FORK_BLOCKS; i++) {
            CHECK(filled(p[i], fork_sizes[i], i + 1));
            offheap_free(p[i]);
        }
    }
    atomic_store(&churning, 0);
    pthread_join(t, NULL);
    CHECK_EQ(bad, 0);
    CHECK(!atomic_load(&churn_bad));
    swap_dir_done();
}

static const named_test_t tests[] = {
    NAMED(always_policy_maps_unlinked_files),
    NAMED(full_disk_fails_cleanly),
    NAMED(auto_policy_falls_back_beyond_ram),
    NAMED(realloc_growth_never_maps_unreserved_disk),
    NAMED(full_disk_uses_blocks_that_need_no_disk),
    NAMED(huge_cache_reserves_disk_once),
    NAMED(failed_request_leaves_disk_as_found),
    NAMED(descriptors_stay_bounded),
    NAMED(fork_child_gets_a_private_copy),
    NAMED(forking_thread_waits_for_the_childs_copy),
    NAMED(fork_under_load_copies_file_backed_memory),
};

/* 77: skipped (ctest's SKIP_RETURN_CODE) */
int main(int argc, char** argv) {
    int rc = run_named(tests, sizeof tests / sizeof tests[0], argc, argv);
    return rc == 0 && skipped ? 77 : rc;
}
