/* UEFI memory descriptors as keyhole's types (boot/efi/memclass.c): specific-purpose and non-WB memory is not RAM. */
#include "test.h"
#include "boot/efi/memclass.h"

#define WB EFI_ATTR_WB
#define UC_ONLY 0x1ULL /* EFI_MEMORY_UC alone */

TEST(efi_memclass_free_ram_is_usable_when_wb)
{
	EXPECT(efi_mem_classify(EFI_MT_CONVENTIONAL, WB) == MEM_USABLE);
	EXPECT(efi_mem_classify(EFI_MT_BOOT_SERVICES_CODE, WB | UC_ONLY) == MEM_USABLE);
	EXPECT(efi_mem_classify(EFI_MT_BOOT_SERVICES_DATA, WB) == MEM_USABLE);
	EXPECT(efi_mem_classify(EFI_MT_LOADER_CODE, WB) == MEM_USABLE);
	EXPECT(efi_mem_classify(EFI_MT_LOADER_DATA, WB) == MEM_USABLE);
}

TEST(efi_memclass_specific_purpose_is_reserved)
{
	EXPECT(efi_mem_classify(EFI_MT_CONVENTIONAL, WB | EFI_ATTR_SP) == MEM_RESERVED);
	EXPECT(efi_mem_classify(EFI_MT_BOOT_SERVICES_DATA, WB | EFI_ATTR_SP) == MEM_RESERVED);
	EXPECT(efi_mem_classify(EFI_MT_LOADER_DATA, EFI_ATTR_SP) == MEM_RESERVED);
}

TEST(efi_memclass_without_wb_is_reserved)
{
	EXPECT(efi_mem_classify(EFI_MT_CONVENTIONAL, 0) == MEM_RESERVED);
	EXPECT(efi_mem_classify(EFI_MT_CONVENTIONAL, UC_ONLY) == MEM_RESERVED);
	EXPECT(efi_mem_classify(EFI_MT_LOADER_CODE, UC_ONLY) == MEM_RESERVED);
}

TEST(efi_memclass_other_types_keep_their_meaning)
{
	EXPECT(efi_mem_classify(EFI_MT_ACPI_RECLAIM, WB) == MEM_ACPI_RECLAIMABLE);
	EXPECT(efi_mem_classify(EFI_MT_ACPI_NVS, WB) == MEM_ACPI_NVS);
	EXPECT(efi_mem_classify(EFI_MT_UNUSABLE, WB) == MEM_BAD);
	EXPECT(efi_mem_classify(EFI_MT_RUNTIME_SERVICES_DATA, WB) == MEM_RESERVED);
	EXPECT(efi_mem_classify(EFI_MT_MMIO, UC_ONLY) == MEM_RESERVED);
	EXPECT(efi_mem_classify(EFI_MT_PERSISTENT, WB) == MEM_RESERVED);
	EXPECT(efi_mem_classify(EFI_MT_RESERVED, WB) == MEM_RESERVED);
}
