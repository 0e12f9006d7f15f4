/* lock.h - the process-shared, robust lock that guards every structure in
 * RAM that two processes can touch (DESIGN §8). One 32-bit futex word:
 *
 *   0                      free
 *   tid                    held by host thread tid, nobody waiting
 *   tid | VM_LOCK_WAITERS  held, someone may sleep in FUTEX_WAIT
 *   ... | VM_LOCK_OWNER_DIED  the holder died; the next owner must repair
 *
 * The word says who holds the lock, so vmdump can name the owner. A waiter
 * that sleeps too long checks whether the owner still lives; a dead owner's
 * lock passes to the waiter with -EOWNERDEAD. The reaper (vmrun) marks the
 * locks of a guest it reaps so nobody has to time out.
 */
#ifndef VM_LOCK_H
#define VM_LOCK_H

#include <stdint.h>

#define VM_LOCK_WAITERS		0x80000000u
#define VM_LOCK_OWNER_DIED	0x40000000u
#define VM_LOCK_TID_MASK	0x3fffffffu

struct vm_lock {
	uint32_t word;			/* as above */
	uint32_t contended;		/* times a locker had to wait (statistics) */
};

#endif /* VM_LOCK_H */
