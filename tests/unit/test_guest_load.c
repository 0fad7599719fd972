/* The ELF64 guest loader: what it places where, and every malformed image refused by name. */
#include <string.h>
#include <keyhole/guest_boot.h>
#include "hv/vm/vm.h"
#include <fmt/elf.h>
#include "hv/loader/guest_load.h"
#include "mm/pte.h"
#include "sim.h"
#include "test.h"

#define MEM (16ULL << 20)

struct img {
	struct elf64_ehdr h;
	struct elf64_phdr ph[2];
	u8 text[64];
	u8 data[32];
};

static void make_image(struct img *im)
{
	memset(im, 0, sizeof(*im));
	im->h.e_magic = ELF_MAGIC;
	im->h.e_class = ELFCLASS64;
	im->h.e_data = ELFDATA2LSB;
	im->h.e_version_ident = EV_CURRENT;
	im->h.e_type = ET_EXEC;
	im->h.e_machine = EM_X86_64;
	im->h.e_version = EV_CURRENT;
	im->h.e_entry = 0x100010;
	im->h.e_phoff = offsetof(struct img, ph);
	im->h.e_ehsize = sizeof(im->h);
	im->h.e_phentsize = sizeof(struct elf64_phdr);
	im->h.e_phnum = 2;
	im->ph[0] = (struct elf64_phdr){ PT_LOAD, 5, offsetof(struct img, text), 0x100000, 0x100000,
					 sizeof(im->text), sizeof(im->text), 0x1000 };
	im->ph[1] = (struct elf64_phdr){ PT_LOAD, 6, offsetof(struct img, data), 0x101000, 0x101000,
					 sizeof(im->data), 0x3000, 0x1000 };
	for (unsigned int i = 0; i < sizeof(im->text); i++)
		im->text[i] = (u8)(0x90 + i);
	memcpy(im->data, "hello, guest", 13);
}

static void make_vm(struct vm *vm)
{
	sim_boot_standard();
	EXPECT_EQ(vm_mem_init(vm, 0, 2), 0);
	EXPECT_EQ(vm_mem_add(vm, _gfn(0), MEM >> PAGE_SHIFT), 0);
}

static u8 *guest_byte(struct vm *vm, u64 gpa)
{
	mfn_t m;
	EXPECT_EQ(guest_mem_lookup(&vm->mem, gpa_to_gfn(gpa), &m), 0);
	return sim_phys(mfn_to_pa(m) + (gpa & (PAGE_SIZE - 1)));
}

TEST(guest_load_places_segments_tables_and_boot_block)
{
	struct vm vm;
	struct img im;
	struct guest_entry e;
	const char *why;

	make_vm(&vm);
	make_image(&im);
	EXPECT_EQ(guest_load_elf(&vm.mem, MEM, &im, sizeof(im), "loglevel=debug", 1, &e, &why), 0);
	EXPECT(why == NULL);
	EXPECT_EQ(e.rip, 0x100010);
	EXPECT_EQ(e.rdi, GUEST_BOOT_GPA);
	EXPECT_EQ(e.rsp, GUEST_STACK_TOP);
	EXPECT_EQ(e.cr3, GUEST_PT_GPA);
	EXPECT(memcmp(guest_byte(&vm, 0x100000), im.text, sizeof(im.text)) == 0);
	EXPECT(strcmp((char *)guest_byte(&vm, 0x101000), "hello, guest") == 0);
	EXPECT_EQ(*guest_byte(&vm, 0x101000 + 0x2fff), 0); /* bss */

	struct kh_guest_boot *b = (void *)guest_byte(&vm, GUEST_BOOT_GPA);
	EXPECT_EQ(b->magic, KH_GUEST_BOOT_MAGIC);
	EXPECT_EQ(b->mem_size, MEM);
	EXPECT_EQ(b->free_gpa, 0x104000);
	EXPECT_EQ(b->stack_top, GUEST_STACK_TOP);
	EXPECT_EQ(b->cmdline_len, 14);
	EXPECT(strcmp((char *)guest_byte(&vm, b->cmdline_gpa), "loglevel=debug") == 0);

	/* the guest's page tables identity-map its memory with 2 MiB pages */
	u64 pml4 = *(u64 *)guest_byte(&vm, GUEST_PT_GPA);
	EXPECT(pml4 & PTE_P);
	u64 pdpt = *(u64 *)guest_byte(&vm, pml4 & PTE_ADDR_MASK);
	u64 pde7 = *(u64 *)guest_byte(&vm, (pdpt & PTE_ADDR_MASK) + 7 * 8);
	EXPECT_EQ(pde7, 7 * SZ_2M | PTE_P | PTE_W | PTE_PS);
	u64 pde8 = *(u64 *)guest_byte(&vm, (pdpt & PTE_ADDR_MASK) + 8 * 8);
	EXPECT_EQ(pde8, 0); /* 16 MiB: eight 2 MiB pages */

	/* a GDT matching the selectors the guest starts with */
	u64 *gdt = (u64 *)guest_byte(&vm, GUEST_GDT_GPA);
	EXPECT_EQ(gdt[0], 0);
	EXPECT(gdt[GUEST_SEL_CODE / 8] & (1ULL << 53)); /* L: 64-bit code */
	EXPECT(gdt[GUEST_SEL_DATA / 8] & (1ULL << 47)); /* present */
	EXPECT_EQ((gdt[GUEST_SEL_TSS / 8] >> 40) & 0xf, 0xb); /* busy 64-bit TSS */
	EXPECT_EQ((gdt[GUEST_SEL_TSS / 8] >> 16) & 0xffffff, GUEST_TSS_GPA);
}

TEST(guest_load_gives_each_vcpu_its_block_and_stack)
{
	struct vm vm;
	struct img im;
	struct guest_entry e;
	const char *why;

	make_vm(&vm);
	make_image(&im);
	EXPECT_EQ(guest_load_elf(&vm.mem, MEM, &im, sizeof(im), "vcpus=8", KH_GUEST_VCPUS_MAX, &e, &why), 0);
	EXPECT_EQ(e.nr_vcpus, KH_GUEST_VCPUS_MAX);
	u64 prev_stack = 0;
	for (unsigned int k = 0; k < KH_GUEST_VCPUS_MAX; k++) {
		struct guest_entry v = guest_entry_of_vcpu(&e, k);
		const struct kh_guest_boot *b = (const void *)guest_byte(&vm, v.rdi);
		EXPECT_EQ(v.rip, e.rip);
		EXPECT_EQ(v.cr3, e.cr3);
		EXPECT_EQ(b->magic, KH_GUEST_BOOT_MAGIC);
		EXPECT_EQ(b->version, 2);
		EXPECT_EQ(b->vcpu_index, k);
		EXPECT_EQ(b->nr_vcpus, KH_GUEST_VCPUS_MAX);
		EXPECT_EQ(b->stack_top, v.rsp);
		EXPECT_EQ(b->mem_size, MEM);
		EXPECT_EQ(b->cmdline_len, 7);
		EXPECT(strcmp((char *)guest_byte(&vm, b->cmdline_gpa), "vcpus=8") == 0);
		/* the stacks do not overlap: each at least 32 KiB below the one before, all above the tables */
		if (k)
			EXPECT(prev_stack - v.rsp >= 0x8000);
		EXPECT(v.rsp - 0x8000 >= GUEST_TSS_GPA + PAGE_SIZE);
		EXPECT(v.rsp <= GUEST_IMAGE_MIN);
		prev_stack = v.rsp;
	}
	/* vCPU 0's block is the one a version-1 guest knows */
	EXPECT_EQ(guest_entry_of_vcpu(&e, 0).rdi, GUEST_BOOT_GPA);
	EXPECT_EQ(guest_load_elf(&vm.mem, MEM, &im, sizeof(im), NULL, 0, &e, &why), -EINVAL);
	EXPECT(why != NULL);
	EXPECT_EQ(guest_load_elf(&vm.mem, MEM, &im, sizeof(im), NULL, KH_GUEST_VCPUS_MAX + 1, &e, &why), -EINVAL);
}

TEST(guest_load_works_on_protected_memory)
{
	struct vm vm;
	struct img im;
	struct guest_entry e;
	const char *why;

	make_vm(&vm);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	make_image(&im);
	EXPECT_EQ(guest_load_elf(&vm.mem, MEM, &im, sizeof(im), NULL, 1, &e, &why), 0);
	EXPECT(memcmp(guest_byte(&vm, 0x100000), im.text, sizeof(im.text)) == 0);
	EXPECT_EQ(((struct kh_guest_boot *)guest_byte(&vm, GUEST_BOOT_GPA))->cmdline_gpa, 0);
}

struct bad_case {
	const char *what;
	void (*spoil)(struct img *im, u64 *len);
};

static void short_file(struct img *im, u64 *len) { (void)im; *len = 10; }
static void bad_magic(struct img *im, u64 *len) { (void)len; im->h.e_magic = 0x12345678; }
static void class32(struct img *im, u64 *len) { (void)len; im->h.e_class = 1; }
static void big_endian(struct img *im, u64 *len) { (void)len; im->h.e_data = 2; }
static void not_exec(struct img *im, u64 *len) { (void)len; im->h.e_type = 3; }
static void arm64(struct img *im, u64 *len) { (void)len; im->h.e_machine = 183; }
static void phentsize(struct img *im, u64 *len) { (void)len; im->h.e_phentsize = 32; }
static void no_phdrs(struct img *im, u64 *len) { (void)len; im->h.e_phnum = 0; }
static void phoff_far(struct img *im, u64 *len) { (void)len; im->h.e_phoff = ~0ULL - 8; }
static void phnum_big(struct img *im, u64 *len) { (void)len; im->h.e_phnum = 0xffff; }
static void filesz_big(struct img *im, u64 *len) { (void)len; im->ph[1].p_filesz = 0x4000; }
static void beyond_file(struct img *im, u64 *len) { (void)len; im->ph[1].p_offset = sizeof(*im) - 4; }
static void offset_wraps(struct img *im, u64 *len) { (void)len; im->ph[1].p_offset = ~0ULL - 4; }
static void beyond_mem(struct img *im, u64 *len) { (void)len; im->ph[1].p_paddr = MEM - 0x1000; }
static void addr_wraps(struct img *im, u64 *len) { (void)len; im->ph[1].p_paddr = ~0ULL - 0xfff; }
static void low_area(struct img *im, u64 *len) { (void)len; im->ph[1].p_paddr = 0x2000; }
static void no_load(struct img *im, u64 *len) { (void)len; im->ph[0].p_type = 4; im->ph[1].p_type = 4; }
static void bad_entry(struct img *im, u64 *len) { (void)len; im->h.e_entry = 0x900000; }

static const struct bad_case bad_cases[] = {
	{ "shorter than an ELF header", short_file },
	{ "bad magic", bad_magic },
	{ "not a 64-bit", class32 },
	{ "little-endian", big_endian },
	{ "ET_EXEC", not_exec },
	{ "not an x86-64", arm64 },
	{ "program header size", phentsize },
	{ "no program headers", no_phdrs },
	{ "beyond the end of the file", phoff_far },
	{ "beyond the end of the file", phnum_big },
	{ "file size exceeds", filesz_big },
	{ "beyond the end of the file", beyond_file },
	{ "beyond the end of the file", offset_wraps },
	{ "does not fit in guest memory", beyond_mem },
	{ "wraps around", addr_wraps },
	{ "keyhole's guest area", low_area },
	{ "no loadable segment", no_load },
	{ "entry point", bad_entry },
};

TEST(guest_load_refuses_malformed_images_by_name)
{
	struct vm vm;
	struct guest_entry e;
	const char *why;

	make_vm(&vm);
	for (unsigned int i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		static struct img im;
		u64 len = sizeof(im);
		make_image(&im);
		bad_cases[i].spoil(&im, &len);
		int r = guest_load_elf(&vm.mem, MEM, &im, len, NULL, 1, &e, &why);
		if (r != -ENOEXEC || !why || !strstr(why, bad_cases[i].what)) {
			fprintf(stderr, "    case %u (%s): r=%d why=%s\n", i, bad_cases[i].what, r, why ? why : "(null)");
			EXPECT(r == -ENOEXEC && why && strstr(why, bad_cases[i].what));
		}
	}
	/* nothing was written by any refused load */
	EXPECT_EQ(*guest_byte(&vm, 0x100000), 0);
	EXPECT_EQ(*(u32 *)guest_byte(&vm, GUEST_BOOT_GPA), 0);
	EXPECT_EQ(*(u64 *)guest_byte(&vm, GUEST_PT_GPA), 0);
}

TEST(guest_load_refuses_bad_memory_sizes_and_cmdlines)
{
	struct vm vm;
	struct img im;
	struct guest_entry e;
	const char *why;
	static char longline[5000];

	make_vm(&vm);
	make_image(&im);
	EXPECT_EQ(guest_load_elf(&vm.mem, MEM + PAGE_SIZE, &im, sizeof(im), NULL, 1, &e, &why), -EINVAL);
	EXPECT(strstr(why, "multiple of 2 MiB") != NULL);
	EXPECT_EQ(guest_load_elf(&vm.mem, 8ULL << 30, &im, sizeof(im), NULL, 1, &e, &why), -EINVAL);
	memset(longline, 'x', sizeof(longline) - 1);
	EXPECT_EQ(guest_load_elf(&vm.mem, MEM, &im, sizeof(im), longline, 1, &e, &why), -EINVAL);
	EXPECT(strstr(why, "command line") != NULL);
}
