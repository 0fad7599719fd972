/*
 * The early page tables keyhole starts on (boot/efi_handoff.h): the same
 * picture as boot/mb2_entry.S's static tables, sized to this machine.
 *
 *   PML4[0 .. k)                  identity map of [0, limit): the loader keeps
 *                                 running through the CR3 switch on it
 *   PML4[DMAP_PML4_SLOT .. +k)    the same PDPTs again: [0, limit) at DMAP_BASE
 *   PML4[IMAGE_PML4_SLOT]         the image window: HV_IMAGE_VA -> the image
 *
 * Leaves are present and writable, with no NX bit: firmware may have left
 * EFER.NXE off, and with it off the bit is reserved.  A 2 MiB page over
 * ranges of differing MTRR memory types is undefined (SDM Vol. 3A,
 * 11.11.9), so each 2 MiB of [0, limit) is mapped by what RAM it holds:
 *
 *   all RAM      one 2 MiB leaf, WB through the PAT (index 0)
 *   no RAM       one 2 MiB leaf, UC through the PAT (PCD|PWT: index 3, UC in
 *                the power-on PAT), which makes it UC whatever the MTRRs
 *                say (SDM Vol. 3A, Table 11-7): the MMIO hole, and the rest
 *   some RAM,    a page table of 4 KiB leaves, RAM WB and the rest UC, so no
 *   and [0, 2M)  page spans two MTRR types: the first 2 MiB always (the
 *                legacy video hole and ROMs, with the fixed-range MTRRs)
 *
 * limit is
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
#define PTE_PWT 0x8ULL
#define PTE_PCD 0x10ULL
#define PTE_UC (PTE_PCD | PTE_PWT) /* PAT index 3: UC in the power-on PAT (SDM Vol. 3A, 11.12.3) */
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

static u64 *pd_entry(struct table_pool *p, u64 *pml4, u64 va)
{
	u64 *pdpt = table_below(p, &pml4[PML4_SLOT(va)]);
	u64 *pd = pdpt ? table_below(p, &pdpt[PDPT_SLOT(va)]) : NULL;

	return pd ? &pd[(va >> 21) & (TABLE_ENTRIES - 1)] : NULL;
}

static bool map_2m(struct table_pool *p, u64 *pml4, u64 va, u64 pa, u64 attr)
{
	u64 *e = pd_entry(p, pml4, va);

	if (!e)
		return false;
	*e = pa | PTE_PRESENT | PTE_WRITABLE | PTE_LARGE | attr;
	return true;
}

/* Bytes of [base, base + len) that the RAM list covers (its ranges do not overlap). */
static u64 ram_in(const struct ram_list *ram, u64 base, u64 len)
{
	u64 n = 0;

	for (UINTN i = 0; i < ram->n; i++) {
		u64 lo = MAX(ram->r[i].base, base), hi = MIN(ram->r[i].end, base + len);

		if (lo < hi)
			n += hi - lo;
	}
	return n;
}

enum chunk_kind { CHUNK_RAM, CHUNK_NO_RAM, CHUNK_SPLIT };

static enum chunk_kind chunk_kind(const struct ram_list *ram, u64 pa)
{
	u64 n = ram_in(ram, pa, SZ_2M);

	if (pa == 0 || ram->truncated)
		return n ? CHUNK_SPLIT : CHUNK_NO_RAM;
	return n == SZ_2M ? CHUNK_RAM : n == 0 ? CHUNK_NO_RAM : CHUNK_SPLIT;
}

/* The identity map of one 2 MiB chunk at pa, by its kind. */
static bool map_chunk(struct table_pool *p, u64 *pml4, const struct ram_list *ram, u64 pa)
{
	enum chunk_kind k = chunk_kind(ram, pa);
	u64 *e, *pt;

	if (k != CHUNK_SPLIT)
		return map_2m(p, pml4, pa, pa, k == CHUNK_RAM ? 0 : PTE_UC);
	e = pd_entry(p, pml4, pa);
	pt = e ? table_below(p, e) : NULL;
	if (!pt)
		return false;
	for (u64 i = 0; i < TABLE_ENTRIES; i++) {
		u64 page = pa + i * EFI_PAGE_SIZE;

		pt[i] = page | PTE_PRESENT | PTE_WRITABLE |
			(ram_in(ram, page, EFI_PAGE_SIZE) == EFI_PAGE_SIZE ? 0 : PTE_UC);
	}
	return true;
}

static u64 div_up(u64 a, u64 b)
{
	return (a + b - 1) / b;
}

/*
 * Root + identity (PDPTs, PDs and the split chunks' page tables, shared with
 * the direct map) + the image's PDPT and PDs.
 */
static u64 pages_needed(u64 limit, u64 split, const struct keyhole_image *img)
{
	u64 image_first_gib = HV_IMAGE_VA / SZ_1G;
	u64 image_last_gib = (HV_IMAGE_VA + img->window - 1) / SZ_1G;

	return 1 + div_up(limit, PML4_SPAN) + div_up(limit, SZ_1G) + split + 1 +
	       (image_last_gib - image_first_gib + 1);
}

EFI_STATUS paging_build(const struct ram_list *ram, const struct keyhole_image *img, UINT64 *root_pa)
{
	u64 limit = ALIGN_UP(MAX(ram->limit, EARLY_MAP_MIN), SZ_1G);
	u64 split = 0, uc = 0;
	EFI_STATUS s;
	u64 *pml4;
	bool ok = true;

	for (u64 pa = 0; pa < limit; pa += SZ_2M) {
		enum chunk_kind k = chunk_kind(ram, pa);

		split += k == CHUNK_SPLIT;
		uc += k == CHUNK_NO_RAM;
	}
	struct table_pool pool = { .pages = pages_needed(limit, split, img) };

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
		ok = map_chunk(&pool, pml4, ram, pa);
	for (u64 i = 0; i < div_up(limit, PML4_SPAN); i++)
		pml4[DMAP_PML4_SLOT + i] = pml4[i];
	for (u64 off = 0; ok && off < img->window; off += SZ_2M)
		ok = map_2m(&pool, pml4, HV_IMAGE_VA + off, img->pa + off, 0);
	if (!ok || pool.used != pool.pages) {
		con_error("early page tables: used %lu of %lu pages (a loader bug)", (unsigned long)pool.used,
			  (unsigned long)pool.pages);
		return EFI_LOAD_ERROR;
	}
	con_log("early page tables: [0, %lu GiB) identity and at the direct map, the image window; %lu pages at 0x%lx; "
		"%lu MiB without RAM uncached, %lu 2 MiB ranges in 4 KiB pages",
		(unsigned long)(limit >> 30), (unsigned long)pool.pages, (unsigned long)pool.base,
		(unsigned long)(uc * 2), (unsigned long)split);
	*root_pa = pool.base;
	return EFI_SUCCESS;
}
