/*
 * kvmclock: what a Linux guest's userspace sees of keyhole's KVM clock and
 * steal time (part of make test-linux; the interface is keyhole/kvm_para.h).
 * /init runs it; it prints one line per call, and tests/bochs/linux.sh reads
 * some of them back from the serial log.
 *
 *   kvmclock now          "tsc=<n> mono_ns=<n>": RDTSC and CLOCK_MONOTONIC,
 *                         read back to back
 *   kvmclock time CMD...  runs CMD (PATH searched) between two such reads:
 *                         "tsc_delta=<n> mono_ns=<n> status=<s>"; exits with
 *                         CMD's status
 *   kvmclock cpuid N [MS] N CPUID instructions, each a VM exit (keyhole
 *                         intercepts CPUID, whatever the leaf), and more
 *                         until MS ms of CLOCK_MONOTONIC have passed (so that
 *                         the loop outlasts a few 10 ms ticks however cheap
 *                         an exit is), timed:
 *                         "cpuid n=<count> tsc_delta=<n> mono_ns=<n>"
 *   kvmclock sig          CPUID 0x40000100 and 0x40000101: the signature and
 *                         the feature bits, named; exits 0 only if the
 *                         signature is KVM's and the features are exactly
 *                         KEYHOLE_KVM_FEATURES
 *
 * Built with the host's gcc, static, by tools/linux-guest.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <keyhole/kvm_para.h>

#include "stamp.h"

static int cmd_time(char **argv)
{
	struct stamp a, b;
	int status;
	pid_t pid;

	a = now();
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		perror("kvmclock time");
		return 126;
	}
	b = now();
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("tsc_delta=%llu mono_ns=%llu status=%d\n", (unsigned long long)(b.tsc - a.tsc),
	       (unsigned long long)(b.mono_ns - a.mono_ns), status);
	return status;
}

static int cmd_cpuid(unsigned long n, unsigned long min_ms)
{
	uint32_t regs[4];
	struct stamp a, b;
	unsigned long i = 0;

	a = b = now();
	while (i < n || b.mono_ns - a.mono_ns < min_ms * 1000000ull) {
		unsigned long chunk = i < n && n - i < 100 ? n - i : 100;

		for (unsigned long k = 0; k < chunk; k++, i++)
			cpuid(0, 0, regs);
		b = now();
	}
	printf("cpuid n=%lu tsc_delta=%llu mono_ns=%llu\n", i, (unsigned long long)(b.tsc - a.tsc),
	       (unsigned long long)(b.mono_ns - a.mono_ns));
	return 0;
}

static int number(const char *s, unsigned long *v)
{
	char *end;

	*v = strtoul(s, &end, 0);
	return *s && !*end;
}

static int cmd_sig(void)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ KVM_FEATURE_CLOCKSOURCE, "clocksource" },
		{ KVM_FEATURE_NOP_IO_DELAY, "nop_io_delay" },
		{ KVM_FEATURE_CLOCKSOURCE2, "clocksource2" },
		{ KVM_FEATURE_STEAL_TIME, "steal_time" },
		{ KVM_FEATURE_CLOCKSOURCE_STABLE_BIT, "clocksource_stable_bit" },
	};
	uint32_t sig[4], feat[4] = { 0 };
	char text[13];
	int kvm;

	cpuid(KVM_CPUID_SIGNATURE, 0, sig);
	memcpy(text, &sig[1], 4);
	memcpy(text + 4, &sig[2], 4);
	memcpy(text + 8, &sig[3], 4);
	text[12] = 0;
	for (int i = 0; i < 12; i++)
		if (text[i] && (text[i] < 0x20 || text[i] > 0x7e))
			text[i] = '?';
	kvm = sig[1] == KVM_SIGNATURE_EBX && sig[2] == KVM_SIGNATURE_ECX && sig[3] == KVM_SIGNATURE_EDX;
	printf("leaf %#x: eax %#x, signature \"%s\"%s\n", KVM_CPUID_SIGNATURE, sig[0], text,
	       kvm ? " (KVM's)" : " (not KVM's)");
	if (kvm && sig[0] >= KVM_CPUID_FEATURES)
		cpuid(KVM_CPUID_FEATURES, 0, feat);
	printf("leaf %#x: eax %#x (want %#x), edx %#x:", KVM_CPUID_FEATURES, feat[0], KEYHOLE_KVM_FEATURES, feat[3]);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (feat[0] & 1u << names[i].bit)
			printf(" %s", names[i].name);
	printf("\n");
	return kvm && feat[0] == KEYHOLE_KVM_FEATURES ? 0 : 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: kvmclock now | time CMD [ARG...] | cpuid N [MS] | sig\n");
	return 2;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "now") == 0) {
		struct stamp s = now();

		printf("tsc=%llu mono_ns=%llu\n", (unsigned long long)s.tsc, (unsigned long long)s.mono_ns);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "time") == 0)
		return cmd_time(argv + 2);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "cpuid") == 0) {
		unsigned long n, ms = 0;

		return number(argv[2], &n) && (argc == 3 || number(argv[3], &ms)) ? cmd_cpuid(n, ms) : usage();
	}
	if (argc == 2 && strcmp(argv[1], "sig") == 0)
		return cmd_sig();
	return usage();
}
