// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU objects: creation limits, lifetime in any fd close order,
 * fork, process exit, the run page, RUN semantics that need no guest.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>

#include "axvm_util.h"
#include "axvm_harness.h"

FIXTURE(vm) {
	int sys;
	int vm;
};

FIXTURE_SETUP(vm)
{
	self->sys = axvm_open();
	ASSERT_GE(self->sys, 0);
	self->vm = ioctl(self->sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(self->vm, 0);
}

FIXTURE_TEARDOWN(vm)
{
	close(self->vm);
	close(self->sys);
}

TEST_F(vm, many_vms)
{
	int i, fd, vcpu;

	for (i = 0; i < 500; i++) {
		fd = ioctl(self->sys, AXVM_CREATE_VM, 0);
		ASSERT_GE(fd, 0) TH_LOG("VM %d: %s", i, strerror(errno));
		vcpu = axvm_create_vcpu(fd, 0, 0);
		ASSERT_GE(vcpu, 0);
		/* Leave the vCPU fd open past its VM's fd half the time. */
		if (i & 1) {
			close(fd);
			close(vcpu);
		} else {
			close(vcpu);
			close(fd);
		}
	}
}

TEST_F(vm, max_vcpus)
{
	int max = axvm_cap(self->sys, AXVM_CAP_MAX_VCPUS);
	int fds[64], i;

	ASSERT_EQ(64, max);
	for (i = 0; i < max; i++) {
		fds[i] = axvm_create_vcpu(self->vm, i, axvm_arch_id(i));
		ASSERT_GE(fds[i], 0) TH_LOG("vCPU %d: %s", i, strerror(errno));
	}
	EXPECT_EQ(-1, axvm_create_vcpu(self->vm, max, axvm_arch_id(max)));
	EXPECT_EQ(ENOSPC, errno);
	/* Closing one frees its place and its id. */
	close(fds[7]);
	fds[7] = axvm_create_vcpu(self->vm, 7, axvm_arch_id(7));
	EXPECT_GE(fds[7], 0);
	for (i = 0; i < max; i++)
		close(fds[i]);
}

TEST_F(vm, vcpu_ids)
{
	int max_id = axvm_cap(self->sys, AXVM_CAP_MAX_VCPU_ID);
	int a, b;

	a = axvm_create_vcpu(self->vm, max_id - 1, axvm_arch_id(1));
	ASSERT_GE(a, 0);
	EXPECT_EQ(-1, axvm_create_vcpu(self->vm, max_id, axvm_arch_id(2)));
	EXPECT_EQ(EINVAL, errno);
	/* The same vCPU id twice. */
	EXPECT_EQ(-1, axvm_create_vcpu(self->vm, max_id - 1, axvm_arch_id(3)));
	EXPECT_EQ(EEXIST, errno);
	/* The same guest CPU identity twice. */
	EXPECT_EQ(-1, axvm_create_vcpu(self->vm, 0, axvm_arch_id(1)));
	EXPECT_EQ(EEXIST, errno);
	b = axvm_create_vcpu(self->vm, 0, axvm_arch_id(0));
	EXPECT_GE(b, 0);
	if (axvm_bad_arch_id()) {
		EXPECT_EQ(-1, axvm_create_vcpu(self->vm, 5, axvm_bad_arch_id()));
		EXPECT_EQ(EINVAL, errno);
	}
	close(a);
	close(b);
}

TEST_F(vm, close_orders)
{
	int vcpu[3], vm2, i;

	/* VM first, vCPUs after; the vCPUs keep working meanwhile. */
	vm2 = ioctl(self->sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(vm2, 0);
	for (i = 0; i < 3; i++)
		ASSERT_GE(vcpu[i] = axvm_create_vcpu(vm2, i, axvm_arch_id(i)), 0);
	close(vm2);
	for (i = 0; i < 3; i++) {
		struct axvm_regs regs;

		EXPECT_EQ(0, ioctl(vcpu[i], AXVM_GET_REGS, &regs));
		close(vcpu[i]);
	}

	/* Interleaved. */
	vm2 = ioctl(self->sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(vm2, 0);
	for (i = 0; i < 3; i++)
		ASSERT_GE(vcpu[i] = axvm_create_vcpu(vm2, i, axvm_arch_id(i)), 0);
	close(vcpu[1]);
	close(vm2);
	close(vcpu[2]);
	close(vcpu[0]);

	/* The system fd is independent of its VMs. */
	{
		int sys2 = axvm_open();

		ASSERT_GE(sys2, 0);
		vm2 = ioctl(sys2, AXVM_CREATE_VM, 0);
		ASSERT_GE(vm2, 0);
		close(sys2);
		EXPECT_GE(vcpu[0] = axvm_create_vcpu(vm2, 0, 0), 0);
		close(vm2);
		close(vcpu[0]);
	}
}

/* A child that exits with everything open leaves nothing behind. */
TEST_F(vm, process_exit_releases_all)
{
	long before = axvm_module_refcnt();
	size_t size = 1 << 20;
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int sys = axvm_open(), vm, i;
		void *mem = axvm_alloc(size);

		vm = ioctl(sys, AXVM_CREATE_VM, 0);
		if (vm < 0 || !mem || axvm_set_region(vm, 0, 0, 0, size, mem))
			_exit(1);
		for (i = 0; i < 4; i++)
			if (axvm_create_vcpu(vm, i, axvm_arch_id(i)) < 0)
				_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	if (before >= 0)
		EXPECT_EQ(before, axvm_module_refcnt());
}

/* Only the creating process drives a VM: a forked child gets EIO. */
TEST_F(vm, forked_child)
{
	int vcpu = axvm_create_vcpu(self->vm, 0, 0);
	size_t size = 1 << 16;
	void *mem = axvm_alloc(size);
	pid_t pid;
	int status;

	ASSERT_GE(vcpu, 0);
	ASSERT_NE(NULL, mem);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct axvm_regs regs;
		int bad = 0;

		if (axvm_set_region(self->vm, 0, 0, 0, size, mem) != -1 ||
		    errno != EIO)
			bad |= 1;
		if (axvm_create_vcpu(self->vm, 1, axvm_arch_id(1)) != -1 ||
		    errno != EIO)
			bad |= 2;
		if (ioctl(vcpu, AXVM_GET_REGS, &regs) != -1 || errno != EIO)
			bad |= 4;
		if (ioctl(vcpu, AXVM_RUN, 0) != -1 || errno != EIO)
			bad |= 8;
		/* System ioctls belong to no VM and work anywhere. */
		if (ioctl(self->sys, AXVM_GET_API_VERSION, 0) != AXVM_API_VERSION)
			bad |= 16;
		close(vcpu);
		close(self->vm);
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The parent is unaffected by the child's closes. */
	EXPECT_EQ(0, axvm_set_region(self->vm, 0, 0, 0, size, mem));
	close(vcpu);
}

TEST_F(vm, run_page)
{
	long psz = sysconf(_SC_PAGESIZE);
	int vcpu = axvm_create_vcpu(self->vm, 0, 0);
	struct axvm_run *run;
	void *p;

	ASSERT_GE(vcpu, 0);
	run = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);
	EXPECT_EQ(0, run->exit_reason);
	EXPECT_EQ(0, run->immediate_exit);
	/* Past the page, or more than the page: refused. */
	p = mmap(NULL, psz, PROT_READ, MAP_SHARED, vcpu, psz);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 2 * psz, PROT_READ, MAP_SHARED, vcpu, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* The mapping keeps the vCPU alive after its fd is closed. */
	close(vcpu);
	run->immediate_exit = 0;
	EXPECT_EQ(0, munmap(run, psz));
}

TEST_F(vm, immediate_exit)
{
	long psz = sysconf(_SC_PAGESIZE);
	int vcpu = axvm_create_vcpu(self->vm, 0, 0);
	struct axvm_exit_stats st;
	struct axvm_run *run;

	ASSERT_GE(vcpu, 0);
	run = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);
	run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(vcpu, AXVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(AXVM_EXIT_INTR, run->exit_reason);
	ASSERT_EQ(0, ioctl(vcpu, AXVM_GET_EXIT_STATS, &st));
	EXPECT_EQ(1, st.count[AXVM_EXIT_INTR]);
	EXPECT_EQ(0, st.runs);
	munmap(run, psz);
	close(vcpu);
}

/*
 * RUN takes no argument; until the lane's backend enters guests, RUN
 * says so (where it does, the backend's own tests run guests).
 */
TEST_F(vm, run_arg_and_backend)
{
	int vcpu = axvm_create_vcpu(self->vm, 0, 0);
	struct axvm_exit_stats st;

	ASSERT_GE(vcpu, 0);
	if (!axvm_cap(self->sys, AXVM_CAP_RUN)) {
		EXPECT_EQ(-1, ioctl(vcpu, AXVM_RUN, 0));
		EXPECT_EQ(EOPNOTSUPP, errno);
	}
	EXPECT_EQ(-1, ioctl(vcpu, AXVM_RUN, 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(vcpu, AXVM_GET_EXIT_STATS, &st));
	EXPECT_EQ(0, st.runs);
	close(vcpu);
}

/* RUN pins the calling thread to the vCPU's affinity mask. */
TEST_F(vm, run_pins_thread)
{
	long psz = sysconf(_SC_PAGESIZE);
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), target = ncpu - 1, vcpu;
	struct axvm_vcpu_create c = { .id = 0 };
	struct axvm_run *run;
	cpu_set_t set;

	c.affinity[target / 64] = 1ULL << (target % 64);
	vcpu = ioctl(self->vm, AXVM_CREATE_VCPU, &c);
	ASSERT_GE(vcpu, 0);
	run = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);
	run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(vcpu, AXVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(set), &set));
	EXPECT_EQ(1, CPU_COUNT(&set));
	EXPECT_TRUE(CPU_ISSET(target, &set));
	EXPECT_EQ(target, sched_getcpu());
	munmap(run, psz);
	close(vcpu);
}

/* Default affinity: online CPU number (id mod online CPUs). */
TEST_F(vm, default_affinity)
{
	long psz = sysconf(_SC_PAGESIZE);
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), id = 3, vcpu;
	struct axvm_run *run;
	cpu_set_t set;

	vcpu = axvm_create_vcpu(self->vm, id, 0);
	ASSERT_GE(vcpu, 0);
	run = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);
	run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(vcpu, AXVM_RUN, 0));
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(set), &set));
	EXPECT_EQ(1, CPU_COUNT(&set));
	/* The guests boot with CPUs 0..n-1 all online. */
	EXPECT_TRUE(CPU_ISSET(id % ncpu, &set));
	munmap(run, psz);
	close(vcpu);
}

TEST_F(vm, bad_affinity)
{
	struct axvm_vcpu_create c = { .id = 0 };

	/* A CPU number no kernel of this size can have. */
	c.affinity[AXVM_AFFINITY_WORDS - 1] = 1ULL << 63;
	EXPECT_EQ(-1, ioctl(self->vm, AXVM_CREATE_VCPU, &c));
	EXPECT_EQ(EINVAL, errno);
	c.affinity[AXVM_AFFINITY_WORDS - 1] = 0;
	c.flags = 1U << 31;
	EXPECT_EQ(-1, ioctl(self->vm, AXVM_CREATE_VCPU, &c));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * api.rst: AXVM_CAP_VCPU_FLAGS lists the creation flags the backend
 * takes (AXVM_VCPU_PASSTHROUGH_TIMER on arm64 only); any other flag
 * fails with EINVAL and creates nothing.
 */
TEST_F(vm, vcpu_creation_flags)
{
	struct axvm_vcpu_create c = { .id = 0 };
	int sys = axvm_open(), fd;
	long flags;
	unsigned int bit;

	ASSERT_LE(0, sys);
	flags = axvm_cap(sys, AXVM_CAP_VCPU_FLAGS);
	close(sys);
#ifdef __aarch64__
	EXPECT_EQ(AXVM_VCPU_PASSTHROUGH_TIMER, flags);
#else
	EXPECT_EQ(0, flags);
#endif
	for (bit = 0; bit < 32; bit++) {
		c.flags = 1U << bit;
		fd = ioctl(self->vm, AXVM_CREATE_VCPU, &c);
		if (flags & c.flags) {
			EXPECT_LE(0, fd) TH_LOG("flag %#x: %s", c.flags,
						strerror(errno));
			close(fd);
			c.id++;
			continue;
		}
		EXPECT_EQ(-1, fd) TH_LOG("flag %#x was taken", c.flags);
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(vm, registers_round_trip)
{
	int vcpu = axvm_create_vcpu(self->vm, 0, 0);
	struct axvm_regs in, out;
	struct axvm_sysreg sr;
	int i;

	ASSERT_GE(vcpu, 0);
	ASSERT_EQ(0, ioctl(vcpu, AXVM_GET_REGS, &in));
#if defined(__x86_64__)
	/* Architectural reset: real mode at F000:FFF0. */
	EXPECT_EQ(0xfff0, in.pc);
	EXPECT_EQ(2, in.pstate);
	for (i = 0; i < 16; i++)
		in.gpr[i] = 0x1111111111111111ULL * (i + 1);
	in.pstate = 0x202;
#elif defined(__aarch64__)
	EXPECT_EQ(0x3c5, in.pstate);	/* EL1h, DAIF masked */
	for (i = 0; i < 32; i++)
		in.gpr[i] = 0x0101010101010101ULL * (i + 1);
	in.pstate = 0x3c4;		/* EL1t */
#else
	for (i = 1; i < 32; i++)
		in.gpr[i] = 0x0101010101010101ULL * (i + 1);
#endif
	in.pc = 0x80001000;
	ASSERT_EQ(0, ioctl(vcpu, AXVM_SET_REGS, &in));
	ASSERT_EQ(0, ioctl(vcpu, AXVM_GET_REGS, &out));
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));

	/* A canonical address: x86 refuses a non-canonical LSTAR. */
	sr.id = axvm_test_sysreg();
	sr.value = 0xffff800012345000ULL;
	ASSERT_EQ(0, ioctl(vcpu, AXVM_SET_SYSREG, &sr));
	sr.value = 0;
	ASSERT_EQ(0, ioctl(vcpu, AXVM_GET_SYSREG, &sr));
	EXPECT_EQ(0xffff800012345000ULL, sr.value);
	close(vcpu);
}

TEST_F(vm, inject_irq)
{
	int vcpu = axvm_create_vcpu(self->vm, 0, 0);
	int nr = axvm_cap(self->sys, AXVM_CAP_NR_IRQS);
	struct axvm_irq irq = { .irq = nr - 1, .flags = AXVM_IRQ_LEVEL_HIGH };

	ASSERT_GE(vcpu, 0);
	/* A GICv2 host: no CPU interface without its irqchip (api.rst). */
	if (axvm_cap(self->sys, AXVM_CAP_IRQCHIP) == 1 << AXVM_IRQCHIP_GICV2) {
		EXPECT_EQ(-1, ioctl(vcpu, AXVM_INJECT_IRQ, &irq));
		EXPECT_EQ(ENODEV, errno);
		close(vcpu);
		return;
	}
	EXPECT_EQ(0, ioctl(vcpu, AXVM_INJECT_IRQ, &irq));
	irq.flags = 0;
	EXPECT_EQ(0, ioctl(vcpu, AXVM_INJECT_IRQ, &irq));
	irq.irq = nr;
	EXPECT_EQ(-1, ioctl(vcpu, AXVM_INJECT_IRQ, &irq));
	EXPECT_EQ(EINVAL, errno);
	irq.irq = 0;
	irq.flags = 2;
	EXPECT_EQ(-1, ioctl(vcpu, AXVM_INJECT_IRQ, &irq));
	EXPECT_EQ(EINVAL, errno);
	close(vcpu);
}

struct race_arg {
	int vm;
	int index;
	char *mem;
	int failures;
};

/* One thread of the race: create and close vCPUs, add and drop regions. */
static void *race_thread(void *p)
{
	struct race_arg *a = p;
	size_t psz = sysconf(_SC_PAGESIZE);
	int i, fd, ret;

	for (i = 0; i < 300; i++) {
		fd = axvm_create_vcpu(a->vm, a->index, axvm_arch_id(a->index));
		if (fd < 0)
			a->failures++;
		ret = axvm_set_region(a->vm, a->index, 0,
				      (uint64_t)a->index << 20, 16 * psz,
				      a->mem + a->index * 16 * psz);
		/* Another thread's region never overlaps this one. */
		if (ret)
			a->failures++;
		if (axvm_set_region(a->vm, a->index, 0, 0, 0, NULL))
			a->failures++;
		close(fd);
	}
	return NULL;
}

/* Threads racing on one VM: no failure, no leak, no lockdep splat. */
TEST_F(vm, threads_race)
{
	size_t psz = sysconf(_SC_PAGESIZE);
	struct race_arg args[4];
	pthread_t t[4];
	long locked = axvm_status_kb("VmLck");
	char *mem = axvm_alloc(4 * 16 * psz);
	int i;

	ASSERT_NE(NULL, mem);
	for (i = 0; i < 4; i++) {
		args[i] = (struct race_arg){ .vm = self->vm, .index = i,
					     .mem = mem };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race_thread, &args[i]));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, args[i].failures) TH_LOG("thread %d", i);
	}
	EXPECT_EQ(locked, axvm_status_kb("VmLck"));
	munmap(mem, 4 * 16 * psz);
}

TEST_HARNESS_MAIN
