/*
 * The CPUID allow-list (hv/vm/cpuid_policy.c) on an imagined CPU that has
 * every bit set: what a Sapphire Rapids or Arrow Lake part shows keyhole,
 * and more.  What keyhole cannot support must not reach a guest; leaf 0xD
 * must agree with itself.
 */
#include <string.h>
#include <x86/cr.h>
#include "hv/vm/cpuid_policy.h"
#include "test.h"

static u32 max_basic = 0x20, max_ext = 0x80000008u;
static u32 leaf7_ebx = ~0u;

/* XSAVE components 2-18 at standard offsets of a real part (AVX 256 at 576, ... AMX tiles 8192 at 2752). */
static const struct { u32 size, offset; } comp[19] = {
	[2] = { 256, 576 },  [3] = { 64, 960 },    [4] = { 64, 1024 },  [5] = { 64, 1088 },
	[6] = { 512, 1152 }, [7] = { 1024, 1664 }, [8] = { 0, 0 },      [9] = { 8, 2688 },
	[17] = { 64, 2752 }, [18] = { 8192, 2816 },
};

static struct cpuid_regs everything(u32 leaf, u32 sub)
{
	if (leaf == 0)
		return (struct cpuid_regs){ max_basic, 0x756e6547, 0x6c65746e, 0x49656e69 };
	if (leaf == CPUID_LEAF_EXT_BASE)
		return (struct cpuid_regs){ max_ext, 0, 0, 0 };
	if (leaf == CPUID_LEAF_STRUCT_EXT && sub == 0)
		return (struct cpuid_regs){ 2, leaf7_ebx, ~0u, ~0u };
	if (leaf == CPUID_LEAF_XSAVE && sub == 0)
		return (struct cpuid_regs){ 0x602ff, 11008, 11008, 0 }; /* x87..AVX-512, PKRU, AMX; MPX, PT */
	if (leaf == CPUID_LEAF_XSAVE && sub >= 2 && sub < 19)
		return (struct cpuid_regs){ comp[sub].size, comp[sub].offset, 0, 0 };
	return (struct cpuid_regs){ ~0u, ~0u, ~0u, ~0u };
}

static const struct cpuid_guest linux_guest = { .pc = true, .osxsave = true, .rdtscp = true, .xcr0 = 0xe7 };

TEST(cpuid_leaf7_hides_what_keyhole_cannot_support)
{
	struct cpuid_regs c = cpuid_policy(CPUID_LEAF_STRUCT_EXT, 0, &linux_guest, everything);

	EXPECT_EQ(c.eax, 1);                             /* subleaves 0 and 1 only */
	EXPECT_EQ(c.edx & (CPUID_7_EDX_SPEC_CTRL | CPUID_7_EDX_STIBP | CPUID_7_EDX_ARCH_CAPABILITIES | CPUID_7_EDX_SSBD), 0);
	EXPECT_EQ(c.ecx & (CPUID_7_ECX_WAITPKG | CPUID_7_ECX_LA57), 0);
	EXPECT_EQ(c.ebx & (BIT(4) | BIT(11) | BIT(14) | BIT(25)), 0); /* HLE, RTM, MPX, PT */
	EXPECT_EQ(c.edx & (BIT(22) | BIT(24) | BIT(25) | BIT(20)), 0); /* AMX, IBT */
	EXPECT(c.ebx & CPUID_7_EBX_AVX512F);             /* and what it can, it shows */
	EXPECT(c.ecx & CPUID_7_ECX_PKU);
	EXPECT_EQ(c.ecx & CPUID_7_ECX_OSPKE, 0);         /* the guest's CR4.PKE is clear */
	struct cpuid_guest pke = linux_guest;
	pke.ospke = true;
	EXPECT(cpuid_policy(CPUID_LEAF_STRUCT_EXT, 0, &pke, everything).ecx & CPUID_7_ECX_OSPKE);
	c = cpuid_policy(CPUID_LEAF_STRUCT_EXT, 1, &linux_guest, everything);
	EXPECT_EQ(c.eax, BIT(4) | BIT(5));
	EXPECT_EQ(c.ebx | c.ecx | c.edx, 0);
	c = cpuid_policy(CPUID_LEAF_STRUCT_EXT, 2, &linux_guest, everything);
	EXPECT_EQ(c.eax | c.ebx | c.ecx | c.edx, 0);
}

TEST(cpuid_leaf_d_agrees_with_itself_and_with_xcr0)
{
	u64 allowed = X86_XCR0_X87 | X86_XCR0_SSE | X86_XCR0_AVX | X86_XCR0_AVX512 | X86_XCR0_PKRU;
	struct cpuid_regs c = cpuid_policy(CPUID_LEAF_XSAVE, 0, &linux_guest, everything);

	EXPECT_EQ(cpuid_policy_xcr0_allowed(everything), allowed); /* no MPX, PT or AMX */
	EXPECT_EQ(((u64)c.edx << 32) | c.eax, allowed);
	EXPECT_EQ(c.ecx, 2688 + 8);                   /* PKRU ends the allowed area */
	EXPECT_EQ(c.ebx, 1664 + 1024);                /* XCR0 0xe7 (no PKRU): Hi16_ZMM ends it */
	EXPECT(c.ebx <= c.ecx);
	c = cpuid_policy(CPUID_LEAF_XSAVE, 1, &linux_guest, everything);
	EXPECT_EQ(c.eax & CPUID_D1_EAX_XSAVES, 0);
	EXPECT_EQ(c.ecx | c.edx, 0);                  /* no supervisor components */
	c = cpuid_policy(CPUID_LEAF_XSAVE, 6, &linux_guest, everything);
	EXPECT_EQ(c.eax, 512);
	EXPECT_EQ(c.ebx, 1152);
	for (u32 sub = 3; sub < 64; sub++) {
		if (allowed & BIT(sub))
			continue;
		c = cpuid_policy(CPUID_LEAF_XSAVE, sub, &linux_guest, everything);
		EXPECT_EQ(c.eax | c.ebx | c.ecx | c.edx, 0);
	}
	struct cpuid_guest legacy = linux_guest;
	legacy.xcr0 = X86_XCR0_X87 | X86_XCR0_SSE;
	EXPECT_EQ(cpuid_policy(CPUID_LEAF_XSAVE, 0, &legacy, everything).ebx, X86_XSAVE_LEGACY_AND_HEADER);
}

TEST(cpuid_without_avx512f_hides_the_avx512_state_and_bits)
{
	leaf7_ebx = ~(u32)CPUID_7_EBX_AVX512F;
	EXPECT_EQ(cpuid_policy_xcr0_allowed(everything) & X86_XCR0_AVX512, 0);
	struct cpuid_regs c = cpuid_policy(CPUID_LEAF_STRUCT_EXT, 0, &linux_guest, everything);
	EXPECT_EQ(c.ebx & (BIT(17) | BIT(30) | BIT(31)), 0); /* DQ, BW, VL */
	EXPECT_EQ(c.ecx & BIT(11), 0);                        /* VNNI */
	EXPECT_EQ(cpuid_policy(CPUID_LEAF_XSAVE, 0, &linux_guest, everything).ecx, 2688 + 8);
	leaf7_ebx = ~0u;
}

TEST(cpuid_unknown_and_out_of_range_leaves_read_zero)
{
	static const u32 unknown[] = { 0x3, 0x8, 0xf, 0x10, 0x12, 0x14, 0x17, 0x19, 0x1a, 0x1b, 0x1d, 0x1e, 0x20,
				       0x21, 0x80000005u, 0x80000009u, 0x8000001fu };

	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		struct cpuid_regs c = cpuid_policy(unknown[i], 0, &linux_guest, everything);
		EXPECT_EQ(c.eax | c.ebx | c.ecx | c.edx, 0);
	}
	EXPECT_EQ(cpuid_policy(0, 0, &linux_guest, everything).eax, CPUID_POLICY_MAX_BASIC);
	EXPECT_EQ(cpuid_policy(0, 0, &linux_guest, everything).ebx, 0x756e6547); /* the vendor passes */
	max_basic = 0xd;
	struct cpuid_regs c = cpuid_policy(0x15, 0, &linux_guest, everything); /* beyond the CPU's own last leaf */
	EXPECT_EQ(c.eax | c.ebx | c.ecx | c.edx, 0);
	max_basic = 0x20;
	EXPECT_EQ(cpuid_policy(CPUID_LEAF_EXT_ADDR, 0, &linux_guest, everything).ebx, 0);
	/* invariant TSC: an ELF guest sees it; a PC guest runs on kvm-clock instead (its stable bit says as much) */
	EXPECT_EQ(cpuid_policy(CPUID_LEAF_EXT_POWER, 0, &linux_guest, everything).edx, 0);
	struct cpuid_guest elf_guest = linux_guest;
	elf_guest.pc = false;
	EXPECT_EQ(cpuid_policy(CPUID_LEAF_EXT_POWER, 0, &elf_guest, everything).edx, CPUID_87_EDX_INVARIANT_TSC);
}

TEST(cpuid_leaf1_and_rdtscp_follow_the_guest)
{
	struct cpuid_regs c = cpuid_policy(CPUID_LEAF_FEATURES, 0, &linux_guest, everything);

	EXPECT_EQ(c.ecx & (CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_X2APIC), 0);
	EXPECT(c.ecx & CPUID_1_ECX_HYPERVISOR);
	EXPECT(c.ecx & CPUID_1_ECX_OSXSAVE);
	EXPECT_EQ(c.edx & CPUID_1_EDX_APIC, 0);
	struct cpuid_guest isolated = { .pc = false, .osxsave = false, .rdtscp = false };
	c = cpuid_policy(CPUID_LEAF_FEATURES, 0, &isolated, everything);
	EXPECT_EQ(c.ecx & CPUID_1_ECX_OSXSAVE, 0);
	EXPECT(c.edx & CPUID_1_EDX_APIC);              /* only the PC platform hides it */
	EXPECT_EQ(cpuid_policy(CPUID_LEAF_EXT_INFO, 0, &isolated, everything).edx & CPUID_81_EDX_RDTSCP, 0);
	EXPECT_EQ(cpuid_policy(CPUID_LEAF_STRUCT_EXT, 0, &isolated, everything).ecx & CPUID_7_ECX_RDPID, 0);
	EXPECT(cpuid_policy(CPUID_LEAF_EXT_INFO, 0, &linux_guest, everything).edx & CPUID_81_EDX_RDTSCP);
}

/*
 * An imagined CPU whose answers differ for every leaf, and for every
 * subleaf of the leaves the SDM gives subleaves (Vol. 2A, CPUID: 4, 7, 0xB,
 * 0xD, 0xF, 0x10, 0x12, 0x14, 0x17, 0x18, 0x1B, 0x1D, 0x1F, 0x20 and up),
 * so that a leaf the table wrongly took as fixed shows up as a mismatch.
 */
static bool sdm_has_subleaves(u32 leaf)
{
	switch (leaf) {
	case 0x4: case 0x7: case 0xb: case 0xd: case 0xf: case 0x10: case 0x12: case 0x14: case 0x17: case 0x18:
	case 0x1b: case 0x1d: case 0x1f:
		return true;
	}
	return leaf >= 0x20 && leaf < CPUID_LEAF_EXT_BASE;
}

static struct cpuid_regs varied(u32 leaf, u32 sub)
{
	if (leaf == 0 || leaf == CPUID_LEAF_EXT_BASE || (leaf == CPUID_LEAF_XSAVE && (sub == 0 || (sub >= 2 && sub < 19))))
		return everything(leaf, sub);
	u32 s = sdm_has_subleaves(leaf) ? sub : 0;
	u32 x = leaf * 0x9e3779b1u + s * 0x85ebca6bu;
	return (struct cpuid_regs){ x | 1, x ^ 0xdeadbeefu, ~x, x * 3 };
}

TEST(cpuid_table_answers_what_the_policy_answers)
{
	static const u32 subs[] = { 0, 1, 2, 3, 7, 63 };
	static const u64 xcr0s[] = { 0x3, 0xe7, 0x2e7 };

	for (int platform = 0; platform < 2; platform++) {
		for (int rdtscp = 0; rdtscp < 2; rdtscp++) {
			struct cpuid_guest fixed = { .pc = platform, .rdtscp = rdtscp };
			struct cpuid_table t;
			cpuid_table_init(&t, &fixed, varied);
			for (u32 leaf = 0; leaf < 0x8000000bu; leaf = leaf == 0x24 ? CPUID_LEAF_EXT_BASE : leaf + 1) {
				for (size_t k = 0; k < ARRAY_SIZE(subs); k++) {
					for (int cr4 = 0; cr4 < 4; cr4++) {
						struct cpuid_guest g = fixed;
						g.osxsave = cr4 & 1;
						g.ospke = cr4 & 2;
						g.xcr0 = xcr0s[(leaf + k + cr4) % ARRAY_SIZE(xcr0s)];
						struct cpuid_regs want = cpuid_policy(leaf, subs[k], &g, varied), got;
						if (!cpuid_table_lookup(&t, leaf, g.osxsave, &got))
							continue; /* asked of the policy at the exit */
						EXPECT_EQ(memcmp(&got, &want, sizeof(got)), 0);
						if (memcmp(&got, &want, sizeof(got)))
							printf("  leaf %#x subleaf %u cr4 %d: the table differs\n", leaf, subs[k], cr4);
					}
				}
			}
		}
	}
	/* What the table leaves to the policy: the leaves with subleaves or state. */
	struct cpuid_table t;
	struct cpuid_regs c;
	cpuid_table_init(&t, &linux_guest, varied);
	EXPECT(!cpuid_table_lookup(&t, CPUID_LEAF_STRUCT_EXT, true, &c));
	EXPECT(!cpuid_table_lookup(&t, CPUID_LEAF_XSAVE, true, &c));
	EXPECT(!cpuid_table_lookup(&t, 0xb, true, &c));
	EXPECT(!cpuid_table_lookup(&t, 0x40000000u, true, &c)); /* keyhole's own: hv/vm/cpuid.c */
	EXPECT(cpuid_table_lookup(&t, 0, false, &c) && c.eax == CPUID_POLICY_MAX_BASIC);
	EXPECT(cpuid_table_lookup(&t, CPUID_LEAF_FEATURES, true, &c) && (c.ecx & CPUID_1_ECX_OSXSAVE));
	EXPECT(cpuid_table_lookup(&t, CPUID_LEAF_FEATURES, false, &c) && !(c.ecx & CPUID_1_ECX_OSXSAVE));
}
