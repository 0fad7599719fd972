/*
 * Starting a guest from an ELF64 image: validate it, copy its segments into
 * guest memory, and lay out what keyhole gives the guest beside it.
 *
 * Guest-physical layout keyhole sets up (include/keyhole/guest_boot.h has the
 * guest's side of the contract):
 *
 *   0x00000000  not used by keyhole
 *   0x00001000  struct kh_guest_boot, then the command line
 *   0x00002000  guest page tables: PML4, PDPT, one PD per GiB (2 MiB pages,
 *               identity map of all guest memory), up to 0x8000
 *   0x00008000  a GDT whose selectors match the guest's segment registers
 *               (0x08 code, 0x10 data, 0x18 TSS), so the guest can take
 *               exceptions through an IDT of its own; its TSS at 0x9000
 *   0x0000a000  the boot blocks of vCPUs 1 .. 7 (vcpus=N), vCPU k's at
 *               0xa000 + k * 64 (vCPU 0's is the one at 0x1000)
 *   0x00038000  the stacks of vCPUs 7 .. 1, 32 KiB each, vCPU k's top at
 *               0x70000 - (k - 1) * 0x8000
 *   0x00070000  vCPU 0's initial stack (64 KiB, top at 0x80000)
 *   0x00080000  first address an image segment may use
 *   ...         the image's PT_LOAD segments, at p_paddr
 *   free_gpa    the first page after the image: the guest's own
 */
#ifndef KEYHOLE_HV_GUEST_LOAD_H
#define KEYHOLE_HV_GUEST_LOAD_H

#include <keyhole/guest_boot.h>
#include <keyhole/types.h>

struct guest_mem;

#define GUEST_BOOT_GPA 0x1000ULL
#define GUEST_PT_GPA 0x2000ULL
#define GUEST_GDT_GPA 0x8000ULL
#define GUEST_TSS_GPA 0x9000ULL
#define GUEST_GDT_LIMIT (5 * 8 - 1) /* null, code, data, 16-byte TSS */
#define GUEST_TSS_LIMIT 0x67
#define GUEST_SEL_CODE 0x08
#define GUEST_SEL_DATA 0x10
#define GUEST_SEL_TSS 0x18
#define GUEST_STACK_TOP 0x80000ULL
#define GUEST_VCPU_BOOT_GPA(k) ((k) ? 0xa000ULL + (u64)(k) * 64 : GUEST_BOOT_GPA)
#define GUEST_VCPU_STACK_TOP(k) ((k) ? 0x70000ULL - (u64)((k) - 1) * 0x8000 : GUEST_STACK_TOP)
#define GUEST_IMAGE_MIN 0x80000ULL
#define GUEST_MEM_MAX KH_GUEST_MEM_MAX

/*
 * What the guest sees of the machine (hv/vm/ acts on it).
 *
 *   GUEST_PLATFORM_ISOLATED     keyhole's own guests: every port and MSR
 *                               exits, COM1 emulated, no interrupts, HLT
 *                               ends the guest.
 *   GUEST_PLATFORM_PC           an unmodified PC operating system (Linux):
 *                               the legacy interrupt controllers, the PIT,
 *                               the RTC and COM1 passed through, external
 *                               interrupts delivered without exits, HLT
 *                               waits for one (see README "Linux guests").
 */
enum guest_platform {
	GUEST_PLATFORM_ISOLATED,
	GUEST_PLATFORM_PC,
};

/* The register state and descriptor tables a guest starts with. */
struct guest_entry {
	u64 rip, rsp, rdi, rsi, cr3;
	u64 gdt_gpa, tss_gpa;    /* the GDT the loader wrote, and the TSS it describes */
	u16 gdt_limit;
	u16 sel_code, sel_data, sel_tss;
	enum guest_platform platform;
	u32 nr_vcpus;            /* the guest's vCPUs: every one starts at rip (guest_entry_of_vcpu) */
};

/* vCPU k's entry state: e's, with k's own boot block in RDI and its own stack (the layout above). */
static inline struct guest_entry guest_entry_of_vcpu(const struct guest_entry *e, unsigned int k)
{
	struct guest_entry v = *e;

	if (k) {
		v.rdi = GUEST_VCPU_BOOT_GPA(k);
		v.rsp = GUEST_VCPU_STACK_TOP(k);
	}
	return v;
}

/*
 * Loads image (len bytes, anywhere keyhole can read) into the guest memory of
 * mem_bytes and builds its page tables and a boot block for each of its
 * nr_vcpus vCPUs (1 .. KH_GUEST_VCPUS_MAX).  -ENOEXEC with *why naming the
 * problem for a malformed image or one that does not fit; -EINVAL (*why
 * set) for a bad size, command line or vCPU count; then guest memory is
 * untouched.
 */
int guest_load_elf(struct guest_mem *mem, u64 mem_bytes, const void *image, u64 len, const char *cmdline,
		   unsigned int nr_vcpus, struct guest_entry *entry, const char **why);

/*
 * Shared with the Linux loader (hv/loader/linux_load.c), both writing only through
 * copy_to_guest():
 *
 * guest_build_identity_map() writes 4-level tables that identity-map
 * [0, mem_bytes) with 2 MiB pages, writable and executable: the PML4 at
 * pml4_gpa, the PDPT in the next page, one PD per GiB after it (so
 * GUEST_IDMAP_BYTES(mem_bytes) bytes in all).
 *
 * guest_build_gdt() writes a GDT at e->gdt_gpa holding a flat 64-bit code
 * segment at e->sel_code, a flat data segment at e->sel_data and a busy
 * 64-bit TSS for e->tss_gpa at e->sel_tss (every other slot null), matching
 * the hidden segment state hv/vm/vcpu_setup.c loads.
 */
#define GUEST_IDMAP_BYTES(mem_bytes) ((2 + ALIGN_UP(mem_bytes, SZ_1G) / SZ_1G) * PAGE_SIZE)
int guest_build_identity_map(struct guest_mem *mem, u64 pml4_gpa, u64 mem_bytes);
int guest_build_gdt(struct guest_mem *mem, const struct guest_entry *e);

#endif
