/* config.h -- process-wide settings (swap policy and directory, cache budgets). */
#ifndef OFFHEAP_CONFIG_H
#define OFFHEAP_CONFIG_H

#include <stddef.h>

#define OFFHEAP_SLAB_BUDGET_DEFAULT   ((size_t)256 << 10) /* per small order per thread */
#define OFFHEAP_SLAB_BUDGET_MAX       ((size_t)1 << 20)
#define OFFHEAP_HUGE_CACHE_DEFAULT    ((size_t)256 << 20) /* per thread */
#define OFFHEAP_RETAIN_DEFAULT        ((size_t)8 << 20)   /* free resident bytes gc keeps */

/* Snapshot read on every pool/huge mapping; cheap enough there. */
int    config_swap_policy(void);
/* Copies the swap directory (with a trailing slash) into buf; returns its length or -1. */
int    config_swap_dir(char* buf, size_t cap);
size_t config_slab_budget(void);
size_t config_huge_cache_bytes(void);
size_t config_retain_bytes(void);
/* Reads OFFHEAP_SWAP / OFFHEAP_SWAP_DIR once (first heap creation). */
void   config_load_env(void);

#endif
