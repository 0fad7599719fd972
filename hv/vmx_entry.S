/*
 * int vmx_enter(struct vcpu_regs *regs, int launched)
 *
 * Saves the host's callee-saved registers, points HOST_RSP at this frame,
 * loads the guest's registers and enters the guest (VMLAUNCH the first time,
 * VMRESUME after).  A VM exit lands at vmx_exit with the stack as it was
 * here: the guest's registers go back into *regs and vmx_enter returns 0.
 * If the entry instruction itself fails, it returns 1 and the VMCS holds the
 * VM-instruction error.  Offsets: hv/vcpu_regs.h, static-asserted there.
 */
#include "hv/vcpu_regs.h"

#define HOST_RSP_FIELD 0x6c14
#define HOST_RIP_FIELD 0x6c16

	.text
	.globl vmx_enter, vmx_exit
vmx_enter:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi                   /* regs, for the way back */
	mov $HOST_RSP_FIELD, %eax
	vmwrite %rsp, %rax
	jbe 2f
	mov VCPU_CR2(%rdi), %rax
	mov %rax, %cr2
	test %esi, %esi             /* the flags survive the loads below */
	mov VCPU_RAX(%rdi), %rax
	mov VCPU_RBX(%rdi), %rbx
	mov VCPU_RCX(%rdi), %rcx
	mov VCPU_RDX(%rdi), %rdx
	mov VCPU_RSI(%rdi), %rsi
	mov VCPU_RBP(%rdi), %rbp
	mov VCPU_R8(%rdi), %r8
	mov VCPU_R9(%rdi), %r9
	mov VCPU_R10(%rdi), %r10
	mov VCPU_R11(%rdi), %r11
	mov VCPU_R12(%rdi), %r12
	mov VCPU_R13(%rdi), %r13
	mov VCPU_R14(%rdi), %r14
	mov VCPU_R15(%rdi), %r15
	mov VCPU_RDI(%rdi), %rdi
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	/* the entry failed: nothing of the guest was loaded for good */
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	mov $1, %eax
	ret

vmx_exit:
	push %rdi                   /* the guest's rdi */
	mov 8(%rsp), %rdi           /* regs */
	mov %rax, VCPU_RAX(%rdi)
	mov %rbx, VCPU_RBX(%rdi)
	mov %rcx, VCPU_RCX(%rdi)
	mov %rdx, VCPU_RDX(%rdi)
	mov %rsi, VCPU_RSI(%rdi)
	mov %rbp, VCPU_RBP(%rdi)
	mov %r8, VCPU_R8(%rdi)
	mov %r9, VCPU_R9(%rdi)
	mov %r10, VCPU_R10(%rdi)
	mov %r11, VCPU_R11(%rdi)
	mov %r12, VCPU_R12(%rdi)
	mov %r13, VCPU_R13(%rdi)
	mov %r14, VCPU_R14(%rdi)
	mov %r15, VCPU_R15(%rdi)
	pop %rax
	mov %rax, VCPU_RDI(%rdi)
	mov %cr2, %rax
	mov %rax, VCPU_CR2(%rdi)
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	xor %eax, %eax
	ret

	.section .note.GNU-stack, "", @progbits
