/*
 * An application processor's way from the SIPI to keyhole's C code (the
 * layout, the params and the SDM sections it follows: ap_boot.h).  This is
 * copied to a page below 1 MiB and runs there at whatever address that page
 * has: in real mode CS is the page's segment, and EBX keeps the page's
 * physical address for the protected and 64-bit stages, which find their
 * params at AP_BOOT_PARAMS(%ebx) / (%rbx).
 */
#include <generated/asm-offsets.h>
#include "hv/cpu/ap_boot.h"
#include <x86/msr.h>

#define P(field) (AP_BOOT_PARAMS + (field))

	.section .rodata, "a"
	.balign 16
	.globl ap_boot_start, ap_boot_end, ap_boot_gdt, ap_boot_code32, ap_boot_code64

	.code16
ap_boot_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	movzwl %ax, %ebx
	shl $4, %ebx			/* the page's physical address */
	lgdtl P(APB_GDT_LIMIT)
	mov %cr0, %eax
	/* PE only: CD and NW (set at INIT) stay until the boot CPU's CR0 below */
	or $1, %eax
	mov %eax, %cr0
	ljmpl *P(APB_FAR32_OFF)

	.code32
ap_boot_code32:
	mov $AP_SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $((1 << 5) | (1 << 7)), %eax	/* CR4.PAE, CR4.PGE; the C entry sets the boot CPU's CR4 */
	mov %eax, %cr4
	mov P(APB_CR3)(%ebx), %eax
	mov %eax, %cr3
	mov $MSR_IA32_EFER, %ecx
	mov P(APB_EFER)(%ebx), %eax
	xor %edx, %edx
	wrmsr
	mov P(APB_CR0)(%ebx), %eax		/* PG: IA-32e mode, compatibility mode until the jump */
	mov %eax, %cr0
	ljmpl *P(APB_FAR64_OFF)(%ebx)

	.code64
ap_boot_code64:
	mov %ebx, %ebx			/* the upper halves are undefined after the mode switch (SDM 10.8.5) */
	mov $AP_SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov P(APB_STACK)(%rbx), %rsp
	mov P(APB_CPU)(%rbx), %rdi
	mov P(APB_ENTRY)(%rbx), %rax
	xor %ebp, %ebp
	call *%rax			/* never returns */
1:	hlt
	jmp 1b

	.balign 8
ap_boot_gdt:
	.quad 0
	.quad 0x00cf9b000000ffff	/* AP_SEL_CODE32: 32-bit code, flat, accessed */
	.quad 0x00cf93000000ffff	/* AP_SEL_DATA: flat data, accessed */
	.quad 0x00af9b000000ffff	/* AP_SEL_CODE64: 64-bit code */
ap_boot_end:

	.section .note.GNU-stack, "", @progbits
