/*
 * The 16550 UART (PC serial port): register offsets from the port base and
 * the bits keyhole uses.  COM1 is the console of every machine keyhole runs
 * on, emulated or not.
 */
#ifndef KEYHOLE_HV_UART16550_H
#define KEYHOLE_HV_UART16550_H

#define COM1_BASE 0x3f8

/* The divisor latch counts a 1.8432 MHz clock in units of 16. */
#define UART_BASE_BAUD 115200

/* Register offsets.  DLL/DLM replace RBR/THR/IER while LCR.DLAB is set. */
#define UART_THR 0 /* transmit holding (write) */
#define UART_DLL 0 /* divisor latch, low byte */
#define UART_IER 1 /* interrupt enable */
#define UART_DLM 1 /* divisor latch, high byte */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_SCR 7 /* scratch: no function, which makes it a presence test */

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04

#define UART_LCR_8N1 0x03 /* 8 data bits, no parity, 1 stop bit */
#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02

#define UART_LSR_THRE 0x20 /* the transmit holding register can take a byte */
#define UART_LSR_TEMT 0x40 /* holding and shift registers both empty: all sent */

#define UART_SCR_PROBE 0x5a

#ifndef __ASSEMBLER__
#include "hv/cpu.h"

/*
 * Programs the UART at base for baud, 8N1, FIFOs on and cleared, no
 * interrupts.  False if no UART answers there: the scratch register holds
 * what is written only where one exists.  Shared by keyhole's console and
 * the UEFI loader's.
 */
static inline bool uart_init(u16 base, u32 baud)
{
	u16 divisor = (u16)(UART_BASE_BAUD / baud);

	outb(base + UART_SCR, UART_SCR_PROBE);
	if (inb(base + UART_SCR) != UART_SCR_PROBE)
		return false;
	outb(base + UART_IER, 0);
	outb(base + UART_LCR, UART_LCR_DLAB);
	outb(base + UART_DLL, divisor & 0xff);
	outb(base + UART_DLM, divisor >> 8);
	outb(base + UART_LCR, UART_LCR_8N1);
	outb(base + UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	outb(base + UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
	return true;
}
#endif

#endif
