/*
 * UEFI memory descriptors as keyhole's memory types (boot/efi/memclass.h).
 *
 * Free RAM for keyhole is what the firmware is done with: conventional
 * memory, boot-services code and data, and the loader's own (keyhole
 * reserves its image and modules by their ranges).  Two attributes take
 * even those away:
 *
 *   EFI_MEMORY_SP  specific-purpose memory (UEFI 2.8 and later, 7.2.3): the
 *                  firmware sets it aside for a particular use (high-
 *                  bandwidth memory, say); the OS must not allocate it as
 *                  general RAM
 *   no EFI_MEMORY_WB  memory that cannot be cached write-back: keyhole maps
 *                  all its RAM WB (and gives it to guests WB through EPT),
 *                  so such memory would be used with a type it does not
 *                  support
 */
#include "boot/efi/memclass.h"

enum mem_type efi_mem_classify(u32 type, u64 attribute)
{
	switch (type) {
	case EFI_MT_CONVENTIONAL:
	case EFI_MT_BOOT_SERVICES_CODE:
	case EFI_MT_BOOT_SERVICES_DATA:
	case EFI_MT_LOADER_CODE:
	case EFI_MT_LOADER_DATA:
		if ((attribute & EFI_ATTR_SP) || !(attribute & EFI_ATTR_WB))
			return MEM_RESERVED;
		return MEM_USABLE;
	case EFI_MT_ACPI_RECLAIM:
		return MEM_ACPI_RECLAIMABLE;
	case EFI_MT_ACPI_NVS:
		return MEM_ACPI_NVS;
	case EFI_MT_UNUSABLE:
		return MEM_BAD;
	case EFI_MT_PERSISTENT:
	default:
		return MEM_RESERVED;
	}
}
