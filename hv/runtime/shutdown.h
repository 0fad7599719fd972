/*
 * Ending a run: machine_shutdown() stops keyhole and, under an emulator,
 * the emulator, so a test harness sees the end at once instead of a timeout.
 */
#ifndef KEYHOLE_HV_SHUTDOWN_H
#define KEYHOLE_HV_SHUTDOWN_H

enum shutdown_status {
	SHUTDOWN_OK = 0,
	SHUTDOWN_FAILURE = 1, /* a test or a guest failed */
	SHUTDOWN_PANIC = 2,   /* keyhole itself broke */
	SHUTDOWN_NO_VMX = 3,  /* this CPU cannot run guests: VT-x missing or off */
};

/*
 * Where an emulator or a hypervisor is recognised (shutdown_plan.c), its
 * exit ports: Bochs quits; QEMU with isa-debug-exit (iobase=0xf4) exits
 * with status (status << 1) | 1.  Elsewhere this CPU halts for good, or,
 * with "reboot" on the command line, the machine resets.  The last log line
 * is out on the serial port first.
 */
void machine_shutdown(enum shutdown_status status) __attribute__((noreturn));

#endif
