/* The MADT parser (hv/platform/madt.c) on tables built here, good and broken. */
#include <string.h>
#include "hv/platform/madt.h"
#include "test.h"

static u8 t[512];
static u32 len;

static void put32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
}

static void begin(u32 flags)
{
	memset(t, 0, sizeof(t));
	memcpy(t, "APIC", 4);
	put32(t + 36, 0xfee00000);
	put32(t + 40, flags);
	len = 44;
}

static void entry(const u8 *e, u8 n)
{
	memcpy(t + len, e, n);
	len += n;
}

static void finish(void)
{
	u8 sum = 0;

	put32(t + 4, len);
	t[9] = 0;
	for (u32 i = 0; i < len; i++)
		sum = (u8)(sum + t[i]);
	t[9] = (u8)-sum;
}

TEST(madt_cpus_and_ioapics)
{
	static const u8 cpu0[] = { 0, 8, 0, 0, 1, 0, 0, 0 };      /* uid 0, APIC 0, enabled */
	static const u8 cpu1[] = { 0, 8, 1, 2, 0, 0, 0, 0 };      /* APIC 2: disabled, not online capable */
	static const u8 cpu2[] = { 0, 8, 2, 4, 2, 0, 0, 0 };      /* APIC 4: online capable */
	static const u8 x2[] = { 9, 16, 0, 0, 0x00, 0x01, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0 }; /* x2APIC 256 */
	static const u8 io[] = { 1, 12, 9, 0, 0x00, 0x00, 0xc0, 0xfe, 24, 0, 0, 0 };
	static const u8 nmi_src[] = { 4, 6, 0xff, 5, 0, 1 };       /* a type keyhole skips */
	struct madt_info m;

	begin(1);
	entry(cpu0, 8);
	entry(cpu1, 8);
	entry(nmi_src, 6);
	entry(cpu2, 8);
	entry(x2, 16);
	entry(io, 12);
	finish();
	EXPECT(madt_parse(t, len, &m) == NULL);
	EXPECT_EQ(m.ncpus, 3);
	EXPECT_EQ(m.apic_id[0], 0);
	EXPECT_EQ(m.apic_id[1], 4);
	EXPECT_EQ(m.apic_id[2], 256);
	EXPECT_EQ(m.nioapics, 1);
	EXPECT_EQ(m.ioapic[0].id, 9);
	EXPECT_EQ(m.ioapic[0].addr, 0xfec00000);
	EXPECT_EQ(m.ioapic[0].gsi_base, 24);
	EXPECT(m.pcat_compat);
}

TEST(madt_broken_tables_are_refused_by_name)
{
	static const u8 cpu0[] = { 0, 8, 0, 0, 1, 0, 0, 0 };
	static const u8 runs_off[] = { 1, 40, 0, 0 };
	static const u8 zero_len[] = { 0, 0 };
	static const u8 short_io[] = { 1, 6, 0, 0, 0, 0 };
	struct madt_info m;

	begin(0);
	entry(cpu0, 8);
	finish();
	t[20] ^= 1; /* a byte changed after the checksum */
	EXPECT(strstr(madt_parse(t, len, &m), "checksum"));
	t[20] ^= 1;
	EXPECT(strstr(madt_parse(t, len - 1, &m), "length"));
	memcpy(t, "FACP", 4);
	EXPECT(strstr(madt_parse(t, len, &m), "signature"));

	begin(0);
	entry(runs_off, 4);
	finish();
	EXPECT(strstr(madt_parse(t, len, &m), "past the end"));
	begin(0);
	entry(zero_len, 2);
	finish();
	EXPECT(strstr(madt_parse(t, len, &m), "past the end")); /* a zero length would loop for ever */
	begin(0);
	entry(short_io, 6);
	finish();
	EXPECT(strstr(madt_parse(t, len, &m), "shorter than its type"));
}
