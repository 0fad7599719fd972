/*
 * Entry stubs for the 32 architectural exception vectors.  Each stub makes
 * the stack look the same (a zero pushed where the CPU pushes no error code,
 * then the vector number), and the common path saves the general registers
 * as a struct kh_trap_frame (traps.c) and asks kh_trap_fixup() whether the
 * guest expected it (fault.h): if so, it returns to the fixup the frame now
 * names; if not, it calls kh_trap(), which does not return.
 *
 * The stubs are KH_TRAP_STUB_SIZE bytes apart so traps.c can compute vector
 * n's address as kh_trap_stubs + n * KH_TRAP_STUB_SIZE.
 */
#include "traps.h"

	.text
	.balign KH_TRAP_STUB_SIZE
	.globl kh_trap_stubs
kh_trap_stubs:
	.set trap_vector, 0
	.rept KH_TRAP_VECTORS
	.balign KH_TRAP_STUB_SIZE
	.if ((KH_TRAP_ERROR_CODE_VECTORS >> trap_vector) & 1) == 0
	pushq $0
	.endif
	pushq $trap_vector
	jmp trap_common
	.set trap_vector, trap_vector + 1
	.endr

/*
 * The CPU aligned RSP to 16 before pushing its 5 (or, with the stub's zero,
 * 6) quadwords; the vector and 15 registers make 16 more: RSP is 16-byte
 * aligned again at the call.
 */
trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	call kh_trap_fixup
	testl %eax, %eax
	jnz trap_resume
	movq %rsp, %rdi
	call kh_trap
1:
	hlt
	jmp 1b

/* An expected exception: back to the fixup, with the registers of the frame. */
trap_resume:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp /* the vector and the error code */
	iretq

	.section .note.GNU-stack, "", @progbits
