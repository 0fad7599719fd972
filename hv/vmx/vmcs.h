/*
 * The VMCS as the SDM defines it: field encodings, control bits, exit
 * reasons and VM-instruction error numbers, with the SDM's names (Intel SDM
 * vol. 3: appendix B "Field Encoding in VMCS"; the sections "VM-Execution
 * Control Fields", "VM-Exit Control Fields", "VM-Entry Control Fields";
 * appendix C "VMX Basic Exit Reasons"; "VM Instruction Error Numbers").
 * Section numbers move between SDM editions; the titles do not.
 *
 * Fields, exit reasons and errors are each written once, as an X-macro list:
 * the list produces both the enum and the name tables behind
 * vmcs_field_name(), vmx_exit_reason_name() and vmx_insn_error_name()
 * (hv/vmx/vmx_names.c), so a name can never drift from its number.
 *
 * A field encoding is not an index: its bits say what the field is.
 *
 *   bit  0      access type: 1 = the high 32 bits of a 64-bit field
 *   bits 9:1    index
 *   bits 11:10  type: control, read-only data, guest state, host state
 *   bits 14:13  width: 16-bit, 64-bit, 32-bit, natural width
 */
#ifndef KEYHOLE_HV_VMCS_H
#define KEYHOLE_HV_VMCS_H

#include <keyhole/types.h>

/* ------------------------------------------------------------------------- */
/* Field encodings                                                           */

#define VMCS_FIELDS(X)                                                 \
	/* 16-bit control fields */                                    \
	X(VIRTUAL_PROCESSOR_ID, 0x0000)                                \
	X(POSTED_INTR_NOTIFICATION_VECTOR, 0x0002)                     \
	X(EPTP_INDEX, 0x0004)                                          \
	/* 16-bit guest-state fields */                                \
	X(GUEST_ES_SELECTOR, 0x0800)                                   \
	X(GUEST_CS_SELECTOR, 0x0802)                                   \
	X(GUEST_SS_SELECTOR, 0x0804)                                   \
	X(GUEST_DS_SELECTOR, 0x0806)                                   \
	X(GUEST_FS_SELECTOR, 0x0808)                                   \
	X(GUEST_GS_SELECTOR, 0x080a)                                   \
	X(GUEST_LDTR_SELECTOR, 0x080c)                                 \
	X(GUEST_TR_SELECTOR, 0x080e)                                   \
	X(GUEST_INTR_STATUS, 0x0810)                                   \
	X(GUEST_PML_INDEX, 0x0812)                                     \
	/* 16-bit host-state fields */                                 \
	X(HOST_ES_SELECTOR, 0x0c00)                                    \
	X(HOST_CS_SELECTOR, 0x0c02)                                    \
	X(HOST_SS_SELECTOR, 0x0c04)                                    \
	X(HOST_DS_SELECTOR, 0x0c06)                                    \
	X(HOST_FS_SELECTOR, 0x0c08)                                    \
	X(HOST_GS_SELECTOR, 0x0c0a)                                    \
	X(HOST_TR_SELECTOR, 0x0c0c)                                    \
	/* 64-bit control fields */                                    \
	X(IO_BITMAP_A, 0x2000)                                         \
	X(IO_BITMAP_B, 0x2002)                                         \
	X(MSR_BITMAP, 0x2004)                                          \
	X(VM_EXIT_MSR_STORE_ADDR, 0x2006)                              \
	X(VM_EXIT_MSR_LOAD_ADDR, 0x2008)                               \
	X(VM_ENTRY_MSR_LOAD_ADDR, 0x200a)                              \
	X(EXECUTIVE_VMCS_POINTER, 0x200c)                              \
	X(PML_ADDRESS, 0x200e)                                         \
	X(TSC_OFFSET, 0x2010)                                          \
	X(VIRTUAL_APIC_PAGE_ADDR, 0x2012)                              \
	X(APIC_ACCESS_ADDR, 0x2014)                                    \
	X(POSTED_INTR_DESC_ADDR, 0x2016)                               \
	X(VM_FUNCTION_CONTROL, 0x2018)                                 \
	X(EPT_POINTER, 0x201a)                                         \
	X(EOI_EXIT_BITMAP0, 0x201c)                                    \
	X(EOI_EXIT_BITMAP1, 0x201e)                                    \
	X(EOI_EXIT_BITMAP2, 0x2020)                                    \
	X(EOI_EXIT_BITMAP3, 0x2022)                                    \
	X(EPTP_LIST_ADDRESS, 0x2024)                                   \
	X(VMREAD_BITMAP, 0x2026)                                       \
	X(VMWRITE_BITMAP, 0x2028)                                      \
	X(VE_INFORMATION_ADDRESS, 0x202a)                              \
	X(XSS_EXIT_BITMAP, 0x202c)                                     \
	X(ENCLS_EXITING_BITMAP, 0x202e)                                \
	X(TSC_MULTIPLIER, 0x2032)                                      \
	X(TERTIARY_VM_EXEC_CONTROL, 0x2034)                            \
	/* 64-bit read-only data fields */                             \
	X(GUEST_PHYSICAL_ADDRESS, 0x2400)                              \
	/* 64-bit guest-state fields */                                \
	X(VMCS_LINK_POINTER, 0x2800)                                   \
	X(GUEST_IA32_DEBUGCTL, 0x2802)                                 \
	X(GUEST_IA32_PAT, 0x2804)                                      \
	X(GUEST_IA32_EFER, 0x2806)                                     \
	X(GUEST_IA32_PERF_GLOBAL_CTRL, 0x2808)                         \
	X(GUEST_PDPTE0, 0x280a)                                        \
	X(GUEST_PDPTE1, 0x280c)                                        \
	X(GUEST_PDPTE2, 0x280e)                                        \
	X(GUEST_PDPTE3, 0x2810)                                        \
	X(GUEST_IA32_BNDCFGS, 0x2812)                                  \
	X(GUEST_IA32_RTIT_CTL, 0x2814)                                 \
	X(GUEST_IA32_PKRS, 0x2818)                                     \
	/* 64-bit host-state fields */                                 \
	X(HOST_IA32_PAT, 0x2c00)                                       \
	X(HOST_IA32_EFER, 0x2c02)                                      \
	X(HOST_IA32_PERF_GLOBAL_CTRL, 0x2c04)                          \
	X(HOST_IA32_PKRS, 0x2c06)                                      \
	/* 32-bit control fields */                                    \
	X(PIN_BASED_VM_EXEC_CONTROL, 0x4000)                           \
	X(CPU_BASED_VM_EXEC_CONTROL, 0x4002)                           \
	X(EXCEPTION_BITMAP, 0x4004)                                    \
	X(PAGE_FAULT_ERROR_CODE_MASK, 0x4006)                          \
	X(PAGE_FAULT_ERROR_CODE_MATCH, 0x4008)                         \
	X(CR3_TARGET_COUNT, 0x400a)                                    \
	X(VM_EXIT_CONTROLS, 0x400c)                                    \
	X(VM_EXIT_MSR_STORE_COUNT, 0x400e)                             \
	X(VM_EXIT_MSR_LOAD_COUNT, 0x4010)                              \
	X(VM_ENTRY_CONTROLS, 0x4012)                                   \
	X(VM_ENTRY_MSR_LOAD_COUNT, 0x4014)                             \
	X(VM_ENTRY_INTR_INFO_FIELD, 0x4016)                            \
	X(VM_ENTRY_EXCEPTION_ERROR_CODE, 0x4018)                       \
	X(VM_ENTRY_INSTRUCTION_LEN, 0x401a)                            \
	X(TPR_THRESHOLD, 0x401c)                                       \
	X(SECONDARY_VM_EXEC_CONTROL, 0x401e)                           \
	X(PLE_GAP, 0x4020)                                             \
	X(PLE_WINDOW, 0x4022)                                          \
	/* 32-bit read-only data fields */                             \
	X(VM_INSTRUCTION_ERROR, 0x4400)                                \
	X(VM_EXIT_REASON, 0x4402)                                      \
	X(VM_EXIT_INTR_INFO, 0x4404)                                   \
	X(VM_EXIT_INTR_ERROR_CODE, 0x4406)                             \
	X(IDT_VECTORING_INFO_FIELD, 0x4408)                            \
	X(IDT_VECTORING_ERROR_CODE, 0x440a)                            \
	X(VM_EXIT_INSTRUCTION_LEN, 0x440c)                             \
	X(VMX_INSTRUCTION_INFO, 0x440e)                                \
	/* 32-bit guest-state fields */                                \
	X(GUEST_ES_LIMIT, 0x4800)                                      \
	X(GUEST_CS_LIMIT, 0x4802)                                      \
	X(GUEST_SS_LIMIT, 0x4804)                                      \
	X(GUEST_DS_LIMIT, 0x4806)                                      \
	X(GUEST_FS_LIMIT, 0x4808)                                      \
	X(GUEST_GS_LIMIT, 0x480a)                                      \
	X(GUEST_LDTR_LIMIT, 0x480c)                                    \
	X(GUEST_TR_LIMIT, 0x480e)                                      \
	X(GUEST_GDTR_LIMIT, 0x4810)                                    \
	X(GUEST_IDTR_LIMIT, 0x4812)                                    \
	X(GUEST_ES_AR_BYTES, 0x4814)                                   \
	X(GUEST_CS_AR_BYTES, 0x4816)                                   \
	X(GUEST_SS_AR_BYTES, 0x4818)                                   \
	X(GUEST_DS_AR_BYTES, 0x481a)                                   \
	X(GUEST_FS_AR_BYTES, 0x481c)                                   \
	X(GUEST_GS_AR_BYTES, 0x481e)                                   \
	X(GUEST_LDTR_AR_BYTES, 0x4820)                                 \
	X(GUEST_TR_AR_BYTES, 0x4822)                                   \
	X(GUEST_INTERRUPTIBILITY_INFO, 0x4824)                         \
	X(GUEST_ACTIVITY_STATE, 0x4826)                                \
	X(GUEST_SMBASE, 0x4828)                                        \
	X(GUEST_SYSENTER_CS, 0x482a)                                   \
	X(VMX_PREEMPTION_TIMER_VALUE, 0x482e)                          \
	/* 32-bit host-state field */                                  \
	X(HOST_IA32_SYSENTER_CS, 0x4c00)                               \
	/* natural-width control fields */                             \
	X(CR0_GUEST_HOST_MASK, 0x6000)                                 \
	X(CR4_GUEST_HOST_MASK, 0x6002)                                 \
	X(CR0_READ_SHADOW, 0x6004)                                     \
	X(CR4_READ_SHADOW, 0x6006)                                     \
	X(CR3_TARGET_VALUE0, 0x6008)                                   \
	X(CR3_TARGET_VALUE1, 0x600a)                                   \
	X(CR3_TARGET_VALUE2, 0x600c)                                   \
	X(CR3_TARGET_VALUE3, 0x600e)                                   \
	/* natural-width read-only data fields */                      \
	X(EXIT_QUALIFICATION, 0x6400)                                  \
	X(IO_RCX, 0x6402)                                              \
	X(IO_RSI, 0x6404)                                              \
	X(IO_RDI, 0x6406)                                              \
	X(IO_RIP, 0x6408)                                              \
	X(GUEST_LINEAR_ADDRESS, 0x640a)                                \
	/* natural-width guest-state fields */                         \
	X(GUEST_CR0, 0x6800)                                           \
	X(GUEST_CR3, 0x6802)                                           \
	X(GUEST_CR4, 0x6804)                                           \
	X(GUEST_ES_BASE, 0x6806)                                       \
	X(GUEST_CS_BASE, 0x6808)                                       \
	X(GUEST_SS_BASE, 0x680a)                                       \
	X(GUEST_DS_BASE, 0x680c)                                       \
	X(GUEST_FS_BASE, 0x680e)                                       \
	X(GUEST_GS_BASE, 0x6810)                                       \
	X(GUEST_LDTR_BASE, 0x6812)                                     \
	X(GUEST_TR_BASE, 0x6814)                                       \
	X(GUEST_GDTR_BASE, 0x6816)                                     \
	X(GUEST_IDTR_BASE, 0x6818)                                     \
	X(GUEST_DR7, 0x681a)                                           \
	X(GUEST_RSP, 0x681c)                                           \
	X(GUEST_RIP, 0x681e)                                           \
	X(GUEST_RFLAGS, 0x6820)                                        \
	X(GUEST_PENDING_DBG_EXCEPTIONS, 0x6822)                        \
	X(GUEST_SYSENTER_ESP, 0x6824)                                  \
	X(GUEST_SYSENTER_EIP, 0x6826)                                  \
	X(GUEST_S_CET, 0x6828)                                         \
	X(GUEST_SSP, 0x682a)                                           \
	X(GUEST_INTR_SSP_TABLE_ADDR, 0x682c)                           \
	/* natural-width host-state fields */                          \
	X(HOST_CR0, 0x6c00)                                            \
	X(HOST_CR3, 0x6c02)                                            \
	X(HOST_CR4, 0x6c04)                                            \
	X(HOST_FS_BASE, 0x6c06)                                        \
	X(HOST_GS_BASE, 0x6c08)                                        \
	X(HOST_TR_BASE, 0x6c0a)                                        \
	X(HOST_GDTR_BASE, 0x6c0c)                                      \
	X(HOST_IDTR_BASE, 0x6c0e)                                      \
	X(HOST_IA32_SYSENTER_ESP, 0x6c10)                              \
	X(HOST_IA32_SYSENTER_EIP, 0x6c12)                              \
	X(HOST_RSP, 0x6c14)                                            \
	X(HOST_RIP, 0x6c16)

#define VMCS_FIELD_ENUM(name, enc) name = (enc),
enum vmcs_field { VMCS_FIELDS(VMCS_FIELD_ENUM) };
#undef VMCS_FIELD_ENUM

#define VMCS_FIELD_HIGH BIT(0) /* access the upper half of a 64-bit field */
#define VMCS_FIELD_TYPE_SHIFT 10
#define VMCS_FIELD_TYPE_MASK 0x3
#define VMCS_FIELD_WIDTH_SHIFT 13
#define VMCS_FIELD_WIDTH_MASK 0x3

enum vmcs_field_type {
	VMCS_FIELD_TYPE_CONTROL = 0,
	VMCS_FIELD_TYPE_READ_ONLY = 1, /* exit information; VMWRITE fails */
	VMCS_FIELD_TYPE_GUEST = 2,
	VMCS_FIELD_TYPE_HOST = 3,
};

enum vmcs_field_width {
	VMCS_FIELD_WIDTH_16 = 0,
	VMCS_FIELD_WIDTH_64 = 1,
	VMCS_FIELD_WIDTH_32 = 2,
	VMCS_FIELD_WIDTH_NATURAL = 3,
};

static inline enum vmcs_field_type vmcs_field_type(u32 field)
{
	return (enum vmcs_field_type)((field >> VMCS_FIELD_TYPE_SHIFT) & VMCS_FIELD_TYPE_MASK);
}

static inline enum vmcs_field_width vmcs_field_width(u32 field)
{
	return (enum vmcs_field_width)((field >> VMCS_FIELD_WIDTH_SHIFT) & VMCS_FIELD_WIDTH_MASK);
}

/* The SDM name of a field ("GUEST_RIP"), or NULL for an encoding not in the
 * list above (a "_HIGH" access is named after its field with "_HIGH"). */
const char *vmcs_field_name(u32 field);

/* ------------------------------------------------------------------------- */
/* Control bits.  Which may or must be set is the CPU's to say: never write a
 * control word except through vmx_adjust_controls() (hv/vmx/vmx_caps.h).        */

/* A bit of a 32-bit field: controls, exit reason, interruption info. */
#define VMX_BIT32(n) (1u << (n))

/* Pin-based VM-execution controls */
#define PIN_BASED_EXT_INTR_EXITING VMX_BIT32(0)
#define PIN_BASED_NMI_EXITING VMX_BIT32(3)
#define PIN_BASED_VIRTUAL_NMIS VMX_BIT32(5)
#define PIN_BASED_VMX_PREEMPTION_TIMER VMX_BIT32(6)
/* VMX_PREEMPTION_TIMER_VALUE is a 32-bit field */
#define VMX_PREEMPTION_TIMER_MAX 0xffffffffu
#define PIN_BASED_POSTED_INTR VMX_BIT32(7)

/* Primary processor-based VM-execution controls */
#define CPU_BASED_INTR_WINDOW_EXITING VMX_BIT32(2)
#define CPU_BASED_USE_TSC_OFFSETTING VMX_BIT32(3)
#define CPU_BASED_HLT_EXITING VMX_BIT32(7)
#define CPU_BASED_INVLPG_EXITING VMX_BIT32(9)
#define CPU_BASED_MWAIT_EXITING VMX_BIT32(10)
#define CPU_BASED_RDPMC_EXITING VMX_BIT32(11)
#define CPU_BASED_RDTSC_EXITING VMX_BIT32(12)
#define CPU_BASED_CR3_LOAD_EXITING VMX_BIT32(15)
#define CPU_BASED_CR3_STORE_EXITING VMX_BIT32(16)
#define CPU_BASED_ACTIVATE_TERTIARY_CONTROLS VMX_BIT32(17)
#define CPU_BASED_CR8_LOAD_EXITING VMX_BIT32(19)
#define CPU_BASED_CR8_STORE_EXITING VMX_BIT32(20)
#define CPU_BASED_TPR_SHADOW VMX_BIT32(21)
#define CPU_BASED_NMI_WINDOW_EXITING VMX_BIT32(22)
#define CPU_BASED_MOV_DR_EXITING VMX_BIT32(23)
#define CPU_BASED_UNCOND_IO_EXITING VMX_BIT32(24)
#define CPU_BASED_USE_IO_BITMAPS VMX_BIT32(25)
#define CPU_BASED_MONITOR_TRAP_FLAG VMX_BIT32(27)
#define CPU_BASED_USE_MSR_BITMAPS VMX_BIT32(28)
#define CPU_BASED_MONITOR_EXITING VMX_BIT32(29)
#define CPU_BASED_PAUSE_EXITING VMX_BIT32(30)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS VMX_BIT32(31)

/* Secondary processor-based VM-execution controls */
#define SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES VMX_BIT32(0)
#define SECONDARY_EXEC_ENABLE_EPT VMX_BIT32(1)
#define SECONDARY_EXEC_DESC_TABLE_EXITING VMX_BIT32(2)
#define SECONDARY_EXEC_ENABLE_RDTSCP VMX_BIT32(3)
#define SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE VMX_BIT32(4)
#define SECONDARY_EXEC_ENABLE_VPID VMX_BIT32(5)
#define SECONDARY_EXEC_WBINVD_EXITING VMX_BIT32(6)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST VMX_BIT32(7)
#define SECONDARY_EXEC_APIC_REGISTER_VIRT VMX_BIT32(8)
#define SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY VMX_BIT32(9)
#define SECONDARY_EXEC_PAUSE_LOOP_EXITING VMX_BIT32(10)
#define SECONDARY_EXEC_RDRAND_EXITING VMX_BIT32(11)
#define SECONDARY_EXEC_ENABLE_INVPCID VMX_BIT32(12)
#define SECONDARY_EXEC_ENABLE_VMFUNC VMX_BIT32(13)
#define SECONDARY_EXEC_VMCS_SHADOWING VMX_BIT32(14)
#define SECONDARY_EXEC_ENCLS_EXITING VMX_BIT32(15)
#define SECONDARY_EXEC_RDSEED_EXITING VMX_BIT32(16)
#define SECONDARY_EXEC_ENABLE_PML VMX_BIT32(17)
#define SECONDARY_EXEC_EPT_VIOLATION_VE VMX_BIT32(18)
#define SECONDARY_EXEC_PT_CONCEAL_VMX VMX_BIT32(19)
#define SECONDARY_EXEC_XSAVES VMX_BIT32(20)
#define SECONDARY_EXEC_MODE_BASED_EPT_EXEC VMX_BIT32(22)
#define SECONDARY_EXEC_SUBPAGE_WRITE_PERMS VMX_BIT32(23)
#define SECONDARY_EXEC_PT_USE_GPA VMX_BIT32(24)
#define SECONDARY_EXEC_TSC_SCALING VMX_BIT32(25)
#define SECONDARY_EXEC_ENABLE_USR_WAIT_PAUSE VMX_BIT32(26)
#define SECONDARY_EXEC_ENCLV_EXITING VMX_BIT32(28)

/* VM-exit controls */
#define VM_EXIT_SAVE_DEBUG_CONTROLS VMX_BIT32(2)
#define VM_EXIT_HOST_ADDR_SPACE_SIZE VMX_BIT32(9) /* return to a 64-bit host */
#define VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL VMX_BIT32(12)
#define VM_EXIT_ACK_INTR_ON_EXIT VMX_BIT32(15)
#define VM_EXIT_SAVE_IA32_PAT VMX_BIT32(18)
#define VM_EXIT_LOAD_IA32_PAT VMX_BIT32(19)
#define VM_EXIT_SAVE_IA32_EFER VMX_BIT32(20)
#define VM_EXIT_LOAD_IA32_EFER VMX_BIT32(21)
#define VM_EXIT_SAVE_VMX_PREEMPTION_TIMER VMX_BIT32(22)
#define VM_EXIT_CLEAR_IA32_BNDCFGS VMX_BIT32(23)
#define VM_EXIT_PT_CONCEAL_PIP VMX_BIT32(24)
#define VM_EXIT_CLEAR_IA32_RTIT_CTL VMX_BIT32(25)
#define VM_EXIT_LOAD_CET_STATE VMX_BIT32(28)
#define VM_EXIT_LOAD_IA32_PKRS VMX_BIT32(29)

/* VM-entry controls */
#define VM_ENTRY_LOAD_DEBUG_CONTROLS VMX_BIT32(2)
#define VM_ENTRY_IA32E_MODE VMX_BIT32(9) /* the guest runs in long mode */
#define VM_ENTRY_SMM VMX_BIT32(10)
#define VM_ENTRY_DEACT_DUAL_MONITOR VMX_BIT32(11)
#define VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL VMX_BIT32(13)
#define VM_ENTRY_LOAD_IA32_PAT VMX_BIT32(14)
#define VM_ENTRY_LOAD_IA32_EFER VMX_BIT32(15)
#define VM_ENTRY_LOAD_IA32_BNDCFGS VMX_BIT32(16)
#define VM_ENTRY_PT_CONCEAL_PIP VMX_BIT32(17)
#define VM_ENTRY_LOAD_IA32_RTIT_CTL VMX_BIT32(18)
#define VM_ENTRY_LOAD_CET_STATE VMX_BIT32(20)
#define VM_ENTRY_LOAD_IA32_PKRS VMX_BIT32(22)

/* ------------------------------------------------------------------------- */
/* Guest state encodings                                                     */

/* Segment access rights (the AR_BYTES fields): the descriptor's type..G
 * bits, plus "unusable", which a null selector's register must carry. */
#define VMX_AR_TYPE_MASK 0xf
#define VMX_AR_S BIT(4) /* code/data, not system */
#define VMX_AR_DPL_SHIFT 5
#define VMX_AR_P BIT(7)
#define VMX_AR_AVL BIT(12)
#define VMX_AR_L BIT(13) /* 64-bit code segment */
#define VMX_AR_DB BIT(14)
#define VMX_AR_G BIT(15)
#define VMX_AR_UNUSABLE BIT(16)

/* GUEST_ACTIVITY_STATE */
enum vmx_activity_state {
	GUEST_ACTIVITY_ACTIVE = 0,
	GUEST_ACTIVITY_HLT = 1,
	GUEST_ACTIVITY_SHUTDOWN = 2,
	GUEST_ACTIVITY_WAIT_SIPI = 3,
};

/* GUEST_INTERRUPTIBILITY_INFO */
#define GUEST_INTR_STATE_STI BIT(0)
#define GUEST_INTR_STATE_MOV_SS BIT(1)
#define GUEST_INTR_STATE_SMI BIT(2)
#define GUEST_INTR_STATE_NMI BIT(3)
/* GUEST_PENDING_DBG_EXCEPTIONS: BS, a single-step trap is pending (SDM Vol. 3C, 25.4.2) */
#define PENDING_DBG_BS BIT(14)

/* VMCS_LINK_POINTER must hold this unless VMCS shadowing is in use. */
#define VMCS_LINK_POINTER_NONE (~0ULL)

/* ------------------------------------------------------------------------- */
/* Exit information                                                          */

/* VM_EXIT_REASON: the basic reason in the low 16 bits, flags above. */
#define VMX_EXIT_REASON_BASIC_MASK 0xffffu
#define VMX_EXIT_REASON_ENCLAVE_MODE VMX_BIT32(27)
#define VMX_EXIT_REASON_PENDING_MTF VMX_BIT32(28)
#define VMX_EXIT_REASON_FROM_VMX_ROOT VMX_BIT32(29)
#define VMX_EXIT_REASON_FAILED_VMENTRY VMX_BIT32(31)

/* Basic exit reasons (SDM appendix C).  Numbers not listed are reserved. */
#define VMX_EXIT_REASONS(X)                     \
	X(EXCEPTION_NMI, 0)                     \
	X(EXTERNAL_INTERRUPT, 1)                \
	X(TRIPLE_FAULT, 2)                      \
	X(INIT_SIGNAL, 3)                       \
	X(SIPI_SIGNAL, 4)                       \
	X(IO_SMI, 5)                            \
	X(OTHER_SMI, 6)                         \
	X(INTERRUPT_WINDOW, 7)                  \
	X(NMI_WINDOW, 8)                        \
	X(TASK_SWITCH, 9)                       \
	X(CPUID, 10)                            \
	X(GETSEC, 11)                           \
	X(HLT, 12)                              \
	X(INVD, 13)                             \
	X(INVLPG, 14)                           \
	X(RDPMC, 15)                            \
	X(RDTSC, 16)                            \
	X(RSM, 17)                              \
	X(VMCALL, 18)                           \
	X(VMCLEAR, 19)                          \
	X(VMLAUNCH, 20)                         \
	X(VMPTRLD, 21)                          \
	X(VMPTRST, 22)                          \
	X(VMREAD, 23)                           \
	X(VMRESUME, 24)                         \
	X(VMWRITE, 25)                          \
	X(VMXOFF, 26)                           \
	X(VMXON, 27)                            \
	X(CR_ACCESS, 28)                        \
	X(DR_ACCESS, 29)                        \
	X(IO_INSTRUCTION, 30)                   \
	X(MSR_READ, 31)                         \
	X(MSR_WRITE, 32)                        \
	X(INVALID_GUEST_STATE, 33)              \
	X(MSR_LOAD_FAIL, 34)                    \
	X(MWAIT_INSTRUCTION, 36)                \
	X(MONITOR_TRAP_FLAG, 37)                \
	X(MONITOR_INSTRUCTION, 39)              \
	X(PAUSE_INSTRUCTION, 40)                \
	X(MCE_DURING_VMENTRY, 41)               \
	X(TPR_BELOW_THRESHOLD, 43)              \
	X(APIC_ACCESS, 44)                      \
	X(EOI_INDUCED, 45)                      \
	X(GDTR_IDTR, 46)                        \
	X(LDTR_TR, 47)                          \
	X(EPT_VIOLATION, 48)                    \
	X(EPT_MISCONFIG, 49)                    \
	X(INVEPT, 50)                           \
	X(RDTSCP, 51)                           \
	X(PREEMPTION_TIMER, 52)                 \
	X(INVVPID, 53)                          \
	X(WBINVD, 54)                           \
	X(XSETBV, 55)                           \
	X(APIC_WRITE, 56)                       \
	X(RDRAND, 57)                           \
	X(INVPCID, 58)                          \
	X(VMFUNC, 59)                           \
	X(ENCLS, 60)                            \
	X(RDSEED, 61)                           \
	X(PML_FULL, 62)                         \
	X(XSAVES, 63)                           \
	X(XRSTORS, 64)                          \
	X(PCONFIG, 65)                          \
	X(SPP_EVENT, 66)                        \
	X(UMWAIT, 67)                           \
	X(TPAUSE, 68)                           \
	X(LOADIWKEY, 69)                        \
	X(ENCLV, 70)                            \
	X(ENQCMD_PASID_FAIL, 72)                \
	X(ENQCMDS_PASID_FAIL, 73)               \
	X(BUS_LOCK, 74)                         \
	X(NOTIFY, 75)                           \
	X(SEAMCALL, 76)                         \
	X(TDCALL, 77)

#define VMX_EXIT_REASON_ENUM(name, nr) EXIT_REASON_##name = (nr),
enum vmx_exit_reason { VMX_EXIT_REASONS(VMX_EXIT_REASON_ENUM) };
#undef VMX_EXIT_REASON_ENUM

/* The SDM name of the basic exit reason in the low 16 bits of `reason`
 * ("EPT_VIOLATION"); "unknown" for a reserved or future number.  Never NULL. */
const char *vmx_exit_reason_name(u32 reason);

/* VM_EXIT_INTR_INFO and IDT_VECTORING_INFO_FIELD (and, with the same layout,
 * VM_ENTRY_INTR_INFO_FIELD) */
#define INTR_INFO_VECTOR_MASK 0xffu
#define INTR_INFO_TYPE_SHIFT 8
#define INTR_INFO_TYPE_MASK 0x7u
#define INTR_INFO_DELIVER_CODE BIT(11) /* an error code was (is to be) pushed */
#define INTR_INFO_NMI_UNBLOCKED_BY_IRET BIT(12)
#define INTR_INFO_VALID BIT(31)

enum vmx_intr_type {
	INTR_TYPE_EXT_INTR = 0,
	INTR_TYPE_NMI = 2,
	INTR_TYPE_HARD_EXCEPTION = 3,
	INTR_TYPE_SOFT_INTR = 4,
	INTR_TYPE_PRIV_SW_EXCEPTION = 5, /* INT1 */
	INTR_TYPE_SOFT_EXCEPTION = 6,    /* INT3, INTO */
	INTR_TYPE_OTHER_EVENT = 7,
};

/* EXIT_QUALIFICATION of EXIT_REASON_IO_INSTRUCTION
 * (SDM "Exit Qualification for I/O Instructions") */
#define IO_QUAL_SIZE_MASK 0x7u /* access size - 1: 0, 1 or 3 */
#define IO_QUAL_IN BIT(3)      /* else OUT */
#define IO_QUAL_STRING BIT(4)  /* INS/OUTS */
#define IO_QUAL_REP BIT(5)
#define IO_QUAL_IMM_OPERAND BIT(6) /* port was an immediate, else DX */
#define IO_QUAL_PORT_SHIFT 16
#define IO_QUAL_PORT_MASK 0xffffu

/* EXIT_QUALIFICATION of EXIT_REASON_CR_ACCESS
 * (SDM "Exit Qualification for Control-Register Accesses") */
#define CR_QUAL_CR_MASK 0xfu
#define CR_QUAL_TYPE_SHIFT 4
#define CR_QUAL_TYPE_MASK 0x3u
#define CR_QUAL_GPR_SHIFT 8
#define CR_QUAL_GPR_MASK 0xfu
#define CR_QUAL_LMSW_SOURCE_SHIFT 16

/* EXIT_QUALIFICATION of EXIT_REASON_EPT_VIOLATION
 * (SDM "Exit Qualification for EPT Violations") */
#define EPT_QUAL_READ BIT(0)
#define EPT_QUAL_WRITE BIT(1)
#define EPT_QUAL_FETCH BIT(2)
#define EPT_QUAL_LINEAR_VALID BIT(7) /* GUEST_LINEAR_ADDRESS is valid */

enum vmx_cr_access_type {
	CR_ACCESS_MOV_TO_CR = 0,
	CR_ACCESS_MOV_FROM_CR = 1,
	CR_ACCESS_CLTS = 2,
	CR_ACCESS_LMSW = 3,
};

/* ------------------------------------------------------------------------- */
/* VM-instruction errors: VM_INSTRUCTION_ERROR after a VMfailValid       */

#define VMX_INSN_ERRORS(X)                                                          \
	X(VMCALL_IN_VMX_ROOT, 1, "VMCALL executed in VMX root operation")            \
	X(VMCLEAR_INVALID_ADDRESS, 2, "VMCLEAR with invalid physical address")       \
	X(VMCLEAR_VMXON_POINTER, 3, "VMCLEAR with VMXON pointer")                    \
	X(VMLAUNCH_NONCLEAR_VMCS, 4, "VMLAUNCH with non-clear VMCS")                 \
	X(VMRESUME_NONLAUNCHED_VMCS, 5, "VMRESUME with non-launched VMCS")           \
	X(VMRESUME_AFTER_VMXOFF, 6, "VMRESUME after VMXOFF")                         \
	X(ENTRY_INVALID_CONTROL_FIELD, 7, "VM entry with invalid control field(s)")  \
	X(ENTRY_INVALID_HOST_STATE_FIELD, 8, "VM entry with invalid host-state field(s)") \
	X(VMPTRLD_INVALID_ADDRESS, 9, "VMPTRLD with invalid physical address")       \
	X(VMPTRLD_VMXON_POINTER, 10, "VMPTRLD with VMXON pointer")                   \
	X(VMPTRLD_INCORRECT_VMCS_REVISION_ID, 11,                                    \
	  "VMPTRLD with incorrect VMCS revision identifier")                         \
	X(UNSUPPORTED_VMCS_COMPONENT, 12,                                            \
	  "VMREAD/VMWRITE from/to unsupported VMCS component")                       \
	X(VMWRITE_READ_ONLY_VMCS_COMPONENT, 13, "VMWRITE to read-only VMCS component") \
	X(VMXON_IN_VMX_ROOT_OPERATION, 15, "VMXON executed in VMX root operation")   \
	X(ENTRY_INVALID_EXECUTIVE_VMCS_POINTER, 16,                                  \
	  "VM entry with invalid executive-VMCS pointer")                            \
	X(ENTRY_NONLAUNCHED_EXECUTIVE_VMCS, 17,                                      \
	  "VM entry with non-launched executive VMCS")                               \
	X(ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON_POINTER, 18,                        \
	  "VM entry with executive-VMCS pointer not VMXON pointer")                  \
	X(VMCALL_NONCLEAR_VMCS, 19, "VMCALL with non-clear VMCS")                    \
	X(VMCALL_INVALID_VM_EXIT_CONTROL_FIELDS, 20,                                 \
	  "VMCALL with invalid VM-exit control fields")                              \
	X(VMCALL_INCORRECT_MSEG_REVISION_ID, 22,                                     \
	  "VMCALL with incorrect MSEG revision identifier")                          \
	X(VMXOFF_UNDER_DUAL_MONITOR_TREATMENT, 23,                                   \
	  "VMXOFF under dual-monitor treatment of SMIs and SMM")                     \
	X(VMCALL_INVALID_SMM_MONITOR_FEATURES, 24,                                   \
	  "VMCALL with invalid SMM-monitor features")                                \
	X(ENTRY_INVALID_VM_EXECUTION_CONTROL_FIELDS_IN_EXECUTIVE_VMCS, 25,           \
	  "VM entry with invalid VM-execution control fields in executive VMCS")     \
	X(ENTRY_EVENTS_BLOCKED_BY_MOV_SS, 26, "VM entry with events blocked by MOV SS") \
	X(INVALID_OPERAND_TO_INVEPT_INVVPID, 28, "invalid operand to INVEPT/INVVPID")

#define VMX_INSN_ERROR_ENUM(name, nr, text) VMXERR_##name = (nr),
enum vmx_insn_error { VMX_INSN_ERRORS(VMX_INSN_ERROR_ENUM) };
#undef VMX_INSN_ERROR_ENUM

/* The SDM's description of a VM-instruction error number; "unknown
 * VM-instruction error" for 0, reserved and future numbers.  Never NULL. */
const char *vmx_insn_error_name(u32 error);

#endif
