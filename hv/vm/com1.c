/*
 * The guest's COM1 (see handlers.h): a 16550 that always has room to send,
 * never receives, and turns what the guest writes into lines on keyhole's
 * console behind the guest's tag.
 */
#include <x86/uart16550.h>
#include "hv/runtime/console.h"
#include "hv/vm/handlers.h"
#include "hv/vm/vcpu.h"

/* Transmitter and holding register empty; modem lines up (DCD, DSR, CTS). */
#define COM1_LSR_IDLE (UART_LSR_TEMT | UART_LSR_THRE)
#define COM1_MSR_READY (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

static void guest_putc(struct vcpu *v, char c)
{
	if (c == '\n' || v->line_len == GUEST_LINE_MAX - 1) {
		v->line[v->line_len] = 0;
		console_printf_always(v->tag, "%s", v->line);
		v->line_len = 0;
		if (c == '\n')
			return;
	}
	if (c != '\r')
		v->line[v->line_len++] = c;
}

u8 com1_in(struct vcpu *v, unsigned int reg)
{
	switch (reg) {
	case UART_IER: return (v->com1_lcr & UART_LCR_DLAB) ? 0 : v->com1_ier;
	case UART_IIR: return UART_IIR_NONE;
	case UART_LCR: return v->com1_lcr;
	case UART_LSR: return COM1_LSR_IDLE;
	case UART_MSR: return COM1_MSR_READY;
	case UART_SCR: return v->com1_scratch;
	}
	return 0; /* no input ever arrives; MCR reads back 0 */
}

void com1_out(struct vcpu *v, unsigned int reg, u8 val)
{
	bool dlab = v->com1_lcr & UART_LCR_DLAB;

	if (reg == UART_THR && !dlab)
		guest_putc(v, (char)val);
	else if (reg == UART_IER && !dlab)
		v->com1_ier = val;
	else if (reg == UART_LCR)
		v->com1_lcr = val;
	else if (reg == UART_SCR)
		v->com1_scratch = val;
	/* divisor latch, FCR, MCR: accepted and forgotten */
}
