/*
 * The subset of KVM's paravirtual interface keyhole offers, shared by the
 * hypervisor and its test guests: the clock and steal time, nothing that
 * needs a local APIC.  Numbers and layouts are KVM's (Linux
 * Documentation/virt/kvm/x86/cpuid.rst, msr.rst, hypercalls.rst;
 * include/uapi/asm/kvm_para.h, pvclock-abi.h), so an unmodified Linux
 * finds and uses them as it would under KVM.
 *
 * Where: Linux scans the hypervisor leaves 0x40000000..0x4000ff00 in steps
 * of 0x100 for "KVMKVMKVM\0\0\0"; keyhole keeps 0x40000000 for itself
 * (keyhole/hypercall.h) and answers as KVM at 0x40000100:
 *   0x40000100  EAX = 0x40000101 (the last KVM leaf), EBX ECX EDX = the signature
 *   0x40000101  EAX = the KVM_FEATURE_* bits below, EDX = 0 (no hints)
 *
 * The MSRs (msr.rst), per vCPU; each reads back what was last written:
 *   WALL_CLOCK_NEW   a 4-byte aligned gpa: keyhole writes the wall-clock
 *                    time of kvm-clock's zero there, once, at the write.
 *   SYSTEM_TIME_NEW  bit 0 enables; the rest is the 4-byte aligned gpa of
 *                    this vCPU's pvclock_vcpu_time_info.
 *   STEAL_TIME       bit 0 enables; bits 1-5 are reserved (#GP, as KVM);
 *                    bits 63:6 are the gpa of the 64-byte kvm_steal_time.
 * A record keyhole cannot place whole in guest memory (outside it, not
 * aligned, the system-time record across a page) is not written; the MSR
 * still takes the value, as KVM's does (its cache fails to activate), and
 * keyhole logs the refusal.  The old MSRs 0x11/0x12 (KVM_FEATURE_CLOCKSOURCE)
 * are not offered: #GP.
 *
 * Hypercalls: keyhole implements none of KVM's.  Every VMCALL number outside
 * keyhole's own range (KH_HC_BASE, keyhole/hypercall.h) is KVM's, answered
 * -KVM_ENOSYS as KVM answers a call it does not know.
 */
#ifndef KEYHOLE_KVM_PARA_H
#define KEYHOLE_KVM_PARA_H

/* Only <stdint.h>: compiled into the hypervisor, the newlib guests and Linux userspace alike. */
#include <stdint.h>

#define KVM_CPUID_SIGNATURE 0x40000100u
#define KVM_CPUID_FEATURES 0x40000101u
#define KVM_SIGNATURE_EBX 0x4b4d564bu /* "KVMK" */
#define KVM_SIGNATURE_ECX 0x564b4d56u /* "VMKV" */
#define KVM_SIGNATURE_EDX 0x0000004du /* "M\0\0\0" */

/* CPUID 0x40000101.EAX (cpuid.rst) */
#define KVM_FEATURE_CLOCKSOURCE 0            /* the old MSRs 0x11/0x12: not offered */
#define KVM_FEATURE_NOP_IO_DELAY 1           /* port 0x80 delays are unnecessary */
#define KVM_FEATURE_CLOCKSOURCE2 3           /* MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW */
#define KVM_FEATURE_STEAL_TIME 5             /* MSR_KVM_STEAL_TIME */
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24 /* PVCLOCK_TSC_STABLE_BIT may be set */

#define KEYHOLE_KVM_FEATURES ((1u << KVM_FEATURE_NOP_IO_DELAY) | (1u << KVM_FEATURE_CLOCKSOURCE2) | \
			      (1u << KVM_FEATURE_STEAL_TIME) | (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT))

#define MSR_KVM_WALL_CLOCK 0x11u
#define MSR_KVM_SYSTEM_TIME 0x12u
#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00u
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u
#define MSR_KVM_STEAL_TIME 0x4b564d03u

#define KVM_MSR_ENABLED 1ull
#define KVM_STEAL_ALIGNMENT_BITS 5
#define KVM_STEAL_VALID_BITS (~0ull << (KVM_STEAL_ALIGNMENT_BITS + 1))
#define KVM_STEAL_RESERVED_MASK (((1ull << KVM_STEAL_ALIGNMENT_BITS) - 1) << 1)

/* hypercalls.rst: what a KVM hypercall keyhole does not implement returns */
#define KVM_ENOSYS 1000
#define KVM_EPERM 1
/* KVM's hypercall numbers, for the tests: each gets -KVM_ENOSYS from keyhole. */
#define KVM_HC_VAPIC_POLL_IRQ 1
#define KVM_HC_KICK_CPU 5
#define KVM_HC_CLOCK_PAIRING 9
#define KVM_HC_SEND_IPI 10
#define KVM_HC_SCHED_YIELD 11
#define KVM_HC_MAP_GPA_RANGE 12

/* pvclock-abi.h */
struct pvclock_vcpu_time_info {
	uint32_t version; /* odd while keyhole writes the record */
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time; /* ns at tsc_timestamp */
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((__packed__));

struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((__packed__));

#define PVCLOCK_TSC_STABLE_BIT (1u << 0)
#define PVCLOCK_GUEST_STOPPED (1u << 1)

/* kvm_para.h */
struct kvm_steal_time {
	uint64_t steal; /* ns this vCPU's CPU spent in keyhole rather than in the guest */
	uint32_t version;
	uint32_t flags;
	uint8_t preempted;
	uint8_t u8_pad[3];
	uint32_t pad[11];
};

_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock_vcpu_time_info is 32 bytes");
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "pvclock_wall_clock is 12 bytes");
_Static_assert(sizeof(struct kvm_steal_time) == 64, "kvm_steal_time is 64 bytes");

#endif
