/*
 * The text of keyhole's UEFI options (options.txt, or the load options
 * turned into bytes) as keyhole's command line and a list of guests: a pure
 * function of the text, kept free of GNU-EFI's headers so the host unit
 * tests can check it (tests/unit/test_efi_optparse.c).
 *
 * The text is lines.  A line whose first word is `module` (or GRUB's
 * `module2`, so a grub.cfg line can be pasted) names a guest file and the
 * words that go with it, the same words a multiboot2 module line carries:
 *
 *   module \EFI\keyhole\vmlinuz linux console=ttyS0,115200 quiet
 *   module \EFI\keyhole\initrd.img initrd
 *   module \EFI\keyhole\hello.elf guest verbose
 *
 * Without words after the path the module is an ELF guest ("guest").
 * Every other line is keyhole's own options; those lines are joined with
 * spaces into keyhole's command line.  '#' starts a comment that runs to
 * the end of its line; blank runs fold into one space.  Lines end at a
 * newline, and, where the caller says so (load options are one line), at a
 * ';' too.
 *
 * Nothing is cut: a line longer than its buffer, a path longer than
 * OPT_PATH_MAX, more than BOOT_MODULES_MAX modules or a byte that is not
 * printable ASCII is an error naming the line.
 */
#ifndef KEYHOLE_BOOT_EFI_OPTPARSE_H
#define KEYHOLE_BOOT_EFI_OPTPARSE_H

#include <keyhole/boot_info.h>
#include <keyhole/types.h>

#define OPT_PATH_MAX 255
#define OPT_ERROR_MAX 160

struct opt_module {
	char path[OPT_PATH_MAX + 1];              /* '\' separated, from the volume's root */
	char cmdline[BOOT_MODULE_CMDLINE_MAX];    /* "linux console=...", "initrd", "guest ..." */
	u32 line;                                 /* where it was named, for messages */
};

struct opt_parsed {
	char cmdline[BOOT_CMDLINE_MAX]; /* keyhole's own command line */
	u32 nr_modules;
	struct opt_module modules[BOOT_MODULES_MAX];
};

/*
 * Parses len bytes of text into *out.  semicolons: ';' ends a line as a
 * newline does (and counts as one in messages).  Returns true, or false with
 * the reason in err ("line 3: ..."; the caller names the source).
 */
bool opt_parse(const char *text, size_t len, bool semicolons, struct opt_parsed *out, char *err, size_t err_size);

/* True if the module's first word is `word` ("linux", "initrd"). */
bool opt_module_is(const struct opt_module *m, const char *word);

#endif
