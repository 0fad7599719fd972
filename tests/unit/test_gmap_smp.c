/*
 * The guest-map contract with several CPUs at once (mm/gmap.h, "Protection
 * changes and live mappings"): threads play CPUs (sim_cpu is per thread).
 *
 * The simulated MMU is one address space, so it cannot show each CPU its own
 * fixmap.  The threads therefore do not dereference what gmap_map() returns:
 * they translate it through their own CPU's root with the independent
 * software walker and read the frame over the bus.  That still checks what
 * could go wrong: the mapping is in this CPU's tables and reaches the right
 * frame, its protection did not change while it was live, a protected frame
 * stays out of the shared direct map, and its bytes are the guest's.  The
 * MMU view is frozen for the threads (sim.root = 0: no mmap under them).
 *
 * Shootdowns follow hv/cpu/tlb.c's bookkeeping (sim.c, arch_shootdown()):
 * the changing CPU waits until every other CPU has acknowledged from one of
 * its spin-waits, so a wait in the core that does not serve deadlocks here.
 * A deadlock is turned into a failure by a deadline; stuck threads cannot be
 * recovered, so the run aborts then.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hv/vm/vm.h"
#include "mm/dmap.h"
#include "mm/hostmm.h"
#include "sim.h"
#include "test.h"

#define SMP_CPUS 6
#define RANGE 32            /* pages [0, RANGE) change back and forth */
#define DEADLINE_S 30

static struct vm vm;
static mfn_t backing[RANGE];

static u64 pattern(u64 gfn, u64 word)
{
	return gfn * 0x100000001ULL + word + 0x5a5a;
}

static void smp_vm(void)
{
	sim_boot_standard();
	for (unsigned int cpu = hostmm_ncpus(); cpu < SMP_CPUS; cpu++)
		EXPECT_EQ(hostmm_add_cpu(cpu), 0);
	EXPECT_EQ(vm_mem_init(&vm, 1, 2), 0);
	EXPECT_EQ(vm_mem_add(&vm, _gfn(0), 1024), 0);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	for (u64 g = 0; g < RANGE; g++) {
		EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(g), &backing[g]), 0);
		u64 *p = sim_phys(mfn_to_pa(backing[g]));
		for (u64 w = 0; w < PAGE_SIZE / 8; w++)
			p[w] = pattern(g, w);
	}
	sim.root = 0; /* the MMU view stays as it is: the threads walk their own roots */
}

/* What a CPU can check of a live mapping; the number of things wrong. */
static int check_mapping(const struct gmap *map, u64 gfn, u64 salt)
{
	unsigned int cpu = sim_cpu;
	int bad = 0;
	u64 pa;
	int level;

	bad += mfn_x(map->pfn) != mfn_x(backing[gfn]);
	bad += frame_is_protected(map->pfn) != map->protected;
	if (sw_walk_host(hostmm_cpu_pt(cpu)->root_pa, (u64)(uintptr_t)map->hva, &pa, &level, NULL) ||
	    pa != mfn_to_pa(backing[gfn])) {
		bad++;
	} else {
		for (u64 k = 0; k < 4; k++) {
			u64 w = (salt * 131 + k * 257) % (PAGE_SIZE / 8);
			bad += *(u64 *)sim_phys(pa + w * 8) != pattern(gfn, w);
		}
	}
	u64 dva = (u64)(uintptr_t)phys_to_virt(mfn_to_pa(backing[gfn]));
	bool in_dmap = sw_walk_host(hostmm_cpu_pt(cpu)->root_pa, dva, &pa, &level, NULL) == 0;
	bad += in_dmap == map->protected;
	bad += frame_is_protected(map->pfn) != map->protected; /* still, after the reads */
	return bad;
}

static void wait_or_die(const u32 *flag, const char *what)
{
	time_t start = time(NULL);

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (time(NULL) - start > DEADLINE_S) {
			fprintf(stderr, "    %s: no progress in %d s (deadlock or starvation)\n", what, DEADLINE_S);
			abort();
		}
		sched_yield();
	}
}

/* ---- (b) the drain under load ---- */

#define WRITER_ROUNDS 600
#define READERS 2

static u32 writer_done;
static int writer_errors;
static u64 reader_rounds[SMP_CPUS], reader_bad[SMP_CPUS], nested_rounds;
static u64 progress; /* mapping rounds of every reader */

/*
 * Writer preference holds new mappings off while a change waits, so a
 * writer that changes back to back would hold them off nearly always.  A
 * guest's changes are hypercalls between other work: the writer lets the
 * readers make some progress between two rounds (bounded: no progress at
 * all is a failure).
 */
static void let_readers_run(u64 since)
{
	time_t start = time(NULL);

	while (__atomic_load_n(&progress, __ATOMIC_RELAXED) < since + 2) {
		if (time(NULL) - start > DEADLINE_S) {
			fprintf(stderr, "    the readers made no progress in %d s\n", DEADLINE_S);
			abort();
		}
		sched_yield();
	}
}

static void thread_start(unsigned int cpu)
{
	sim_cpu = cpu;
	sim_in_thread = true;
}

static void thread_end(void)
{
	__atomic_and_fetch(&sim_shootdown_cpus, ~(1u << sim_cpu), __ATOMIC_RELEASE);
}

static void *writer(void *arg)
{
	thread_start((unsigned int)(uintptr_t)arg);
	for (int i = 0; i < WRITER_ROUNDS; i++) {
		u64 seen = __atomic_load_n(&progress, __ATOMIC_RELAXED);
		/* The whole range, or a piece of it, back to the direct map and out again. */
		u64 g = (i % 4 == 3) ? (u64)(i % RANGE) / 2 : 0, n = (i % 4 == 3) ? RANGE / 2 : RANGE;
		int r = guest_mem_share(&vm.mem, _gfn(g), n);
		int r2 = guest_mem_unshare(&vm.mem, _gfn(g), n);
		if (r || r2) {
			if (writer_errors++ < 5)
				fprintf(stderr, "    writer: share %d, unshare %d (round %d)\n", r, r2, i);
		}
		let_readers_run(seen);
	}
	__atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
	thread_end();
	return NULL;
}

static void *reader(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	struct gfn_cache cache = { 0 };
	u64 seed = cpu * 7919;

	thread_start(cpu);
	while (!__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE)) {
		struct gmap map;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		u64 g = (seed >> 33) % RANGE;
		/* One reader goes through a gfn cache: a change must invalidate it. */
		int r = gmap_map(&vm.mem, _gfn(g), &map, cpu == 1 ? &cache : NULL, false);
		if (r) {
			reader_bad[cpu]++;
			continue;
		}
		reader_bad[cpu] += check_mapping(&map, g, seed);
		gmap_unmap(&vm.mem, &map, cpu == 1 ? &cache : NULL, false, false);
		reader_rounds[cpu]++;
		__atomic_add_fetch(&progress, 1, __ATOMIC_RELAXED);
	}
	thread_end();
	return NULL;
}

/* Like DIAG_COPY: the second mapping is taken while the first is held. */
static void *nester(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	u64 i = 0;

	thread_start(cpu);
	while (!__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE)) {
		struct gmap s, d;
		u64 gs = i % RANGE, gd = (i * 5 + 1) % RANGE;
		i++;
		if (gs == gd)
			continue;
		if (gmap_map(&vm.mem, _gfn(gs), &s, NULL, false)) {
			reader_bad[cpu]++;
			continue;
		}
		for (int spin = 0; spin < 50; spin++) /* hold the outer one a while: a change gets to wait for it */
			__builtin_ia32_pause();
		if (gmap_map(&vm.mem, _gfn(gd), &d, NULL, false) == 0) {
			reader_bad[cpu] += check_mapping(&d, gd, i);
			reader_bad[cpu] += check_mapping(&s, gs, i);
			gmap_unmap(&vm.mem, &d, NULL, false, false);
		} else {
			reader_bad[cpu]++;
		}
		gmap_unmap(&vm.mem, &s, NULL, false, false);
		nested_rounds++;
		__atomic_add_fetch(&progress, 1, __ATOMIC_RELAXED);
	}
	thread_end();
	return NULL;
}

TEST(gmap_smp_changes_drain_mappings_under_load)
{
	pthread_t t[SMP_CPUS];
	unsigned int n = 0;

	smp_vm();
	writer_done = 0;
	writer_errors = 0;
	progress = 0;
	nested_rounds = 0;
	for (int i = 0; i < SMP_CPUS; i++)
		reader_rounds[i] = reader_bad[i] = 0;
	u64 shootdowns = sim.shootdown;
	sim_shootdown_cpus = (1u << (READERS + 2)) - 1; /* cpus 0 .. READERS + 1 */

	EXPECT_EQ(pthread_create(&t[n++], NULL, writer, (void *)(uintptr_t)0), 0);
	for (unsigned int c = 1; c <= READERS; c++)
		EXPECT_EQ(pthread_create(&t[n++], NULL, reader, (void *)(uintptr_t)c), 0);
	EXPECT_EQ(pthread_create(&t[n++], NULL, nester, (void *)(uintptr_t)(READERS + 1)), 0);
	wait_or_die(&writer_done, "the writer among streaming readers");
	for (unsigned int i = 0; i < n; i++)
		pthread_join(t[i], NULL);

	EXPECT_EQ(writer_errors, 0);
	u64 rounds = nested_rounds, bad = 0;
	for (unsigned int c = 1; c <= READERS + 1; c++) {
		rounds += reader_rounds[c];
		bad += reader_bad[c];
	}
	EXPECT_EQ(bad, 0);
	EXPECT(rounds >= 1000);      /* the readers streamed meanwhile */
	EXPECT(nested_rounds >= 10); /* and the nesting one got through */
	EXPECT(sim.shootdown - shootdowns >= WRITER_ROUNDS);
	EXPECT(sim_shootdown_served >= WRITER_ROUNDS); /* acknowledged from spin-waits, as on the hypervisor */
	EXPECT_EQ(vm.mem.mappers, 0);
	EXPECT_EQ(vm.mem.changing, 0);
	if (getenv("KEYHOLE_UNIT_VERBOSE"))
		fprintf(stderr, "    %llu mapping rounds (%llu nested) during %d changes, %llu acknowledgements\n",
			(unsigned long long)rounds, (unsigned long long)nested_rounds, 2 * WRITER_ROUNDS,
			(unsigned long long)sim_shootdown_served);
	hostmm_activate(0);
}

/* ---- (c) step by step: a pending change holds a new mapping off, not a nested one ---- */

static u64 spins_by_cpu[SMP_CPUS];

static void count_spins(void)
{
	__atomic_add_fetch(&spins_by_cpu[sim_cpu], 1, __ATOMIC_RELAXED);
}

static u32 a_mapped, a_go_nest, a_nested, a_go_unmap, a_done, w_done, b_done;
static int a_nest_r, b_r, w_r;
static struct gmap b_map;

static void *holder_a(void *arg)
{
	struct gmap outer, inner;

	(void)arg;
	thread_start(1);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(3), &outer, NULL, false), 0);
	__atomic_store_n(&a_mapped, 1, __ATOMIC_RELEASE);
	wait_or_die(&a_go_nest, "cpu 1 waiting to nest");
	a_nest_r = gmap_map(&vm.mem, _gfn(4), &inner, NULL, false);
	__atomic_store_n(&a_nested, 1, __ATOMIC_RELEASE);
	wait_or_die(&a_go_unmap, "cpu 1 waiting to unmap");
	if (!a_nest_r)
		gmap_unmap(&vm.mem, &inner, NULL, false, false);
	gmap_unmap(&vm.mem, &outer, NULL, false, false);
	__atomic_store_n(&a_done, 1, __ATOMIC_RELEASE);
	thread_end();
	return NULL;
}

static void *changer_w(void *arg)
{
	(void)arg;
	thread_start(2);
	w_r = guest_mem_share(&vm.mem, _gfn(0), 8);
	__atomic_store_n(&w_done, 1, __ATOMIC_RELEASE);
	thread_end();
	return NULL;
}

static void *mapper_b(void *arg)
{
	(void)arg;
	thread_start(3);
	b_r = gmap_map(&vm.mem, _gfn(5), &b_map, NULL, false);
	__atomic_store_n(&b_done, 1, __ATOMIC_RELEASE);
	if (!b_r)
		gmap_unmap(&vm.mem, &b_map, NULL, false, false);
	thread_end();
	return NULL;
}

/* Until cpu has spun n times, or finished what it was asked (done: it did not wait, which the test checks). */
static void wait_spins(unsigned int cpu, u64 n, const u32 *done, const char *what)
{
	time_t start = time(NULL);

	while (__atomic_load_n(&spins_by_cpu[cpu], __ATOMIC_RELAXED) < n && !__atomic_load_n(done, __ATOMIC_ACQUIRE)) {
		if (time(NULL) - start > DEADLINE_S) {
			fprintf(stderr, "    %s: cpu %u never waited\n", what, cpu);
			abort();
		}
		sched_yield();
	}
}

TEST(gmap_smp_pending_change_holds_new_mappings_not_nested_ones)
{
	pthread_t a, w, b;

	smp_vm();
	a_mapped = a_go_nest = a_nested = a_go_unmap = a_done = w_done = b_done = 0;
	for (int i = 0; i < SMP_CPUS; i++)
		spins_by_cpu[i] = 0;
	sim_spin_hook = count_spins;
	sim_shootdown_cpus = 0x0e; /* cpus 1, 2, 3: the change's shootdown needs cpu 1 and 3 to serve it */

	/* cpu 1 holds a mapping of gfn 3. */
	EXPECT_EQ(pthread_create(&a, NULL, holder_a, NULL), 0);
	wait_or_die(&a_mapped, "cpu 1's first mapping");

	/* cpu 2 asks to share [0, 8): pending, it waits for cpu 1's mapping. */
	EXPECT_EQ(pthread_create(&w, NULL, changer_w, NULL), 0);
	wait_spins(2, 200, &w_done, "the change");
	EXPECT_EQ(__atomic_load_n(&vm.mem.changing, __ATOMIC_ACQUIRE), 1);
	EXPECT_EQ(__atomic_load_n(&w_done, __ATOMIC_ACQUIRE), 0);

	/* cpu 3, holding nothing, asks for a new mapping: held off while the change is pending. */
	EXPECT_EQ(pthread_create(&b, NULL, mapper_b, NULL), 0);
	wait_spins(3, 2000, &b_done, "the new mapping");
	EXPECT_EQ(__atomic_load_n(&b_done, __ATOMIC_ACQUIRE), 0);
	EXPECT_EQ(vm.mem.mappers, 1);

	/* cpu 1 nests a second mapping: served at once, the change still pending and cpu 3 still waiting. */
	__atomic_store_n(&a_go_nest, 1, __ATOMIC_RELEASE);
	wait_or_die(&a_nested, "cpu 1's nested mapping");
	EXPECT_EQ(a_nest_r, 0);
	EXPECT_EQ(__atomic_load_n(&w_done, __ATOMIC_ACQUIRE), 0);
	EXPECT_EQ(__atomic_load_n(&b_done, __ATOMIC_ACQUIRE), 0);
	EXPECT_EQ(vm.mem.mappers, 2);

	/* cpu 1 lets go: the change runs, then cpu 3's mapping, which sees the frame shared. */
	__atomic_store_n(&a_go_unmap, 1, __ATOMIC_RELEASE);
	wait_or_die(&w_done, "the change after the drain");
	wait_or_die(&b_done, "the held-off mapping after the change");
	pthread_join(a, NULL);
	pthread_join(w, NULL);
	pthread_join(b, NULL);
	EXPECT_EQ(w_r, 0);
	EXPECT_EQ(b_r, 0);
	EXPECT(!b_map.protected);
	EXPECT(!frame_is_protected(backing[5]));
	EXPECT(frame_is_protected(backing[8]));
	EXPECT_EQ(vm.mem.mappers, 0);
	sim_spin_hook = NULL;
	hostmm_activate(0);
}

/* ---- a change on a CPU that holds a mapping would wait for itself ---- */

static void share_while_mapped(void *arg)
{
	(void)arg;
	guest_mem_share(&vm.mem, _gfn(1), 1);
}

TEST(gmap_change_on_a_cpu_holding_a_mapping_panics)
{
	struct gmap map;

	smp_vm();
	hostmm_activate(0);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(1), &map, NULL, false), 0);
	EXPECT(test_expect_panic(share_while_mapped, NULL));
	EXPECT(strstr(sim_panic_msg, "wait for itself") != NULL);
	gmap_unmap(&vm.mem, &map, NULL, false, false); /* the lock was let go before the panic */
	EXPECT_EQ(vm.mem.changing, 0);
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(1), 1), 0);
}
