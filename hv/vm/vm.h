/*
 * A virtual machine: its guest memory (mm/gmap.h) and the EPT that maps it
 * (ept/ept.h).  The memory core owns each part; this is where they are tied
 * together, so that neither layer needs to know the other.  Pure C over
 * the memory core: the unit tests build it too.
 */
#ifndef KEYHOLE_HV_VM_VM_H
#define KEYHOLE_HV_VM_VM_H

#include <keyhole/types.h>
#include "ept/ept.h"
#include "hv/vm/kvm_clock.h"
#include "mm/gmap.h"

struct vm {
	unsigned int id;
	struct guest_mem mem;
	struct ept ept;
	struct kvm_clock_vm clock; /* its kvm-clock's zero (hv/vm/kvm_clock.h) */
	bool stopping; /* keyhole stopped one of its vCPUs: the others stop at their next exit (hv/vm/vm_run.c) */
};

/* An empty VM for guest `id`, its EPT with leaves up to max_ept_level (as for ept_init). */
int vm_mem_init(struct vm *vm, unsigned int id, int max_ept_level);
/* Adds npages of zeroed memory at gfn and maps it RWX in the EPT.  Errors as guest_mem_add(); nothing changes then. */
int vm_mem_add(struct vm *vm, gfn_t gfn, u64 npages);
/* The EPT first, then every frame scrubbed and freed (guest_mem_destroy). */
void vm_mem_destroy(struct vm *vm);

#endif
