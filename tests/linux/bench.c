/*
 * bench: make bench-linux's phases, timed from a Linux guest's userspace
 * (tests/linux/bench-init runs it; tools/bench-linux.sh reads its lines
 * back from the serial log).  The same binary runs on the bare (emulated)
 * machine and under keyhole: the TSC is read with RDTSC, which neither
 * intercepts (in Bochs it counts instructions, from the machine's reset),
 * and each phase is bracketed by CPUID of KH_CPUID_BENCH_MARK, which under
 * keyhole with `bench` logs the phase's exits by reason and elsewhere is a
 * CPUID like any other.
 *
 *   bench boot                 "BENCH-LINUX: boot tsc=<n> mono_ns=<n>": the TSC
 *                              now (since reset) and CLOCK_MONOTONIC; then
 *                              marker 1 (the exits since the first VM entry)
 *   bench phase N NAME CMD...  marker 0, the TSC, CMD (PATH searched) run to
 *                              its end, the TSC, marker N: "BENCH-LINUX: phase
 *                              NAME tsc_delta=<n> mono_ns=<n> status=<s>"
 *   bench compute N            N rounds of an integer mix (no system call)
 *   bench forkexec N PROG...   N times: fork, exec PROG, wait
 *   bench shutdown             off the bare machine: Bochs's shutdown port
 *                              0x8900 ("Shutdown"); under a hypervisor
 *                              (CPUID.1:ECX[31]) nothing, /init powers off
 *
 * Built with the host's gcc, static, by tools/linux-guest.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <keyhole/hypercall.h>

#include "stamp.h"

static void marker(uint32_t n)
{
	uint32_t r[4];

	cpuid(KH_CPUID_BENCH_MARK, n, r);
}

/* fork, exec argv (PATH searched), wait: the child's exit status, or 126/127. */
static int run(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		perror("bench: fork/wait");
		return 126;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmd_phase(uint32_t n, const char *name, char **argv)
{
	struct stamp a, b;
	int status;

	marker(0);
	a = now();
	status = run(argv);
	b = now();
	marker(n);
	printf("BENCH-LINUX: phase %s tsc_delta=%llu mono_ns=%llu status=%d\n", name,
	       (unsigned long long)(b.tsc - a.tsc), (unsigned long long)(b.mono_ns - a.mono_ns), status);
	return status;
}

/* A multiply-xorshift mix: registers only, no memory traffic beyond the loop. */
static int cmd_compute(unsigned long n)
{
	volatile uint64_t sink;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (unsigned long i = 0; i < n; i++) {
		x ^= x >> 31;
		x *= 0xbf58476d1ce4e5b9ull;
		x ^= x << 7;
	}
	sink = x;
	(void)sink;
	return 0;
}

static int cmd_forkexec(unsigned long n, char **argv)
{
	for (unsigned long i = 0; i < n; i++)
		if (run(argv) != 0)
			return 1;
	return 0;
}

static int cmd_shutdown(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (r[2] & (1u << 31))
		return 0; /* a hypervisor's machine: /init's poweroff ends it */
	if (ioperm(0x8900, 1, 1) != 0) {
		perror("bench shutdown: ioperm");
		return 1;
	}
	fflush(NULL);
	for (const char *p = "Shutdown"; *p; p++)
		outb((unsigned char)*p, 0x8900);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "boot") == 0) {
		struct stamp s = now();
		marker(1);
		printf("BENCH-LINUX: boot tsc=%llu mono_ns=%llu\n", (unsigned long long)s.tsc,
		       (unsigned long long)s.mono_ns);
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "phase") == 0)
		return cmd_phase((uint32_t)strtoul(argv[2], NULL, 0), argv[3], argv + 4);
	if (argc == 3 && strcmp(argv[1], "compute") == 0)
		return cmd_compute(strtoul(argv[2], NULL, 0));
	if (argc >= 4 && strcmp(argv[1], "forkexec") == 0)
		return cmd_forkexec(strtoul(argv[2], NULL, 0), argv + 3);
	if (argc == 2 && strcmp(argv[1], "shutdown") == 0)
		return cmd_shutdown();
	fprintf(stderr, "usage: bench boot | phase N NAME CMD... | compute N | forkexec N PROG... | shutdown\n");
	return 2;
}
