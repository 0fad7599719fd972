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

#endif
