/*
 * BOOTX64.EFI, keyhole's UEFI loader: the interfaces between its parts.
 *
 * The loader is a GNU-EFI application that carries build/keyhole.elf (the
 * image GRUB boots) and starts it the way boot/efi_handoff.h describes.
 * efi_main() (main.c) is the sequence; each step is one file here:
 *
 *   console.c   COM1 from the first instruction, and the firmware's screen
 *   alloc.c     page allocations, all given back if the loader fails
 *   options.c   keyhole's command line and guests: load options, an options file, or none
 *   optparse.c  the options' grammar (pure: host-tested)
 *   guests.c    reading the guests' files
 *   file.c      reading a file from the volume BOOTX64.EFI came from
 *   elf.c       checking an ELF image; placing keyhole's, finding its entry
 *   paging.c    the early page tables keyhole starts on
 *   memmap.c    the memory map, ExitBootServices, and the map for boot_info
 *   memclass.c  what one descriptor is to keyhole (pure: host-tested)
 *
 * Until ExitBootServices every failure is reported (on COM1 and the screen)
 * and returned as an EFI status, and efi_main() hands it to the firmware,
 * which goes on to its next boot option.  After it, nothing can fail.
 *
 * UEFI types stay in this directory: keyhole's image never sees them.
 */
#ifndef KEYHOLE_BOOT_EFI_LOADER_H
#define KEYHOLE_BOOT_EFI_LOADER_H

#include <efi.h>

#include <keyhole/boot_info.h>

#include "boot/efi/optparse.h"

#define LOADER_TAG "efi"

/* The firmware's tables, from efi_main()'s arguments (main.c). */
extern EFI_SYSTEM_TABLE *efi_st;
extern EFI_BOOT_SERVICES *efi_bs;

/* --- console.c -------------------------------------------------------------- */

/* COM1 up (115200 8N1); call first. */
void con_init(void);
/* One "[efi] ..." line on COM1. */
void con_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, and on the firmware's console while boot services last. */
void con_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* con_say() with "error: " in front. */
void con_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* From now on COM1 only: the firmware's console is gone. */
void con_boot_services_gone(void);
/* A readable name for an EFI status ("Load Error"). */
const char *efi_status_name(EFI_STATUS s);

/* --- alloc.c ---------------------------------------------------------------- */

/*
 * Pages of memory type `type`, at an address aligned to `align` (a power of
 * two, at least a page), zeroed; *pa is their physical (= current virtual)
 * address.  Every allocation is recorded so alloc_release_all() can give
 * them back when the loader fails.
 */
EFI_STATUS alloc_pages(EFI_MEMORY_TYPE type, UINT64 bytes, UINT64 align, const char *what, UINT64 *pa);
void alloc_release_all(void);

/*
 * keyhole's early page tables live in memory of this type, which UEFI
 * leaves to OS loaders (0x80000000 and up): the memory map then tells
 * them apart from the loader's other memory, all of which keyhole reuses.
 * They must survive until keyhole switches to its own tables.
 */
#define KEYHOLE_MEMORY_BOOT_TABLES ((EFI_MEMORY_TYPE)0x80000000)

/* --- file.c ----------------------------------------------------------------- */

/* Opens the root of the volume BOOTX64.EFI was loaded from. */
EFI_STATUS file_open_boot_volume(EFI_LOADED_IMAGE *li, EFI_FILE_HANDLE *root);
/*
 * Reads the whole file at path (ASCII, '\' separated) into fresh pages of
 * EfiLoaderData.  EFI_NOT_FOUND (unreported, so a caller may fall back) when
 * there is no such file; any other error is reported.  At most max_len bytes.
 */
EFI_STATUS file_read(EFI_FILE_HANDLE root, const char *path, UINT64 max_len, UINT64 *pa, UINT64 *len);

/* --- options.c -------------------------------------------------------------- */

#define OPTIONS_FILE "\\EFI\\keyhole\\options.txt"
#define GUEST_FILE_DEFAULT "\\EFI\\keyhole\\guest.elf"
#define PATH_MAX_LEN OPT_PATH_MAX

struct loader_options {
	struct opt_parsed p; /* keyhole's command line and the guests' module lines */
	const char *source;  /* where they came from, for the log */
	bool default_guest;  /* no guest named: modules[0] is GUEST_FILE_DEFAULT, which may be absent */
	bool guest_none;     /* guest=none: the built-in test guest */
};

/*
 * Finds keyhole's options (load options, else OPTIONS_FILE, else none),
 * checks them and settles which guest files to read.
 */
EFI_STATUS options_load(EFI_LOADED_IMAGE *li, EFI_FILE_HANDLE root, struct loader_options *o);

/* --- guests.c --------------------------------------------------------------- */

/*
 * Reads each guest file the options name into memory and describes it in
 * bi->modules, in order: an ELF guest must be a sound ELF64 x86-64
 * executable, a `linux` module must carry a bzImage's setup header, and an
 * `initrd` must follow a `linux` module.  keyhole checks each again when it
 * runs it; this is so a bad file is named on the screen, before anything
 * starts.
 */
EFI_STATUS guests_load(EFI_FILE_HANDLE root, const struct loader_options *o, struct boot_info *bi);

/* --- elf.c ------------------------------------------------------------------ */

/* NULL if the ELF64 x86-64 executable header and program headers are sound, else why not. */
const char *elf_check(const void *file, UINT64 len);

struct keyhole_image {
	UINT64 pa;     /* where it lies: a 2 MiB boundary */
	UINT64 len;    /* __image_start to __image_end, bss included */
	UINT64 window; /* len rounded up to 2 MiB: what the early tables map */
	UINT64 entry;  /* the hand-off entry's virtual address */
};

/* Places the embedded keyhole.elf in fresh 2 MiB-aligned pages and finds its entry. */
EFI_STATUS image_load(struct keyhole_image *img);

/* The RAM descriptors of the current memory map, for the early page tables. */
#define RAM_LIST_MAX 1024
struct ram_list {
	UINT64 limit; /* one past the highest RAM address */
	UINTN n;
	bool truncated; /* more than RAM_LIST_MAX: paging.c maps what it cannot tell apart with 4 KiB pages */
	struct {
		UINT64 base, end;
	} r[RAM_LIST_MAX];
};

/* --- paging.c --------------------------------------------------------------- */

/* Builds the tables boot/efi_handoff.h promises; *root_pa is for CR3. */
EFI_STATUS paging_build(const struct ram_list *ram, const struct keyhole_image *img, UINT64 *root_pa);

/* --- memmap.c --------------------------------------------------------------- */

/* The RAM in the current memory map. */
EFI_STATUS memmap_ram(struct ram_list *ram);
/*
 * Takes the final memory map, exits boot services (taking the map again
 * while the firmware says it changed) and converts it into bi->mem.  On
 * success boot services are gone: no firmware call but runtime services.
 * *exit_tried says whether ExitBootServices was called at all: after a
 * failed call no other boot service may be, not even to free memory.
 */
EFI_STATUS memmap_exit_boot_services(EFI_HANDLE image, struct boot_info *bi, bool *exit_tried);

#endif
