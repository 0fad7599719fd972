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
 *   0x00070000  the initial stack (64 KiB, top at 0x80000)
 *   0x00080000  first address an image segment may use
 *   ...         the image's PT_LOAD segments, at p_paddr
 *   free_gpa    the first page after the image: the guest's own
 */
#ifndef KEYHOLE_HV_GUEST_LOAD_H
#define KEYHOLE_HV_GUEST_LOAD_H

#include <keyhole/types.h>

struct vm;

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
#define GUEST_IMAGE_MIN 0x80000ULL
#define GUEST_MEM_MAX (4ULL << 30) /* the page tables keyhole builds cover 4 GiB */

struct guest_entry {
	u64 rip, rsp, rdi, cr3;
};

/*
 * Loads image (len bytes, anywhere keyhole can read) into vm's memory of
 * mem_bytes and builds its page tables and boot block.  -ENOEXEC with *why
 * naming the problem for a malformed image or one that does not fit; then
 * guest memory is untouched.
 */
int guest_load_elf(struct vm *vm, u64 mem_bytes, const void *image, u64 len, const char *cmdline,
		   struct guest_entry *entry, const char **why);

#endif
