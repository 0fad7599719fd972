/*
 * Exception entry: one stub per vector pushes a dummy error code where the
 * CPU pushes none, then the vector; the common path saves the general
 * registers into a struct trap_frame (hv/desc.h) and calls trap_handler().
 * If the handler returns (a probe fixed up), everything is restored and IRET
 * resumes at the frame's RIP.
 */
#include "hv/desc.h"

/* Vectors for which the CPU pushes an error code: #DF #TS #NP #SS #GP #PF #AC #CP. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21)

	.text
	.macro trap_stub v
	.align 16
trap_stub_\v:
	.if !HAS_ERROR(\v)
	pushq $0
	.endif
	pushq $\v
	jmp trap_common
	.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	trap_stub \v
	.endr

trap_common:
	push %r15
	push %r14
	push %r13
	push %r12
	push %r11
	push %r10
	push %r9
	push %r8
	push %rbp
	push %rdi
	push %rsi
	push %rdx
	push %rcx
	push %rbx
	push %rax
	mov %rsp, %rdi
	cld
	call trap_handler
	pop %rax
	pop %rbx
	pop %rcx
	pop %rdx
	pop %rsi
	pop %rdi
	pop %rbp
	pop %r8
	pop %r9
	pop %r10
	pop %r11
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	add $16, %rsp /* vector and error code */
	iretq

/* The stubs' addresses, for the IDT. */
	.section .rodata
	.globl trap_stubs
	.align 8
trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad trap_stub_\v
	.endr

/* int probe_read8(const volatile void *va, u8 *out) */
	.text
	.globl probe_read8, probe_read8_insn, probe_read8_fixup
probe_read8:
probe_read8_insn:
	movzbl (%rdi), %eax
	movb %al, (%rsi)
	xor %eax, %eax
	ret
probe_read8_fixup:
	mov $-14, %eax /* -EFAULT */
	ret

	.section .note.GNU-stack, "", @progbits
