/* The UEFI options' grammar (boot/efi/optparse.c): keyhole's line, module lines, comments, limits. */
#include <string.h>

#include "test.h"
#include "boot/efi/optparse.h"

static struct opt_parsed out;
static char err[OPT_ERROR_MAX];

static bool parse(const char *text, bool semicolons)
{
	return opt_parse(text, strlen(text), semicolons, &out, err, sizeof(err));
}

TEST(efi_optparse_options_lines_join_with_comments_dropped)
{
	EXPECT(parse("# keyhole\nloglevel=info   protect=all # trailing\n\n\tselftest\r\n", false));
	EXPECT(strcmp(out.cmdline, "loglevel=info protect=all selftest") == 0);
	EXPECT_EQ(out.nr_modules, 0);
}

TEST(efi_optparse_module_lines_in_order_with_their_words)
{
	EXPECT(parse("protect=all\n"
		     "module \\EFI\\keyhole\\vmlinuz linux console=ttyS0,115200  quiet\n"
		     "module2 /EFI/keyhole/initrd.img initrd\n"
		     "module \\EFI\\keyhole\\hello.elf\n"
		     "loglevel=info\n",
		     false));
	EXPECT(strcmp(out.cmdline, "protect=all loglevel=info") == 0);
	EXPECT_EQ(out.nr_modules, 3);
	EXPECT(strcmp(out.modules[0].path, "\\EFI\\keyhole\\vmlinuz") == 0);
	EXPECT(strcmp(out.modules[0].cmdline, "linux console=ttyS0,115200 quiet") == 0);
	EXPECT(opt_module_is(&out.modules[0], "linux"));
	EXPECT(!opt_module_is(&out.modules[0], "lin"));
	EXPECT_EQ(out.modules[0].line, 2);
	/* GRUB's word, and '/' turned into UEFI's '\'. */
	EXPECT(strcmp(out.modules[1].path, "\\EFI\\keyhole\\initrd.img") == 0);
	EXPECT(opt_module_is(&out.modules[1], "initrd"));
	/* No words: an ELF guest. */
	EXPECT(strcmp(out.modules[2].cmdline, "guest") == 0);
}

TEST(efi_optparse_semicolons_end_lines_in_load_options)
{
	EXPECT(parse("protect=all ; module \\vmlinuz linux console=ttyS0;module \\initrd initrd; selftest", true));
	EXPECT(strcmp(out.cmdline, "protect=all selftest") == 0);
	EXPECT_EQ(out.nr_modules, 2);
	EXPECT(strcmp(out.modules[0].cmdline, "linux console=ttyS0") == 0);
	EXPECT(strcmp(out.modules[1].path, "\\initrd") == 0);
	/* In a file a ';' is just a character (a kernel's command line may hold one). */
	EXPECT(parse("module \\k linux a;b", false));
	EXPECT(strcmp(out.modules[0].cmdline, "linux a;b") == 0);
}

TEST(efi_optparse_refuses_what_it_cannot_take_and_names_the_line)
{
	EXPECT(!parse("loglevel=info\ncaf\xe9\n", false));
	EXPECT(strcmp(err, "line 2: byte 0xe9; keyhole's options are ASCII") == 0);
	EXPECT(!parse("module\n", false));
	EXPECT(strstr(err, "line 1: a module line names no file") == err);
	EXPECT(!parse("\n\nmodule vmlinuz linux\n", false));
	EXPECT(strstr(err, "line 3: module vmlinuz: want a path from the boot volume's root") == err);
}

TEST(efi_optparse_nothing_is_cut)
{
	static char text[2 * BOOT_MODULE_CMDLINE_MAX + 64];
	size_t n;

	/* keyhole's line: exactly the most it takes, then one more character. */
	memset(text, 'a', BOOT_CMDLINE_MAX - 1);
	text[BOOT_CMDLINE_MAX - 1] = '\0';
	EXPECT(parse(text, false));
	EXPECT_EQ(strlen(out.cmdline), BOOT_CMDLINE_MAX - 1);
	strcat(text, "\nb");
	EXPECT(!parse(text, false));
	EXPECT(strstr(err, "line 2: keyhole's options grow longer than the 511 characters") == err);

	/* A module's words: the most, then one more. */
	n = (size_t)snprintf(text, sizeof(text), "module \\k linux ");
	memset(text + n, 'c', BOOT_MODULE_CMDLINE_MAX - 1 - strlen("linux "));
	text[n + BOOT_MODULE_CMDLINE_MAX - 1 - strlen("linux ")] = '\0';
	EXPECT(parse(text, false));
	EXPECT_EQ(strlen(out.modules[0].cmdline), BOOT_MODULE_CMDLINE_MAX - 1);
	strcat(text, "c");
	EXPECT(!parse(text, false));
	EXPECT(strstr(err, "line 1: a module's words are 512 characters") == err);

	/* A path of OPT_PATH_MAX + 1 characters. */
	text[0] = '\0';
	strcat(text, "module \\");
	n = strlen(text);
	memset(text + n, 'p', OPT_PATH_MAX);
	text[n + OPT_PATH_MAX] = '\0';
	EXPECT(!parse(text, false));
	EXPECT(strstr(err, "line 1: a module path of 256 characters") == err);
}

TEST(efi_optparse_at_most_boot_modules_max)
{
	static char text[(BOOT_MODULES_MAX + 1) * 16];

	text[0] = '\0';
	for (int i = 0; i < BOOT_MODULES_MAX; i++)
		strcat(text, "module \\g.elf\n");
	EXPECT(parse(text, false));
	EXPECT_EQ(out.nr_modules, BOOT_MODULES_MAX);
	strcat(text, "module \\g.elf\n");
	EXPECT(!parse(text, false));
	EXPECT(strstr(err, "line 33: more than 32 modules") == err);
}
