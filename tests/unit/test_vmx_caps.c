/*
 * VMX capability logic (hv/vmx/vmx_caps.c) and the VMCS name tables
 * (hv/vmx/vmx_names.c), fed with MSR values instead of a CPU.
 *
 * "Bochs" values are the ones Bochs 2.7's corei7_skylake_x model reports
 * (docs: PLATFORM.md).  Bochs's processor-based, exit and entry controls,
 * MISC and the CR fixed MSRs were not recorded there; the values used for
 * them are those of a typical Skylake part and are marked as such.  Every
 * other value is made up to hit one case.
 *
 * The fake RDMSR records each MSR read: reading an MSR the CPU does not have
 * would #GP on hardware, so "not read" is part of what is tested.
 */
#include <string.h>

#include <x86/msr.h>
#include "hv/vmx/vmcs.h"
#include "hv/vmx/vmx_caps.h"
#include "test.h"

struct msr_value {
	u32 msr;
	u64 value;
};

#define MAX_READS 64

static const struct msr_value *msr_table;
static size_t msr_table_len;
static u32 msr_reads[MAX_READS];
static size_t nr_msr_reads;
static size_t nr_absent_reads; /* reads of MSRs not in the table: #GP on hardware */

static u64 fake_rdmsr(u32 msr)
{
	if (nr_msr_reads < MAX_READS)
		msr_reads[nr_msr_reads++] = msr;
	for (size_t i = 0; i < msr_table_len; i++)
		if (msr_table[i].msr == msr)
			return msr_table[i].value;
	nr_absent_reads++;
	return 0;
}

static bool msr_was_read(u32 msr)
{
	for (size_t i = 0; i < nr_msr_reads; i++)
		if (msr_reads[i] == msr)
			return true;
	return false;
}

static void read_caps(struct vmx_caps *caps, const struct msr_value *table, size_t len)
{
	msr_table = table;
	msr_table_len = len;
	nr_msr_reads = 0;
	nr_absent_reads = 0;
	vmx_caps_read(caps, fake_rdmsr);
}

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

#define BOCHS_VMX_BASIC 0x00D810000000002BULL
#define BOCHS_PINBASED 0x0000007F00000016ULL
#define BOCHS_PROCBASED2 0x02177FFF00000000ULL
#define BOCHS_EPT_VPID_CAP 0x00000F0106334141ULL
#define BOCHS_FEATURE_CONTROL 0x5ULL

/* Skylake-like (see the top): the TRUE variants allow CR3-load/store exiting
 * (bits 15, 16) and the debug-control save/load (bit 2) to be 0. */
#define SKL_PROCBASED 0xFFF9FFFE0401E172ULL
#define SKL_TRUE_PROCBASED 0xFFF9FFFE04006172ULL
#define SKL_EXIT 0x01FFFFFF00036DFFULL
#define SKL_TRUE_EXIT 0x01FFFFFF00036DFBULL
#define SKL_ENTRY 0x0003FFFF000011FFULL
#define SKL_TRUE_ENTRY 0x0003FFFF000011FBULL
#define SKL_MISC 0x000000007004C1E7ULL /* HLT activity, MSR lists of 512 */
#define SKL_CR0_FIXED0 0x80000021ULL     /* PE, NE, PG */
#define SKL_CR0_FIXED1 0xFFFFFFFFULL
#define SKL_CR4_FIXED0 0x00002000ULL     /* VMXE */
#define SKL_CR4_FIXED1 0x003727FFULL

static const struct msr_value bochs_msrs[] = {
	{ MSR_IA32_VMX_BASIC, BOCHS_VMX_BASIC },
	{ MSR_IA32_VMX_PINBASED_CTLS, BOCHS_PINBASED },
	{ MSR_IA32_VMX_TRUE_PINBASED_CTLS, BOCHS_PINBASED },
	{ MSR_IA32_VMX_PROCBASED_CTLS, SKL_PROCBASED },
	{ MSR_IA32_VMX_TRUE_PROCBASED_CTLS, SKL_TRUE_PROCBASED },
	{ MSR_IA32_VMX_EXIT_CTLS, SKL_EXIT },
	{ MSR_IA32_VMX_TRUE_EXIT_CTLS, SKL_TRUE_EXIT },
	{ MSR_IA32_VMX_ENTRY_CTLS, SKL_ENTRY },
	{ MSR_IA32_VMX_TRUE_ENTRY_CTLS, SKL_TRUE_ENTRY },
	{ MSR_IA32_VMX_MISC, SKL_MISC },
	{ MSR_IA32_VMX_CR0_FIXED0, SKL_CR0_FIXED0 },
	{ MSR_IA32_VMX_CR0_FIXED1, SKL_CR0_FIXED1 },
	{ MSR_IA32_VMX_CR4_FIXED0, SKL_CR4_FIXED0 },
	{ MSR_IA32_VMX_CR4_FIXED1, SKL_CR4_FIXED1 },
	{ MSR_IA32_VMX_PROCBASED_CTLS2, BOCHS_PROCBASED2 },
	{ MSR_IA32_VMX_EPT_VPID_CAP, BOCHS_EPT_VPID_CAP },
};

static void read_bochs(struct vmx_caps *caps)
{
	read_caps(caps, bochs_msrs, ARRAY_SIZE(bochs_msrs));
}

/* --- reading ---------------------------------------------------------------- */

TEST(vmx_caps_bochs_basic_decoded)
{
	struct vmx_caps caps;

	read_bochs(&caps);
	EXPECT_EQ(caps.basic, BOCHS_VMX_BASIC);
	EXPECT_EQ(caps.vmcs_revision_id, 0x2b);
	EXPECT_EQ(caps.vmcs_region_size, 4096);
	EXPECT_EQ(caps.vmcs_memory_type, VMX_MEMORY_TYPE_WB);
	EXPECT(caps.true_ctls);
	EXPECT_EQ(caps.pin_based_ctls, BOCHS_PINBASED);
	EXPECT_EQ(caps.proc_based_ctls2, BOCHS_PROCBASED2);
	EXPECT_EQ(caps.ept_vpid_cap, BOCHS_EPT_VPID_CAP);
	EXPECT_EQ(nr_absent_reads, 0);
}

TEST(vmx_caps_true_msrs_used_when_basic_bit55_set)
{
	struct vmx_caps caps;

	read_bochs(&caps);
	EXPECT_EQ(caps.proc_based_ctls, SKL_TRUE_PROCBASED);
	EXPECT_EQ(caps.exit_ctls, SKL_TRUE_EXIT);
	EXPECT_EQ(caps.entry_ctls, SKL_TRUE_ENTRY);
	EXPECT(msr_was_read(MSR_IA32_VMX_TRUE_PINBASED_CTLS));
	EXPECT(!msr_was_read(MSR_IA32_VMX_PROCBASED_CTLS));
}

TEST(vmx_caps_plain_msrs_when_no_true_ctls)
{
	struct msr_value msrs[ARRAY_SIZE(bochs_msrs)];
	struct vmx_caps caps;

	memcpy(msrs, bochs_msrs, sizeof(msrs));
	msrs[0].value = BOCHS_VMX_BASIC & ~VMX_BASIC_TRUE_CTLS;
	read_caps(&caps, msrs, ARRAY_SIZE(msrs));
	EXPECT(!caps.true_ctls);
	EXPECT_EQ(caps.proc_based_ctls, SKL_PROCBASED);
	EXPECT_EQ(caps.exit_ctls, SKL_EXIT);
	EXPECT_EQ(caps.entry_ctls, SKL_ENTRY);
	/* A CPU without bit 55 has no TRUE MSRs: touching one would #GP. */
	EXPECT(!msr_was_read(MSR_IA32_VMX_TRUE_PINBASED_CTLS));
	EXPECT(!msr_was_read(MSR_IA32_VMX_TRUE_PROCBASED_CTLS));
	EXPECT(!msr_was_read(MSR_IA32_VMX_TRUE_EXIT_CTLS));
	EXPECT(!msr_was_read(MSR_IA32_VMX_TRUE_ENTRY_CTLS));
}

TEST(vmx_caps_absent_secondary_msrs_not_read)
{
	/* An old CPU: no secondary controls, hence no CTLS2 and no EPT. */
	static const struct msr_value old_cpu[] = {
		{ MSR_IA32_VMX_BASIC, 0x005A040000000010ULL }, /* bit 55 clear: no TRUE_* */
		{ MSR_IA32_VMX_PINBASED_CTLS, 0x0000003F00000016ULL },
		{ MSR_IA32_VMX_PROCBASED_CTLS, SKL_PROCBASED & ~((u64)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS << 32) },
		{ MSR_IA32_VMX_EXIT_CTLS, SKL_EXIT },
		{ MSR_IA32_VMX_ENTRY_CTLS, SKL_ENTRY },
	};
	struct vmx_caps caps;
	const char *why;

	read_caps(&caps, old_cpu, ARRAY_SIZE(old_cpu));
	EXPECT(!msr_was_read(MSR_IA32_VMX_PROCBASED_CTLS2));
	EXPECT(!msr_was_read(MSR_IA32_VMX_EPT_VPID_CAP));
	EXPECT_EQ(caps.proc_based_ctls2, 0);
	EXPECT_EQ(caps.ept_vpid_cap, 0);
	EXPECT(!cpu_has_vmx_secondary_controls(&caps));
	EXPECT(!cpu_has_vmx_ept(&caps));
	EXPECT(!cpu_has_vmx_vpid(&caps));
	EXPECT_EQ(vmx_caps_check(&caps, &why), -EINVAL);
	EXPECT(streq(why, "no EPT"));
}

TEST(vmx_caps_ept_vpid_cap_needs_ept_or_vpid)
{
	struct msr_value msrs[ARRAY_SIZE(bochs_msrs)];
	struct vmx_caps caps;

	memcpy(msrs, bochs_msrs, sizeof(msrs));
	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++)
		if (msrs[i].msr == MSR_IA32_VMX_PROCBASED_CTLS2)
			msrs[i].value &= ~((u64)(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID) << 32);
	read_caps(&caps, msrs, ARRAY_SIZE(msrs));
	EXPECT(msr_was_read(MSR_IA32_VMX_PROCBASED_CTLS2));
	EXPECT(!msr_was_read(MSR_IA32_VMX_EPT_VPID_CAP));
	EXPECT(!cpu_has_vmx_ept_2m(&caps));
	EXPECT(cpu_has_vmx_rdtscp(&caps)); /* the rest of CTLS2 still counts */
}

/* --- predicates --------------------------------------------------------------- */

TEST(vmx_caps_bochs_predicates)
{
	struct vmx_caps caps;
	const char *why = NULL;

	read_bochs(&caps);
	EXPECT(cpu_has_vmx_secondary_controls(&caps));
	EXPECT(cpu_has_vmx_ept(&caps));
	EXPECT(cpu_has_vmx_vpid(&caps));
	EXPECT(cpu_has_vmx_unrestricted_guest(&caps));
	EXPECT(cpu_has_vmx_rdtscp(&caps));
	EXPECT(cpu_has_vmx_invpcid(&caps));
	EXPECT(cpu_has_vmx_xsaves(&caps));
	EXPECT(cpu_has_vmx_msr_bitmaps(&caps));
	EXPECT(cpu_has_vmx_io_bitmaps(&caps));
	EXPECT(cpu_has_vmx_ept_4level(&caps));
	EXPECT(cpu_has_vmx_ept_wb(&caps));
	EXPECT(cpu_has_vmx_ept_2m(&caps));
	EXPECT(cpu_has_vmx_ept_1g(&caps));
	EXPECT(cpu_has_vmx_ept_ad(&caps));
	EXPECT(cpu_has_vmx_ept_execute_only(&caps));
	EXPECT(cpu_has_vmx_invept(&caps));
	EXPECT(cpu_has_vmx_invept_single_context(&caps));
	EXPECT(cpu_has_vmx_invept_all_context(&caps));
	EXPECT(cpu_has_vmx_invvpid(&caps));
	EXPECT(cpu_has_vmx_activity_hlt(&caps));
	EXPECT_EQ(vmx_max_msr_list_entries(&caps), 512);
	EXPECT_EQ(vmx_caps_check(&caps, &why), 0);
	EXPECT(why != NULL);
}

TEST(vmx_caps_predicates_follow_each_bit)
{
	struct vmx_caps caps;
	const char *why;

	read_bochs(&caps);
	caps.ept_vpid_cap &= ~(VMX_EPT_1GB_PAGES | VMX_EPT_MEMORY_TYPE_WB | VMX_EPT_INVEPT_SINGLE_CONTEXT);
	EXPECT(cpu_has_vmx_ept_2m(&caps));
	EXPECT(!cpu_has_vmx_ept_1g(&caps));
	EXPECT(!cpu_has_vmx_ept_wb(&caps));
	EXPECT(!cpu_has_vmx_invept_single_context(&caps));
	EXPECT(cpu_has_vmx_invept(&caps)); /* all-context is left */
	EXPECT_EQ(vmx_caps_check(&caps, &why), -EINVAL);
	EXPECT(strstr(why, "write-back") != NULL);

	caps.ept_vpid_cap &= ~VMX_EPT_INVEPT_ALL_CONTEXT;
	EXPECT(!cpu_has_vmx_invept(&caps));

	/* EPT capability bits mean nothing when EPT itself cannot be enabled. */
	read_bochs(&caps);
	caps.proc_based_ctls2 &= ~((u64)SECONDARY_EXEC_ENABLE_EPT << 32);
	EXPECT(!cpu_has_vmx_ept(&caps));
	EXPECT(!cpu_has_vmx_ept_2m(&caps));
	EXPECT(!cpu_has_vmx_invept(&caps));
	EXPECT(!cpu_has_vmx_unrestricted_guest(&caps));
	EXPECT(cpu_has_vmx_vpid(&caps));
}

TEST(vmx_caps_check_vmcs_region)
{
	struct vmx_caps caps;
	const char *why;

	read_bochs(&caps);
	caps.vmcs_region_size = 2 * PAGE_SIZE;
	EXPECT_EQ(vmx_caps_check(&caps, &why), -EINVAL);
	EXPECT(strstr(why, "size") != NULL);

	read_bochs(&caps);
	caps.vmcs_memory_type = VMX_MEMORY_TYPE_UC;
	EXPECT_EQ(vmx_caps_check(&caps, &why), -EINVAL);
	EXPECT(strstr(why, "memory type") != NULL);

	read_bochs(&caps);
	caps.basic |= VMX_BASIC_32BIT_PHYS_ADDR_ONLY;
	EXPECT_EQ(vmx_caps_check(&caps, &why), -EINVAL);
	EXPECT(strstr(why, "32-bit") != NULL);
}

/* --- control words -------------------------------------------------------------- */

TEST(vmx_adjust_forces_allowed0_bits)
{
	u32 out = 0;

	/* Bochs pin-based: bits 1, 2, 4 must be 1 (0x16). */
	EXPECT_EQ(vmx_adjust_controls(BOCHS_PINBASED, PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING,
				      &out), 0);
	EXPECT_EQ(out, 0x16 | PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING);
	EXPECT_EQ(vmx_adjust_controls(BOCHS_PINBASED, 0, &out), 0);
	EXPECT_EQ(out, 0x16);
}

TEST(vmx_adjust_rejects_bit_outside_allowed1)
{
	u32 out = 0;

	/* Posted interrupts (bit 7) lie outside Bochs's allowed-1 0x7f. */
	EXPECT_EQ(vmx_adjust_controls(BOCHS_PINBASED, PIN_BASED_NMI_EXITING | PIN_BASED_POSTED_INTR,
				      &out), -EINVAL);
	EXPECT_EQ(out, PIN_BASED_POSTED_INTR); /* exactly what is missing */

	/* Bochs's secondary controls: bit 26 (user wait/pause) is not there. */
	EXPECT_EQ(vmx_adjust_controls(BOCHS_PROCBASED2,
				      SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_USR_WAIT_PAUSE,
				      &out), -EINVAL);
	EXPECT_EQ(out, SECONDARY_EXEC_ENABLE_USR_WAIT_PAUSE);
}

TEST(vmx_adjust_bochs_secondary_controls)
{
	u32 want = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
		   SECONDARY_EXEC_UNRESTRICTED_GUEST | SECONDARY_EXEC_ENABLE_RDTSCP |
		   SECONDARY_EXEC_ENABLE_INVPCID | SECONDARY_EXEC_XSAVES;
	u32 out = 0;

	EXPECT_EQ(vmx_adjust_controls(BOCHS_PROCBASED2, want, &out), 0);
	EXPECT_EQ(out, want); /* CTLS2 has no required bits */
}

TEST(vmx_adjust_true_msrs_drop_default1_controls)
{
	u32 want = CPU_BASED_HLT_EXITING | CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |
		   CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	u32 plain = 0, true_word = 0;

	EXPECT_EQ(vmx_adjust_controls(SKL_PROCBASED, want, &plain), 0);
	EXPECT_EQ(vmx_adjust_controls(SKL_TRUE_PROCBASED, want, &true_word), 0);
	/* With EPT nobody needs CR3 exits; only the TRUE MSR lets them go. */
	EXPECT(plain & CPU_BASED_CR3_LOAD_EXITING);
	EXPECT(plain & CPU_BASED_CR3_STORE_EXITING);
	EXPECT(!(true_word & CPU_BASED_CR3_LOAD_EXITING));
	EXPECT(!(true_word & CPU_BASED_CR3_STORE_EXITING));
	EXPECT_EQ(true_word & want, want);

	/* 64-bit host and guest, EFER switched on both sides. */
	u32 exit_want = VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER |
			VM_EXIT_ACK_INTR_ON_EXIT;
	u32 entry_want = VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER;
	u32 out = 0;

	EXPECT_EQ(vmx_adjust_controls(SKL_TRUE_EXIT, exit_want, &out), 0);
	EXPECT_EQ(out & exit_want, exit_want);
	EXPECT(!(out & VM_EXIT_SAVE_DEBUG_CONTROLS));
	EXPECT_EQ(vmx_adjust_controls(SKL_TRUE_ENTRY, entry_want, &out), 0);
	EXPECT_EQ(out & entry_want, entry_want);
}

TEST(vmx_adjust_broken_msr_and_optional)
{
	u32 out = 0;
	/* bit 3 required but not allowed: no CPU should say so; refuse anyway. */
	u64 broken = ((u64)0x0f << 32) | 0x18;

	EXPECT_EQ(vmx_adjust_controls(broken, 0, &out), -EINVAL);
	EXPECT_EQ(out, 0x10);

	EXPECT_EQ(vmx_ctls_required(BOCHS_PINBASED), 0x16);
	EXPECT_EQ(vmx_ctls_allowed(BOCHS_PINBASED), 0x7f);
	EXPECT_EQ(vmx_ctls_optional(BOCHS_PINBASED, PIN_BASED_VMX_PREEMPTION_TIMER | PIN_BASED_POSTED_INTR),
		  PIN_BASED_VMX_PREEMPTION_TIMER);
}

/* --- CR0/CR4 --------------------------------------------------------------------- */

TEST(vmx_fix_cr0_cr4)
{
	struct vmx_caps caps;

	read_bochs(&caps);
	/* A real-mode-looking CR0 gets PE, NE and PG forced on. */
	EXPECT_EQ(vmx_fix_cr0(&caps, 0x10), 0x80000031);
	EXPECT_EQ(vmx_fix_cr0(&caps, 0xffffffffffffffffULL), 0xffffffffULL);
	/* ... unless the guest is unrestricted: then PE and PG stay as given. */
	EXPECT_EQ(vmx_fix_guest_cr0(&caps, 0x10, true), 0x30);
	EXPECT_EQ(vmx_fix_guest_cr0(&caps, 0x10, false), 0x80000031);
	/* CR4.VMXE is forced on; bits outside FIXED1 forced off. */
	EXPECT_EQ(vmx_fix_cr4(&caps, 0x20), 0x2020);
	EXPECT_EQ(vmx_fix_cr4(&caps, 1ULL << 23), 0x2000);
}

/* --- IA32_FEATURE_CONTROL --------------------------------------------------------- */

TEST(vmx_feature_control_classification)
{
	bool need_lock = true;
	const char *why = NULL;

	/* Bochs: locked, VMX outside SMX on. */
	EXPECT_EQ(vmx_check_feature_control(BOCHS_FEATURE_CONTROL, &need_lock, &why), 0);
	EXPECT(!need_lock);
	EXPECT(why != NULL);

	/* Locked with VMX off: nothing to do but tell the user. */
	EXPECT_EQ(vmx_check_feature_control(0x1, &need_lock, &why), -EPERM);
	EXPECT(!need_lock);
	EXPECT(why && strstr(why, "firmware setup"));

	/* Locked, VMX allowed only inside SMX: just as unusable. */
	EXPECT_EQ(vmx_check_feature_control(0x3, &need_lock, &why), -EPERM);

	/* Unlocked: we set it ourselves, and lock it. */
	EXPECT_EQ(vmx_check_feature_control(0x0, &need_lock, &why), 0);
	EXPECT(need_lock);
	EXPECT_EQ(vmx_feature_control_enable(0x0), 0x5);
	EXPECT_EQ(vmx_feature_control_enable(0x2), 0x7); /* keeps other bits */
}

/* --- names --------------------------------------------------------------------------- */

TEST(vmx_exit_reason_names)
{
	EXPECT(streq(vmx_exit_reason_name(EXIT_REASON_EXCEPTION_NMI), "EXCEPTION_NMI"));
	EXPECT(streq(vmx_exit_reason_name(10), "CPUID"));
	EXPECT(streq(vmx_exit_reason_name(18), "VMCALL"));
	EXPECT(streq(vmx_exit_reason_name(30), "IO_INSTRUCTION"));
	EXPECT(streq(vmx_exit_reason_name(48), "EPT_VIOLATION"));
	EXPECT(streq(vmx_exit_reason_name(49), "EPT_MISCONFIG"));
	/* A full exit-reason field: the flags do not change the name. */
	EXPECT(streq(vmx_exit_reason_name(VMX_EXIT_REASON_FAILED_VMENTRY | 33), "INVALID_GUEST_STATE"));
	/* Reserved, beyond the table, absurd: named, never NULL. */
	EXPECT(streq(vmx_exit_reason_name(35), "unknown"));
	EXPECT(streq(vmx_exit_reason_name(71), "unknown"));
	EXPECT(streq(vmx_exit_reason_name(200), "unknown"));
	EXPECT(streq(vmx_exit_reason_name(0xffffffffu), "unknown"));
}

TEST(vmx_insn_error_names)
{
	EXPECT(streq(vmx_insn_error_name(VMXERR_ENTRY_INVALID_CONTROL_FIELD),
		     "VM entry with invalid control field(s)"));
	EXPECT(streq(vmx_insn_error_name(8), "VM entry with invalid host-state field(s)"));
	EXPECT(streq(vmx_insn_error_name(12), "VMREAD/VMWRITE from/to unsupported VMCS component"));
	EXPECT(streq(vmx_insn_error_name(28), "invalid operand to INVEPT/INVVPID"));
	EXPECT(streq(vmx_insn_error_name(0), "unknown VM-instruction error"));
	EXPECT(streq(vmx_insn_error_name(14), "unknown VM-instruction error"));
	EXPECT(streq(vmx_insn_error_name(29), "unknown VM-instruction error"));
	EXPECT(streq(vmx_insn_error_name(0x80000000u), "unknown VM-instruction error"));
}

TEST(vmcs_field_encodings_and_names)
{
	/* Spot checks against the SDM's appendix B. */
	EXPECT_EQ(VIRTUAL_PROCESSOR_ID, 0x0000);
	EXPECT_EQ(GUEST_ES_SELECTOR, 0x0800);
	EXPECT_EQ(EPT_POINTER, 0x201a);
	EXPECT_EQ(VM_INSTRUCTION_ERROR, 0x4400);
	EXPECT_EQ(VM_EXIT_REASON, 0x4402);
	EXPECT_EQ(VM_EXIT_INSTRUCTION_LEN, 0x440c);
	EXPECT_EQ(EXIT_QUALIFICATION, 0x6400);
	EXPECT_EQ(GUEST_PHYSICAL_ADDRESS, 0x2400);
	EXPECT_EQ(GUEST_RIP, 0x681e);
	EXPECT_EQ(HOST_RIP, 0x6c16);

	EXPECT_EQ(vmcs_field_width(GUEST_CS_SELECTOR), VMCS_FIELD_WIDTH_16);
	EXPECT_EQ(vmcs_field_width(EPT_POINTER), VMCS_FIELD_WIDTH_64);
	EXPECT_EQ(vmcs_field_width(VM_EXIT_REASON), VMCS_FIELD_WIDTH_32);
	EXPECT_EQ(vmcs_field_width(GUEST_RIP), VMCS_FIELD_WIDTH_NATURAL);
	EXPECT_EQ(vmcs_field_type(VM_EXIT_REASON), VMCS_FIELD_TYPE_READ_ONLY);
	EXPECT_EQ(vmcs_field_type(HOST_RIP), VMCS_FIELD_TYPE_HOST);
	EXPECT_EQ(vmcs_field_type(PIN_BASED_VM_EXEC_CONTROL), VMCS_FIELD_TYPE_CONTROL);

	EXPECT(streq(vmcs_field_name(GUEST_RIP), "GUEST_RIP"));
	EXPECT(streq(vmcs_field_name(EPT_POINTER | VMCS_FIELD_HIGH), "EPT_POINTER_HIGH"));
	EXPECT(vmcs_field_name(GUEST_RIP | VMCS_FIELD_HIGH) == NULL); /* natural width: no high half */
	EXPECT(vmcs_field_name(0x7ffe) == NULL);
}

/*
 * The whole list, field by field: every encoding is unique (a duplicate
 * would make the name lookup return the other name), is not a _HIGH alias,
 * and its type bits agree with its name.
 */
TEST(vmcs_field_list_consistent)
{
	struct {
		u32 enc;
		const char *name;
	} fields[] = {
#define FIELD_ROW(name, enc) { (enc), #name },
		VMCS_FIELDS(FIELD_ROW)
#undef FIELD_ROW
	};

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		u32 enc = fields[i].enc;
		const char *name = fields[i].name;
		enum vmcs_field_type type = vmcs_field_type(enc);
		bool exit_info = streq(name, "GUEST_PHYSICAL_ADDRESS") ||
				 streq(name, "GUEST_LINEAR_ADDRESS");

		if (!streq(vmcs_field_name(enc), name) || (enc & VMCS_FIELD_HIGH))
			test_fail(__FILE__, __LINE__, name); /* duplicate or odd encoding */
		bool host_name = strncmp(name, "HOST_", 5) == 0;
		bool guest_name = strncmp(name, "GUEST_", 6) == 0 && !exit_info;

		if (host_name != (type == VMCS_FIELD_TYPE_HOST) ||
		    guest_name != (type == VMCS_FIELD_TYPE_GUEST && !streq(name, "VMCS_LINK_POINTER") &&
				   !streq(name, "VMX_PREEMPTION_TIMER_VALUE")))
			test_fail(__FILE__, __LINE__, name);
	}

	/* Exit reasons and errors round-trip through their tables the same way. */
#define EXIT_ROW(name, nr) EXPECT(streq(vmx_exit_reason_name(nr), #name));
	VMX_EXIT_REASONS(EXIT_ROW)
#undef EXIT_ROW
#define ERROR_ROW(name, nr, text) EXPECT(streq(vmx_insn_error_name(nr), text));
	VMX_INSN_ERRORS(ERROR_ROW)
#undef ERROR_ROW
}

TEST(vmx_invept_type_follows_the_capabilities)
{
	struct vmx_caps caps;

	read_bochs(&caps);
	EXPECT_EQ(vmx_invept_type(&caps), INVEPT_SINGLE_CONTEXT);
	caps.ept_vpid_cap &= ~VMX_EPT_INVEPT_SINGLE_CONTEXT; /* a CPU with only all-context INVEPT */
	EXPECT(cpu_has_vmx_invept(&caps));
	EXPECT_EQ(vmx_invept_type(&caps), INVEPT_ALL_CONTEXTS);
}

TEST(vmx_caps_check_names_a_missing_required_control)
{
	struct vmx_caps caps;
	const char *why;

	read_bochs(&caps);
	EXPECT_EQ(vmx_caps_check(&caps, &why), 0);
	caps.entry_ctls &= ~((u64)VM_ENTRY_LOAD_DEBUG_CONTROLS << 32);
	EXPECT_EQ(vmx_caps_check(&caps, &why), -EINVAL);
	EXPECT(strstr(why, "VM-entry") != NULL && strstr(why, "0x4") != NULL);

	read_bochs(&caps);
	caps.pin_based_ctls &= ~((u64)PIN_BASED_NMI_EXITING << 32);
	EXPECT_EQ(vmx_caps_check(&caps, &why), -EINVAL);
	EXPECT(strstr(why, "pin-based") != NULL);
}
