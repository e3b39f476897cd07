/* shim.h -- what the malloc shim's files share (liboffheap.so). */
#ifndef OFFHEAP_SHIM_H
#define OFFHEAP_SHIM_H

#include <stdatomic.h>
#include <stdint.h>

/* Frees the core refused: pointers of the system allocator (passed on to
 * it) and pointers inside our chunks that are no live block (double free,
 * interior pointer: ignored, or abort in strict mode). */
extern _Atomic uint64_t shim_foreign_frees;
extern _Atomic uint64_t shim_invalid_frees;

/* A refused free or realloc of a pointer inside our chunks. Counts it, and
 * aborts with a message when OFFHEAP_MALLOC_STRICT=1. */
void shim_invalid_pointer(const char* op, const void* p);

#endif
