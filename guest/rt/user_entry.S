/*
 * The ring change of user.c.  kh_user_enter saves the callee-saved
 * registers and the kernel stack, then IRETs to ring 3 (Intel SDM Vol. 3A,
 * 6.14.3: the frame SS, RSP, RFLAGS, CS, RIP); the ring-3 trampoline calls
 * fn(arg) and ends in INT3.  The #BP gate (DPL 3) lands in
 * kh_user_return_gate on the TSS's RSP0 stack; it drops that frame, takes
 * back the saved stack and returns from kh_user_enter.
 */
#include "user.h"

#define RFLAGS_FIXED 0x2 /* IF clear: the guest takes no interrupts */

	.text
	.globl kh_user_enter, kh_user_return_gate

/* void kh_user_enter(void (*fn)(void *), void *arg, void *stack_top) */
kh_user_enter:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, kernel_rsp(%rip)
	mov %rdi, %r12 /* fn and arg survive the IRET in callee-saved registers */
	mov %rsi, %r13
	pushq $(KH_USER_DATA_SEL | 3)
	pushq %rdx
	pushq $RFLAGS_FIXED
	pushq $(KH_USER_CODE_SEL | 3)
	leaq user_trampoline(%rip), %rax
	pushq %rax
	iretq

user_trampoline:
	mov %r13, %rdi
	call *%r12
	int3
	ud2

kh_user_return_gate:
	mov kernel_rsp(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.data
	.balign 8
kernel_rsp:
	.quad 0

	.section .note.GNU-stack, "", @progbits
