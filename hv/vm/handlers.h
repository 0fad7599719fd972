/*
 * The guest-visible platform, one file per device or register family, each
 * with the VM exits it answers (dispatched by hv/vm/exit.c) and the part of
 * the VMCS bitmaps it owns (set up by hv/vm/vcpu_setup.c):
 *
 *   cpuid.c  CPUID: keyhole's leaves, the hypervisor bit, what a platform hides
 *   msr.c    RDMSR/WRMSR and the MSR bitmap
 *   io.c     port I/O and the I/O bitmap; com1.c is the COM1 model behind it
 *   cr.c     MOV to CR0/CR4 and XSETBV
 */
#ifndef KEYHOLE_HV_VM_HANDLERS_H
#define KEYHOLE_HV_VM_HANDLERS_H

#include <keyhole/types.h>

struct vcpu;

void handle_cpuid(struct vcpu *v);
void handle_rdmsr(struct vcpu *v);
void handle_wrmsr(struct vcpu *v);
void handle_io(struct vcpu *v);
void handle_cr_access(struct vcpu *v);
void handle_xsetbv(struct vcpu *v);

/* Every MSR exits except those the platform passes through (a 4 KiB bitmap). */
void msr_bitmap_init(const struct vcpu *v, u8 *bitmap);
/* Every port exits except those the platform passes through (bitmaps A and B, 8 KiB). */
void io_bitmap_init(const struct vcpu *v, u8 *bitmap);

/* The COM1 model (com1.c): reg is the offset from COM1_BASE. */
u8 com1_in(struct vcpu *v, unsigned int reg);
void com1_out(struct vcpu *v, unsigned int reg, u8 val);

#endif
