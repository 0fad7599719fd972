/*
 * What keyhole checks and sets on the machine itself before any guest: the
 * caching state the entries leave, and the command line's choice of how a
 * run ends (machine_shutdown(), hv/runtime/shutdown.h).
 */
#ifndef KEYHOLE_HV_MACHINE_H
#define KEYHOLE_HV_MACHINE_H

/* Reads "reboot" from the command line; checks IA32_PAT. */
void machine_configure(const char *cmdline);

#endif
