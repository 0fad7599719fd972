/*
 * Control registers, RFLAGS, DR7 and XCR0: the bits keyhole reads or sets
 * (Intel SDM Vol. 3A, 2.5 "Control Registers"; Vol. 1, 13.3 for XCR0), and
 * the instructions that move the control registers.
 *
 * The bits are plain numbers in assembly too (the boot trampolines switch
 * modes with them); C sees 64-bit constants.
 */
#ifndef KEYHOLE_X86_CR_H
#define KEYHOLE_X86_CR_H

#ifdef __ASSEMBLER__
#define CPU_BIT(n) (1 << (n))
#else
#define CPU_BIT(n) (1UL << (n))
#endif

/* CR0 */
#define X86_CR0_PE CPU_BIT(0) /* protected mode */
#define X86_CR0_MP CPU_BIT(1)
#define X86_CR0_EM CPU_BIT(2)
#define X86_CR0_TS CPU_BIT(3)
#define X86_CR0_ET CPU_BIT(4) /* hardwired to 1 on every CPU keyhole runs on */
#define X86_CR0_NE CPU_BIT(5)
#define X86_CR0_WP CPU_BIT(16) /* supervisor writes honour read-only pages */
#define X86_CR0_NW CPU_BIT(29)
#define X86_CR0_CD CPU_BIT(30)
#define X86_CR0_PG CPU_BIT(31)

/* CR4 */
#define X86_CR4_PAE CPU_BIT(5)
#define X86_CR4_PGE CPU_BIT(7)
#define X86_CR4_OSFXSR CPU_BIT(9)
#define X86_CR4_OSXMMEXCPT CPU_BIT(10)
#define X86_CR4_LA57 CPU_BIT(12) /* 5-level paging */
#define X86_CR4_VMXE CPU_BIT(13)
#define X86_CR4_OSXSAVE CPU_BIT(18)
#define X86_CR4_PKE CPU_BIT(22)

/* RFLAGS (SDM Vol. 1, 3.4.3) */
#define X86_RFLAGS_FIXED CPU_BIT(1) /* reads as 1 */
#define X86_RFLAGS_IF CPU_BIT(9)
/* Reserved bits that must be 0: 3, 5, 15 and 22-63. */
#define X86_RFLAGS_RESERVED_ZERO (CPU_BIT(3) | CPU_BIT(5) | CPU_BIT(15) | ~0x3fffffUL)

/* DR7's power-on value: bit 10 reads as 1, every breakpoint disabled. */
#define X86_DR7_FIXED 0x400

/* XCR0 state components (SDM Vol. 1, 13.1) */
#define X86_XCR0_X87 CPU_BIT(0)
#define X86_XCR0_SSE CPU_BIT(1)
#define X86_XCR0_AVX CPU_BIT(2)
#define X86_XCR0_BNDREGS CPU_BIT(3) /* MPX */
#define X86_XCR0_BNDCSR CPU_BIT(4)
#define X86_XCR0_OPMASK CPU_BIT(5) /* AVX-512: bits 7:5 together */
#define X86_XCR0_ZMM_HI256 CPU_BIT(6)
#define X86_XCR0_HI16_ZMM CPU_BIT(7)
#define X86_XCR0_PKRU CPU_BIT(9)
#define X86_XCR0_TILECFG CPU_BIT(17) /* AMX: bits 18:17 together */
#define X86_XCR0_TILEDATA CPU_BIT(18)
#define X86_XCR0_AVX512 (X86_XCR0_OPMASK | X86_XCR0_ZMM_HI256 | X86_XCR0_HI16_ZMM)
/* The legacy region and the XSAVE header: where the extended components start (SDM Vol. 1, 13.4). */
#define X86_XSAVE_LEGACY_AND_HEADER 576

#ifndef __ASSEMBLER__
#include <keyhole/types.h>

#define DEFINE_CR_ACCESSORS(n)                                           \
	static inline u64 read_cr##n(void)                               \
	{                                                                \
		u64 v;                                                   \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));        \
		return v;                                                \
	}                                                                \
	static inline void write_cr##n(u64 v)                            \
	{                                                                \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}

DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

/* The faulting address of the last page fault (written only by the CPU). */
static inline u64 read_cr2(void)
{
	u64 v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

#endif /* !__ASSEMBLER__ */

#endif
