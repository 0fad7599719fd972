/*
 * The bzImage loader on the simulated machine: where it puts the kernel, the
 * initrd and the zero page, the entry state it promises, that it works on
 * protected memory, and every bad input refused by name with guest memory
 * left untouched.  The "bzImage" is synthetic: a setup header with the fields
 * a 64-bit loader reads, and a few recognisable bytes of "kernel".
 */
#include <string.h>
#include "hv/vm/vm.h"
#include <fmt/linux_boot.h>
#include "hv/loader/linux_load.h"
#include "mm/pte.h"
#include "sim.h"
#include "test.h"

#define MEM (64ULL << 20)
#define SETUP_SECTS 2
#define PM_OFFSET ((SETUP_SECTS + 1) * LINUX_SECTOR_SIZE)
#define PM_BYTES 0x1800
#define KERNEL_BYTES (PM_OFFSET + PM_BYTES)
#define INIT_SIZE (8ULL << 20)
#define LOAD (16ULL << 20)
#define INITRD_BYTES 0x2345

static u8 kernel[KERNEL_BYTES];
static u8 initrd[INITRD_BYTES];

static struct linux_setup_header *hdr(void)
{
	return (struct linux_setup_header *)(kernel + LINUX_SETUP_HEADER_OFFSET);
}

/* Debian 12's kernel, in the fields that matter: protocol 2.15, relocatable, 64-bit. */
static void make_kernel(void)
{
	struct linux_setup_header *h = hdr();

	memset(kernel, 0, sizeof(kernel));
	h->setup_sects = SETUP_SECTS;
	h->boot_flag = LINUX_BOOT_FLAG;
	h->jump = 0x6aeb; /* short jump past the header: 0x202 + 0x6a = 0x26c */
	h->header = LINUX_HEADER_MAGIC;
	h->version = 0x020f;
	h->loadflags = LINUX_LOADED_HIGH;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = SZ_2M;
	h->relocatable_kernel = 1;
	h->xloadflags = 0x7f;
	h->cmdline_size = 2047;
	h->pref_address = LOAD;
	h->init_size = INIT_SIZE;
	h->syssize = PM_BYTES / LINUX_SYSSIZE_UNIT; /* the file ends where the kernel does, as tools/build.c writes it */
	h->payload_offset = 0x100;
	h->payload_length = PM_BYTES - 0x200;
	for (unsigned int i = 0; i < PM_BYTES; i++)
		kernel[PM_OFFSET + i] = (u8)(i * 7 + 1);
	for (unsigned int i = 0; i < INITRD_BYTES; i++)
		initrd[i] = (u8)(i * 13 + 5);
}

static void make_vm(struct vm *vm, u64 mem)
{
	sim_boot_standard();
	EXPECT_EQ(vm_mem_init(vm, 0, 2), 0);
	EXPECT_EQ(vm_mem_add(vm, _gfn(0), mem >> PAGE_SHIFT), 0);
}

/* Reads guest memory through the bus, independently of the code under test. */
static void peek(struct vm *vm, u64 gpa, void *dst, u64 len)
{
	u8 *d = dst;

	while (len) {
		mfn_t m;
		u64 chunk = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		EXPECT_EQ(guest_mem_lookup(&vm->mem, gpa_to_gfn(gpa), &m), 0);
		memcpy(d, sim_phys(mfn_to_pa(m) + (gpa & (PAGE_SIZE - 1))), chunk);
		d += chunk;
		gpa += chunk;
		len -= chunk;
	}
}

static bool guest_all_zero(struct vm *vm, u64 gpa, u64 len)
{
	static u8 buf[INITRD_BYTES > PM_BYTES ? INITRD_BYTES : PM_BYTES];

	peek(vm, gpa, buf, len);
	for (u64 i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

static void check_loaded(struct vm *vm, const struct guest_entry *e, const struct linux_layout *l)
{
	static struct linux_boot_params bp;
	static u8 buf[INITRD_BYTES];
	char cmd[64];

	EXPECT_EQ(l->kernel_gpa, LOAD);
	EXPECT_EQ(l->kernel_bytes, INIT_SIZE);
	EXPECT_EQ(l->protocol, 0x20f);
	EXPECT_EQ(l->initrd_bytes, INITRD_BYTES);
	EXPECT_EQ(l->initrd_gpa, ALIGN_DOWN(MEM - INITRD_BYTES, PAGE_SIZE));

	/* 64-bit entry: startup_64 at load + 0x200, RSI the zero page, the protocol's selectors */
	EXPECT_EQ(e->rip, LOAD + 0x200);
	EXPECT_EQ(e->rsi, LINUX_ZERO_PAGE_GPA);
	EXPECT_EQ(e->cr3, LINUX_PT_GPA);
	EXPECT_EQ(e->sel_code, 0x10);
	EXPECT_EQ(e->sel_data, 0x18);
	EXPECT_EQ(e->platform, GUEST_PLATFORM_PC);

	peek(vm, LOAD, buf, PM_BYTES);
	EXPECT(memcmp(buf, kernel + PM_OFFSET, PM_BYTES) == 0);
	peek(vm, l->initrd_gpa, buf, INITRD_BYTES);
	EXPECT(memcmp(buf, initrd, INITRD_BYTES) == 0);

	peek(vm, LINUX_ZERO_PAGE_GPA, &bp, sizeof(bp));
	EXPECT_EQ(bp.hdr.header, LINUX_HEADER_MAGIC); /* the setup header, copied */
	EXPECT_EQ(bp.hdr.init_size, INIT_SIZE);
	EXPECT_EQ(bp.hdr.type_of_loader, LINUX_LOADER_TYPE_UNDEFINED);
	EXPECT_EQ(bp.hdr.ramdisk_image, l->initrd_gpa);
	EXPECT_EQ(bp.hdr.ramdisk_size, INITRD_BYTES);
	EXPECT_EQ(bp.ext_ramdisk_image, 0);
	EXPECT_EQ(bp.hdr.cmd_line_ptr, LINUX_CMDLINE_GPA);
	EXPECT_EQ(bp.sentinel, 0);
	EXPECT_EQ(bp.acpi_rsdp_addr, 0);
	peek(vm, LINUX_CMDLINE_GPA, cmd, sizeof("console=ttyS0 quiet"));
	EXPECT(strcmp(cmd, "console=ttyS0 quiet") == 0);

	/* e820: RAM below the legacy hole, the hole reserved, RAM from 1 MiB to the end */
	EXPECT_EQ(bp.e820_entries, 3);
	EXPECT_EQ(bp.e820_table[0].addr, 0);
	EXPECT_EQ(bp.e820_table[0].size, 0xa0000);
	EXPECT_EQ(bp.e820_table[0].type, LINUX_E820_RAM);
	EXPECT_EQ(bp.e820_table[1].addr, 0xa0000);
	EXPECT_EQ(bp.e820_table[1].type, LINUX_E820_RESERVED);
	EXPECT_EQ(bp.e820_table[2].addr, 0x100000);
	EXPECT_EQ(bp.e820_table[2].addr + bp.e820_table[2].size, MEM);
	EXPECT_EQ(bp.e820_table[2].type, LINUX_E820_RAM);

	/* identity map: the PD entry of the load address, and the GDT behind the selectors */
	u64 pml4, pdpt, pde, gdt[6];
	peek(vm, LINUX_PT_GPA, &pml4, 8);
	peek(vm, pml4 & PTE_ADDR_MASK, &pdpt, 8);
	peek(vm, (pdpt & PTE_ADDR_MASK) + (LOAD / SZ_2M) * 8, &pde, 8);
	EXPECT_EQ(pde, LOAD | PTE_P | PTE_W | PTE_PS);
	peek(vm, LINUX_GDT_GPA, gdt, sizeof(gdt));
	EXPECT_EQ(gdt[0], 0);
	EXPECT_EQ(gdt[1], 0);
	EXPECT(gdt[2] & (1ULL << 53));        /* 0x10: 64-bit code */
	EXPECT_EQ((gdt[3] >> 40) & 0x9f, 0x93); /* 0x18: present read/write data */
	EXPECT_EQ((gdt[4] >> 40) & 0xf, 0xb); /* 0x20: busy 64-bit TSS */
}

TEST(linux_load_places_kernel_initrd_and_zero_page)
{
	struct vm vm;
	struct guest_entry e;
	struct linux_layout l;
	const char *why;

	make_vm(&vm, MEM);
	make_kernel();
	EXPECT_EQ(linux_load(&vm.mem, MEM, kernel, sizeof(kernel), initrd, sizeof(initrd), "console=ttyS0 quiet", &e,
			     &l, &why), 0);
	EXPECT(why == NULL);
	check_loaded(&vm, &e, &l);
}

TEST(linux_load_works_on_protected_memory)
{
	struct vm vm;
	struct guest_entry e;
	struct linux_layout l;
	const char *why;

	make_vm(&vm, MEM);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	make_kernel();
	EXPECT_EQ(linux_load(&vm.mem, MEM, kernel, sizeof(kernel), initrd, sizeof(initrd), "console=ttyS0 quiet", &e,
			     &l, &why), 0);
	check_loaded(&vm, &e, &l);
}

TEST(linux_load_without_initrd_or_cmdline)
{
	struct vm vm;
	struct guest_entry e;
	struct linux_layout l;
	struct linux_boot_params bp;
	const char *why;

	make_vm(&vm, MEM);
	make_kernel();
	EXPECT_EQ(linux_load(&vm.mem, MEM, kernel, sizeof(kernel), NULL, 0, NULL, &e, &l, &why), 0);
	EXPECT_EQ(l.initrd_gpa, 0);
	peek(&vm, LINUX_ZERO_PAGE_GPA, &bp, sizeof(bp));
	EXPECT_EQ(bp.hdr.ramdisk_image, 0);
	EXPECT_EQ(bp.hdr.ramdisk_size, 0);
	EXPECT_EQ(bp.hdr.cmd_line_ptr, 0);
}

TEST(linux_load_relocates_an_unaligned_preference)
{
	struct vm vm;
	struct guest_entry e;
	struct linux_layout l;
	const char *why;

	make_vm(&vm, MEM);
	make_kernel();
	hdr()->pref_address = LOAD + 0x1000;
	EXPECT_EQ(linux_load(&vm.mem, MEM, kernel, sizeof(kernel), NULL, 0, NULL, &e, &l, &why), 0);
	EXPECT_EQ(l.kernel_gpa, LOAD + SZ_2M);
	EXPECT_EQ(e.rip, LOAD + SZ_2M + 0x200);
}

/* The oldest protocol keyhole takes, with its shorter header (to 0x268): loaded. */
TEST(linux_load_takes_protocol_2_12)
{
	struct vm vm;
	struct guest_entry e;
	struct linux_layout l;
	const char *why;

	make_vm(&vm, MEM);
	make_kernel();
	hdr()->version = 0x020c;
	hdr()->jump = 0x66eb;
	EXPECT_EQ(linux_load(&vm.mem, MEM, kernel, sizeof(kernel), NULL, 0, NULL, &e, &l, &why), 0);
	EXPECT_EQ(l.protocol, 0x20c);
}

struct bad_case {
	const char *what;
	int err;
	u64 klen, ilen, mem;
	const char *cmdline;
	void (*spoil)(struct linux_setup_header *h);
};

static void no_magic(struct linux_setup_header *h) { h->header = 0x464c457f; }
static void no_boot_flag(struct linux_setup_header *h) { h->boot_flag = 0; }
static void old_protocol(struct linux_setup_header *h) { h->version = 0x020b; }
static void zimage(struct linux_setup_header *h) { h->loadflags = 0; }
static void no_64bit(struct linux_setup_header *h) { h->xloadflags = 0; }
static void huge_setup(struct linux_setup_header *h) { h->setup_sects = 200; }
static void huge_init(struct linux_setup_header *h) { h->init_size = 60u << 20; }
static void high_pref(struct linux_setup_header *h) { h->pref_address = 1ULL << 40; }
static void bad_align(struct linux_setup_header *h) { h->kernel_alignment = 3 << 20; }
static void low_fixed(struct linux_setup_header *h) { h->relocatable_kernel = 0; h->pref_address = 0x10000; }
static void long_header(struct linux_setup_header *h) { h->jump = 0xffeb; }
static void short_header(struct linux_setup_header *h) { h->jump = 0x40eb; }
static void low_initrd_max(struct linux_setup_header *h) { h->initrd_addr_max = LOAD + 0x1000; }
static void small_cmdline(struct linux_setup_header *h) { h->cmdline_size = 4; }

static const struct bad_case bad_cases[] = {
	{ "too short", -ENOEXEC, 0x100, 0, MEM, NULL, NULL },
	{ "not a bzImage: no \"HdrS\"", -ENOEXEC, KERNEL_BYTES, 0, MEM, NULL, no_magic },
	{ "not a bzImage: no \"HdrS\"", -ENOEXEC, KERNEL_BYTES, 0, MEM, NULL, no_boot_flag },
	{ "boot protocol too old", -ENOEXEC, KERNEL_BYTES, 0, MEM, NULL, old_protocol },
	{ "zImage", -ENOEXEC, KERNEL_BYTES, 0, MEM, NULL, zimage },
	{ "no 64-bit entry", -ENOEXEC, KERNEL_BYTES, 0, MEM, NULL, no_64bit },
	{ "no protected-mode kernel", -ENOEXEC, KERNEL_BYTES, 0, MEM, NULL, huge_setup },
	{ "no protected-mode kernel", -ENOEXEC, PM_OFFSET, 0, MEM, NULL, NULL },
	{ "header's length", -ENOEXEC, KERNEL_BYTES, 0, MEM, NULL, long_header },
	{ "header's length", -ENOEXEC, KERNEL_BYTES, 0, MEM, NULL, short_header },
	{ "kernel does not fit", -E2BIG, KERNEL_BYTES, 0, MEM, NULL, huge_init },
	{ "kernel does not fit", -E2BIG, KERNEL_BYTES, 0, MEM, NULL, high_pref },
	{ "kernel does not fit", -E2BIG, KERNEL_BYTES, 0, 16ULL << 20, NULL, NULL },
	{ "power of two", -ENOEXEC, KERNEL_BYTES, 0, MEM, NULL, bad_align },
	{ "not relocatable", -ENOEXEC, KERNEL_BYTES, 0, MEM, NULL, low_fixed },
	{ "initrd does not fit", -E2BIG, KERNEL_BYTES, (40ULL << 20) + 1, MEM, NULL, NULL },
	{ "initrd does not fit", -E2BIG, KERNEL_BYTES, 1ULL << 40, MEM, NULL, NULL },
	{ "initrd does not fit", -E2BIG, KERNEL_BYTES, INITRD_BYTES, MEM, NULL, low_initrd_max },
	{ "command line", -E2BIG, KERNEL_BYTES, 0, MEM, "console=ttyS0", small_cmdline },
	{ "multiple of 2 MiB", -EINVAL, KERNEL_BYTES, 0, MEM + PAGE_SIZE, NULL, NULL },
	{ "multiple of 2 MiB", -EINVAL, KERNEL_BYTES, 0, 8ULL << 30, NULL, NULL },
};

TEST(linux_load_refuses_bad_input_by_name)
{
	static u8 big_initrd[1];
	struct vm vm;
	struct guest_entry e;
	const char *why;

	make_vm(&vm, MEM);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		make_kernel();
		if (c->spoil)
			c->spoil(hdr());
		/* the initrd's bytes are never read when it is refused: its length is what counts */
		const void *ird = c->ilen > sizeof(initrd) ? (const void *)big_initrd : initrd;
		int r = linux_load(&vm.mem, c->mem, kernel, c->klen, c->ilen ? ird : NULL, c->ilen, c->cmdline, &e, NULL,
				   &why);
		if (r != c->err || !why || !strstr(why, c->what)) {
			fprintf(stderr, "    case %u (%s): r=%d why=%s\n", i, c->what, r, why ? why : "(null)");
			EXPECT(r == c->err && why && strstr(why, c->what));
		}
	}
	/* nothing was written by any refused load */
	EXPECT(guest_all_zero(&vm, LOAD, PM_BYTES));
	EXPECT(guest_all_zero(&vm, LINUX_ZERO_PAGE_GPA, PAGE_SIZE));
	EXPECT(guest_all_zero(&vm, LINUX_PT_GPA, PAGE_SIZE));
	EXPECT(guest_all_zero(&vm, ALIGN_DOWN(MEM - INITRD_BYTES, PAGE_SIZE), INITRD_BYTES));
}

TEST(linux_load_refuses_an_elf_file)
{
	struct vm vm;
	struct guest_entry e;
	const char *why;
	static u8 elf[4096] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };

	make_vm(&vm, MEM);
	EXPECT_EQ(linux_load(&vm.mem, MEM, elf, sizeof(elf), NULL, 0, NULL, &e, NULL, &why), -ENOEXEC);
	EXPECT(why && strstr(why, "not a bzImage"));
}

TEST(linux_load_places_the_initrd_at_the_edges_it_may_use)
{
	static u8 big[(40ULL << 20)];
	struct vm vm;
	struct guest_entry e;
	struct linux_layout l;
	const char *why;

	/* exactly the room between the kernel's init_size and the end of memory */
	make_vm(&vm, MEM);
	make_kernel();
	EXPECT_EQ(linux_load(&vm.mem, MEM, kernel, sizeof(kernel), big, sizeof(big), NULL, &e, &l, &why), 0);
	EXPECT_EQ(l.initrd_gpa, LOAD + INIT_SIZE);

	/* below initrd_addr_max when that is lower than the end of memory */
	make_vm(&vm, MEM);
	make_kernel();
	hdr()->initrd_addr_max = (48 << 20) - 1;
	EXPECT_EQ(linux_load(&vm.mem, MEM, kernel, sizeof(kernel), initrd, sizeof(initrd), NULL, &e, &l, &why), 0);
	EXPECT_EQ(l.initrd_gpa, ALIGN_DOWN((48ULL << 20) - INITRD_BYTES, PAGE_SIZE));
}

/*
 * The lengths the header gives, each against the file: every refusal has its
 * own test and its own message naming the field.
 */
static void expect_refused(u64 klen, const char *what)
{
	struct vm vm;
	struct guest_entry e;
	const char *why;

	make_vm(&vm, MEM);
	int r = linux_load(&vm.mem, MEM, kernel, klen, initrd, sizeof(initrd), "console=ttyS0", &e, NULL, &why);
	EXPECT_EQ(r, -ENOEXEC);
	EXPECT(why && strstr(why, what));
	if (!why || !strstr(why, what))
		fprintf(stderr, "    why=%s\n", why ? why : "(null)");
	EXPECT(guest_all_zero(&vm, LOAD, PM_BYTES));
	EXPECT(guest_all_zero(&vm, LINUX_ZERO_PAGE_GPA, PAGE_SIZE));
}

/* Issue #11: a kernel cut short was started and triple-faulted at its first instructions. */
TEST(linux_load_refuses_a_truncated_kernel)
{
	make_kernel();
	expect_refused(KERNEL_BYTES - 1, "truncated");
	expect_refused(PM_OFFSET + PM_BYTES / 2, "truncated");
	expect_refused(PM_OFFSET + 1, "truncated");
}

TEST(linux_load_refuses_setup_sects_past_the_file)
{
	make_kernel();
	hdr()->setup_sects = 200;
	expect_refused(KERNEL_BYTES, "(setup_sects)");
}

TEST(linux_load_refuses_a_zero_syssize)
{
	make_kernel();
	hdr()->syssize = 0;
	expect_refused(KERNEL_BYTES, "syssize is 0");
}

TEST(linux_load_refuses_a_payload_past_the_kernel)
{
	make_kernel();
	hdr()->payload_length = PM_BYTES - 0x100 + 1; /* one byte past syssize */
	expect_refused(KERNEL_BYTES, "(payload_offset, payload_length)");
	make_kernel();
	hdr()->payload_offset = 0xffffffff; /* the sum must not wrap in 32 bits */
	hdr()->payload_length = 0xffffffff;
	expect_refused(KERNEL_BYTES, "(payload_offset, payload_length)");
}

TEST(linux_load_refuses_init_size_below_the_kernel)
{
	make_kernel();
	hdr()->init_size = PM_BYTES - 1;
	expect_refused(KERNEL_BYTES, "init_size is smaller");
}

/* What the lengths allow: a payload to the kernel's last byte, setup_sects 0 (4), bytes after syssize. */
TEST(linux_load_takes_lengths_at_their_limits)
{
	static u8 signed_kernel[KERNEL_BYTES + 0x400];
	static u8 buf[PM_BYTES];
	struct vm vm;
	struct guest_entry e;
	struct linux_layout l;
	const char *why;

	make_vm(&vm, MEM);
	make_kernel();
	hdr()->payload_length = PM_BYTES - 0x100;
	hdr()->init_size = PM_BYTES;
	EXPECT_EQ(linux_load(&vm.mem, MEM, kernel, sizeof(kernel), NULL, 0, NULL, &e, &l, &why), 0);

	/* setup_sects 0 means 4: the kernel starts 5 sectors in, and syssize counts from there */
	make_vm(&vm, MEM);
	make_kernel();
	hdr()->setup_sects = 0;
	hdr()->syssize = (KERNEL_BYTES - 5 * LINUX_SECTOR_SIZE) / LINUX_SYSSIZE_UNIT;
	hdr()->payload_length = 0x100;
	EXPECT_EQ(linux_load(&vm.mem, MEM, kernel, sizeof(kernel), NULL, 0, NULL, &e, &l, &why), 0);
	peek(&vm, LOAD, buf, KERNEL_BYTES - 5 * LINUX_SECTOR_SIZE);
	EXPECT(memcmp(buf, kernel + 5 * LINUX_SECTOR_SIZE, KERNEL_BYTES - 5 * LINUX_SECTOR_SIZE) == 0);

	/* a signed kernel: its signature follows the syssize bytes */
	make_vm(&vm, MEM);
	make_kernel();
	memcpy(signed_kernel, kernel, KERNEL_BYTES);
	memset(signed_kernel + KERNEL_BYTES, 0x5a, sizeof(signed_kernel) - KERNEL_BYTES);
	EXPECT_EQ(linux_load(&vm.mem, MEM, signed_kernel, sizeof(signed_kernel), NULL, 0, NULL, &e, &l, &why), 0);
	peek(&vm, LOAD, buf, PM_BYTES);
	EXPECT(memcmp(buf, kernel + PM_OFFSET, PM_BYTES) == 0);
}
