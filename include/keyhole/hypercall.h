/*
 * The keyhole hypercall ABI, shared by the hypervisor and its guests.
 *
 * A guest calls keyhole with VMCALL: the call number in RAX, arguments in
 * RBX, RCX, RDX, RSI; the result comes back in RAX (negative errno on error),
 * and for calls that return a value besides the status, in RBX.
 *
 * A guest finds keyhole through CPUID: leaf 0x40000000 returns the highest
 * hypervisor leaf in EAX and the signature "KeyholeHV\0\0\0" in EBX, ECX,
 * EDX; leaf 0x40000001 returns the feature bits below in EAX and the ABI
 * version in EBX.  The seed series used KVM's numbers 12..14; upstream KVM
 * gave 12 to KVM_HC_MAP_GPA_RANGE since, so keyhole has its own.
 *
 * Only the guest's kernel speaks to keyhole: VMCALL exits from every
 * privilege level, and a call from CPL 1-3 is refused with -EPERM (as KVM
 * answers -KVM_EPERM), whatever its number, EXIT included, with nothing
 * changed.  The diagnostic calls (0x100-0x1ff) exist only when keyhole's
 * command line says `diag` (and TEST_PLANT_LEAK only with `testhooks`);
 * otherwise they answer -ENOSYS and KH_FEAT_DIAG is clear.
 */
#ifndef KEYHOLE_HYPERCALL_H
#define KEYHOLE_HYPERCALL_H

#define KH_CPUID_SIGNATURE 0x40000000u
#define KH_CPUID_FEATURES 0x40000001u
#define KH_SIGNATURE_EBX 0x686f794bu /* "Keyh" */
#define KH_SIGNATURE_ECX 0x48656c6fu /* "oleH" */
#define KH_SIGNATURE_EDX 0x00000056u /* "V\0\0\0" */
#define KH_ABI_VERSION 1u

/* Feature bits in CPUID 0x40000001.EAX */
#define KH_FEAT_MEM_PROTECTED (1u << 0) /* ENABLE_MEM_PROTECTED, MEM_SHARE, MEM_UNSHARE */
#define KH_FEAT_DIAG (1u << 1)          /* the KH_HC_DIAG_* calls (keyhole booted with `diag`) */

enum kh_hypercall {
	KH_HC_NOP = 0,                  /* -> 0 */
	KH_HC_EXIT = 1,                 /* (status) -> does not return */
	KH_HC_ENABLE_MEM_PROTECTED = 2, /* -> 0 */
	KH_HC_MEM_SHARE = 3,            /* (gfn, npages) -> 0 */
	KH_HC_MEM_UNSHARE = 4,          /* (gfn, npages) -> 0 */

	/* Diagnostics: the guest makes keyhole touch its memory through gmap. */
	KH_HC_DIAG_READ8 = 0x100,    /* (gpa) -> 0, RBX = the 8 bytes at gpa */
	KH_HC_DIAG_FILL = 0x101,     /* (gpa, len, byte) -> 0; keyhole writes */
	KH_HC_DIAG_CHECKSUM = 0x102, /* (gpa, len) -> checksum (31 bits) */
	KH_HC_DIAG_COPY = 0x103,     /* (dst_gpa, src_gpa, len) -> 0 */
	KH_HC_DIAG_IN_DMAP = 0x104,  /* (gfn) -> 1 if keyhole's direct map reaches it, else 0 */
	KH_HC_DIAG_DIRTY = 0x105,    /* (gfn) -> 1 if logged dirty since the last ask, else 0 */
	KH_HC_DIAG_AUDIT = 0x106,    /* -> findings of the audit of keyhole's tables and this guest's EPT (0: clean) */
	KH_HC_DIAG_READ = 0x107,     /* (gpa, len <= 4096) -> 0; keyhole copy_from_guest()s into a buffer of its own */
	/*
	 * Test hook, refused (-ENOSYS) unless keyhole's command line says testhooks:
	 * maps the guest's frame at gfn into keyhole's own tables beside the direct
	 * map, a deliberate leak for the audit to catch at the next VM entry.
	 */
	KH_HC_TEST_PLANT_LEAK = 0x1f0, /* (gfn) -> 0 */
};

/* The diagnostic range: offered only with `diag` on keyhole's command line. */
#define KH_HC_DIAG_FIRST 0x100
#define KH_HC_DIAG_LAST 0x1ff

/* What every call from outside the guest's kernel (CPL > 0) gets in RAX: -EPERM. */
#define KH_ERR_NOT_KERNEL (-1)

/* Longest buffer a single DIAG call accepts. */
#define KH_DIAG_MAX_LEN (1u << 20)

#endif
