/*
 * The start-up code of an application processor (hv/cpu/ap_boot.S), and what
 * the boot CPU writes into its copy before each INIT-SIPI-SIPI
 * (hv/platform/smp.c).
 *
 * A SIPI starts the CPU in real mode at (vector << 12), so the code runs from
 * a copy in a page below 1 MiB that keyhole reserved (frames_alloc_below),
 * followed by three pages of temporary page tables:
 *
 *   page 0   the code, its GDT (32-bit code and data, 64-bit code) and,
 *            at AP_BOOT_PARAMS, a struct ap_boot_params
 *   page 1   PML4: [0] -> page 2, every other entry copied from keyhole's
 *            shared root (the direct map and the image)
 *   page 2   PDPT: [0] -> page 3
 *   page 3   PD:   [0] a 2 MiB leaf over [0, 2 MiB), the identity map the
 *            CPU needs for the instructions right after paging goes on
 *
 * The path, as the SDM describes it (Vol. 3A 10.8.5 "Initializing IA-32e
 * Mode", 10.9 "Mode Switching"): real mode -> LGDT, CR0.PE, far jump ->
 * 32-bit protected mode -> CR4.PAE, CR3, EFER.LME/NXE, CR0.PG -> far jump
 * -> 64-bit mode, then on the params' stack into entry(cpu) in the image,
 * which loads the CPU's own root (hostmm_activate) and leaves these tables.
 */
#ifndef KEYHOLE_HV_CPU_AP_BOOT_H
#define KEYHOLE_HV_CPU_AP_BOOT_H

#define AP_BOOT_PAGES 4
#define AP_BOOT_PARAMS 0xf00 /* offset of struct ap_boot_params in page 0 */

/* The temporary GDT's selectors. */
#define AP_SEL_CODE32 0x08
#define AP_SEL_DATA 0x10
#define AP_SEL_CODE64 0x18

#ifndef __ASSEMBLER__
#include <keyhole/types.h>

/* Physical addresses are the copy's (the page's address plus an offset); the rest are the boot CPU's values. */
struct ap_boot_params {
	u16 gdt_limit;   /* LGDT's pseudo-descriptor: limit, then a 32-bit base */
	u32 gdt_base;
	u32 far32_off;   /* far pointer (m16:32) to the 32-bit code */
	u16 far32_sel;
	u32 far64_off;   /* far pointer to the 64-bit code */
	u16 far64_sel;
	u32 cr3;         /* page 1 */
	u32 cr0;         /* the boot CPU's: PG, PE, WP, NE; CD and NW clear */
	u32 efer;        /* LME and NXE (the image's pages are NX where they must be) */
	u64 entry;       /* void entry(unsigned int cpu), noreturn, in the image */
	u64 stack;       /* the top of the CPU's stack */
	u64 cpu;         /* keyhole's number for the CPU */
} __attribute__((packed));

/* The code to copy, [ap_boot_start, ap_boot_end), and its symbols' offsets from ap_boot_start. */
extern const u8 ap_boot_start[], ap_boot_end[], ap_boot_gdt[], ap_boot_code32[], ap_boot_code64[];
#endif

#endif
