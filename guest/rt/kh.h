/*
 * Guest-side helpers for talking to keyhole: the VMCALL hypercall, CPUID and
 * port output, as the inline assembly the rest of the guest builds on.
 *
 * The ABI is include/keyhole/hypercall.h: number in RAX, arguments in RBX,
 * RCX, RDX, RSI, status in RAX and a second result in RBX.  The argument
 * registers are declared as read and written: the ABI does not promise they
 * survive the call, so the compiler must not assume it.
 *
 * Errors come back as negative Linux errno values (-22, -38), which are not
 * all newlib's (newlib's ENOSYS is 88): compare results against KH_E*, never
 * against <errno.h>.
 */
#ifndef GUEST_KH_H
#define GUEST_KH_H

#include <stdint.h>

#include <keyhole/hypercall.h>

/* The ABI's error values, independent of the C library's <errno.h>. */
#define KH_EINVAL 22
#define KH_ENOSYS 38

/*
 * Calls hypercall nr; returns RAX.  When rbx_out is not NULL, it receives
 * RBX, the second result of the calls that have one.
 */
static inline int64_t kh_hypercall(uint64_t nr, uint64_t a0, uint64_t a1,
				   uint64_t a2, uint64_t a3, uint64_t *rbx_out)
{
	uint64_t rax = nr, rbx = a0, rcx = a1, rdx = a2, rsi = a3;

	__asm__ volatile("vmcall"
			 : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi)
			 :
			 : "memory");
	if (rbx_out)
		*rbx_out = rbx;
	return (int64_t)rax;
}

static inline int64_t kh_hypercall0(uint64_t nr)
{
	return kh_hypercall(nr, 0, 0, 0, 0, 0);
}

static inline int64_t kh_hypercall1(uint64_t nr, uint64_t a0)
{
	return kh_hypercall(nr, a0, 0, 0, 0, 0);
}

static inline int64_t kh_hypercall2(uint64_t nr, uint64_t a0, uint64_t a1)
{
	return kh_hypercall(nr, a0, a1, 0, 0, 0);
}

static inline int64_t kh_hypercall3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	return kh_hypercall(nr, a0, a1, a2, 0, 0);
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid(uint32_t leaf)
{
	return cpuid_count(leaf, 0);
}

/* CPUID.1:ECX bits the test guest looks at. */
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)

/* The time stamp counter as the guest reads it. */
static inline uint64_t kh_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void outb(uint16_t port, uint8_t val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

/* The guest's console: COM1's transmit register (keyhole intercepts it). */
#define COM1_PORT 0x3f8

/*
 * One round of a spin-wait on another vCPU.  PAUSE, inside an interrupt
 * window: keyhole's guests run with RFLAGS.IF = 0, and keyhole takes every
 * external interrupt with a VM exit (external-interrupt exiting), so no
 * interrupt is ever delivered to the guest here; the window is for Bochs,
 * which does not take that exit for a local-APIC interrupt arriving while a
 * guest with IF = 0 makes no exits (seen: a TLB-shootdown IPI pending in
 * IRR, PPR 0, the guest spinning, no exit until its next one), so a
 * shootdown keyhole aims at this vCPU's CPU would wait for it forever.  On
 * hardware the exit is taken either way (SDM Vol. 3C 26.2).
 */
static inline void kh_spin_pause(void)
{
	__asm__ volatile("sti; pause; cli" : : : "memory");
}

#endif
