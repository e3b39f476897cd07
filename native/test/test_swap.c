/* test_swap.c -- the file-backed fallback, for real: files in a directory,
 * posix_fallocate, unlink-after-map, ENOSPC on a small tmpfs, hole punching,
 * and the "auto" trigger (an anonymous mapping larger than RAM refused). */
#define _GNU_SOURCE
#include "check.h"
#include "offheap.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

static char dir[64];

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

static void full_disk_fails_cleanly(void) {
    strcpy(dir, "/tmp/offheap-tmpfs-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    if (mount("offheap-test", dir, "tmpfs", 0, "size=48m") != 0) {
        printf("SKIP full_disk_fails_cleanly: cannot mount a tmpfs here (%s)\n", strerror(errno));
        rmdir(dir);
        return;
    }
    set_swap(OFFHEAP_SWAP_ALWAYS, dir);
    on_fresh_thread(full_disk_body);
    set_swap(OFFHEAP_SWAP_AUTO, "/tmp");
    offheap_gc();
    umount2(dir, MNT_DETACH);
    rmdir(dir);
}

static void beyond_ram_body(void) {
    /* One mapping larger than RAM: Linux's heuristic overcommit refuses it
     * anonymously, so "auto" must fall back to a file. */
    long pages = sysconf(_SC_PHYS_PAGES);
    size_t size = (size_t)pages * (size_t)sysconf(_SC_PAGESIZE) / 4 * 5;
    char* p = offheap_alloc(size);
    if (!p) {
        printf("SKIP beyond_ram: %zu MiB could not be mapped even file-backed (%s)\n", size >> 20, strerror(errno));
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
        printf("SKIP auto_policy_falls_back_beyond_ram: overcommit_memory is %d, not the heuristic mode 0\n", mode);
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

int main(void) {
    RUN(always_policy_maps_unlinked_files);
    RUN(full_disk_fails_cleanly);
    RUN(auto_policy_falls_back_beyond_ram);
    return CHECK_SUMMARY();
}
