/*
 * A guest's EPT: the second-level tables that turn guest-physical addresses
 * into host frames.  Built on the walker of mm/pt.h; every change that can
 * take away a translation or a permission ends with an INVEPT of this EPTP.
 *
 * Invariant 3: only frames of the guest itself are ever mapped here, and
 * the tables themselves are keyhole's; audit_ept() checks it.
 */
#ifndef KEYHOLE_EPT_H
#define KEYHOLE_EPT_H

#include <keyhole/types.h>
#include "mm/pt.h"

struct ept {
	struct pt pt;
};

/* max_leaf_level: 3 with 1 GiB EPT pages, 2 with 2 MiB ones only, else 1. */
int ept_init(struct ept *ept, int max_leaf_level, bool ad_bits);
void ept_destroy(struct ept *ept);
/* prot: PT_R | PT_W | PT_X.  Errors as pt_map(); memory type WB. */
int ept_map(struct ept *ept, u64 gpa, mfn_t mfn, u64 size, unsigned int prot);
int ept_unmap(struct ept *ept, u64 gpa, u64 size);
int ept_protect(struct ept *ept, u64 gpa, u64 size, unsigned int prot);
int ept_translate(const struct ept *ept, u64 gpa, u64 *hpa, unsigned int *prot, int *level);
int ept_split(struct ept *ept, u64 gpa, int level);
struct audit_report;
/*
 * Invariant 3: the number of frames mapped here that `owner` does not own,
 * plus the table frames keyhole does not own (0: clean); rep may be NULL.
 */
unsigned int audit_ept(struct ept *ept, u16 owner, struct audit_report *rep);
/* The same, or nothing when neither the EPT nor a frame counter changed since its last clean pass (mm/audit.h). */
unsigned int audit_ept_changed(struct ept *ept, u16 owner, struct audit_report *rep);
/* The table frames alone (cheap enough for every VM entry: no leaf is looked at). */
unsigned int audit_ept_tables(const struct ept *ept, struct audit_report *rep);

/* The value for the VMCS EPT_POINTER field. */
static inline u64 ept_pointer(const struct ept *ept) { return ept->pt.ctx; }

#endif
