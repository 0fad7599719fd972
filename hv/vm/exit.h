/* VM-exit handling: one handler per basic exit reason (hv/vm/exit.c). */
#ifndef KEYHOLE_HV_VM_EXIT_H
#define KEYHOLE_HV_VM_EXIT_H

struct vcpu;

void exit_dispatch(struct vcpu *v);

#endif
