/*
 * keyhole's Multiboot2 header: what a Multiboot2 loader (GRUB) looks for in
 * the image's first 32 KiB, and what it asks that loader for.  linker.ld puts
 * this section first in the image.
 *
 * Loading is by the ELF program headers (no address tag): the loader places
 * each segment at its physical address and enters at the ELF entry point,
 * which it translates to physical itself.
 */
#include "boot/multiboot2.h"

#define HEADER_LEN (mb2_header_end - mb2_header)

	.section .multiboot2, "a"
	.balign MB2_TAG_ALIGN
	.globl mb2_header
mb2_header:
	.long MB2_HEADER_MAGIC
	.long MB2_HEADER_ARCH_I386
	.long HEADER_LEN
	/* magic + arch + length + checksum == 0 (mod 2^32) */
	.long 0x100000000 - (MB2_HEADER_MAGIC + MB2_HEADER_ARCH_I386 + HEADER_LEN)

	/* Without a memory map keyhole cannot run: a loader that cannot give one must refuse us. */
	.balign MB2_TAG_ALIGN
1:	.short MB2_HTAG_INFO_REQUEST, MB2_HTAG_REQUIRED
	.long 2f - 1b
	.long MB2_TAG_MMAP
2:
	/* Useful but not vital. */
	.balign MB2_TAG_ALIGN
1:	.short MB2_HTAG_INFO_REQUEST, MB2_HTAG_OPTIONAL
	.long 2f - 1b
	.long MB2_TAG_CMDLINE, MB2_TAG_LOADER_NAME, MB2_TAG_ACPI_OLD, MB2_TAG_ACPI_NEW
2:
	/* Page-aligned modules: a guest image can then be mapped where it lies. */
	.balign MB2_TAG_ALIGN
	.short MB2_HTAG_MODULE_ALIGN, MB2_HTAG_REQUIRED
	.long 8

	.balign MB2_TAG_ALIGN
	.short MB2_HTAG_END, 0
	.long 8
	.globl mb2_header_end
mb2_header_end:

	.section .note.GNU-stack, "", @progbits
