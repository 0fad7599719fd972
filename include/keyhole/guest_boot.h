/*
 * The boot-info block keyhole hands a guest it starts from an ELF64 image,
 * and the state the guest finds itself in at its first instruction.
 *
 * Loading: keyhole copies every PT_LOAD segment of the image to guest-physical
 * p_paddr and zero-fills it up to p_memsz.  The test guest links at 1 MiB
 * (guest/guest.ld) with p_paddr == p_vaddr.
 *
 * Several vCPUs (version 2): a module line with vcpus=N starts N vCPUs,
 * each on a physical CPU of its own, all at the same entry point, at once.
 * Each gets a block of its own in RDI: the same contents but for
 * vcpu_index and stack_top (vCPU 0's is the one at 0x1000 a version-1
 * guest knows; the others' are described in hv/loader/guest_load.h).
 * Nothing orders the vCPUs' first instructions: a guest that needs vCPU 0
 * to set things up first (clear .bss, say) makes the others wait for it.
 *
 * Entry state (what keyhole promises; guest/rt/crt0.S relies on it):
 *
 *   RIP     the ELF entry point (e_entry)
 *   RDI     guest-physical address of a struct kh_guest_boot, 8-byte aligned
 *   RSP     boot->stack_top if that is non-zero, else anything (crt0 then
 *           switches to a stack of its own before it touches memory); a
 *           vCPU other than 0 always gets a stack (32 KiB)
 *   mode    64-bit mode, CPL 0; CS a 64-bit code segment, the data segment
 *           registers flat; RFLAGS.IF = 0 (the guest has no IDT yet)
 *   paging  CR0.PG = CR4.PAE = EFER.LME = EFER.LMA = 1 over an identity map
 *           (guest-virtual == guest-physical) of all of [0, mem_size),
 *           writable and executable
 *   FPU/SSE CR0.EM = 0, CR0.MP = 1, CR4.OSFXSR = CR4.OSXMMEXCPT = 1: the
 *           guest may use SSE at once (crt0 sets these itself if they are
 *           not, and initialises x87 and MXCSR, whose contents are not part
 *           of the VMCS and so are whatever the CPU last held)
 *
 * Everything keyhole itself places in guest memory (this block, the command
 * line, the stack, the guest's page tables) lies outside the image and below
 * free_gpa, so [free_gpa, mem_size) is the guest's to scribble on.
 *
 * Only <stdint.h> is used: this header is compiled both into the
 * freestanding hypervisor and into guests built against newlib.  The
 * constants (not the struct) are visible to assembly too: the guest's crt0
 * reads the block before any C runs.
 */
#ifndef KEYHOLE_GUEST_BOOT_H
#define KEYHOLE_GUEST_BOOT_H

#define KH_GUEST_BOOT_MAGIC 0x4f42484b /* "KHBO" in memory order */
#define KH_GUEST_BOOT_VERSION 2

/* The most vCPUs one guest may ask for (its module line's vcpus=N). */
#define KH_GUEST_VCPUS_MAX 8

/* The most memory a guest gets: the identity map keyhole builds for it covers 4 GiB. */
#define KH_GUEST_MEM_MAX (4ULL << 30)

/* Field offsets, for crt0.S; checked against the struct below. */
#define KH_GUEST_BOOT_OFF_MAGIC 0
#define KH_GUEST_BOOT_OFF_STACK_TOP 32
#define KH_GUEST_BOOT_OFF_VCPU_INDEX 48

#ifndef __ASSEMBLER__

#include <stdint.h>

struct kh_guest_boot {
	uint32_t magic;       /* KH_GUEST_BOOT_MAGIC */
	uint32_t version;     /* KH_GUEST_BOOT_VERSION */
	uint64_t mem_size;    /* guest-physical memory is [0, mem_size), bytes */
	uint64_t cmdline_gpa; /* NUL-terminated command line, 0 if none */
	uint64_t cmdline_len; /* its length without the NUL, 0 if none */
	uint64_t stack_top;   /* initial RSP, 16-byte aligned; 0: none given */
	uint64_t free_gpa;    /* page aligned; first gpa free for the guest */
	/* Version 2 (a guest reading version 1 stops at free_gpa): */
	uint32_t vcpu_index;  /* this vCPU's number, 0 .. nr_vcpus - 1 */
	uint32_t nr_vcpus;    /* how many vCPUs the guest has (its module's vcpus=N; 1 without) */
};

/* The layout is ABI: both sides compile it, possibly with different flags. */
_Static_assert(sizeof(struct kh_guest_boot) == 56, "kh_guest_boot layout");
_Static_assert(__builtin_offsetof(struct kh_guest_boot, magic) == KH_GUEST_BOOT_OFF_MAGIC,
	       "kh_guest_boot layout");
_Static_assert(__builtin_offsetof(struct kh_guest_boot, mem_size) == 8, "kh_guest_boot layout");
_Static_assert(__builtin_offsetof(struct kh_guest_boot, stack_top) == KH_GUEST_BOOT_OFF_STACK_TOP,
	       "kh_guest_boot layout");
_Static_assert(__builtin_offsetof(struct kh_guest_boot, free_gpa) == 40, "kh_guest_boot layout");
_Static_assert(__builtin_offsetof(struct kh_guest_boot, vcpu_index) == KH_GUEST_BOOT_OFF_VCPU_INDEX,
	       "kh_guest_boot layout");

#endif /* !__ASSEMBLER__ */

#endif
