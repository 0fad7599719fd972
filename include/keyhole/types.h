/*
 * Basic types shared by every part of keyhole: fixed-width integers, the
 * distinct frame-number types, errno values and a few bit helpers.
 *
 * Host frames (mfn_t) and guest frames (gfn_t) are different structs so the
 * compiler refuses a guest frame number where a host one is meant: that mix-up
 * is exactly the class of bug that would hand a guest somebody else's memory.
 */
#ifndef KEYHOLE_TYPES_H
#define KEYHOLE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define SZ_2M (1UL << 21)
#define SZ_1G (1UL << 30)

#define BIT(n) (1UL << (n))
#define ALIGNED(x, a) (((x) & ((a) - 1)) == 0)
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* A host-physical frame number. */
typedef struct { u64 v; } mfn_t;
/* A guest-physical frame number. */
typedef struct { u64 v; } gfn_t;

static inline mfn_t _mfn(u64 v) { return (mfn_t){ v }; }
static inline gfn_t _gfn(u64 v) { return (gfn_t){ v }; }
static inline u64 mfn_x(mfn_t m) { return m.v; }
static inline u64 gfn_x(gfn_t g) { return g.v; }
static inline u64 mfn_to_pa(mfn_t m) { return m.v << PAGE_SHIFT; }
static inline mfn_t pa_to_mfn(u64 pa) { return _mfn(pa >> PAGE_SHIFT); }
static inline u64 gfn_to_gpa(gfn_t g) { return g.v << PAGE_SHIFT; }
static inline gfn_t gpa_to_gfn(u64 gpa) { return _gfn(gpa >> PAGE_SHIFT); }

#define INVALID_MFN _mfn(~0UL)

/*
 * 48-bit virtual addresses (4-level paging): bits 63:48 copy bit 47.
 * va_sign_extend() makes an address canonical; va_canonical() tests it.
 */
static inline u64 va_sign_extend(u64 va) { return (u64)((s64)(va << 16) >> 16); }
static inline bool va_canonical(u64 va) { return va_sign_extend(va) == va; }

/* Negative errno values: the one error convention for what a caller can handle. */
#define EPERM 1
#define ENOENT 2
#define EIO 5
#define E2BIG 7
#define ENOEXEC 8
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ERANGE 34
#define ENOSYS 38
#define EOVERFLOW 75
#define ETIMEDOUT 110

#define STATIC_ASSERT(c, msg) _Static_assert(c, msg)

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
