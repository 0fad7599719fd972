/*
 * The firmware's memory map: how far RAM reaches (for the early page
 * tables), the final map and ExitBootServices, and the map keyhole gets in
 * struct boot_info.
 *
 * What keyhole may reuse once it runs:
 *   conventional, boot-services code/data    free RAM (the firmware is done)
 *   loader code/data                         free RAM too: the loader is done,
 *                                            and keyhole reserves its image and
 *                                            the guest module by their ranges
 *                                            in boot_info, as with GRUB
 *                                            (either: reserved if it is
 *                                            specific-purpose or not WB-
 *                                            cacheable, memclass.c)
 *   ACPI reclaim / ACPI NVS / unusable       their boot_info types
 *   everything else                          reserved: runtime services, MMIO,
 *                                            firmware-reserved, persistent
 *                                            memory, and keyhole's early page
 *                                            tables (KEYHOLE_MEMORY_BOOT_TABLES)
 *
 * boot_info's map is sorted by address with neighbours of one type merged:
 * UEFI maps are long lists of small pieces, and keyhole logs every range.
 *
 * ExitBootServices takes the key of the latest map, and the map changes
 * whenever the firmware allocates, even between our two calls (timer
 * events run).  So: take the map, exit, and on EFI_INVALID_PARAMETER take
 * it again, into the same buffer, since after a failed exit only
 * GetMemoryMap and ExitBootServices may be called.
 */
#include "boot/efi/loader.h"
#include "boot/efi/memclass.h"

/* Room in the final map's buffer for what the firmware adds between our calls. */
#define MAP_SLACK_DESCRIPTORS 64
#define EXIT_ATTEMPTS 8
/* Descriptors converted before sorting and merging; real maps have a few hundred. */
#define RAW_RANGES_MAX 1024

struct efi_map {
	UINT8 *buf;
	UINTN size, key, desc_size;
	UINT32 desc_version;
};

static const EFI_MEMORY_DESCRIPTOR *map_desc(const struct efi_map *m, UINTN i)
{
	return (const void *)(m->buf + i * m->desc_size);
}

static UINTN map_count(const struct efi_map *m)
{
	return m->size / m->desc_size;
}

/* A buffer that holds the current map and `slack` more descriptors. */
static EFI_STATUS map_alloc(struct efi_map *m, UINTN slack)
{
	UINT64 pa;
	EFI_STATUS s;

	m->size = 0;
	s = efi_bs->GetMemoryMap(&m->size, NULL, &m->key, &m->desc_size, &m->desc_version);
	if (s != EFI_BUFFER_TOO_SMALL || m->desc_size < sizeof(EFI_MEMORY_DESCRIPTOR)) {
		con_error("the firmware gives no memory map (%s)", efi_status_name(s));
		return EFI_ERROR(s) ? s : EFI_UNSUPPORTED;
	}
	/* Our own allocation adds descriptors too. */
	m->size += slack * m->desc_size;
	s = alloc_pages(EfiLoaderData, m->size, EFI_PAGE_SIZE, "the memory map", &pa);
	m->buf = (UINT8 *)(uintptr_t)pa;
	return s;
}

static EFI_STATUS map_get(struct efi_map *m, UINTN capacity)
{
	m->size = capacity;
	return efi_bs->GetMemoryMap(&m->size, (EFI_MEMORY_DESCRIPTOR *)m->buf, &m->key, &m->desc_size,
				&m->desc_version);
}

static bool is_ram(UINT32 type)
{
	switch (type) {
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
	case EfiRuntimeServicesCode:
	case EfiRuntimeServicesData:
	case EfiConventionalMemory:
	case EfiUnusableMemory:
	case EfiACPIReclaimMemory:
	case EfiACPIMemoryNVS:
		return true;
	default:
		return false;
	}
}

EFI_STATUS memmap_ram(struct ram_list *ram)
{
	struct efi_map m;
	UINTN capacity;
	EFI_STATUS s = map_alloc(&m, MAP_SLACK_DESCRIPTORS);

	if (EFI_ERROR(s))
		return s;
	capacity = m.size;
	s = map_get(&m, capacity);
	if (EFI_ERROR(s)) {
		con_error("the firmware gives no memory map (%s)", efi_status_name(s));
		return s;
	}
	ram->limit = 0;
	ram->n = 0;
	ram->truncated = false;
	for (UINTN i = 0; i < map_count(&m); i++) {
		const EFI_MEMORY_DESCRIPTOR *d = map_desc(&m, i);
		UINT64 end = d->PhysicalStart + d->NumberOfPages * EFI_PAGE_SIZE;

		if (!is_ram(d->Type))
			continue;
		ram->limit = MAX(ram->limit, end);
		if (ram->n == RAM_LIST_MAX) {
			ram->truncated = true;
			continue;
		}
		ram->r[ram->n].base = d->PhysicalStart;
		ram->r[ram->n++].end = end;
	}
	return EFI_SUCCESS;
}

/* memclass.h spells UEFI's numbers itself, for the host tests; they must be GNU-EFI's. */
STATIC_ASSERT(EFI_MT_CONVENTIONAL == EfiConventionalMemory && EFI_MT_LOADER_CODE == EfiLoaderCode &&
		      EFI_MT_LOADER_DATA == EfiLoaderData && EFI_MT_BOOT_SERVICES_CODE == EfiBootServicesCode &&
		      EFI_MT_BOOT_SERVICES_DATA == EfiBootServicesData && EFI_MT_ACPI_RECLAIM == EfiACPIReclaimMemory &&
		      EFI_MT_ACPI_NVS == EfiACPIMemoryNVS && EFI_MT_UNUSABLE == EfiUnusableMemory,
	      "memclass.h's memory types are UEFI's");
STATIC_ASSERT(EFI_ATTR_WB == EFI_MEMORY_WB, "memclass.h's WB attribute is UEFI's");

static void sort_by_base(struct mem_range *r, UINTN n)
{
	for (UINTN i = 1; i < n; i++) {
		struct mem_range x = r[i];
		UINTN j = i;

		for (; j > 0 && r[j - 1].base > x.base; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

static void to_boot_info(const struct efi_map *m, struct boot_info *bi)
{
	static struct mem_range raw[RAW_RANGES_MAX];
	UINTN n = MIN(map_count(m), RAW_RANGES_MAX);

	bi->mem_truncated = map_count(m) > RAW_RANGES_MAX;
	for (UINTN i = 0; i < n; i++) {
		const EFI_MEMORY_DESCRIPTOR *d = map_desc(m, i);

		raw[i] = (struct mem_range){ d->PhysicalStart, d->NumberOfPages * EFI_PAGE_SIZE, efi_mem_classify(d->Type, d->Attribute) };
	}
	sort_by_base(raw, n);
	bi->nr_mem = 0;
	for (UINTN i = 0; i < n; i++) {
		struct mem_range *last = bi->nr_mem ? &bi->mem[bi->nr_mem - 1] : NULL;

		if (last && last->type == raw[i].type && last->base + last->len == raw[i].base) {
			last->len += raw[i].len;
		} else if (bi->nr_mem == BOOT_MEM_RANGES_MAX) {
			bi->mem_truncated = true;
			break;
		} else {
			bi->mem[bi->nr_mem++] = raw[i];
		}
	}
}

EFI_STATUS memmap_exit_boot_services(EFI_HANDLE image, struct boot_info *bi, bool *exit_tried)
{
	struct efi_map m;
	UINTN capacity;
	EFI_STATUS s = map_alloc(&m, MAP_SLACK_DESCRIPTORS);
	int attempt;

	*exit_tried = false;
	if (EFI_ERROR(s))
		return s;
	capacity = m.size;
	for (attempt = 1; attempt <= EXIT_ATTEMPTS; attempt++) {
		s = map_get(&m, capacity);
		if (EFI_ERROR(s))
			break;
		/* No output through the firmware from here: it could change the map. */
		*exit_tried = true;
		s = efi_bs->ExitBootServices(image, m.key);
		if (s != EFI_INVALID_PARAMETER)
			break;
	}
	if (EFI_ERROR(s)) {
		/* After a failed exit the firmware's console may be gone: COM1 only. */
		if (*exit_tried)
			con_boot_services_gone();
		con_error("no final memory map or no ExitBootServices after %d attempts (%s)", MIN(attempt, EXIT_ATTEMPTS),
			  efi_status_name(s));
		return s;
	}
	con_boot_services_gone();
	to_boot_info(&m, bi);
	con_log("ExitBootServices done (attempt %d): %lu descriptors, %u ranges for keyhole", attempt,
		(unsigned long)map_count(&m), bi->nr_mem);
	return EFI_SUCCESS;
}
