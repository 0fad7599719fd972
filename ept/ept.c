/*
 * EPT on the shared walker: what differs from the host format is that
 * "present" means any of R/W/X, leaves carry a memory type, and a change is
 * published with INVEPT rather than INVLPG (once per operation, not per leaf).
 */
#include "ept/ept.h"
#include "ept/ept_hw.h"
#include "mm/arch.h"
#include "mm/frame.h"

static bool ept_present(u64 e)
{
	return e & EPT_RWX;
}

static u64 ept_make_table(u64 pa)
{
	return pa | EPT_RWX;
}

static u64 ept_make_leaf(u64 pa, unsigned int prot, int level)
{
	u64 e = pa | (EPT_MT_WB << EPT_MT_SHIFT) | EPT_IPAT;

	if (prot & PT_R)
		e |= EPT_R;
	if (prot & PT_W)
		e |= EPT_W;
	if (prot & PT_X)
		e |= EPT_X;
	if (level > 1)
		e |= EPT_LARGE;
	return e;
}

static unsigned int ept_prot(u64 e)
{
	return ((e & EPT_R) ? PT_R : 0) | ((e & EPT_W) ? PT_W : 0) | ((e & EPT_X) ? PT_X : 0);
}

static void ept_flush_leaf(struct pt *pt, u64 gpa, int level)
{
	(void)pt;
	(void)gpa;
	(void)level;
}

static void ept_flush_done(struct pt *pt)
{
	arch_invept(pt->ctx);
}

static const struct pt_format ept_format = {
	.name = "ept",
	.present = ept_present,
	.make_table = ept_make_table,
	.make_leaf = ept_make_leaf,
	.prot = ept_prot,
	.flush = ept_flush_leaf,
	.flush_done = ept_flush_done,
	.va_limit = EPT_GPA_LIMIT,
	.canonical_upper = false,
};

int ept_init(struct ept *ept, int max_leaf_level, bool ad_bits)
{
	int r = pt_init(&ept->pt, &ept_format, max_leaf_level, FRAME_HV);

	if (r)
		return r;
	ept->pt.ctx = ept->pt.root_pa | EPTP_MT_WB | EPTP_WALK_4 | (ad_bits ? EPTP_AD : 0);
	return 0;
}

void ept_destroy(struct ept *ept)
{
	pt_destroy(&ept->pt);
	arch_invept(ept->pt.ctx);
}

/*
 * A leaf with no permission would read as "not present", and write without
 * read is an EPT misconfiguration (SDM 29.3.3.1).
 */
static bool prot_ok(unsigned int prot)
{
	return (prot & (PT_R | PT_W | PT_X)) && !(prot & ~(PT_R | PT_W | PT_X)) &&
	       (!(prot & PT_W) || (prot & PT_R));
}

int ept_map(struct ept *ept, u64 gpa, mfn_t mfn, u64 size, unsigned int prot)
{
	if (!prot_ok(prot))
		return -EINVAL;
	return pt_map(&ept->pt, gpa, mfn_to_pa(mfn), size, prot);
}

int ept_unmap(struct ept *ept, u64 gpa, u64 size)
{
	return pt_unmap(&ept->pt, gpa, size);
}

int ept_protect(struct ept *ept, u64 gpa, u64 size, unsigned int prot)
{
	if (!prot_ok(prot))
		return -EINVAL;
	return pt_protect(&ept->pt, gpa, size, prot);
}

int ept_translate(const struct ept *ept, u64 gpa, u64 *hpa, unsigned int *prot, int *level)
{
	return pt_translate(&ept->pt, gpa, hpa, prot, level);
}

int ept_split(struct ept *ept, u64 gpa, int level)
{
	return pt_split(&ept->pt, gpa, level);
}
