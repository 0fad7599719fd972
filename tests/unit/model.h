/*
 * The shadow model of a simulated VM (tests/unit/model.c), shared by the
 * random-sequence unit test and the mm fuzzer.
 */
#ifndef KEYHOLE_TEST_MODEL_H
#define KEYHOLE_TEST_MODEL_H

#include "hv/vm/vm.h"
#include "mm/fixmap.h"

#define SLOT0 40 /* pages at gfn 0 */
#define SLOT1 24 /* pages at gfn 0x800 */
#define NPAGES (SLOT0 + SLOT1)

struct model {
	u8 mem[NPAGES][PAGE_SIZE];
	bool prot[NPAGES];
	bool enabled;
	struct gmap open[FIX_GMAP_SLOTS + 1];
	int nopen;
};

/* Where the model's randomness comes from: any 64-bit value, as often as asked. */
typedef u64 (*model_source)(void);

/* On a booted simulated machine: makes the VM (two slots) and an empty model. */
void model_init(struct vm *vm, struct model *m, model_source source);
/* One random operation; returns the number of mismatches with the model. */
int model_step(struct vm *vm, struct model *m, int step);
/* Every invariant and every byte against the model; returns the mismatches. */
int model_check(struct vm *vm, struct model *m, int step);
/* Unmaps what is open and destroys the VM. */
void model_finish(struct vm *vm, struct model *m);

#endif
