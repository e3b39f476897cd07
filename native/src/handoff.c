/* handoff.c -- zero-copy hand-off of a block between threads, with tickets.
 *
 * offheap_handoff moves a LIVE block to TRANSIT (a CAS on its state byte, so
 * nobody can free it meanwhile) and records a fresh ticket for its address;
 * offheap_adopt takes the block back only with that ticket, exactly once.
 * Tickets come from a process-wide counter and are never reused, so a handle
 * replayed after its block was adopted, freed and the address handed off
 * again carries an old ticket and is refused.
 *
 * The tickets of blocks in transit live in an open-addressing table (linear
 * probing, backward-shift deletion) under a mutex: hand-off happens once per
 * message between threads, not per allocation. Its storage comes from mmap,
 * never malloc, so the core stays usable under a malloc shim.
 */
#define _GNU_SOURCE
#include "forksafe.h"
#include "heap.h"
#include "pool.h"

#include <pthread.h>
#include <sys/mman.h>

typedef struct ticket_slot {
    uintptr_t addr; /* 0: empty */
    uint64_t ticket;
} ticket_slot_t;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
void handoff_fork_lock(int take) { take ? pthread_mutex_lock(&table_lock) : pthread_mutex_unlock(&table_lock); }
static ticket_slot_t* table;
static size_t capacity; /* a power of two, or 0 */
static size_t used;
static uint64_t last_ticket;

static size_t home(uintptr_t addr) {
    return (size_t)(((addr >> OFFHEAP_MIN_ORDER) * 0x9E3779B97F4A7C15ull) >> 17) & (capacity - 1);
}

static ticket_slot_t* find(uintptr_t addr) {
    if (!capacity) return NULL;
    for (size_t i = home(addr);; i = (i + 1) & (capacity - 1)) {
        if (table[i].addr == addr) return &table[i];
        if (!table[i].addr) return NULL;
    }
}

static void put(uintptr_t addr, uint64_t ticket) {
    size_t i = home(addr);
    while (table[i].addr) i = (i + 1) & (capacity - 1);
    table[i].addr = addr;
    table[i].ticket = ticket;
}

/* Keeps the load at most 1/2; 0, or -1 when no memory can be had. */
static int make_room(void) {
    if (2 * (used + 1) <= capacity) return 0;
    size_t old_cap = capacity, new_cap = capacity ? capacity * 2 : 256;
    ticket_slot_t* fresh = mmap(NULL, new_cap * sizeof *fresh, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fresh == MAP_FAILED) return -1;
    ticket_slot_t* old = table;
    table = fresh;
    capacity = new_cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].addr) put(old[i].addr, old[i].ticket);
    if (old) munmap(old, old_cap * sizeof *old);
    return 0;
}

/* Backward-shift deletion: no tombstones, so lookups stay short. */
static void remove_slot(ticket_slot_t* s) {
    size_t i = (size_t)(s - table);
    for (size_t j = (i + 1) & (capacity - 1); table[j].addr; j = (j + 1) & (capacity - 1)) {
        size_t h = home(table[j].addr);
        /* move j back to i unless its home lies cyclically in (i, j] */
        if (((j - h) & (capacity - 1)) >= ((j - i) & (capacity - 1))) {
            table[i] = table[j];
            i = j;
        }
    }
    table[i].addr = 0;
    used--;
}

int offheap_handoff(void* p, uint64_t* ticket) {
    if (!ticket) return OFFHEAP_EINVAL;
    pthread_mutex_lock(&table_lock);
    int rc = make_room() == 0 ? block_transition(p, ST_LIVE, ST_TRANSIT) : OFFHEAP_ENOMEM;
    if (rc == OFFHEAP_OK) {
        *ticket = ++last_ticket;
        put((uintptr_t)p, *ticket);
        used++;
    }
    pthread_mutex_unlock(&table_lock);
    return rc;
}

int offheap_adopt(void* p, uint64_t ticket) {
    pthread_mutex_lock(&table_lock);
    ticket_slot_t* s = find((uintptr_t)p);
    int rc = OFFHEAP_EINVAL;
    /* A recorded ticket means the block is in TRANSIT and nobody else can
     * change that, so its chunk is mapped and the CAS below cannot fail. */
    if (s && s->ticket == ticket && ticket != 0) {
        remove_slot(s);
        rc = block_transition(p, ST_TRANSIT, ST_LIVE);
    }
    pthread_mutex_unlock(&table_lock);
    return rc;
}
