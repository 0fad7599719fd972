/*
 * The UEFI way in, C half, inside keyhole's image: the hand-off header that
 * lets BOOTX64.EFI find this path's entry (boot/efi_handoff.h), and
 * efi_start(), which takes over the loader's struct boot_info and calls
 * hv_main().
 *
 * The loader has done the UEFI work (options, guest file, memory map, ACPI,
 * ExitBootServices) and placed the image wherever the firmware had 2 MiB-
 * aligned room.  What is left here: record that place for image_va_to_pa()
 * before anything needs it, and copy the block into the image, like the
 * multiboot2 path does, because the loader's memory is free RAM now.
 */
#include <keyhole/boot_info.h>
#include <keyhole/layout.h>
#include <keyhole/log.h>

#include "boot/efi_handoff.h"
#include "hv/runtime/console.h"
#include <x86/cpu.h>
#include "lib/string.h"

/* boot/efi_entry.S */
extern char efi_handoff_entry[];

/* Called only from boot/efi_entry.S. */
void efi_start(const struct boot_info *from_loader) __attribute__((noreturn));

/*
 * linker.ld keeps it right after the multiboot2 header, where the loader
 * looks, and checks that its 32 bytes end within the scan limit.
 */
STATIC_ASSERT(sizeof(struct efi_handoff_header) == 32, "linker.ld's check assumes 32 bytes");
__attribute__((section(".efi_handoff"), used, aligned(EFI_HANDOFF_ALIGN)))
const struct efi_handoff_header efi_handoff_header = {
	.magic = EFI_HANDOFF_MAGIC,
	.version = EFI_HANDOFF_VERSION,
	.boot_info_size = sizeof(struct boot_info),
	.entry = (u64)efi_handoff_entry,
};

void efi_start(const struct boot_info *from_loader)
{
	u64 image_len = (u64)(__image_end - __image_start);

	image_phys_base = from_loader->image_start_pa;
	memcpy(&boot_info, from_loader, sizeof(boot_info));
	boot_info.loader = "uefi";
	boot_info.entry_tsc = boot_tsc;

	console_init();
	if (boot_info.image_end_pa - boot_info.image_start_pa != image_len ||
	    !ALIGNED(boot_info.image_start_pa, SZ_2M)) {
		/* A loader from another build: nothing it says can be trusted. */
		log_err("uefi: the loader placed a %lu-byte image at %#lx; this image is %lu bytes and needs "
			"a 2 MiB boundary; halting", boot_info.image_end_pa - boot_info.image_start_pa,
			boot_info.image_start_pa, image_len);
		cpu_halt_forever();
	}
	hv_main(&boot_info);
}
