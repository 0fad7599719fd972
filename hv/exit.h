/* VM-exit handling: one handler per basic exit reason (hv/exit.c). */
#ifndef KEYHOLE_HV_EXIT_H
#define KEYHOLE_HV_EXIT_H

#include <keyhole/types.h>

struct vcpu;

void exit_dispatch(struct vcpu *v);
/* audit=entry on the command line: run the audit before every VM entry (test builds). */
void exit_set_audit(bool on);
void exit_check_audit(void);

#endif
