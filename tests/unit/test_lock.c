/*
 * The ticket lock (include/keyhole/spinlock.h) under real threads: it
 * excludes, it serves waiters in the order they came, and its wait goes
 * through arch_spin_wait() (where the hypervisor serves shootdowns).
 */
#include <pthread.h>
#include <sched.h>
#include <keyhole/spinlock.h>
#include "sim.h"
#include "test.h"

#define EXCL_THREADS 3
#define EXCL_ROUNDS 3000

static spinlock_t excl_lock;
static volatile u64 excl_counter;
static volatile int excl_inside;
static int excl_overlaps;

static void *excl_thread(void *arg)
{
	sim_cpu = (unsigned int)(uintptr_t)arg;
	sim_in_thread = true;
	for (int i = 0; i < EXCL_ROUNDS; i++) {
		spin_lock(&excl_lock);
		if (excl_inside++)
			excl_overlaps++;
		/* A read-modify-write that tears if two threads are here at once. */
		u64 v = excl_counter;
		for (int k = 0; k < 20; k++)
			__builtin_ia32_pause();
		excl_counter = v + 1;
		excl_inside--;
		spin_unlock(&excl_lock);
	}
	return NULL;
}

TEST(lock_excludes_under_threads)
{
	pthread_t t[EXCL_THREADS];

	excl_lock = (spinlock_t){ 0 };
	excl_counter = 0;
	excl_overlaps = 0;
	for (uintptr_t i = 0; i < EXCL_THREADS; i++)
		EXPECT_EQ(pthread_create(&t[i], NULL, excl_thread, (void *)i), 0);
	for (int i = 0; i < EXCL_THREADS; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(excl_counter, (u64)EXCL_THREADS * EXCL_ROUNDS);
	EXPECT_EQ(excl_overlaps, 0);
	EXPECT(!spin_is_locked(&excl_lock));
}

/*
 * FIFO: the main thread holds the lock; waiter i is started only once
 * waiter i - 1 has taken its ticket (next has moved), so the order they
 * asked in is known.  After the release each appends itself to `order`
 * while holding the lock: a fair lock gives 1, 2, ..., a test-and-set lock
 * whichever spinner wins each time.
 */
#define FIFO_WAITERS 6

static spinlock_t fifo_lock;
static int fifo_order[FIFO_WAITERS], fifo_n;

static void *fifo_thread(void *arg)
{
	sim_cpu = (unsigned int)(uintptr_t)arg;
	sim_in_thread = true;
	spin_lock(&fifo_lock);
	fifo_order[fifo_n++] = (int)(uintptr_t)arg;
	for (int i = 0; i < 1000; i++) /* long enough for the others to be spinning behind */
		__builtin_ia32_pause();
	spin_unlock(&fifo_lock);
	return NULL;
}

TEST(lock_serves_waiters_in_order)
{
	pthread_t t[FIFO_WAITERS];

	fifo_lock = (spinlock_t){ 0 };
	fifo_n = 0;
	spin_lock(&fifo_lock);
	for (uintptr_t i = 0; i < FIFO_WAITERS; i++) {
		EXPECT_EQ(pthread_create(&t[i], NULL, fifo_thread, (void *)(i + 1)), 0);
		while (__atomic_load_n(&fifo_lock.next, __ATOMIC_ACQUIRE) != i + 2)
			sched_yield();
	}
	spin_unlock(&fifo_lock);
	for (int i = 0; i < FIFO_WAITERS; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(fifo_n, FIFO_WAITERS);
	for (int i = 0; i < FIFO_WAITERS; i++)
		EXPECT_EQ(fifo_order[i], i + 1);
}

/* A waiter spins through arch_spin_wait() (the hook sees it); an uncontended lock never calls it. */
static spinlock_t hook_lock;
static u64 hook_calls;

static void count_hook(void)
{
	__atomic_add_fetch(&hook_calls, 1, __ATOMIC_RELAXED);
}

static void *hook_thread(void *arg)
{
	(void)arg;
	sim_in_thread = true;
	spin_lock(&hook_lock);
	spin_unlock(&hook_lock);
	return NULL;
}

TEST(lock_wait_goes_through_arch_spin_wait)
{
	pthread_t t;

	hook_lock = (spinlock_t){ 0 };
	hook_calls = 0;
	sim_spin_hook = count_hook;
	spin_lock(&hook_lock);
	spin_unlock(&hook_lock);
	EXPECT_EQ(hook_calls, 0);
	spin_lock(&hook_lock);
	EXPECT_EQ(pthread_create(&t, NULL, hook_thread, NULL), 0);
	while (__atomic_load_n(&hook_calls, __ATOMIC_RELAXED) < 100)
		sched_yield();
	spin_unlock(&hook_lock);
	pthread_join(t, NULL);
	EXPECT(!spin_is_locked(&hook_lock));
	sim_spin_hook = NULL;
}
