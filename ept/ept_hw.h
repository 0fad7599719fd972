/*
 * EPT paging-structure entries and the EPT pointer (Intel SDM Vol. 3C,
 * 29.3.2 and 25.6.11).
 */
#ifndef KEYHOLE_EPT_HW_H
#define KEYHOLE_EPT_HW_H

#include <keyhole/types.h>

#define EPT_R BIT(0)
#define EPT_W BIT(1)
#define EPT_X BIT(2)            /* supervisor-mode execute */
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT 3          /* leaf memory type, bits 5:3 */
#define EPT_MT_WB 6ULL
#define EPT_IPAT BIT(6)         /* ignore the guest's PAT */
#define EPT_LARGE BIT(7)        /* in a PDPTE or PDE: a 1 GiB / 2 MiB leaf */
#define EPT_A BIT(8)
#define EPT_D BIT(9)

/* EPTP: memory type of the walks (bits 2:0), walk length - 1 (5:3), A/D enable (6). */
#define EPTP_MT_WB 6ULL
#define EPTP_WALK_4 (3ULL << 3)
#define EPTP_AD BIT(6)

/* INVEPT types */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXTS 2

/* Guest-physical addresses EPT can hold with a 4-level walk. */
#define EPT_GPA_LIMIT (1ULL << 48)

#endif
