/*
 * The Multiboot2 way in, assembly half.  The loader enters mb2_entry in
 * 32-bit protected mode with paging off, flat segments, interrupts off,
 * EAX = MB2_BOOTLOADER_MAGIC and EBX = the physical address of its boot
 * information.  This file gets to 64-bit mode on the boot page tables below,
 * moves to the upper half and calls
 *
 *	mb2_start(u32 magic, u32 info_pa)	(boot/mb2.c, never returns)
 *
 * on the boot stack.  Until paging is on, code runs at its physical address,
 * so every symbol reference there goes through PA().
 *
 * The boot page tables are static data: no code builds them, and they live
 * in the image (.data), page aligned, until the memory core switches CR3 to
 * its own tables.  2 MiB leaves throughout, all writable and executable:
 *
 *	boot_pml4[0]   -> boot_pdpt_low	  identity map of [0, 4 GiB), needed only for
 *	                                  the instructions right after paging goes on
 *	boot_pml4[273] -> boot_pdpt_low	  the same [0, 4 GiB) at DMAP_BASE
 *	boot_pml4[511] -> boot_pdpt_image [510..511] -> boot_pd[0..1]: [0, 2 GiB)
 *	                                  at HV_IMAGE_BASE, where the image runs
 *	boot_pdpt_low[0..3] -> boot_pd[0..3], 4 x 512 leaves over [0, 4 GiB)
 *
 * The GDT (boot/boot_gdt.h) has a 64-bit code and a flat data segment.
 * After the jump to the upper half GDTR is reloaded with the GDT's
 * upper-half address (boot_gdt_ptr64, which the UEFI entry loads too), so
 * dropping the identity map breaks nothing.
 */
#include <keyhole/layout.h>
#include "boot/boot_gdt.h"
#include "boot/multiboot2.h"
#include <x86/cr.h>
#include <x86/msr.h>

#define PA(sym) ((sym) - HV_IMAGE_BASE)


#define PD_ENTRIES 512
#define BOOT_MAP_GIB 4 /* how much of physical memory the boot tables map */

/* Page-table entry bits (SDM Vol. 3A, 4.5); mm/pte.h has the C spelling. */
#define BOOT_PT_TABLE (0x1 | 0x2)        /* present, writable */
#define BOOT_PT_LEAF (0x1 | 0x2 | 0x80)  /* present, writable, 2 MiB page */
#define BOOT_LEAF_SHIFT 21

#define BOOT_STACK_SIZE (16 * 1024)

	.text
	.code32
	.globl mb2_entry
mb2_entry:
	/* Where the SysV call to mb2_start() wants its two arguments. */
	mov %eax, %edi
	mov %ebx, %esi
	/* The start of boot_to_guest (make bench): the TSC at keyhole's first instructions. */
	rdtsc
	mov %eax, PA(boot_tsc)
	mov %edx, PA(boot_tsc) + 4

	lgdt PA(boot_gdt_ptr32)
	mov $PA(boot_pml4), %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $X86_CR4_PAE, %eax
	mov %eax, %cr4
	mov $MSR_IA32_EFER, %ecx
	rdmsr
	or $(EFER_LME | EFER_NXE), %eax
	wrmsr
	/*
	 * Caches on: firmware may leave CR0.CD and CR0.NW set (Bochs's BIOS
	 * does), and VM entry never changes them (SDM Vol. 3C, 27.3.2.1), so
	 * keyhole and every guest would run uncached.  Both bits clear in the
	 * same write that turns paging on: CD = 0 with NW = 1 would #GP (SDM
	 * Vol. 3A, Table 11-5).  With CD = NW = 1 memory coherency was not
	 * maintained, so the caches are written back and invalidated before
	 * they are used normally (SDM Vol. 3A, 11.5.3).
	 */
	mov %cr0, %eax
	and $~(X86_CR0_CD | X86_CR0_NW), %eax
	or $(X86_CR0_PG | X86_CR0_WP), %eax
	mov %eax, %cr0
	wbinvd
	ljmp $GDT_SEL_CODE64, $PA(1f)

	.code64
1:	movabs $2f, %rax
	jmp *%rax
2:	lgdt boot_gdt_ptr64(%rip)
	load_boot_data_segments
	lea boot_stack_top(%rip), %rsp
	xor %ebp, %ebp		/* the end of every frame-pointer backtrace */
	/* Upper halves are undefined after the mode switch; 32-bit moves zero them. */
	mov %edi, %edi
	mov %esi, %esi
	call mb2_start
3:	cli
	hlt
	jmp 3b

	.section .rodata
	.balign 8
boot_gdt:
	.quad 0
	.quad GDT_CODE64_DESC
	.quad GDT_DATA_DESC
boot_gdt_end:
boot_gdt_ptr32:
	.short boot_gdt_end - boot_gdt - 1
	.long PA(boot_gdt)
	.balign 8
	.globl boot_gdt_ptr64
boot_gdt_ptr64:
	.short boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.data
	.balign LAYOUT_PAGE_SIZE
	.globl boot_pml4, boot_pdpt_low, boot_pdpt_image, boot_pd
boot_pml4:
	.quad PA(boot_pdpt_low) + BOOT_PT_TABLE
	.fill DMAP_PML4_SLOT - 1, 8, 0
	.quad PA(boot_pdpt_low) + BOOT_PT_TABLE
	.fill IMAGE_PML4_SLOT - DMAP_PML4_SLOT - 1, 8, 0
	.quad PA(boot_pdpt_image) + BOOT_PT_TABLE

boot_pdpt_low:
	.set gib, 0
	.rept BOOT_MAP_GIB
	.quad PA(boot_pd) + gib * LAYOUT_PAGE_SIZE + BOOT_PT_TABLE
	.set gib, gib + 1
	.endr
	.fill PD_ENTRIES - BOOT_MAP_GIB, 8, 0

boot_pdpt_image:
	.fill PDPT_SLOT(HV_IMAGE_BASE), 8, 0
	.quad PA(boot_pd) + BOOT_PT_TABLE
	.quad PA(boot_pd) + LAYOUT_PAGE_SIZE + BOOT_PT_TABLE

boot_pd:
	.set leaf, 0
	.rept BOOT_MAP_GIB * PD_ENTRIES
	.quad (leaf << BOOT_LEAF_SHIFT) + BOOT_PT_LEAF
	.set leaf, leaf + 1
	.endr

	/* The boot CPU's stack; hv_main() runs on it for good. */
	.section .bss.boot_stack, "aw", @nobits
	.balign LAYOUT_PAGE_SIZE
	.globl boot_stack, boot_stack_top
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
