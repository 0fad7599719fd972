/*
 * The 16550 UART (PC serial port): register offsets from the port base and
 * the bits keyhole uses.  COM1 is the console of every machine keyhole runs
 * on, emulated or not.
 */
#ifndef KEYHOLE_X86_UART16550_H
#define KEYHOLE_X86_UART16550_H

#define COM1_BASE 0x3f8
#define UART_PORTS 8 /* registers from the base */

/* The divisor latch counts a 1.8432 MHz clock in units of 16. */
#define UART_BASE_BAUD 115200

/* Register offsets.  DLL/DLM replace RBR/THR/IER while LCR.DLAB is set. */
#define UART_THR 0 /* transmit holding (write) */
#define UART_DLL 0 /* divisor latch, low byte */
#define UART_IER 1 /* interrupt enable */
#define UART_DLM 1 /* divisor latch, high byte */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
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

#define UART_IIR_NONE 0x01 /* no interrupt pending */
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_DCD 0x80

/* How often to poll LSR before giving up on a byte: far longer than one character takes at 115200 baud. */
#define UART_TX_POLLS 100000

#define UART_SCR_PROBE 0x5a

#ifndef __ASSEMBLER__
#include <x86/cpu.h>

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

/* Polls LSR until one of bits is set; false if UART_TX_POLLS reads did not see it. */
static inline bool uart_wait(u16 base, u8 bits)
{
	for (int i = 0; i < UART_TX_POLLS; i++) {
		if (inb(base + UART_LSR) & bits)
			return true;
		cpu_relax();
	}
	return false;
}

/* Sends one byte once the holding register has room; a port that never drains drops it rather than hang. */
static inline void uart_putc(u16 base, u8 c)
{
	if (uart_wait(base, UART_LSR_THRE))
		outb(base + UART_THR, c);
}
#endif

#endif
