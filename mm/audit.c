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
	u64 entries;                 /* table entries looked at */
	bool ranged;                 /* only the entries for [lo, hi] (inclusive, canonical addresses) */
	u64 lo, hi;
	struct audit_run run;        /* the run of leaves gathered so far (host_leaf()) */
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

/*
 * The frame table's change counters (audit.h says which changes bump them).
 * They start at 1, so that a sum of counters is never 0, the mark of a root
 * never audited.
 */

/* Every protected frame of a run of leaves: a finding unless it is this CPU's slot's. */
static void host_run_detail(struct walk *w, u64 va, u64 pa, u64 n, int level)
{
	for (u64 i = 0; i < n; i++) {
		mfn_t mfn = _mfn(mfn_x(pa_to_mfn(pa)) + i);
		if (!frame_is_protected(mfn))
			continue;
		/* A slot is a CPU's own: none lies in the shared tables, whatever maps a protected frame there is a leak. */
		if (level == 1 && w->cpu != AUDIT_EVERY_CPU && fixmap_slot_accounts_for(w->cpu, va + (i << PAGE_SHIFT), mfn))
			continue;
		audit_record(w->rep, &(struct audit_finding){ .kind = AUDIT_REACHABLE, .cpu = w->cpu,
							      .va = va + (i << PAGE_SHIFT), .mfn = mfn, .level = level });
	}
}

/*
 * Leaves of one level that follow each other in both address spaces (most of
 * the direct map) are gathered into one run and checked with one look at the
 * frame table's per-2 MiB counts: a table of 512 4 KiB leaves costs one, not
 * 512.  Only a run that holds a protected frame is looked at frame by frame.
 */
static void host_run_flush(struct walk *w)
{
	if (w->run.n && frames_any_protected(pa_to_mfn(w->run.pa), w->run.n))
		host_run_detail(w, w->run.va, w->run.pa, w->run.n, w->run.level);
	w->run.n = 0;
}

/* The OR of eight entries, each read once. */
static inline u64 host_group_or(const u64 *t)
{
	u64 v = 0;

	for (int k = 0; k < 8; k++)
		v |= __atomic_load_n(&t[k], __ATOMIC_RELAXED);
	return v;
}

/* `count` leaves of one level, contiguous in both spaces, from va and pa. */
static inline void host_leaf(struct walk *w, u64 va, u64 pa, int level, unsigned int count)
{
	u64 n = (pt_level_size(level) >> PAGE_SHIFT) * count;

	if (audit_run_extend(&w->run, va, pa, level, n))
		return;
	host_run_flush(w);
	audit_run_start(&w->run, va, pa, level, n);
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
	u64 size = pt_level_size(level);

	if (w->ranged) {
		/*
		 * The walk from the root to [lo, hi]: the root by index (canonical
		 * addresses index it in order), a table below it by its offset from
		 * base; only its first table can start below lo, its last end past hi.
		 */
		unsigned int shift = PAGE_SHIFT + 9 * (level - 1);
		u64 first = level == PT_LEVELS ? pt_index(w->lo, level) : w->lo > base ? (w->lo - base) >> shift : 0;
		u64 last = level == PT_LEVELS ? pt_index(w->hi, level) : MIN((w->hi - base) >> shift, PT_ENTRIES - 1);
		from = MAX(from, (unsigned int)first);
		to = MIN(to, (unsigned int)last + 1);
	}
	if (from >= to)
		return;
	w->entries += to - from;
	for (unsigned int i = from; i < to; i++) {
		/* One load: another CPU's fixmap entries change under the walk (fixmap.c). */
		u64 e = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
		if (!(e & PTE_P)) {
			/*
			 * Empty entries are skipped eight at a time where they come in
			 * aligned groups (a skipped entry is one that read as empty).
			 */
			if (!(i & 7) && i + 8 <= to && !(host_group_or(&t[i]) & PTE_P))
				i += 7;
			continue;
		}
		u64 va = base + (u64)i * size;
		if (level == PT_LEVELS)
			va = va_sign_extend(va); /* the upper canonical half */
		if (level == 1 || (e & PTE_PS)) {
			u64 pa = (e & PTE_ADDR_MASK) & ~(size - 1);
			/* The leaves that go on where this one ends, in both spaces, join its run at once. */
			unsigned int j = i + 1;
			u64 next = pa + size;
			for (; level < PT_LEVELS && j < to; j++, next += size) {
				u64 f = __atomic_load_n(&t[j], __ATOMIC_RELAXED);
				if (!(f & PTE_P) || (level > 1 && !(f & PTE_PS)) || (f & PTE_ADDR_MASK & ~(size - 1)) != next)
					break;
			}
			host_leaf(w, va, pa, level, j - i);
			i = j - 1;
		} else if (audit_table_frame(w->rep, w->cpu, w->root_pa, e & PTE_ADDR_MASK, level - 1, va))
			walk_host(w, e & PTE_ADDR_MASK, level - 1, va);
	}
}

/*
 * The tables every root shares, walked once from the template (every root
 * entry but the fixmap's).  False: the template's root is not keyhole's.
 */
static bool walk_template(struct walk *w, const u64 **tmpl)
{
	unsigned int fix_index = pt_index(arch_fixmap_base(), PT_LEVELS);

	*tmpl = NULL;
	if (!audit_table_frame(w->rep, 0, w->root_pa, w->root_pa, PT_LEVELS, 0))
		return false;
	*tmpl = pt_table(w->root_pa);
	walk_host_entries(w, w->root_pa, PT_LEVELS, 0, 0, fix_index);
	walk_host_entries(w, w->root_pa, PT_LEVELS, 0, fix_index + 1, PT_ENTRIES);
	host_run_flush(w);
	return true;
}

/* Has a CPU's root drifted from the template (the fixmap's entry aside)? */
static bool root_drifted(const u64 *root, const u64 *tmpl, unsigned int fix_index)
{
	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		/* The CPU sets Accessed in the root it walks; the template is never walked. */
		if (i != fix_index && ((root[i] ^ tmpl[i]) & ~PTE_A))
			return true;
	}
	return false;
}

/*
 * The physical address of a CPU's fixmap page of PTEs, found from its root
 * as the CPU finds it (0: the chain is not there as hostmm.c built it).
 */
static u64 fixmap_pt_of(u64 root_pa)
{
	u64 fix = arch_fixmap_base(), pa = root_pa;

	for (int l = PT_LEVELS; l > 1; l--) {
		u64 e = __atomic_load_n(&pt_table(pa)[pt_index(fix, l)], __ATOMIC_RELAXED);
		if (!(e & PTE_P) || (e & PTE_PS))
			return 0;
		pa = e & PTE_ADDR_MASK;
	}
	return pa;
}

/*
 * One CPU's part: the comparison of its root with the template (when
 * `compare`), the walk of its fixmap tables (when `tables`), and else only
 * its fixmap slots' PTEs, what changes there without a count (fixmap.c).
 */
static void walk_cpu(struct walk *w, const u64 *tmpl, bool compare, bool tables)
{
	unsigned int fix_index = pt_index(arch_fixmap_base(), PT_LEVELS);
	u64 fix_pt;

	if (!audit_table_frame(w->rep, w->cpu, w->root_pa, w->root_pa, PT_LEVELS, 0))
		return;
	if (!tmpl || (compare && root_drifted(pt_table(w->root_pa), tmpl, fix_index))) {
		if (tmpl)
			w->rep->drifted_roots++; /* (without a template to compare with, no drift is counted) */
		walk_host(w, w->root_pa, PT_LEVELS, 0);
	} else if (!tables && (fix_pt = fixmap_pt_of(w->root_pa)) != 0) {
		/* The window is 2 MiB-aligned (hostmm_init()): its slots are the page's first FIX_NR entries. */
		walk_host_entries(w, fix_pt, 1, arch_fixmap_base(), 0, FIX_NR);
	} else {
		walk_host_entries(w, w->root_pa, PT_LEVELS, 0, fix_index, fix_index + 1);
	}
	host_run_flush(w);
}

/*
 * The incremental audit.  A part of the host tables is walked again only
 * when something it depends on changed since its last clean pass: each part
 * keeps, as its marks (struct pt's `audited`), sums of the counters it
 * depends on as they were when that pass began.  Counters only grow, so a
 * sum is unchanged exactly when every one of them is.
 *
 *   the template's tables    their gen + the frame counters; when only the
 *                            gen moved, only the range written since
 *                            (pt.h's dirty range) is walked: a write cannot
 *                            change what a clean entry outside it reaches,
 *                            and the frames it reaches did not change
 *   a CPU's root             compared with the template's when the
 *                            template's root_gen or its own gen moved
 *   a CPU's fixmap tables    walked when its gen or the frame counters moved
 *
 * A CPU's fixmap slots change at every protected access without a count:
 * they are walked at every pass, full or not.  A part is marked only when
 * its walk found nothing; the mark is what the counters were when the walk
 * began, so a change made during the walk is walked next time.  Marks and
 * the dirty range are read and written under the direct-map lock, which
 * every writer of the shared tables holds.
 */
static unsigned int host_pass(struct audit_report *rep, bool full)
{
	struct audit_report local;
	struct pt *shared = hostmm_shared_pt();
	const u64 *tmpl = NULL;

	rep = audit_report_start(rep, &local);
	/*
	 * The shared tables stay put while they are walked (hostmm.c's lock); the
	 * CPUs' own fixmap tables do not, and fixmap_slot_accounts_for() judges
	 * what is seen there.
	 */
	hostmm_lock_tables();
	u64 frames = audit_frames_gen(), tmpl_mark = pt_gen(shared) + frames;
	struct walk tw = { .rep = rep, .cpu = AUDIT_EVERY_CPU, .root_pa = shared->root_pa };
	/*
	 * The template is never walked by a CPU, but every root was copied from
	 * it and is compared with it: so the tables they share (the direct map
	 * and the image, every root entry but the fixmap's) are walked once,
	 * from the template, and each CPU's root only for its own fixmap page.
	 * A root that drifted from the template is walked whole.  (With four
	 * CPUs this is a quarter of walking every root whole.)
	 */
	if (full || shared->audited[0] != tmpl_mark) {
		unsigned int before = rep->findings;
		if (!full && shared->audited[0] && shared->audited[1] == frames && shared->dirty_lo <= shared->dirty_hi) {
			tw.ranged = true;
			tw.lo = shared->dirty_lo;
			tw.hi = shared->dirty_hi;
		}
		if (walk_template(&tw, &tmpl) && rep->findings == before) {
			shared->audited[0] = tmpl_mark;
			shared->audited[1] = frames;
			shared->dirty_lo = ~0ULL; /* empty */
			shared->dirty_hi = 0;
		}
	} else {
		tmpl = pt_table(shared->root_pa);
	}
	for (unsigned int cpu = 0; cpu < hostmm_ncpus(); cpu++) {
		struct pt *pt = hostmm_cpu_pt(cpu);
		u64 root_mark = shared->root_gen + pt_gen(pt), tables_mark = pt_gen(pt) + frames;
		struct walk w = { .rep = rep, .cpu = cpu, .root_pa = pt->root_pa };
		unsigned int before = rep->findings + rep->drifted_roots;

		walk_cpu(&w, tmpl, full || pt->audited[0] != root_mark, full || pt->audited[1] != tables_mark);
		if (tmpl && rep->findings + rep->drifted_roots == before) {
			pt->audited[0] = root_mark;
			pt->audited[1] = tables_mark;
		}
		tw.entries += w.entries;
	}
	rep->entries = tw.entries;
	hostmm_unlock_tables();
	return rep->findings + rep->drifted_roots;
}

unsigned int audit_host(struct audit_report *rep)
{
	return host_pass(rep, true);
}

unsigned int audit_host_changed(struct audit_report *rep)
{
	return host_pass(rep, false);
}

bool audit_full_due(void)
{
	static u64 passes;

	return __atomic_fetch_add(&passes, 1, __ATOMIC_RELAXED) % AUDIT_FULL_EVERY == 0;
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
