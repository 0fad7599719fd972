/*
 * Each vCPU's own corner of the runtime, shared by crt0.S and vcpu.c.
 *
 * A guest with several vCPUs (vcpus=N on its module line) runs one copy of
 * the image on all of them: every global is shared.  What must differ per
 * vCPU lives in kh_vcpu_local[vcpu index], and each vCPU points its GS base
 * at its own entry as its first act (IA32_GS_BASE is the guest's own MSR,
 * written without an exit), so that `mov %gs:OFFSET` reads this vCPU's
 * field from anywhere, a trap handler included, without a lookup.
 *
 * The table is in .data, not .bss: vCPU 0 clears .bss while the others may
 * already have filled their entries.
 */
#ifndef GUEST_RT_VCPU_H
#define GUEST_RT_VCPU_H

#include <keyhole/guest_boot.h>

#define KH_VCPU_LOCAL_SHIFT 4
#define KH_VCPU_LOCAL_SIZE (1 << KH_VCPU_LOCAL_SHIFT)
#define KH_VCPU_LOCAL_OFF_BOOT 0
#define KH_VCPU_LOCAL_OFF_INDEX 8
#define KH_VCPU_LOCAL_OFF_IN_TRAP 12

/* crt0 reads the block's version before trusting its vcpu_index. */
#define KH_GUEST_BOOT_OFF_VERSION 4

#ifndef __ASSEMBLER__

#include <stdint.h>

struct kh_vcpu_local {
	uint64_t boot_gpa; /* RDI at entry: this vCPU's boot-info block (validated by kh_boot_info()) */
	uint32_t index;    /* the block's vcpu_index; 0 without a valid block */
	uint32_t in_trap;  /* set while traps.c reports an exception on this vCPU */
};

_Static_assert(sizeof(struct kh_vcpu_local) == KH_VCPU_LOCAL_SIZE, "kh_vcpu_local layout");
_Static_assert(__builtin_offsetof(struct kh_vcpu_local, boot_gpa) == KH_VCPU_LOCAL_OFF_BOOT, "kh_vcpu_local layout");
_Static_assert(__builtin_offsetof(struct kh_vcpu_local, index) == KH_VCPU_LOCAL_OFF_INDEX, "kh_vcpu_local layout");
_Static_assert(__builtin_offsetof(struct kh_vcpu_local, in_trap) == KH_VCPU_LOCAL_OFF_IN_TRAP,
	       "kh_vcpu_local layout");
_Static_assert(__builtin_offsetof(struct kh_guest_boot, version) == KH_GUEST_BOOT_OFF_VERSION, "kh_guest_boot layout");

/* crt0.S: one entry per possible vCPU. */
extern struct kh_vcpu_local kh_vcpu_local[KH_GUEST_VCPUS_MAX];

/* This vCPU's entry, through GS. */
static inline struct kh_vcpu_local *kh_vcpu_self(void)
{
	uint32_t index;

	__asm__("movl %%gs:%c1, %0" : "=r"(index) : "i"(KH_VCPU_LOCAL_OFF_INDEX));
	return &kh_vcpu_local[index];
}

#endif /* !__ASSEMBLER__ */

#endif
