/*
 * Model-specific register numbers and the bits keyhole reads or sets, with
 * the SDM's names (Intel SDM vol. 4, "Model-Specific Registers").
 *
 * The VMX capability MSRs (0x480..0x492) are decoded by hv/vmx/vmx_caps.c; the
 * layouts of their values are described there, not here.
 *
 * Plain #defines with no includes, so assembly (the boot trampolines set
 * EFER.LME) and hosted C can use this header; RDMSR and WRMSR are in
 * x86/cpu.h with the other instructions.
 */
#ifndef KEYHOLE_X86_MSR_H
#define KEYHOLE_X86_MSR_H

#ifdef __ASSEMBLER__
#define MSR_BIT(n) (1 << (n))
#else
#define MSR_BIT(n) (1ULL << (n))
#endif

#define MSR_IA32_TSC 0x00000010
#define MSR_IA32_APIC_BASE 0x0000001b

/*
 * IA32_FEATURE_CONTROL: firmware decides whether VMXON may run at all.  Once
 * the lock bit is set nothing can change the register until reset.
 */
#define MSR_IA32_FEATURE_CONTROL 0x0000003a
#define FEATURE_CONTROL_LOCKED MSR_BIT(0)
#define FEATURE_CONTROL_VMXON_INSIDE_SMX MSR_BIT(1)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX MSR_BIT(2)

#define MSR_IA32_TSC_ADJUST 0x0000003b
#define MSR_IA32_UCODE_REV 0x0000008b

#define MSR_IA32_SYSENTER_CS 0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176
#define MSR_IA32_MISC_ENABLE 0x000001a0
#define MISC_ENABLE_FAST_STRING MSR_BIT(0)
#define MISC_ENABLE_BTS_UNAVAIL MSR_BIT(11)
#define MISC_ENABLE_PEBS_UNAVAIL MSR_BIT(12)
#define MSR_IA32_DEBUGCTL 0x000001d9
#define MSR_IA32_PAT 0x00000277
/* IA32_PAT's power-on value: WB, WT, UC-, UC twice (SDM Vol. 3A, 11.12.4, Table 11-12). */
#define PAT_POWER_ON_DEFAULT 0x0007040600070406ULL
#define MSR_IA32_MTRR_DEF_TYPE 0x000002ff
#define MSR_IA32_PERF_GLOBAL_CTRL 0x0000038f

/* The VMX capability MSRs.  The TRUE_* ones exist when IA32_VMX_BASIC bit 55
 * is set; PROCBASED_CTLS2, EPT_VPID_CAP, VMFUNC and PROCBASED_CTLS3 only when
 * the controls that enable them may be set (see vmx_caps_read()). */
#define MSR_IA32_VMX_BASIC 0x00000480
#define MSR_IA32_VMX_PINBASED_CTLS 0x00000481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x00000482
#define MSR_IA32_VMX_EXIT_CTLS 0x00000483
#define MSR_IA32_VMX_ENTRY_CTLS 0x00000484
#define MSR_IA32_VMX_MISC 0x00000485
#define MSR_IA32_VMX_CR0_FIXED0 0x00000486
#define MSR_IA32_VMX_CR0_FIXED1 0x00000487
#define MSR_IA32_VMX_CR4_FIXED0 0x00000488
#define MSR_IA32_VMX_CR4_FIXED1 0x00000489
#define MSR_IA32_VMX_VMCS_ENUM 0x0000048a
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x0000048b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x0000048c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x0000048d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x0000048e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x0000048f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x00000490
#define MSR_IA32_VMX_VMFUNC 0x00000491
#define MSR_IA32_VMX_PROCBASED_CTLS3 0x00000492

#define MSR_IA32_XSS 0x00000da0

/* IA32_EFER: long mode and its companions. */
#define MSR_IA32_EFER 0xc0000080
#define EFER_SCE MSR_BIT(0)  /* SYSCALL/SYSRET */
#define EFER_LME MSR_BIT(8)  /* long mode enable */
#define EFER_LMA MSR_BIT(10) /* long mode active (read-only, set by the CPU) */
#define EFER_NXE MSR_BIT(11) /* execute-disable bit in page tables */

/* SYSCALL targets and flag mask. */
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084 /* the SDM's IA32_FMASK */
#define MSR_IA32_FMASK MSR_SYSCALL_MASK

#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102 /* swapped with GS_BASE by SWAPGS */
#define MSR_TSC_AUX 0xc0000103        /* what RDTSCP returns in ECX */

/*
 * The MSR bitmap of a VMCS (SDM Vol. 3C, 25.6.9): four 1 KiB bitmaps, read
 * low, read high, write low, write high; "low" covers MSRs 0-0x1fff, "high"
 * 0xc0000000-0xc0001fff.  A set bit makes the access exit.
 */
#define MSR_BITMAP_HIGH_BASE 0xc0000000
#define MSR_BITMAP_RANGE 0x2000
#define MSR_BITMAP_HALF 1024  /* bytes: one of the four bitmaps */
#define MSR_BITMAP_WRITE 2048 /* byte offset of the write bitmaps */


#endif
