/*
 * keyhole's command line on the UEFI path: the same words as on the
 * multiboot2 path (README, "Command line"), plus one the loader itself reads:
 *
 *   guest=PATH   the guest image on the boot volume (default
 *                \EFI\keyhole\guest.elf, and the built-in test guest when
 *                that file is absent); guest=none: the built-in test guest
 *
 * Where the line comes from, first match wins:
 *   1. the image's load options (a boot entry's optional data, or the UEFI
 *      shell's command line), when they are text;
 *   2. OPTIONS_FILE on the boot volume: ASCII, '#' starts a comment, lines
 *      are joined with spaces;
 *   3. nothing: keyhole's defaults.
 *
 * A line longer than BOOT_CMDLINE_MAX - 1 characters (after blank runs fold
 * into one space) is refused, never cut, as on the multiboot2 path
 * (include/keyhole/boot_info.h): a cut line would drop options silently.
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

#define OPTIONS_FILE_MAX 4096
#define COMMENT '#'

static bool is_blank(u32 c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_printable(u32 c)
{
	return c >= 0x20 && c <= 0x7e;
}

/*
 * Appends one character to the line being built, folding blank runs into
 * one space and dropping leading ones.  False when the line is full.
 */
static bool line_put(char *line, size_t *n, u32 c)
{
	if (is_blank(c)) {
		if (*n == 0 || line[*n - 1] == ' ')
			return true;
		c = ' ';
	}
	if (*n + 1 >= BOOT_CMDLINE_MAX)
		return false;
	line[(*n)++] = (char)c;
	line[*n] = '\0';
	return true;
}

static void line_trim(char *line, size_t *n)
{
	while (*n && line[*n - 1] == ' ')
		line[--(*n)] = '\0';
}

/* The UEFI shell passes the program's own name as the first word. */
static void drop_program_name(char *line)
{
	size_t w = 0, n = strlen(line);
	static const char ext[] = ".efi";
	size_t ext_len = sizeof(ext) - 1;

	while (line[w] && line[w] != ' ')
		w++;
	if (w < ext_len)
		return;
	for (size_t i = 0; i < ext_len; i++)
		if ((line[w - ext_len + i] | 0x20) != ext[i])
			return;
	if (line[w] == ' ')
		w++;
	memmove(line, line + w, n - w + 1);
}

enum from_load_options { LO_NONE, LO_TAKEN, LO_INVALID };

static enum from_load_options from_load_options(EFI_LOADED_IMAGE *li, struct loader_options *o)
{
	const CHAR16 *u = li->LoadOptions;
	size_t units = li->LoadOptionsSize / sizeof(CHAR16), len = 0, n = 0;
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
	for (size_t i = 0; i < len; i++) {
		if (!line_put(o->cmdline, &n, u[i])) {
			con_error("load options: longer than the %d characters keyhole takes; a command line is refused, "
				  "never cut (shorten it)", BOOT_CMDLINE_MAX - 1);
			return LO_INVALID;
		}
	}
	line_trim(o->cmdline, &n);
	drop_program_name(o->cmdline);
	if (o->cmdline[0] == '\0')
		return LO_NONE;
	o->source = "load options";
	return LO_TAKEN;
}

static EFI_STATUS from_file(EFI_FILE_HANDLE root, struct loader_options *o)
{
	UINT64 pa, len;
	size_t n = 0, lineno = 1;
	bool comment = false;
	EFI_STATUS s = file_read(root, OPTIONS_FILE, OPTIONS_FILE_MAX, &pa, &len);

	if (s == EFI_NOT_FOUND) {
		o->source = "none given: defaults";
		return EFI_SUCCESS;
	}
	if (EFI_ERROR(s))
		return s;
	const u8 *text = (const u8 *)(uintptr_t)pa;
	for (UINT64 i = 0; i < len; i++) {
		u8 c = text[i];

		if (c == '\n') {
			lineno++;
			comment = false;
		} else if (!is_printable(c) && !is_blank(c)) {
			con_error("%s, line %zu: byte 0x%02x; keyhole's options are ASCII", OPTIONS_FILE, lineno, c);
			return EFI_INVALID_PARAMETER;
		} else if (c == COMMENT) {
			comment = true;
		}
		if (comment)
			continue;
		if (!line_put(o->cmdline, &n, c)) {
			con_error("%s: longer than the %d characters keyhole takes; a command line is refused, never "
				  "cut (shorten it)", OPTIONS_FILE, BOOT_CMDLINE_MAX - 1);
			return EFI_INVALID_PARAMETER;
		}
	}
	line_trim(o->cmdline, &n);
	o->source = OPTIONS_FILE;
	return EFI_SUCCESS;
}

static EFI_STATUS parse_guest(struct loader_options *o)
{
	size_t len;
	const char *v = cmdline_value(o->cmdline, "guest", &len);

	if (!v) {
		memcpy(o->guest_path, GUEST_FILE_DEFAULT, sizeof(GUEST_FILE_DEFAULT));
		return EFI_SUCCESS;
	}
	if (cmdline_value_is(v, len, "none")) {
		o->guest_none = true;
		return EFI_SUCCESS;
	}
	if (len > PATH_MAX_LEN || (v[0] != '\\' && v[0] != '/')) {
		con_error("guest=%.*s: want a path on the boot volume from its root, at most %d characters "
			  "(guest=\\EFI\\keyhole\\guest.elf), or guest=none",
			  (int)len, v, PATH_MAX_LEN);
		return EFI_INVALID_PARAMETER;
	}
	for (size_t i = 0; i < len; i++)
		o->guest_path[i] = v[i] == '/' ? '\\' : v[i];
	o->guest_path[len] = '\0';
	o->guest_explicit = true;
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
		memset(o->cmdline, 0, sizeof(o->cmdline));
		s = from_file(root, o);
		break;
	case LO_TAKEN:
		break;
	}
	if (EFI_ERROR(s))
		return s;
	con_log("options (%s): \"%s\"", o->source, o->cmdline);
	return parse_guest(o);
}
