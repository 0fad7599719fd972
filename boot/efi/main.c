/*
 * efi_main(): BOOTX64.EFI from start to hand-off, one step per call:
 *
 *   COM1 and a banner            so a serial cable shows life at once
 *   paging mode check            keyhole's tables are 4-level
 *   boot volume, options         load options, else \EFI\keyhole\options.txt
 *   guests                       the files the module lines or guest= name,
 *                                else the default one, else none (keyhole's
 *                                built-in guest)
 *   keyhole's image              placed at a 2 MiB boundary
 *   ACPI RSDP, firmware name     from the system table
 *   early page tables            sized to this machine's RAM
 *   ExitBootServices             and the memory map, into boot_info
 *   hand-off                     CR3 to the early tables, jump to keyhole
 *
 * Any failure before ExitBootServices is printed, every page the loader
 * took is given back, and its status goes back to the firmware, which
 * moves on to its next boot option.  The pause before returning gives
 * someone at the screen time to read why.
 */
#include <keyhole/layout.h>

#include "boot/efi/loader.h"
#include <x86/cpu.h>
#include <keyhole/guest_boot.h>
#include "lib/printf.h"
#include "lib/string.h"

#define LOADER_VERSION "0.1"
#define ERROR_PAUSE_US (5 * 1000 * 1000)

EFI_SYSTEM_TABLE *efi_st;
EFI_BOOT_SERVICES *efi_bs;

/* What keyhole gets; the image copies it before it reuses the loader's memory. */
static struct boot_info handoff_info; /* copied into the image by efi_start() */

static EFI_STATUS check_paging_mode(void)
{
	if (read_cr4() & X86_CR4_LA57) {
		con_error("the firmware runs with 5-level paging; keyhole's page tables are 4-level "
			  "(turn 5-level paging off in the firmware setup)");
		return EFI_UNSUPPORTED;
	}
	return EFI_SUCCESS;
}

static bool guid_is(const EFI_GUID *a, const EFI_GUID *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The ACPI 2.0+ RSDP if the firmware has one (it carries the XSDT), else the 1.0 one. */
static UINT64 find_rsdp(void)
{
	static const EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	UINT64 rsdp1 = 0;

	for (UINTN i = 0; i < efi_st->NumberOfTableEntries; i++) {
		const EFI_CONFIGURATION_TABLE *t = &efi_st->ConfigurationTable[i];

		if (guid_is(&t->VendorGuid, &acpi20))
			return (UINT64)(uintptr_t)t->VendorTable;
		if (guid_is(&t->VendorGuid, &acpi10))
			rsdp1 = (UINT64)(uintptr_t)t->VendorTable;
	}
	return rsdp1;
}

/* "UEFI 2.70, EDK II 0x00010000": the spec revision, the vendor in ASCII. */
static void describe_firmware(char *dst, size_t size)
{
	int n = snprintf(dst, size, "UEFI %u.%02u, ", efi_st->Hdr.Revision >> 16, efi_st->Hdr.Revision & 0xffff);
	const CHAR16 *v = efi_st->FirmwareVendor;

	for (size_t i = 0; v && v[i] && (size_t)n + 1 < size; i++)
		dst[n++] = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '?';
	snprintf(dst + n, size - n, " 0x%08x", efi_st->FirmwareRevision);
}

/*
 * The point of no return: interrupts off, every TLB entry dropped (clearing
 * CR4.PGE flushes global ones too, and keyhole runs without them, as on the
 * multiboot2 path), CR3 on the early tables, whose identity map keeps this
 * code and stack where they are, and on into the image.
 */
static void __attribute__((noreturn)) jump_to_keyhole(UINT64 root_pa, UINT64 entry, const struct boot_info *bi)
{
	u64 bi_va = DMAP_BASE + (u64)(uintptr_t)bi;

	__asm__ volatile("cli\n\t"
			 "mov %%cr4, %%rax\n\t"
			 "and %[no_pge], %%rax\n\t"
			 "mov %%rax, %%cr4\n\t"
			 "mov %[root], %%cr3\n\t"
			 "jmp *%[entry]"
			 :
			 : [root] "r"(root_pa), [entry] "r"(entry), [no_pge] "r"(~X86_CR4_PGE), "D"(bi_va)
			 : "rax", "memory");
	__builtin_unreachable();
}

struct loader {
	EFI_HANDLE image;
	struct loader_options opt;
	struct keyhole_image img;
	UINT64 root_pa;
	bool exit_tried;
};

/*
 * The boot manager arms a five-minute watchdog before it starts a boot
 * option, and resets the machine when it expires (UEFI 2.10, 3.1.2 and
 * 7.5.1 SetWatchdogTimer()).  Reading a large guest from slow media could
 * take that long; a timeout of 0 disables it.  Its failure costs nothing
 * but the warning: ExitBootServices stops the watchdog anyway.
 */
static void disable_watchdog(void)
{
	EFI_STATUS s = efi_bs->SetWatchdogTimer(0, 0, 0, NULL);

	if (EFI_ERROR(s))
		con_log("warning: the firmware's watchdog stays armed (%s)", efi_status_name(s));
	else
		con_log("firmware watchdog disabled");
}

static EFI_STATUS prepare(struct loader *l, struct boot_info *bi)
{
	static EFI_GUID loaded_image_protocol = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	EFI_LOADED_IMAGE *li;
	EFI_FILE_HANDLE root;
	static struct ram_list ram;
	EFI_STATUS s;

	s = check_paging_mode();
	if (EFI_ERROR(s))
		return s;
	disable_watchdog();
	s = efi_bs->HandleProtocol(l->image, &loaded_image_protocol, (void **)&li);
	if (EFI_ERROR(s)) {
		con_error("the firmware does not describe BOOTX64.EFI's own image (%s)", efi_status_name(s));
		return s;
	}
	s = file_open_boot_volume(li, &root);
	if (EFI_ERROR(s))
		return s;
	s = options_load(li, root, &l->opt);
	if (!EFI_ERROR(s))
		s = guests_load(root, &l->opt, bi);
	root->Close(root);
	if (EFI_ERROR(s))
		return s;
	memcpy(bi->cmdline, l->opt.p.cmdline, sizeof(bi->cmdline));

	s = image_load(&l->img);
	if (EFI_ERROR(s))
		return s;
	bi->image_start_pa = l->img.pa;
	bi->image_end_pa = l->img.pa + l->img.len;

	bi->rsdp_pa = find_rsdp();
	describe_firmware(bi->loader_desc, sizeof(bi->loader_desc));
	con_log("firmware: %s; ACPI RSDP at 0x%lx", bi->loader_desc, (unsigned long)bi->rsdp_pa);

	s = memmap_ram(&ram);
	if (EFI_ERROR(s))
		return s;
	return paging_build(&ram, &l->img, &l->root_pa);
}

/* Called by gnu-efi's crt0 (SysV convention), which relocated the image first. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static struct loader l;
	struct boot_info *bi = &handoff_info;
	EFI_STATUS s;

	con_init();
	efi_st = systab;
	efi_bs = systab->BootServices;
	con_say("keyhole UEFI loader %s (BOOTX64.EFI): taking over the machine", LOADER_VERSION);

	l.image = image;
	s = prepare(&l, bi);
	if (!EFI_ERROR(s))
		s = memmap_exit_boot_services(image, bi, &l.exit_tried);
	if (EFI_ERROR(s)) {
		if (!l.exit_tried)
			alloc_release_all();
		con_say("returning to the firmware: %s (EFI status 0x%lx)", efi_status_name(s), (unsigned long)s);
		if (!l.exit_tried)
			efi_bs->Stall(ERROR_PAUSE_US);
		return s;
	}

	con_log("handing over to keyhole at 0x%lx", (unsigned long)l.img.entry);
	jump_to_keyhole(l.root_pa, l.img.entry, bi);
}
