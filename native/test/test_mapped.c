/* test_mapped.c -- offheap_map_file: a user's file as one block.
 *
 * Contents and modes against the real file, every refusal, and the
 * unmapping protocol of mapped.c (the last guard or pin of a freed mapping
 * unmaps it) through yield points: a free parked with its guard held while
 * the last pin goes, and a free parked before its guard while it goes. One
 * process per test (ctest). */
#define _GNU_SOURCE
#include "offheap.h"
#include "check.h"
#include "park.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAIN = 1, FREER = 2 };

static char path[256];

/* A temporary file of n bytes, byte i = (i * 7 + 3) & 255 at every 4 KiB step
 * and at the end (sparse elsewhere: reads as 0). */
static int make_file(size_t n) {
    snprintf(path, sizeof path, "/tmp/offheap-mapped-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, (off_t)n) != 0) return -1;
    for (size_t i = 0; i < n; i += 4096) {
        unsigned char b = (unsigned char)(i * 7 + 3);
        if (pwrite(fd, &b, 1, (off_t)i) != 1) return -1;
    }
    unsigned char last = 0xAB;
    if (pwrite(fd, &last, 1, (off_t)(n - 1)) != 1) return -1;
    return fd;
}

static int pattern_ok(const unsigned char* p, size_t n) {
    for (size_t i = 0; i < n - 1; i += 4096)
        if (p[i] != (unsigned char)(i * 7 + 3)) return 0;
    return p[n - 1] == 0xAB;
}

/* Whether the page at p is mapped at all (mincore fails with ENOMEM if not). */
static int page_mapped(const void* p) {
    unsigned char v;
    return mincore((void*)((uintptr_t)p & ~(uintptr_t)4095), 4096, &v) == 0;
}

static void* map_or_null(int fd, size_t n, int mode) {
    void* p = NULL;
    int rc = offheap_map_file(fd, n, mode, &p);
    CHECK_EQ(rc, 0);
    return rc == 0 ? p : NULL;
}

/* A mapping of a scratch file of n bytes (descriptor closed, file
 * unlinked: the mapping holds it), or NULL with a failed CHECK. */
static unsigned char* map_scratch(size_t n) {
    int fd = make_file(n);
    unsigned char* p = map_or_null(fd, n, OFFHEAP_MAP_READ);
    close(fd);
    unlink(path);
    return p;
}

static void read_mode_maps_the_file(void) {
    size_t n = 3 * 4096 + 123;
    int fd = make_file(n);
    unsigned char* p = map_or_null(fd, n, OFFHEAP_MAP_READ);
    close(fd); /* the mapping outlives the descriptor */
    if (!p) return;
    CHECK_EQ((uintptr_t)p % OFFHEAP_POOL_SIZE, 0);
    CHECK(pattern_ok(p, n));
    CHECK_EQ(offheap_usable_size(p), n);
    offheap_chunk_t c;
    CHECK_EQ(offheap_chunk_of(p + 100, &c), 0);
    CHECK(c.is_mapped_file && c.is_huge && !c.is_file_backed);
    CHECK_EQ(c.size, n);
    CHECK(c.base == p && c.data == p);
    p[0] = 0x55; /* read mode is writable: the write stays in this process */
    CHECK_EQ(offheap_free(p + 64), OFFHEAP_EINVAL); /* interior */
    CHECK(offheap_realloc(p, 2 * n) == NULL && errno == EINVAL); /* never resized, never moved */
    CHECK_EQ(p[0], 0x55);
    CHECK_EQ(offheap_free(p), 0);
    CHECK(!page_mapped(p));
    CHECK_EQ(offheap_free(p), OFFHEAP_EINVAL); /* double free */
    CHECK_EQ(offheap_usable_size(p), 0);
    fd = open(path, O_RDONLY);
    unsigned char b = 0;
    CHECK_EQ(pread(fd, &b, 1, 0), 1);
    CHECK_EQ(b, 3); /* the file never saw the write */
    close(fd);
    unlink(path);
}

static void write_mode_reaches_the_file_copy_mode_does_not(void) {
    size_t n = 10000;
    int fd = make_file(n);
    unsigned char* w = map_or_null(fd, n, OFFHEAP_MAP_WRITE);
    unsigned char* c = map_or_null(fd, n, OFFHEAP_MAP_COPY);
    if (!w || !c) return;
    w[5000] = 0x77;
    c[6000] = 0x66;
    CHECK_EQ(c[5000], 0x77); /* a page never written shows the file, shared writes included */
    CHECK_EQ(offheap_free(w), 0);
    CHECK_EQ(offheap_free(c), 0);
    unsigned char b[2];
    CHECK_EQ(pread(fd, &b[0], 1, 5000), 1);
    CHECK_EQ(pread(fd, &b[1], 1, 6000), 1);
    CHECK_EQ(b[0], 0x77);
    CHECK_EQ(b[1], 0);
    close(fd);
    unlink(path);
}

static void refusals_map_nothing(void) {
    int fd = make_file(8192);
    void* p = (void*)1;
    CHECK_EQ(offheap_map_file(fd, 0, OFFHEAP_MAP_READ, &p), OFFHEAP_EINVAL);
    CHECK(p == (void*)1); /* untouched for argument errors */
    CHECK_EQ(offheap_map_file(fd, 8193, OFFHEAP_MAP_READ, &p), OFFHEAP_EINVAL); /* past the end: would SIGBUS */
    CHECK_EQ(offheap_map_file(fd, 100, 3, &p), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_map_file(fd, 100, -1, &p), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_map_file(fd, 100, OFFHEAP_MAP_READ, NULL), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_map_file(fd, (uint64_t)1 << 45, OFFHEAP_MAP_READ, &p), OFFHEAP_EINVAL);
    close(fd);
    int ro = open(path, O_RDONLY);
    p = NULL;
    CHECK_EQ(offheap_map_file(ro, 100, OFFHEAP_MAP_WRITE, &p), -EACCES); /* shared writes need O_RDWR */
    CHECK(p == NULL);
    CHECK_EQ(offheap_map_file(ro, 100, OFFHEAP_MAP_COPY, &p), 0); /* private needs only O_RDONLY */
    CHECK_EQ(offheap_free(p), 0);
    close(ro);
    CHECK_EQ(offheap_map_file(ro, 100, OFFHEAP_MAP_READ, &p), -EBADF);
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK_EQ(offheap_map_file(dir, 100, OFFHEAP_MAP_READ, &p), -EISDIR);
    close(dir);
    int pipefd[2];
    CHECK_EQ(pipe(pipefd), 0);
    CHECK_EQ(offheap_map_file(pipefd[0], 100, OFFHEAP_MAP_READ, &p), -ENODEV);
    close(pipefd[0]);
    close(pipefd[1]);
    unlink(path);
}

/* A pinned mapping (a JavaScript view) is freed: it stays mapped and
 * readable until the last unpin, which unmaps it. */
static void freed_while_pinned_goes_at_last_unpin(void) {
    size_t n = 5000;
    unsigned char* p = map_scratch(n);
    if (!p) return;
    CHECK_EQ(offheap_pin(p), 0);
    CHECK_EQ(offheap_pin(p), 0);
    CHECK_EQ(offheap_free(p), 0);
    CHECK(pattern_ok(p, n)); /* still readable: a stale view never faults */
    offheap_unpin(p);
    CHECK(page_mapped(p));
    offheap_unpin(p);
    CHECK(!page_mapped(p));
    offheap_unpin(p); /* unbalanced: ignored */
    CHECK_EQ(offheap_free(p), OFFHEAP_EINVAL);
}

static void* free_job(void* p) {
    park_as(FREER);
    return (void*)(intptr_t)offheap_free(p);
}

/* A pinned mapping is freed by another thread parked at `point` while this
 * thread drops the last pin: the mapping must still be there when the unpin
 * returns (the freer is inside it, or it is still live), and gone once the
 * freer is done. */
static void free_parked_at_while_last_pin_goes(int point) {
    unsigned char* p = map_scratch(4096);
    if (!p) return;
    CHECK_EQ(offheap_pin(p), 0);
    park_arm(point, FREER);
    pthread_t t;
    pthread_create(&t, NULL, free_job, p);
    if (!park_wait(point)) return;
    offheap_unpin(p);
    CHECK(page_mapped(p));
    park_release(point);
    void* rc;
    pthread_join(t, &rc);
    CHECK_EQ((intptr_t)rc, 0);
    CHECK(!page_mapped(p));
}

/* The freer holds its guard (FREE already stored) while the last pin is
 * dropped: that unpin must not unmap under the guard, and the freer's
 * unguard, now the last, must unmap. */
static void free_parked_with_guard_while_last_pin_goes(void) { free_parked_at_while_last_pin_goes(YP_MAPPED_AFTER_FREE); }

/* The freer looked the chunk up but holds no guard yet while the last pin
 * goes (the mapping is still live: nothing unmaps); its guard, free and
 * unguard then unmap. */
static void free_parked_before_guard_while_last_pin_goes(void) { free_parked_at_while_last_pin_goes(YP_FREE_AFTER_LOOKUP); }

/* Hand-off works as for any block. */
static void handoff_and_adopt(void) {
    void* p = map_scratch(4096);
    if (!p) return;
    uint64_t ticket = 0;
    CHECK_EQ(offheap_handoff(p, &ticket), 0);
    CHECK_EQ(offheap_free(p), OFFHEAP_EINVAL); /* in transit */
    CHECK_EQ(offheap_adopt(p, ticket), 0);
    CHECK_EQ(offheap_adopt(p, ticket), OFFHEAP_EINVAL);
    CHECK_EQ(offheap_free(p), 0);
    CHECK(!page_mapped(p));
}

/* Many threads pin, unpin and free the same mappings at random: each is
 * freed exactly once and unmapped exactly when the last reference goes. */
#define RACE_THREADS 4
static void* _Atomic race_block;
static _Atomic int race_round, race_frees, race_finished, race_done;

static void* racer(void* arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    int seen = 0;
    while (!atomic_load(&race_done)) {
        int round = atomic_load(&race_round);
        if (round == seen) {
            sched_yield();
            continue;
        }
        seen = round;
        void* p = atomic_load(&race_block);
        seed = seed * 1103515245u + 12345u;
        int pinned = (seed >> 16) & 1;
        if (pinned && offheap_pin(p) != 0) pinned = 0;
        if (offheap_free(p) == 0) atomic_fetch_add(&race_frees, 1);
        if (pinned) {
            CHECK(page_mapped(p)); /* our pin keeps it */
            offheap_unpin(p);
        }
        atomic_fetch_add(&race_finished, 1);
    }
    return NULL;
}

static void racing_frees_and_pins_unmap_once(void) {
    int fd = make_file(4096);
    pthread_t t[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++) pthread_create(&t[i], NULL, racer, (void*)(uintptr_t)(i + 1));
    int rounds = 2000;
    for (int r = 0; r < rounds; r++) {
        void* p = NULL;
        if (offheap_map_file(fd, 4096, OFFHEAP_MAP_READ, &p) != 0) {
            CHECK(0);
            break;
        }
        atomic_store(&race_frees, 0);
        atomic_store(&race_block, p);
        atomic_fetch_add(&race_round, 1);
        double end = park_now() + 10; /* every racer through its round */
        while (atomic_load(&race_finished) < RACE_THREADS * (r + 1) && park_now() < end) sched_yield();
        CHECK(!page_mapped(p));
        CHECK_EQ(atomic_load(&race_frees), 1);
    }
    atomic_store(&race_done, 1);
    for (int i = 0; i < RACE_THREADS; i++) pthread_join(t[i], NULL);
    close(fd);
    unlink(path);
}

static const named_test_t tests[] = {
    NAMED(read_mode_maps_the_file),
    NAMED(write_mode_reaches_the_file_copy_mode_does_not),
    NAMED(refusals_map_nothing),
    NAMED(freed_while_pinned_goes_at_last_unpin),
    NAMED(free_parked_with_guard_while_last_pin_goes),
    NAMED(free_parked_before_guard_while_last_pin_goes),
    NAMED(handoff_and_adopt),
    NAMED(racing_frees_and_pins_unmap_once),
};

int main(int argc, char** argv) {
    park_install();
    return run_named(tests, sizeof tests / sizeof tests[0], argc, argv);
}
