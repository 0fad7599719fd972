/*
 * Starting an unmodified Linux kernel: a bzImage and an optional initrd,
 * loaded per the Linux/x86 64-bit boot protocol (include/fmt/linux_boot.h) and entered
 * at startup_64 on identity page tables with RSI pointing at the zero page.
 *
 * Guest-physical layout keyhole sets up for a Linux guest:
 *
 *   0x00000000  not used by keyhole (RAM in the e820 map)
 *   0x00001000  the zero page (struct boot_params)
 *   0x00002000  the kernel command line (NUL-terminated, at most 4095 bytes)
 *   0x00003000  identity page tables: PML4, PDPT, one PD per GiB (2 MiB
 *               pages over all guest memory), up to 0x9000
 *   0x00009000  a GDT with the boot protocol's selectors: __BOOT_CS 0x10
 *               (flat 64-bit code), __BOOT_DS 0x18 (flat data), and a TSS
 *               at 0x20 for VMX's sake; the TSS itself at 0xa000
 *   0x0000b000  a stack up to 0x10000 (the kernel switches to its own at once)
 *   0x000a0000  the PC's legacy hole, reserved in the e820 map
 *   0x00100000  RAM in the e820 map
 *   load        the protected-mode kernel, at its preferred address (16 MiB
 *               for Debian's), with init_size bytes free from there on
 *   initrd      the initrd, page aligned, as high as guest memory and the
 *               kernel's initrd_addr_max allow
 *
 * Everything keyhole writes lies in the low 1 MiB, which Linux reserves from
 * its allocator at boot; the kernel and initrd are where the protocol wants
 * them.  Every write goes through copy_to_guest(), so the loader works the
 * same on protected memory (protect=all).
 */
#ifndef KEYHOLE_HV_LINUX_LOAD_H
#define KEYHOLE_HV_LINUX_LOAD_H

#include <keyhole/types.h>
#include "hv/loader/guest_load.h"

struct guest_mem;

#define LINUX_ZERO_PAGE_GPA 0x1000ULL
#define LINUX_CMDLINE_GPA 0x2000ULL
#define LINUX_CMDLINE_MAX (PAGE_SIZE - 1)
#define LINUX_PT_GPA 0x3000ULL
#define LINUX_GDT_GPA 0x9000ULL
#define LINUX_TSS_GPA 0xa000ULL
#define LINUX_STACK_TOP 0x10000ULL
#define LINUX_SEL_CODE 0x10 /* __BOOT_CS */
#define LINUX_SEL_DATA 0x18 /* __BOOT_DS */
#define LINUX_SEL_TSS 0x20
#define LINUX_GDT_LIMIT (6 * 8 - 1) /* two null slots, code, data, 16-byte TSS */

#define LINUX_LEGACY_HOLE_START 0xa0000ULL
#define LINUX_LEGACY_HOLE_END 0x100000ULL
/* Guest memory a Linux guest gets unless guest_mem= says otherwise. */
#define LINUX_GUEST_MEM_DEFAULT (256UL << 20)

/* Where the loader put things, for the log and the tests. */
struct linux_layout {
	u64 kernel_gpa;   /* the protected-mode kernel */
	u64 kernel_bytes; /* init_size: what the kernel may use from kernel_gpa on */
	u64 initrd_gpa;   /* 0: no initrd */
	u64 initrd_bytes;
	u16 protocol;     /* the boot protocol version, 0x20f for 2.15 */
};

/*
 * Loads kernel (a bzImage of klen bytes) and initrd (ilen bytes; NULL or 0:
 * none) into the guest memory of mem_bytes, writes the zero page, the command
 * line, page tables and GDT, and fills *entry with the 64-bit entry state.
 * Everything is checked before anything is written: -ENOEXEC (not a bzImage,
 * a protocol too old, no 64-bit entry, a file shorter than its header says
 * or lengths in the header that do not agree), -E2BIG (the kernel or the initrd
 * does not fit, or the command line is too long) or -EINVAL (a bad memory
 * size), each with *why naming the problem, and guest memory untouched.
 */
int linux_load(struct guest_mem *mem, u64 mem_bytes, const void *kernel, u64 klen, const void *initrd, u64 ilen,
	       const char *cmdline, struct guest_entry *entry, struct linux_layout *layout, const char **why);

#endif
