/*
 * From the boot memory map to keyhole's own address space: the frame table
 * over usable RAM (minus the image and the modules), the host page tables,
 * and the switch onto them, after which the boot path's identity map is gone.
 */
#include <keyhole/boot_info.h>
#include <keyhole/layout.h>
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include "hv/platform/smp.h"
#include "hv/runtime/mm_setup.h"
#include "mm/frame.h"
#include "mm/hostmm.h"

static struct hostmm_section section(const char *start, const char *end, unsigned int prot)
{
	return (struct hostmm_section){ (u64)(uintptr_t)start, image_va_to_pa(start), (u64)(end - start), prot };
}

void mm_setup(const struct boot_info *bi)
{
	static struct mm_range ram[BOOT_MEM_RANGES_MAX], res[BOOT_MODULES_MAX + 2];
	unsigned int nram = 0, nres = 0;

	for (u32 i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == MEM_USABLE)
			ram[nram++] = (struct mm_range){ bi->mem[i].base, bi->mem[i].len };
	res[nres++] = (struct mm_range){ bi->image_start_pa, bi->image_end_pa - bi->image_start_pa };
	for (u32 i = 0; i < bi->nr_modules; i++)
		res[nres++] = (struct mm_range){ bi->modules[i].pa, bi->modules[i].len };

	int r = frames_init(ram, nram, res, nres);
	if (r)
		panic("no usable memory map from the boot loader (%d): cannot start", r);
	/* First, while every low frame is free: the other CPUs' start-up page must lie below 1 MiB. */
	smp_reserve_low_memory();

	const struct hostmm_section image[] = {
		section(__text_start, __text_end, PT_R | PT_X),
		section(__rodata_start, __rodata_end, PT_R),
		section(__data_start, __data_end, PT_R | PT_W),
	};
	r = hostmm_init(1, image, ARRAY_SIZE(image));
	if (r)
		panic("building keyhole's page tables failed (%d)", r);
	hostmm_activate(0);
	log_info("mm: RAM in %u ranges up to %lu MiB, %lu MiB free; running on keyhole's own page tables",
		 nram, (frames_limit() << PAGE_SHIFT) >> 20, (frames_free_count() << PAGE_SHIFT) >> 20);
}
