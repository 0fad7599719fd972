/*
 * What one UEFI memory descriptor is to keyhole: a pure function of the
 * descriptor's type and attributes, kept free of GNU-EFI's headers so the
 * host unit tests can check it (tests/unit/test_efi_memclass.c).
 *
 * The numbers are the UEFI specification's (2.10, 7.2, "EFI_MEMORY_TYPE"
 * and the Memory Attribute Definitions of GetMemoryMap()); memmap.c checks
 * them against GNU-EFI's enum.
 */
#ifndef KEYHOLE_BOOT_EFI_MEMCLASS_H
#define KEYHOLE_BOOT_EFI_MEMCLASS_H

#include <keyhole/boot_info.h>
#include <keyhole/types.h>

#define EFI_MT_RESERVED 0
#define EFI_MT_LOADER_CODE 1
#define EFI_MT_LOADER_DATA 2
#define EFI_MT_BOOT_SERVICES_CODE 3
#define EFI_MT_BOOT_SERVICES_DATA 4
#define EFI_MT_RUNTIME_SERVICES_CODE 5
#define EFI_MT_RUNTIME_SERVICES_DATA 6
#define EFI_MT_CONVENTIONAL 7
#define EFI_MT_UNUSABLE 8
#define EFI_MT_ACPI_RECLAIM 9
#define EFI_MT_ACPI_NVS 10
#define EFI_MT_MMIO 11
#define EFI_MT_MMIO_PORT_SPACE 12
#define EFI_MT_PAL_CODE 13
#define EFI_MT_PERSISTENT 14 /* UEFI 2.5; newer than GNU-EFI's enum */

/* Attribute bits (UEFI 2.10, 7.2.3 GetMemoryMap(), "Memory Attribute Definitions"). */
#define EFI_ATTR_WB 0x0000000000000008ULL /* the range supports write-back caching */
#define EFI_ATTR_SP 0x0000000000040000ULL /* specific-purpose memory (UEFI 2.8): reserved for a particular use */

enum mem_type efi_mem_classify(u32 type, u64 attribute);

#endif
