/*
 * CPL 3 for test guests (user.c, user_entry.S): kh_run_user(fn, arg, stack)
 * calls fn(arg) in ring 3 on the given stack and returns once fn returns
 * (or calls kh_user_return()).  In ring 3 the guest has no console (port
 * I/O faults there): fn records what it sees in memory, and the caller
 * reports it back at CPL 0.
 */
#ifndef GUEST_RT_USER_H
#define GUEST_RT_USER_H

#define KH_USER_DATA_SEL 0x28 /* | 3 when loaded */
#define KH_USER_CODE_SEL 0x30
#define KH_USER_RETURN_VECTOR 3 /* INT3, made a DPL-3 gate */

#ifndef __ASSEMBLER__
void kh_run_user(void (*fn)(void *), void *arg, void *stack_top);
/* The one-time preparation kh_run_user() does first (it changes the guest's page tables and GDT). */
void kh_user_prepare(void);
/* The privilege level the caller runs at (CS.RPL). */
unsigned int kh_cpl(void);
/* user_entry.S: the IRET to ring 3 and the way back. */
void kh_user_enter(void (*fn)(void *), void *arg, void *stack_top);
static inline void kh_user_return(void)
{
	__asm__ volatile("int3" : : : "memory");
}
#endif

#endif
