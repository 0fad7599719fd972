/*
 * The audit: keyhole checking its own page tables against its invariants.
 *
 *   audit_host()  invariant 1: no protected frame is reachable through any
 *                 CPU's tables except through an active fixmap slot of that
 *                 CPU mapping exactly that frame.  Also checks that no CPU's
 *                 root has drifted from the shared template.
 *   audit_ept()   invariant 3: a guest's EPT maps only that guest's frames
 *                 (ept/ept_audit.c: it walks an EPT on this file's report).
 *
 * Test builds run it at every VM entry; the unit tests run it after every
 * step of their random sequences.
 */
#ifndef KEYHOLE_MM_AUDIT_H
#define KEYHOLE_MM_AUDIT_H

#include <keyhole/types.h>

#define AUDIT_MAX_REPORTED 4

struct audit_finding {
	unsigned int cpu; /* for host findings */
	u64 va;           /* host virtual or guest-physical address */
	mfn_t mfn;
	int level;
};

struct audit_report {
	unsigned int findings;  /* total */
	unsigned int drifted_roots;
	struct audit_finding first[AUDIT_MAX_REPORTED];
};

/* Returns the number of findings (0: clean); rep may be NULL. */
unsigned int audit_host(struct audit_report *rep);
/* Clears a report (rep may be NULL: then local is used) and returns the one to fill. */
struct audit_report *audit_report_start(struct audit_report *rep, struct audit_report *local);
/* Records one finding: counted always, kept among the first AUDIT_MAX_REPORTED. */
void audit_record(struct audit_report *rep, unsigned int cpu, u64 va, mfn_t mfn, int level);
/* Logs each finding of a report. */
void audit_log(const char *what, const struct audit_report *rep);
/* Can any CPU reach mfn through the direct map?  (The answer to DIAG_IN_DMAP.) */
bool audit_dmap_reaches(mfn_t mfn);

#endif
