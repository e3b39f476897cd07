/* stats.c -- per-thread and process-wide statistics. Counters are written by
 * their heap's owner with relaxed stores and summed here with relaxed loads:
 * a process-wide snapshot taken while threads run is approximate, one taken
 * when they are quiet is exact. */
#include "heap.h"

#include <string.h>

static void add_heap(offheap_stats_t* out, heap_t* h) {
    const heap_counters_t* ct = &h->ct;
    out->alloc_count += counter_get(&ct->alloc_count);
    out->free_count += counter_get(&ct->free_count);
    out->bytes_live += counter_get(&ct->bytes_live);
    uint64_t peak = counter_get(&ct->bytes_peak);
    if (peak > out->bytes_peak) out->bytes_peak = peak;
    uint64_t bin_allocs = 0;
    for (unsigned bin = 0; bin < BIN_COUNT; bin++) {
        uint64_t f = counter_get(&ct->bin_frees[bin]); /* before its allocations: a racing read stays >= 0 */
        uint64_t a = counter_get(&ct->bin_allocs[bin]);
        bin_allocs += a;
        out->alloc_count += a;
        out->free_count += f;
        out->live_by_order[bin_table[bin].count_order - OFFHEAP_MIN_ORDER] += a - f;
    }
    out->slab_hits += bin_allocs - counter_get(&ct->slab_misses);
    out->pool_count += counter_get(&ct->pool_count);
    out->swap_pool_count += counter_get(&ct->swap_pool_count);
    out->bytes_mapped += counter_get(&ct->bytes_mapped);
    out->bytes_swap += counter_get(&ct->bytes_swap);
    out->huge_count += counter_get(&ct->huge_count);
    out->huge_bytes += counter_get(&ct->huge_bytes);
    out->remote_frees += counter_get(&ct->remote_frees);
    for (unsigned i = 0; i < OFFHEAP_ORDER_COUNT; i++) out->live_by_order[i] += counter_get(&ct->live_by_order[i]);
    for (unsigned bin = 0; bin < BIN_COUNT; bin++)
        out->bytes_cached += (uint64_t)atomic_load_explicit(&h->slabs[bin].count, RELAXED) * bin_table[bin].size;
}

void offheap_stats(offheap_stats_t* out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (tls_heap) {
        add_heap(out, tls_heap);
        out->heaps_live = 1;
        out->remote_pending = remote_pending_of(tls_heap);
    }
}

void offheap_global_stats(offheap_stats_t* out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    int64_t pending = remote_pending_unowned();
    uint32_t limit = heap_id_limit();
    for (uint32_t id = 0; id <= OFFHEAP_MAX_HEAPS; id++) {
        if (id == limit) id = OFFHEAP_MAX_HEAPS; /* skip never-used ids, keep the overflow heap */
        heap_t* h = heap_at(id);
        if (!h) continue;
        int status = atomic_load_explicit(&h->status, ACQUIRE);
        if (status == HEAP_UNUSED) continue;
        add_heap(out, h);
        pending += (int64_t)(counter_get(&h->ct.remote_announced) - counter_get(&h->ct.remote_claimed));
        if (status == HEAP_LIVE) out->heaps_live++;
        else out->heaps_pending++;
    }
    out->remote_pending = pending > 0 ? (uint64_t)pending : 0; /* threads running: approximate */
}
