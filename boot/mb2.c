/*
 * The Multiboot2 way in, C half: make sure a Multiboot2 loader started us,
 * copy what it told us into a struct boot_info and call hv_main().
 *
 * The loader's information block lies in memory the frame allocator will
 * hand out, so everything is copied.  The RSDP is a special case: the loader
 * gives a copy of it rather than its address, and that copy is kept in
 * keyhole's image, so rsdp_pa points at memory that stays reserved.
 *
 * This runs on the boot page tables (boot/mb2_entry.S), which map the first
 * 4 GiB at DMAP_BASE: enough for everything a 32-bit loader can place.
 */
#include <keyhole/boot_info.h>
#include "mm/dmap.h"
#include <keyhole/layout.h>
#include <keyhole/log.h>
#include <keyhole/panic.h>

#include "boot/multiboot2.h"
#include "hv/runtime/console.h"
#include <x86/cpu.h>
#include "lib/cmdline.h"
#include "lib/string.h"

/* An ACPI 2.0+ RSDP is 36 bytes; 1.0 has the first 20. */
#define RSDP_MAX_LEN 36
#define RSDP_ALIGN 16

/* What the loader told us, kept for the life of keyhole. */
static u8 rsdp_copy[RSDP_MAX_LEN] __attribute__((aligned(RSDP_ALIGN)));

/* Called only from boot/mb2_entry.S. */
void mb2_start(u32 magic, u32 info_pa) __attribute__((noreturn));

/* The boot tables map [0, 4 GiB) at DMAP_BASE; the memory core is not up yet. */
#define BOOT_MAPPED_LIMIT (4UL << 30)

/* phys_to_virt() works already: the boot tables put [0, 4 GiB) where the direct map will be. */
static const void *boot_pa_to_ptr(u64 pa)
{
	return phys_to_virt(pa);
}

static size_t tag_payload_len(const struct mb2_tag *tag, size_t header)
{
	return tag->size > header ? tag->size - header : 0;
}

static enum mem_type mem_type_from_mb2(u32 type)
{
	switch (type) {
	case MB2_MEM_AVAILABLE:
		return MEM_USABLE;
	case MB2_MEM_ACPI_RECLAIMABLE:
		return MEM_ACPI_RECLAIMABLE;
	case MB2_MEM_NVS:
		return MEM_ACPI_NVS;
	case MB2_MEM_BADRAM:
		return MEM_BAD;
	default:
		return MEM_RESERVED;
	}
}

static void parse_mmap(struct boot_info *bi, const struct mb2_tag_mmap *t)
{
	const u8 *entries = (const u8 *)(t + 1);
	size_t bytes = tag_payload_len(&t->tag, sizeof(*t));

	if (t->entry_size < sizeof(struct mb2_mmap_entry))
		panic("multiboot2: memory map entries of %u bytes are too small", t->entry_size);
	for (size_t off = 0; off + t->entry_size <= bytes; off += t->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)(entries + off);

		if (bi->nr_mem == BOOT_MEM_RANGES_MAX) {
			bi->mem_truncated = true;
			return;
		}
		bi->mem[bi->nr_mem++] = (struct mem_range){
			.base = e->base_addr,
			.len = e->length,
			.type = mem_type_from_mb2(e->type),
		};
	}
}

static void parse_module(struct boot_info *bi, const struct mb2_tag_module *t)
{
	struct boot_module *m;

	if (bi->nr_modules == BOOT_MODULES_MAX)
		panic("multiboot2: more than %d modules", BOOT_MODULES_MAX);
	if (t->mod_end < t->mod_start)
		panic("multiboot2: module [%#x, %#x) ends before it starts", t->mod_start, t->mod_end);
	m = &bi->modules[bi->nr_modules++];
	m->pa = t->mod_start;
	m->len = t->mod_end - t->mod_start;
	/* Too long: recorded, and refused by hv_main() after its banner, where the console is configured. */
	size_t n = cmdline_copy(m->cmdline, sizeof(m->cmdline), t->cmdline, tag_payload_len(&t->tag, sizeof(*t)));
	m->cmdline_overlong = n < sizeof(m->cmdline) ? 0 : (u32)n;
}

static void parse_rsdp(struct boot_info *bi, const struct mb2_tag_rsdp *t)
{
	size_t len = MIN(tag_payload_len(&t->tag, sizeof(*t)), sizeof(rsdp_copy));

	/* Prefer the 2.0+ copy: it carries the XSDT's 64-bit address. */
	if (bi->rsdp_pa && t->tag.type == MB2_TAG_ACPI_OLD)
		return;
	memset(rsdp_copy, 0, sizeof(rsdp_copy));
	memcpy(rsdp_copy, t->rsdp, len);
	bi->rsdp_pa = image_va_to_pa(rsdp_copy);
}

static void parse_tag(struct boot_info *bi, const struct mb2_tag *tag)
{
	const struct mb2_tag_string *s = (const void *)tag;

	switch (tag->type) {
	case MB2_TAG_CMDLINE: {
		size_t n = cmdline_copy(bi->cmdline, sizeof(bi->cmdline), s->string, tag_payload_len(tag, sizeof(*s)));
		bi->cmdline_overlong = n < sizeof(bi->cmdline) ? 0 : (u32)n;
		break;
	}
	case MB2_TAG_LOADER_NAME:
		/* only ever shown: a long name may be cut */
		cmdline_copy(bi->loader_desc, sizeof(bi->loader_desc), s->string, tag_payload_len(tag, sizeof(*s)));
		break;
	case MB2_TAG_MODULE:
		parse_module(bi, (const void *)tag);
		break;
	case MB2_TAG_MMAP:
		parse_mmap(bi, (const void *)tag);
		break;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		parse_rsdp(bi, (const void *)tag);
		break;
	default:
		/* Framebuffer, ELF sections, APM, ...: nothing keyhole uses. */
		break;
	}
}

static void parse_info(struct boot_info *bi, u32 info_pa)
{
	const struct mb2_info *info = boot_pa_to_ptr(info_pa);
	const u8 *base = (const u8 *)info;
	size_t off = sizeof(*info);
	bool ended = false;

	if (info_pa == 0 || (info_pa & (MB2_TAG_ALIGN - 1)))
		panic("multiboot2: boot information at %#x is not 8-byte aligned", info_pa);
	if (info->total_size < sizeof(*info) || (u64)info_pa + info->total_size > BOOT_MAPPED_LIMIT)
		panic("multiboot2: boot information [%#x, +%#x) is malformed", info_pa, info->total_size);
	while (off + sizeof(struct mb2_tag) <= info->total_size) {
		const struct mb2_tag *tag = (const void *)(base + off);

		if (tag->size < sizeof(*tag) || tag->size > info->total_size - off)
			panic("multiboot2: malformed tag (type %u, size %u) at offset %zu",
			      tag->type, tag->size, off);
		if (tag->type == MB2_TAG_END) {
			ended = true;
			break;
		}
		parse_tag(bi, tag);
		off += ALIGN_UP(tag->size, MB2_TAG_ALIGN);
	}
	if (!ended)
		panic("multiboot2: boot information has no end tag");
}

void mb2_start(u32 magic, u32 info_pa)
{
	struct boot_info *bi = &boot_info;

	console_init();
	if (magic != MB2_BOOTLOADER_MAGIC) {
		/* Nothing is known about this machine: stop, poke no shutdown port. */
		log_err("not started by a multiboot2 loader (EAX = %#x, expected %#x); halting",
			magic, MB2_BOOTLOADER_MAGIC);
		cpu_halt_forever();
	}

	bi->loader = "multiboot2";
	bi->entry_tsc = boot_tsc;
	parse_info(bi, info_pa);
	if (bi->nr_mem == 0)
		panic("multiboot2: the loader gave no memory map");
	bi->image_start_pa = image_va_to_pa(__image_start);
	bi->image_end_pa = image_va_to_pa(__image_end);

	hv_main(bi);
}
