/*
 * The memory core's CPU interface (mm/arch.h) on real hardware: CR3, CR4.PGE
 * toggling and INVEPT; INVLPG, the CPU's number and the bases are inline
 * (include/x86/arch_mm.h).
 */
#include <keyhole/layout.h>
#include <keyhole/panic.h>
#include "ept/ept_hw.h"
#include <x86/cpu.h>
#include "mm/arch.h"
#include "hv/cpu/desc.h"
#include "hv/vmx/vmx.h"

void arch_flush_all(void)
{
	u64 cr4 = read_cr4();

	/* Toggling PGE flushes global entries too; a CR3 write alone would keep them. */
	write_cr4(cr4 & ~X86_CR4_PGE);
	write_cr4(cr4);
}

void arch_load_root(u64 root_pa)
{
	write_cr3(root_pa);
}

/* Before VMXON, INVEPT would be #UD: there is no EPT-derived translation to drop yet. */
static bool vmx_on;
static u64 invept_type; /* vmx_invept_type(): what this CPU's INVEPT offers */

void arch_vmx_on(u64 type)
{
	vmx_on = true;
	invept_type = type;
}

void arch_invept(u64 eptp)
{
	struct {
		u64 eptp, reserved;
	} desc = { eptp, 0 };
	u8 fail;

	if (!vmx_on)
		return;
	__asm__ volatile("invept %1, %2; setna %0"
			 : "=qm"(fail)
			 : "m"(desc), "r"(invept_type)
			 : "cc", "memory");
	if (fail)
		panic("INVEPT (type %lu) of EPTP %#lx failed", invept_type, eptp);
}

