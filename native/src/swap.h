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

/* A mapping shortened from old_size to new_size (its tail already unmapped). */
void swap_shrink(int file, uint64_t file_off, size_t old_size, size_t new_size);

/* Punches a hole: the range's pages and disk go; returns bytes released. */
size_t swap_release(int file, uint64_t file_off, size_t size);

/* Reserves disk again for a punched range; 0, or -1 with the disk as it was. */
int swap_reserve(int file, uint64_t file_off, size_t size);

/* Swap files open now (tests: bounded whatever the number of mappings). */
int swap_open_files(void);

#endif
