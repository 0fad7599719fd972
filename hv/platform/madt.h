/*
 * The ACPI tables keyhole reads (ACPI 6.5, 5.2): the RSDP, the RSDT/XSDT
 * and the MADT ("APIC", 5.2.12), which says which CPUs and I/O APICs the
 * machine has.  madt_parse() is pure (host-tested); hv/platform/acpi.c
 * finds the table in firmware memory and hands it over.
 */
#ifndef KEYHOLE_HV_PLATFORM_MADT_H
#define KEYHOLE_HV_PLATFORM_MADT_H

#include <keyhole/types.h>

#define ACPI_SDT_HEADER_LEN 36
#define MADT_MAX_CPUS 256
#define MADT_MAX_IOAPICS 8

/* MADT entry types (ACPI 6.5, Table 5.21) */
#define MADT_LOCAL_APIC 0
#define MADT_IO_APIC 1
#define MADT_LOCAL_X2APIC 9
/* Local APIC flags (Table 5.23): Enabled, Online Capable */
#define MADT_CPU_ENABLED (1u << 0)
#define MADT_CPU_ONLINE_CAPABLE (1u << 1)

struct madt_info {
	u32 ncpus;                      /* enabled or online-capable processors */
	u32 apic_id[MADT_MAX_CPUS];     /* their APIC IDs, in table order */
	bool cpus_truncated;            /* more than MADT_MAX_CPUS */
	u32 nioapics;
	struct {
		u8 id;
		u32 addr;
		u32 gsi_base;
	} ioapic[MADT_MAX_IOAPICS];
	bool pcat_compat;               /* the dual 8259s are there too (flags bit 0) */
};

/* Does the table's byte sum come to 0, as every ACPI table's must? */
bool acpi_checksum_ok(const void *table, u32 len);
/* Parses a whole MADT (header included).  NULL, or what is wrong with it in words. */
const char *madt_parse(const void *table, u32 len, struct madt_info *out);

#endif
