/*
 * x86-64 4-level paging entries (Intel SDM Vol. 3A, 4.5), as keyhole uses
 * them for its own address space.  EPT entries are in ept/ept_hw.h.
 */
#ifndef KEYHOLE_MM_PTE_H
#define KEYHOLE_MM_PTE_H

#include <keyhole/types.h>

#define PTE_P BIT(0)   /* present */
#define PTE_W BIT(1)   /* writable */
#define PTE_U BIT(2)   /* user: never set, keyhole has no user mode */
#define PTE_PWT BIT(3)
#define PTE_PCD BIT(4)
#define PTE_A BIT(5)
#define PTE_D BIT(6)
#define PTE_PS BIT(7)  /* in a PDPTE or PDE: this entry is a 1 GiB / 2 MiB leaf */
#define PTE_G BIT(8)   /* global: survives CR3 writes */
#define PTE_NX BIT(63) /* no execute (needs EFER.NXE) */

/* Physical-address bits 12..51 of any entry (bit 12 of a large leaf is PAT, never set). */
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

#endif
