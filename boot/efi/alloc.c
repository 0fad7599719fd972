/*
 * The loader's memory: whole pages from the firmware, every allocation
 * recorded.  When the loader fails before ExitBootServices it gives them all
 * back, so returning to the firmware leaves the machine as it found it.
 *
 * UEFI's page allocator aligns to 4 KiB only.  A larger alignment (the
 * image's 2 MiB) is had by asking for `align` bytes more and using the
 * aligned part; the slack stays allocated with the rest, and keyhole reuses
 * it as free RAM once it runs.
 */
#include "boot/efi/loader.h"
#include "lib/string.h"

/* The loader's allocations: the image, the files it reads, the tables, the map buffers. */
#define ALLOCS_MAX (BOOT_MODULES_MAX + 16) /* a file per guest, the options file, the image, the page tables */

static struct {
	EFI_PHYSICAL_ADDRESS base;
	UINTN pages;
} allocs[ALLOCS_MAX];
static unsigned int nallocs;

EFI_STATUS alloc_pages(EFI_MEMORY_TYPE type, UINT64 bytes, UINT64 align, const char *what, UINT64 *pa)
{
	EFI_PHYSICAL_ADDRESS base = 0;
	UINT64 slack = align > EFI_PAGE_SIZE ? align : 0;
	UINTN pages = EFI_SIZE_TO_PAGES(bytes + slack);
	EFI_STATUS s;

	if (nallocs == ALLOCS_MAX) {
		con_error("%s: more than %d allocations (a loader bug)", what, ALLOCS_MAX);
		return EFI_OUT_OF_RESOURCES;
	}
	s = efi_bs->AllocatePages(AllocateAnyPages, type, pages, &base);
	if (EFI_ERROR(s)) {
		con_error("%s: the firmware has no %lu KiB of memory for it (%s)", what,
			  (unsigned long)(pages * EFI_PAGE_SIZE >> 10), efi_status_name(s));
		return s;
	}
	allocs[nallocs].base = base;
	allocs[nallocs].pages = pages;
	nallocs++;

	*pa = slack ? ALIGN_UP(base, align) : base;
	/* UEFI maps all memory identically: the physical address is a pointer. */
	memset((void *)(uintptr_t)*pa, 0, bytes);
	return EFI_SUCCESS;
}

void alloc_release_all(void)
{
	while (nallocs) {
		nallocs--;
		efi_bs->FreePages(allocs[nallocs].base, allocs[nallocs].pages);
	}
}
