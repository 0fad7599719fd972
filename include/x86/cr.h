/*
 * Control registers, RFLAGS, the debug registers and XCR0: the bits keyhole reads or sets
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
/* DR6's power-on value: the reserved bits that read as 1, no condition detected (SDM Vol. 3B, 18.2.3). */
#define X86_DR6_RESET 0xffff0ff0UL
/* RFLAGS.TF: a debug exception after each instruction */
#define X86_RFLAGS_TF CPU_BIT(8)
/* The x87 control word and MXCSR after FNINIT / reset (SDM Vol. 1, 8.1.5 and 10.2.3.1). */
#define X86_FCW_RESET 0x37f
#define X86_MXCSR_RESET 0x1f80

/* XCR0 state components (SDM Vol. 1, 13.1) */
#define X86_XCR0_X87 CPU_BIT(0)
#define X86_XCR0_SSE CPU_BIT(1)
#define X86_XCR0_AVX CPU_BIT(2)
#define X86_XCR0_BNDREGS CPU_BIT(3) /* MPX */
#define X86_XCR0_BNDCSR CPU_BIT(4)
#define X86_XCR0_OPMASK CPU_BIT(5) /* AVX-512: k0-k7 */
#define X86_XCR0_ZMM_HI256 CPU_BIT(6) /* AVX-512: the upper halves of ZMM0-15 */
#define X86_XCR0_HI16_ZMM CPU_BIT(7)  /* AVX-512: ZMM16-31 */
#define X86_XCR0_PKRU CPU_BIT(9)
#define X86_XCR0_XTILECFG CPU_BIT(17) /* AMX */
#define X86_XCR0_XTILEDATA CPU_BIT(18)
#define X86_XCR0_MPX (X86_XCR0_BNDREGS | X86_XCR0_BNDCSR)
#define X86_XCR0_AVX512 (X86_XCR0_OPMASK | X86_XCR0_ZMM_HI256 | X86_XCR0_HI16_ZMM)
#define X86_XCR0_XTILE (X86_XCR0_XTILECFG | X86_XCR0_XTILEDATA)
/* XCR0's power-on value: x87 only (SDM Vol. 1, 13.3). */
#define X86_XCR0_RESET X86_XCR0_X87
#define X86_XCR_XFEATURE_ENABLED 0 /* ECX of XSETBV/XGETBV naming XCR0 */
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
DEFINE_CR_ACCESSORS(8) /* the task-priority register */
#undef DEFINE_CR_ACCESSORS

/* The debug registers: DR0-DR3 (breakpoint addresses), DR6 (status), DR7 (control). */
#define DEFINE_DR_ACCESSORS(n)                                           \
	static inline u64 read_dr##n(void)                               \
	{                                                                \
		u64 v;                                                   \
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(v));        \
		return v;                                                \
	}                                                                \
	static inline void write_dr##n(u64 v)                            \
	{                                                                \
		__asm__ volatile("mov %0, %%db" #n : : "r"(v) : "memory"); \
	}

DEFINE_DR_ACCESSORS(0)
DEFINE_DR_ACCESSORS(1)
DEFINE_DR_ACCESSORS(2)
DEFINE_DR_ACCESSORS(3)
DEFINE_DR_ACCESSORS(6)
DEFINE_DR_ACCESSORS(7)
#undef DEFINE_DR_ACCESSORS

/* XCR0 (CR4.OSXSAVE must be set, or these are #UD). */
static inline u64 xgetbv(u32 index)
{
	u32 lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((u64)hi << 32) | lo;
}

static inline void xsetbv(u32 index, u64 v)
{
	__asm__ volatile("xsetbv" : : "c"(index), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

/* XRSTOR of the components in rfbm from a 64-byte aligned area (SDM Vol. 1, 13.8). */
static inline void xrstor(const void *area, u64 rfbm)
{
	__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"((u32)rfbm), "d"((u32)(rfbm >> 32)) : "memory");
}

/* FXRSTOR of x87 and SSE state from a 16-byte aligned 512-byte area (SDM Vol. 2A, FXRSTOR). */
static inline void fxrstor(const void *area)
{
	__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

static inline void clts(void)
{
	__asm__ volatile("clts" : : : "memory");
}

/* The faulting address of the last page fault (written only by the CPU). */
static inline u64 read_cr2(void)
{
	u64 v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

#endif /* !__ASSEMBLER__ */

#endif
