# The UEFI way in: BOOTX64.EFI (boot/efi/, GNU-EFI), the USB image, and its
# test under QEMU with OVMF.
#
#   make efi          build/efi/BOOTX64.EFI: the loader, with build/keyhole.elf inside
#   make usb          build/keyhole-usb.img: GPT, one EFI system partition with
#                     EFI/BOOT/BOOTX64.EFI, EFI/keyhole/options.txt and the
#                     guests (tools/mkusb.sh; no root needed)
#   make usb-linux    build/keyhole-usb-linux.img: Debian's kernel and the
#                     test initramfs under protect=all (mk/test-linux.mk)
#   make test-uefi-qemu  boot the image in QEMU/OVMF (TCG: no VT-x) and check
#                     the serial log: the loader's options, guests and errors,
#                     6 GiB (tests/uefi/run.sh; output under build/uefi/)
#   make test-uefi    that, and the Bochs 3.1 runs through UEFI into VT-x
#                     (mk/test-uefi-vmx.mk)
#
# Knobs:
#   USB_OPTIONS       options.txt's command line (default: loglevel=info selftest)
#   USB_GUESTS        ELF guests to run in turn, each on a module line of its
#                     own (default: none, and the test guest as
#                     EFI/keyhole/guest.elf, the file keyhole runs when no
#                     module line names a guest); guest words go in the ELF's
#                     own command line only through options.txt
#
# The loader is a PE32+ application built the GNU-EFI way: position-
# independent ELF objects, linked into a shared object with gnu-efi's crt0
# and link script, converted to PE by objcopy.  keyhole's image goes in as
# data (objcopy -I binary), the very file GRUB boots, without debug info.
# The image itself gains the 64-bit hand-off entry the loader jumps to.



EFI_BUILD := $(BUILD)/efi
EFI_APP := $(EFI_BUILD)/BOOTX64.EFI
EFI_SO := $(EFI_BUILD)/bootx64.so
USB_IMG := $(BUILD)/keyhole-usb.img
USB_OPTIONS ?= loglevel=info selftest

GNU_EFI_INC := /usr/include/efi
GNU_EFI_LIB := /usr/lib
GNU_EFI_CRT0 := $(GNU_EFI_LIB)/crt0-efi-x86_64.o
GNU_EFI_LDS := $(GNU_EFI_LIB)/elf_x86_64_efi.lds

# The loader's own parts, and the few keyhole routines it shares with the
# hypervisor (formatting, strings, command-line words).
EFI_SRCS := $(wildcard boot/efi/*.c) lib/printf.c lib/string.c lib/cmdline.c lib/elf.c
EFI_OBJS := $(patsubst %.c,$(EFI_BUILD)/%.o,$(EFI_SRCS))

# GNU-EFI's headers are -isystem: their own style is not ours to warn about.
# The string routines must not be turned back into calls to themselves.
EFI_CFLAGS := -std=gnu11 -O2 -g $(WARN) -fpic -fshort-wchar -mno-red-zone -ffreestanding \
	-fno-stack-protector -maccumulate-outgoing-args -fno-asynchronous-unwind-tables \
	-fno-builtin -fno-tree-loop-distribute-patterns -DGNU_EFI_USE_MS_ABI \
	-isystem $(GNU_EFI_INC) -isystem $(GNU_EFI_INC)/x86_64 -Iinclude -I. -MMD -MP

# The PE sections UEFI loads: code, data, and what gnu-efi's self-relocation reads.
EFI_PE_SECTIONS := -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
	-j '.rel.*' -j '.rela.*' -j .reloc

$(EFI_BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS) -c -o $@ $<

-include $(wildcard $(EFI_BUILD)/*/*.d $(EFI_BUILD)/*/*/*.d)

# keyhole's image as read-only data with the symbols keyhole_elf_start and
# keyhole_elf_end, aligned for the ELF headers read in place.
$(EFI_BUILD)/keyhole-embed.elf: $(BUILD)/keyhole.elf
	@mkdir -p $(@D)
	objcopy --strip-debug $< $@

$(EFI_BUILD)/keyhole_blob.o: $(EFI_BUILD)/keyhole-embed.elf tools/embed-blob.sh
	tools/embed-blob.sh $< $@ .rodata.keyhole_elf 16 keyhole_elf

$(EFI_SO): $(EFI_OBJS) $(EFI_BUILD)/keyhole_blob.o
	ld -nostdlib -znocombreloc -shared -Bsymbolic --fatal-warnings -T $(GNU_EFI_LDS) \
		-o $@ $(GNU_EFI_CRT0) $^ -L$(GNU_EFI_LIB) -lgnuefi

$(EFI_APP): $(EFI_SO)
	objcopy $(EFI_PE_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@

# The image depends on the options through this file, rewritten only when they change.
USB_OPTIONS_STAMP := $(EFI_BUILD)/usb-options
$(USB_OPTIONS_STAMP): efi-force
	$(call write-if-changed,$(USB_OPTIONS))

USB_GUESTS ?=
USB_GUESTS_STAMP := $(EFI_BUILD)/usb-guests
$(USB_GUESTS_STAMP): efi-force
	$(call write-if-changed,$(USB_GUESTS))

$(USB_IMG): $(EFI_APP) $(BUILD)/guest-embed.elf $(USB_GUESTS) $(USB_OPTIONS_STAMP) $(USB_GUESTS_STAMP) tools/mkusb.sh
	@echo "  USB     $@ (options: $(USB_OPTIONS)$(if $(USB_GUESTS),; guests: $(USB_GUESTS)))"
	@tools/mkusb.sh $(if $(USB_GUESTS),,-g $(BUILD)/guest-embed.elf) $@ $(EFI_APP) "$(USB_OPTIONS)" \
		$(foreach g,$(USB_GUESTS),$(g) guest)

# make run (tools/run.sh) boots this image: nested KVM when the CPU has VT-x, else Bochs 3.1 with OVMF.
run: $(USB_IMG)

.PHONY: efi usb test-uefi-qemu efi-force
efi: $(EFI_APP)
usb: $(USB_IMG)

TEST_IMAGES += $(USB_IMG)
test-uefi-qemu: $(USB_IMG)
	@tests/uefi/run.sh $(USB_IMG) $(BUILD)/uefi
