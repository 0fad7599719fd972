/*
 * The x86-64 instructions keyhole's C code needs and cannot express in C:
 * port I/O, MSRs, CPUID, control registers, TLB and halt.  Each wrapper is
 * one instruction; "memory" clobbers mark the ones whose effect on memory
 * the compiler must not reorder around (CR writes, INVLPG, serialising I/O).
 *
 * The control-register bits are also visible to assembly (the boot
 * trampolines switch modes with them); MSR numbers and bits are in hv/msr.h.
 */
#ifndef KEYHOLE_HV_CPU_H
#define KEYHOLE_HV_CPU_H

#ifdef __ASSEMBLER__
#define CPU_BIT(n) (1 << (n))
#else
#define CPU_BIT(n) (1UL << (n))
#endif

/* CR0 (SDM Vol. 3A, 2.5) */
#define X86_CR0_PE CPU_BIT(0) /* protected mode */
#define X86_CR0_MP CPU_BIT(1)
#define X86_CR0_EM CPU_BIT(2)
#define X86_CR0_TS CPU_BIT(3)
#define X86_CR0_NE CPU_BIT(5)
#define X86_CR0_WP CPU_BIT(16) /* supervisor writes honour read-only pages */
#define X86_CR0_PG CPU_BIT(31)

/* CR4 */
#define X86_CR4_PAE CPU_BIT(5)
#define X86_CR4_PGE CPU_BIT(7)
#define X86_CR4_OSFXSR CPU_BIT(9)
#define X86_CR4_OSXMMEXCPT CPU_BIT(10)
#define X86_CR4_VMXE CPU_BIT(13)

#ifndef __ASSEMBLER__

#include <keyhole/types.h>

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid(u32 leaf)
{
	return cpuid_count(leaf, 0);
}

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

static inline void invlpg(u64 va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" : : : "memory");
}

/* Stops this CPU for good: with interrupts off, only NMI or SMI wake it, and it halts again. */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	cli();
	for (;;)
		hlt();
}

#endif /* !__ASSEMBLER__ */

#endif
