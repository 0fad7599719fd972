/*
 * A guest from image to teardown: memory, EPT, the ELF load, its vCPUs each
 * pinned to a CPU of its own, the run, and the scrub.  Guests start in the
 * order given, each once it has its CPUs; several run at once when there
 * are CPUs for them.  A guest that is stopped does not end the others.
 */
#ifndef KEYHOLE_HV_VM_VM_RUN_H
#define KEYHOLE_HV_VM_VM_RUN_H

#include <keyhole/types.h>
#include "hv/vm/vcpu.h"

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
	unsigned int vcpus; /* vcpus=N on the module line; 0: one */
};

/*
 * On the boot CPU: waits until guest `id` can have its vCPUs' CPUs, creates
 * it with mem_bytes of memory, loads img and starts its vCPUs; returns once
 * they run, or when the one given the boot CPU (if any) has ended.  The
 * guest reports its own end and is destroyed by its last vCPU.  protect:
 * every guest frame leaves keyhole's direct map before the image is loaded,
 * so the guest runs protected from its first instruction without asking
 * (protect=all).  -ENOEXEC/-E2BIG/-EINVAL: the image, the size or the vCPU
 * count was refused (logged with the reason); -ENOMEM.
 */
int vm_start(unsigned int id, const struct guest_image *img, u64 mem_bytes, bool protect);
/* Waits until `started` guests (vm_start() == 0) have ended; how many of them exited with status 0. */
unsigned int vm_wait_all(unsigned int started);

/* The bench word: print what each guest's memory costs (make bench). */
void vm_report_costs(bool on);

#endif
