/*
 * The guest's entry point.  keyhole enters _start in 64-bit mode, CPL 0,
 * identity-mapped, interrupts off, with RDI pointing at the boot-info block
 * (the full entry contract is in include/keyhole/guest_boot.h).
 *
 * Every vCPU of the guest enters here, all at once and in no set order.
 * Each first records its block in its own kh_vcpu_local entry and points its
 * GS base there (vcpu.h), then makes sure SSE is usable and x87/MXCSR are in
 * their reset state (the VMCS does not carry them, so a vCPU inherits
 * whatever its CPU last held).
 *
 * vCPU 0 then takes the stack the block offers, or its own; clears .bss;
 * installs the exception handlers; runs the C constructors; releases the
 * other vCPUs; then main(0, {NULL}, {NULL}) and exit() with main's result,
 * which ends in the KH_HC_EXIT hypercall (syscalls.c).
 *
 * Every other vCPU takes the stack keyhole gave it and waits until vCPU 0
 * has released it: .bss, the IDT and the constructors are vCPU 0's work and
 * must not be raced.  Then kh_vcpu_start() (vcpu.c) runs the program's
 * kh_vcpu_main(index) and ends in the EXIT hypercall with its result.
 */
#include <keyhole/guest_boot.h>
#include <x86/msr.h>

#include "vcpu.h"

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
	 * Which vCPU this is: only a valid version-2 block says; without one
	 * this is vCPU 0 (and kh_boot_info() will find no block).  An index
	 * beyond the table is not ours to run: stop.
	 */
	xorl %esi, %esi
	testq %rdi, %rdi
	jz 1f
	cmpl $KH_GUEST_BOOT_MAGIC, KH_GUEST_BOOT_OFF_MAGIC(%rdi)
	jne 1f
	cmpl $KH_GUEST_BOOT_VERSION, KH_GUEST_BOOT_OFF_VERSION(%rdi)
	jne 1f
	movl KH_GUEST_BOOT_OFF_VCPU_INDEX(%rdi), %esi
	cmpl $KH_GUEST_VCPUS_MAX, %esi
	jae halt
1:
	/* kh_vcpu_local[index] = { RDI, index }, and GS base = its address. */
	movl %esi, %ebx
	shlq $KH_VCPU_LOCAL_SHIFT, %rbx
	leaq kh_vcpu_local(%rip), %rax
	addq %rax, %rbx
	movq %rdi, KH_VCPU_LOCAL_OFF_BOOT(%rbx)
	movl %esi, KH_VCPU_LOCAL_OFF_INDEX(%rbx)
	movl $MSR_GS_BASE, %ecx
	movl %ebx, %eax
	movq %rbx, %rdx
	shrq $32, %rdx
	wrmsr
	testl %esi, %esi
	jnz secondary

	/* vCPU 0.  The block is trusted for its stack only once its magic matched. */
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

	call cpu_init
	call kh_traps_init

	/* newlib's exit() runs the destructors once this is registered. */
	leaq __libc_fini_array(%rip), %rdi
	call atexit
	call __libc_init_array

	/* What the other vCPUs share is ready: let them go (on x86 a plain store is a release). */
	movl $1, vcpus_released(%rip)

	xorl %edi, %edi           /* argc */
	leaq null_vector(%rip), %rsi  /* argv: { NULL } */
	leaq null_vector(%rip), %rdx  /* envp: { NULL } */
	call main
	movl %eax, %edi
	call exit
	/* exit() does not return; if the hypercall ever did, stop here. */
	jmp halt

	/* vCPU 1 and up: keyhole always gives them a stack (guest_boot.h); without one there is nowhere to run. */
secondary:
	movq KH_GUEST_BOOT_OFF_STACK_TOP(%rdi), %rsp
	testq %rsp, %rsp
	jz halt
	andq $-STACK_ALIGN, %rsp
	xorl %ebp, %ebp
	call cpu_init
2:
	sti /* an interrupt window for Bochs, as in kh_spin_pause() (kh.h) */
	pause
	cli
	cmpl $0, vcpus_released(%rip)
	je 2b
	call kh_vcpu_start
	/* kh_vcpu_start() ends in the EXIT hypercall; a HLT ends a vCPU too. */
halt:
	cli
	hlt
	jmp halt
	.size _start, . - _start

	/*
	 * What each vCPU sets on its own CPU.  SSE: keyhole should have
	 * enabled it already; write CR0/CR4 only if not, since a write a
	 * hypervisor owns bits of may cost a VM exit.
	 */
	.type cpu_init, @function
cpu_init:
	movq %cr0, %rax
	movq %rax, %rcx
	andq $~X86_CR0_EM, %rax
	orq $X86_CR0_MP, %rax
	cmpq %rax, %rcx
	je 1f
	movq %rax, %cr0
1:
	movq %cr4, %rax
	movq %rax, %rcx
	orq $(X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT), %rax
	cmpq %rax, %rcx
	je 2f
	movq %rax, %cr4
2:
	fninit
	ldmxcsr mxcsr_reset(%rip)
	ret
	.size cpu_init, . - cpu_init

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

	/* In .data, not .bss: written before vCPU 0 clears .bss. */
	.data
	.balign KH_VCPU_LOCAL_SIZE
	.globl kh_vcpu_local
kh_vcpu_local:
	.skip KH_VCPU_LOCAL_SIZE * KH_GUEST_VCPUS_MAX
	.balign 4
vcpus_released:
	.long 0

	.bss
	.balign 4096
guest_stack:
	.skip GUEST_STACK_SIZE
guest_stack_top:

	.section .note.GNU-stack, "", @progbits
