/*
 * The Linux bzImage loader (see linux_load.h for the layout it builds).
 *
 * A bzImage is the real-mode setup code (setup_sects + 1 sectors, the setup
 * header inside them) followed by the protected-mode kernel, which keyhole
 * copies to its load address and enters at startup_64 (load + 0x200).  The
 * setup code never runs: keyhole does its job, which is to describe the
 * machine in the zero page: the e820 map of guest memory, the command line
 * and where the initrd is.
 *
 * Like the ELF loader, this one checks everything before it writes anything,
 * and writes only through copy_to_guest(): it never holds a pointer into
 * guest memory, so it needs nothing from a protected guest's direct map.
 */
#include "mm/gmap.h"
#include <fmt/linux_boot.h>
#include "hv/loader/linux_load.h"
#include "lib/string.h"

/* 2 MiB is the least a guest may have (GUEST_MEM_MAX is the most). */
#define LINUX_MEM_MIN SZ_2M
/*
 * The setup header must reach at least to the last field keyhole reads
 * (init_size, protocol 2.10); a 2.12 header ends a little later, at 0x268.
 */
#define LINUX_SETUP_HEADER_MIN (__builtin_offsetof(struct linux_setup_header, init_size) + sizeof(u32))
/* What an initrd_addr_max of 0 means: the limit before protocol 2.03. */
#define LINUX_INITRD_ADDR_MAX_OLD 0x37ffffffULL

/* The zero page is built here, then copied into the guest in one piece. */
static struct linux_boot_params zero_page;

static bool is_power_of_two(u64 x)
{
	return x && !(x & (x - 1));
}

/* Reads the setup header; NULL, or why the file is not a bzImage keyhole can start. */
static const char *read_header(const u8 *kernel, u64 klen, struct linux_setup_header *h, u64 *hdr_end)
{
	u64 avail;

	if (klen < LINUX_SETUP_HEADER_END_BASE + 4)
		return "not a bzImage: too short to hold a setup header";
	avail = MIN(klen - LINUX_SETUP_HEADER_OFFSET, sizeof(*h));
	memset(h, 0, sizeof(*h));
	memcpy(h, kernel + LINUX_SETUP_HEADER_OFFSET, avail);
	if (h->boot_flag != LINUX_BOOT_FLAG || h->header != LINUX_HEADER_MAGIC)
		return "not a bzImage: no \"HdrS\" setup header (is it an ELF vmlinux or a compressed file?)";
	if (h->version < LINUX_PROTOCOL_MIN)
		return "boot protocol too old: keyhole needs 2.12 or later, whose xloadflags announce a 64-bit entry";
	*hdr_end = LINUX_SETUP_HEADER_END_BASE + kernel[LINUX_SETUP_JUMP_OFFSET_BYTE];
	if (*hdr_end > klen || *hdr_end < LINUX_SETUP_HEADER_OFFSET + LINUX_SETUP_HEADER_MIN ||
	    *hdr_end > __builtin_offsetof(struct linux_boot_params, e820_table))
		return "not a bzImage: the setup header's length is implausible";
	if (!(h->loadflags & LINUX_LOADED_HIGH))
		return "a zImage, not a bzImage (it wants to run below 1 MiB)";
	if (!(h->xloadflags & LINUX_XLF_KERNEL_64))
		return "the kernel has no 64-bit entry point (a 32-bit kernel?)";
	return NULL;
}

/*
 * Where the protected-mode kernel goes: its preferred address when it is
 * aligned (and, for a relocatable kernel, the next aligned address at or
 * above 1 MiB otherwise).  A kernel that is not relocatable runs only there.
 */
static const char *place_kernel(const struct linux_setup_header *h, u64 *load)
{
	u64 pref = h->pref_address;

	if (!h->relocatable_kernel) {
		if (pref < LINUX_LEGACY_HOLE_END)
			return "the kernel is not relocatable and wants to run below 1 MiB";
		*load = pref;
		return NULL;
	}
	if (!is_power_of_two(h->kernel_alignment))
		return "the kernel's alignment (kernel_alignment) is not a power of two";
	*load = ALIGN_UP(MAX(pref, LINUX_LEGACY_HOLE_END), h->kernel_alignment);
	return NULL;
}

/*
 * The lengths the setup header gives, against the file's (boot.rst, "Details
 * of Header Fields"; keyhole's 2.12 minimum means every one of them exists):
 *
 *   setup_sects      the real-mode setup code in 512-byte sectors after the
 *                    boot sector (0 means 4): the protected-mode kernel
 *                    starts (setup_sects + 1) * 512 bytes into the file
 *   syssize          "the size of the protected-mode code in units of
 *                    16-byte paragraphs" (32 bits wide since 2.04)
 *   payload_offset,  2.08+: where the compressed kernel lies, from the
 *   payload_length   protected-mode code's start (offset 0: not given)
 *   init_size        2.10+: the memory the kernel needs from its load address
 *                    before it reads its memory map, itself included
 *
 * A file shorter than setup_sects and syssize say has been cut (a failed
 * copy, a partial download) and would die at its first instructions.  A
 * longer one is fine: a signed kernel carries its signature after syssize.
 */
static const char *check_lengths(const struct linux_setup_header *h, u64 klen, u64 pm_offset)
{
	u64 pm_bytes = (u64)h->syssize * LINUX_SYSSIZE_UNIT;

	if (pm_offset >= klen)
		return "not a bzImage: no protected-mode kernel after the setup sectors (setup_sects)";
	if (pm_bytes == 0)
		return "the setup header's syssize is 0: it describes no protected-mode kernel";
	if (pm_bytes > klen - pm_offset)
		return "truncated: the file is shorter than its setup sectors and protected-mode kernel "
		       "(setup_sects, syssize) say; copy the whole bzImage again";
	if (h->payload_offset && (u64)h->payload_offset + h->payload_length > pm_bytes)
		return "the compressed payload (payload_offset, payload_length) reaches past the protected-mode "
		       "kernel (syssize)";
	if (h->init_size < pm_bytes)
		return "init_size is smaller than the protected-mode kernel (syssize) it must hold";
	return NULL;
}

static void build_zero_page(const u8 *kernel, u64 hdr_end, u64 mem_bytes, const struct linux_layout *l,
			    u64 cmdlen)
{
	struct linux_boot_params *bp = &zero_page;
	static const struct linux_e820_entry e820[] = {
		{ 0, LINUX_LEGACY_HOLE_START, LINUX_E820_RAM },
		{ LINUX_LEGACY_HOLE_START, LINUX_LEGACY_HOLE_END - LINUX_LEGACY_HOLE_START, LINUX_E820_RESERVED },
	};

	memset(bp, 0, sizeof(*bp));
	memcpy((u8 *)bp + LINUX_SETUP_HEADER_OFFSET, kernel + LINUX_SETUP_HEADER_OFFSET,
	       hdr_end - LINUX_SETUP_HEADER_OFFSET);
	bp->hdr.type_of_loader = LINUX_LOADER_TYPE_UNDEFINED;
	bp->hdr.vid_mode = LINUX_VID_MODE_NORMAL;
	bp->hdr.code32_start = (u32)l->kernel_gpa;
	bp->hdr.cmd_line_ptr = cmdlen ? (u32)LINUX_CMDLINE_GPA : 0;
	bp->hdr.ramdisk_image = (u32)l->initrd_gpa;
	bp->hdr.ramdisk_size = (u32)l->initrd_bytes;
	bp->ext_ramdisk_image = (u32)(l->initrd_gpa >> 32);
	bp->ext_ramdisk_size = (u32)(l->initrd_bytes >> 32);
	bp->hdr.setup_data = 0;
	bp->hdr.hardware_subarch = 0; /* a plain PC */

	memcpy(bp->e820_table, e820, sizeof(e820));
	bp->e820_table[ARRAY_SIZE(e820)] =
		(struct linux_e820_entry){ LINUX_LEGACY_HOLE_END, mem_bytes - LINUX_LEGACY_HOLE_END, LINUX_E820_RAM };
	bp->e820_entries = ARRAY_SIZE(e820) + 1;
}

int linux_load(struct guest_mem *mem, u64 mem_bytes, const void *kernel, u64 klen, const void *initrd, u64 ilen,
	       const char *cmdline, struct guest_entry *entry, struct linux_layout *layout, const char **why)
{
	const u8 *k = kernel;
	struct linux_setup_header h;
	struct linux_layout l = { 0 };
	u64 hdr_end, pm_offset, pm_len, load, cmdlen, cmdmax;
	int r;

	*why = NULL;
	if (mem_bytes > GUEST_MEM_MAX || mem_bytes < LINUX_MEM_MIN || !ALIGNED(mem_bytes, SZ_2M)) {
		*why = "guest memory must be a multiple of 2 MiB between 2 MiB and 4 GiB";
		return -EINVAL;
	}
	if ((*why = read_header(k, klen, &h, &hdr_end)))
		return -ENOEXEC;
	pm_offset = ((u64)(h.setup_sects ? h.setup_sects : LINUX_SETUP_SECTS_DEFAULT) + 1) * LINUX_SECTOR_SIZE;
	if ((*why = check_lengths(&h, klen, pm_offset)))
		return -ENOEXEC;
	pm_len = klen - pm_offset;
	if ((*why = place_kernel(&h, &load)))
		return -ENOEXEC;
	l.protocol = h.version;
	l.kernel_gpa = load;
	l.kernel_bytes = ALIGN_UP(MAX((u64)h.init_size, pm_len), PAGE_SIZE);
	if (load >= mem_bytes || l.kernel_bytes > mem_bytes - load) {
		*why = "the kernel does not fit in guest memory (its init_size from its load address; raise guest_mem=)";
		return -E2BIG;
	}

	if (initrd && ilen) {
		u64 limit = h.initrd_addr_max ? h.initrd_addr_max : LINUX_INITRD_ADDR_MAX_OLD;
		u64 top = MIN(mem_bytes, limit + 1);

		if (ilen > top || ALIGN_DOWN(top - ilen, PAGE_SIZE) < load + l.kernel_bytes) {
			*why = "the initrd does not fit between the kernel and the end of guest memory (raise guest_mem=)";
			return -E2BIG;
		}
		l.initrd_gpa = ALIGN_DOWN(top - ilen, PAGE_SIZE);
		l.initrd_bytes = ilen;
	}

	cmdlen = cmdline ? strlen(cmdline) : 0;
	cmdmax = MIN((u64)LINUX_CMDLINE_MAX, (u64)h.cmdline_size);
	if (cmdlen > cmdmax) {
		*why = "the kernel command line is longer than the kernel accepts (cmdline_size)";
		return -E2BIG;
	}

	struct guest_entry e = {
		.rip = load + LINUX_ENTRY64_OFFSET,
		.rsp = LINUX_STACK_TOP,
		.rsi = LINUX_ZERO_PAGE_GPA,
		.cr3 = LINUX_PT_GPA,
		.gdt_gpa = LINUX_GDT_GPA,
		.tss_gpa = LINUX_TSS_GPA,
		.gdt_limit = LINUX_GDT_LIMIT,
		.sel_code = LINUX_SEL_CODE,
		.sel_data = LINUX_SEL_DATA,
		.sel_tss = LINUX_SEL_TSS,
		.platform = GUEST_PLATFORM_PC,
	};

	/* Guest memory is fresh from the allocator, zeroed: nothing else needs clearing. */
	build_zero_page(k, hdr_end, mem_bytes, &l, cmdlen);
	r = copy_to_guest(mem, load, k + pm_offset, pm_len);
	if (!r && l.initrd_bytes)
		r = copy_to_guest(mem, l.initrd_gpa, initrd, l.initrd_bytes);
	if (!r)
		r = copy_to_guest(mem, LINUX_ZERO_PAGE_GPA, &zero_page, sizeof(zero_page));
	if (!r && cmdlen)
		r = copy_to_guest(mem, LINUX_CMDLINE_GPA, cmdline, cmdlen + 1);
	if (!r)
		r = guest_build_identity_map(mem, LINUX_PT_GPA, mem_bytes);
	if (!r)
		r = guest_build_gdt(mem, &e);
	if (r)
		return r;
	*entry = e;
	if (layout)
		*layout = l;
	return 0;
}
