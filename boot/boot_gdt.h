/*
 * The boot GDT that both ways in load before they call into C
 * (boot/mb2_entry.S defines it; boot/efi_entry.S reuses it): a 64-bit code
 * segment and a flat data segment (x86/segment.h's descriptors, whose
 * accessed bit is preset so loading a segment never writes to the GDT: it
 * sits in .rodata).  hv/cpu/desc.c replaces it with keyhole's own GDT, which
 * adds the TSS and keeps these two selectors, early in hv_main().
 */
#ifndef KEYHOLE_BOOT_GDT_H
#define KEYHOLE_BOOT_GDT_H

#include <x86/segment.h>

#define GDT_CODE64_DESC SEG_DESC_CODE64
#define GDT_DATA_DESC SEG_DESC_DATA
#define GDT_SEL_CODE64 0x08
#define GDT_SEL_DATA 0x10

#ifdef __ASSEMBLER__
/* Both entries, once in 64-bit mode on the boot GDT: flat data segments, FS and GS null. */
.macro load_boot_data_segments
	mov $GDT_SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
.endm
#endif

#endif
