/* os.h -- virtual memory: self-aligned mappings (anonymous or file-backed per
 * the swap policy), unmapping and releasing physical pages. */
#ifndef OFFHEAP_OS_H
#define OFFHEAP_OS_H

#include <stddef.h>

size_t os_page_size(void);

#include <stdint.h>

/* Maps `size` bytes (a multiple of the page size) at an address aligned to
 * `align` (a power of two >= page size), readable and writable. Anonymous
 * first; file-backed when the policy is "always", or "auto" and the kernel
 * refused the anonymous mapping with ENOMEM. *file is the swap file behind
 * it (swap.c; the mapping starts at *file_off in it), or -1 for anonymous
 * memory. NULL with
 * errno ENOMEM on failure. */
void* os_map_aligned(size_t size, size_t align, int* file, uint64_t* file_off);

void os_unmap(void* p, size_t size);

/* Gives the physical pages of the page-aligned part of [p, p+size) back;
 * contents read as zero afterwards. File-backed (file >= 0, p at `file_off` in
 * the file): punches a hole, so the disk blocks go too. Returns the bytes
 * released. */
size_t os_release(void* p, size_t size, int file, uint64_t file_off);

/* Reserves disk blocks again for a range whose hole was punched, so writes
 * cannot SIGBUS; 0, or -1 (disk full) with the disk as it was. */
int os_reserve_file(int file, uint64_t file_off, size_t size);

/* Unmaps, and gives the file range back if file-backed. */
void os_unmap_chunk(void* p, size_t size, int file, uint64_t file_off);

/* Reserves `size` bytes of address space aligned to `align`, PROT_NONE and
 * uncommitted; NULL on failure. */
void* os_reserve_aligned(size_t size, size_t align);

#endif
