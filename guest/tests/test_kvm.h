/* The test guest's checks of KVM's paravirtual clock and steal time (test_kvm.c). */
#ifndef GUEST_TESTS_TEST_KVM_H
#define GUEST_TESTS_TEST_KVM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * keyhole: whether CPUID 0x40000000 named keyhole; features: its
 * 0x40000001.EAX.  Runs last: it turns protection on (ENABLE_MEM_PROTECTED)
 * if the guest has not yet.
 */
void test_kvm(bool keyhole, uint32_t features);

#endif
