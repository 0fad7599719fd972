/*
 * The checksum of KH_HC_DIAG_CHECKSUM, shared by keyhole and its guests.
 *
 * A guest asks keyhole to checksum a buffer it also checksums itself: equal
 * results show that keyhole read exactly the guest's bytes, whichever way it
 * had to reach them (direct map or fixmap).  The algorithm is 32-bit FNV-1a
 * over the bytes in address order, with the top bit cleared at the end so the
 * result is never mistaken for a negative errno in RAX.
 *
 * It is incremental because keyhole reads guest memory one page at a time:
 *
 *	u32 h = kh_checksum_init();
 *	for each piece: h = kh_checksum_update(h, piece, piece_len);
 *	result = kh_checksum_final(h);
 *
 * Only <stdint.h> and <stddef.h> are used: this header is compiled both into
 * the freestanding hypervisor and into guests built against newlib.
 */
#ifndef KEYHOLE_KH_CHECKSUM_H
#define KEYHOLE_KH_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#define KH_FNV1A_OFFSET_BASIS 0x811c9dc5u
#define KH_FNV1A_PRIME 0x01000193u
#define KH_CHECKSUM_MASK 0x7fffffffu

static inline uint32_t kh_checksum_init(void)
{
	return KH_FNV1A_OFFSET_BASIS;
}

static inline uint32_t kh_checksum_update(uint32_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= KH_FNV1A_PRIME;
	}
	return h;
}

static inline uint32_t kh_checksum_final(uint32_t h)
{
	return h & KH_CHECKSUM_MASK;
}

/* The whole buffer at once. */
static inline uint32_t kh_checksum(const void *buf, size_t len)
{
	return kh_checksum_final(kh_checksum_update(kh_checksum_init(), buf, len));
}

#endif
