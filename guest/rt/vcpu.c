/*
 * The runtime's side of a guest with several vCPUs (vcpu.h has the per-vCPU
 * table): which vCPU the caller is, how many there are, and what a vCPU
 * other than 0 runs once crt0.S has released it.
 *
 * vCPU 0 runs main() as in a guest with one; every other vCPU runs
 * kh_vcpu_main(index), which a program written for several vCPUs provides.
 * They share one copy of everything, newlib included, and newlib is not
 * thread-safe: only vCPU 0 may use its stdio, malloc or anything else with
 * state.  The others print with kh_printf() (print.c), which any vCPU may
 * call, and use only newlib's pure functions (memcpy, strlen, ...).
 */
#include <unistd.h>

#include "rt.h"
#include "vcpu.h"

unsigned int kh_vcpu_index(void)
{
	return (unsigned int)(kh_vcpu_self() - kh_vcpu_local);
}

unsigned int kh_nr_vcpus(void)
{
	const struct kh_guest_boot *boot = kh_boot_info();

	return boot ? boot->nr_vcpus : 1;
}

/* A program that knows nothing of vCPUs: the others have nothing to do. */
__attribute__((weak)) int kh_vcpu_main(unsigned int index)
{
	kh_printf("vCPU %u: this guest runs on vCPU 0 alone (it has no kh_vcpu_main); exiting\n", index);
	return 0;
}

/* crt0.S, on vCPU 1 and up, once vCPU 0 has built the IDT and run the constructors. */
void kh_vcpu_start(void) __attribute__((noreturn));
void kh_vcpu_start(void)
{
	kh_traps_load();
	_exit(kh_vcpu_main(kh_vcpu_index()));
}
