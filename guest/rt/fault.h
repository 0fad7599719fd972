/*
 * Exceptions a guest expects, after Linux's exception table: an instruction
 * listed in section .kh_extable (KH_EXTABLE_ENTRY) that raises an exception
 * does not end the guest.  trap_common (trap_entry.S) asks kh_trap_fixup()
 * (traps.c) first; for a listed instruction it resumes at the entry's fixup
 * with RAX = the vector, and only an exception at an unlisted instruction
 * reaches kh_trap(), which reports it and ends the guest.
 *
 *	uint64_t v;
 *	if (kh_rdmsr_safe(0x11, &v) == KH_VEC_GP) ...  (the MSR does not exist)
 *
 * The safe accessors return KH_NO_EXCEPTION when the instruction completed,
 * otherwise the vector it raised.
 */
#ifndef GUEST_RT_FAULT_H
#define GUEST_RT_FAULT_H

#include <stdint.h>

#define KH_NO_EXCEPTION (-1)
#define KH_VEC_GP 13

/* One entry of the table: an instruction's address and where to resume if it faults. */
struct kh_extable_entry {
	uint64_t insn, fixup;
};

/* Inside an asm statement: lists the instruction at label insn with its fixup label. */
#define KH_EXTABLE_ENTRY(insn, fixup)                          \
	".pushsection .kh_extable, \"a\"\n\t.balign 8\n\t.quad " \
	insn ", " fixup "\n\t.popsection\n\t"

/* RDMSR; on an exception *val is 0. */
static inline int kh_rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo, hi;
	int vec;

	__asm__ volatile("1:	rdmsr\n\t"
			 "	movl $-1, %[vec]\n\t"
			 "	jmp 3f\n"
			 "2:	movl %%eax, %[vec]\n\t" /* the fixup: RAX = the vector */
			 "	xorl %%eax, %%eax\n\t"
			 "	xorl %%edx, %%edx\n"
			 "3:\n\t" KH_EXTABLE_ENTRY("1b", "2b")
			 : "=a"(lo), "=d"(hi), [vec] "=&r"(vec)
			 : "c"(msr)
			 : "memory");
	*val = ((uint64_t)hi << 32) | lo;
	return vec;
}

static inline int kh_wrmsr_safe(uint32_t msr, uint64_t val)
{
	uint32_t lo = (uint32_t)val;
	int vec;

	__asm__ volatile("1:	wrmsr\n\t"
			 "	movl $-1, %[vec]\n\t"
			 "	jmp 3f\n"
			 "2:	movl %%eax, %[vec]\n" /* the fixup: RAX = the vector */
			 "3:\n\t" KH_EXTABLE_ENTRY("1b", "2b")
			 : [vec] "=&r"(vec), "+a"(lo)
			 : "d"((uint32_t)(val >> 32)), "c"(msr)
			 : "memory");
	return vec;
}

#endif
