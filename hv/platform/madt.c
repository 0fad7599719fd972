/* The MADT, read (see madt.h).  Every length is checked before it is used: the table is the firmware's word. */
#include "hv/platform/madt.h"
#include "lib/string.h"

#define MADT_FLAGS_OFFSET 40 /* after the header and the 32-bit local APIC address */
#define MADT_ENTRIES_OFFSET 44
#define MADT_PCAT_COMPAT (1u << 0)

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

bool acpi_checksum_ok(const void *table, u32 len)
{
	const u8 *p = table;
	u8 sum = 0;

	for (u32 i = 0; i < len; i++)
		sum = (u8)(sum + p[i]);
	return sum == 0;
}

static void add_cpu(struct madt_info *m, u32 apic_id, u32 flags)
{
	if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)))
		return;
	if (m->ncpus == MADT_MAX_CPUS) {
		m->cpus_truncated = true;
		return;
	}
	m->apic_id[m->ncpus++] = apic_id;
}

const char *madt_parse(const void *table, u32 len, struct madt_info *m)
{
	const u8 *t = table;

	memset(m, 0, sizeof(*m));
	if (len < MADT_ENTRIES_OFFSET || memcmp(t, "APIC", 4) != 0)
		return "not a MADT (signature APIC)";
	if (le32(t + 4) != len)
		return "its length field disagrees with the table's size";
	if (!acpi_checksum_ok(t, len))
		return "bad checksum";
	m->pcat_compat = le32(t + MADT_FLAGS_OFFSET) & MADT_PCAT_COMPAT;
	for (u32 off = MADT_ENTRIES_OFFSET; off < len;) {
		if (len - off < 2 || t[off + 1] < 2 || t[off + 1] > len - off)
			return "an entry runs past the end of the table";
		const u8 *e = t + off;
		u8 type = e[0], elen = e[1];

		if (type == MADT_LOCAL_APIC && elen >= 8) {
			add_cpu(m, e[3], le32(e + 4));
		} else if (type == MADT_LOCAL_X2APIC && elen >= 16) {
			add_cpu(m, le32(e + 4), le32(e + 8));
		} else if (type == MADT_IO_APIC && elen >= 12 && m->nioapics < MADT_MAX_IOAPICS) {
			m->ioapic[m->nioapics].id = e[2];
			m->ioapic[m->nioapics].addr = le32(e + 4);
			m->ioapic[m->nioapics].gsi_base = le32(e + 8);
			m->nioapics++;
		} else if ((type == MADT_LOCAL_APIC && elen < 8) || (type == MADT_IO_APIC && elen < 12) ||
			   (type == MADT_LOCAL_X2APIC && elen < 16)) {
			return "an entry is shorter than its type";
		}
		off += elen;
	}
	return NULL;
}
