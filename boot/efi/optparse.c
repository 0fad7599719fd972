/*
 * keyhole's UEFI options as a command line and a list of guests
 * (optparse.h has the grammar).  One pass over the text, one line at a
 * time: a line is gathered with its comment dropped and its blanks folded,
 * then it is either a module or a piece of keyhole's command line.
 */
#include "boot/efi/optparse.h"
#include "lib/printf.h"
#include "lib/string.h"

/* The longest line: a module's path, its words and the keyword. */
#define LINE_MAX_LEN (OPT_PATH_MAX + BOOT_MODULE_CMDLINE_MAX + 16)

struct parser {
	struct opt_parsed *out;
	size_t cmdline_len;
	char *err;
	size_t err_size;
	u32 lineno;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_printable(char c)
{
	return c >= 0x20 && c <= 0x7e;
}

#define fail(p, ...) (snprintf((p)->err, (p)->err_size, __VA_ARGS__), false)

bool opt_module_is(const struct opt_module *m, const char *word)
{
	size_t n = strlen(word);

	return strncmp(m->cmdline, word, n) == 0 && (m->cmdline[n] == '\0' || m->cmdline[n] == ' ');
}

/* The length of the word at s (up to a space or the end). */
static size_t word_len(const char *s)
{
	size_t n = 0;

	while (s[n] && s[n] != ' ')
		n++;
	return n;
}

static bool word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* "module PATH [WORDS...]": line holds the whole line, folded and trimmed. */
static bool take_module(struct parser *p, const char *line)
{
	struct opt_module *m;
	const char *path, *words;
	size_t path_len, words_len;

	path = line + word_len(line);
	if (*path == ' ')
		path++;
	path_len = word_len(path);
	if (path_len == 0)
		return fail(p, "line %u: a module line names no file (module \\EFI\\keyhole\\guest.elf guest)", p->lineno);
	if (path[0] != '\\' && path[0] != '/')
		return fail(p, "line %u: module %.*s: want a path from the boot volume's root (\\EFI\\keyhole\\...)",
			    p->lineno, (int)path_len, path);
	if (path_len > OPT_PATH_MAX)
		return fail(p, "line %u: a module path of %zu characters; at most %d", p->lineno, path_len, OPT_PATH_MAX);
	if (p->out->nr_modules == BOOT_MODULES_MAX)
		return fail(p, "line %u: more than %d modules", p->lineno, BOOT_MODULES_MAX);
	words = path + path_len;
	if (*words == ' ')
		words++;
	words_len = strlen(words);
	if (words_len == 0) {
		words = "guest";
		words_len = strlen(words);
	}
	if (words_len >= BOOT_MODULE_CMDLINE_MAX)
		return fail(p, "line %u: a module's words are %zu characters; keyhole takes at most %d and refuses, "
			       "never cuts, a longer line", p->lineno, words_len, BOOT_MODULE_CMDLINE_MAX - 1);

	m = &p->out->modules[p->out->nr_modules++];
	for (size_t i = 0; i < path_len; i++)
		m->path[i] = path[i] == '/' ? '\\' : path[i];
	m->path[path_len] = '\0';
	memcpy(m->cmdline, words, words_len + 1);
	m->line = p->lineno;
	return true;
}

/* A line of keyhole's own options, joined to the rest with a space. */
static bool take_options(struct parser *p, const char *line)
{
	size_t n = strlen(line), sep = p->cmdline_len ? 1 : 0;

	if (p->cmdline_len + sep + n >= BOOT_CMDLINE_MAX)
		return fail(p, "line %u: keyhole's options grow longer than the %d characters it takes; a command line "
			       "is refused, never cut (shorten it)", p->lineno, BOOT_CMDLINE_MAX - 1);
	if (sep)
		p->out->cmdline[p->cmdline_len++] = ' ';
	memcpy(p->out->cmdline + p->cmdline_len, line, n + 1);
	p->cmdline_len += n;
	return true;
}

static bool take_line(struct parser *p, char *line, size_t n)
{
	size_t w;

	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	if (n == 0)
		return true;
	w = word_len(line);
	if (word_is(line, w, "module") || word_is(line, w, "module2"))
		return take_module(p, line);
	return take_options(p, line);
}

bool opt_parse(const char *text, size_t len, bool semicolons, struct opt_parsed *out, char *err, size_t err_size)
{
	struct parser p = { .out = out, .err = err, .err_size = err_size, .lineno = 1 };
	char line[LINE_MAX_LEN + 1];
	size_t n = 0;
	bool comment = false;

	memset(out, 0, sizeof(*out));
	if (err_size)
		err[0] = '\0';
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? text[i] : '\n';

		if (c == '\n' || (semicolons && c == ';' && !comment)) {
			line[n] = '\0';
			if (!take_line(&p, line, n))
				return false;
			p.lineno++;
			n = 0;
			comment = false;
			continue;
		}
		if (!is_printable(c) && !is_blank(c))
			return fail(&p, "line %u: byte 0x%02x; keyhole's options are ASCII", p.lineno, (u8)c);
		if (c == '#')
			comment = true;
		if (comment)
			continue;
		if (is_blank(c)) {
			if (n == 0 || line[n - 1] == ' ')
				continue;
			c = ' ';
		}
		if (n == LINE_MAX_LEN)
			return fail(&p, "line %u: longer than the %d characters a line may have", p.lineno, LINE_MAX_LEN);
		line[n++] = c;
	}
	return true;
}
