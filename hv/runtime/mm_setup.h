/* Bring-up of the memory core from struct boot_info (hv/runtime/mm_setup.c). */
#ifndef KEYHOLE_HV_MM_SETUP_H
#define KEYHOLE_HV_MM_SETUP_H

struct boot_info;

/* Frame table, host page tables, CR3 switch.  Panics: keyhole cannot run without them. */
void mm_setup(const struct boot_info *bi);

#endif
