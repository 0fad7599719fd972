/*
 * A hostile guest: each run performs one attack on keyhole, chosen by its
 * command line (case=NAME), and keyhole must contain it, report it by name
 * and go on with the next guest.  tests/bochs/adversarial.sh knows what each
 * case must end in; cases that the guest itself can judge print PASS/FAIL
 * lines and exit with the failure count.
 *
 * The guest reaches guest-physical addresses outside its memory by adding
 * 2 MiB mappings to the page tables keyhole built for it (they are in its own
 * memory, writable), then touching them: the EPT, not the guest's page
 * tables, is what must stop it.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyhole/hypercall.h>
#include <keyhole/kvm_para.h>
#include "kh.h"
#include "report.h"
#include "rt.h"
#include "state.h"
#include "user.h"

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_PS 0x80ull
#define PTE_ADDR 0x000ffffffffff000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull
#define PAGE ((uint64_t)4096)

static uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static uint64_t *table(uint64_t pa)
{
	return (uint64_t *)(uintptr_t)(pa & PTE_ADDR); /* guest memory is identity-mapped */
}

/* A free page for a new page-table level: from the top of the guest's own free memory. */
static uint64_t spare_page(void)
{
	static uint64_t next;

	if (!next)
		next = kh_boot_info()->mem_size;
	next -= PAGE;
	memset((void *)(uintptr_t)next, 0, PAGE);
	return next;
}

/* Maps the 2 MiB at gpa (below 512 GiB) at the same linear address. */
static volatile uint8_t *map_2m(uint64_t gpa)
{
	uint64_t *pml4 = table(read_cr3());
	uint64_t *pdpt = table(pml4[0]);
	uint64_t *pde_table;

	if (!(pdpt[gpa / SZ_1G] & PTE_P))
		pdpt[gpa / SZ_1G] = spare_page() | PTE_P | PTE_W;
	pde_table = table(pdpt[gpa / SZ_1G]);
	pde_table[(gpa % SZ_1G) / SZ_2M] = (gpa & ~(SZ_2M - 1)) | PTE_P | PTE_W | PTE_PS;
	__asm__ volatile("invlpg (%0)" : : "r"(gpa) : "memory");
	return (volatile uint8_t *)(uintptr_t)gpa;
}

static const char *arg(const char *key)
{
	const struct kh_guest_boot *b = kh_boot_info();
	const char *line = b->cmdline_len ? (const char *)(uintptr_t)b->cmdline_gpa : "";
	size_t n = strlen(key);

	for (const char *p = line; (p = strstr(p, key)); p++)
		if ((p == line || p[-1] == ' ') && p[n] == '=')
			return p + n + 1;
	return "";
}

static bool is_case(const char *name)
{
	const char *c = arg("case");
	size_t n = strlen(name);

	return strncmp(c, name, n) == 0 && (c[n] == 0 || c[n] == ' ');
}

/* ---- attacks whose end keyhole reports ---- */

static void attack_read_far(void)
{
	volatile uint8_t *p = map_2m(0x7fc0000000ull); /* 511 GiB: far beyond guest memory */
	printf("reading gpa 0x7fc0000000\n");
	(void)p[0];
}

static void attack_write_outside(void)
{
	volatile uint8_t *p = map_2m(0x100000000ull); /* 4 GiB */
	printf("writing gpa 0x100000000\n");
	p[0] = 0x42;
}

static void attack_exec_outside(void)
{
	volatile uint8_t *p = map_2m(SZ_1G);
	printf("jumping to gpa 0x40001000\n");
	((void (*)(void))(uintptr_t)(p + 0x1000))();
}

static int attack_last_page(void)
{
	uint64_t end = kh_boot_info()->mem_size;
	volatile uint64_t *last = (volatile uint64_t *)(uintptr_t)(end - 8);

	*last = 0x1122334455667788ull;
	report(*last == 0x1122334455667788ull, "the last 8 bytes of guest memory are usable");
	printf("reading one past the end, gpa 0x%" PRIx64 "\n", end);
	fflush(stdout);
	map_2m(end);
	(void)*(volatile uint8_t *)(uintptr_t)end;
	return 1; /* not reached */
}

static void attack_triple_fault(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } none = { 0, 0 };

	printf("no IDT, then #UD: a triple fault\n");
	fflush(stdout);
	__asm__ volatile("lidt %0; ud2" : : "m"(none));
}

static void attack_string_io(void)
{
	static const char msg[] = "via outsb\n";

	__asm__ volatile("rep outsb" : : "S"(msg), "c"(sizeof(msg) - 1), "d"(0x3f8) : "memory");
}

/* ---- attacks the guest judges itself ---- */

static int64_t call2(uint64_t nr, uint64_t a0, uint64_t a1)
{
	return kh_hypercall2(nr, a0, a1);
}

static int attack_hypercall_ranges(void)
{
	uint64_t pages = kh_boot_info()->mem_size / PAGE;
	static uint8_t buf[PAGE] __attribute__((aligned(4096)));
	uint64_t own = (uintptr_t)buf / PAGE;

	report(kh_hypercall0(KH_HC_ENABLE_MEM_PROTECTED) == 0, "ENABLE_MEM_PROTECTED");
	report(call2(KH_HC_MEM_SHARE, ~0ull, 2) == -KH_EINVAL, "share: gfn + npages wraps");
	report(call2(KH_HC_MEM_SHARE, 1, ~0ull) == -KH_EINVAL, "share: npages wraps");
	report(call2(KH_HC_MEM_SHARE, pages - 1, 2) == -KH_EINVAL, "share: straddles the end of memory");
	report(call2(KH_HC_MEM_UNSHARE, pages, 1) == -KH_EINVAL, "unshare: first gfn past the end");
	report(call2(KH_HC_MEM_SHARE, 0x100000, 16) == -KH_EINVAL, "share: gfns of memory that is not ours (4 GiB)");
	report(call2(KH_HC_MEM_SHARE, 1ull << 36, 1) == -KH_EINVAL, "share: a gfn near the top of the address space");
	report(call2(KH_HC_DIAG_CHECKSUM, 0x200000000ull, 64) == -KH_EINVAL, "checksum: another guest's gpa range");
	report(kh_hypercall3(KH_HC_DIAG_FILL, (pages - 1) * PAGE, 2 * PAGE, 0xcc) == -KH_EINVAL,
	       "fill: straddles the end of memory");
	report(kh_hypercall3(KH_HC_DIAG_COPY, (uintptr_t)buf, pages * PAGE, 8) == -KH_EINVAL,
	       "copy: source past the end");
	/* ABI version 1's numbers are KVM's now: none may act as the call it once was. */
	report(call2(KH_HC_MEM_SHARE - KH_HC_BASE, 0, pages) == -KVM_ENOSYS, "3 (version 1's MEM_SHARE) of all memory is KVM's: -KVM_ENOSYS");
	report(kh_hypercall3(KH_HC_DIAG_FILL - KH_HC_BASE, (uintptr_t)buf, PAGE, 0xcc) == -KVM_ENOSYS && buf[0] == 0,
	       "0x101 (version 1's DIAG_FILL) is KVM's: -KVM_ENOSYS, nothing written");
	report(call2(KH_HC_NOP | (1ull << 32), 0, 0) == -KVM_ENOSYS, "NOP with the high half of RAX set is KVM's");
	report(kh_hypercall1(KH_HC_DIAG_IN_DMAP, own) == 0, "our own page stayed protected through it all");
	report(kh_hypercall0(KH_HC_DIAG_AUDIT) == 0, "the audit is clean");
	return report_summary();
}

/*
 * Every hypercall from CPL 3, each with the arguments that would do the
 * most harm if it were served (DESIGN.md invariant 7): each must get -EPERM
 * and change nothing.  Ring 3 has no console: the calls' results go into
 * memory and are judged back at CPL 0.
 */
#define SECRET_BYTE 0x5e
static uint8_t cpl3_secret[PAGE] __attribute__((aligned(4096)));
static uint8_t cpl3_other[PAGE] __attribute__((aligned(4096)));
static uint8_t cpl3_stack[16384] __attribute__((aligned(16)));

static const struct cpl3_call {
	uint64_t nr;
	const char *name;
} cpl3_calls[] = {
	{ KH_HC_NOP, "NOP" },
	{ KH_HC_EXIT, "EXIT" },
	{ KH_HC_ENABLE_MEM_PROTECTED, "ENABLE_MEM_PROTECTED" },
	{ KH_HC_MEM_SHARE, "MEM_SHARE" },
	{ KH_HC_MEM_UNSHARE, "MEM_UNSHARE" },
	{ KH_HC_DIAG_READ8, "DIAG_READ8" },
	{ KH_HC_DIAG_FILL, "DIAG_FILL" },
	{ KH_HC_DIAG_CHECKSUM, "DIAG_CHECKSUM" },
	{ KH_HC_DIAG_COPY, "DIAG_COPY" },
	{ KH_HC_DIAG_IN_DMAP, "DIAG_IN_DMAP" },
	{ KH_HC_DIAG_DIRTY, "DIAG_DIRTY" },
	{ KH_HC_DIAG_AUDIT, "DIAG_AUDIT" },
	{ KH_HC_DIAG_READ, "DIAG_READ" },
	{ KH_HC_TEST_PLANT_LEAK, "TEST_PLANT_LEAK" },
	{ KH_HC_DIAG_LAST, "an unknown number of keyhole's" },
	{ KVM_HC_VAPIC_POLL_IRQ, "KVM's 1 (version 1's EXIT)" },
	{ KVM_HC_MAP_GPA_RANGE, "KVM's 12 (MAP_GPA_RANGE)" },
};
#define CPL3_CALLS (sizeof(cpl3_calls) / sizeof(cpl3_calls[0]))

struct cpl3_results {
	unsigned int cpl;
	int64_t rax[CPL3_CALLS];
	uint64_t rbx[CPL3_CALLS];
};

static void cpl3_body(void *arg)
{
	struct cpl3_results *res = arg;
	uint64_t pages = kh_boot_info()->mem_size / PAGE;
	uint64_t secret = (uintptr_t)cpl3_secret, other = (uintptr_t)cpl3_other;

	res->cpl = kh_cpl();
	for (unsigned int i = 0; i < CPL3_CALLS; i++) {
		/* a0: the whole memory or the secret page; a1: a length or count; a2: a fill byte */
		uint64_t a0 = secret, a1 = PAGE, a2 = 0x58;

		switch (cpl3_calls[i].nr) {
		case KH_HC_EXIT: case KVM_HC_VAPIC_POLL_IRQ: a0 = 0x55; break;
		case KH_HC_MEM_SHARE: case KH_HC_MEM_UNSHARE: a0 = 0; a1 = pages; break;
		case KH_HC_DIAG_COPY: a0 = secret; a1 = other; a2 = PAGE; break;
		case KH_HC_DIAG_IN_DMAP: case KH_HC_DIAG_DIRTY: case KH_HC_TEST_PLANT_LEAK: a0 = secret / PAGE; break;
		}
		res->rax[i] = kh_hypercall(cpl3_calls[i].nr, a0, a1, a2, 0, &res->rbx[i]);
	}
}

static int attack_cpl3_hypercalls(void)
{
	static struct cpl3_results res;
	uint64_t secret_gfn = (uintptr_t)cpl3_secret / PAGE;

	memset(cpl3_secret, SECRET_BYTE, sizeof(cpl3_secret));
	memset(cpl3_other, 0x0f, sizeof(cpl3_other));
	report(kh_hypercall0(KH_HC_ENABLE_MEM_PROTECTED) == 0, "CPL 0: ENABLE_MEM_PROTECTED");
	int64_t sum = kh_hypercall2(KH_HC_DIAG_CHECKSUM, (uintptr_t)cpl3_secret, PAGE);
	report(kh_hypercall1(KH_HC_DIAG_IN_DMAP, secret_gfn) == 0, "CPL 0: the secret page is protected");

	kh_run_user(cpl3_body, &res, cpl3_stack + sizeof(cpl3_stack));
	report(kh_cpl() == 0 && res.cpl == 3, "the calls ran at CPL 3 (saw %u) and the guest is back at CPL 0", res.cpl);
	for (unsigned int i = 0; i < CPL3_CALLS; i++)
		report(res.rax[i] == KH_ERR_NOT_KERNEL, "CPL 3: %s refused with -EPERM (got %" PRId64 ")",
		       cpl3_calls[i].name, res.rax[i]);
	uint64_t secret_rbx = 0;
	for (unsigned int i = 0; i < CPL3_CALLS; i++)
		if (cpl3_calls[i].nr == KH_HC_DIAG_READ8)
			secret_rbx = res.rbx[i];
	report(secret_rbx == (uintptr_t)cpl3_secret, "CPL 3: DIAG_READ8 left RBX as it was: no byte of the page came back");

	bool intact = true;
	for (unsigned int i = 0; i < PAGE; i++)
		intact &= cpl3_secret[i] == SECRET_BYTE && cpl3_other[i] == 0x0f;
	report(intact, "nothing written: the secret page and the copy target are as the guest left them");
	report(kh_hypercall2(KH_HC_DIAG_CHECKSUM, (uintptr_t)cpl3_secret, PAGE) == sum,
	       "keyhole reads the same secret page as before");
	report(kh_hypercall1(KH_HC_DIAG_IN_DMAP, secret_gfn) == 0, "the secret page is still protected (no MEM_SHARE took effect)");
	report(kh_hypercall1(KH_HC_DIAG_IN_DMAP, 0) == 0, "so is the first page of memory");
	report(kh_hypercall0(KH_HC_DIAG_AUDIT) == 0, "the audit is clean (no TEST_PLANT_LEAK took effect)");
	report(kh_hypercall0(KH_HC_NOP) == 0, "CPL 0 is still served: NOP returns 0 (and EXIT from CPL 3 did not end the guest)");
	return report_summary();
}

static int attack_shutdown_ports(void)
{
	static const char word[] = "Shutdown";

	for (const char *p = word; *p; p++)
		__asm__ volatile("outb %0, %1" : : "a"(*p), "Nd"((uint16_t)0x8900));
	__asm__ volatile("outl %0, %1" : : "a"(0u), "Nd"((uint16_t)0xf4));
	report(true, "the emulator's shutdown ports did nothing: this guest still runs");
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"((uint16_t)0x61));
	report(v == 0xff, "an unknown port reads all-ones");
	return report_summary();
}

static int scrub_write(void)
{
	const struct kh_guest_boot *b = kh_boot_info();

	memset((void *)(uintptr_t)b->free_gpa, 0xa5, b->mem_size - b->free_gpa);
	report(true, "filled [0x%" PRIx64 ", 0x%" PRIx64 ") with 0xa5 for the next guest to look for",
	       b->free_gpa, b->mem_size);
	return report_summary();
}

static int scrub_check(void)
{
	const struct kh_guest_boot *b = kh_boot_info();
	const uint64_t *p = (const uint64_t *)(uintptr_t)b->free_gpa;
	uint64_t n = (b->mem_size - b->free_gpa) / 8, dirty = 0;

	for (uint64_t i = 0; i < n; i++)
		dirty += p[i] != 0;
	report(dirty == 0, "memory this guest did not write reads as zeros (%" PRIu64 " dirty words of %" PRIu64 ")",
	       dirty, n);
	return report_summary();
}

/* ---- XSETBV and the watchdog (the state-leak pair is guest/lib/state.c) ---- */

/* #GP during XSETBV: counted, and the 3-byte instruction skipped (a fixup in this guest's own IDT). */
volatile uint64_t hostile_gp_count;
extern const char hostile_gp_fixup[];
__asm__(".text\n"
	"hostile_gp_fixup:\n"
	"	addq $8, %rsp\n" /* the error code */
	"	addq $3, (%rsp)\n" /* past XSETBV: 0f 01 d1 */
	"	lock incq hostile_gp_count(%rip)\n"
	"	iretq\n");

static void install_gp_fixup(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr;
	uint64_t h = (uintptr_t)hostile_gp_fixup;
	uint8_t *gate;

	__asm__ volatile("sidt %0" : "=m"(idtr));
	gate = (uint8_t *)(uintptr_t)(idtr.base + 13 * 16);
	memcpy(gate + 0, &h, 2);
	*(uint16_t *)(gate + 6) = (uint16_t)(h >> 16);
	*(uint32_t *)(gate + 8) = (uint32_t)(h >> 32);
}

static bool xsetbv_faults(uint32_t ecx, uint64_t v)
{
	uint64_t before = hostile_gp_count;

	__asm__ volatile("xsetbv" : : "c"(ecx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
	return hostile_gp_count != before;
}

static int attack_xsetbv(void)
{
	static const struct { uint32_t ecx; uint64_t v; const char *what; } bad[] = {
		{ 0, 0x0, "x87 cleared" },
		{ 0, 0x5, "AVX without SSE" },
		{ 0, 0x0b, "MPX BNDREGS without BNDCSR" },
		{ 0, 0x13, "MPX BNDCSR without BNDREGS" },
		{ 0, 0x23, "AVX-512 opmask alone, without AVX" },
		{ 0, 0x67, "AVX-512 without Hi16_ZMM" },
		{ 0, 0xe3, "AVX-512 without AVX" },
		{ 0, 0x20007, "AMX TILECFG without TILEDATA" },
		{ 0, 1ull << 63, "a reserved bit" },
		{ 1, 0x1, "XCR1" },
	};
	uint64_t supported = state_enable_xsave();

	if (!supported) {
		report(false, "this CPU has XSAVE");
		return report_summary();
	}
	printf("XCR0 supported bits: %#" PRIx64 "\n", supported);
	install_gp_fixup();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		report(xsetbv_faults(bad[i].ecx, bad[i].v), "XSETBV of XCR%u = %#" PRIx64 " (%s) gets #GP", bad[i].ecx,
		       bad[i].v, bad[i].what);
	report(!xsetbv_faults(0, supported) && state_xgetbv0() == supported, "XSETBV of every supported component works");
	report(!xsetbv_faults(0, 0x3) && state_xgetbv0() == 0x3, "and so does x87|SSE");
	return report_summary();
}

/* Interrupts off, no exits: only the watchdog can end this. */
static void attack_spin(void)
{
	printf("spinning with IF=0\n");
	fflush(stdout);
	__asm__ volatile("cli; 1: jmp 1b");
}

static void plant_leak(void)
{
	static uint8_t secret[PAGE] __attribute__((aligned(4096))) = "guest secret";

	kh_hypercall0(KH_HC_ENABLE_MEM_PROTECTED);
	printf("planting a leak of gfn 0x%" PRIx64 ": the audit must stop keyhole at the next entry\n",
	       (uint64_t)(uintptr_t)secret / PAGE);
	fflush(stdout);
	kh_hypercall1(KH_HC_TEST_PLANT_LEAK, (uintptr_t)secret / PAGE);
	printf("FAIL: the leak went unnoticed\n");
}

int main(void)
{
	printf("hostile guest: case=%s\n", arg("case"));
	if (is_case("read-far"))
		attack_read_far();
	else if (is_case("write-outside"))
		attack_write_outside();
	else if (is_case("exec-outside"))
		attack_exec_outside();
	else if (is_case("last-page"))
		return attack_last_page();
	else if (is_case("triple-fault"))
		attack_triple_fault();
	else if (is_case("string-io"))
		attack_string_io();
	else if (is_case("ud"))
		__asm__ volatile("ud2");
	else if (is_case("vmxon"))
		__asm__ volatile("vmxon (%0)" : : "r"(0ull));
	else if (is_case("wrmsr"))
		__asm__ volatile("wrmsr" : : "c"(0xc0000082u), "a"(0), "d"(0)); /* LSTAR */
	else if (is_case("cr4-vmxe")) {
		uint64_t cr4; /* VMXE is keyhole's bit: the write exits, and keyhole must refuse it */
		__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
		__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | 0x2000ull));
	} else if (is_case("page-fault"))
		(void)*(volatile uint8_t *)(uintptr_t)0x7fe000000000ull; /* not in the guest's page tables */
	else if (is_case("hlt"))
		__asm__ volatile("hlt");
	else if (is_case("hypercall-ranges"))
		return attack_hypercall_ranges();
	else if (is_case("cpl3-hypercalls"))
		return attack_cpl3_hypercalls();
	else if (is_case("shutdown-ports"))
		return attack_shutdown_ports();
	else if (is_case("scrub-write"))
		return scrub_write();
	else if (is_case("scrub-check"))
		return scrub_check();
	else if (is_case("xsetbv"))
		return attack_xsetbv();
	else if (is_case("spin"))
		attack_spin();
	else if (is_case("state-plant")) {
		state_plant();
		return 0;
	} else if (is_case("state-check")) {
		state_check();
		return report_summary();
	} else if (is_case("plant-leak"))
		plant_leak();
	else if (is_case("invalid-state"))
		printf("FAIL: this guest should never have run\n");
	else
		printf("unknown case \"%s\"\n", arg("case"));
	return 99; /* an attack that did not end the guest */
}
