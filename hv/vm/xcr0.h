/*
 * Whether a guest's XSETBV may load a value into XCR0 (SDM Vol. 1, 13.3
 * "Enabling the XSAVE Feature Set and XSAVE-Enabled Features"; the rules
 * KVM's __kvm_set_xcr applies).  Plain C: host-tested over every
 * combination of the bits the rules tie together (tests/unit/test_xcr0.c).
 */
#ifndef KEYHOLE_HV_VM_XCR0_H
#define KEYHOLE_HV_VM_XCR0_H

#include <keyhole/types.h>

/*
 * True if XSETBV with ECX = index and EDX:EAX = val must succeed on a CPU
 * whose XCR0-supported components are `supported` (CPUID.(EAX=0DH,ECX=0):
 * EDX:EAX); false where the SDM says #GP(0).
 */
bool xcr0_valid(u32 index, u64 val, u64 supported);

#endif
