/*
 * Segment descriptors, the 64-bit TSS and gates (Intel SDM Vol. 3A, 3.4.5
 * "Segment Descriptors", 7.2.3 "TSS Descriptor in 64-bit mode", 6.14.1
 * "64-Bit Mode IDT"), in the forms keyhole writes: its own GDT and IDT, the
 * boot GDT, and the GDT every guest starts on.  The VMX access-rights form
 * of a descriptor (the VMCS's *_AR_BYTES) is its bits 40-55 with the limit
 * nibble removed (SDM Vol. 3C, 25.4.1): SEG_AR() derives it, so a guest's
 * hidden segment state always matches the descriptor in its GDT.
 */
#ifndef KEYHOLE_X86_SEGMENT_H
#define KEYHOLE_X86_SEGMENT_H

#ifdef __ASSEMBLER__
#define SEG_U64(x) x
#else
#define SEG_U64(x) x##ULL
#endif

/* Flat 4 GiB descriptors, DPL 0, accessed: 64-bit code (execute/read, L, G) and data (read/write, D/B, G). */
#define SEG_DESC_CODE64 SEG_U64(0x00af9b000000ffff)
#define SEG_DESC_DATA SEG_U64(0x00cf93000000ffff)

/* System descriptor types (the 4-bit type field of a descriptor with S = 0). */
#define SEG_TYPE_TSS64_AVAILABLE 0x9
#define SEG_TYPE_TSS64_BUSY 0xb
#define SEG_TYPE_INTERRUPT_GATE 0xe

#ifndef __ASSEMBLER__
#include <keyhole/types.h>

#define SEG_DESC_PRESENT BIT(47)

/* VMX access rights of a code or data descriptor: type, S, DPL, P (bits 40-47), AVL, L, D/B, G (52-55). */
#define SEG_AR(desc) ((u32)(((desc) >> 40) & 0xf0ff))

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));
STATIC_ASSERT(sizeof(struct tss64) == 104, "64-bit TSS");

/* The two GDT words of a 64-bit TSS descriptor. */
static inline void seg_tss_desc(u64 d[2], u64 base, u32 limit, unsigned int type)
{
	d[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | ((u64)type << 40) | SEG_DESC_PRESENT |
	       ((u64)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	d[1] = base >> 32;
}

/* The two IDT words of a 64-bit interrupt gate to handler through code selector sel, stack ist (0: none). */
static inline void seg_interrupt_gate(u64 g[2], u64 handler, u16 sel, unsigned int ist)
{
	g[0] = (handler & 0xffff) | ((u64)sel << 16) | ((u64)(ist & 7) << 32) |
	       ((u64)SEG_TYPE_INTERRUPT_GATE << 40) | SEG_DESC_PRESENT | ((handler >> 16) << 48);
	g[1] = handler >> 32;
}

struct desc_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));
#endif

#endif
