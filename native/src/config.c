/* config.c -- process-wide settings. Writers take a mutex; readers of the
 * numeric budgets use relaxed atomics so the allocation paths never lock. */
#define _GNU_SOURCE
#include "forksafe.h"
#include "config.h"
#include "offheap.h"
#include "platform.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
void config_fork_lock(int take) { take ? pthread_mutex_lock(&config_lock) : pthread_mutex_unlock(&config_lock); }
static char swap_dir[PATH_MAX];          /* "" = default, resolved lazily */
static _Atomic int swap_policy = OFFHEAP_SWAP_AUTO;
static _Atomic size_t slab_budget = OFFHEAP_SLAB_BUDGET_DEFAULT;
static _Atomic size_t huge_cache_bytes = OFFHEAP_HUGE_CACHE_DEFAULT;
static _Atomic size_t retain_bytes = OFFHEAP_RETAIN_DEFAULT;
static unsigned explicitly_set;          /* OFFHEAP_CFG_* bits set by offheap_configure */

static int is_directory(const char* path) {
    struct stat st;
    return path && *path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int parse_policy(const char* s) {
    if (!s) return -1;
    if (strcasecmp(s, "auto") == 0) return OFFHEAP_SWAP_AUTO;
    if (strcasecmp(s, "always") == 0) return OFFHEAP_SWAP_ALWAYS;
    if (strcasecmp(s, "never") == 0) return OFFHEAP_SWAP_NEVER;
    return -1;
}

static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void load_env_once(void) {
    pthread_mutex_lock(&config_lock);
    if (!(explicitly_set & OFFHEAP_CFG_SWAP_POLICY)) {
        int p = parse_policy(getenv("OFFHEAP_SWAP"));
        if (p >= 0) atomic_store(&swap_policy, p);
    }
    if (!(explicitly_set & OFFHEAP_CFG_SWAP_DIR)) {
        const char* d = getenv("OFFHEAP_SWAP_DIR");
        if (d && strlen(d) + 2 < sizeof swap_dir && is_directory(d)) strcpy(swap_dir, d);
    }
    pthread_mutex_unlock(&config_lock);
}

void config_load_env(void) { pthread_once(&env_once, load_env_once); }

int offheap_configure(const offheap_config_t* cfg) {
    const unsigned known = OFFHEAP_CFG_SWAP_DIR | OFFHEAP_CFG_SWAP_POLICY | OFFHEAP_CFG_SLAB_BUDGET |
                           OFFHEAP_CFG_HUGE_CACHE_BYTES | OFFHEAP_CFG_RETAIN_BYTES;
    if (!cfg || (cfg->set & ~known)) return OFFHEAP_EINVAL;
    /* Validate everything first: a bad field applies nothing. */
    if ((cfg->set & OFFHEAP_CFG_SWAP_DIR) &&
        (!cfg->swap_dir || strlen(cfg->swap_dir) + 2 >= sizeof swap_dir || !is_directory(cfg->swap_dir)))
        return OFFHEAP_EINVAL;
    if ((cfg->set & OFFHEAP_CFG_SWAP_POLICY) &&
        (cfg->swap_policy < OFFHEAP_SWAP_AUTO || cfg->swap_policy > OFFHEAP_SWAP_NEVER))
        return OFFHEAP_EINVAL;
    if ((cfg->set & OFFHEAP_CFG_SLAB_BUDGET) && cfg->slab_budget > OFFHEAP_SLAB_BUDGET_MAX)
        return OFFHEAP_EINVAL;
    if ((cfg->set & OFFHEAP_CFG_HUGE_CACHE_BYTES) && cfg->huge_cache_bytes > OFFHEAP_MAX_ALLOC)
        return OFFHEAP_EINVAL;
    if ((cfg->set & OFFHEAP_CFG_RETAIN_BYTES) && cfg->retain_bytes > OFFHEAP_MAX_ALLOC)
        return OFFHEAP_EINVAL;

    pthread_mutex_lock(&config_lock);
    if (cfg->set & OFFHEAP_CFG_SWAP_DIR) strcpy(swap_dir, cfg->swap_dir);
    if (cfg->set & OFFHEAP_CFG_SWAP_POLICY) atomic_store(&swap_policy, cfg->swap_policy);
    if (cfg->set & OFFHEAP_CFG_SLAB_BUDGET) atomic_store(&slab_budget, cfg->slab_budget);
    if (cfg->set & OFFHEAP_CFG_HUGE_CACHE_BYTES) atomic_store(&huge_cache_bytes, cfg->huge_cache_bytes);
    if (cfg->set & OFFHEAP_CFG_RETAIN_BYTES) atomic_store(&retain_bytes, cfg->retain_bytes);
    explicitly_set |= cfg->set;
    pthread_mutex_unlock(&config_lock);
    return OFFHEAP_OK;
}

static const char* default_swap_dir(void) {
    const char* t = getenv("TMPDIR");
    return is_directory(t) ? t : "/tmp";
}

int config_swap_dir(char* buf, size_t cap) {
    config_load_env();
    pthread_mutex_lock(&config_lock);
    const char* d = swap_dir[0] ? swap_dir : default_swap_dir();
    size_t n = strlen(d);
    int ok = n + 2 <= cap;
    if (ok) {
        memcpy(buf, d, n);
        if (n == 0 || buf[n - 1] != '/') buf[n++] = '/';
        buf[n] = '\0';
    }
    pthread_mutex_unlock(&config_lock);
    return ok ? (int)n : -1;
}

void offheap_get_config(offheap_config_t* out) {
    static char current_dir[PATH_MAX];
    if (!out) return;
    config_load_env();
    if (config_swap_dir(current_dir, sizeof current_dir) < 0) current_dir[0] = '\0';
    out->set = 0;
    out->swap_dir = current_dir;
    out->swap_policy = config_swap_policy();
    out->slab_budget = config_slab_budget();
    out->huge_cache_bytes = config_huge_cache_bytes();
    out->retain_bytes = config_retain_bytes();
}

int config_swap_policy(void) { config_load_env(); return atomic_load_explicit(&swap_policy, RELAXED); }
size_t config_slab_budget(void) { return atomic_load_explicit(&slab_budget, RELAXED); }
size_t config_huge_cache_bytes(void) { return atomic_load_explicit(&huge_cache_bytes, RELAXED); }
size_t config_retain_bytes(void) { return atomic_load_explicit(&retain_bytes, RELAXED); }
