/* The CMOS model (hv/vm/cmos.c) on a recorded chip: the RTC reaches it, the NVRAM and the NMI mask do not. */
#include <string.h>
#include <x86/pc.h>
#include "hv/vm/handlers.h"
#include "sim.h"
#include "test.h"

/* A chip behind the two ports: 128 bytes, an index latch, and a record of what reached it. */
static struct {
	u8 bytes[CMOS_BYTES];
	u8 index;
	bool nmi_masked;     /* bit 7 ever written to the index port */
	unsigned int writes; /* data-port writes */
	u8 written[CMOS_BYTES];
} chip;

static u8 chip_in(u16 port)
{
	return port == CMOS_DATA ? chip.bytes[chip.index] : 0xff;
}

static void chip_out(u16 port, u8 val)
{
	if (port == CMOS_INDEX) {
		chip.nmi_masked |= val & 0x80;
		chip.index = val & 0x7f;
	} else if (port == CMOS_DATA) {
		chip.bytes[chip.index] = val;
		chip.written[chip.index]++;
		chip.writes++;
	}
}

static const struct cmos_ports chip_ports = { chip_in, chip_out };

static void setup(struct cmos *c)
{
	memset(&chip, 0, sizeof(chip));
	for (unsigned int i = 0; i < CMOS_BYTES; i++)
		chip.bytes[i] = (u8)(0x40 + i);
	cmos_init(c, &chip_ports, 2);
	EXPECT_EQ(chip.writes, 0); /* taking the shadow writes nothing */
}

static u8 guest_read(struct cmos *c, u8 index)
{
	cmos_out(c, CMOS_INDEX, index);
	return cmos_in(c, CMOS_DATA);
}

static void guest_write(struct cmos *c, u8 index, u8 val)
{
	cmos_out(c, CMOS_INDEX, index);
	cmos_out(c, CMOS_DATA, val);
}

TEST(cmos_nvram_starts_as_the_hardware_and_writes_never_reach_it)
{
	struct cmos c;

	setup(&c);
	EXPECT_EQ(guest_read(&c, 0x10), 0x50);
	EXPECT_EQ(guest_read(&c, 0x7f), 0xbf);
	for (unsigned int i = 0x0e; i < CMOS_BYTES; i++)
		guest_write(&c, (u8)i, (u8)~i);
	guest_write(&c, 0x8f, 0x00); /* the shutdown status byte, with the NMI bit */
	EXPECT_EQ(chip.writes, 0);
	int same = 0;
	for (unsigned int i = 0x0e; i < CMOS_BYTES; i++)
		same += chip.bytes[i] == (u8)(0x40 + i);
	EXPECT_EQ(same, CMOS_BYTES - 0x0e); /* the machine's NVRAM is as the firmware left it */
	/* and the guest reads back what it wrote */
	EXPECT_EQ(guest_read(&c, 0x0e), (u8)~0x0e);
	EXPECT_EQ(guest_read(&c, 0x7f), (u8)~0x7f);
	EXPECT_EQ(guest_read(&c, 0x0f), 0x00);
	EXPECT(sim_log_contains("guest2: CMOS NVRAM write to 0xe kept from the hardware"));
	EXPECT(!sim_log_contains("CMOS NVRAM write to 0x12 "));             /* the first few only */
	EXPECT(sim_log_contains("further CMOS NVRAM writes are kept"));
}

TEST(cmos_rtc_registers_are_the_hardwares)
{
	struct cmos c;

	setup(&c);
	chip.bytes[0x00] = 0x59; /* seconds */
	EXPECT_EQ(guest_read(&c, 0x00), 0x59);
	chip.bytes[0x00] = 0x00; /* the clock ticks under the guest: no shadow */
	EXPECT_EQ(guest_read(&c, 0x00), 0x00);
	EXPECT_EQ(guest_read(&c, 0x0d), 0x4d);
	guest_write(&c, 0x0b, 0x02); /* status B: 24-hour mode */
	EXPECT_EQ(chip.bytes[0x0b], 0x02);
	guest_write(&c, 0x04, 0x12); /* hours: the wall clock stays the guest's to set */
	EXPECT_EQ(chip.bytes[0x04], 0x12);
	EXPECT_EQ(chip.writes, 2);
	EXPECT_EQ(chip.written[0x0b], 1);
	EXPECT_EQ(chip.written[0x04], 1);
}

TEST(cmos_index_bit7_stays_virtual)
{
	struct cmos c;

	setup(&c);
	cmos_out(&c, CMOS_INDEX, 0x80 | 0x0a);       /* the NMI mask set, status A selected */
	EXPECT_EQ(cmos_in(&c, CMOS_INDEX), 0x8a);     /* the guest sees its own index back */
	EXPECT_EQ(cmos_in(&c, CMOS_DATA), 0x4a);      /* bits 6:0 select the register */
	cmos_out(&c, CMOS_DATA, 0x26);
	EXPECT_EQ(chip.bytes[0x0a], 0x26);
	EXPECT_EQ(guest_read(&c, 0x80 | 0x20), 0x60); /* an NVRAM byte through a masked index */
	EXPECT(!chip.nmi_masked);                     /* bit 7 never reached the chip */
}
