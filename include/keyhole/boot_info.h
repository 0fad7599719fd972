/*
 * struct boot_info: everything keyhole learns from whatever started it, in one
 * loader-neutral form.  Each boot path (boot/mb2.c for multiboot2, the
 * loader in boot/efi/ with boot/efi_start.c for UEFI) fills one and calls
 * hv_main(); nothing after that knows how we booted.
 *
 * The block is self-contained: strings and the memory map are copies, and no
 * field points into loader memory, because the frame allocator is free to
 * hand that memory out.  What must survive is named by physical range: the
 * image and the modules (the memory core reserves them), and the RSDP, which
 * rsdp_pa locates in memory that stays reserved (firmware's, or a copy inside
 * keyhole's image).
 */
#ifndef KEYHOLE_BOOT_INFO_H
#define KEYHOLE_BOOT_INFO_H

#include <keyhole/types.h>

#define BOOT_MEM_RANGES_MAX 256
#define BOOT_MODULES_MAX 32
/*
 * Command lines hold at most MAX - 1 bytes.  A longer one is refused, never
 * cut (a cut line silently changes what runs): the UEFI loader refuses its
 * options, and a multiboot2 boot records the length in *_overlong, which
 * hv_main() reports after its banner: keyhole's own line runs nothing, a
 * module's line keeps that module's guest from running.
 */
#define BOOT_CMDLINE_MAX 512
#define BOOT_MODULE_CMDLINE_MAX 512 /* a Linux kernel's command line rides on its module's */
#define BOOT_LOADER_DESC_MAX 64

enum mem_type {
	MEM_USABLE = 1,       /* free RAM */
	MEM_RESERVED,         /* anything keyhole must not touch, MMIO included */
	MEM_ACPI_RECLAIMABLE, /* ACPI tables: RAM once they are parsed */
	MEM_ACPI_NVS,         /* firmware's across sleep states: never RAM */
	MEM_BAD,              /* RAM the firmware found defective */
};

/* One range of the firmware's memory map, as given (unsorted; may overlap). */
struct mem_range {
	u64 base;
	u64 len;
	enum mem_type type;
};

/* A file the loader placed in memory next to keyhole (a guest image). */
struct boot_module {
	u64 pa;  /* physical start, page aligned */
	u64 len; /* bytes */
	char cmdline[BOOT_MODULE_CMDLINE_MAX];
	u32 cmdline_overlong; /* 0, or the line's length when it did not fit (cmdline holds its start) */
};

struct boot_info {
	const char *loader;                     /* "multiboot2" or "uefi" */
	char loader_desc[BOOT_LOADER_DESC_MAX]; /* what the loader calls itself, "" if unknown */
	char cmdline[BOOT_CMDLINE_MAX];         /* keyhole's command line, "" if none */
	u32 cmdline_overlong;                   /* 0, or its length when it did not fit */

	u32 nr_mem;
	bool mem_truncated; /* the firmware gave more than BOOT_MEM_RANGES_MAX ranges */
	struct mem_range mem[BOOT_MEM_RANGES_MAX];

	u32 nr_modules;
	struct boot_module modules[BOOT_MODULES_MAX];

	u64 image_start_pa; /* keyhole's image, bss included: [start, end) */
	u64 image_end_pa;

	u64 rsdp_pa; /* ACPI RSDP, 0 if the loader found none */

	u64 entry_tsc; /* the TSC at keyhole's first instruction (boot_to_guest in make bench), 0 if unknown */
};

static inline const char *mem_type_name(enum mem_type t)
{
	switch (t) {
	case MEM_USABLE:
		return "usable";
	case MEM_RESERVED:
		return "reserved";
	case MEM_ACPI_RECLAIMABLE:
		return "acpi-reclaimable";
	case MEM_ACPI_NVS:
		return "acpi-nvs";
	case MEM_BAD:
		return "bad";
	}
	return "unknown";
}

/* The boot globals (boot/boot.c): the copy the boot path fills, and the TSC its entry read. */
extern struct boot_info boot_info;
extern u64 boot_tsc;

/* The hypervisor proper.  The boot path calls it once, on the boot CPU. */
void hv_main(const struct boot_info *bi) __attribute__((noreturn));

#endif
