/*
 * The ELF64 guest loader (see guest_load.h).  Everything is checked before
 * anything is written, and every write goes through copy_to_guest(): the
 * loader never holds a pointer into guest memory, so it works the same on
 * protected memory.
 */
#include <keyhole/guest_boot.h>
#include <x86/segment.h>
#include "mm/gmap.h"
#include <fmt/elf.h>
#include "hv/loader/guest_load.h"
#include "lib/string.h"
#include "mm/pte.h"

#define CMDLINE_GPA (GUEST_BOOT_GPA + sizeof(struct kh_guest_boot))
#define CMDLINE_MAX (PAGE_SIZE - sizeof(struct kh_guest_boot) - 1)

STATIC_ASSERT(GUEST_VCPU_BOOT_GPA(KH_GUEST_VCPUS_MAX - 1) + sizeof(struct kh_guest_boot) <= 0xb000,
	      "the vCPUs' boot blocks fit their page");
STATIC_ASSERT(GUEST_VCPU_STACK_TOP(KH_GUEST_VCPUS_MAX - 1) - 0x8000 >= GUEST_TSS_GPA + PAGE_SIZE + PAGE_SIZE,
	      "the vCPUs' stacks stay above the boot blocks");

/* A segment is placed at its physical address, which must lie in guest memory above keyhole's area. */
static const char *check_segment(const struct elf64_phdr *p, u64 len, u64 mem_bytes)
{
	const char *why = elf64_check_segment(p, len, p->p_paddr);

	if (why)
		return why;
	if (p->p_paddr < GUEST_IMAGE_MIN)
		return "a segment overlaps keyhole's guest area below 0x80000 (link the guest higher)";
	if (p->p_paddr + p->p_memsz > mem_bytes)
		return "a segment does not fit in guest memory (raise guest_mem=)";
	return NULL;
}

int guest_build_identity_map(struct guest_mem *mem, u64 pml4_gpa, u64 mem_bytes)
{
	u64 pdpt_gpa = pml4_gpa + PAGE_SIZE, pd_gpa = pml4_gpa + 2 * PAGE_SIZE;
	u64 pml4e = pdpt_gpa | PTE_P | PTE_W;
	u64 gib = ALIGN_UP(mem_bytes, SZ_1G) / SZ_1G;
	int r = copy_to_guest(mem, pml4_gpa, &pml4e, sizeof(pml4e));

	for (u64 i = 0; !r && i < gib; i++) {
		u64 pdpte = (pd_gpa + i * PAGE_SIZE) | PTE_P | PTE_W;
		r = copy_to_guest(mem, pdpt_gpa + i * 8, &pdpte, sizeof(pdpte));
	}
	for (u64 gpa = 0; !r && gpa < ALIGN_UP(mem_bytes, SZ_2M); gpa += SZ_2M) {
		u64 pde = gpa | PTE_P | PTE_W | PTE_PS;
		r = copy_to_guest(mem, pd_gpa + (gpa / SZ_2M) * 8, &pde, sizeof(pde));
	}
	return r;
}

/* The descriptors whose access rights hv/vm/vcpu_setup.c gives the hidden segment state (SEG_AR). */
#define GDT_SLOTS_MAX 8

int guest_build_gdt(struct guest_mem *mem, const struct guest_entry *e)
{
	u64 gdt[GDT_SLOTS_MAX] = { 0 };
	unsigned int tss = e->sel_tss / 8;

	if (e->sel_code / 8 >= GDT_SLOTS_MAX || e->sel_data / 8 >= GDT_SLOTS_MAX || tss + 1 >= GDT_SLOTS_MAX ||
	    (u64)e->gdt_limit + 1 > sizeof(gdt))
		return -EINVAL;
	gdt[e->sel_code / 8] = SEG_DESC_CODE64;
	gdt[e->sel_data / 8] = SEG_DESC_DATA;
	seg_tss_desc(&gdt[tss], e->tss_gpa, GUEST_TSS_LIMIT, SEG_TYPE_TSS64_BUSY);
	return copy_to_guest(mem, e->gdt_gpa, gdt, (u64)e->gdt_limit + 1);
}

int guest_load_elf(struct guest_mem *mem, u64 mem_bytes, const void *image, u64 len, const char *cmdline,
		   unsigned int nr_vcpus, struct guest_entry *entry, const char **why)
{
	const struct elf64_ehdr *h = image;
	const struct elf64_phdr *ph;
	u64 end = 0;
	bool entry_ok = false, any = false;
	int r;

	*why = NULL;
	if (mem_bytes > GUEST_MEM_MAX || mem_bytes < 2 * GUEST_IMAGE_MIN || !ALIGNED(mem_bytes, SZ_2M)) {
		*why = "guest memory must be a multiple of 2 MiB between 2 MiB and 4 GiB";
		return -EINVAL;
	}
	if (nr_vcpus == 0 || nr_vcpus > KH_GUEST_VCPUS_MAX) {
		*why = "a guest has 1 to 8 vCPUs (vcpus=N)";
		return -EINVAL;
	}
	if ((*why = elf64_check_exec(h, len)))
		return -ENOEXEC;
	ph = elf64_phdrs(image);
	for (unsigned int i = 0; i < h->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if ((*why = check_segment(&ph[i], len, mem_bytes)))
			return -ENOEXEC;
		any = true;
		end = MAX(end, ph[i].p_paddr + ph[i].p_memsz);
		if (h->e_entry >= ph[i].p_paddr && h->e_entry < ph[i].p_paddr + ph[i].p_memsz)
			entry_ok = true;
	}
	if (!any) {
		*why = "no loadable segment";
		return -ENOEXEC;
	}
	if (!entry_ok) {
		*why = "the entry point lies outside every loadable segment";
		return -ENOEXEC;
	}
	u64 cmdlen = cmdline ? strlen(cmdline) : 0;
	if (cmdlen > CMDLINE_MAX) {
		*why = "the guest command line is longer than a page";
		return -EINVAL;
	}

	/* Guest memory is fresh from the allocator, zeroed: bss needs no writes. */
	for (unsigned int i = 0; i < h->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_filesz == 0)
			continue;
		r = copy_to_guest(mem, ph[i].p_paddr, (const u8 *)image + ph[i].p_offset, ph[i].p_filesz);
		if (r)
			return r;
	}
	struct guest_entry e = {
		.rip = h->e_entry,
		.rsp = GUEST_STACK_TOP,
		.rdi = GUEST_BOOT_GPA,
		.cr3 = GUEST_PT_GPA,
		.gdt_gpa = GUEST_GDT_GPA,
		.tss_gpa = GUEST_TSS_GPA,
		.gdt_limit = GUEST_GDT_LIMIT,
		.sel_code = GUEST_SEL_CODE,
		.sel_data = GUEST_SEL_DATA,
		.sel_tss = GUEST_SEL_TSS,
		.platform = GUEST_PLATFORM_ISOLATED,
		.nr_vcpus = nr_vcpus,
	};
	r = guest_build_identity_map(mem, GUEST_PT_GPA, mem_bytes);
	if (!r)
		r = guest_build_gdt(mem, &e);
	if (r)
		return r;
	struct kh_guest_boot boot = {
		.magic = KH_GUEST_BOOT_MAGIC,
		.version = KH_GUEST_BOOT_VERSION,
		.mem_size = mem_bytes,
		.cmdline_gpa = cmdlen ? CMDLINE_GPA : 0,
		.cmdline_len = cmdlen,
		.stack_top = GUEST_STACK_TOP,
		.free_gpa = ALIGN_UP(end, PAGE_SIZE),
		.nr_vcpus = nr_vcpus,
	};
	r = 0;
	for (unsigned int k = 0; !r && k < nr_vcpus; k++) {
		boot.vcpu_index = k;
		boot.stack_top = GUEST_VCPU_STACK_TOP(k);
		r = copy_to_guest(mem, GUEST_VCPU_BOOT_GPA(k), &boot, sizeof(boot));
	}
	if (!r && cmdlen)
		r = copy_to_guest(mem, CMDLINE_GPA, cmdline, cmdlen + 1);
	if (r)
		return r;
	*entry = e;
	return 0;
}
