/*
 * Constants the assembly needs from C: structure offsets and VMCS field
 * encodings.  Never linked: mk/hv.mk compiles it to assembly and turns each
 * "->NAME value" marker into a #define in
 * build/include/generated/asm-offsets.h, which the .S files include, so no
 * offset or encoding is typed twice.
 */
#include <keyhole/types.h>
#include "hv/cpu/ap_boot.h"
#include "hv/cpu/desc.h"
#include "hv/vmx/vcpu_regs.h"
#include "hv/vmx/vmcs.h"
#include "hv/vmx/vmx.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" : : "i"((long)(val)))
#define OFFSET(sym, type, member) DEFINE(sym, __builtin_offsetof(struct type, member))

void asm_offsets(void);
void asm_offsets(void)
{
	/* hv/vmx/vmx_entry.S */
	OFFSET(VCPU_RAX, vcpu_regs, rax);
	OFFSET(VCPU_RBX, vcpu_regs, rbx);
	OFFSET(VCPU_RCX, vcpu_regs, rcx);
	OFFSET(VCPU_RDX, vcpu_regs, rdx);
	OFFSET(VCPU_RSI, vcpu_regs, rsi);
	OFFSET(VCPU_RDI, vcpu_regs, rdi);
	OFFSET(VCPU_RBP, vcpu_regs, rbp);
	OFFSET(VCPU_R8, vcpu_regs, r8);
	OFFSET(VCPU_R9, vcpu_regs, r9);
	OFFSET(VCPU_R10, vcpu_regs, r10);
	OFFSET(VCPU_R11, vcpu_regs, r11);
	OFFSET(VCPU_R12, vcpu_regs, r12);
	OFFSET(VCPU_R13, vcpu_regs, r13);
	OFFSET(VCPU_R14, vcpu_regs, r14);
	OFFSET(VCPU_R15, vcpu_regs, r15);
	OFFSET(VCPU_CR2, vcpu_regs, cr2);
	DEFINE(VMCS_HOST_RSP, HOST_RSP);
	DEFINE(VMX_ENTER_FIRST_RESUME, VMX_ENTER_FIRST_RESUME);

	/* hv/cpu/ap_boot.S */
	OFFSET(APB_GDT_LIMIT, ap_boot_params, gdt_limit);
	OFFSET(APB_FAR32_OFF, ap_boot_params, far32_off);
	OFFSET(APB_FAR64_OFF, ap_boot_params, far64_off);
	OFFSET(APB_CR3, ap_boot_params, cr3);
	OFFSET(APB_CR0, ap_boot_params, cr0);
	OFFSET(APB_EFER, ap_boot_params, efer);
	OFFSET(APB_ENTRY, ap_boot_params, entry);
	OFFSET(APB_STACK, ap_boot_params, stack);
	OFFSET(APB_CPU, ap_boot_params, cpu);

	/* hv/cpu/trap_entry.S */
	OFFSET(TF_RAX, trap_frame, rax);
	OFFSET(TF_RBX, trap_frame, rbx);
	OFFSET(TF_RCX, trap_frame, rcx);
	OFFSET(TF_RDX, trap_frame, rdx);
	OFFSET(TF_RSI, trap_frame, rsi);
	OFFSET(TF_RDI, trap_frame, rdi);
	OFFSET(TF_RBP, trap_frame, rbp);
	OFFSET(TF_R8, trap_frame, r8);
	OFFSET(TF_R9, trap_frame, r9);
	OFFSET(TF_R10, trap_frame, r10);
	OFFSET(TF_R11, trap_frame, r11);
	OFFSET(TF_R12, trap_frame, r12);
	OFFSET(TF_R13, trap_frame, r13);
	OFFSET(TF_R14, trap_frame, r14);
	OFFSET(TF_R15, trap_frame, r15);
	OFFSET(TF_VECTOR, trap_frame, vector);
	OFFSET(TF_ERROR, trap_frame, error);
	OFFSET(TF_RIP, trap_frame, rip);
	DEFINE(TF_SIZE, sizeof(struct trap_frame));
}
