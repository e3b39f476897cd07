/* swap.c -- file-backed mappings for the swap fallback.
 *
 * One unlinked file per swap directory in use (at most SWAP_MAX_FILES), shared
 * by every file-backed pool and huge block of the process: the descriptor
 * limit is never the heap's limit, and the application keeps its
 * descriptors. A mapping takes a run of 32 MiB slots of the file (a bitmap);
 * only its own bytes get disk blocks, the rest of its last slot stays a hole.
 *
 * Disk is reserved exactly once for exactly what is mapped: at map time for
 * the mapping's bytes, again only for ranges whose hole was punched when
 * their pages were released (swap_reserve), and given back when unmapped. A
 * reservation that fails gives back whatever it got, so a failed request
 * leaves the disk as it found it; before trying, the free space is checked,
 * so a request that cannot fit does not fill the disk for other processes
 * even for a moment.
 *
 * fork(): the file is shared with a child, so a child writing its inherited
 * blocks would write the parent's. The child therefore replaces every
 * mapping with private anonymous memory holding the same bytes, read back
 * from the file before the forking thread of the parent may go on, and closes
 * the files (swap_fork_child). Every live mapping is listed for that.
 *
 * macOS (compiled, not tested here): F_PREALLOCATE + ftruncate grow the file
 * at its end; there is no hole punching, so released ranges keep their disk
 * (and need no new reservation) until the process exits.
 */
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE
#else
#define _GNU_SOURCE
#endif
#include "forksafe.h"
#include "swap.h"
#include "config.h"
#include "offheap.h"
#include "os.h"
#include "platform.h"
#include "yieldpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SWAP_MAX_FILES 4
#define SLOT_SHIFT     OFFHEAP_POOL_ORDER
#define SLOT_SIZE      ((uint64_t)1 << SLOT_SHIFT)
#define MAX_SLOTS      ((size_t)1 << 19) /* 16 TiB of file: ext4's largest file */

typedef struct swap_file {
    int open;               /* 0: this entry is unused */
    int fd;
    char dir[PATH_MAX];     /* with a trailing slash */
    size_t mappings;        /* live mappings in it */
    uint64_t slots[MAX_SLOTS / 64]; /* 1: slot taken */
} swap_file_t;

/* A live mapping of a swap file: what a fork child copies. */
typedef struct swap_mapping {
    uintptr_t addr;
    size_t size;
    int file;
    uint64_t file_off;
} swap_mapping_t;

static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;
void swap_fork_lock(int take) { take ? pthread_mutex_lock(&swap_lock) : pthread_mutex_unlock(&swap_lock); }
static swap_file_t files[SWAP_MAX_FILES]; /* zero-initialised: no 256 KiB in the binary */
static unsigned long name_counter;
static swap_mapping_t* mappings; /* mmap'ed (the core may be malloc itself), grown by doubling */
static size_t mapping_count, mapping_cap;

static size_t slots_for(size_t size) { return (size_t)((size + SLOT_SIZE - 1) >> SLOT_SHIFT); }

static int slot_taken(const swap_file_t* f, size_t i) { return (f->slots[i / 64] >> (i % 64)) & 1; }

static void mark_slots(swap_file_t* f, size_t first, size_t n, int taken) {
    for (size_t i = first; i < first + n; i++) {
        if (taken) f->slots[i / 64] |= 1ull << (i % 64);
        else f->slots[i / 64] &= ~(1ull << (i % 64));
    }
}

/* First fit: the lowest run of n free slots, or (size_t)-1. */
static size_t find_slots(const swap_file_t* f, size_t n) {
    size_t run = 0;
    for (size_t i = 0; i < MAX_SLOTS; i++) {
        if (!(i % 64) && f->slots[i / 64] == ~0ull) {
            run = 0;
            i += 63;
            continue;
        }
        run = slot_taken(f, i) ? 0 : run + 1;
        if (run == n) return i + 1 - n;
    }
    return (size_t)-1;
}

static swap_file_t* file_at(int file) {
    return file >= 0 && file < SWAP_MAX_FILES && files[file].open ? &files[file] : NULL;
}

static int open_unlinked_file(const char* dir) {
    char path[PATH_MAX + 64];
    for (int attempt = 0; attempt < 16; attempt++) {
        snprintf(path, sizeof path, "%soffheap-%ld-%lu.swap", dir, (long)getpid(), name_counter++);
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            unlink(path); /* nameless from here on: nothing to clean up after a crash */
            return fd;
        }
        if (errno != EEXIST) return -1;
    }
    return -1;
}

/* The file for the configured directory, opened on first use. */
static swap_file_t* current_file(void) {
    char dir[PATH_MAX];
    if (config_swap_dir(dir, sizeof dir) < 0) return NULL;
    swap_file_t* spare = NULL;
    for (unsigned i = 0; i < SWAP_MAX_FILES; i++) {
        if (files[i].open && strcmp(files[i].dir, dir) == 0) return &files[i];
        if (!files[i].open && !spare) spare = &files[i];
    }
    if (!spare) return NULL; /* every file is in use for other directories */
    int fd = open_unlinked_file(dir);
    if (fd < 0) return NULL;
    spare->open = 1;
    spare->fd = fd;
    strcpy(spare->dir, dir);
    spare->mappings = 0;
    return spare;
}

static void close_if_unused(swap_file_t* f) {
    if (f->mappings) return;
    close(f->fd);
    f->open = 0;
    memset(f->slots, 0, sizeof f->slots);
}

static size_t punch(int fd, uint64_t off, size_t size) {
#if defined(__linux__)
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)size) == 0 ? size : 0;
#else
    (void)fd, (void)off, (void)size;
    return 0;
#endif
}

/* The mapping list (swap_lock held). */
static int remember(uintptr_t addr, size_t size, int file, uint64_t file_off) {
    if (mapping_count == mapping_cap) {
        size_t cap = mapping_cap ? mapping_cap * 2 : 4096 / sizeof(swap_mapping_t);
        swap_mapping_t* grown = mmap(NULL, cap * sizeof *grown, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (grown == MAP_FAILED) return -1;
        if (mappings) {
            memcpy(grown, mappings, mapping_count * sizeof *grown);
            munmap(mappings, mapping_cap * sizeof *grown);
        }
        mappings = grown;
        mapping_cap = cap;
    }
    mappings[mapping_count++] = (swap_mapping_t){addr, size, file, file_off};
    return 0;
}

static swap_mapping_t* mapping_at(uintptr_t addr) {
    for (size_t i = 0; i < mapping_count; i++)
        if (mappings[i].addr == addr) return &mappings[i];
    return NULL;
}

static void forget(uintptr_t addr) {
    swap_mapping_t* m = mapping_at(addr);
    if (m) *m = mappings[--mapping_count];
}

static int disk_can_hold(int fd, size_t size) {
    struct statvfs vs;
    if (fstatvfs(fd, &vs) != 0) return 1; /* unknown: let the reservation decide */
    return (uint64_t)vs.f_bavail * vs.f_frsize >= size;
}

/* Reserves disk for [off, off+size) of the file; 0, or -1 with the disk as
 * it was (what a partial reservation got is given back). */
static int reserve(int fd, uint64_t off, size_t size) {
    if (!disk_can_hold(fd, size)) return -1;
#if defined(__APPLE__)
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    if (off + size <= (uint64_t)st.st_size) return 0; /* never given back on macOS */
    fstore_t fs = { .fst_flags = F_ALLOCATECONTIG | F_ALLOCATEALL, .fst_posmode = F_PEOFPOSMODE,
                    .fst_offset = 0, .fst_length = (off_t)(off + size - (uint64_t)st.st_size) };
    if (fcntl(fd, F_PREALLOCATE, &fs) == -1) {
        fs.fst_flags = F_ALLOCATEALL;
        if (fcntl(fd, F_PREALLOCATE, &fs) == -1) return -1;
    }
    return ftruncate(fd, (off_t)(off + size)) == 0 ? 0 : -1;
#else
    if (posix_fallocate(fd, (off_t)off, (off_t)size) == 0) return 0;
    punch(fd, off, size);
    return -1;
#endif
}

int swap_map_fixed(void* addr, size_t size, uint64_t* file_off) {
    int file = -1;
    pthread_mutex_lock(&swap_lock);
    swap_file_t* f = current_file();
    size_t n = slots_for(size), first = f ? find_slots(f, n) : (size_t)-1;
    if (first != (size_t)-1) {
        uint64_t off = (uint64_t)first << SLOT_SHIFT;
        if (reserve(f->fd, off, size) == 0 &&
            mmap(addr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, f->fd, (off_t)off) != MAP_FAILED &&
            remember((uintptr_t)addr, size, (int)(f - files), off) == 0) {
            mark_slots(f, first, n, 1);
            f->mappings++;
            *file_off = off;
            file = (int)(f - files);
        } else {
            punch(f->fd, off, size);
        }
    }
    if (f && file < 0) close_if_unused(f);
    pthread_mutex_unlock(&swap_lock);
    if (file < 0) errno = ENOMEM;
    return file;
}

/* A file with mappings in it stays open, so its descriptor is stable without
 * the lock. */
int swap_reserve(int file, uint64_t file_off, size_t size) { return reserve(files[file].fd, file_off, size); }

size_t swap_release(int file, uint64_t file_off, size_t size) { return punch(files[file].fd, file_off, size); }

/* The munmaps below happen under the lock, so the mapping list always says
 * what is mapped when fork() takes the lock. */
void swap_shrink(void* addr, int file, uint64_t file_off, size_t old_size, size_t new_size) {
    pthread_mutex_lock(&swap_lock);
    munmap((char*)addr + new_size, old_size - new_size);
    swap_mapping_t* m = mapping_at((uintptr_t)addr);
    if (m) m->size = new_size;
    swap_file_t* f = file_at(file);
    if (f) {
        punch(f->fd, file_off + new_size, old_size - new_size);
        size_t keep = slots_for(new_size), had = slots_for(old_size);
        mark_slots(f, (size_t)(file_off >> SLOT_SHIFT) + keep, had - keep, 0);
    }
    pthread_mutex_unlock(&swap_lock);
}

void swap_unmap(void* addr, size_t size, int file, uint64_t file_off) {
    pthread_mutex_lock(&swap_lock);
    munmap(addr, size);
    forget((uintptr_t)addr);
    swap_file_t* f = file_at(file);
    if (f) {
        punch(f->fd, file_off, size);
        mark_slots(f, (size_t)(file_off >> SLOT_SHIFT), slots_for(size), 0);
        f->mappings--;
        char dir[PATH_MAX];
        /* the current directory's file stays open for the next mapping */
        if (config_swap_dir(dir, sizeof dir) < 0 || strcmp(dir, f->dir) != 0) close_if_unused(f);
    }
    pthread_mutex_unlock(&swap_lock);
}

int swap_open_files(void) {
    int n = 0;
    pthread_mutex_lock(&swap_lock);
    for (unsigned i = 0; i < SWAP_MAX_FILES; i++) n += files[i].open;
    pthread_mutex_unlock(&swap_lock);
    return n;
}

/* ---- fork ---- */

/* The parent's forking thread waits on this pipe until the child has read
 * its copy (the forking thread's own blocks must not change under the copy).
 * A pipe, so that a child that dies mid-copy ends the wait (EOF). With no
 * descriptor free for it (ulimit -n reached) the parent does not wait, and
 * the child may copy what the forking thread writes just after fork. */
static int copied_pipe[2] = {-1, -1};

void swap_fork_prepare(void) {
    if (!mapping_count) return;
    if (pipe(copied_pipe) != 0) {
        copied_pipe[0] = copied_pipe[1] = -1;
        return;
    }
    fcntl(copied_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(copied_pipe[1], F_SETFD, FD_CLOEXEC);
}

void swap_fork_parent(void) {
    if (copied_pipe[0] < 0) return;
    close(copied_pipe[1]);
    char done;
    while (read(copied_pipe[0], &done, 1) < 0 && errno == EINTR) {} /* a byte, or EOF if the child died */
    close(copied_pipe[0]);
    copied_pipe[0] = copied_pipe[1] = -1;
}

static int all_zero(const unsigned char* p, size_t n) {
    const uint64_t* w = (const uint64_t*)p;
    for (size_t i = 0; i < n / 8; i++)
        if (w[i]) return 0;
    return 1;
}

/* Copies [from, to) of fd into dst page by page, skipping zero pages so that
 * untouched memory stays uncommitted in the child. */
static int copy_range(int fd, off_t from, off_t to, unsigned char* dst) {
    static unsigned char buf[1 << 16];
    size_t page = os_page_size();
    while (from < to) {
        size_t want = (size_t)(to - from) < sizeof buf ? (size_t)(to - from) : sizeof buf;
        ssize_t got = pread(fd, buf, want, from);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return got == 0 ? 0 : -1; /* past the file's end reads as zero */
        for (size_t at = 0; at < (size_t)got; at += page) {
            size_t n = (size_t)got - at < page ? (size_t)got - at : page;
            if (!all_zero(buf + at, n)) memcpy(dst + at, buf + at, n);
        }
        from += got;
        dst += got;
    }
    return 0;
}

/* The mapping becomes private anonymous memory with the bytes the file holds
 * for it: only the file's data extents are read (SEEK_DATA), holes stay
 * untouched. MAP_NORESERVE: the memory went to a file because anonymous
 * memory was refused, so the copy must not be refused for the same reason. */
static int privatize(const swap_mapping_t* m) {
    int fd = files[m->file].fd;
    if (mmap((void*)m->addr, m->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
             -1, 0) == MAP_FAILED)
        return -1;
    off_t pos = (off_t)m->file_off, end = (off_t)(m->file_off + m->size);
    while (pos < end) {
        off_t data = pos, hole = end;
#if defined(SEEK_DATA)
        data = lseek(fd, pos, SEEK_DATA);
        if (data < 0 && errno == ENXIO) break; /* only holes from here */
        if (data < 0) data = pos, hole = end; /* no SEEK_DATA here: read it all */
        else if ((hole = lseek(fd, data, SEEK_HOLE)) < 0 || hole > end) hole = end;
        if (data >= end) break;
#endif
        if (copy_range(fd, data, hole, (unsigned char*)m->addr + (data - (off_t)m->file_off)) != 0) return -1;
        pos = hole;
    }
    return 0;
}

void swap_fork_child(void (*now_anonymous)(uintptr_t addr)) {
    if (mapping_count) YIELD(FORK_CHILD_BEFORE_COPY);
    for (size_t i = 0; i < mapping_count; i++) {
        if (privatize(&mappings[i]) != 0) {
            static const char msg[] = "offheap: a fork child could not copy its file-backed memory\n";
            if (write(2, msg, sizeof msg - 1)) {}
            abort(); /* going on would write the parent's memory */
        }
        now_anonymous(mappings[i].addr);
    }
    mapping_count = 0;
    for (unsigned i = 0; i < SWAP_MAX_FILES; i++) {
        if (!files[i].open) continue; /* a 64 KiB entry: not touched in a child that has no swap */
        close(files[i].fd);
        memset(&files[i], 0, sizeof files[i]);
    }
    if (copied_pipe[1] >= 0) {
        char done = 1;
        if (write(copied_pipe[1], &done, 1)) {}
        close(copied_pipe[0]);
        close(copied_pipe[1]);
        copied_pipe[0] = copied_pipe[1] = -1;
    }
}
