/*
 * The guest's entry point.  keyhole enters _start in 64-bit mode, CPL 0,
 * identity-mapped, interrupts off, with RDI pointing at the boot-info block
 * (the full entry contract is in include/keyhole/guest_boot.h).
 *
 * _start takes the stack the block offers, or its own; clears .bss; makes
 * sure SSE is usable and x87/MXCSR are in their reset state (the VMCS does
 * not carry them, so the guest inherits whatever the CPU last held); installs
 * the exception handlers; runs the C constructors; then main(0, {NULL},
 * {NULL}) and exit() with main's result, which ends in the KH_HC_EXIT
 * hypercall (syscalls.c).
 */
#include <keyhole/guest_boot.h>

#define X86_CR0_MP (1 << 1)
#define X86_CR0_EM (1 << 2)
#define X86_CR4_OSFXSR (1 << 9)
#define X86_CR4_OSXMMEXCPT (1 << 10)
#define MXCSR_RESET 0x1f80 /* all SIMD exceptions masked, round to nearest */
#define GUEST_STACK_SIZE (64 * 1024)
#define STACK_ALIGN 16

	.section .text.boot, "ax"
	.globl _start
	.type _start, @function
_start:
	cli
	cld

	/*
	 * Remember the block before .bss is cleared: kh_boot_gpa lives in
	 * .data.  It is validated in C (kh_boot_info()); here it is only
	 * trusted for its stack after the magic matches.
	 */
	movq %rdi, kh_boot_gpa(%rip)
	leaq guest_stack_top(%rip), %rsp
	testq %rdi, %rdi
	jz 1f
	cmpl $KH_GUEST_BOOT_MAGIC, KH_GUEST_BOOT_OFF_MAGIC(%rdi)
	jne 1f
	movq KH_GUEST_BOOT_OFF_STACK_TOP(%rdi), %rax
	testq %rax, %rax
	jz 1f
	movq %rax, %rsp
1:
	andq $-STACK_ALIGN, %rsp
	xorl %ebp, %ebp /* the end of every backtrace */

	/* .bss may hold the stack just chosen: nothing is on it yet. */
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb

	/*
	 * SSE: keyhole should have enabled it already; write CR0/CR4 only if
	 * not, since a write a hypervisor owns bits of may cost a VM exit.
	 */
	movq %cr0, %rax
	movq %rax, %rcx
	andq $~X86_CR0_EM, %rax
	orq $X86_CR0_MP, %rax
	cmpq %rax, %rcx
	je 2f
	movq %rax, %cr0
2:
	movq %cr4, %rax
	movq %rax, %rcx
	orq $(X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT), %rax
	cmpq %rax, %rcx
	je 3f
	movq %rax, %cr4
3:
	fninit
	ldmxcsr mxcsr_reset(%rip)

	call kh_traps_init

	/* newlib's exit() runs the destructors once this is registered. */
	leaq __libc_fini_array(%rip), %rdi
	call atexit
	call __libc_init_array

	xorl %edi, %edi           /* argc */
	leaq null_vector(%rip), %rsi  /* argv: { NULL } */
	leaq null_vector(%rip), %rdx  /* envp: { NULL } */
	call main
	movl %eax, %edi
	call exit
	/* exit() does not return; if the hypercall ever did, stop here. */
4:
	hlt
	jmp 4b
	.size _start, . - _start

	/*
	 * newlib is built with HAVE_INIT_FINI and calls _init/_fini around the
	 * .init_array/.fini_array walks.  The guest has no .init/.fini code
	 * (gcc's crti/crtn are not linked): they are empty.
	 */
	.text
	.globl _init, _fini
	.type _init, @function
	.type _fini, @function
_init:
_fini:
	ret
	.size _init, . - _init
	.size _fini, . - _fini

	.section .rodata
	.balign 4
mxcsr_reset:
	.long MXCSR_RESET
	.balign 8
null_vector:
	.quad 0

	.data
	.balign 8
	.globl kh_boot_gpa
kh_boot_gpa:
	.quad 0

	.bss
	.balign 4096
guest_stack:
	.skip GUEST_STACK_SIZE
guest_stack_top:

	.section .note.GNU-stack, "", @progbits
