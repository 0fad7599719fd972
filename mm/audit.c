/*
 * The audit (see audit.h).  It walks every leaf of every root with a walker
 * of its own, written straight from the x86 entry format rather than through
 * mm/pt.c: the audit should not trust the code it audits, and test builds run
 * it at every VM entry, so its inner loop is a plain load-and-test per entry.
 * A large leaf costs one look at the frame table's per-2 MiB protected
 * counts, so a direct map of 1 GiB and 2 MiB leaves is cheap to audit; a
 * table costs one look at its frame's owner.
 */
#include <keyhole/log.h>
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/audit.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "mm/frame.h"
#include "mm/hostmm.h"
#include "mm/pte.h"

struct walk {
	struct audit_report *rep;
	unsigned int cpu;
	u64 root_pa;
};

struct audit_report *audit_report_start(struct audit_report *rep, struct audit_report *local)
{
	if (!rep)
		rep = local;
	memset(rep, 0, sizeof(*rep));
	return rep;
}

void audit_record(struct audit_report *rep, const struct audit_finding *f)
{
	if (rep->findings < AUDIT_MAX_REPORTED)
		rep->first[rep->findings] = *f;
	rep->findings++;
}

bool audit_table_frame(struct audit_report *rep, unsigned int cpu, u64 root_pa, u64 table_pa, int level, u64 va)
{
	mfn_t mfn = pa_to_mfn(table_pa);
	u16 owner = frame_owner(mfn);

	if (owner == FRAME_HV)
		return true;
	audit_record(rep, &(struct audit_finding){ .kind = AUDIT_TABLE, .cpu = cpu, .va = va, .mfn = mfn,
						   .level = level, .root = root_pa, .owner = owner });
	return false;
}

unsigned int audit_frames_hv(const struct audit_frame *frames, unsigned int n, struct audit_report *rep)
{
	struct audit_report local;

	rep = audit_report_start(rep, &local);
	for (unsigned int i = 0; i < n; i++) {
		u16 owner = frame_owner(frames[i].mfn);
		if (owner != FRAME_HV)
			audit_record(rep, &(struct audit_finding){ .kind = AUDIT_FRAME, .mfn = frames[i].mfn,
								   .owner = owner, .what = frames[i].what });
	}
	return rep->findings;
}

static void host_leaf(struct walk *w, u64 va, u64 pa, int level)
{
	u64 n = pt_level_size(level) >> PAGE_SHIFT;

	if (!frames_any_protected(pa_to_mfn(pa), n))
		return;
	for (u64 i = 0; i < n; i++) {
		mfn_t mfn = _mfn(mfn_x(pa_to_mfn(pa)) + i);
		if (!frame_is_protected(mfn))
			continue;
		/* A slot is a CPU's own: none lies in the shared tables, whatever maps a protected frame there is a leak. */
		if (level == 1 && w->cpu != AUDIT_EVERY_CPU && fixmap_slot_accounts_for(w->cpu, va, mfn))
			continue;
		audit_record(w->rep, &(struct audit_finding){ .kind = AUDIT_REACHABLE, .cpu = w->cpu,
							      .va = va + (i << PAGE_SHIFT), .mfn = mfn, .level = level });
	}
}

/* Entries [from, to) of a level-`level` table mapping from base. */
static void walk_host_entries(struct walk *w, u64 table_pa, int level, u64 base, unsigned int from, unsigned int to);

static void walk_host(struct walk *w, u64 table_pa, int level, u64 base)
{
	walk_host_entries(w, table_pa, level, base, 0, PT_ENTRIES);
}

static void walk_host_entries(struct walk *w, u64 table_pa, int level, u64 base, unsigned int from, unsigned int to)
{
	const u64 *t = pt_table(table_pa);

	for (unsigned int i = from; i < to; i++) {
		/* One load: another CPU's fixmap entries change under the walk (fixmap.c). */
		u64 e = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
		if (!(e & PTE_P))
			continue;
		u64 va = base + (u64)i * pt_level_size(level);
		if (level == PT_LEVELS)
			va = va_sign_extend(va); /* the upper canonical half */
		if (level == 1 || (e & PTE_PS))
			host_leaf(w, va, (e & PTE_ADDR_MASK) & ~(pt_level_size(level) - 1), level);
		else if (audit_table_frame(w->rep, w->cpu, w->root_pa, e & PTE_ADDR_MASK, level - 1, va))
			walk_host(w, e & PTE_ADDR_MASK, level - 1, va);
	}
}

unsigned int audit_host(struct audit_report *rep)
{
	struct audit_report local;
	u64 tmpl_pa = hostmm_shared_pt()->root_pa;
	unsigned int fix_index = pt_index(arch_fixmap_base(), PT_LEVELS);

	rep = audit_report_start(rep, &local);
	/*
	 * The shared tables stay put while they are walked (hostmm.c's lock); the
	 * CPUs' own fixmap tables do not, and fixmap_slot_accounts_for() judges
	 * what is seen there.
	 */
	hostmm_lock_tables();
	/*
	 * The template is never walked by a CPU, but every root was copied from
	 * it and is compared with it: so the tables they share (the direct map
	 * and the image, every root entry but the fixmap's) are walked once,
	 * from the template, and each CPU's root only for its own fixmap page.
	 * A root that drifted from the template is walked whole.  (With four
	 * CPUs this is a quarter of walking every root whole.)
	 */
	const u64 *tmpl = audit_table_frame(rep, 0, tmpl_pa, tmpl_pa, PT_LEVELS, 0) ? pt_table(tmpl_pa) : NULL;
	if (tmpl) {
		struct walk shared = { rep, AUDIT_EVERY_CPU, tmpl_pa };
		walk_host_entries(&shared, tmpl_pa, PT_LEVELS, 0, 0, fix_index);
		walk_host_entries(&shared, tmpl_pa, PT_LEVELS, 0, fix_index + 1, PT_ENTRIES);
	}
	for (unsigned int cpu = 0; cpu < hostmm_ncpus(); cpu++) {
		const struct pt *pt = hostmm_cpu_pt(cpu);
		struct walk w = { rep, cpu, pt->root_pa };
		bool drifted = !tmpl;

		if (!audit_table_frame(rep, cpu, pt->root_pa, pt->root_pa, PT_LEVELS, 0))
			continue;
		const u64 *root = pt_table(pt->root_pa);
		for (unsigned int i = 0; tmpl && i < PT_ENTRIES; i++) {
			/* The CPU sets Accessed in the root it walks; the template is never walked. */
			if (i != fix_index && ((root[i] ^ tmpl[i]) & ~PTE_A)) {
				rep->drifted_roots++;
				drifted = true;
				break;
			}
		}
		if (drifted)
			walk_host(&w, pt->root_pa, PT_LEVELS, 0);
		else
			walk_host_entries(&w, pt->root_pa, PT_LEVELS, 0, fix_index, fix_index + 1);
	}
	hostmm_unlock_tables();
	return rep->findings + rep->drifted_roots;
}

static const char *owner_name(u16 owner, char *buf, size_t size)
{
	if (frame_owner_is_guest(owner)) {
		snprintf(buf, size, "guest %u", owner - FRAME_GUEST0);
		return buf;
	}
	switch (owner) {
	case FRAME_FREE: return "nobody (a free frame)";
	case FRAME_RESERVED: return "nobody (reserved or not RAM)";
	case FRAME_HV: return "keyhole";
	}
	return "an unknown owner";
}

static void log_finding(const char *what, const struct audit_finding *f)
{
	char buf[16];
	const char *owner = owner_name(f->owner, buf, sizeof(buf));

	switch (f->kind) {
	case AUDIT_REACHABLE:
		if (f->cpu == AUDIT_EVERY_CPU)
			log_err("audit: %s: frame %#lx reachable at %#lx (every CPU: the shared tables, level %d)", what,
				mfn_x(f->mfn), f->va, f->level);
		else
			log_err("audit: %s: frame %#lx reachable at %#lx (cpu %u, level %d)", what, mfn_x(f->mfn), f->va,
				f->cpu, f->level);
		break;
	case AUDIT_FOREIGN:
		log_err("audit: %s: frame %#lx mapped at gpa %#lx (level %d) owned by %s, not the guest", what,
			mfn_x(f->mfn), f->va, f->level, owner);
		break;
	case AUDIT_TABLE:
		log_err("audit: %s: table frame %#lx of root %#lx owned by %s (level %d, for %#lx)", what,
			mfn_x(f->mfn), f->root, owner, f->level, f->va);
		break;
	case AUDIT_FRAME:
		log_err("audit: %s: %s frame %#lx owned by %s", what, f->what, mfn_x(f->mfn), owner);
		break;
	}
}

void audit_log(const char *what, const struct audit_report *rep)
{
	if (rep->drifted_roots)
		log_err("audit: %s: %u CPU roots differ from the shared template", what, rep->drifted_roots);
	for (unsigned int i = 0; i < rep->findings && i < AUDIT_MAX_REPORTED; i++)
		log_finding(what, &rep->first[i]);
	if (rep->findings > AUDIT_MAX_REPORTED)
		log_err("audit: %s: ... %u findings in all", what, rep->findings);
}

bool audit_dmap_reaches(mfn_t mfn)
{
	u64 va = (u64)(uintptr_t)phys_to_virt(mfn_to_pa(mfn));
	bool reaches = false;

	hostmm_lock_tables();
	for (unsigned int cpu = 0; !reaches && cpu < hostmm_ncpus(); cpu++)
		reaches = pt_translate(hostmm_cpu_pt(cpu), va, NULL, NULL, NULL) == 0;
	hostmm_unlock_tables();
	return reaches;
}
