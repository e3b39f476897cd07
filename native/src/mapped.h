/* mapped.h -- a user's file mapped as one block (offheap_map_file). */
#ifndef OFFHEAP_MAPPED_H
#define OFFHEAP_MAPPED_H

#include "chunkmap.h"

/* Free of a mapped file, under the caller's guard: LIVE -> FREE by CAS
 * (exactly once from any thread). 0 or OFFHEAP_EINVAL. The mapping goes
 * when the last guard or pin is dropped (mapped_unguard). */
int mapped_free(chunk_t* c);
/* Drops a guard or pin of a CHUNK_FILE chunk; the last one of a freed
 * mapping unmaps it. */
void mapped_unguard(chunk_t* c);

#endif
