/*
 * The Linux/x86 boot protocol, as far as a 64-bit loader needs it: the setup
 * header at the front of a bzImage and the zero page (struct boot_params) a
 * loader hands the kernel.  Names follow the kernel's documentation
 * (Documentation/arch/x86/boot.rst and zero-page.rst); every offset below is
 * an ABI offset from there, checked by the static assertions at the end.
 *
 * The setup header sits at the same offset (0x1f1) in the bzImage file and in
 * the zero page: a loader copies it from one to the other, then fills in the
 * fields that are "write" for the boot loader.
 */
#ifndef KEYHOLE_FMT_LINUX_BOOT_H
#define KEYHOLE_FMT_LINUX_BOOT_H

#include <keyhole/types.h>

#define LINUX_SETUP_HEADER_OFFSET 0x1f1
#define LINUX_BOOT_FLAG 0xaa55         /* boot_flag: the old boot sector signature */
#define LINUX_HEADER_MAGIC 0x53726448  /* header: "HdrS" */
/* The setup header ends at 0x202 + the byte at 0x201 (the jump's offset). */
#define LINUX_SETUP_HEADER_END_BASE 0x202
#define LINUX_SETUP_JUMP_OFFSET_BYTE 0x201
#define LINUX_SECTOR_SIZE 512
#define LINUX_SETUP_SECTS_DEFAULT 4    /* setup_sects == 0 means 4 */
#define LINUX_SYSSIZE_UNIT 16          /* syssize counts 16-byte paragraphs */

/*
 * 2.12 added xloadflags, which is how a kernel says it has a 64-bit entry
 * point (XLF_KERNEL_64); a loader cannot know that of an older kernel.
 */
#define LINUX_PROTOCOL_MIN 0x020c
#define LINUX_ENTRY64_OFFSET 0x200     /* startup_64 from the protected-mode kernel's start */

/* loadflags */
#define LINUX_LOADED_HIGH BIT(0)       /* a bzImage: the kernel runs at 1 MiB or above */
/* xloadflags */
#define LINUX_XLF_KERNEL_64 BIT(0)

#define LINUX_LOADER_TYPE_UNDEFINED 0xff /* type_of_loader: a loader without an assigned id */
#define LINUX_VID_MODE_NORMAL 0xffff

#define LINUX_E820_MAX 128
#define LINUX_E820_RAM 1
#define LINUX_E820_RESERVED 2

/* Offsets 0x1f1.. of both the bzImage and the zero page. */
struct linux_setup_header {
	u8 setup_sects;
	u16 root_flags;
	u32 syssize;
	u16 ram_size;
	u16 vid_mode;
	u16 root_dev;
	u16 boot_flag;
	u16 jump;
	u32 header;
	u16 version;
	u32 realmode_swtch;
	u16 start_sys_seg;
	u16 kernel_version;
	u8 type_of_loader;
	u8 loadflags;
	u16 setup_move_size;
	u32 code32_start;
	u32 ramdisk_image;
	u32 ramdisk_size;
	u32 bootsect_kludge;
	u16 heap_end_ptr;
	u8 ext_loader_ver;
	u8 ext_loader_type;
	u32 cmd_line_ptr;
	u32 initrd_addr_max;
	u32 kernel_alignment;
	u8 relocatable_kernel;
	u8 min_alignment;
	u16 xloadflags;
	u32 cmdline_size;
	u32 hardware_subarch;
	u64 hardware_subarch_data;
	u32 payload_offset;
	u32 payload_length;
	u64 setup_data;
	u64 pref_address;
	u32 init_size;
	u32 handover_offset;
	u32 kernel_info_offset;
} __attribute__((packed));

struct linux_e820_entry {
	u64 addr;
	u64 size;
	u32 type;
} __attribute__((packed));

/* The zero page: only the fields keyhole writes are named; the rest stays zero. */
struct linux_boot_params {
	u8 screen_info[0x40];           /* 0x000: all zero: no video console */
	u8 pad_040[0x70 - 0x40];
	u64 acpi_rsdp_addr;             /* 0x070 */
	u8 pad_078[0xc0 - 0x78];
	u32 ext_ramdisk_image;          /* 0x0c0: bits 32..63 of the header's fields */
	u32 ext_ramdisk_size;           /* 0x0c4 */
	u32 ext_cmd_line_ptr;           /* 0x0c8 */
	u8 pad_0cc[0x1e8 - 0xcc];
	u8 e820_entries;                /* 0x1e8 */
	u8 pad_1e9[0x1ef - 0x1e9];
	u8 sentinel;                    /* 0x1ef: must stay 0 (see boot.rst) */
	u8 pad_1f0;
	struct linux_setup_header hdr;  /* 0x1f1 */
	u8 pad_hdr[0x2d0 - 0x1f1 - sizeof(struct linux_setup_header)];
	struct linux_e820_entry e820_table[LINUX_E820_MAX]; /* 0x2d0 */
	u8 pad_cd0[0x1000 - 0xcd0];
} __attribute__((packed));

STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, syssize) == 0x1f4 - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, boot_flag) == 0x1fe - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, version) == 0x206 - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, type_of_loader) == 0x210 - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, ramdisk_image) == 0x218 - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, cmd_line_ptr) == 0x228 - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, xloadflags) == 0x236 - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, payload_offset) == 0x248 - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, payload_length) == 0x24c - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, init_size) == 0x260 - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_setup_header, pref_address) == 0x258 - LINUX_SETUP_HEADER_OFFSET,
	      "setup header layout");
STATIC_ASSERT(sizeof(struct linux_setup_header) == 0x26c - LINUX_SETUP_HEADER_OFFSET, "setup header layout");
STATIC_ASSERT(sizeof(struct linux_e820_entry) == 20, "e820 entry layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_boot_params, ext_ramdisk_image) == 0xc0, "zero page layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_boot_params, e820_entries) == 0x1e8, "zero page layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_boot_params, hdr) == LINUX_SETUP_HEADER_OFFSET, "zero page layout");
STATIC_ASSERT(__builtin_offsetof(struct linux_boot_params, e820_table) == 0x2d0, "zero page layout");
STATIC_ASSERT(sizeof(struct linux_boot_params) == 0x1000, "zero page layout");

#endif
