/*
 * The frame table per 2 MiB chunk (issue #15): owners per chunk, per-frame
 * arrays only where a chunk's frames differ, the pool of those arrays, the
 * protected bits per 4 KiB.  The allocator's own tests: test_frames.c.
 */
#include <string.h>
#include "mm/gmap.h"
#include "sim.h"
#include "test.h"

static const struct mm_range small_ram[] = { { 0x100000, 0x1000000 } }; /* 16 MiB at 1 MiB */

static u64 rng_state;
static u64 rng_next(void)
{
	return test_xorshift(&rng_state);
}

/* ---- Issue #15: owners per 2 MiB chunk, per-frame arrays only where a chunk's frames differ ---- */

/* Every frame's owner as frame_owner() says it, against what the allocator counts free. */
static u64 count_owned(u16 owner)
{
	u64 n = 0;

	for (u64 f = 0; f < frames_limit(); f++)
		n += frame_owner(_mfn(f)) == owner;
	return n;
}

/* The table is per chunk: 1 + 5 GiB of RAM costs what frames_table_bytes_per_gib() says per GiB, not 1 MiB per GiB. */
TEST(frames_table_costs_what_it_reports_per_gib)
{
	static const struct mm_range one[] = { { 0x100000, (1ULL << 30) - 0x100000 } };
	static const struct mm_range six[] = { { 0x100000, (1ULL << 30) - 0x100000 }, { 1ULL << 30, 5ULL << 30 } };

	EXPECT_EQ(frames_init(one, 1, NULL, 0), 0);
	u64 small = count_owned(FRAME_HV);
	EXPECT_EQ(frames_init(six, 2, NULL, 0), 0);
	u64 big = count_owned(FRAME_HV);
	/* 5 GiB more: the records, bits and directory share of 2,560 chunks, rounded up to whole pages */
	u64 grown = (big - small) * PAGE_SIZE, want = 5 * frames_table_bytes_per_gib();
	EXPECT(grown >= want - PAGE_SIZE && grown <= want + 2 * PAGE_SIZE);
	EXPECT(frames_table_bytes_per_gib() <= 40 * 1024); /* the old table: 1 MiB per GiB */
	EXPECT_EQ(frames_table_bytes_per_gib(), 512 * (8 + 64) + 64 * 8);
	EXPECT(big * PAGE_SIZE <= 6 * 40 * 1024 + 4 * PAGE_SIZE);
	EXPECT_EQ(frames_free_count(), count_owned(FRAME_FREE));
}

TEST(frames_a_4k_allocation_splits_a_free_chunk_and_frees_merge_it_back)
{
	mfn_t a, b;

	EXPECT_EQ(frames_init(small_ram, 1, NULL, 0), 0);
	u64 mixed = frames_mixed_chunks(), nfree = frames_free_count();
	EXPECT_EQ(frames_alloc_aligned(1, 512, FRAME_HV, &a), 0); /* the first frame of a uniform free chunk */
	EXPECT_EQ(mfn_x(a) % 512, 0);
	EXPECT_EQ(frames_mixed_chunks(), mixed + 1);
	EXPECT_EQ(frame_owner(a), FRAME_HV);
	EXPECT_EQ(frame_owner(_mfn(mfn_x(a) + 1)), FRAME_FREE);
	EXPECT_EQ(frame_owner(_mfn(mfn_x(a) + 511)), FRAME_FREE);
	EXPECT_EQ(frame_owner(_mfn(mfn_x(a) - 1)), FRAME_FREE);   /* the chunk before, untouched */
	EXPECT_EQ(frames_free_count(), nfree - 1);
	EXPECT_EQ(frames_free(a, 1), 0);
	EXPECT_EQ(frames_mixed_chunks(), mixed);                  /* uniform again: its array is back */
	EXPECT_EQ(frame_owner(a), FRAME_FREE);
	EXPECT_EQ(frames_free_count(), nfree);

	/* 512 single frames fill a chunk: uniform keyhole's; one freed splits it again */
	EXPECT_EQ(frames_alloc_aligned(1, 512, FRAME_HV, &a), 0);
	for (int i = 1; i < 512; i++) {
		EXPECT_EQ(frames_alloc(1, FRAME_HV, &b), 0);
		EXPECT_EQ(mfn_x(b), mfn_x(a) + i);
	}
	EXPECT_EQ(frames_mixed_chunks(), mixed);
	EXPECT_EQ(frames_free(_mfn(mfn_x(a) + 100), 1), 0);
	EXPECT_EQ(frames_mixed_chunks(), mixed + 1);
	EXPECT_EQ(frame_owner(_mfn(mfn_x(a) + 99)), FRAME_HV);
	EXPECT_EQ(frame_owner(_mfn(mfn_x(a) + 100)), FRAME_FREE);
	EXPECT_EQ(frames_free(a, 100), 0);
	EXPECT_EQ(frames_free(_mfn(mfn_x(a) + 101), 411), 0);
	EXPECT_EQ(frames_mixed_chunks(), mixed);
	EXPECT_EQ(frames_free_count(), nfree);
	EXPECT_EQ(frames_free_count(), count_owned(FRAME_FREE));
}

TEST(frames_guest_runs_of_whole_chunks_stay_uniform)
{
	mfn_t g;
	u16 owner = frame_owner_guest(3);

	EXPECT_EQ(frames_init(small_ram, 1, NULL, 0), 0);
	u64 mixed = frames_mixed_chunks();
	EXPECT_EQ(frames_alloc_aligned(4 * 512, 512, owner, &g), 0);
	EXPECT_EQ(frames_mixed_chunks(), mixed);
	for (u64 i = 0; i < 4 * 512; i += 97)
		EXPECT_EQ(frame_owner(_mfn(mfn_x(g) + i)), owner);
	EXPECT_EQ(frame_owner(_mfn(mfn_x(g) + 4 * 512)), FRAME_FREE);
	EXPECT(frames_owned_by(g, 4 * 512, owner));
	EXPECT(frames_owned_by(_mfn(mfn_x(g) + 3), 600, owner));
	EXPECT(!frames_owned_by(g, 4 * 512 + 1, owner));          /* one frame past the run */
	EXPECT(!frames_owned_by(_mfn(mfn_x(g) - 1), 2, owner));
	EXPECT(!frames_owned_by(g, 512, frame_owner_guest(4)));
	mfn_t h;
	EXPECT_EQ(frames_alloc(3, owner, &h), 0);                  /* splits the next free chunk */
	EXPECT_EQ(mfn_x(h), mfn_x(g) + 4 * 512);
	EXPECT(frames_owned_by(g, 4 * 512 + 3, owner));            /* across into a mixed chunk */
	EXPECT(!frames_owned_by(g, 4 * 512 + 4, owner));
	EXPECT(frames_owned_by(_mfn(0), 1, FRAME_RESERVED));
	EXPECT(!frames_owned_by(_mfn(frames_limit() - 1), 2, FRAME_FREE)); /* beyond the table */
	EXPECT_EQ(frames_free(h, 3), 0);
	/* protection is per 4 KiB inside a chunk, and changes no owner record */
	frame_set_protected(_mfn(mfn_x(g) + 513), true);
	EXPECT(frame_is_protected(_mfn(mfn_x(g) + 513)));
	EXPECT(!frame_is_protected(_mfn(mfn_x(g) + 512)));
	EXPECT(!frame_is_protected(_mfn(mfn_x(g) + 514)));
	EXPECT_EQ(frames_mixed_chunks(), mixed);
	EXPECT_EQ(frames_free(g, 4 * 512), -EINVAL); /* still protected */
	frame_set_protected(_mfn(mfn_x(g) + 513), false);
	/* a guest frame scrubbed and marked clean: its chunk needs per-frame clean bits until all are */
	frame_mark_clean(_mfn(mfn_x(g) + 5));
	EXPECT_EQ(frames_mixed_chunks(), mixed + 1);
	for (u64 i = 0; i < 512; i++)
		frame_mark_clean(_mfn(mfn_x(g) + i));
	EXPECT_EQ(frames_mixed_chunks(), mixed);
	memset(sim_phys(mfn_to_pa(g) + 512 * PAGE_SIZE), 0x33, PAGE_SIZE);
	memset(sim_phys(mfn_to_pa(g)), 0x44, PAGE_SIZE); /* marked clean: free need not zero it (the contract's hint) */
	EXPECT_EQ(frames_free(g, 4 * 512), 0);
	EXPECT_EQ(frames_mixed_chunks(), mixed);
	EXPECT_EQ(*(u8 *)sim_phys(mfn_to_pa(g) + 512 * PAGE_SIZE), 0); /* invariant 4 */
	EXPECT_EQ(*(u8 *)sim_phys(mfn_to_pa(g)), 0x44);
	EXPECT_EQ(frame_owner(g), FRAME_FREE);
}

/* RAM in pieces that are not 2 MiB-aligned: RAM, owners and the runs are exact at every edge. */
TEST(frames_ram_ranges_not_chunk_aligned)
{
	static const struct mm_range ram[] = {
		{ 0x1000, 0x9e000 },                 /* [1, 0x9f) */
		{ 0x103000, 0x2ffd000 },             /* [0x103, 0x3100) */
		{ 0x3200000 + 0x800, 0x5000 },       /* inner: [0x3201, 0x3205) */
		{ 0x4000000, 0x401000 },             /* [0x4000, 0x4401) */
	};
	static const struct mm_range res[] = { { 0x1000000 + 0x10, 0x2000 } }; /* outer: [0x1000, 0x1003) */
	static const u64 runs[][2] = { { 1, 0x9e }, { 0x103, 0x3100 - 0x103 }, { 0x3201, 4 }, { 0x4000, 0x401 } };
	struct seen { u64 n; u64 r[8][2]; } seen = { 0 };
	u64 bad_ram = 0;

	EXPECT_EQ(frames_init(ram, 4, res, 1), 0);
	EXPECT_EQ(frames_limit(), 0x4401);
	for (u64 f = 0; f < frames_limit(); f++) {
		bool want = false;
		for (unsigned int i = 0; i < ARRAY_SIZE(runs); i++)
			want |= f >= runs[i][0] && f < runs[i][0] + runs[i][1];
		if (frame_is_ram(_mfn(f)) != want) {
			EXPECT_EQ(f, ~0ULL); /* names the first wrong frame */
			break;
		}
	}
	EXPECT_EQ(frame_owner(_mfn(0x9f)), FRAME_RESERVED);
	EXPECT_EQ(frame_owner(_mfn(0xfff)), FRAME_FREE);
	EXPECT_EQ(frame_owner(_mfn(0x1000)), FRAME_RESERVED);
	EXPECT_EQ(frame_owner(_mfn(0x1002)), FRAME_RESERVED);
	EXPECT_EQ(frame_owner(_mfn(0x1003)), FRAME_FREE);
	EXPECT_EQ(frame_owner(_mfn(0x3200)), FRAME_RESERVED);
	EXPECT_EQ(frame_owner(_mfn(0x3201)), FRAME_FREE);
	EXPECT(frame_is_ram(_mfn(0x1000)));
	EXPECT_EQ(frame_owner(_mfn(0x103)), FRAME_HV); /* the table, in the lowest RAM above 1 MiB */
	EXPECT_EQ(frames_free_count(), count_owned(FRAME_FREE));

	int collect(void *arg, mfn_t first, u64 n)
	{
		struct seen *s = arg;
		if (s->n < 8) {
			s->r[s->n][0] = mfn_x(first);
			s->r[s->n][1] = n;
		}
		s->n++;
		return 0;
	}
	EXPECT_EQ(frames_for_each_ram_run(collect, &seen), 0);
	EXPECT_EQ(seen.n, ARRAY_SIZE(runs));
	for (unsigned int i = 0; i < ARRAY_SIZE(runs) && i < seen.n; i++) {
		EXPECT_EQ(seen.r[i][0], runs[i][0]);
		EXPECT_EQ(seen.r[i][1], runs[i][1]);
	}

	/* an allocation across the end of a RAM range cannot be: the hole is not free */
	mfn_t a;
	EXPECT_EQ(frames_alloc_below(5, 0x3205000, FRAME_HV, &a), 0);
	EXPECT(mfn_x(a) < 0x3100 - 5);
	u64 big = frames_largest_free_run();
	EXPECT(big < 0x3100 - 0x103);
	EXPECT_EQ(frames_alloc(big + 1, FRAME_HV, &a), -ENOMEM);
	EXPECT_EQ(frames_alloc(0x401, FRAME_HV, &a), 0);
	for (u64 i = 0; i < 0x401; i++)
		bad_ram += !frame_is_ram(_mfn(mfn_x(a) + i));
	EXPECT_EQ(bad_ram, 0);
	EXPECT_EQ(frames_free_count(), count_owned(FRAME_FREE));
}

/* Random protected frames in a guest's 4 chunks: frames_any_protected() over any range is the brute-force answer. */
TEST(frames_any_protected_over_partial_ranges)
{
	mfn_t g;
	static bool prot[4 * 512];

	EXPECT_EQ(frames_init(small_ram, 1, NULL, 0), 0);
	EXPECT_EQ(frames_alloc_aligned(4 * 512, 512, frame_owner_guest(0), &g), 0);
	memset(prot, 0, sizeof(prot));
	rng_state = 0x70726f74ULL; /* "prot" */
	int bad = 0;
	for (int step = 0; step < 4000; step++) {
		u64 i = rng_next() % (4 * 512);
		bool p = rng_next() % 4 == 0;
		frame_set_protected(_mfn(mfn_x(g) + i), p);
		prot[i] = p;
		u64 first = rng_next() % (4 * 512), n = 1 + rng_next() % (rng_next() % 2 ? 8 : 4 * 512 - first);
		if (rng_next() % 8 == 0) { /* chunk-aligned starts, whole chunks */
			first &= ~511ULL;
			n = 512 * (1 + rng_next() % (4 - first / 512));
		}
		n = MIN(n, 4 * 512 - first);
		bool want = false;
		for (u64 k = first; k < first + n; k++)
			want |= prot[k];
		bad += frames_any_protected(_mfn(mfn_x(g) + first), n) != want;
		bad += frame_is_protected(_mfn(mfn_x(g) + i)) != p;
	}
	EXPECT_EQ(bad, 0);
}

/*
 * The worst case for the pool's size: every chunk of RAM mixed at once (a
 * keyhole frame at the start of each).  The pool grows from the chunks it
 * serves, no allocation fails, and it stays within its bound: it grows only
 * when it holds fewer arrays than an operation needs (two at most), by 8.
 */
TEST(frames_pool_grows_to_every_chunk_mixed)
{
	static const struct mm_range ram[] = { { 0x100000, 0x3f00000 } }; /* [1 MiB, 64 MiB): 32 chunks */
	mfn_t a;

	EXPECT_EQ(frames_init(ram, 1, NULL, 0), 0);
	u64 init_arrays = frames_pool_arrays(), nchunks = frames_limit() / 512, split = 0, peak = 0;
	while (frames_alloc_aligned(1, 512, FRAME_HV, &a) == 0) {
		split++;
		peak = MAX(peak, frames_mixed_chunks());
		EXPECT(frames_pool_arrays() <= MAX(init_arrays, peak + 1 + 8));
	}
	EXPECT_EQ(split, nchunks - 1);                /* chunk 0 holds the table */
	EXPECT_EQ(frames_mixed_chunks(), nchunks);    /* every chunk */
	EXPECT(frames_pool_arrays() > init_arrays);   /* it grew */
	EXPECT(frames_pool_arrays() <= nchunks + 1 + 8);
	EXPECT_EQ(frames_free_count(), count_owned(FRAME_FREE));
	u64 hv = count_owned(FRAME_HV);
	/* each split chunk: its first frame keyhole's, and where a pool page went, the next; the rest free */
	for (u64 c = 1; c < nchunks; c++) {
		EXPECT_EQ(frame_owner(_mfn(c * 512)), FRAME_HV);
		EXPECT_EQ(frame_owner(_mfn(c * 512 + 511)), FRAME_FREE);
	}
	/* free them: chunks without a pool page become uniform again */
	for (u64 c = 1; c < nchunks; c++)
		EXPECT_EQ(frames_free(_mfn(c * 512), 1), 0);
	EXPECT_EQ(count_owned(FRAME_HV), hv - (nchunks - 1));
	EXPECT(frames_mixed_chunks() <= 1 + (frames_pool_arrays() - init_arrays) / 8);
	EXPECT_EQ(frames_free_count(), count_owned(FRAME_FREE));
}

/*
 * A free that splits a uniform chunk on a machine with no free frame and no
 * spare array: nothing fails and no owner is lost; the freed frame becomes
 * the pool's page (scrubbed first), and the next split is served from it.
 */
TEST(frames_pool_never_runs_dry)
{
	static const struct mm_range ram[] = { { 0x100000, 0x3f00000 } }; /* [1 MiB, 64 MiB): 32 chunks */
	mfn_t a, b;
	u16 guest = frame_owner_guest(7);

	EXPECT_EQ(frames_init(ram, 1, NULL, 0), 0);
	u64 init_arrays = frames_pool_arrays();
	/* split fresh chunks with one keyhole frame each until the spare arrays are used up */
	u64 split = 0;
	while (frames_pool_arrays() > frames_mixed_chunks() &&
	       frames_alloc_aligned(1, 512, FRAME_HV, &a) == 0)
		split++;
	EXPECT(split >= 8);
	EXPECT_EQ(frames_pool_arrays(), init_arrays); /* no page taken so far */
	/* whole free chunks to the guest (uniform, no array), then every free frame left, one by one */
	while (frames_alloc_aligned(512, 512, guest, &a) == 0)
		;
	while (frames_alloc(1, guest, &a) == 0)
		;
	EXPECT_EQ(frames_free_count(), 0);
	EXPECT_EQ(count_owned(FRAME_FREE), 0);
	EXPECT_EQ(frames_pool_arrays(), frames_mixed_chunks()); /* no spare: the worst moment */

	/* find a uniform guest chunk and free one frame in its middle */
	u64 c = 0;
	for (u64 f = 512; f + 512 <= frames_limit(); f += 512) {
		bool all = true;
		for (u64 i = 0; i < 512 && all; i++)
			all = frame_owner(_mfn(f + i)) == guest;
		if (all) {
			c = f;
			break;
		}
	}
	EXPECT(c != 0);
	memset(sim_phys((c + 200) << PAGE_SHIFT), 0x5a, PAGE_SIZE);
	u64 mixed = frames_mixed_chunks();
	EXPECT_EQ(frames_free(_mfn(c + 200), 1), 0);          /* the frame became the pool's page */
	EXPECT_EQ(frame_owner(_mfn(c + 200)), FRAME_HV);
	const u8 *kept = sim_phys((c + 200) << PAGE_SHIFT);
	int leaked = 0;
	for (u64 i = 0; i < PAGE_SIZE; i++)
		leaked += kept[i] == 0x5a;
	EXPECT_EQ(leaked, 0); /* scrubbed before keyhole kept it: table data now, none of the guest's */
	EXPECT_EQ(frame_owner(_mfn(c + 199)), guest);
	EXPECT_EQ(frame_owner(_mfn(c + 201)), guest);
	EXPECT_EQ(frames_pool_arrays(), init_arrays + 8);
	EXPECT_EQ(frames_mixed_chunks(), mixed + 1);
	EXPECT_EQ(frames_free_count(), 0);
	/* the next split is served from that page's spares, and frees really free */
	EXPECT_EQ(frames_free(_mfn(c + 300), 2), 0);
	EXPECT_EQ(frames_free_count(), 2);
	EXPECT_EQ(frame_owner(_mfn(c + 301)), FRAME_FREE);
	EXPECT_EQ(frames_alloc(2, FRAME_HV, &b), 0);
	EXPECT_EQ(mfn_x(b), c + 300);

	EXPECT_EQ(frames_free_count(), count_owned(FRAME_FREE));

	/* and it all comes back: free everything the guest has, run by run, and the keyhole frames */
	u64 freed = 0;
	for (u64 f = 0; f < frames_limit();) {
		u16 o = frame_owner(_mfn(f));
		u64 e = f + 1;
		while (e < frames_limit() && frame_owner(_mfn(e)) == o)
			e++;
		if (o == guest) {
			EXPECT_EQ(frames_free(_mfn(f), e - f), 0);
			freed += e - f;
		}
		f = e;
	}
	EXPECT(freed > 0);
	EXPECT_EQ(count_owned(guest), 0);
	EXPECT_EQ(frames_free_count(), count_owned(FRAME_FREE));
}
