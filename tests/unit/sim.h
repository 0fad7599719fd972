/*
 * The simulated machine the unit tests run the memory core on.
 *
 * Physical memory is a memfd.  The core's direct-map and fixmap windows are
 * real host address ranges backed by that memfd, and the simulated MMU keeps
 * them in step with the core's page tables at the moments real hardware
 * would: on a CR3 load and on each INVLPG (arch_flush_va).  So a pointer the
 * core computes really reaches the frame its tables say, a hole in the
 * direct map really faults, and a missing flush leaves a stale mapping.
 *
 * sim_phys() is the bus view: it reaches any frame without the page tables,
 * for checking contents independently of the code under test.
 */
#ifndef KEYHOLE_TEST_SIM_H
#define KEYHOLE_TEST_SIM_H

#include <keyhole/types.h>
#include "mm/frame.h"

#define SIM_RAM_BYTES (6ULL << 30)
#define SIM_DMAP_BASE 0x200000000000ULL
#define SIM_FIXMAP_BASE 0x300000000000ULL
#define SIM_FIXMAP_BYTES (2ULL << 20)
#define SIM_IMAGE_VA 0xffffffff80200000ULL
#define SIM_IMAGE_PA 0x200000ULL
#define SIM_IMAGE_BYTES 0x200000ULL

struct sim_counters {
	u64 flush_va;     /* INVLPGs */
	u64 flush_all;
	u64 load_root;
	u64 invept;
	u64 last_flush_va;
	u64 last_invept;
	u64 root;         /* CR3 */
	u64 shootdown;    /* arch_shootdown() calls: the other CPUs told to flush */
	u64 last_shootdown_va, last_shootdown_len;
};
extern struct sim_counters sim;
/* The CPU this thread plays (arch_cpu_id()): per thread, so that threads can be CPUs. */
extern __thread unsigned int sim_cpu;
/* Set in a test's threads: panic() there aborts (it cannot jump to the runner). */
extern __thread bool sim_in_thread;
/* arch_spin_wait() calls by this thread, and a hook it calls each time (NULL: none; sim_reset clears it). */
extern __thread u64 sim_spins;
extern void (*sim_spin_hook)(void);
/*
 * Threads playing CPUs: a bit per CPU that must acknowledge a shootdown
 * (arch_shootdown() then waits for each, served in its arch_spin_wait(), as
 * on the hypervisor; 0: shootdowns are only counted).  A CPU's thread takes
 * its bit out before it ends.  sim_shootdown_served counts acknowledgements.
 */
extern u32 sim_shootdown_cpus;
extern u64 sim_shootdown_served;

/* Fresh machine: all memory zero, windows as an early boot map leaves them. */
void sim_reset(void);
/*
 * The standard machine: RAM [4K, 636K), [1M, 2G), [4G, 6G) with the image
 * reserved at 2 MiB; frames_init + hostmm_init(2 CPUs) + activate CPU 0.
 */
void sim_boot_standard(void);
/* A quick machine for the fuzzers: 63 MiB of RAM at 1 MiB, one CPU. */
void sim_boot_small(void);
void *sim_phys(u64 pa);

/* Independent software walks of the simulated tables (no mm/ code). */
int sw_walk_host(u64 root_pa, u64 va, u64 *pa, int *level, u64 *entry);
int sw_walk_ept(u64 eptp, u64 gpa, u64 *pa, int *level, u64 *entry);

/* Captured log lines. */
bool sim_log_contains(const char *needle);
void sim_log_clear(void);

/* Does touching va fault (read)?  Uses a SIGSEGV handler. */
bool sim_faults(const volatile void *va);

/* Expect panic() from fn(arg); the message is left in sim_panic_msg. */
extern char sim_panic_msg[512];

#endif
