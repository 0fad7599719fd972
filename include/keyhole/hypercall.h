/*
 * The keyhole hypercall ABI, version 2, shared by the hypervisor and its
 * guests.
 *
 * A guest calls keyhole with VMCALL: the call number in RAX, arguments in
 * RBX, RCX, RDX, RSI; the result comes back in RAX (negative errno on error),
 * and for calls that return a value besides the status, in RBX.
 *
 * A guest finds keyhole through CPUID: leaf 0x40000000 returns the highest
 * hypervisor leaf in EAX and the signature "KeyholeHV\0\0\0" in EBX, ECX,
 * EDX; leaf 0x40000001 returns the feature bits below in EAX, the ABI
 * version (2) in EBX and KH_HC_BASE, where keyhole's calls start, in ECX.
 * Leaf 0x40000002 (KH_CPUID_BENCH_MARK) is a benchmark hook, not a feature,
 * and not counted in 0x40000000's EAX: it reads all zeros, and only when
 * keyhole's command line says `bench` does it also end a phase of make
 * bench-linux (hv/vm/exit_stats.h).  Every other leaf of 0x400000xx reads
 * zeros.
 *
 * Why version 2: keyhole offers KVM's paravirtual interface too
 * (keyhole/kvm_para.h), and a KVM-aware guest makes KVM's hypercalls, whose
 * numbers are small: KVM_HC_VAPIC_POLL_IRQ is 1, KVM_HC_MAP_GPA_RANGE 12.
 * Version 1 numbered keyhole's own calls 0..4 and 0x100..0x1ff, so KVM's 1
 * was keyhole's EXIT and ended the guest.  Version 2 moves every keyhole
 * call into a range of its own, KH_HC_BASE ("KH" in the high half of
 * EAX) to KH_HC_LAST, each at KH_HC_BASE + its old number; every number
 * outside that range, the full 64 bits of RAX compared, is KVM's, and since
 * keyhole implements none of KVM's calls it answers each -KVM_ENOSYS
 * (-1000), as KVM answers a call it does not know, with nothing changed.
 * An unknown number inside keyhole's range gets -ENOSYS (-38).
 *
 * Only the guest's kernel speaks to keyhole: VMCALL exits from every
 * privilege level, and a call from CPL 1-3 is refused with -EPERM (as KVM
 * answers -KVM_EPERM), whatever its number, keyhole's or KVM's, EXIT
 * included, with nothing changed.  The diagnostic calls (KH_HC_DIAG_FIRST
 * to KH_HC_DIAG_LAST) exist only when keyhole's command line says `diag`
 * (and TEST_PLANT_LEAK only with `testhooks`); otherwise they answer
 * -ENOSYS and KH_FEAT_DIAG is clear.
 */
#ifndef KEYHOLE_HYPERCALL_H
#define KEYHOLE_HYPERCALL_H

#define KH_CPUID_SIGNATURE 0x40000000u
#define KH_CPUID_FEATURES 0x40000001u
#define KH_SIGNATURE_EBX 0x686f794bu /* "Keyh" */
#define KH_SIGNATURE_ECX 0x48656c6fu /* "oleH" */
#define KH_SIGNATURE_EDX 0x00000056u /* "V\0\0\0" */
#define KH_ABI_VERSION 2u

/*
 * The bench marker (make bench-linux): from any privilege level, since a
 * phase marker from Linux's userspace cannot be a hypercall (CPL 3 is
 * refused).  Always all zeros in EAX-EDX.  With `bench` on keyhole's command
 * line, subleaf (ECX) N > 0 makes keyhole log "guestG: bench-linux marker N:
 * E exits in T TSC ticks, K of them in keyhole: CPUID a, IO_INSTRUCTION b,
 * ..." for the vCPU's exits since its last marker (the first 32 markers of
 * a vCPU only); subleaf 0 starts the counts again without a line.
 */
#define KH_CPUID_BENCH_MARK 0x40000002u

/* Feature bits in CPUID 0x40000001.EAX */
#define KH_FEAT_MEM_PROTECTED (1u << 0) /* ENABLE_MEM_PROTECTED, MEM_SHARE, MEM_UNSHARE */
#define KH_FEAT_DIAG (1u << 1)          /* the KH_HC_DIAG_* calls (keyhole booted with `diag`) */

/*
 * keyhole's range: KH_HC_BASE to KH_HC_LAST ("KH" in the high half); every
 * other number is KVM's (keyhole/kvm_para.h).  CPUID 0x40000001.ECX says
 * KH_HC_BASE, so a guest need not assume it.
 */
#define KH_HC_BASE 0x4b480000u
#define KH_HC_LAST (KH_HC_BASE + 0xffffu)

/* Is nr (all 64 bits of RAX: 0x14b480000 is KVM's) one of keyhole's numbers?  Evaluates nr twice. */
#define KH_HC_IS_KEYHOLE(nr) ((nr) >= KH_HC_BASE && (nr) <= KH_HC_LAST)

enum kh_hypercall {
	KH_HC_NOP = KH_HC_BASE + 0,                  /* -> 0 */
	KH_HC_EXIT = KH_HC_BASE + 1,                 /* (status) -> does not return */
	KH_HC_ENABLE_MEM_PROTECTED = KH_HC_BASE + 2, /* -> 0 */
	KH_HC_MEM_SHARE = KH_HC_BASE + 3,            /* (gfn, npages) -> 0 */
	KH_HC_MEM_UNSHARE = KH_HC_BASE + 4,          /* (gfn, npages) -> 0 */

	/* Diagnostics: the guest makes keyhole touch its memory through gmap. */
	KH_HC_DIAG_READ8 = KH_HC_BASE + 0x100,    /* (gpa) -> 0, RBX = the 8 bytes at gpa */
	KH_HC_DIAG_FILL = KH_HC_BASE + 0x101,     /* (gpa, len, byte) -> 0; keyhole writes */
	KH_HC_DIAG_CHECKSUM = KH_HC_BASE + 0x102, /* (gpa, len) -> checksum (31 bits) */
	KH_HC_DIAG_COPY = KH_HC_BASE + 0x103,     /* (dst_gpa, src_gpa, len) -> 0 */
	KH_HC_DIAG_IN_DMAP = KH_HC_BASE + 0x104,  /* (gfn) -> 1 if keyhole's direct map reaches it, else 0 */
	KH_HC_DIAG_DIRTY = KH_HC_BASE + 0x105,    /* (gfn) -> 1 if logged dirty since the last ask, else 0 */
	/*
	 * (full) -> findings of the audit of keyhole's tables and this guest's EPT
	 * (0: clean).  full == 0: what a VM entry with audit=entry runs, a walk of
	 * only what changed since the last clean pass; else the full pass.
	 */
	KH_HC_DIAG_AUDIT = KH_HC_BASE + 0x106,
	KH_HC_DIAG_READ = KH_HC_BASE + 0x107,     /* (gpa, len <= 4096) -> 0; keyhole copy_from_guest()s into a buffer of its own */
	/*
	 * Test hook, refused (-ENOSYS) unless keyhole's command line says testhooks:
	 * maps the guest's frame at gfn into keyhole's own tables beside the direct
	 * map, a deliberate leak for the audit to catch at the next VM entry.
	 */
	KH_HC_TEST_PLANT_LEAK = KH_HC_BASE + 0x1f0, /* (gfn) -> 0 */
};

/* The diagnostic range: offered only with `diag` on keyhole's command line. */
#define KH_HC_DIAG_FIRST (KH_HC_BASE + 0x100u)
#define KH_HC_DIAG_LAST (KH_HC_BASE + 0x1ffu)

/* What every call from outside the guest's kernel (CPL > 0) gets in RAX: -EPERM. */
#define KH_ERR_NOT_KERNEL (-1)

/* Longest buffer a single DIAG call accepts. */
#define KH_DIAG_MAX_LEN (1u << 20)

#endif
