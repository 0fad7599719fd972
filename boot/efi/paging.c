/*
 * The early page tables keyhole starts on (boot/efi_handoff.h): the same
 * picture as boot/mb2_entry.S's static tables, sized to this machine.
 *
 *   PML4[0 .. k)                  identity map of [0, limit): the loader keeps
 *                                 running through the CR3 switch on it
 *   PML4[DMAP_PML4_SLOT .. +k)    the same PDPTs again: [0, limit) at DMAP_BASE
 *   PML4[IMAGE_PML4_SLOT]         the image window: HV_IMAGE_VA -> the image
 *
 * 2 MiB leaves throughout, present and writable, with no NX bit: firmware
 * may have left EFER.NXE off, and with it off the bit is reserved.  limit is
 * RAM's end rounded up to 1 GiB and at least 4 GiB, what the multiboot2
 * path maps, so everything keyhole reaches before its own tables (its boot
 * information, the memory it builds them in) is mapped on either path.
 *
 * Every table comes from one allocation of KEYHOLE_MEMORY_BOOT_TABLES,
 * sized exactly beforehand: keyhole finds them reserved in its memory map
 * and cannot reuse them while it still runs on them.
 */
#include <keyhole/layout.h>

#include "boot/efi/loader.h"
#include "lib/string.h"

#define PTE_PRESENT 0x1ULL
#define PTE_WRITABLE 0x2ULL
#define PTE_LARGE 0x80ULL /* in a PD entry: a 2 MiB page */
#define PTE_ADDR_MASK 0x000ffffffffff000ULL
#define TABLE_ENTRIES 512
#define PML4_SPAN (1ULL << PML4_SHIFT) /* 512 GiB per root entry */
#define EARLY_MAP_MIN (4ULL << 30)

struct table_pool {
	u64 base; /* physical = current virtual address */
	u64 used, pages;
};

static u64 *table_new(struct table_pool *p)
{
	/* Sized exactly beforehand, so running out is a bug in pages_needed(). */
	if (p->used == p->pages)
		return NULL;
	return (u64 *)(uintptr_t)(p->base + EFI_PAGE_SIZE * p->used++);
}

/* The table entry e points to, made if it is absent. */
static u64 *table_below(struct table_pool *p, u64 *e)
{
	if (!(*e & PTE_PRESENT)) {
		u64 *t = table_new(p);

		if (!t)
			return NULL;
		*e = (u64)(uintptr_t)t | PTE_PRESENT | PTE_WRITABLE;
	}
	return (u64 *)(uintptr_t)(*e & PTE_ADDR_MASK);
}

static bool map_2m(struct table_pool *p, u64 *pml4, u64 va, u64 pa)
{
	u64 *pdpt = table_below(p, &pml4[PML4_SLOT(va)]);
	u64 *pd = pdpt ? table_below(p, &pdpt[PDPT_SLOT(va)]) : NULL;

	if (!pd)
		return false;
	pd[(va >> 21) & (TABLE_ENTRIES - 1)] = pa | PTE_PRESENT | PTE_WRITABLE | PTE_LARGE;
	return true;
}

static u64 div_up(u64 a, u64 b)
{
	return (a + b - 1) / b;
}

/* Root + identity (PDPTs and PDs, shared with the direct map) + the image's PDPT and PDs. */
static u64 pages_needed(u64 limit, const struct keyhole_image *img)
{
	u64 image_first_gib = HV_IMAGE_VA / SZ_1G;
	u64 image_last_gib = (HV_IMAGE_VA + img->window - 1) / SZ_1G;

	return 1 + div_up(limit, PML4_SPAN) + div_up(limit, SZ_1G) + 1 + (image_last_gib - image_first_gib + 1);
}

EFI_STATUS paging_build(UINT64 map_limit, const struct keyhole_image *img, UINT64 *root_pa)
{
	u64 limit = ALIGN_UP(MAX(map_limit, EARLY_MAP_MIN), SZ_1G);
	struct table_pool pool = { .pages = pages_needed(limit, img) };
	EFI_STATUS s;
	u64 *pml4;
	bool ok = true;

	if (limit > DMAP_MAX_SIZE) {
		con_error("RAM reaches %lu GiB; keyhole's direct map covers %lu", (unsigned long)(limit >> 30),
			  (unsigned long)(DMAP_MAX_SIZE >> 30));
		return EFI_UNSUPPORTED;
	}
	s = alloc_pages(KEYHOLE_MEMORY_BOOT_TABLES, pool.pages * EFI_PAGE_SIZE, EFI_PAGE_SIZE,
			"early page tables", &pool.base);
	if (EFI_ERROR(s))
		return s;

	pml4 = table_new(&pool);
	for (u64 pa = 0; ok && pa < limit; pa += SZ_2M)
		ok = map_2m(&pool, pml4, pa, pa);
	for (u64 i = 0; i < div_up(limit, PML4_SPAN); i++)
		pml4[DMAP_PML4_SLOT + i] = pml4[i];
	for (u64 off = 0; ok && off < img->window; off += SZ_2M)
		ok = map_2m(&pool, pml4, HV_IMAGE_VA + off, img->pa + off);
	if (!ok || pool.used != pool.pages) {
		con_error("early page tables: used %lu of %lu pages (a loader bug)", (unsigned long)pool.used,
			  (unsigned long)pool.pages);
		return EFI_LOAD_ERROR;
	}
	con_log("early page tables: [0, %lu GiB) identity and at the direct map, the image window; %lu pages at 0x%lx",
		(unsigned long)(limit >> 30), (unsigned long)pool.pages, (unsigned long)pool.base);
	*root_pa = pool.base;
	return EFI_SUCCESS;
}
