/*
 * Invariant 3 (see ept.h): every frame a guest's EPT maps belongs to that
 * guest.  Walked through the shared walker; findings go into the audit's
 * report (mm/audit.h) with the guest-physical address as `va`.
 */
#include "ept/ept.h"
#include "mm/audit.h"
#include "mm/frame.h"

struct ept_walk {
	struct audit_report *rep;
	u16 owner;
};

static int ept_leaf(void *arg, u64 gpa, u64 pa, int level, unsigned int prot)
{
	struct ept_walk *w = arg;
	u64 n = pt_level_size(level) >> PAGE_SHIFT;

	(void)prot;
	for (u64 i = 0; i < n; i++) {
		mfn_t mfn = _mfn(mfn_x(pa_to_mfn(pa)) + i);
		if (frame_owner(mfn) != w->owner)
			audit_record(w->rep, 0, gpa + (i << PAGE_SHIFT), mfn, level);
	}
	return 0;
}

unsigned int audit_ept(const struct ept *ept, u16 owner, struct audit_report *rep)
{
	struct audit_report local;
	struct ept_walk w = { audit_report_start(rep, &local), owner };

	pt_for_each_leaf(&ept->pt, ept_leaf, &w);
	return w.rep->findings;
}
