/*
 * Port I/O (see handlers.h): COM1 emulated (com1.c), a PC guest's CMOS
 * behind a model (cmos.c), its own devices passed through by the I/O
 * bitmap, every other port absent.
 */
#include <keyhole/log.h>
#include <x86/cpu.h>
#include <x86/pc.h>
#include <x86/uart16550.h>
#include "hv/vm/handlers.h"
#include "hv/vm/vcpu.h"
#include "hv/vm/vm.h"
#include "hv/vmx/vmx.h"
#include "lib/string.h"

/*
 * The ports a PC guest drives itself: devices that can neither reach memory
 * (no DMA) nor reset or reconfigure the machine under keyhole.  Everything
 * else exits: PCI configuration space (0xcf8/0xcfc: a guest could move a BAR
 * over keyhole or start a bus master), the 8237 DMA controllers (a DMA into
 * any memory), the keyboard controller and port 0x92 (both reset the CPU),
 * ACPI's PM ports and the rest, which answer all-ones as absent.  The CMOS
 * (0x70/0x71) exits to the model in cmos.c: its RTC registers are the
 * guest's, its NVRAM is not (see README on NVRAM).
 */
static const struct {
	u16 first, count;
} pc_passthrough_ports[] = {
	{ PIC1_CMD, PIC_PORTS },        /* master 8259 PIC */
	{ PIC2_CMD, PIC_PORTS },        /* slave 8259 PIC */
	{ PIC_ELCR, PIC_ELCR_PORTS },   /* the PICs' edge/level control registers (ELCR) */
	{ PIT_BASE, PIT_PORTS },        /* 8254 PIT: the guest's timer interrupt (IRQ 0) */
	{ PORT_B, 1 },                  /* port B: PIT channel 2 gate, which Linux calibrates the TSC with */
	{ POST_PORT, 1 },               /* POST code port, the classic I/O delay */
	{ COM1_BASE, UART_PORTS },      /* 16550 UART: the serial console with its IRQ 4 */
};

static u8 hw_inb(u16 port)
{
	return inb(port);
}

static void hw_outb(u16 port, u8 val)
{
	outb(port, val);
}

const struct cmos_ports cmos_hw_ports = { hw_inb, hw_outb };

void io_bitmap_init(const struct vcpu *v, u8 *bm)
{
	/* A (0x0000-0x7fff) then B: one bit per port, set = exit */
	memset(bm, 0xff, 2 * PAGE_SIZE);
	if (v->platform != GUEST_PLATFORM_PC)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(pc_passthrough_ports); i++)
		for (u32 p = pc_passthrough_ports[i].first;
		     p < (u32)pc_passthrough_ports[i].first + pc_passthrough_ports[i].count; p++)
			bm[p / 8] &= (u8)~(1u << (p % 8));
}

void handle_io(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	unsigned int size = (q & IO_QUAL_SIZE_MASK) + 1;
	u16 port = (q >> IO_QUAL_PORT_SHIFT) & IO_QUAL_PORT_MASK;
	bool in = q & IO_QUAL_IN;
	u32 mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;

	if (q & IO_QUAL_STRING) {
		vcpu_fail(v, "string port I/O (INS/OUTS) is not emulated");
		return;
	}
	if (port >= COM1_BASE && port < COM1_BASE + UART_PORTS && size == 1) {
		if (in)
			v->regs.rax = (v->regs.rax & ~0xffULL) | com1_in(v, port - COM1_BASE);
		else
			com1_out(v, port - COM1_BASE, (u8)v->regs.rax);
	} else if ((port == CMOS_INDEX || port == CMOS_DATA) && size == 1 && v->platform == GUEST_PLATFORM_PC) {
		if (in)
			v->regs.rax = (v->regs.rax & ~0xffULL) | cmos_in(&v->cmos, port);
		else
			cmos_out(&v->cmos, port, (u8)v->regs.rax);
	} else {
		if (!(v->ports_logged[port / 8] & (1u << (port % 8)))) {
			v->ports_logged[port / 8] |= (u8)(1u << (port % 8));
			log_info("guest%u: port %#x (%s, %u bytes) is not emulated: reads return all-ones, writes are dropped",
				 v->vm->id, port, in ? "in" : "out", size);
		}
		if (in) {
			if (size == 4)
				v->regs.rax = mask; /* a 32-bit write zero-extends */
			else
				v->regs.rax |= mask;
		}
	}
	vcpu_skip_instruction();
}
