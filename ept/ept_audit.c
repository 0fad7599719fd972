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
	u64 entries;                /* table entries looked at */
	struct audit_run run;       /* leaves gathered into one run (ept_leaf()); va is the gpa */
};

/*
 * Every frame of a run of leaves must be the guest's: frames_owned_by()
 * answers for a run one chunk record per 2 MiB.
 */
static void ept_run_flush(struct ept_walk *w)
{
	/* The usual case: the run's chunk records answer for it; only a run that is wrong is looked at frame by frame. */
	if (!w->run.n || frames_owned_by(pa_to_mfn(w->run.pa), w->run.n, w->owner)) {
		w->run.n = 0;
		return;
	}
	for (u64 i = 0; i < w->run.n; i++) {
		mfn_t mfn = _mfn(mfn_x(pa_to_mfn(w->run.pa)) + i);
		u16 owner = frame_owner(mfn);
		if (owner != w->owner)
			audit_record(w->rep, &(struct audit_finding){ .kind = AUDIT_FOREIGN,
								      .va = w->run.va + (i << PAGE_SHIFT), .mfn = mfn,
								      .level = w->run.level, .owner = owner });
	}
	w->run.n = 0;
}

static inline void ept_leaf(struct ept_walk *w, u64 gpa, u64 pa, int level)
{
	u64 n = pt_level_size(level) >> PAGE_SHIFT;

	if (audit_run_extend(&w->run, gpa, pa, level, n))
		return;
	ept_run_flush(w);
	audit_run_start(&w->run, gpa, pa, level, n);
}

static void walk_ept(struct ept_walk *w, u64 table_pa, int level, u64 base)
{
	const u64 *t = pt_table(table_pa);
	u64 size = pt_level_size(level);

	w->entries += PT_ENTRIES;
	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		u64 e = t[i];
		if (!(e & EPT_RWX)) {
			/* Empty entries are skipped eight at a time where they come in aligned groups. */
			if (!(i & 7) && !((t[i] | t[i + 1] | t[i + 2] | t[i + 3] | t[i + 4] | t[i + 5] | t[i + 6] | t[i + 7]) & EPT_RWX))
				i += 7;
			continue;
		}
		u64 gpa = base + (u64)i * size;
		u64 pa = pt_entry_pa(e);
		if (level == 1 || (e & EPT_LARGE)) {
			if (w->leaves)
				ept_leaf(w, gpa, pa & ~(size - 1), level);
		} else if (audit_table_frame(w->rep, 0, w->root_pa, pa, level - 1, gpa) && (level > 2 || w->leaves)) {
			/* Without the leaves, a table of 4 KiB leaves holds nothing more to check. */
			walk_ept(w, pa, level - 1, gpa);
		}
	}
}

static unsigned int audit(const struct ept *ept, u16 owner, bool leaves, struct audit_report *rep)
{
	struct audit_report local;
	struct ept_walk w = { .rep = audit_report_start(rep, &local), .root_pa = ept->pt.root_pa, .owner = owner,
			      .leaves = leaves };

	if (audit_table_frame(w.rep, 0, w.root_pa, w.root_pa, PT_LEVELS, 0))
		walk_ept(&w, w.root_pa, PT_LEVELS, 0);
	ept_run_flush(&w);
	w.rep->entries = w.entries;
	return w.rep->findings;
}

/*
 * An EPT's mark (mm/audit.h): its generation plus the count of frees, as
 * they were when its last clean full pass began.  Protecting a frame does
 * not count here: an EPT's audit looks at owners alone.  Two vCPUs of a VM
 * may audit it at once: each writes the sum it read before its walk, and
 * either is the state of a clean pass.
 */
static u64 ept_mark(const struct ept *ept)
{
	return pt_gen(&ept->pt) + __atomic_load_n(&frames_frees_gen, __ATOMIC_ACQUIRE);
}

unsigned int audit_ept(struct ept *ept, u16 owner, struct audit_report *rep)
{
	u64 mark = ept_mark(ept);
	unsigned int n = audit(ept, owner, true, rep);

	if (n == 0)
		__atomic_store_n(&ept->pt.audited[0], mark, __ATOMIC_RELAXED);
	return n;
}

unsigned int audit_ept_changed(struct ept *ept, u16 owner, struct audit_report *rep)
{
	struct audit_report local;

	if (__atomic_load_n(&ept->pt.audited[0], __ATOMIC_RELAXED) == ept_mark(ept)) {
		audit_report_start(rep, &local);
		return 0;
	}
	return audit_ept(ept, owner, rep);
}

unsigned int audit_ept_tables(const struct ept *ept, struct audit_report *rep)
{
	return audit(ept, FRAME_HV, false, rep);
}
