/*
 * The guest's general-purpose registers while keyhole runs: saved by the
 * VM-exit stub (hv/vmx/vmx_entry.S) and restored by it on entry.  RSP and
 * RIP live in the VMCS.  The stub reaches the fields through offsets that
 * hv/asm-offsets.c generates from this structure.
 */
#ifndef KEYHOLE_HV_VMX_VCPU_REGS_H
#define KEYHOLE_HV_VMX_VCPU_REGS_H

#include <keyhole/types.h>

struct vcpu_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 cr2; /* not in the VMCS: loaded by the stub at a run's first entry, read back at its end */
};

#endif
