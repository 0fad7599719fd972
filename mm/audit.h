/*
 * The audit: keyhole checking its own page tables against its invariants.
 *
 *   audit_host()       invariant 1: no protected frame is reachable through
 *                      any CPU's tables except through an active fixmap slot
 *                      of that CPU mapping exactly that frame.  Also checks
 *                      that no CPU's root has drifted from the shared
 *                      template, and that keyhole owns every table frame on
 *                      every root (a table a guest owned would let it edit
 *                      keyhole's address space).
 *   audit_ept()        invariant 3: a guest's EPT maps only that guest's
 *                      frames, and keyhole owns every table frame of it
 *                      (ept/ept_audit.c: it walks an EPT on this file's
 *                      report); audit_ept_tables() checks the tables alone.
 *   audit_frames_hv()  keyhole owns each frame of a list: what the VMCS
 *                      points at (the VMCS, its bitmaps, the EPT root).
 *
 * Test builds run it at every VM entry; the unit tests run it after every
 * step of their random sequences.
 *
 * Full and incremental passes.  audit_host(), audit_ept() walk everything.
 * audit_host_changed(), audit_ept_changed() (what a VM entry with
 * audit=entry runs, and DIAG_AUDIT) walk again only the parts that changed
 * since their last clean pass: the template's tables (the direct map and the
 * image), each CPU's root, each EPT; what a part depends on is counted by
 *
 *   struct pt's gen       every write of an entry of those tables (mm/pt.c's
 *                         writes, and hostmm.c's own: pt_note_change())
 *   audit_frees_gen       a frame freed (its owner changed to FRAME_FREE)
 *   audit_protects_gen    a frame protected
 *
 * and nothing else can make a clean part unclean: an allocation changes
 * only free frames, and a free frame in a clean part is at most a host leaf
 * (a free frame as a table, or as an EPT leaf, is a finding), which matters
 * only once the frame is protected, and that counts; an unprotect only
 * takes findings away.  Each CPU's
 * fixmap slots, which change at every protected access without a count,
 * are walked at every pass.
 *
 * What the incremental pass trusts: that every write of a table entry goes
 * through mm/pt.c or is followed by pt_note_change(), and that nothing
 * writes into a table frame through another mapping (a stray write of a
 * keyhole bug).  Neither a table written behind the counters' back nor a
 * stray write is found by it; the full pass finds both, and runs at every
 * vCPU's first entry, every AUDIT_FULL_EVERY-th entry check (hv/vm/run.c),
 * after every step of the unit tests' random sequences, and on DIAG_AUDIT
 * with a non-zero argument.  That is acceptable for a test-build check:
 * what the counters cover is every writer keyhole has, and a write that
 * bypasses them is still caught, a little later.
 */
#ifndef KEYHOLE_MM_AUDIT_H
#define KEYHOLE_MM_AUDIT_H

#include <keyhole/types.h>
#include "mm/frame.h"

#define AUDIT_MAX_REPORTED 4

enum audit_kind {
	AUDIT_REACHABLE, /* a protected frame reachable in keyhole's tables (invariant 1) */
	AUDIT_FOREIGN,   /* a frame in a guest's EPT that the guest does not own (invariant 3) */
	AUDIT_TABLE,     /* a table frame keyhole does not own, on a host root or in an EPT */
	AUDIT_FRAME,     /* a frame of an audit_frames_hv() list keyhole does not own */
};

struct audit_finding {
	enum audit_kind kind;
	unsigned int cpu; /* REACHABLE, TABLE on a host root; AUDIT_EVERY_CPU: in the tables all roots share */
	u64 va;           /* host virtual or guest-physical address; TABLE: where the table's range starts */
	mfn_t mfn;
	int level;        /* the leaf's level; TABLE: the table's (PT_LEVELS: the root itself) */
	u64 root;         /* TABLE: the root the table was found under */
	u16 owner;        /* FOREIGN, TABLE, FRAME: who owns the frame */
	const char *what; /* FRAME: what the frame is */
};

struct audit_report {
	unsigned int findings;  /* total */
	unsigned int drifted_roots;
	u64 entries;            /* table entries looked at (what a pass cost; the tests check what it skipped) */
	struct audit_finding first[AUDIT_MAX_REPORTED];
};

/* A frame keyhole must own, and what it is ("MSR bitmap"), for audit_frames_hv(). */
struct audit_frame {
	const char *what;
	mfn_t mfn;
};

#define AUDIT_EVERY_CPU (~0u)

/*
 * For the table walkers (here and ept/ept_audit.c): leaves contiguous in
 * both address spaces, gathered into one run so that one look judges them.
 * audit_run_extend() adds n frames of level-`level` leaves at va -> pa when
 * they continue the run; false: the caller judges the run it has and starts
 * a new one with audit_run_start().
 */
struct audit_run {
	u64 va, pa, n;
	int level;
};
static inline bool audit_run_extend(struct audit_run *r, u64 va, u64 pa, int level, u64 n)
{
	u64 next = r->n << PAGE_SHIFT;

	if (!r->n || level != r->level || va != r->va + next || pa != r->pa + next)
		return false;
	r->n += n;
	return true;
}
static inline void audit_run_start(struct audit_run *r, u64 va, u64 pa, int level, u64 n)
{
	*r = (struct audit_run){ va, pa, n, level };
}

/* Returns the number of findings (0: clean); rep may be NULL.  The full pass. */
unsigned int audit_host(struct audit_report *rep);
/* The same, walking only what changed since the last clean pass (above). */
unsigned int audit_host_changed(struct audit_report *rep);
/* One entry check in AUDIT_FULL_EVERY runs the full pass: true for that one (the first is one). */
#define AUDIT_FULL_EVERY 1024
bool audit_full_due(void);

/* The frame table's change counters (mm/frame.h, bumped by mm/frame.c: the audit only reads them). */
static inline u64 audit_frames_gen(void)
{
	return __atomic_load_n(&frames_frees_gen, __ATOMIC_ACQUIRE) + __atomic_load_n(&frames_protects_gen, __ATOMIC_ACQUIRE);
}
/* The number of frames in frames[0..n) that keyhole (FRAME_HV) does not own; rep may be NULL. */
unsigned int audit_frames_hv(const struct audit_frame *frames, unsigned int n, struct audit_report *rep);
/* Clears a report (rep may be NULL: then local is used) and returns the one to fill. */
struct audit_report *audit_report_start(struct audit_report *rep, struct audit_report *local);
/* Records one finding: counted always, kept among the first AUDIT_MAX_REPORTED. */
void audit_record(struct audit_report *rep, const struct audit_finding *f);
/*
 * For the table walkers: is the table frame at table_pa (a level-`level`
 * table for the range from va, under root_pa) keyhole's?  If not, records
 * an AUDIT_TABLE finding and returns false: the caller must not walk it (a
 * guest's frame may be protected, out of the direct map).
 */
bool audit_table_frame(struct audit_report *rep, unsigned int cpu, u64 root_pa, u64 table_pa, int level, u64 va);
/* Logs each finding of a report. */
void audit_log(const char *what, const struct audit_report *rep);
/* Can any CPU reach mfn through the direct map?  (The answer to DIAG_IN_DMAP.) */
bool audit_dmap_reaches(mfn_t mfn);

#endif
