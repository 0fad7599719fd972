/*
 * keyhole's virtual address space: where the hypervisor image, the direct
 * map of RAM and the fixmap window live.  These are constants of the design;
 * the memory core (mm/) builds the page tables that realise them, and the
 * boot paths' early tables realise a subset until it does.
 *
 *   virtual address       PML4 slot  what
 *
 *   0xffffffffffffffff +
 *                      |             image window, 2 GiB
 *   0xffffffff80200000 |               keyhole's image (HV_IMAGE_VA), wherever it lies in RAM
 *   0xffffffff80000000 +  511        HV_IMAGE_BASE (-mcmodel=kernel wants the top 2 GiB)
 *                         509..510   unused
 *   0xfffffe0000000000 +  508        FIXMAP_BASE: per-CPU temporary mappings
 *                                    (a slot of its own, so per-CPU roots differ
 *                                    in exactly this one entry)
 *                         401..507   unused
 *   0xffffc88000000000 +
 *                      |             direct map, up to DMAP_MAX_SIZE (64 TiB):
 *                      |             va = DMAP_BASE + pa, with holes where
 *                      |             protected guest frames are
 *   0xffff888000000000 +  273..400   DMAP_BASE
 *                         256..272   unused
 *   0xffff800000000000 +             start of the canonical upper half
 *                                    (non-canonical hole)
 *   0x00007fffffffffff +
 *                      |             lower half: empty once keyhole runs on its
 *                      |             own tables (the boot tables identity-map
 *                      |             [0, 4 GiB) only to climb out of 32-bit code)
 *   0x0000000000000000 +    0
 *
 * Physically, the image is one contiguous run starting on a 2 MiB boundary,
 * with its link-time offsets: GRUB loads it at HV_LOAD_PA (2 MiB, above the
 * firmware and legacy areas), as linked; UEFI wherever the firmware had
 * room.  image_phys_base says where; image_va_to_pa() is the conversion.
 *
 * The constants are visible to assembly and to linker.ld (preprocessed
 * with __ASSEMBLER__ defined): no C above the __ASSEMBLER__ guard.
 */
#ifndef KEYHOLE_LAYOUT_H
#define KEYHOLE_LAYOUT_H

/* An unsigned 64-bit constant in C, a plain number in assembly. */
#ifdef __ASSEMBLER__
#define LAYOUT_U64(x) x
#else
#define LAYOUT_U64(x) x##UL
#endif

/* CPUs keyhole can run on: one root page table and one fixmap page each. */
#define MAX_CPUS 8

/* The page size the image's sections are aligned to (PAGE_SIZE in C). */
#define LAYOUT_PAGE_SIZE 0x1000

/* Where the loader puts the image, and where it runs. */
#define HV_LOAD_PA LAYOUT_U64(0x200000)
#define HV_IMAGE_BASE LAYOUT_U64(0xffffffff80000000)
#define HV_IMAGE_WINDOW_SIZE LAYOUT_U64(0x80000000)
#define HV_IMAGE_VA (HV_IMAGE_BASE + HV_LOAD_PA)

/* The direct map of all RAM. */
#define DMAP_BASE LAYOUT_U64(0xffff888000000000)
#define DMAP_MAX_SIZE LAYOUT_U64(0x400000000000)

/* The fixmap window: one root-table slot, of which the first pages are used. */
#define FIXMAP_BASE LAYOUT_U64(0xfffffe0000000000)

/* Root-table (PML4) geometry: 512 slots of 512 GiB each. */
#define PML4_SHIFT 39
#define PML4_ENTRIES 512
#define PML4_SLOT(va) (((va) >> PML4_SHIFT) & (PML4_ENTRIES - 1))
#define PDPT_SHIFT 30
#define PDPT_SLOT(va) (((va) >> PDPT_SHIFT) & (PML4_ENTRIES - 1))

#define DMAP_PML4_SLOT 273
#define FIXMAP_PML4_SLOT 508
#define IMAGE_PML4_SLOT 511

#ifndef __ASSEMBLER__

#include <keyhole/types.h>

STATIC_ASSERT(PML4_SLOT(DMAP_BASE) == DMAP_PML4_SLOT, "DMAP_BASE slot");
STATIC_ASSERT(PML4_SLOT(FIXMAP_BASE) == FIXMAP_PML4_SLOT, "FIXMAP_BASE slot");
STATIC_ASSERT(PML4_SLOT(HV_IMAGE_BASE) == IMAGE_PML4_SLOT, "HV_IMAGE_BASE slot");
STATIC_ASSERT((DMAP_BASE & ((1UL << PML4_SHIFT) - 1)) == 0, "the direct map starts a root slot");
STATIC_ASSERT((FIXMAP_BASE & ((1UL << PML4_SHIFT) - 1)) == 0, "the fixmap owns a whole root slot");
STATIC_ASSERT(PML4_SLOT(DMAP_BASE + DMAP_MAX_SIZE - 1) < FIXMAP_PML4_SLOT,
	      "the direct map ends below the fixmap slot");
STATIC_ASSERT(LAYOUT_PAGE_SIZE == PAGE_SIZE, "the image's page size");
STATIC_ASSERT(HV_IMAGE_BASE + HV_IMAGE_WINDOW_SIZE == 0, "the image window is the top of memory");
STATIC_ASSERT((HV_LOAD_PA & (SZ_2M - 1)) == 0, "the image starts on a 2 MiB boundary");

/*
 * Bounds of the image, from linker.ld (virtual addresses).  Each region is
 * page aligned so the memory core can map text RX, rodata R and data RW+NX.
 */
extern char __image_start[], __image_end[];
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __bss_start[], __bss_end[];

/*
 * Physical address of the image's first byte (__image_start): HV_LOAD_PA,
 * as linked, when GRUB loaded it; the UEFI entry (boot/efi_start.c, where it
 * is defined) records where the firmware's pages were before anything asks.
 */
extern u64 image_phys_base;

/* Physical address of something inside the image (a symbol, not a pointer into the direct map). */
static inline u64 image_va_to_pa(const void *p)
{
	return (u64)p - HV_IMAGE_VA + image_phys_base;
}

#endif /* !__ASSEMBLER__ */

#endif
