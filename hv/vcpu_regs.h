/*
 * The guest's general-purpose registers while keyhole runs: saved by the
 * VM-exit stub (hv/vmx_entry.S) and restored by it on entry.  RSP and RIP
 * live in the VMCS.  The stub uses the offsets below; vmx_entry.S static
 * checks are in hv/vmx.c.
 */
#ifndef KEYHOLE_HV_VCPU_REGS_H
#define KEYHOLE_HV_VCPU_REGS_H

#define VCPU_RAX 0
#define VCPU_RBX 8
#define VCPU_RCX 16
#define VCPU_RDX 24
#define VCPU_RSI 32
#define VCPU_RDI 40
#define VCPU_RBP 48
#define VCPU_R8 56
#define VCPU_R9 64
#define VCPU_R10 72
#define VCPU_R11 80
#define VCPU_R12 88
#define VCPU_R13 96
#define VCPU_R14 104
#define VCPU_R15 112
#define VCPU_CR2 120
#define VCPU_REGS_SIZE 128

#ifndef __ASSEMBLER__
#include <keyhole/types.h>

struct vcpu_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 cr2; /* not in the VMCS: switched by the stub */
};

STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, rax) == VCPU_RAX, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, rbx) == VCPU_RBX, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, rcx) == VCPU_RCX, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, rdx) == VCPU_RDX, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, rsi) == VCPU_RSI, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, rdi) == VCPU_RDI, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, rbp) == VCPU_RBP, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, r8) == VCPU_R8, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, r9) == VCPU_R9, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, r10) == VCPU_R10, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, r11) == VCPU_R11, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, r12) == VCPU_R12, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, r13) == VCPU_R13, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, r14) == VCPU_R14, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, r15) == VCPU_R15, "vcpu_regs layout");
STATIC_ASSERT(__builtin_offsetof(struct vcpu_regs, cr2) == VCPU_CR2, "vcpu_regs layout");
STATIC_ASSERT(sizeof(struct vcpu_regs) == VCPU_REGS_SIZE, "vcpu_regs layout");
#endif

#endif
