/*
 * The UEFI way in, assembly half, inside keyhole's image.  BOOTX64.EFI
 * (boot/efi/) jumps here after ExitBootServices, in 64-bit mode on its
 * early page tables, in the state boot/efi_handoff.h describes, with RDI =
 * the direct-map address of its struct boot_info.  This file puts the CPU
 * into the state the multiboot2 path leaves it in (keyhole's boot GDT,
 * EFER.NXE, CR0.WP, the boot stack) and calls
 *
 *	efi_start(const struct boot_info *bi)	(boot/efi_start.c, never returns)
 *
 * The firmware's GDT, stack and IDT lie in memory keyhole will reuse, so
 * the stack and GDT are replaced first; the IDT goes in hv_main(), and no
 * exception is expected before it.
 */
#include "boot/boot_gdt.h"
#include <x86/cr.h>
#include <x86/msr.h>

	.text
	.globl efi_handoff_entry
efi_handoff_entry:
	cli
	mov %rdi, %r8
	rdtsc			/* the start of boot_to_guest, as in mb2_entry */
	mov %eax, boot_tsc(%rip)
	mov %edx, boot_tsc+4(%rip)
	mov %r8, %rdi
	lea boot_stack_top(%rip), %rsp
	xor %ebp, %ebp		/* the end of every frame-pointer backtrace */
	lgdt boot_gdt_ptr64(%rip)
	/* A far return is the 64-bit way to reload CS. */
	pushq $GDT_SEL_CODE64
	lea 1f(%rip), %rax
	pushq %rax
	lretq
1:	load_boot_data_segments

	/* keyhole's own page tables mark data no-execute; firmware may have left NXE off. */
	mov $MSR_IA32_EFER, %ecx
	rdmsr
	or $EFER_NXE, %eax
	wrmsr
	/*
	 * Supervisor writes honour read-only pages, and the caches are on, as
	 * on the multiboot2 path (boot/mb2_entry.S says why: VM entry leaves
	 * CR0.CD and CR0.NW as keyhole has them, SDM Vol. 3C, 27.3.2.1).  Both
	 * bits clear in one write (CD = 0, NW = 1 would #GP, SDM Vol. 3A,
	 * Table 11-5), then WBINVD (SDM Vol. 3A, 11.5.3).
	 */
	mov %cr0, %rax
	and $~(X86_CR0_CD | X86_CR0_NW), %rax
	or $X86_CR0_WP, %rax
	mov %rax, %cr0
	wbinvd

	/* RDI, the boot_info pointer, is untouched since entry. */
	call efi_start
2:	cli
	hlt
	jmp 2b

	.section .note.GNU-stack, "", @progbits
