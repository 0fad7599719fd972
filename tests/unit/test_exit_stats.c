/*
 * The bench marker's line (hv/vm/exit_stats.c): the exits of a phase by
 * reason, the counts started again at every marker, subleaf 0 silent, the
 * limit on logged markers, a short buffer cut safely.
 */
#include <string.h>

#include "hv/vm/exit_stats.h"
#include "hv/vmx/vmcs.h"
#include "test.h"

TEST(exit_stats_marker_line)
{
	struct exit_stats s = { .since_tsc = 1000, .steal_since = 10 };
	char buf[256];

	s.by_reason[EXIT_REASON_CPUID] = 3;
	s.by_reason[EXIT_REASON_IO_INSTRUCTION] = 5;
	s.by_reason[EXIT_REASON_MSR_WRITE] = 1;
	EXPECT(exit_stats_marker(&s, 2, 5000, 110, buf, sizeof(buf)));
	EXPECT(strcmp(buf, "bench-linux marker 2: 9 exits in 4000 TSC ticks, 100 of them in keyhole: "
			   "CPUID 3, IO_INSTRUCTION 5, MSR_WRITE 1") == 0);
	/* Started again: the next phase has only its own exits. */
	for (unsigned int r = 0; r < EXIT_STATS_REASONS; r++)
		EXPECT_EQ(s.by_reason[r], 0);
	EXPECT_EQ(s.since_tsc, 5000);
	EXPECT_EQ(s.steal_since, 110);
	s.by_reason[EXIT_REASON_XSETBV] = 7;
	EXPECT(exit_stats_marker(&s, 3, 6000, 110, buf, sizeof(buf)));
	EXPECT(strcmp(buf, "bench-linux marker 3: 7 exits in 1000 TSC ticks, 0 of them in keyhole: XSETBV 7") == 0);
	/* No exit at all: no list. */
	EXPECT(exit_stats_marker(&s, 4, 6000, 110, buf, sizeof(buf)));
	EXPECT(strcmp(buf, "bench-linux marker 4: 0 exits in 0 TSC ticks, 0 of them in keyhole") == 0);
}

TEST(exit_stats_subleaf0_is_silent)
{
	struct exit_stats s = { 0 };
	char buf[64] = "untouched";

	s.by_reason[EXIT_REASON_HLT] = 4;
	EXPECT(!exit_stats_marker(&s, 0, 77, 5, buf, sizeof(buf)));
	EXPECT(strcmp(buf, "untouched") == 0);
	EXPECT_EQ(s.by_reason[EXIT_REASON_HLT], 0);
	EXPECT_EQ(s.since_tsc, 77);
	EXPECT_EQ(s.steal_since, 5);
	EXPECT_EQ(s.markers, 0);
}

TEST(exit_stats_markers_limited)
{
	struct exit_stats s = { 0 };
	char buf[128];
	unsigned int logged = 0;

	for (unsigned int i = 0; i < EXIT_STATS_MARKERS_LOGGED + 10; i++) {
		s.by_reason[EXIT_REASON_CPUID] = 1;
		logged += exit_stats_marker(&s, 1, i, 0, buf, sizeof(buf));
		/* Past the limit the counts still start again. */
		EXPECT_EQ(s.by_reason[EXIT_REASON_CPUID], 0);
	}
	EXPECT_EQ(logged, EXIT_STATS_MARKERS_LOGGED);
}

TEST(exit_stats_short_buffer)
{
	struct exit_stats s = { 0 };
	char buf[40];

	memset(buf, 'x', sizeof(buf));
	for (unsigned int r = 0; r < EXIT_STATS_REASONS; r++)
		s.by_reason[r] = 1000000 + r;
	EXPECT(exit_stats_marker(&s, 1, 1, 0, buf, 20));
	EXPECT_EQ(strlen(buf), 19);
	EXPECT(strncmp(buf, "bench-linux marker ", 19) == 0);
	EXPECT_EQ(buf[20], 'x'); /* nothing written past len */
}
