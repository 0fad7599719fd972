/*
 * The guest-visible platform, one file per device or register family, each
 * with the VM exits it answers (dispatched by hv/vm/exit.c) and the part of
 * the VMCS bitmaps it owns (set up by hv/vm/vcpu_setup.c):
 *
 *   cpuid.c  CPUID: keyhole's leaves, the hypervisor bit, what a platform hides
 *   msr.c    RDMSR/WRMSR and the MSR bitmap
 *   io.c     port I/O and the I/O bitmap; com1.c is the COM1 model behind it,
 *            cmos.c the CMOS (RTC passed through, NVRAM kept from the hardware)
 *   cr.c     MOV to CR0/CR4 and XSETBV
 */
#ifndef KEYHOLE_HV_VM_HANDLERS_H
#define KEYHOLE_HV_VM_HANDLERS_H

#include <keyhole/types.h>

struct vcpu;

void handle_cpuid(struct vcpu *v);
/* `bench` on the command line: KH_CPUID_BENCH_MARK logs the exits by reason (keyhole/hypercall.h). */
void cpuid_bench_markers(bool on);
/* The XCR0 bits a guest may set (cpuid.c's leaf 0xD says the same). */
u64 cpuid_guest_xcr0_allowed(void);
void handle_rdmsr(struct vcpu *v);
void handle_wrmsr(struct vcpu *v);
void handle_io(struct vcpu *v);
void handle_cr_access(struct vcpu *v);
void handle_xsetbv(struct vcpu *v);

/* Every MSR exits except those the platform passes through (a 4 KiB bitmap). */
void msr_bitmap_init(const struct vcpu *v, u8 *bitmap);
/* Every port exits except those the platform passes through (bitmaps A and B, 8 KiB). */
void io_bitmap_init(const struct vcpu *v, u8 *bitmap);

/* The COM1 model (com1.c): reg is the offset from COM1_BASE. */
u8 com1_in(struct vcpu *v, unsigned int reg);
void com1_out(struct vcpu *v, unsigned int reg, u8 val);

/*
 * The CMOS model (cmos.c), for a PC guest's ports CMOS_INDEX and CMOS_DATA:
 * the RTC registers 0x00-0x0d reach the hardware through `hw`, the NVRAM
 * bytes 0x0e-0x7f live in `nvram`, the guest's index (its NMI-disable bit
 * included) in `index`.  Pure C over the port backend.
 */
struct cmos_ports {
	u8 (*in)(u16 port);
	void (*out)(u16 port, u8 val);
};

#define CMOS_BYTES 128

struct cmos {
	const struct cmos_ports *hw;
	unsigned int guest;   /* for the log */
	u8 index;             /* as the guest last wrote it */
	u8 nvram[CMOS_BYTES]; /* the guest's NVRAM (0x00-0x0d unused: those are the hardware's) */
	u32 nvram_writes;
};

/* The real ports (io.c). */
extern const struct cmos_ports cmos_hw_ports;
/* The NVRAM shadow from the hardware's values, the index 0. */
void cmos_init(struct cmos *c, const struct cmos_ports *hw, unsigned int guest);
/* port: CMOS_INDEX or CMOS_DATA; one byte. */
u8 cmos_in(struct cmos *c, unsigned int port);
void cmos_out(struct cmos *c, unsigned int port, u8 val);

#endif
