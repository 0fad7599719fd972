/*
 * The ELF64 guest loader (see guest_load.h).  Everything is checked before
 * anything is written, and every write goes through copy_to_guest(): the
 * loader never holds a pointer into guest memory, so it works the same on
 * protected memory.
 */
#include <keyhole/guest_boot.h>
#include <keyhole/vm.h>
#include "hv/elf.h"
#include "hv/guest_load.h"
#include "lib/string.h"
#include "mm/pte.h"

#define GUEST_PD_GPA (GUEST_PT_GPA + 2 * PAGE_SIZE)
#define CMDLINE_GPA (GUEST_BOOT_GPA + sizeof(struct kh_guest_boot))
#define CMDLINE_MAX (PAGE_SIZE - sizeof(struct kh_guest_boot) - 1)

static const char *check_header(const struct elf64_ehdr *h, u64 len)
{
	if (len < sizeof(*h))
		return "shorter than an ELF header";
	if (h->e_magic != ELF_MAGIC)
		return "not an ELF file (bad magic)";
	if (h->e_class != ELFCLASS64)
		return "not a 64-bit ELF file";
	if (h->e_data != ELFDATA2LSB)
		return "not little-endian";
	if (h->e_type != ET_EXEC)
		return "not an executable (ET_EXEC); build it static, not PIE";
	if (h->e_machine != EM_X86_64)
		return "not an x86-64 executable";
	if (h->e_phentsize != sizeof(struct elf64_phdr))
		return "unexpected program header size";
	if (h->e_phnum == 0)
		return "no program headers";
	if (h->e_phoff > len || (u64)h->e_phnum * sizeof(struct elf64_phdr) > len - h->e_phoff)
		return "program headers lie beyond the end of the file";
	return NULL;
}

static const char *check_segment(const struct elf64_phdr *p, u64 len, u64 mem_bytes)
{
	if (p->p_filesz > p->p_memsz)
		return "a segment's file size exceeds its memory size";
	if (p->p_offset > len || p->p_filesz > len - p->p_offset)
		return "a segment lies beyond the end of the file";
	if (p->p_paddr + p->p_memsz < p->p_paddr)
		return "a segment's address range wraps around";
	if (p->p_paddr < GUEST_IMAGE_MIN)
		return "a segment overlaps keyhole's guest area below 0x80000 (link the guest higher)";
	if (p->p_paddr + p->p_memsz > mem_bytes)
		return "a segment does not fit in guest memory (raise guest_mem=)";
	return NULL;
}

static int build_page_tables(struct vm *vm, u64 mem_bytes)
{
	u64 pml4e = (GUEST_PT_GPA + PAGE_SIZE) | PTE_P | PTE_W;
	u64 gib = ALIGN_UP(mem_bytes, SZ_1G) / SZ_1G;
	int r = copy_to_guest(vm, GUEST_PT_GPA, &pml4e, sizeof(pml4e));

	for (u64 i = 0; !r && i < gib; i++) {
		u64 pdpte = (GUEST_PD_GPA + i * PAGE_SIZE) | PTE_P | PTE_W;
		r = copy_to_guest(vm, GUEST_PT_GPA + PAGE_SIZE + i * 8, &pdpte, sizeof(pdpte));
	}
	for (u64 gpa = 0; !r && gpa < ALIGN_UP(mem_bytes, SZ_2M); gpa += SZ_2M) {
		u64 pde = gpa | PTE_P | PTE_W | PTE_PS;
		r = copy_to_guest(vm, GUEST_PD_GPA + (gpa / SZ_2M) * 8, &pde, sizeof(pde));
	}
	return r;
}

/* The descriptors behind the selectors vcpu_init() loads (hv/vmx.c sets the same attributes). */
static int build_gdt(struct vm *vm)
{
	const u64 code64 = 0x00af9b000000ffffULL, data = 0x00cf93000000ffffULL;
	const u64 tss_lo = GUEST_TSS_LIMIT | ((GUEST_TSS_GPA & 0xffffff) << 16) | (0x8bULL << 40) |
			   (((GUEST_TSS_GPA >> 24) & 0xff) << 56);
	u64 gdt[5] = { 0, code64, data, tss_lo, GUEST_TSS_GPA >> 32 };

	return copy_to_guest(vm, GUEST_GDT_GPA, gdt, sizeof(gdt));
}

int guest_load_elf(struct vm *vm, u64 mem_bytes, const void *image, u64 len, const char *cmdline,
		   struct guest_entry *entry, const char **why)
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
	if ((*why = check_header(h, len)))
		return -ENOEXEC;
	ph = (const struct elf64_phdr *)((const u8 *)image + h->e_phoff);
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
		r = copy_to_guest(vm, ph[i].p_paddr, (const u8 *)image + ph[i].p_offset, ph[i].p_filesz);
		if (r)
			return r;
	}
	r = build_page_tables(vm, mem_bytes);
	if (!r)
		r = build_gdt(vm);
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
	};
	r = copy_to_guest(vm, GUEST_BOOT_GPA, &boot, sizeof(boot));
	if (!r && cmdlen)
		r = copy_to_guest(vm, CMDLINE_GPA, cmdline, cmdlen + 1);
	if (r)
		return r;
	*entry = (struct guest_entry){ h->e_entry, GUEST_STACK_TOP, GUEST_BOOT_GPA, GUEST_PT_GPA };
	return 0;
}
