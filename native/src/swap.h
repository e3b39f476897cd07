/* swap.h -- the file-backed fallback: mappings backed by ranges of one
 * unlinked, preallocated file per swap directory, so allocations can exceed
 * RAM without a descriptor per mapping (swap.c). */
#ifndef OFFHEAP_SWAP_H
#define OFFHEAP_SWAP_H

#include <stddef.h>
#include <stdint.h>

/* Replaces the reserved range [addr, addr+size) with a MAP_SHARED mapping of
 * a range of the swap file whose disk blocks are reserved first (so writes
 * cannot SIGBUS on a full disk). Returns the swap file's index (what the
 * other calls take) and sets *file_off, or -1 with errno ENOMEM (disk full, no directory, any failure);
 * then the range stays reserved and the disk is as it was. */
int swap_map_fixed(void* addr, size_t size, uint64_t* file_off);

/* Unmaps [addr, addr+size) and gives its disk and file range back. */
void swap_unmap(void* addr, size_t size, int file, uint64_t file_off);

/* Shortens the mapping at addr from old_size to new_size: unmaps its tail
 * and gives the tail's disk and file range back. */
void swap_shrink(void* addr, int file, uint64_t file_off, size_t old_size, size_t new_size);

/* Punches a hole: the range's pages and disk go; returns bytes released. */
size_t swap_release(int file, uint64_t file_off, size_t size);

/* Reserves disk again for a punched range; 0, or -1 with the disk as it was. */
int swap_reserve(int file, uint64_t file_off, size_t size);

/* fork(), with the swap lock held (forksafe.c). Before: the parent will wait
 * for the child's copy if there is anything to copy. Parent: waits for it.
 * Child: every mapping becomes private anonymous memory with the same bytes
 * (now_anonymous(addr) is told of each), and the parent's files are closed;
 * aborts if that cannot be done, rather than write the parent's memory. */
void swap_fork_prepare(void);
void swap_fork_parent(void);
void swap_fork_child(void (*now_anonymous)(uintptr_t addr));

/* Swap files open now (tests: bounded whatever the number of mappings). */
int swap_open_files(void);

#endif
