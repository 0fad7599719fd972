/*
 * The MADT, the I/O APICs and the other CPUs (see platform.h).
 *
 * ACPI tables lie in firmware memory that keyhole's direct map does not
 * cover (it maps free RAM): each page is read through a fixmap slot, one at a
 * time.  The I/O APIC is two registers in an uncached page (82093AA data
 * sheet 3.0; ACPI 6.5 5.2.12.3): IOREGSEL selects, IOWIN reads or writes.
 */
#include <keyhole/boot_info.h>
#include <keyhole/log.h>
#include <x86/cpu.h>
#include <x86/pc.h>
#include "hv/cpu/lapic.h"
#include "hv/platform/madt.h"
#include "hv/platform/platform.h"
#include "lib/string.h"
#include "mm/fixmap.h"

#define RSDP_REVISION_OFFSET 15
#define RSDP_RSDT_OFFSET 16
#define RSDP_XSDT_OFFSET 24
#define RSDP_V2_LEN 36
#define ACPI_TABLE_MAX (16 * 1024) /* a MADT of 256 CPUs is under 3 KiB */

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN 0x10
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_REDIR(i) (0x10 + 2 * (i))
#define IOAPIC_REDIR_MASKED (1u << 16)
#define IOAPIC_VERSION_MAX_REDIR(v) (((v) >> 16) & 0xff)

static u8 table_buf[ACPI_TABLE_MAX];
static struct madt_info madt;

/* Copies len bytes of firmware memory at pa, a page at a time through the fixmap.  False if it cannot. */
static bool firmware_read(u64 pa, void *dst, u64 len)
{
	u8 *out = dst;

	while (len) {
		void *va;
		u64 off = pa & (PAGE_SIZE - 1), n = MIN(len, PAGE_SIZE - off);

		if (fixmap_set(FIX_MMIO, pa_to_mfn(pa), &va))
			return false;
		memcpy(out, (u8 *)va + off, n);
		fixmap_clear(FIX_MMIO);
		pa += n;
		out += n;
		len -= n;
	}
	return true;
}

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/* Reads the table at pa into table_buf if its signature is sig; its length, or 0. */
static u32 read_table(u64 pa, const char *sig)
{
	u8 h[ACPI_SDT_HEADER_LEN];

	if (!firmware_read(pa, h, sizeof(h)) || memcmp(h, sig, 4) != 0)
		return 0;
	u32 len = le32(h + 4);
	if (len < ACPI_SDT_HEADER_LEN || len > sizeof(table_buf) || !firmware_read(pa, table_buf, len))
		return 0;
	return len;
}

/* The MADT through the XSDT (ACPI 2.0+) or the RSDT; 0 if there is none. */
static u32 find_madt(u64 rsdp_pa)
{
	u8 rsdp[RSDP_V2_LEN];
	static u8 sdt[ACPI_TABLE_MAX];
	bool xsdt;
	u32 len;

	if (!rsdp_pa || !firmware_read(rsdp_pa, rsdp, sizeof(rsdp)) || memcmp(rsdp, "RSD PTR ", 8) != 0)
		return 0;
	xsdt = rsdp[RSDP_REVISION_OFFSET] >= 2;
	u64 root = xsdt ? (u64)le32(rsdp + RSDP_XSDT_OFFSET) | (u64)le32(rsdp + RSDP_XSDT_OFFSET + 4) << 32
			: le32(rsdp + RSDP_RSDT_OFFSET);
	len = read_table(root, xsdt ? "XSDT" : "RSDT");
	if (!len)
		return 0;
	memcpy(sdt, table_buf, len);
	for (u32 off = ACPI_SDT_HEADER_LEN; off + (xsdt ? 8 : 4) <= len; off += xsdt ? 8 : 4) {
		u64 pa = xsdt ? (u64)le32(sdt + off) | (u64)le32(sdt + off + 4) << 32 : le32(sdt + off);
		u32 n = read_table(pa, "APIC");
		if (n)
			return n;
	}
	return 0;
}

static u32 ioapic_read(volatile u32 *base, u32 reg)
{
	base[IOAPIC_REGSEL / 4] = reg;
	return base[IOAPIC_WIN / 4];
}

static void ioapic_write(volatile u32 *base, u32 reg, u32 v)
{
	base[IOAPIC_REGSEL / 4] = reg;
	base[IOAPIC_WIN / 4] = v;
}

/* Masks every redirection entry; the number of pins, or -1 if the page cannot be mapped. */
static int ioapic_mask_all(u32 addr)
{
	void *va;

	if (fixmap_set_mmio(FIX_MMIO, pa_to_mfn(addr), &va))
		return -1;
	volatile u32 *base = (volatile u32 *)((u8 *)va + (addr & (PAGE_SIZE - 1)));
	u32 pins = IOAPIC_VERSION_MAX_REDIR(ioapic_read(base, IOAPIC_REG_VERSION)) + 1;
	for (u32 i = 0; i < pins; i++)
		ioapic_write(base, IOAPIC_REG_REDIR(i), ioapic_read(base, IOAPIC_REG_REDIR(i)) | IOAPIC_REDIR_MASKED);
	fixmap_clear(FIX_MMIO);
	return (int)pins;
}

const struct madt_info *platform_madt(void)
{
	return madt.ncpus ? &madt : NULL;
}

void platform_init(const struct boot_info *bi)
{
	u32 len = find_madt(bi->rsdp_pa);
	const char *why = len ? madt_parse(table_buf, len, &madt) : "no MADT in the loader's ACPI tables";

	if (why) {
		log_warn("acpi: %s: the I/O APICs stay as the firmware left them; other CPUs are still sent INIT", why);
		lapic_park_other_cpus();
		return;
	}
	log_info("acpi: MADT: %u CPU(s)%s, %u I/O APIC(s)%s", madt.ncpus, madt.cpus_truncated ? " (and more)" : "",
		 madt.nioapics, madt.pcat_compat ? ", dual 8259s" : "");
	for (u32 i = 0; i < madt.nioapics; i++) {
		int pins = ioapic_mask_all(madt.ioapic[i].addr);
		log_info("ioapic: %u at %#x (GSI %u): %d pins, all masked", madt.ioapic[i].id, madt.ioapic[i].addr,
			 madt.ioapic[i].gsi_base, pins);
	}
	if (madt.ncpus > 1 || madt.cpus_truncated)
		lapic_park_other_cpus();
	else
		log_info("smp: this is the only CPU");
}

void platform_mask_pics(void)
{
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}
