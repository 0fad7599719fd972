/*
 * The guests' files, read from the boot volume into memory and handed to
 * keyhole as boot_info modules, the way GRUB hands over multiboot2 modules:
 * each with its words ("guest ...", "linux CMDLINE", "initrd"), in the
 * order the options name them.  keyhole runs them in turn (README,
 * "Guests"); a file keyhole would refuse is refused here first, on the
 * screen, and the firmware goes on to its next boot option.
 */
#include "boot/efi/loader.h"
#include <fmt/linux_boot.h>
#include <keyhole/guest_boot.h>
#include "lib/string.h"

/* The bytes that make a file a bzImage (boot.rst: boot_flag at 0x1fe, "HdrS" at 0x202). */
static const char *bzimage_check(const u8 *f, UINT64 len)
{
	u16 flag;
	u32 magic;

	if (len < LINUX_SETUP_HEADER_END_BASE + sizeof(magic))
		return "too short to be a bzImage";
	memcpy(&flag, f + LINUX_SETUP_HEADER_OFFSET + __builtin_offsetof(struct linux_setup_header, boot_flag),
	       sizeof(flag));
	memcpy(&magic, f + LINUX_SETUP_HEADER_END_BASE, sizeof(magic));
	if (flag != LINUX_BOOT_FLAG || magic != LINUX_HEADER_MAGIC)
		return "not a bzImage: no \"HdrS\" setup header (an ELF vmlinux or a compressed file?)";
	return NULL;
}

/* Why keyhole would refuse module i before it reads a byte of it, or NULL. */
static const char *order_check(const struct loader_options *o, u32 i)
{
	const struct opt_module *m = &o->p.modules[i];

	if (opt_module_is(m, "initrd") && (i == 0 || !opt_module_is(&o->p.modules[i - 1], "linux")))
		return "an initrd with no linux module right before it";
	return NULL;
}

static const char *content_check(const struct opt_module *m, const void *f, UINT64 len)
{
	if (opt_module_is(m, "linux"))
		return bzimage_check(f, len);
	if (opt_module_is(m, "initrd"))
		return NULL;
	return elf_check(f, len);
}

static const char *what_it_must_be(const struct opt_module *m)
{
	if (opt_module_is(m, "linux"))
		return "a `linux` module is a Linux bzImage (boot protocol 2.12+)";
	return "keyhole runs static ELF64 x86-64 executables, or a bzImage named by the word linux";
}

EFI_STATUS guests_load(EFI_FILE_HANDLE root, const struct loader_options *o, struct boot_info *bi)
{
	UINT64 total = 0;

	if (o->guest_none) {
		con_log("guest: guest=none: keyhole runs its built-in test guest");
		return EFI_SUCCESS;
	}
	for (u32 i = 0; i < o->p.nr_modules; i++) {
		const struct opt_module *m = &o->p.modules[i];
		struct boot_module *bm = &bi->modules[bi->nr_modules];
		const char *why = order_check(o, i);
		UINT64 pa, len;
		EFI_STATUS s;

		if (why) {
			con_error("module %u (%s, line %u): %s", i, m->path, m->line, why);
			return EFI_INVALID_PARAMETER;
		}
		s = file_read(root, m->path, KH_GUEST_MEM_MAX, &pa, &len);
		if (s == EFI_NOT_FOUND && o->default_guest) {
			con_log("guest: no %s: keyhole runs its built-in test guest", m->path);
			return EFI_SUCCESS;
		}
		if (s == EFI_NOT_FOUND)
			con_error("module %u: %s: no such file on the boot volume", i, m->path);
		if (EFI_ERROR(s))
			return s;
		why = content_check(m, (const void *)(uintptr_t)pa, len);
		if (why) {
			con_error("guest %s: %s; %s", m->path, why, what_it_must_be(m));
			return EFI_LOAD_ERROR;
		}
		bm->pa = pa;
		bm->len = len;
		memcpy(bm->cmdline, m->cmdline, sizeof(bm->cmdline));
		bi->nr_modules++;
		total += len;
		con_log("guest: %s, %lu bytes at 0x%lx: \"%s\"", m->path, (unsigned long)len, (unsigned long)pa,
			m->cmdline);
	}
	if (bi->nr_modules > 1)
		con_log("%u modules, %lu KiB", bi->nr_modules, (unsigned long)(total >> 10));
	return EFI_SUCCESS;
}
