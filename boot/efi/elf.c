/*
 * ELF images in the loader: a soundness check of any ELF64 x86-64
 * executable (keyhole's own image and the guest file), and placing keyhole's
 * image, which BOOTX64.EFI carries inside itself, in RAM.
 *
 * The guest is only checked here, so that a broken file is reported while
 * the firmware can still show it and boot something else; keyhole's guest
 * loader (hv/loader/guest_load.c) makes the full checks when it loads it.
 *
 * keyhole's image is linked to run at HV_IMAGE_VA; the loader keeps every
 * segment's offset from there and picks the physical base: a 2 MiB boundary
 * (so 2 MiB leaves map it), anywhere in RAM.  The whole run, bss included,
 * starts zeroed, so bss needs no separate clearing.
 */
#include <keyhole/layout.h>

#include "boot/efi/loader.h"
#include "boot/efi_handoff.h"
#include <fmt/elf.h>
#include "lib/string.h"

/* build/efi/keyhole_blob.o: build/keyhole.elf, without its debug sections. */
extern const u8 keyhole_elf_start[] __attribute__((visibility("hidden")));
extern const u8 keyhole_elf_end[] __attribute__((visibility("hidden")));

const char *elf_check(const void *file, UINT64 len)
{
	const char *why = elf64_check_exec(file, len);

	if (why)
		return why;
	const struct elf64_ehdr *h = file;
	const struct elf64_phdr *ph = elf64_phdrs(file);
	for (u16 i = 0; i < h->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (why = elf64_check_segment(&ph[i], len, ph[i].p_vaddr)))
			return why;
	return NULL;
}

/* The virtual span [*lo, *hi) of the PT_LOAD segments; false if there are none. */
static bool load_span(const struct elf64_ehdr *h, const struct elf64_phdr *ph, u64 *lo, u64 *hi)
{
	*lo = ~0ULL;
	*hi = 0;
	for (u16 i = 0; i < h->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		*lo = MIN(*lo, ph[i].p_vaddr);
		*hi = MAX(*hi, ph[i].p_vaddr + ph[i].p_memsz);
	}
	return *hi != 0;
}

static const struct efi_handoff_header *find_handoff(u64 pa, u64 len)
{
	for (u64 off = 0; off + sizeof(struct efi_handoff_header) <= MIN(len, EFI_HANDOFF_SCAN_LIMIT);
	     off += EFI_HANDOFF_ALIGN) {
		const struct efi_handoff_header *hh = (const void *)(uintptr_t)(pa + off);

		if (hh->magic == EFI_HANDOFF_MAGIC)
			return hh;
	}
	return NULL;
}

/* A problem with the embedded image is the build's, not the user's: say so. */
static EFI_STATUS image_broken(const char *why)
{
	con_error("the keyhole.elf inside BOOTX64.EFI is unusable: %s (rebuild with make usb)", why);
	return EFI_LOAD_ERROR;
}

EFI_STATUS image_load(struct keyhole_image *img)
{
	u64 file_len = (u64)(keyhole_elf_end - keyhole_elf_start);
	const struct elf64_ehdr *h = (const void *)keyhole_elf_start;
	const char *why = elf_check(h, file_len);
	u64 lo, hi;
	EFI_STATUS s;

	if (why)
		return image_broken(why);
	const struct elf64_phdr *ph = (const void *)(keyhole_elf_start + h->e_phoff);
	if (!load_span(h, ph, &lo, &hi))
		return image_broken("no loadable segment");
	if (lo != HV_IMAGE_VA || hi - lo > HV_IMAGE_WINDOW_SIZE - HV_LOAD_PA)
		return image_broken("not linked at HV_IMAGE_VA, or larger than the image window");

	img->len = ALIGN_UP(hi - lo, EFI_PAGE_SIZE);
	img->window = ALIGN_UP(img->len, SZ_2M);
	s = alloc_pages(EfiLoaderData, img->window, SZ_2M, "keyhole's image", &img->pa);
	if (EFI_ERROR(s))
		return s;
	for (u16 i = 0; i < h->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			memcpy((void *)(uintptr_t)(img->pa + ph[i].p_vaddr - lo), keyhole_elf_start + ph[i].p_offset,
			       ph[i].p_filesz);

	const struct efi_handoff_header *hh = find_handoff(img->pa, img->len);
	if (!hh)
		return image_broken("no UEFI hand-off header in its first 32 KiB");
	if (hh->version != EFI_HANDOFF_VERSION || hh->boot_info_size != sizeof(struct boot_info))
		return image_broken("its hand-off version or struct boot_info differs from the loader's");
	if (hh->entry < lo || hh->entry >= hi)
		return image_broken("its hand-off entry lies outside the image");
	img->entry = hh->entry;
	con_log("keyhole: %lu KiB image at 0x%lx, entry 0x%lx", (unsigned long)(img->len >> 10),
		(unsigned long)img->pa, (unsigned long)img->entry);
	return EFI_SUCCESS;
}
