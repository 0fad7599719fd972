/*
 * keyhole's own address space: the page tables every CPU runs on.
 *
 *   0xffff888000000000  direct map of all RAM, 1 GiB / 2 MiB / 4 KiB leaves,
 *                       RW, NX, global; holes where frames are protected
 *   0xfffffe0000000000  fixmap window: per-CPU slots, one 4 KiB page each
 *   0xffffffff80000000  the hypervisor image (text RX, rodata R, data RW NX)
 *
 * (The hosted unit tests move the two windows to addresses they can back with
 * real memory; see arch_dmap_base() and arch_fixmap_base().)
 *
 * Each CPU has its own root.  All roots point to the same tables below the
 * root for the direct map and the image, so a change there is seen by every
 * CPU; each root has its own tables for the fixmap window, so a CPU's slots
 * are invisible to the others and a local INVLPG completes an unmap.
 */
#ifndef KEYHOLE_MM_HOSTMM_H
#define KEYHOLE_MM_HOSTMM_H

#include <keyhole/layout.h>
#include <keyhole/types.h>
#include "mm/pt.h"

/* The x86-64 page-table format, for struct pt. */
extern const struct pt_format host_format;

struct hostmm_section {
	u64 va, pa, size;
	unsigned int prot; /* PT_R | PT_W | PT_X */
};

/*
 * After frames_init(): builds the direct map of all RAM and maps the image
 * sections, then one root per CPU.  -EINVAL (ncpus, bad section), -ENOMEM.
 */
int hostmm_init(unsigned int ncpus, const struct hostmm_section *image, unsigned int nsections);
/*
 * One more CPU's root (its own fixmap tables, the shared rest), for a CPU
 * brought up after hostmm_init(): cpu must be hostmm_ncpus(), below
 * MAX_CPUS (-EINVAL).  The audit walks it from then on.  -ENOMEM.
 */
int hostmm_add_cpu(unsigned int cpu);
/* Loads this CPU's root into CR3. */
void hostmm_activate(unsigned int cpu);
unsigned int hostmm_ncpus(void);
/* The tables one CPU runs on, for the audit. */
struct pt *hostmm_cpu_pt(unsigned int cpu);
/* The shared tables (direct map and image). */
struct pt *hostmm_shared_pt(void);
/*
 * The direct-map lock (dmap_lock, hostmm.c), for a walk of the shared tables
 * that must not see them change: the audit.  direct_map_remove/restore/
 * reaches and hostmm_add_cpu() take it themselves.
 */
void hostmm_lock_tables(void);
void hostmm_unlock_tables(void);
/* This CPU's page of fixmap PTEs: entry i maps fixmap slot i. */
u64 *hostmm_fixmap_ptes(unsigned int cpu);

#endif
