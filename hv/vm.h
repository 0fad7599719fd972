/*
 * A guest from image to teardown: memory, EPT, the ELF load, one vCPU, the
 * run, and the scrub.  One guest runs at a time; a list of them runs one
 * after another, so a guest that is stopped does not end the run.
 */
#ifndef KEYHOLE_HV_VM_H
#define KEYHOLE_HV_VM_H

#include <keyhole/types.h>
#include "hv/vmx.h"

struct guest_result {
	enum vcpu_state state; /* VCPU_EXITED or VCPU_STOPPED */
	u64 status;            /* the guest's exit status when it EXITed */
	const char *reason;    /* why keyhole stopped it */
	u64 exits, hypercalls, bad_hypercalls;
};

/*
 * Creates guest `id` with mem_bytes of memory from an ELF64 image, runs it to
 * its end and destroys it.  -ENOEXEC/-EINVAL: the image or the size was
 * refused (logged with the reason); -ENOMEM.
 */
int vm_run_image(unsigned int id, const void *image, u64 len, u64 mem_bytes, const char *cmdline,
		 bool break_state, struct guest_result *res);

/* The bench word: print what each guest's memory costs (make bench). */
void vm_report_costs(bool on);

#endif
