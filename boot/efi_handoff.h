/*
 * The contract between BOOTX64.EFI (boot/efi/) and keyhole's image: how the
 * loader finds the image's 64-bit entry, and the state it enters it in.
 *
 * BOOTX64.EFI carries the very keyhole.elf that GRUB boots.  That image's
 * ELF entry is the multiboot2 one (32-bit, paging off), so the UEFI path
 * needs a second entry, named by this header.  linker.ld places the header
 * right after the multiboot2 header; the loader looks for EFI_HANDOFF_MAGIC
 * at EFI_HANDOFF_ALIGN steps in the image's first EFI_HANDOFF_SCAN_LIMIT
 * bytes, the way a multiboot loader finds its header.
 *
 * The loader jumps to `entry` after ExitBootServices with:
 *   - 64-bit mode, interrupts off, CR4.PGE off;
 *   - CR3 on early page tables that map, with writable executable 2 MiB
 *     leaves, [0, N) identically and at DMAP_BASE (N covers all RAM and at
 *     least 4 GiB, as on the multiboot2 path), and the image at HV_IMAGE_VA;
 *     these tables lie in memory the boot_info map calls reserved;
 *   - RDI = the direct-map address of a struct boot_info whose loader field
 *     is NULL (the image names the path: a string must outlive the loader);
 *   - the firmware's GDT, IDT and stack still loaded.
 * The image copies boot_info before it touches any memory it could reuse,
 * so the block may lie in memory the map calls usable.
 *
 * boot_info_size guards against a loader and an image built from different
 * versions of include/keyhole/boot_info.h.
 */
#ifndef KEYHOLE_BOOT_EFI_HANDOFF_H
#define KEYHOLE_BOOT_EFI_HANDOFF_H

#include <keyhole/types.h>

#define EFI_HANDOFF_MAGIC 0x46464f444e41484bULL /* "KHANDOFF" read as a little-endian u64 */
#define EFI_HANDOFF_VERSION 1
#define EFI_HANDOFF_ALIGN 16
#define EFI_HANDOFF_SCAN_LIMIT 32768

struct efi_handoff_header {
	u64 magic;
	u32 version;
	u32 boot_info_size; /* sizeof(struct boot_info) as the image was built */
	u64 entry;          /* virtual address of the 64-bit entry */
	u64 reserved;
};

STATIC_ASSERT(sizeof(struct efi_handoff_header) % EFI_HANDOFF_ALIGN == 0, "the header keeps its alignment");

#endif
