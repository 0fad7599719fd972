/*
 * A guest from image to teardown: memory, EPT, the ELF load, one vCPU, the
 * run, and the scrub.  One guest runs at a time; a list of them runs one
 * after another, so a guest that is stopped does not end the run.
 */
#ifndef KEYHOLE_HV_VM_VM_RUN_H
#define KEYHOLE_HV_VM_VM_RUN_H

#include <keyhole/types.h>
#include "hv/vm/vcpu.h"

struct guest_result {
	enum vcpu_state state; /* VCPU_EXITED or VCPU_STOPPED */
	u64 status;            /* the guest's exit status when it EXITed */
	const char *reason;    /* why keyhole stopped it */
	u64 exits, hypercalls, bad_hypercalls;
};

/* What a guest starts from: keyhole's ELF64 guest format, or a Linux bzImage with an optional initrd. */
struct guest_image {
	bool is_linux;
	const void *image; /* the ELF file or the bzImage */
	u64 len;
	const void *initrd; /* Linux only; NULL: none */
	u64 initrd_len;
	const char *cmdline; /* the guest's (or the kernel's) command line */
	bool break_state;   /* a test VM with an invalid guest state (kh-invalid-state) */
	bool lapic_timer;   /* a test: the LAPIC timer is armed to fire while it runs (kh-lapic-timer) */
};

/*
 * Creates guest `id` with mem_bytes of memory, loads img, runs it to its end
 * and destroys it.  protect: every guest frame leaves keyhole's direct map
 * before the image is loaded, so the guest runs protected from its first
 * instruction without asking (protect=all).  -ENOEXEC/-E2BIG/-EINVAL: the
 * image or the size was refused (logged with the reason); -ENOMEM.
 */
int vm_run(unsigned int id, const struct guest_image *img, u64 mem_bytes, bool protect, struct guest_result *res);

/* The bench word: print what each guest's memory costs (make bench). */
void vm_report_costs(bool on);

#endif
