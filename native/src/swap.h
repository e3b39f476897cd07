/* swap.h -- the file-backed fallback: a mapping backed by a preallocated,
 * already-unlinked file in the swap directory, so allocations can exceed RAM. */
#ifndef OFFHEAP_SWAP_H
#define OFFHEAP_SWAP_H

#include <stddef.h>

/* Replaces the reserved range [addr, addr+size) with a MAP_SHARED mapping of
 * a fresh file whose disk blocks are reserved first (so writes can never
 * SIGBUS on a full disk). The file is unlinked before anything else happens
 * to it, so a crash leaves nothing behind. 0 on success, else -1 with errno
 * ENOMEM (disk full, no directory, any failure); the range stays reserved.
 * Returns the file descriptor (kept open for hole punching), or -1. */
int swap_map_fixed(void* addr, size_t size);

#endif
