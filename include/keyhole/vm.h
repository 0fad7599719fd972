/*
 * A virtual machine: its guest memory and its EPT.  The memory core owns these
 * parts; the hypervisor adds the vCPU and run state.
 */
#ifndef KEYHOLE_VM_H
#define KEYHOLE_VM_H

#include <keyhole/types.h>
#include "mm/gmap.h"
#include "ept/ept.h"

struct vm {
	unsigned int id;
	struct guest_mem mem;
	struct ept ept;
};

#endif
