/*
 * hv_main(): the hypervisor proper.  A boot path enters it once, on the boot
 * CPU, on that path's boot page tables and stack, with everything it learnt
 * in struct boot_info; interrupts are off and no IDT is loaded.
 *
 * hv_main() is the sequence of keyhole's bring-up stages, one call each, in
 * order: the console and a report of what the boot path found; descriptor
 * tables; the memory core and the switch onto keyhole's own page tables; VT-x;
 * the other CPUs; then every guest (the modules the loader handed over, or the
 * built-in test guest), started in order on the CPUs it asks for, several at
 * once where CPUs allow, each reported as it ends; then, once all have, a
 * summary line and a machine shutdown, which the emulator test harnesses
 * wait for.
 */
#include <keyhole/boot_info.h>
#include <keyhole/log.h>

#include <x86/cpu.h>
#include <x86/pc.h>
#include "hv/cpu/desc.h"
#include "hv/cpu/lapic.h"
#include "hv/platform/platform.h"
#include "hv/platform/smp.h"
#include "hv/platform/tsc.h"
#include "hv/loader/guest_load.h"
#include "hv/loader/linux_load.h"
#include "hv/runtime/console.h"
#include "hv/runtime/machine.h"
#include "hv/runtime/mm_setup.h"
#include "hv/runtime/selftest.h"
#include "hv/runtime/shutdown.h"
#include "hv/vm/hypercall.h"
#include "hv/vm/vcpu.h"
#include "hv/vm/vm_run.h"
#include "hv/vmx/vmx.h"
#include "lib/cmdline.h"
#include "lib/string.h"
#include "mm/dmap.h"

#define KEYHOLE_VERSION "0.1"

/*
 * bytes in the largest binary unit up to MiB that leaves at least 1 of it
 * ("636 KiB", "2047 MiB"); floors.  Never GiB: flooring to whole GiB made a
 * 2047 MiB range "1 GiB".
 */
static u64 size_in_unit(u64 bytes, const char **unit)
{
	static const char *const units[] = { "bytes", "KiB", "MiB" };
	size_t i = 0;

	while (i + 1 < ARRAY_SIZE(units) && bytes >= 1024) {
		bytes >>= 10;
		i++;
	}
	*unit = units[i];
	return bytes;
}

static void report_memory_map(const struct boot_info *bi)
{
	u64 usable = 0, size;
	const char *unit;

	for (u32 i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == MEM_USABLE)
			usable += bi->mem[i].len;
	size = size_in_unit(usable, &unit);
	log_info("memory map: %u ranges, %lu %s usable", bi->nr_mem, size, unit);
	log_info("  %-18s %-18s %s", "base", "length", "type");
	for (u32 i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *r = &bi->mem[i];

		size = size_in_unit(r->len, &unit);
		log_info("  0x%016lx 0x%016lx %-16s %lu %s", r->base, r->len, mem_type_name(r->type), size, unit);
	}
	if (bi->mem_truncated)
		log_warn("memory map: only the first %d ranges were kept", BOOT_MEM_RANGES_MAX);
}

static void report_modules(const struct boot_info *bi)
{
	u64 size;
	const char *unit;

	if (bi->nr_modules == 0) {
		log_info("modules: none");
		return;
	}
	log_info("modules: %u", bi->nr_modules);
	for (u32 i = 0; i < bi->nr_modules; i++) {
		const struct boot_module *m = &bi->modules[i];

		size = size_in_unit(m->len, &unit);
		if (m->cmdline_overlong)
			log_info("  module %u: [0x%lx, 0x%lx) %lu %s \"%.40s...\", a line of %u bytes: too long", i,
				 m->pa, m->pa + m->len, size, unit, m->cmdline, m->cmdline_overlong);
		else
			log_info("  module %u: [0x%lx, 0x%lx) %lu %s \"%s\"", i, m->pa, m->pa + m->len, size, unit,
				 m->cmdline);
	}
}

static void report_boot(const struct boot_info *bi)
{
	u64 size;
	const char *unit;

	log_info("keyhole %s starting (booted via %s)", KEYHOLE_VERSION, bi->loader);
	if (bi->loader_desc[0])
		log_info("loader: %s", bi->loader_desc);
	if (bi->cmdline_overlong)
		log_info("command line: \"%.40s...\", a line of %u bytes: too long", bi->cmdline, bi->cmdline_overlong);
	else
		log_info("command line: \"%s\"", bi->cmdline);
	size = size_in_unit(bi->image_end_pa - bi->image_start_pa, &unit);
	log_info("image: [0x%lx, 0x%lx) %lu %s", bi->image_start_pa, bi->image_end_pa, size, unit);
	report_memory_map(bi);
	report_modules(bi);
	if (bi->rsdp_pa)
		log_info("acpi: RSDP at 0x%lx", bi->rsdp_pa);
	else
		log_warn("acpi: the loader found no RSDP");
}


#define GUEST_MEM_DEFAULT (64UL << 20)
#define WATCHDOG_MAX 1000000000UL /* million TSC ticks: the product stays well inside 64 bits */

struct options {
	u64 guest_mem;      /* 0: each kind's default */
	bool audit_every_entry;
	bool test_hooks;
	bool diag;          /* the diagnostic hypercalls */
	bool protect_all;   /* protect=all */
	u64 watchdog;       /* watchdog=N: million TSC ticks per guest; 0: off */
};

static void parse_options(const char *cmdline, struct options *o)
{
	const char *v;
	size_t len;

	o->guest_mem = 0;
	v = cmdline_value(cmdline, "guest_mem", &len);
	if (v && (!cmdline_size(v, len, &o->guest_mem) || !ALIGNED(o->guest_mem, SZ_2M) ||
		  o->guest_mem < SZ_2M || o->guest_mem > GUEST_MEM_MAX)) {
		log_err("guest_mem=%.*s: want a multiple of 2 MiB from 2M to 4G (e.g. guest_mem=64M); using the defaults "
			"(%lu MiB, %lu MiB for Linux)", (int)len, v, GUEST_MEM_DEFAULT >> 20,
			LINUX_GUEST_MEM_DEFAULT >> 20);
		o->guest_mem = 0;
	}
	v = cmdline_value(cmdline, "protect", &len);
	o->protect_all = v && cmdline_value_is(v, len, "all");
	if (v && !o->protect_all)
		log_err("protect=%.*s: the only value is protect=all (every guest frame protected from the start)",
			(int)len, v);
	v = cmdline_value(cmdline, "audit", &len);
	o->audit_every_entry = v && cmdline_value_is(v, len, "entry");
	if (v && !o->audit_every_entry)
		log_err("audit=%.*s: the only value is audit=entry (audit before every VM entry)", (int)len, v);
	o->watchdog = 0;
	v = cmdline_value(cmdline, "watchdog", &len);
	if (v && (!cmdline_number(v, len, &o->watchdog) || o->watchdog > WATCHDOG_MAX)) {
		log_err("watchdog=%.*s: want a number of million TSC ticks from 1 to %lu (0: off); no watchdog", (int)len,
			v, WATCHDOG_MAX);
		o->watchdog = 0;
	}
	if (o->watchdog)
		log_info("watchdog: each guest may run %lu million TSC ticks", o->watchdog);
	o->diag = cmdline_flag(cmdline, "diag");
	if (o->diag)
		log_info("diag: the diagnostic hypercalls are offered (a guest kernel may make keyhole read and write its memory): for tests only");
	o->test_hooks = cmdline_flag(cmdline, "testhooks");
	if (o->test_hooks)
		log_warn("testhooks: test-only hooks are on (a guest may plant a leak): never use this in production");
}

/* Everything after the module's first word ("guest", "linux") is the guest's command line. */
static const char *module_args(const struct boot_module *m)
{
	const char *p = m->cmdline;

	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

/* Is the module's first word `word`? */
static bool module_is(const struct boot_module *m, const char *word)
{
	size_t n = strlen(word);

	return strncmp(m->cmdline, word, n) == 0 && (m->cmdline[n] == 0 || m->cmdline[n] == ' ');
}

extern const char keyhole_guest_elf_start[], keyhole_guest_elf_end[];

/*
 * A line longer than keyhole takes is refused, never cut (boot_info.h): a cut
 * line silently drops options, or changes what a guest does.  The boot path
 * only recorded it: said here, after the banner, naming the line.
 */
static void refuse_overlong_cmdline(const struct boot_info *bi)
{
	if (!bi->cmdline_overlong)
		return;
	log_err("command line: %u bytes; keyhole takes at most %d and cuts none: no guest is run (shorten it)",
		bi->cmdline_overlong, BOOT_CMDLINE_MAX - 1);
	machine_shutdown(SHUTDOWN_FAILURE);
}

/* True, after saying so, if module i's line is too long for its guest to run. */
static bool module_line_refused(unsigned int guest, const struct boot_info *bi, u32 i)
{
	const struct boot_module *m = &bi->modules[i];
	int word = 0;

	if (!m->cmdline_overlong)
		return false;
	while (m->cmdline[word] && m->cmdline[word] != ' ')
		word++;
	log_err("guest%u: module %u (\"%.*s ...\") has a command line of %u bytes; keyhole takes at most %d and cuts "
		"none: not run (shorten the module's line)", guest, i, word, m->cmdline, m->cmdline_overlong,
		BOOT_MODULE_CMDLINE_MAX - 1);
	return true;
}

/* vcpus=N on module m's line into *n (0: not given); false, after saying why, if the guest is not to run. */
static bool module_vcpus(unsigned int guest, const struct boot_module *m, unsigned int *n)
{
	size_t len;
	u64 v;
	const char *s = cmdline_value(m->cmdline, "vcpus", &len);

	*n = 0;
	if (!s)
		return true;
	if (!cmdline_number(s, len, &v) || v == 0 || v > KH_GUEST_VCPUS_MAX) {
		log_err("guest%u: vcpus=%.*s: want a number of vCPUs from 1 to %d: not run", guest, (int)len, s,
			KH_GUEST_VCPUS_MAX);
		return false;
	}
	*n = (unsigned int)v;
	return true;
}

void hv_main(const struct boot_info *bi)
{
	struct options opt;
	const char *why;
	unsigned int ran = 0, started = 0;

	console_configure(bi->cmdline);
	report_boot(bi);
	refuse_overlong_cmdline(bi);
	machine_configure(bi->cmdline);
	parse_options(bi->cmdline, &opt);

	desc_init();
	mm_setup(bi);
	platform_mask_pics();
	if (lapic_init())
		platform_init(bi);
	vcpu_run_audit_every_entry(opt.audit_every_entry);
	vcpu_run_watchdog(opt.watchdog);
	vcpu_run_report_boot(bi->entry_tsc);
	hypercall_configure(opt.diag, opt.test_hooks);
	vm_report_costs(cmdline_flag(bi->cmdline, "bench"));
	cpuid_bench_markers(cmdline_flag(bi->cmdline, "bench"));
	bool selftest_failed = cmdline_flag(bi->cmdline, "selftest") && selftest_run();

	int r = vmx_enable(&why);
	if (r) {
		log_err("VT-x not available: %s", why);
		machine_shutdown(SHUTDOWN_NO_VMX);
	}
	smp_start(bi->cmdline, platform_madt());
	if (cmdline_flag(bi->cmdline, "selftest") && selftest_smp_run(opt.test_hooks))
		selftest_failed = true;
	/*
	 * The PIT counts from here while the first guest's memory is zeroed, the
	 * longest work of the boot: its set-up reads the TSC's rate off it
	 * (guest_setup()), so the calibration costs no wait of its own.  After
	 * the other CPUs' start, whose INIT/SIPI delays reload the PIT.
	 */
	tsc_calibrate_begin();

	/*
	 * Modules, by their first word: "linux" is a bzImage (the rest of the
	 * line is the kernel's command line), and an "initrd" right after it is
	 * that kernel's initrd; any other module is an ELF guest ("guest").
	 */
	for (u32 i = 0; i < bi->nr_modules; i++, ran++) {
		const struct boot_module *m = &bi->modules[i];
		u32 first = i;
		struct guest_image img = { .image = phys_to_virt(m->pa), .len = m->len, .cmdline = module_args(m) };
		u64 mem = opt.guest_mem ? opt.guest_mem : GUEST_MEM_DEFAULT;

		if (module_is(m, "initrd")) {
			log_err("guest%u: module %u is an initrd with no linux module right before it: not run", ran, i);
			continue;
		}
		if (module_is(m, "linux")) {
			img.is_linux = true;
			mem = opt.guest_mem ? opt.guest_mem : LINUX_GUEST_MEM_DEFAULT;
			if (i + 1 < bi->nr_modules && module_is(&bi->modules[i + 1], "initrd")) {
				i++;
				img.initrd = phys_to_virt(bi->modules[i].pa);
				img.initrd_len = bi->modules[i].len;
			}
		}
		if (module_line_refused(ran, bi, first) || (i != first && module_line_refused(ran, bi, i)))
			continue;
		/* kh-invalid-state: with testhooks, a VM whose guest state is wrong on purpose */
		img.break_state = opt.test_hooks && cmdline_flag(m->cmdline, "kh-invalid-state");
		/* kh-lapic-timer: with testhooks, the LAPIC timer fires while that guest runs */
		img.lapic_timer = opt.test_hooks && cmdline_flag(m->cmdline, "kh-lapic-timer");
		if (!module_vcpus(ran, m, &img.vcpus))
			continue;
		started += vm_start(ran, &img, mem, opt.protect_all) == 0;
	}
	if (ran == 0) {
		struct guest_image img = {
			.image = keyhole_guest_elf_start,
			.len = (u64)(keyhole_guest_elf_end - keyhole_guest_elf_start),
			.cmdline = "",
		};
		log_info("no guest module: running the built-in test guest");
		started += vm_start(ran++, &img, opt.guest_mem ? opt.guest_mem : GUEST_MEM_DEFAULT, opt.protect_all) == 0;
	}
	unsigned int ok = vm_wait_all(started);
	log_info("keyhole: %u guests run, %u exited with status 0, %u did not", ran, ok, ran - ok);
	machine_shutdown(ok == ran && !selftest_failed ? SHUTDOWN_OK : SHUTDOWN_FAILURE);
}
