// SPDX-License-Identifier: GPL-2.0
/*
 * Guest runs as every arch has them, with C guest code (selftests/lib):
 * regions moved, deleted and read-only under a running guest, thousands
 * of entries, VMID rollover with six VMs on both CPUs, a vCPU moved
 * between CPUs, CPU hotplug during runs and region moves, a second RUN
 * thread, signals, and a process killed inside RUN.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#include "axvm_util.h"
#include "test_vm.h"
#include "axvm_harness.h"

#define EXTRA_GPA	0x80000000ULL

FIXTURE(run) {
	struct test_vm *vm;
};

FIXTURE_SETUP(run)
{
	int sys = axvm_open();

	ASSERT_LE(0, sys) TH_LOG("/dev/axvm: %s", strerror(errno));
	close(sys);
	if (!test_can_run_guests())
		SKIP(return, "no guest entry on this lane");
	test_pin_self(0);
	self->vm = test_vm_create();
	ASSERT_NE(NULL, self->vm) TH_LOG("test_vm_create: %s",
					 strerror(errno));
}

FIXTURE_TEARDOWN(run)
{
	if (self->vm)
		test_vm_free(self->vm);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_read_loop(uint64_t addr)
{
	for (;;)
		GUEST_SYNC(*(volatile uint64_t *)addr);
}

GUEST_CODE static void guest_store(uint64_t addr, uint64_t val)
{
	*(volatile uint64_t *)addr = val;
	GUEST_SYNC(*(volatile uint64_t *)addr);
}

/* Guest RAM maps in on fault; delete and move unmap it at once. */
TEST_F(run, region_delete_and_move)
{
	struct test_vcpu *v;
	struct ucall uc;
	uint64_t *extra;

	if (!self->vm)
		return;
	extra = test_vm_add_region(self->vm, 5, 0, EXTRA_GPA, getpagesize());
	ASSERT_NE(NULL, extra);
	*extra = 0x55;
	v = test_vcpu_add_default(self->vm, 0, guest_read_loop, 1, EXTRA_GPA);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x55, uc.args[0]);
	*extra = 0x66;			/* shared, not copied */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x66, uc.args[0]);

	/* Moved away: the old address is MMIO now. */
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, 5, 0, EXTRA_GPA + 0x200000,
				     getpagesize(), extra));
	ASSERT_EQ(AXVM_EXIT_MMIO, test_vcpu_run_exit(v));
	EXPECT_EQ(EXTRA_GPA, v->run->mmio.phys_addr);
	v->run->mmio.data = 0x77;
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x77, uc.args[0]);

	/* Moved back, then deleted. */
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, 5, 0, EXTRA_GPA,
				     getpagesize(), extra));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x66, uc.args[0]);
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, 5, 0, 0, 0, NULL));
	ASSERT_EQ(AXVM_EXIT_MMIO, test_vcpu_run_exit(v));
	EXPECT_EQ(EXTRA_GPA, v->run->mmio.phys_addr);
}

TEST_F(run, readonly_region_writes_exit)
{
	struct test_vcpu *v;
	struct ucall uc;
	uint64_t *rom;

	if (!self->vm)
		return;
	rom = test_vm_add_region(self->vm, 5, AXVM_MEM_READONLY, EXTRA_GPA,
				 getpagesize());
	ASSERT_NE(NULL, rom);
	rom[1] = 0x99;
	v = test_vcpu_add_default(self->vm, 0, guest_store, 2, EXTRA_GPA + 8,
				  0xdeadULL);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(AXVM_EXIT_MMIO, test_vcpu_run_exit(v));
	EXPECT_EQ(EXTRA_GPA + 8, v->run->mmio.phys_addr);
	EXPECT_EQ(1, v->run->mmio.is_write);
	EXPECT_EQ(8, v->run->mmio.len);
	EXPECT_EQ(0xdead, v->run->mmio.data);
	/* Reads come from the memory, which the write did not change. */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x99, uc.args[0]);
	EXPECT_EQ(0x99, rom[1]);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_sync_loop(void)
{
	for (;;)
		GUEST_SYNC(0);
}

/* Thousands of entries leave the host healthy; every exit is counted. */
TEST_F(run, many_entries)
{
	struct axvm_exit_stats st;
	struct test_vcpu *v;
	struct ucall uc;
	int i, n = 20000;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_sync_loop, 0);
	ASSERT_NE(NULL, v);
	for (i = 0; i < n; i++)
		TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_EXIT_STATS, &st));
	EXPECT_EQ(n, st.count[AXVM_EXIT_HYPERCALL]);
	EXPECT_EQ(n, st.runs);
}

/* ------------------------------------------------------------------ */

#define ROLLOVER_VMS		6
#define ROLLOVER_ROUNDS		300
#define PRIVATE_GPA		0x200000000ULL
#define PRIVATE_SLOT		8

/* Each VM has its own page at the same address, with its own token. */
GUEST_CODE static void guest_private_page(uint64_t token)
{
	uint64_t i;

	for (i = 0;; i++) {
		GUEST_ASSERT_EQ(*(volatile uint64_t *)PRIVATE_GPA, token);
		GUEST_SYNC(i);
	}
}

struct rollover_runner {
	struct test_vcpu *vcpu[ROLLOVER_VMS];
	int nr_vcpus;
	int cpu;
	int first_round;
	int failures;
	char what[512];
};

/* Round-robin over the runner's VMs, from one CPU. */
static void *rollover_thread(void *p)
{
	struct rollover_runner *r = p;
	struct ucall uc;
	int round, i;

	test_pin_self(r->cpu);
	for (round = r->first_round;
	     round < r->first_round + ROLLOVER_ROUNDS; round++) {
		for (i = 0; i < r->nr_vcpus; i++) {
			if (test_vcpu_run_ucall(r->vcpu[i], &uc) == UCALL_SYNC &&
			    uc.args[0] == (uint64_t)round)
				continue;
			if (!r->failures++)
				test_vcpu_describe(r->vcpu[i], &uc, r->what,
						   sizeof(r->what));
		}
	}
	return NULL;
}

/*
 * Two bits of VMID for six VMs. Run round-robin from one thread, every
 * round uses up the VMIDs twice; then from two threads on both CPUs, a
 * rollover's IPI finds guests running on the other CPU. Every guest
 * keeps reading its own page. Where all VMs share one VMID (arm64 with
 * KVM built in, module.rst: vmid_alloc=N), no rollover happens and what
 * keeps each guest on its own page is the flush when another VM ran on
 * the CPU: a TLB that still held the last VM's translation of the same
 * address under the same VMID would show that VM's page.
 */
TEST_F(run, vmid_rollover)
{
	struct rollover_runner all = { .cpu = 0 };
	struct rollover_runner half[2] = {
		{ .cpu = 0, .first_round = ROLLOVER_ROUNDS },
		{ .cpu = 1, .first_round = ROLLOVER_ROUNDS },
	};
	struct test_vm *vm[ROLLOVER_VMS] = { NULL };
	long rollovers, serial, ret;
	char alloc[8];
	bool shared;
	pthread_t t[2];
	int i;

	if (!self->vm)
		return;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		half[1].cpu = 0;
	rollovers = axvm_param("vmid_rollovers");
	ASSERT_LE(0, rollovers);
	for (i = 0; i < ROLLOVER_VMS; i++) {
		struct test_vcpu *v;
		uint64_t *page;

		vm[i] = test_vm_create();
		ASSERT_NE(NULL, vm[i]);
		page = test_vm_add_region(vm[i], PRIVATE_SLOT, 0, PRIVATE_GPA,
					  4096);
		ASSERT_NE(NULL, page);
		*page = 0x1111ULL * (i + 1);
		v = test_vcpu_add_default(vm[i], 0, guest_private_page, 1,
					  *page);
		ASSERT_NE(NULL, v);
		all.vcpu[all.nr_vcpus++] = v;
		half[i % 2].vcpu[half[i % 2].nr_vcpus++] = v;
	}

	ASSERT_EQ(0, axvm_set_param("vmid_bits", 2));
	rollover_thread(&all);
	serial = axvm_param("vmid_rollovers");
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, rollover_thread,
					    &half[i]));
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ret = axvm_set_param("vmid_bits", 32);
	for (i = 0; i < ROLLOVER_VMS; i++)
		test_vm_free(vm[i]);

	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, all.failures) TH_LOG("%s", all.what);
	EXPECT_EQ(0, half[0].failures) TH_LOG("cpu 0: %s", half[0].what);
	EXPECT_EQ(0, half[1].failures) TH_LOG("cpu 1: %s", half[1].what);
	/* Three VMIDs for six VMs in turn: two rollovers a round. */
	axvm_slurp("/sys/module/axvm/parameters/vmid_alloc", alloc,
		   sizeof(alloc));
	shared = alloc[0] == 'N';
	EXPECT_LE(shared ? rollovers : rollovers + 2 * ROLLOVER_ROUNDS - 1,
		  serial);
	/* One VMID for all: no rollover at all. */
	EXPECT_TRUE(!shared || axvm_param("vmid_rollovers") == rollovers);
	TH_LOG("VMID rollovers: %ld from one thread, %ld from two",
	       serial - rollovers, axvm_param("vmid_rollovers") - serial);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_spin(void)
{
	for (;;)
		;
}

static void on_usr1(int sig)
{
}

struct spinner {
	int fd, ret, err;
};

static void *spin_thread(void *p)
{
	struct spinner *s = p;

	test_pin_self(0);
	s->ret = ioctl(s->fd, AXVM_RUN, 0);
	s->err = errno;
	return NULL;
}

/* A second RUN thread gets EBUSY; a signal makes RUN return EINTR. */
TEST_F(run, signal_and_second_thread)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	struct test_vcpu *v;
	struct spinner s;
	pthread_t t;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_spin, 0);
	ASSERT_NE(NULL, v);
	s.fd = v->fd;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, spin_thread, &s));
	nanosleep(&ts, NULL);
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_RUN, 0));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, pthread_kill(t, SIGUSR1));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-1, s.ret);
	EXPECT_EQ(EINTR, s.err);
	EXPECT_EQ(AXVM_EXIT_INTR, v->run->exit_reason);
}

GUEST_CODE static void guest_count(uint64_t n)
{
	uint64_t i, sum = 0;

	for (i = 0; i < n; i++) {
		sum += i;
		GUEST_SYNC(i, sum);
	}
}

/*
 * A vCPU allowed on CPUs 0 and 1 whose thread is moved between them
 * before every RUN: its state follows it (the VMCS is cleared on the CPU
 * it left, the TLB tags are flushed where it arrives).
 */
TEST_F(run, vcpu_moves_between_cpus)
{
	uint64_t mask[AXVM_AFFINITY_WORDS] = { 3 }, i, sum = 0;
	int seen[2] = { 0, 0 }, cpu;
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	v = test_vcpu_add(self->vm, 0, TEST_ARCH_ID_DEFAULT, mask, guest_count,
			  1, 400ULL);
	ASSERT_NE(NULL, v);
	for (i = 0; i < 400; i++) {
		test_pin_self(i & 1);
		TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
		sum += i;
		ASSERT_EQ(i, uc.args[0]);
		ASSERT_EQ(sum, uc.args[1]);
		cpu = sched_getcpu();
		if (cpu == (int)(i & 1))
			seen[cpu]++;
	}
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
	/* The thread stayed where it was put at least most of the time. */
	EXPECT_GE(seen[0], 100);
	EXPECT_GE(seen[1], 100);
}

#define STORM_ROUNDS	10
#define STORM_SLOT	5

static atomic_int storm_stop, storm_rounds, storm_moves, storm_errors;
static int storm_want, storm_retries;

/*
 * CPU 1 offline and online again, STORM_ROUNDS times or fewer as
 * AXVM_HOTPLUG_CYCLES says (Bochs, where one round takes seconds). An
 * online that overran the lane kernel's bring-up deadline is tried again
 * (axvm_cpu_online_retry()): that deadline is the machine's speed, not
 * axvm's doing.
 */
static void *hotplug_storm(void *arg)
{
	test_pin_self(0);
	while (atomic_load(&storm_rounds) < storm_want &&
	       !atomic_load(&storm_stop)) {
		if (axvm_cpu_online(1, 0) ||
		    axvm_cpu_online_retry(1, &storm_retries))
			atomic_fetch_add(&storm_errors, 1);
		atomic_fetch_add(&storm_rounds, 1);
	}
	return NULL;
}

/* The region moved back and forth: its stage-2 entries flushed each time. */
static void *region_storm(void *arg)
{
	struct test_vm *vm = arg;
	void *hva = test_gpa2hva(vm, EXTRA_GPA);
	uint64_t gpa = EXTRA_GPA;

	while (!atomic_load(&storm_stop)) {
		gpa ^= 0x200000;
		if (axvm_set_region(vm->fd, STORM_SLOT, 0, gpa, getpagesize(),
				    hva))
			atomic_fetch_add(&storm_errors, 1);
		atomic_fetch_add(&storm_moves, 1);
		sched_yield();
	}
	return NULL;
}

GUEST_CODE static void guest_read_count(uint64_t addr)
{
	uint64_t i;

	for (i = 0;; i++)
		GUEST_SYNC(i, *(volatile uint64_t *)addr);
}

/*
 * CPU 1 goes offline and online while a vCPU allowed on CPUs 0 and 1
 * runs and another thread moves a region the guest reads, so its
 * stage-2 entries are flushed on every CPU: entries and flushes never
 * reach a CPU out of virtualization operation (going offline, not yet
 * taken over), the vCPU follows its thread to the CPU left, and the
 * guest's loop loses no step.
 */
TEST_F(run, cpu_hotplug_during_runs_and_region_moves)
{
	uint64_t mask[AXVM_AFFINITY_WORDS] = { 3 }, i = 0;
	pthread_t plug, mover;
	struct test_vcpu *v;
	uint64_t *extra;
	struct ucall uc;
	int ret;

	if (!self->vm)
		return;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    access("/sys/devices/system/cpu/cpu1/online", W_OK))
		SKIP(return, "needs CPU 1 and CPU hotplug");
	extra = test_vm_add_region(self->vm, STORM_SLOT, 0, EXTRA_GPA,
				   getpagesize());
	ASSERT_NE(NULL, extra);
	*extra = 0x5a;
	v = test_vcpu_add(self->vm, 0, TEST_ARCH_ID_DEFAULT, mask,
			  guest_read_count, 1, EXTRA_GPA);
	ASSERT_NE(NULL, v);
	storm_want = axvm_env_u64("AXVM_HOTPLUG_CYCLES", STORM_ROUNDS);
	if (storm_want > STORM_ROUNDS)
		storm_want = STORM_ROUNDS;
	ASSERT_LT(0, storm_want);
	atomic_store(&storm_stop, 0);
	ASSERT_EQ(0, pthread_create(&plug, NULL, hotplug_storm, NULL));
	ASSERT_EQ(0, pthread_create(&mover, NULL, region_storm, self->vm));

	while (atomic_load(&storm_rounds) < storm_want) {
		ret = test_vcpu_run_exit(v);
		if (ret == AXVM_EXIT_MMIO) {
			/* Read while the region was elsewhere. */
			v->run->mmio.data = 0x5a;
			continue;
		}
		ASSERT_EQ(AXVM_EXIT_HYPERCALL, ret)
			TH_LOG("RUN: %d", ret);
		ASSERT_EQ(UCALL_SYNC, test_get_ucall(v, &uc));
		ASSERT_EQ(i, uc.args[0]);
		ASSERT_EQ(0x5a, uc.args[1]);
		i++;
	}
	atomic_store(&storm_stop, 1);
	pthread_join(plug, NULL);
	pthread_join(mover, NULL);
	EXPECT_EQ(0, axvm_cpu_online_retry(1, NULL));
	EXPECT_EQ(0, atomic_load(&storm_errors));
	TH_LOG("%llu guest steps, %d hotplug rounds (%d onlines tried again), %d region moves",
	       (unsigned long long)i, atomic_load(&storm_rounds),
	       storm_retries, atomic_load(&storm_moves));
}

/* A process killed while its vCPU is inside RUN leaves nothing behind. */
TEST(killed_inside_run)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	long before = axvm_module_refcnt();
	int sys = axvm_open(), can_run;
	int status;
	pid_t pid;

	ASSERT_GE(sys, 0);
	can_run = axvm_cap(sys, AXVM_CAP_RUN);
	close(sys);
	if (can_run <= 0 || !TEST_HAVE_GUEST_LIB)
		SKIP(return, "no guest entry on this lane");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct test_vm *vm = test_vm_create();
		struct test_vcpu *v = vm ? test_vcpu_add_default(vm, 0,
						guest_spin, 0) : NULL;

		if (!v)
			_exit(1);
		test_vcpu_run(v);
		_exit(2);
	}
	nanosleep(&ts, NULL);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(before, axvm_module_refcnt());
}

TEST_HARNESS_MAIN
