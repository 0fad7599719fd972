/*
 * The boot GDT that both ways in load before they call into C
 * (boot/mb2_entry.S defines it; boot/efi_entry.S reuses it): a 64-bit code
 * segment and a flat data segment.  hv/desc.c replaces it with keyhole's
 * own GDT (which adds the TSS) early in hv_main().
 *
 * Descriptors: P=1, DPL=0, S=1, accessed; code: execute/read, L=1;
 * data: read/write, 4 GiB.  The accessed bit is preset so loading a
 * segment never writes to the GDT (it sits in .rodata).
 */
#ifndef KEYHOLE_BOOT_GDT_H
#define KEYHOLE_BOOT_GDT_H

#define GDT_CODE64_DESC 0x00af9b000000ffff
#define GDT_DATA_DESC 0x00cf93000000ffff
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
