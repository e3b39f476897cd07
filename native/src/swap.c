/* swap.c -- file-backed mappings for the swap fallback. */
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE
#else
#define _GNU_SOURCE
#endif
#include "swap.h"
#include "config.h"
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Reserve the file's disk blocks up front. Linux: posix_fallocate. macOS:
 * F_PREALLOCATE (contiguous first, then any), which does not grow the file,
 * so ftruncate afterwards. Returns 0 or an errno value. */
static int reserve_disk(int fd, off_t size) {
#if defined(__APPLE__)
    fstore_t fs = { .fst_flags = F_ALLOCATECONTIG | F_ALLOCATEALL, .fst_posmode = F_PEOFPOSMODE,
                    .fst_offset = 0, .fst_length = size };
    if (fcntl(fd, F_PREALLOCATE, &fs) == -1) {
        fs.fst_flags = F_ALLOCATEALL;
        if (fcntl(fd, F_PREALLOCATE, &fs) == -1) return errno ? errno : EIO;
    }
    return ftruncate(fd, size) == 0 ? 0 : (errno ? errno : EIO);
#else
    return posix_fallocate(fd, 0, size);
#endif
}

static int open_unlinked_file(void) {
    static _Atomic unsigned long counter;
    char dir[PATH_MAX], path[PATH_MAX + 64];
    if (config_swap_dir(dir, sizeof dir) < 0) return -1;
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned long n = atomic_fetch_add_explicit(&counter, 1, RELAXED);
        snprintf(path, sizeof path, "%soffheap-%ld-%lu.swap", dir, (long)getpid(), n);
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            unlink(path); /* nameless from here on: nothing to clean up after a crash */
            return fd;
        }
        if (errno != EEXIST) return -1;
    }
    return -1;
}

int swap_map_fixed(void* addr, size_t size) {
    int fd = open_unlinked_file();
    if (fd < 0) {
        errno = ENOMEM;
        return -1;
    }
    int err = reserve_disk(fd, (off_t)size);
    void* p = MAP_FAILED;
    if (err == 0) p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    return fd; /* kept to punch holes and re-reserve; closed at unmap */
}
