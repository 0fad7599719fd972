/*
 * The loader's output: "[efi] ..." lines on COM1, written straight to the
 * 16550 so they work before the firmware's console is found and after
 * ExitBootServices alike, and the same lines that matter to someone at the
 * screen (the banner, errors) on the firmware's console too.
 *
 * A firmware that mirrors its console onto COM1 (OVMF does) shows those
 * lines twice there: once plain, once inside its terminal's escape codes.
 * Harmless, and keyhole's test reads only whole plain lines.
 */
#include <stdarg.h>

#include "boot/efi/loader.h"
#include <x86/cpu.h>
#include <x86/uart16550.h>
#include "lib/printf.h"

#define CON_BAUD 115200
#define LINE_MAX 240
/* How often to poll for room before dropping a character: far longer than a character takes. */

static bool serial_ok;
static bool screen_ok = true; /* the firmware's console, until ExitBootServices */

void con_init(void)
{
	serial_ok = uart_init(COM1_BASE, CON_BAUD);
}

void con_boot_services_gone(void)
{
	screen_ok = false;
}

static void serial_put(char c)
{
	uart_putc(COM1_BASE, (u8)c);
}

static void serial_line(const char *s)
{
	if (!serial_ok)
		return;
	while (*s)
		serial_put(*s++);
	serial_put('\r');
	serial_put('\n');
}

/* The firmware's console takes UCS-2; the loader's text is ASCII. */
static void screen_line(const char *s)
{
	CHAR16 wide[LINE_MAX + 3];
	size_t n = 0;

	if (!screen_ok || !efi_st || !efi_st->ConOut)
		return;
	while (s[n] && n < LINE_MAX) {
		wide[n] = (CHAR16)(u8)s[n];
		n++;
	}
	wide[n++] = L'\r';
	wide[n++] = L'\n';
	wide[n] = 0;
	efi_st->ConOut->OutputString(efi_st->ConOut, wide);
}

static void format_line(char *line, const char *label, const char *fmt, va_list ap)
{
	int n = snprintf(line, LINE_MAX, "[%s] %s", LOADER_TAG, label);

	vsnprintf(line + n, LINE_MAX - n, fmt, ap);
}

/* One line to the serial port and, while there is one, to the firmware's screen if asked. */
static void emit(const char *label, bool screen, const char *fmt, va_list ap)
{
	char line[LINE_MAX];

	format_line(line, label, fmt, ap);
	serial_line(line);
	if (screen)
		screen_line(line);
}

void con_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", false, fmt, ap);
	va_end(ap);
}

void con_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", true, fmt, ap);
	va_end(ap);
}

void con_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("error: ", true, fmt, ap);
	va_end(ap);
}

const char *efi_status_name(EFI_STATUS s)
{
	static const struct {
		EFI_STATUS status;
		const char *name;
	} names[] = {
		{ EFI_SUCCESS, "Success" },
		{ EFI_LOAD_ERROR, "Load Error" },
		{ EFI_INVALID_PARAMETER, "Invalid Parameter" },
		{ EFI_UNSUPPORTED, "Unsupported" },
		{ EFI_BUFFER_TOO_SMALL, "Buffer Too Small" },
		{ EFI_DEVICE_ERROR, "Device Error" },
		{ EFI_OUT_OF_RESOURCES, "Out of Resources" },
		{ EFI_VOLUME_CORRUPTED, "Volume Corrupt" },
		{ EFI_NOT_FOUND, "Not Found" },
		{ EFI_ACCESS_DENIED, "Access Denied" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].status == s)
			return names[i].name;
	return "unknown status";
}
