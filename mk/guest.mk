# The test guest: newlib from Debian's newlib-source, the guest runtime
# (guest/rt), the in-guest test framework (guest/lib) and the built-in test
# guest (guest/tests), linked into one static ELF64 image, build/guest.elf,
# that keyhole loads at guest-physical = guest-virtual addresses.
#
#   make newlib              build newlib once (about a minute on 2 cores)
#   make guest               build/guest.elf and build/guest_blob.o
#   make build/guest.elf     the same image alone
#
# The guest is not the hypervisor: it runs with SSE enabled (newlib's float
# paths need it) and is compiled with GUEST_CFLAGS, never with HV_CFLAGS.
#
# newlib is built once, into build/newlib/, and marked done by a stamp file.
# Its configuration lives here; after changing NEWLIB_CFLAGS or the configure
# line, `rm -rf build/newlib` to rebuild it (a stamp on this file would
# rebuild newlib on every edit of the guest rules).

NEWLIB_TARBALL := $(firstword $(wildcard /usr/src/newlib/newlib-*.tar.*))
NEWLIB_DIR := $(BUILD)/newlib
NEWLIB_PREFIX := $(abspath $(NEWLIB_DIR)/install)
NEWLIB_TARGET := x86_64-elf
NEWLIB_INC := $(NEWLIB_PREFIX)/$(NEWLIB_TARGET)/include
NEWLIB_LIB := $(NEWLIB_PREFIX)/$(NEWLIB_TARGET)/lib
NEWLIB_STAMP := $(NEWLIB_DIR)/.built
NEWLIB_LOG := $(BUILD)/newlib.log
NEWLIB_JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# The guest runs identity-mapped below 4 GiB in ring 0, where an exception
# or interrupt would push onto the current stack: no red zone, small code
# model, no PIC.
NEWLIB_CFLAGS := -O2 -g -mno-red-zone -ffreestanding -fno-stack-protector \
	-fno-pic -mcmodel=small

# The debian tarball unpacks into a directory that is not named after the
# version; --strip-components makes the name irrelevant.  Every *_FOR_TARGET
# tool is named: configure otherwise looks for x86_64-elf-readelf and the
# like, and a missing readelf silently turns off .init_array support
# (__libc_init_array).  Sources and objects (~140 MB) are removed once
# installed; the install is ~10 MB.
$(NEWLIB_STAMP): $(NEWLIB_TARBALL)
	@test -n "$(NEWLIB_TARBALL)" || { echo "newlib-source is not installed (make deps)" >&2; exit 1; }
	@echo "  NEWLIB  $(NEWLIB_TARBALL) -> $(NEWLIB_DIR) (log: $(NEWLIB_LOG))"
	@rm -rf $(NEWLIB_DIR)
	@mkdir -p $(NEWLIB_DIR)/src $(NEWLIB_DIR)/obj
	@tar -xf $(NEWLIB_TARBALL) -C $(NEWLIB_DIR)/src --strip-components=1
	@cd $(NEWLIB_DIR)/obj && { \
		../src/configure --target=$(NEWLIB_TARGET) --prefix=$(NEWLIB_PREFIX) \
			--disable-multilib --disable-newlib-supplied-syscalls \
			CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as \
			LD_FOR_TARGET=ld NM_FOR_TARGET=nm RANLIB_FOR_TARGET=ranlib \
			OBJCOPY_FOR_TARGET=objcopy OBJDUMP_FOR_TARGET=objdump \
			READELF_FOR_TARGET=readelf STRIP_FOR_TARGET=strip \
			CFLAGS_FOR_TARGET="$(NEWLIB_CFLAGS)" && \
		MAKEFLAGS= $(MAKE) -j$(NEWLIB_JOBS) all-target-newlib && \
		MAKEFLAGS= $(MAKE) install-target-newlib; \
	} > $(abspath $(NEWLIB_LOG)) 2>&1 || { \
		grep -m 10 "error:" $(abspath $(NEWLIB_LOG)) >&2; \
		echo "..." >&2; tail -n 25 $(abspath $(NEWLIB_LOG)) >&2; \
		echo "newlib build failed; full log: $(NEWLIB_LOG)" >&2; exit 1; }
	@test -f $(NEWLIB_LIB)/libc.a || { echo "newlib installed no libc.a" >&2; exit 1; }
	@grep -q "^#define HAVE_INITFINI_ARRAY 1" $(NEWLIB_INC)/newlib.h || \
		{ echo "newlib was configured without .init_array support" >&2; exit 1; }
	@rm -rf $(NEWLIB_DIR)/src $(NEWLIB_DIR)/obj
	@touch $@

# --- the guest image ---------------------------------------------------------

GUEST_BUILD := $(BUILD)/guest
GUEST_LD_SCRIPT := guest/guest.ld

# newlib's headers first, then the compiler's own (stddef.h, stdarg.h);
# never the host's /usr/include.
GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -nostdinc \
	-isystem $(NEWLIB_INC) -isystem $(shell $(CC) -print-file-name=include) \
	-mno-red-zone -fno-stack-protector -fno-pic -fno-pie -mcmodel=small \
	-fno-asynchronous-unwind-tables -fno-common \
	-Iinclude -Iguest/rt -Iguest/lib
GUEST_ASFLAGS := -g -Iinclude -Iguest/rt

GUEST_RT_SRCS := guest/rt/crt0.S guest/rt/trap_entry.S guest/rt/syscalls.c guest/rt/traps.c guest/rt/user.c guest/rt/user_entry.S \
	guest/rt/vcpu.c guest/rt/print.c lib/printf.c
GUEST_LIB_SRCS := guest/lib/report.c guest/lib/state.c
GUEST_TEST_SRCS := guest/tests/test_guest.c guest/tests/test_kvm.c

GUEST_OBJS := $(patsubst %,$(GUEST_BUILD)/%.o,$(basename $(GUEST_RT_SRCS) $(GUEST_LIB_SRCS) $(GUEST_TEST_SRCS)))
GUEST_HDRS := $(wildcard guest/rt/*.h guest/lib/*.h guest/tests/*.h include/keyhole/*.h include/x86/*.h) lib/printf.h
# Compiler helpers (128-bit division and the like) from the host gcc's
# libgcc, which is built with the red zone: harmless while the guest runs
# with interrupts off, where only a fatal exception can land on a stack.
GUEST_LIBGCC := $(shell $(CC) -print-libgcc-file-name)

# Every object waits for newlib: its headers are newlib's.
$(GUEST_BUILD)/%.o: %.c $(GUEST_HDRS) $(NEWLIB_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_BUILD)/%.o: %.S $(GUEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_ASFLAGS) -c -o $@ $<

# kh_printf() (guest/rt/print.c) is keyhole's own formatter, lib/printf.c,
# whose vsnprintf and snprintf are renamed here so that newlib's, with their
# floating point, stay the ones vCPU 0's stdio and the test guest call.
GUEST_FMT_FLAGS := -I. -Dvsnprintf=kh_fmt_vsnprintf -Dsnprintf=kh_fmt_snprintf
$(GUEST_BUILD)/lib/printf.o $(GUEST_BUILD)/guest/rt/print.o: GUEST_CFLAGS += $(GUEST_FMT_FLAGS)

# ld, not the gcc driver: the driver would add the host's PIE, build-id and
# relro defaults, none of which mean anything to a guest loaded by keyhole.
$(BUILD)/guest.elf: $(GUEST_OBJS) $(GUEST_LD_SCRIPT) $(NEWLIB_STAMP)
	ld -nostdlib -static --fatal-warnings -z max-page-size=0x1000 \
		-z noexecstack -T $(GUEST_LD_SCRIPT) -o $@ $(GUEST_OBJS) \
		--start-group $(NEWLIB_LIB)/libc.a $(NEWLIB_LIB)/libm.a $(GUEST_LIBGCC) --end-group

# The default guest, embedded in the hypervisor image as read-only data:
# the image without its debug sections (a quarter of the size), wrapped by
# tools/embed-blob.sh into an object with the symbols
#
#	keyhole_guest_elf_start, keyhole_guest_elf_end  (char arrays)
#
# in section .rodata.guest_elf, 4 KiB aligned so the loader may parse the
# ELF in place.  Stripped of its symbols too: the loader reads only program
# headers, and build/guest.elf keeps them for gdb and addr2line (10 KiB of
# keyhole's image).
$(BUILD)/guest-embed.elf: $(BUILD)/guest.elf mk/guest.mk
	objcopy --strip-all $< $@

$(BUILD)/guest_blob.o: $(BUILD)/guest-embed.elf tools/embed-blob.sh
	tools/embed-blob.sh $< $@ .rodata.guest_elf 4096 keyhole_guest_elf

.PHONY: newlib guest
newlib: $(NEWLIB_STAMP)
guest: $(BUILD)/guest.elf $(BUILD)/guest_blob.o

# More guests on the same runtime: build/guests/NAME.elf from guest/NAME/NAME.c.
EXTRA_GUESTS := hostile fuzz bench smp
GUEST_RT_OBJS := $(patsubst %,$(GUEST_BUILD)/%.o,$(basename $(GUEST_RT_SRCS) $(GUEST_LIB_SRCS)))

define GUEST_IMAGE
$(BUILD)/guests/$(1).elf: $(GUEST_BUILD)/guest/$(1)/$(1).o $(GUEST_RT_OBJS) $(GUEST_LD_SCRIPT) $(NEWLIB_STAMP)
	@mkdir -p $$(@D)
	ld -nostdlib -static --fatal-warnings -z max-page-size=0x1000 -z noexecstack \
		-T $(GUEST_LD_SCRIPT) -o $$@ $$< $(GUEST_RT_OBJS) \
		--start-group $(NEWLIB_LIB)/libc.a $(NEWLIB_LIB)/libm.a $(GUEST_LIBGCC) --end-group
endef
$(foreach g,$(EXTRA_GUESTS),$(eval $(call GUEST_IMAGE,$(g))))
