/*
 * The guest's CMOS (see handlers.h): an MC146818-style RTC whose clock and
 * status registers (0x00-0x0d) are the real chip's, and whose NVRAM bytes
 * behind them (0x0e-0x7f) are a shadow of the vCPU's own.
 *
 * Why: the NVRAM is where firmware keeps its settings (boot order, the
 * shutdown status byte 0x0f that picks the warm-reset path, checksums), and
 * it survives a reboot.  Passed through, a guest could rewrite the
 * machine's firmware settings under keyhole.  So NVRAM reads return the
 * shadow, taken from the hardware when the vCPU was made, and writes change
 * only the shadow: the guest sees its own writes, the hardware never does.
 *
 * The index port's bit 7 is the chipset's NMI mask (NMI_EN in Intel's
 * ICH/PCH datasheets, "RTC index register, port 70h"): the guest's value is
 * kept here and only bits 6:0 select a register; the real index is always
 * written with bit 7 clear, so no guest can mask NMIs on the hardware.
 * Every real access is index then data back to back, which cannot be torn:
 * keyhole runs with interrupts off, on one CPU.  The extended bank at
 * 0x72/0x73 is not offered (those ports are absent, as every port keyhole
 * does not know).
 *
 * Plain C over a port backend (struct cmos_ports), so the unit tests drive
 * it with a recorder instead of the real ports (hv/vm/io.c has those).
 */
#include <keyhole/log.h>
#include <x86/pc.h>
#include "hv/vm/handlers.h"
#include "lib/string.h"

#define CMOS_NMI_DISABLE 0x80 /* index port bit 7 */
#define CMOS_REG_MASK 0x7f    /* index port bits 6:0: the register */
#define CMOS_RTC_LAST 0x0d    /* registers 0x00-0x0d: time, alarm, status A-D */
#define CMOS_LOG_LIMIT 4      /* NVRAM writes logged per guest */

static u8 hw_read(const struct cmos *c, u8 reg)
{
	c->hw->out(CMOS_INDEX, reg & CMOS_REG_MASK);
	return c->hw->in(CMOS_DATA);
}

static void hw_write(const struct cmos *c, u8 reg, u8 val)
{
	c->hw->out(CMOS_INDEX, reg & CMOS_REG_MASK);
	c->hw->out(CMOS_DATA, val);
}

void cmos_init(struct cmos *c, const struct cmos_ports *hw, unsigned int guest)
{
	memset(c, 0, sizeof(*c));
	c->hw = hw;
	c->guest = guest;
	for (unsigned int reg = CMOS_RTC_LAST + 1; reg < CMOS_BYTES; reg++)
		c->nvram[reg] = hw_read(c, (u8)reg);
}

u8 cmos_in(struct cmos *c, unsigned int port)
{
	u8 reg = c->index & CMOS_REG_MASK;

	if (port == CMOS_INDEX)
		return c->index;
	return reg <= CMOS_RTC_LAST ? hw_read(c, reg) : c->nvram[reg];
}

void cmos_out(struct cmos *c, unsigned int port, u8 val)
{
	u8 reg = c->index & CMOS_REG_MASK;

	if (port == CMOS_INDEX) {
		c->index = val; /* NMI-disable bit and all: it stays virtual */
		return;
	}
	if (reg <= CMOS_RTC_LAST) {
		hw_write(c, reg, val);
		return;
	}
	c->nvram[reg] = val;
	if (++c->nvram_writes <= CMOS_LOG_LIMIT)
		log_info("guest%u: CMOS NVRAM write to 0x%x kept from the hardware", c->guest, reg);
	if (c->nvram_writes == CMOS_LOG_LIMIT)
		log_info("guest%u: further CMOS NVRAM writes are kept from the hardware without a word", c->guest);
}
