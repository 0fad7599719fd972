/*
 * Invariant 3 (see ept.h): every frame a guest's EPT maps belongs to that
 * guest, and every table frame of the EPT, the root included, belongs to
 * keyhole: a guest that owned one could map itself any frame.  Findings go
 * into the audit's report (mm/audit.h) with the guest-physical address as
 * `va`.
 *
 * Like mm/audit.c, a walker of its own, straight from the EPT entry format
 * (SDM Vol. 3C, 29.3.2: an entry is present if any of bits 2:0 is set; bit 7
 * makes a PDPTE or PDE a leaf) rather than through mm/pt.c, the code it
 * audits.  A table keyhole does not own is reported and not walked.
 */
#include "ept/ept.h"
#include "ept/ept_hw.h"
#include "mm/audit.h"
#include "mm/frame.h"

struct ept_walk {
	struct audit_report *rep;
	u64 root_pa;
	u16 owner;
	bool leaves; /* check the leaves' frames too, not only the tables */
};

static void ept_leaf(struct ept_walk *w, u64 gpa, u64 pa, int level)
{
	u64 n = pt_level_size(level) >> PAGE_SHIFT;

	if (frames_owned_by(pa_to_mfn(pa), n, w->owner))
		return; /* the usual case, a chunk record a 2 MiB leaf: only a leaf that is wrong is looked at frame by frame */
	for (u64 i = 0; i < n; i++) {
		mfn_t mfn = _mfn(mfn_x(pa_to_mfn(pa)) + i);
		u16 owner = frame_owner(mfn);
		if (owner != w->owner)
			audit_record(w->rep, &(struct audit_finding){ .kind = AUDIT_FOREIGN, .va = gpa + (i << PAGE_SHIFT),
								      .mfn = mfn, .level = level, .owner = owner });
	}
}

static void walk_ept(struct ept_walk *w, u64 table_pa, int level, u64 base)
{
	const u64 *t = pt_table(table_pa);

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		u64 e = t[i];
		if (!(e & EPT_RWX))
			continue;
		u64 gpa = base + (u64)i * pt_level_size(level);
		u64 pa = pt_entry_pa(e);
		if (level == 1 || (e & EPT_LARGE)) {
			if (w->leaves)
				ept_leaf(w, gpa, pa & ~(pt_level_size(level) - 1), level);
		} else if (audit_table_frame(w->rep, 0, w->root_pa, pa, level - 1, gpa) && (level > 2 || w->leaves)) {
			/* Without the leaves, a table of 4 KiB leaves holds nothing more to check. */
			walk_ept(w, pa, level - 1, gpa);
		}
	}
}

static unsigned int audit(const struct ept *ept, u16 owner, bool leaves, struct audit_report *rep)
{
	struct audit_report local;
	struct ept_walk w = { audit_report_start(rep, &local), ept->pt.root_pa, owner, leaves };

	if (audit_table_frame(w.rep, 0, w.root_pa, w.root_pa, PT_LEVELS, 0))
		walk_ept(&w, w.root_pa, PT_LEVELS, 0);
	return w.rep->findings;
}

unsigned int audit_ept(const struct ept *ept, u16 owner, struct audit_report *rep)
{
	return audit(ept, owner, true, rep);
}

unsigned int audit_ept_tables(const struct ept *ept, struct audit_report *rep)
{
	return audit(ept, FRAME_HV, false, rep);
}
