/*
 * keyhole's options on the UEFI path: keyhole's command line, in the same
 * words as on the multiboot2 path (README, "Command line"), and the guests
 * to run, in the words of multiboot2's module lines (optparse.h has the
 * grammar: `module PATH WORDS`).  One more word is the loader's own:
 *
 *   guest=PATH   a single ELF guest, the short form of `module PATH guest`;
 *                guest=none: keyhole's built-in test guest
 *
 * Without either, the guest is \EFI\keyhole\guest.elf, and the built-in
 * test guest when that file is absent.
 *
 * Where the options come from, first match wins:
 *   1. the image's load options (a boot entry's optional data, or the UEFI
 *      shell's command line), when they are text; they are one line, so
 *      ';' separates the lines there (`protect=all ; module \vmlinuz linux`);
 *   2. OPTIONS_FILE on the boot volume: ASCII lines, '#' starts a comment;
 *   3. nothing: keyhole's defaults.
 *
 * Nothing is cut: a line longer than keyhole takes is refused, as on the
 * multiboot2 path (include/keyhole/boot_info.h).
 *
 * Load options are not always text: boot managers store data of their own
 * there (EDK II puts a 16-byte GUID in the boot entries it creates).  UCS-2
 * that is all printable ASCII is a command line; UCS-2 that ends in a NUL
 * but holds other characters is a command line keyhole cannot take, an
 * error; anything else is someone's data and is ignored.
 */
#include "boot/efi/loader.h"
#include "lib/cmdline.h"
#include "lib/string.h"

#define OPTIONS_TEXT_MAX 8192

static char text[OPTIONS_TEXT_MAX];

static bool is_blank(u32 c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_printable(u32 c)
{
	return c >= 0x20 && c <= 0x7e;
}

static bool only_blanks(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_blank((u8)t[i]))
			return false;
	return true;
}

/* The UEFI shell passes the program's own name as the first word. */
static size_t skip_program_name(const char *line, size_t n)
{
	static const char ext[] = ".efi";
	size_t ext_len = sizeof(ext) - 1, s = 0, w;

	while (s < n && is_blank((u8)line[s]))
		s++;
	w = s;
	while (w < n && !is_blank((u8)line[w]))
		w++;
	if (w - s < ext_len)
		return 0;
	for (size_t i = 0; i < ext_len; i++)
		if ((line[w - ext_len + i] | 0x20) != ext[i])
			return 0;
	return w;
}

static bool parse(const char *from, const char *t, size_t n, bool semicolons, struct loader_options *o)
{
	char why[OPT_ERROR_MAX];

	if (opt_parse(t, n, semicolons, &o->p, why, sizeof(why)))
		return true;
	con_error("%s, %s", from, why);
	return false;
}

enum from_load_options { LO_NONE, LO_TAKEN, LO_INVALID };

static enum from_load_options from_load_options(EFI_LOADED_IMAGE *li, struct loader_options *o)
{
	const CHAR16 *u = li->LoadOptions;
	size_t units = li->LoadOptionsSize / sizeof(CHAR16), len = 0, skip;
	bool terminated = false;

	if (!u || li->LoadOptionsSize == 0)
		return LO_NONE;
	if (li->LoadOptionsSize % sizeof(CHAR16)) {
		con_log("load options: %u bytes, not UCS-2 text: ignored", li->LoadOptionsSize);
		return LO_NONE;
	}
	while (len < units && u[len] != 0)
		len++;
	terminated = len < units;
	for (size_t i = 0; i < len; i++) {
		if (is_printable(u[i]) || is_blank(u[i]))
			continue;
		if (!terminated) {
			con_log("load options: %u bytes of data that are not a command line (a boot manager's own): ignored",
				li->LoadOptionsSize);
			return LO_NONE;
		}
		con_error("load options: character U+%04X at position %zu; keyhole's options are ASCII", u[i], i + 1);
		return LO_INVALID;
	}
	if (len >= OPTIONS_TEXT_MAX) {
		con_error("load options: %zu characters; keyhole takes at most %d (put the rest in %s)", len,
			  OPTIONS_TEXT_MAX - 1, OPTIONS_FILE);
		return LO_INVALID;
	}
	for (size_t i = 0; i < len; i++)
		text[i] = (char)u[i];
	skip = skip_program_name(text, len);
	if (only_blanks(text + skip, len - skip))
		return LO_NONE;
	if (!parse("load options", text + skip, len - skip, true, o))
		return LO_INVALID;
	o->source = "load options";
	return LO_TAKEN;
}

static EFI_STATUS from_file(EFI_FILE_HANDLE root, struct loader_options *o)
{
	UINT64 pa, len;
	EFI_STATUS s = file_read(root, OPTIONS_FILE, OPTIONS_TEXT_MAX, &pa, &len);

	if (s == EFI_NOT_FOUND) {
		o->source = "none given: defaults";
		return EFI_SUCCESS;
	}
	if (EFI_ERROR(s))
		return s;
	if (!parse(OPTIONS_FILE, (const char *)(uintptr_t)pa, len, false, o))
		return EFI_INVALID_PARAMETER;
	o->source = OPTIONS_FILE;
	return EFI_SUCCESS;
}

static void add_module(struct loader_options *o, const char *path, size_t len)
{
	struct opt_module *m = &o->p.modules[o->p.nr_modules++];

	for (size_t i = 0; i < len; i++)
		m->path[i] = path[i] == '/' ? '\\' : path[i];
	m->path[len] = '\0';
	memcpy(m->cmdline, "guest", sizeof("guest"));
}

/* guest=: the short form of one module line, or none; without it and without modules, the default file. */
static EFI_STATUS resolve_guests(struct loader_options *o)
{
	size_t len;
	const char *v = cmdline_value(o->p.cmdline, "guest", &len);

	if (v && o->p.nr_modules) {
		con_error("guest=%.*s and %u module line%s both name guests: keep one (guest= is the short form of "
			  "one `module PATH guest` line)", (int)len, v, o->p.nr_modules, o->p.nr_modules == 1 ? "" : "s");
		return EFI_INVALID_PARAMETER;
	}
	if (o->p.nr_modules)
		return EFI_SUCCESS;
	if (!v) {
		add_module(o, GUEST_FILE_DEFAULT, sizeof(GUEST_FILE_DEFAULT) - 1);
		o->default_guest = true;
		return EFI_SUCCESS;
	}
	if (cmdline_value_is(v, len, "none")) {
		o->guest_none = true;
		return EFI_SUCCESS;
	}
	if (len > OPT_PATH_MAX || (v[0] != '\\' && v[0] != '/')) {
		con_error("guest=%.*s: want a path on the boot volume from its root, at most %d characters "
			  "(guest=\\EFI\\keyhole\\guest.elf), or guest=none",
			  (int)len, v, OPT_PATH_MAX);
		return EFI_INVALID_PARAMETER;
	}
	add_module(o, v, len);
	return EFI_SUCCESS;
}

EFI_STATUS options_load(EFI_LOADED_IMAGE *li, EFI_FILE_HANDLE root, struct loader_options *o)
{
	EFI_STATUS s = EFI_SUCCESS;

	memset(o, 0, sizeof(*o));
	switch (from_load_options(li, o)) {
	case LO_INVALID:
		return EFI_INVALID_PARAMETER;
	case LO_NONE:
		memset(&o->p, 0, sizeof(o->p));
		s = from_file(root, o);
		break;
	case LO_TAKEN:
		break;
	}
	if (EFI_ERROR(s))
		return s;
	con_log("options (%s): \"%s\"", o->source, o->p.cmdline);
	return resolve_guests(o);
}
