/* A VM's memory and its EPT, kept in step (see vm.h). */
#include "hv/vm/vm.h"

int vm_mem_init(struct vm *vm, unsigned int id, int max_ept_level)
{
	int r = guest_mem_init(&vm->mem, id);

	if (r)
		return r;
	vm->id = id;
	return ept_init(&vm->ept, max_ept_level, false);
}

int vm_mem_add(struct vm *vm, gfn_t gfn, u64 npages)
{
	const struct mem_slot *s;
	int r = guest_mem_add(&vm->mem, gfn, npages, &s);

	if (r)
		return r;
	r = ept_map(&vm->ept, gfn_to_gpa(gfn), s->mfn, npages << PAGE_SHIFT, PT_R | PT_W | PT_X);
	if (r) {
		ept_unmap(&vm->ept, gfn_to_gpa(gfn), npages << PAGE_SHIFT);
		guest_mem_remove_last(&vm->mem);
	}
	return r;
}

void vm_mem_destroy(struct vm *vm)
{
	ept_destroy(&vm->ept);
	guest_mem_destroy(&vm->mem);
}
