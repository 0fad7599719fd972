/*
 * XCR0 validation (see xcr0.h).  A value XSETBV would refuse must be
 * refused here: keyhole executes the guest's XSETBV in root mode, where the
 * #GP would be keyhole's own fault, not the guest's.
 */
#include <x86/cr.h>
#include "hv/vm/xcr0.h"

bool xcr0_valid(u32 index, u64 val, u64 supported)
{
	/* Only XCR0 exists (XCR1, XINUSE, is read-only through XGETBV). */
	if (index != X86_XCR_XFEATURE_ENABLED)
		return false;
	/* Bit 0 must be 1, and no bit the processor does not support. */
	if (!(val & X86_XCR0_X87) || (val & ~(supported | X86_XCR0_X87)))
		return false;
	/* AVX state needs SSE state. */
	if ((val & X86_XCR0_AVX) && !(val & X86_XCR0_SSE))
		return false;
	/* MPX: BNDREGS and BNDCSR together or not at all. */
	if (!(val & X86_XCR0_BNDREGS) != !(val & X86_XCR0_BNDCSR))
		return false;
	/* AVX-512: bits 7:5 all or none, and any of them needs bits 2:1. */
	if (val & X86_XCR0_AVX512) {
		if ((val & X86_XCR0_AVX512) != X86_XCR0_AVX512)
			return false;
		if (!(val & X86_XCR0_AVX)) /* AVX implies SSE (checked above) */
			return false;
	}
	/* AMX: TILECFG and TILEDATA together or not at all. */
	if ((val & X86_XCR0_XTILE) && (val & X86_XCR0_XTILE) != X86_XCR0_XTILE)
		return false;
	return true;
}
