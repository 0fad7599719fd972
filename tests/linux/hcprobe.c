/*
 * hcprobe: keyhole's hypercalls from an unprivileged Linux process (part of
 * make test-linux).  An outside review exploited keyhole this way: a static
 * program run as uid 1000 inside a protect=all Linux guest read kernel text
 * with DIAG_READ8, un-protected the VM with MEM_SHARE, overwrote kernel
 * memory with DIAG_FILL and ended the VM with EXIT.  Only the guest's kernel
 * may speak to keyhole (DESIGN.md invariant 7): each call below, made with
 * the arguments that would do the most harm, must come back -EPERM (-1)
 * with RBX untouched.  So must KVM's numbers (keyhole/kvm_para.h), which
 * keyhole would answer -KVM_ENOSYS from the kernel: the CPL rule comes
 * before the number is looked at, 1 (ABI version 1's EXIT) included.
 *
 * Started as root by /init, it drops to uid/gid 1000 with no capabilities
 * first, and says so.  Prints "HCPROBE: PASS/FAIL: ..." lines and
 * "HCPROBE: N passed, N failed"; its exit status is the failure count.
 *
 * Built with the host's gcc, static, by tools/linux-guest.sh.
 */
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <keyhole/hypercall.h>
#include <keyhole/kvm_para.h>

#define KERNEL_TEXT_GPA 0x1000000ull /* where keyhole loads a bzImage's kernel (hv/loader/linux_load.h) */
#define PAGE 4096ull

static int passed, failed;

static void check(int ok, const char *what)
{
	printf("HCPROBE: %s: %s\n", ok ? "PASS" : "FAIL", what);
	ok ? passed++ : failed++;
}

static int64_t vmcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *rbx)
{
	uint64_t rax = nr, b = a0;

	__asm__ volatile("vmcall" : "+a"(rax), "+b"(b) : "c"(a1), "d"(a2), "S"(0ull) : "memory");
	*rbx = b;
	return (int64_t)rax;
}

static int keyhole_present(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(KH_CPUID_SIGNATURE), "c"(0));
	return b == KH_SIGNATURE_EBX && c == KH_SIGNATURE_ECX && d == KH_SIGNATURE_EDX;
}

/* CapEff from /proc/self/status, or ~0 if unreadable. */
static unsigned long long effective_caps(void)
{
	char line[256];
	unsigned long long caps = ~0ull;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0)
			caps = strtoull(line + 7, NULL, 16);
	if (f)
		fclose(f);
	return caps;
}

int main(void)
{
	static const struct {
		uint64_t nr, a0, a1, a2;
		const char *what;
	} calls[] = {
		{ KH_HC_DIAG_READ8, KERNEL_TEXT_GPA, 0, 0, "DIAG_READ8 of kernel text" },
		/* early in the list: keyhole logs the first 16 refusals, and linux.sh looks for 12's */
		{ KVM_HC_VAPIC_POLL_IRQ, 7, 0, 0, "KVM's 1, KVM_HC_VAPIC_POLL_IRQ (ABI version 1's EXIT)" },
		{ KVM_HC_MAP_GPA_RANGE, 0, 1ull << 20, 0, "KVM's 12, KVM_HC_MAP_GPA_RANGE of all memory" },
		{ KH_HC_DIAG_READ, KERNEL_TEXT_GPA, PAGE, 0, "DIAG_READ of kernel text" },
		{ KH_HC_DIAG_CHECKSUM, KERNEL_TEXT_GPA, PAGE, 0, "DIAG_CHECKSUM of kernel text" },
		{ KH_HC_MEM_SHARE, 0, 1ull << 20, 0, "MEM_SHARE of all memory" },
		{ KH_HC_MEM_UNSHARE, 0, 1ull << 20, 0, "MEM_UNSHARE of all memory" },
		{ KH_HC_ENABLE_MEM_PROTECTED, 0, 0, 0, "ENABLE_MEM_PROTECTED" },
		{ KH_HC_DIAG_FILL, KERNEL_TEXT_GPA, PAGE, 'X', "DIAG_FILL over kernel text" },
		{ KH_HC_DIAG_COPY, KERNEL_TEXT_GPA, 0, PAGE, "DIAG_COPY onto kernel text" },
		{ KH_HC_DIAG_IN_DMAP, KERNEL_TEXT_GPA / PAGE, 0, 0, "DIAG_IN_DMAP" },
		{ KH_HC_DIAG_DIRTY, KERNEL_TEXT_GPA / PAGE, 0, 0, "DIAG_DIRTY" },
		{ KH_HC_DIAG_AUDIT, 0, 0, 0, "DIAG_AUDIT" },
		{ KH_HC_TEST_PLANT_LEAK, KERNEL_TEXT_GPA / PAGE, 0, 0, "TEST_PLANT_LEAK" },
		{ KH_HC_NOP, 0, 0, 0, "NOP" },
		{ KH_HC_EXIT, 7, 0, 0, "EXIT (the VM must go on)" },
	};
	char what[160];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setgroups(0, NULL) || setgid(1000) || setuid(1000)) {
		perror("HCPROBE: dropping to uid 1000");
		return 100;
	}
	check(getuid() == 1000 && geteuid() == 1000 && effective_caps() == 0,
	      "running as uid 1000 with no capabilities");
	if (!keyhole_present()) {
		check(0, "keyhole's CPUID signature is visible");
		return 1;
	}
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		uint64_t rbx;
		int64_t r = vmcall(calls[i].nr, calls[i].a0, calls[i].a1, calls[i].a2, &rbx);

		snprintf(what, sizeof(what), "%s from user space: %lld (want -EPERM)%s", calls[i].what, (long long)r,
			 rbx != calls[i].a0 ? ", and RBX changed" : "");
		check(r == KH_ERR_NOT_KERNEL && rbx == calls[i].a0, what);
	}
	printf("HCPROBE: %d passed, %d failed\n", passed, failed);
	return failed;
}
