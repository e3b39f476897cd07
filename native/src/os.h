/* os.h -- virtual memory: self-aligned mappings (anonymous or file-backed per
 * the swap policy), unmapping and releasing physical pages. */
#ifndef OFFHEAP_OS_H
#define OFFHEAP_OS_H

#include <stddef.h>

size_t os_page_size(void);

/* Maps `size` bytes (a multiple of the page size) at an address aligned to
 * `align` (a power of two >= page size), readable and writable. Anonymous
 * first; file-backed when the policy is "always", or "auto" and the kernel
 * refused the anonymous mapping with ENOMEM. *file_backed tells which.
 * NULL with errno ENOMEM on failure. */
void* os_map_aligned(size_t size, size_t align, int* file_backed);

void os_unmap(void* p, size_t size);

/* Gives the physical pages (and, file-backed, the disk blocks) of the
 * page-aligned part of [p, p+size) back; contents read as zero afterwards.
 * Returns the bytes released. */
size_t os_release(void* p, size_t size, int file_backed);

/* Reserves `size` bytes of address space aligned to `align`, PROT_NONE and
 * uncommitted; NULL on failure. */
void* os_reserve_aligned(size_t size, size_t align);

#endif
