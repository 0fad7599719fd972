/*
 * The legacy PC's fixed I/O ports (the ISA devices every PC-compatible
 * chipset still decodes): the two 8259A interrupt controllers, the 8254
 * timer, port B, the CMOS RTC and the POST code port.  COM1 is in
 * x86/uart16550.h.
 */
#ifndef KEYHOLE_X86_PC_H
#define KEYHOLE_X86_PC_H

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21 /* the interrupt mask */
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_ELCR 0x4d0 /* edge/level control, one byte per PIC */
#define PIC_PORTS 2
#define PIC_ELCR_PORTS 2

#define PIT_BASE 0x40 /* counters 0-2 and the mode register */
#define PIT_PORTS 4
#define PORT_B 0x61   /* PIT counter 2 gate and speaker; NMI status and masks */
#define PIT_COUNTER2 0x42
#define PIT_MODE 0x43
#define PIT_HZ 1193182 /* the 8254's input clock */
#define PIT_MODE_CH2_LOHI_MODE0 0xb0 /* counter 2, low then high byte, mode 0 (interrupt on terminal count) */
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20 /* read: counter 2's output */
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define POST_PORT 0x80 /* POST codes: the classic I/O delay */

/*
 * Resetting the machine.  The chipset's Reset Control register (RST_CNT,
 * I/O 0xCF9; Intel PCH datasheets, "Reset Control Register"): SYS_RST
 * chooses a hard reset, and a write with RST_CPU set performs it.  The
 * older way is the 8042 keyboard controller's pulse-reset command.
 */
#define PC_RESET_CONTROL 0xcf9
#define PC_RESET_SYS_RST 0x02
#define PC_RESET_RST_CPU 0x04
#define KBC_CMD 0x64
#define KBC_CMD_PULSE_RESET 0xfe

#endif
