/* forksafe.h -- the core's locks across fork() (forksafe.c). */
#ifndef OFFHEAP_FORKSAFE_H
#define OFFHEAP_FORKSAFE_H

/* Registers the pthread_atfork handlers (once; done with the first heap). */
void forksafe_install(void);

/* Each takes (1) or releases (0) its file's lock. */
void heap_fork_lock(int take);
void swap_fork_lock(int take);
void config_fork_lock(int take);
void handoff_fork_lock(int take);

#endif
