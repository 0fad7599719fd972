/*
 * The operating-system layer newlib is built without
 * (--disable-newlib-supplied-syscalls): what its stdio, malloc and exit
 * reach for, answered by a guest that owns a serial port and nothing else.
 *
 * newlib for x86_64-elf is configured with MISSING_SYSCALL_NAMES: its
 * reentrant wrappers (_write_r, _sbrk_r, ...) call the plain POSIX names
 * write(), sbrk() ..., and exit() calls _exit().  Those are the names here.
 * The wrappers copy the global `errno` below into the caller's reentrancy
 * structure, which is where <errno.h>'s errno reads from.
 *
 *   stdout, stderr  COM1, one OUT per byte; keyhole intercepts the port and
 *                   forwards the bytes, tagged as this guest's (and vCPU's)
 *   stdin           always at end of file
 *   heap            a static array in .bss, handed out by sbrk()
 *   _exit(status)   the KH_HC_EXIT hypercall
 *
 * Anything else (files, processes, clocks) fails with the errno POSIX would
 * give a process that has none.
 *
 * Of all this only the console and _exit() serve every vCPU; the rest is
 * vCPU 0's, as newlib is (vcpu.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <unistd.h>

#include <keyhole/guest_boot.h>

#include "kh.h"
#include "rt.h"
#include "vcpu.h"

#undef errno
int errno;

#define GUEST_HEAP_SIZE (1024 * 1024)
#define GUEST_PID 1
/* Death by a signal, reported the way shells report it. */
#define EXIT_STATUS_SIGNALED(sig) (128 + (sig))

/* malloc needs 16-byte alignment for SSE data; give it a page. */
static unsigned char guest_heap[GUEST_HEAP_SIZE] __attribute__((aligned(4096)));
static size_t heap_used;

/*
 * This vCPU's block, as crt0.S found it in RDI.  A version-2 block is
 * trusted only if its index and count agree with each other and with the
 * slot crt0 filed it under.
 */
const struct kh_guest_boot *kh_boot_info(void)
{
	const struct kh_vcpu_local *self = kh_vcpu_self();
	/* Identity-mapped: the gpa is the pointer. */
	const struct kh_guest_boot *boot = (const void *)(uintptr_t)self->boot_gpa;

	if (!boot || boot->magic != KH_GUEST_BOOT_MAGIC || boot->version != KH_GUEST_BOOT_VERSION)
		return NULL;
	if (boot->nr_vcpus == 0 || boot->nr_vcpus > KH_GUEST_VCPUS_MAX || boot->vcpu_index >= boot->nr_vcpus ||
	    boot->vcpu_index != self->index)
		return NULL;
	return boot;
}

static int is_console(int fd)
{
	return fd == STDIN_FILENO || fd == STDOUT_FILENO || fd == STDERR_FILENO;
}

/*
 * The console lock: 1 + the index of the vCPU that holds it, 0 when free.
 * Its holder may take it again (console_depth counts how deep), so that an
 * exception raised while a vCPU prints can still report itself.
 */
static uint32_t console_owner;
static unsigned int console_depth; /* the holder's alone */

void kh_console_lock(void)
{
	uint32_t me = kh_vcpu_index() + 1, free = 0;

	if (__atomic_load_n(&console_owner, __ATOMIC_RELAXED) == me) {
		console_depth++;
		return;
	}
	while (!__atomic_compare_exchange_n(&console_owner, &free, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		free = 0;
		kh_spin_pause();
	}
	console_depth = 1;
}

void kh_console_unlock(void)
{
	if (--console_depth == 0)
		__atomic_store_n(&console_owner, 0, __ATOMIC_RELEASE);
}

void kh_console_drop(void)
{
	if (__atomic_load_n(&console_owner, __ATOMIC_RELAXED) == kh_vcpu_index() + 1) {
		console_depth = 0;
		__atomic_store_n(&console_owner, 0, __ATOMIC_RELEASE);
	}
}

void kh_console_write(const char *buf, size_t len)
{
	kh_console_lock();
	for (size_t i = 0; i < len; i++)
		outb(COM1_PORT, (uint8_t)buf[i]);
	kh_console_unlock();
}

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t len)
{
	if (fd != STDOUT_FILENO && fd != STDERR_FILENO) {
		errno = EBADF;
		return -1;
	}
	kh_console_write(buf, len);
	return (_READ_WRITE_RETURN_TYPE)len;
}

_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (fd != STDIN_FILENO) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

/* The console never closes: newlib closes the std streams at exit. */
int close(int fd)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

/* A character device, so stdio line-buffers stdout instead of 1 KiB blocks. */
int fstat(int fd, struct stat *st)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	*st = (struct stat){ .st_mode = S_IFCHR };
	return 0;
}

int isatty(int fd)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return 0;
	}
	return 1;
}

off_t lseek(int fd, off_t offset, int whence)
{
	(void)offset;
	(void)whence;
	errno = is_console(fd) ? ESPIPE : EBADF;
	return -1;
}

int open(const char *path, int flags, ...)
{
	(void)path;
	(void)flags;
	errno = ENOENT;
	return -1;
}

void *sbrk(ptrdiff_t incr)
{
	size_t old = heap_used;

	if (incr < 0 ? (size_t)-incr > heap_used : (size_t)incr > sizeof(guest_heap) - heap_used) {
		errno = ENOMEM;
		return (void *)-1;
	}
	heap_used += (size_t)incr;
	return guest_heap + old;
}

int getpid(void)
{
	return GUEST_PID;
}

/* abort() and raise() end here: a signal to ourselves ends the guest. */
int kill(int pid, int sig)
{
	if (pid != GUEST_PID) {
		errno = ESRCH;
		return -1;
	}
	_exit(EXIT_STATUS_SIGNALED(sig));
}

int gettimeofday(struct timeval *tv, void *tz)
{
	(void)tv;
	(void)tz;
	errno = ENOSYS;
	return -1;
}

clock_t times(struct tms *buf)
{
	(void)buf;
	errno = ENOSYS;
	return (clock_t)-1;
}

/*
 * Without keyhole underneath, VMCALL would raise #UD, whose handler would
 * call _exit again: check the signature first and just stop if it is not
 * there.
 */
static bool under_keyhole(void)
{
	struct cpuid_regs sig = cpuid(KH_CPUID_SIGNATURE);

	return sig.ebx == KH_SIGNATURE_EBX && sig.ecx == KH_SIGNATURE_ECX &&
	       sig.edx == KH_SIGNATURE_EDX;
}

void _exit(int status)
{
	/* Sign-extended, so a negative status reads as such on the other side. */
	if (under_keyhole())
		kh_hypercall1(KH_HC_EXIT, (uint64_t)(int64_t)status);
	for (;;)
		__asm__ volatile("cli; hlt");
}
