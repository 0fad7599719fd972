/*
 * Exception and interrupt entry, all 256 vectors (a VM exit sets the IDTR
 * limit to 0xffff, SDM Vol. 3C 28.5.2, so every vector must have a gate):
 * one stub per vector pushes a dummy error code where the
 * CPU pushes none, then the vector; the common path saves the general
 * registers into a struct trap_frame (hv/cpu/desc.h; its offsets come from
 * hv/asm-offsets.c) and calls trap_handler().
 * If the handler returns (a probe fixed up), everything is restored and IRET
 * resumes at the frame's RIP.
 */
#include <generated/asm-offsets.h>
#include <x86/exception.h>

#define IDT_VECTORS 256

/* Vectors for which the CPU pushes an error code: #DF #TS #NP #SS #GP #PF #AC #CP. */
#define HAS_ERROR(v) ((v) == EXC_DF || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21)

.if TF_VECTOR != TF_R15 + 8
.error "struct trap_frame: the vector must follow the registers"
.endif
.if TF_ERROR != TF_VECTOR + 8 || TF_RIP != TF_ERROR + 8
.error "struct trap_frame: the error code, then the CPU's frame, must follow the vector"
.endif

	.altmacro
	.macro stub_address v
	.quad trap_stub_\v
	.endm

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

	.set v, 0
	.rept IDT_VECTORS
	trap_stub %v
	.set v, v + 1
	.endr

trap_common:
	/* The CPU's frame and the stub's two words are in place above TF_VECTOR: make room for the registers. */
	sub $TF_VECTOR, %rsp
	mov %rax, TF_RAX(%rsp)
	mov %rbx, TF_RBX(%rsp)
	mov %rcx, TF_RCX(%rsp)
	mov %rdx, TF_RDX(%rsp)
	mov %rsi, TF_RSI(%rsp)
	mov %rdi, TF_RDI(%rsp)
	mov %rbp, TF_RBP(%rsp)
	mov %r8, TF_R8(%rsp)
	mov %r9, TF_R9(%rsp)
	mov %r10, TF_R10(%rsp)
	mov %r11, TF_R11(%rsp)
	mov %r12, TF_R12(%rsp)
	mov %r13, TF_R13(%rsp)
	mov %r14, TF_R14(%rsp)
	mov %r15, TF_R15(%rsp)
	mov %rsp, %rdi
	cld
	call trap_handler
	mov TF_RAX(%rsp), %rax
	mov TF_RBX(%rsp), %rbx
	mov TF_RCX(%rsp), %rcx
	mov TF_RDX(%rsp), %rdx
	mov TF_RSI(%rsp), %rsi
	mov TF_RDI(%rsp), %rdi
	mov TF_RBP(%rsp), %rbp
	mov TF_R8(%rsp), %r8
	mov TF_R9(%rsp), %r9
	mov TF_R10(%rsp), %r10
	mov TF_R11(%rsp), %r11
	mov TF_R12(%rsp), %r12
	mov TF_R13(%rsp), %r13
	mov TF_R14(%rsp), %r14
	mov TF_R15(%rsp), %r15
	add $TF_RIP, %rsp /* the registers, the vector and the error code */
	iretq

/* The stubs' addresses, for the IDT. */
	.section .rodata
	.globl trap_stubs
	.align 8
trap_stubs:
	.set v, 0
	.rept IDT_VECTORS
	stub_address %v
	.set v, v + 1
	.endr

/*
 * int probe_read8(const volatile void *va, u8 *out)
 * Its fault puts CR2 back as it was: the CPU may hold a loaded guest's CR2,
 * which VM entries no longer reload (hv/vmx/vmx_entry.S).  The handler
 * returns with every register as it was, RDX included.
 */
	.text
	.globl probe_read8, probe_read8_insn, probe_read8_fixup
probe_read8:
	mov %cr2, %rdx
probe_read8_insn:
	movzbl (%rdi), %eax
	movb %al, (%rsi)
	xor %eax, %eax
	ret
probe_read8_fixup:
	mov %rdx, %cr2
	mov $-14, %eax /* -EFAULT */
	ret

	.section .note.GNU-stack, "", @progbits
