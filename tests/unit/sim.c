/*
 * The simulated machine: physical memory, the MMU view of the core's
 * windows, the arch recorder, panic and log capture (see sim.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <keyhole/spinlock.h>
#include "mm/arch.h"
#include "mm/hostmm.h"
#include "mm/pte.h"
#include "ept/ept_hw.h"
#include "sim.h"
#include "test.h"

struct sim_counters sim;
__thread unsigned int sim_cpu;
void (*sim_spin_hook)(void);
char sim_panic_msg[512];

static int memfd = -1;
static u8 *bus; /* raw view of all of physical memory */

/* ---- arch interface ---- */

static void sync_range(u64 base, u64 size, u64 start, u64 end);
static void install_fault_handler(void);

static void die(const char *what)
{
	perror(what);
	exit(2);
}

void arch_flush_va(u64 va)
{
	__atomic_add_fetch(&sim.flush_va, 1, __ATOMIC_RELAXED); /* threads flush their own slots at once */
	__atomic_store_n(&sim.last_flush_va, va, __ATOMIC_RELAXED);
	if (!sim.root)
		return;
	/* Superset of INVLPG: re-walk the whole 1 GiB around va (any leaf holding va lies inside). */
	u64 s = ALIGN_DOWN(va, SZ_1G);
	if (va >= SIM_DMAP_BASE && va < SIM_DMAP_BASE + SIM_RAM_BYTES)
		sync_range(SIM_DMAP_BASE, SIM_RAM_BYTES, s, s + SZ_1G);
	if (va >= SIM_FIXMAP_BASE && va < SIM_FIXMAP_BASE + SIM_FIXMAP_BYTES)
		sync_range(SIM_FIXMAP_BASE, SIM_FIXMAP_BYTES, SIM_FIXMAP_BASE, SIM_FIXMAP_BASE + SIM_FIXMAP_BYTES);
}

/*
 * The simulated machine has one MMU: the shootdown is recorded (the other
 * CPUs' TLBs are the emulator runs').  In a test whose threads play CPUs
 * (sim_shootdown_cpus), it is also the protocol's bookkeeping as
 * hv/cpu/tlb.c keeps it: a bit per other CPU in `pending`, the initiator
 * spinning until each has cleared its own, and nobody taking an IPI, so a
 * CPU clears its bit only from its spin-waits (arch_spin_wait() below, as
 * tlb_poll()).  A spin-wait in the core that does not serve deadlocks that
 * test, which the timeout turns into a failure.
 */
u32 sim_shootdown_cpus;
u64 sim_shootdown_served;
static u32 sim_pending;

#define SIM_ACK_TIMEOUT_S 20

void arch_shootdown(u64 va, u64 len)
{
	sim.shootdown++;
	sim.last_shootdown_va = va;
	sim.last_shootdown_len = len;

	u32 others = __atomic_load_n(&sim_shootdown_cpus, __ATOMIC_ACQUIRE) & ~(1u << sim_cpu);
	if (!others)
		return;
	__atomic_store_n(&sim_pending, others, __ATOMIC_RELEASE);
	time_t start = time(NULL);
	while (__atomic_load_n(&sim_pending, __ATOMIC_ACQUIRE)) {
		if (time(NULL) - start > SIM_ACK_TIMEOUT_S) {
			fprintf(stderr, "sim: CPUs %#x never acknowledged cpu %u's shootdown: a spin-wait that does not "
					"serve it?\n", __atomic_load_n(&sim_pending, __ATOMIC_ACQUIRE), sim_cpu);
			abort();
		}
		sched_yield(); /* the threads that must serve it need the host's cores */
	}
}

static void sync_all(void)
{
	sync_range(SIM_DMAP_BASE, SIM_RAM_BYTES, SIM_DMAP_BASE, SIM_DMAP_BASE + SIM_RAM_BYTES);
	sync_range(SIM_FIXMAP_BASE, SIM_FIXMAP_BYTES, SIM_FIXMAP_BASE, SIM_FIXMAP_BASE + SIM_FIXMAP_BYTES);
}

void arch_flush_all(void)
{
	sim.flush_all++;
	if (sim.root)
		sync_all();
}

void arch_load_root(u64 root_pa)
{
	sim.load_root++;
	sim.root = root_pa;
	sync_all();
}

void arch_invept(u64 eptp)
{
	sim.invept++;
	sim.last_invept = eptp;
}

unsigned int arch_cpu_id(void)
{
	return sim_cpu;
}

/*
 * The unit tests' spin-wait: no shootdown to serve (the simulated machine
 * has one MMU), so a pause, a count, and the test's hook.  The count is per
 * thread: a test sees that its thread is waiting.
 */
__thread u64 sim_spins;

void arch_spin_wait(void)
{
	u32 bit = 1u << sim_cpu;

	if (__atomic_load_n(&sim_pending, __ATOMIC_ACQUIRE) & bit) {
		__atomic_and_fetch(&sim_pending, ~bit, __ATOMIC_RELEASE);
		__atomic_add_fetch(&sim_shootdown_served, 1, __ATOMIC_RELAXED);
	}
	sim_spins++;
	if (sim_spin_hook)
		sim_spin_hook();
	__builtin_ia32_pause();
	/*
	 * Threads outnumber the host's cores: a waiter that does not yield keeps
	 * the lock's next ticket holder off the core (a real CPU is never
	 * descheduled), and a ticket lock then waits for the scheduler.
	 */
	if ((sim_spins & 7) == 0)
		sched_yield();
}

u64 arch_dmap_base(void)
{
	return SIM_DMAP_BASE;
}

u64 arch_fixmap_base(void)
{
	return SIM_FIXMAP_BASE;
}

/* ---- the MMU view ---- */

struct run {
	u64 va, end, pa;
	int prot; /* -1: hole */
};

static void apply(struct run *r)
{
	if (r->end == r->va)
		return;
	void *p;
	if (r->prot < 0)
		p = mmap((void *)r->va, r->end - r->va, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	else
		p = mmap((void *)r->va, r->end - r->va, r->prot, MAP_SHARED | MAP_FIXED, memfd, (off_t)r->pa);
	if (p == MAP_FAILED)
		die("sim: mmap");
}

/*
 * Re-creates [start, end) of a window from the current root: one mmap per
 * run of leaves that are contiguous in physical memory, one per run of holes.
 */
static void sync_range(u64 base, u64 size, u64 start, u64 end)
{
	struct run cur = { start, start, 0, -1 };

	if (start < base)
		start = base;
	if (end > base + size)
		end = base + size;
	cur.va = cur.end = start;
	for (u64 va = start; va < end;) {
		u64 pa, e;
		int level;
		u64 step;
		struct run next;

		if (sw_walk_host(sim.root, va, &pa, &level, &e) == 0) {
			step = pt_level_size(level) - (va & (pt_level_size(level) - 1));
			int prot = PROT_READ | ((e & PTE_W) ? PROT_WRITE : 0);
			if (pa + step > SIM_RAM_BYTES) {
				fprintf(stderr, "sim: %#llx maps %#llx, beyond simulated RAM\n",
					(unsigned long long)va, (unsigned long long)pa);
				exit(2);
			}
			next = (struct run){ va, 0, pa, prot };
		} else {
			step = pt_level_size(level) - (va & (pt_level_size(level) - 1));
			next = (struct run){ va, 0, 0, -1 };
		}
		if (va + step > end || va + step < va)
			step = end - va;
		bool joins = cur.prot == next.prot && (cur.prot < 0 || cur.pa + (cur.end - cur.va) == next.pa);
		if (!joins) {
			apply(&cur);
			cur = next;
			cur.end = va;
		}
		cur.end += step;
		va += step;
	}
	apply(&cur);
}

/* ---- software walkers (independent of mm/pt.c) ---- */

static u64 rd(u64 pa)
{
	return *(u64 *)(bus + pa);
}

/*
 * One walk for both formats, written from the SDM and not from mm/pt.c:
 * "present" is P for host tables and any of R/W/X for EPT; bit 7 marks a
 * large leaf in both.  Returns 0 and the leaf, or -1 with *level = the level
 * whose entry was not present.
 */
static int sw_walk(u64 table, u64 present_bits, u64 large_bit, u64 va, u64 *pa, int *level, u64 *entry)
{
	for (int l = 4; l >= 1; l--) {
		int shift = 12 + 9 * (l - 1);
		u64 e = rd(table + ((va >> shift) & 511) * 8);
		*level = l;
		if (!(e & present_bits))
			return -1;
		u64 addr = e & PTE_ADDR_MASK;
		if (l == 1 || (e & large_bit)) {
			u64 mask = (1ULL << shift) - 1;
			*pa = (addr & ~mask) | (va & mask);
			if (entry)
				*entry = e;
			return 0;
		}
		table = addr;
	}
	return -1;
}

int sw_walk_host(u64 root_pa, u64 va, u64 *pa, int *level, u64 *entry)
{
	return sw_walk(root_pa, PTE_P, PTE_PS, va, pa, level, entry);
}

int sw_walk_ept(u64 eptp, u64 gpa, u64 *pa, int *level, u64 *entry)
{
	return sw_walk(eptp & PTE_ADDR_MASK, EPT_RWX, EPT_LARGE, gpa, pa, level, entry);
}

/* ---- machine set-up ---- */

void *sim_phys(u64 pa)
{
	return bus + pa;
}

void sim_reset(void)
{
	if (memfd < 0) {
		memfd = memfd_create("keyhole-sim-ram", 0);
		if (memfd < 0)
			die("sim: memfd_create");
	}
	if (ftruncate(memfd, 0) || ftruncate(memfd, (off_t)SIM_RAM_BYTES))
		die("sim: ftruncate");
	if (!bus) {
		bus = mmap(NULL, SIM_RAM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, memfd, 0);
		if (bus == MAP_FAILED)
			die("sim: mmap bus");
	}
	memset(&sim, 0, sizeof(sim));
	sim_cpu = 0;
	sim_spin_hook = NULL;
	sim_shootdown_cpus = 0;
	sim_shootdown_served = 0;
	sim_pending = 0;
	/* The early boot map: all of RAM in the direct-map window, no fixmap. */
	struct run all = { SIM_DMAP_BASE, SIM_DMAP_BASE + SIM_RAM_BYTES, 0, PROT_READ | PROT_WRITE };
	struct run fix = { SIM_FIXMAP_BASE, SIM_FIXMAP_BASE + SIM_FIXMAP_BYTES, 0, -1 };
	apply(&all);
	apply(&fix);
	sim_log_clear();
	install_fault_handler();
}

void sim_boot_standard(void)
{
	static const struct mm_range ram[] = {
		{ 0x1000, 0x9f000 - 0x1000 },
		{ 0x100000, 0x80000000 - 0x100000 },
		{ 0x100000000, 0x80000000 },
	};
	static const struct mm_range res[] = { { SIM_IMAGE_PA, SIM_IMAGE_BYTES } };
	static const struct hostmm_section img[] = {
		{ SIM_IMAGE_VA, SIM_IMAGE_PA, 0x100000, PT_R | PT_X },
		{ SIM_IMAGE_VA + 0x100000, SIM_IMAGE_PA + 0x100000, 0x100000, PT_R | PT_W },
	};

	if (frames_init(ram, 3, res, 1) || hostmm_init(2, img, 2)) {
		fprintf(stderr, "sim: the standard machine did not boot\n");
		exit(2);
	}
	hostmm_activate(0);
}

void sim_boot_small(void)
{
	static const struct mm_range ram[] = { { 0x100000, 0x3f00000 } }; /* [1 MiB, 64 MiB) */
	static const struct hostmm_section img[] = { { SIM_IMAGE_VA, SIM_IMAGE_PA, 0x100000, PT_R | PT_X } };
	static const struct mm_range res[] = { { SIM_IMAGE_PA, 0x100000 } };

	if (frames_init(ram, 1, res, 1) || hostmm_init(1, img, 1)) {
		fprintf(stderr, "sim: the small machine did not boot\n");
		exit(2);
	}
	hostmm_activate(0);
}

/* ---- panic, log, faults ---- */

static __thread jmp_buf *panic_jmp;
__thread bool sim_in_thread;
sigjmp_buf test_abort_jmp;

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sim_panic_msg, sizeof(sim_panic_msg), fmt, ap);
	va_end(ap);
	if (panic_jmp)
		longjmp(*panic_jmp, 1);
	if (sim_in_thread) {
		/* No jump out of another thread's stack: a test thread that panics ends the run. */
		fprintf(stderr, "unexpected PANIC in a test thread (cpu %u): %s\n", sim_cpu, sim_panic_msg);
		abort();
	}
	fprintf(stderr, "unexpected PANIC: %s\n", sim_panic_msg);
	test_fail(__FILE__, __LINE__, "unexpected panic");
	siglongjmp(test_abort_jmp, 1);
}

int test_expect_panic(void (*fn)(void *), void *arg)
{
	jmp_buf j;
	jmp_buf *saved = panic_jmp;

	sim_panic_msg[0] = 0;
	if (setjmp(j)) {
		panic_jmp = saved;
		return 1;
	}
	panic_jmp = &j;
	fn(arg);
	panic_jmp = saved;
	return 0;
}

static char logbuf[1 << 16];
static size_t loglen;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER; /* tests with threads log too */

void kh_log(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	char line[512];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (getenv("KEYHOLE_UNIT_VERBOSE"))
		fprintf(stderr, "  log[%d]: %s\n", level, line);
	pthread_mutex_lock(&log_mutex);
	size_t n = strlen(line);
	if (loglen + n + 2 >= sizeof(logbuf))
		loglen = 0;
	memcpy(logbuf + loglen, line, n);
	loglen += n;
	logbuf[loglen++] = '\n';
	logbuf[loglen] = 0;
	pthread_mutex_unlock(&log_mutex);
}

bool sim_log_contains(const char *needle)
{
	return strstr(logbuf, needle) != NULL;
}

void sim_log_clear(void)
{
	loglen = 0;
	logbuf[0] = 0;
}

/*
 * Page faults in the windows.  Hardware never caches a not-present entry, so
 * a fault first re-walks the tables (a mapping made since the last flush is
 * found and the access retried); only a real hole is a fault, which
 * sim_faults() catches and anything else reports and aborts.
 */
static sigjmp_buf fault_jmp;
static volatile int fault_armed;

static bool in_window(u64 a, u64 base, u64 size)
{
	return a >= base && a - base < size;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	u64 a = (u64)(uintptr_t)si->si_addr;
	u64 pa;
	int level;

	(void)sig;
	(void)uc;
	if (sim.root && (in_window(a, SIM_DMAP_BASE, SIM_RAM_BYTES) || in_window(a, SIM_FIXMAP_BASE, SIM_FIXMAP_BYTES)) &&
	    sw_walk_host(sim.root, a, &pa, &level, NULL) == 0) {
		u64 s = ALIGN_DOWN(a, SZ_1G);
		if (in_window(a, SIM_DMAP_BASE, SIM_RAM_BYTES))
			sync_range(SIM_DMAP_BASE, SIM_RAM_BYTES, s, s + SZ_1G);
		else
			sync_range(SIM_FIXMAP_BASE, SIM_FIXMAP_BYTES, SIM_FIXMAP_BASE, SIM_FIXMAP_BASE + SIM_FIXMAP_BYTES);
		return; /* retry the access */
	}
	if (fault_armed)
		siglongjmp(fault_jmp, 1);
	/* Not expected: fail the running test and go on with the next. */
	fprintf(stderr, "    unexpected page fault at %#llx (a hole in the direct map or fixmap?)\n",
		(unsigned long long)a);
	test_fail(__FILE__, __LINE__, "no page fault");
	siglongjmp(test_abort_jmp, 1);
}

static void install_fault_handler(void)
{
	static bool done;
	struct sigaction sa = { 0 };

	if (done)
		return;
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	done = true;
}

bool sim_faults(const volatile void *va)
{
	bool faulted = false;

	if (sigsetjmp(fault_jmp, 1))
		faulted = true;
	else {
		fault_armed = 1;
		(void)*(const volatile u8 *)va;
	}
	fault_armed = 0;
	return faulted;
}
