/*
 * Constants shared by the exception stubs (trap_entry.S) and their C side
 * (traps.c).
 */
#ifndef GUEST_TRAPS_H
#define GUEST_TRAPS_H

/* The architectural exceptions: vectors 0..31. */
#define KH_TRAP_VECTORS 32
/* Distance between two stubs; each is at most 9 bytes. */
#define KH_TRAP_STUB_SIZE 16
/* Vectors for which the CPU pushes an error code: #DF(8), #TS(10), #NP(11),
 * #SS(12), #GP(13), #PF(14), #AC(17), #CP(21), #VC(29), #SX(30). */
#define KH_TRAP_ERROR_CODE_VECTORS                                            \
	((1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | \
	 (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30))

#ifndef __ASSEMBLER__

#include <stdint.h>

/* The stack as trap_common leaves it; lowest address first. */
struct kh_trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct kh_trap_frame) == 22 * sizeof(uint64_t), "trap frame layout");

/*
 * Called by trap_common with the frame first: an exception at an instruction
 * in the exception table (fault.h) points the frame at its fixup, RAX = the
 * vector, and returns 1 (trap_common resumes there); otherwise 0.
 */
int kh_trap_fixup(struct kh_trap_frame *f);
/* Called by trap_common when kh_trap_fixup() says 0; names the exception, ends the guest. */
void kh_trap(const struct kh_trap_frame *f) __attribute__((noreturn));

#endif /* !__ASSEMBLER__ */

#endif
