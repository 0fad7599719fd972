/*
 * The audit (see audit.h).  It walks every leaf of every root with a walker
 * of its own, written straight from the x86 entry format rather than through
 * mm/pt.c: the audit should not trust the code it audits, and test builds run
 * it at every VM entry, so its inner loop is a plain load-and-test per entry.
 * A large leaf costs one look at the frame table's per-2 MiB protected
 * counts, so a direct map of 1 GiB and 2 MiB leaves is cheap to audit.
 */
#include <keyhole/log.h>
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
};

struct audit_report *audit_report_start(struct audit_report *rep, struct audit_report *local)
{
	if (!rep)
		rep = local;
	memset(rep, 0, sizeof(*rep));
	return rep;
}

void audit_record(struct audit_report *rep, unsigned int cpu, u64 va, mfn_t mfn, int level)
{
	if (rep->findings < AUDIT_MAX_REPORTED)
		rep->first[rep->findings] = (struct audit_finding){ cpu, va, mfn, level };
	rep->findings++;
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
		if (level == 1 && fixmap_slot_maps(w->cpu, va, mfn))
			continue;
		audit_record(w->rep, w->cpu, va + (i << PAGE_SHIFT), mfn, level);
	}
}

static void walk_host(struct walk *w, u64 table_pa, int level, u64 base)
{
	const u64 *t = pt_table(table_pa);

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		u64 e = t[i];
		if (!(e & PTE_P))
			continue;
		u64 va = base + (u64)i * pt_level_size(level);
		if (level == PT_LEVELS)
			va = va_sign_extend(va); /* the upper canonical half */
		if (level == 1 || (e & PTE_PS))
			host_leaf(w, va, (e & PTE_ADDR_MASK) & ~(pt_level_size(level) - 1), level);
		else
			walk_host(w, e & PTE_ADDR_MASK, level - 1, va);
	}
}

unsigned int audit_host(struct audit_report *rep)
{
	struct audit_report local;
	const u64 *tmpl = pt_table(hostmm_shared_pt()->root_pa);
	unsigned int fix_index = pt_index(arch_fixmap_base(), PT_LEVELS);

	rep = audit_report_start(rep, &local);
	for (unsigned int cpu = 0; cpu < hostmm_ncpus(); cpu++) {
		const struct pt *pt = hostmm_cpu_pt(cpu);
		const u64 *root = pt_table(pt->root_pa);
		struct walk w = { rep, cpu };

		for (unsigned int i = 0; i < PT_ENTRIES; i++) {
			/* The CPU sets Accessed in the root it walks; the template is never walked. */
			if (i != fix_index && ((root[i] ^ tmpl[i]) & ~PTE_A)) {
				rep->drifted_roots++;
				break;
			}
		}
		walk_host(&w, pt->root_pa, PT_LEVELS, 0);
	}
	return rep->findings + rep->drifted_roots;
}

void audit_log(const char *what, const struct audit_report *rep)
{
	if (rep->drifted_roots)
		log_err("audit: %s: %u CPU roots differ from the shared template", what, rep->drifted_roots);
	for (unsigned int i = 0; i < rep->findings && i < AUDIT_MAX_REPORTED; i++)
		log_err("audit: %s: frame %#lx reachable at %#lx (cpu %u, level %d)", what,
			mfn_x(rep->first[i].mfn), rep->first[i].va, rep->first[i].cpu, rep->first[i].level);
	if (rep->findings > AUDIT_MAX_REPORTED)
		log_err("audit: %s: ... %u findings in all", what, rep->findings);
}

bool audit_dmap_reaches(mfn_t mfn)
{
	u64 va = (u64)(uintptr_t)phys_to_virt(mfn_to_pa(mfn));

	for (unsigned int cpu = 0; cpu < hostmm_ncpus(); cpu++)
		if (pt_translate(hostmm_cpu_pt(cpu), va, NULL, NULL, NULL) == 0)
			return true;
	return false;
}
