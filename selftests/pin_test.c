// SPDX-License-Identifier: GPL-2.0
/*
 * Where RUN lets its thread run: the vCPU's affinity, but never outside
 * the thread's own CPUs. sched_setaffinity(2): "If the thread is
 * attached to a cpuset, the affinity mask is restricted to the CPUs of
 * the cpuset"; a mask with none of them is EINVAL. RUN pins its thread
 * itself, so it must keep the same rule, and must not undo a narrower
 * mask that someone else set on the thread (the administrator's
 * taskset). Documentation/api.rst, AXVM_RUN.
 *
 * Each test runs in its own process, which it moves into a cgroup v2
 * cpuset holding only the last CPU, and out again at the end.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "axvm_util.h"
#include "axvm_harness.h"

#define CGROOT	"/sys/fs/cgroup"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -errno;
	close(fd);
	return ret;
}

/* A vCPU with @mask as its affinity and its run page, immediate_exit set. */
static int vcpu_on(int vm, unsigned int id, const cpu_set_t *mask,
		   struct axvm_run **run)
{
	struct axvm_vcpu_create c = { .id = id, .arch_id = axvm_arch_id(id) };
	int cpu, fd;

	for (cpu = 0; cpu < CPU_SETSIZE && cpu < AXVM_AFFINITY_WORDS * 64; cpu++)
		if (CPU_ISSET(cpu, mask))
			c.affinity[cpu / 64] |= 1ULL << (cpu % 64);
	fd = ioctl(vm, AXVM_CREATE_VCPU, &c);
	if (fd < 0)
		return -1;
	*run = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	if (*run == MAP_FAILED)
		return -1;
	(*run)->immediate_exit = 1;
	return fd;
}

/* RUN with immediate_exit: pins, enters nothing, returns EINTR. */
static int run_errno(int vcpu)
{
	return ioctl(vcpu, AXVM_RUN, 0) ? errno : 0;
}

static cpu_set_t cpus_of(int a, int b)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(a, &s);
	CPU_SET(b, &s);
	return s;
}

static cpu_set_t one_cpu(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return s;
}

/* The cpuset at @dir holds CPUs @first to @last. */
static int set_cpuset(const char *dir, int first, int last)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "%s/cpuset.cpus", dir);
	snprintf(buf, sizeof(buf), "%d-%d", first, last);
	return write_str(path, buf);
}

static cpu_set_t my_mask(void)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	sched_getaffinity(0, sizeof(s), &s);
	return s;
}

FIXTURE(cpuset) {
	int sys, vm;
	int last;		/* the cpuset's only CPU */
	char dir[64];
	bool moved;
};

FIXTURE_SETUP(cpuset)
{
	char path[128], buf[256], pid[16];

	self->last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	if (self->last < 1)
		SKIP(return, "needs 2 CPUs");
	/* /init mounts no cgroup file system; a second mount is EBUSY. */
	if (mount("none", CGROOT, "cgroup2", 0, NULL) && errno != EBUSY)
		ASSERT_EQ(0, -errno) TH_LOG("mount cgroup2: %s", strerror(errno));
	axvm_slurp(CGROOT "/cgroup.controllers", buf, sizeof(buf));
	if (!strstr(buf, "cpuset"))
		SKIP(return, "the kernel has no cpuset controller");
	ASSERT_EQ(0, write_str(CGROOT "/cgroup.subtree_control", "+cpuset"));
	snprintf(self->dir, sizeof(self->dir), CGROOT "/axvm-pin-%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	ASSERT_EQ(0, set_cpuset(self->dir, self->last, self->last));
	snprintf(path, sizeof(path), "%s/cgroup.procs", self->dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(0, write_str(path, pid));
	self->moved = true;

	self->sys = axvm_open();
	ASSERT_GE(self->sys, 0);
	self->vm = ioctl(self->sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(self->vm, 0);
}

FIXTURE_TEARDOWN(cpuset)
{
	char pid[16];

	if (self->last < 1 || !self->dir[0])
		return;
	close(self->vm);
	close(self->sys);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (self->moved)
		write_str(CGROOT "/cgroup.procs", pid);
	rmdir(self->dir);
}

/*
 * The cpuset holds the last CPU only. A vCPU that may run on CPU 0 and
 * the last runs on the last: the intersection.
 */
TEST_F(cpuset, run_stays_inside_the_cpuset)
{
	cpu_set_t both = cpus_of(0, self->last), mask;
	struct axvm_run *run;
	int vcpu;

	mask = my_mask();
	ASSERT_EQ(1, CPU_COUNT(&mask));
	vcpu = vcpu_on(self->vm, 0, &both, &run);
	ASSERT_GE(vcpu, 0);
	EXPECT_EQ(EINTR, run_errno(vcpu));
	mask = my_mask();
	EXPECT_EQ(1, CPU_COUNT(&mask));
	EXPECT_TRUE(CPU_ISSET(self->last, &mask));
	EXPECT_FALSE(CPU_ISSET(0, &mask));
	EXPECT_EQ(self->last, sched_getcpu());
}

/* A vCPU whose CPUs are all outside the cpuset: EINVAL, nothing runs. */
TEST_F(cpuset, affinity_outside_the_cpuset_is_einval)
{
	struct axvm_exit_stats st;
	struct axvm_run *run;
	cpu_set_t cpu0, mask;
	int vcpu;

	cpu0 = one_cpu(0);
	vcpu = vcpu_on(self->vm, 0, &cpu0, &run);
	ASSERT_GE(vcpu, 0);
	run->immediate_exit = 0;
	EXPECT_EQ(EINVAL, run_errno(vcpu));
	mask = my_mask();
	EXPECT_FALSE(CPU_ISSET(0, &mask));
	ASSERT_EQ(0, ioctl(vcpu, AXVM_GET_EXIT_STATS, &st));
	EXPECT_EQ(0, st.runs);
}

/*
 * The cpuset grows to every CPU, RUN spreads the thread over the vCPU's
 * two; the administrator then pins the thread to one of them. Later
 * RUNs keep that pin: RUN narrows a mask and never widens it back.
 */
TEST_F(cpuset, run_keeps_an_administrators_pin)
{
	cpu_set_t both = cpus_of(0, self->last), one, mask;
	struct axvm_run *run;
	int vcpu;

	ASSERT_EQ(0, set_cpuset(self->dir, 0, self->last));
	vcpu = vcpu_on(self->vm, 0, &both, &run);
	ASSERT_GE(vcpu, 0);
	EXPECT_EQ(EINTR, run_errno(vcpu));
	mask = my_mask();
	EXPECT_TRUE(CPU_EQUAL(&both, &mask));

	one = one_cpu(self->last);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	EXPECT_EQ(EINTR, run_errno(vcpu));
	EXPECT_EQ(EINTR, run_errno(vcpu));
	mask = my_mask();
	EXPECT_TRUE(CPU_EQUAL(&one, &mask));
}

/*
 * One thread runs two vCPUs in turn, each on its own CPU: each RUN
 * narrows the thread's own mask (the whole cpuset), not the mask the
 * other vCPU gave it.
 */
TEST_F(cpuset, one_thread_runs_two_vcpus_in_turn)
{
	struct axvm_run *run0, *run1;
	cpu_set_t c0, c1, mask;
	int v0, v1, i;

	ASSERT_EQ(0, set_cpuset(self->dir, 0, self->last));
	c0 = one_cpu(0);
	c1 = one_cpu(self->last);
	v0 = vcpu_on(self->vm, 0, &c0, &run0);
	v1 = vcpu_on(self->vm, 1, &c1, &run1);
	ASSERT_GE(v0, 0);
	ASSERT_GE(v1, 0);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(EINTR, run_errno(v0));
		mask = my_mask();
		EXPECT_TRUE(CPU_EQUAL(&c0, &mask));
		EXPECT_EQ(EINTR, run_errno(v1));
		mask = my_mask();
		EXPECT_TRUE(CPU_EQUAL(&c1, &mask));
	}
}

struct second {
	int vcpu, err;
	cpu_set_t mask;
};

static void *run_second(void *p)
{
	struct second *s = p;

	s->err = run_errno(s->vcpu);
	s->mask = my_mask();
	return NULL;
}

/*
 * A thread started by one RUN pinned inherits that pin; it is RUN's, not
 * the thread's own, so the new thread may still run a vCPU elsewhere.
 */
TEST_F(cpuset, a_thread_started_by_a_pinned_one_is_not_stuck)
{
	struct axvm_run *run0, *run1;
	struct second s = { 0 };
	cpu_set_t c0, c1, mask;
	pthread_t t;
	int v0;

	ASSERT_EQ(0, set_cpuset(self->dir, 0, self->last));
	c0 = one_cpu(0);
	c1 = one_cpu(self->last);
	v0 = vcpu_on(self->vm, 0, &c0, &run0);
	s.vcpu = vcpu_on(self->vm, 1, &c1, &run1);
	ASSERT_GE(v0, 0);
	ASSERT_GE(s.vcpu, 0);
	EXPECT_EQ(EINTR, run_errno(v0));
	mask = my_mask();
	ASSERT_TRUE(CPU_EQUAL(&c0, &mask));
	ASSERT_EQ(0, pthread_create(&t, NULL, run_second, &s));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(EINTR, s.err);
	EXPECT_TRUE(CPU_EQUAL(&c1, &s.mask));
}

/*
 * The cpuset moves away from the vCPU's CPUs while the thread sits
 * pinned: the cpuset code rewrites the thread's mask, and the next RUN
 * is EINVAL instead of putting the thread back outside its set.
 */
TEST_F(cpuset, cpuset_shrinking_away_is_einval)
{
	cpu_set_t c0, mask;
	struct axvm_run *run;
	int vcpu;

	ASSERT_EQ(0, set_cpuset(self->dir, 0, self->last));
	c0 = one_cpu(0);
	vcpu = vcpu_on(self->vm, 0, &c0, &run);
	ASSERT_GE(vcpu, 0);
	EXPECT_EQ(EINTR, run_errno(vcpu));
	mask = my_mask();
	EXPECT_TRUE(CPU_EQUAL(&c0, &mask));

	ASSERT_EQ(0, set_cpuset(self->dir, self->last, self->last));
	mask = my_mask();
	EXPECT_FALSE(CPU_ISSET(0, &mask));
	EXPECT_EQ(EINVAL, run_errno(vcpu));
	mask = my_mask();
	EXPECT_FALSE(CPU_ISSET(0, &mask));
}

TEST_HARNESS_MAIN
