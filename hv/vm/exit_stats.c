/*
 * The bench marker's line (see exit_stats.h).  The names are the SDM's
 * (hv/vmx/vmx_names.c): "CPUID 12, IO_INSTRUCTION 30, MSR_WRITE 2".
 */
#include "hv/vm/exit_stats.h"
#include "hv/vmx/vmcs.h"
#include "lib/printf.h"
#include "lib/string.h"

/* Appends to buf at *at, never past len - 1; *at may run past len, which stops the appending. */
static void __attribute__((format(printf, 4, 5))) append(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	*at += (size_t)vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
}

bool exit_stats_marker(struct exit_stats *s, u32 subleaf, u64 tsc_now, u64 steal_now, char *buf, size_t len)
{
	bool logged = subleaf != 0 && s->markers < EXIT_STATS_MARKERS_LOGGED && len > 0;

	if (logged) {
		u64 total = 0;
		size_t at = 0;
		bool first = true;

		for (unsigned int r = 0; r < EXIT_STATS_REASONS; r++)
			total += s->by_reason[r];
		append(buf, len, &at, "bench-linux marker %u: %lu exits", subleaf, total);
		append(buf, len, &at, " in %lu TSC ticks, %lu of them in keyhole", tsc_now - s->since_tsc,
		       steal_now - s->steal_since);
		for (unsigned int r = 0; r < EXIT_STATS_REASONS; r++) {
			if (!s->by_reason[r])
				continue;
			append(buf, len, &at, "%s%s %lu", first ? ": " : ", ", vmx_exit_reason_name(r), s->by_reason[r]);
			first = false;
		}
		s->markers++;
	}
	memset(s->by_reason, 0, sizeof(s->by_reason));
	s->since_tsc = tsc_now;
	s->steal_since = steal_now;
	return logged;
}
