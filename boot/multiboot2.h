/*
 * The Multiboot2 protocol (Multiboot Specification version 2.0), as far as
 * keyhole uses it: the header an image carries for the loader, and the boot
 * information the loader hands back, a list of tags.
 *
 * The header and its tags are assembled in boot/mb2_header.S, so the
 * constants are visible to assembly; the information structures are C only.
 */
#ifndef KEYHOLE_BOOT_MULTIBOOT2_H
#define KEYHOLE_BOOT_MULTIBOOT2_H

/* The image's header: 8-byte aligned, wholly within the image's first 32 KiB. */
#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_HEADER_ARCH_I386 0 /* 32-bit protected mode entry */
#define MB2_HEADER_SEARCH_LIMIT 32768
#define MB2_TAG_ALIGN 8

/* Header tag types. */
#define MB2_HTAG_END 0
#define MB2_HTAG_INFO_REQUEST 1
#define MB2_HTAG_MODULE_ALIGN 6

/* Header tag flags. */
#define MB2_HTAG_REQUIRED 0
#define MB2_HTAG_OPTIONAL 1

/* EAX at entry when a Multiboot2 loader started us. */
#define MB2_BOOTLOADER_MAGIC 0x36d76289

/* Boot information tag types. */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14 /* a copy of the ACPI 1.0 RSDP */
#define MB2_TAG_ACPI_NEW 15 /* a copy of the ACPI 2.0+ RSDP (XSDT address) */

/* Memory map entry types. */
#define MB2_MEM_AVAILABLE 1
#define MB2_MEM_ACPI_RECLAIMABLE 3
#define MB2_MEM_NVS 4
#define MB2_MEM_BADRAM 5

#ifndef __ASSEMBLER__

#include <keyhole/types.h>

/* The information block starts with this; tags follow, each 8-byte aligned. */
struct mb2_info {
	u32 total_size; /* bytes, this header included */
	u32 reserved;
};

struct mb2_tag {
	u32 type;
	u32 size; /* bytes, this header included, padding to 8 excluded */
};

struct mb2_tag_string { /* MB2_TAG_CMDLINE, MB2_TAG_LOADER_NAME */
	struct mb2_tag tag;
	char string[];
};

struct mb2_tag_module {
	struct mb2_tag tag;
	u32 mod_start; /* physical, [mod_start, mod_end) */
	u32 mod_end;
	char cmdline[];
};

struct mb2_mmap_entry {
	u64 base_addr;
	u64 length;
	u32 type;
	u32 reserved;
};

struct mb2_tag_mmap {
	struct mb2_tag tag;
	u32 entry_size; /* stride: a later version may grow the entry */
	u32 entry_version;
	/* entries follow, entry_size bytes apart */
};

struct mb2_tag_rsdp { /* MB2_TAG_ACPI_OLD, MB2_TAG_ACPI_NEW */
	struct mb2_tag tag;
	u8 rsdp[];
};

STATIC_ASSERT(sizeof(struct mb2_tag_mmap) == 16, "multiboot2 mmap tag header");
STATIC_ASSERT(sizeof(struct mb2_mmap_entry) == 24, "multiboot2 mmap entry");
STATIC_ASSERT(sizeof(struct mb2_tag_module) == 16, "multiboot2 module tag");

#endif /* !__ASSEMBLER__ */

#endif
