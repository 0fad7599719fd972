/*
 * The boot globals, in one place: what both ways in (boot/mb2*.S and .c,
 * boot/efi_entry.S and efi_start.c) write before hv_main() runs.  Nothing
 * outside boot/ reads them except through struct boot_info and
 * image_va_to_pa().
 */
#include <keyhole/boot_info.h>
#include <keyhole/layout.h>

/* The one struct boot_info of this boot, whichever path filled it. */
struct boot_info boot_info;

/* Where the image lies (include/keyhole/layout.h): GRUB's place until efi_start() says otherwise. */
u64 image_phys_base = HV_LOAD_PA;

/*
 * The TSC at keyhole's first instructions, stored by either entry before any
 * C runs (and before the image's own page tables), copied into
 * boot_info.entry_tsc.  In .data: written through its physical address by
 * the multiboot2 entry, it must be part of the loaded file.
 */
u64 boot_tsc __attribute__((section(".data")));
