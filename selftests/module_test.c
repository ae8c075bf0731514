// SPDX-License-Identifier: GPL-2.0
/*
 * The module itself: rmmod refused while a VM exists and working after,
 * reload, a take-over that fails on one CPU leaving every CPU as it was,
 * and CPU offline/online while loaded. Needs the module's path in
 * $AXVM_MODULE (the test guests' init sets it).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "axvm_util.h"
#include "axvm_harness.h"

static int load(const char *params)
{
	return axvm_load_module(getenv("AXVM_MODULE"), params);
}

static int unload(void)
{
	return axvm_unload_module("axvm");
}

static bool loaded(void)
{
	return access("/sys/module/axvm", F_OK) == 0;
}

FIXTURE(mod) {
	bool can_reload;
};

FIXTURE_SETUP(mod)
{
	self->can_reload = !!getenv("AXVM_MODULE");
	ASSERT_TRUE(loaded());
}

FIXTURE_TEARDOWN(mod)
{
	/* Leave the module loaded for whatever runs next. */
	if (!loaded())
		load("");
}

TEST_F(mod, rmmod_refused_while_vm_exists)
{
	int sys, vm, vcpu;

	if (!self->can_reload)
		SKIP(return, "AXVM_MODULE not set: cannot reload the module");
	sys = axvm_open();
	ASSERT_GE(sys, 0);
	vm = ioctl(sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	close(sys);

	/* Only the VM fd holds the module now. */
	EXPECT_EQ(-EWOULDBLOCK, unload());
	EXPECT_TRUE(loaded());
	/* Still fully working. */
	vcpu = axvm_create_vcpu(vm, 0, 0);
	EXPECT_GE(vcpu, 0);
	close(vm);
	/* The vCPU alone holds its VM, and the module. */
	EXPECT_EQ(-EWOULDBLOCK, unload());
	close(vcpu);

	ASSERT_EQ(0, unload());
	EXPECT_FALSE(loaded());
	EXPECT_EQ(-1, axvm_open());
	ASSERT_EQ(0, load(""));
	sys = axvm_open();
	ASSERT_GE(sys, 0);
	vm = ioctl(sys, AXVM_CREATE_VM, 0);
	EXPECT_GE(vm, 0);
	close(vm);
	close(sys);
}

/* AXVM_MODULE_RELOADS: fewer on Bochs, where one reload takes seconds. */
TEST_F(mod, reload_many_times)
{
	int i, n;

	if (!self->can_reload)
		SKIP(return, "AXVM_MODULE not set: cannot reload the module");
	n = axvm_env_u64("AXVM_MODULE_RELOADS", 20);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, unload()) TH_LOG("round %d", i);
		ASSERT_EQ(0, load("")) TH_LOG("round %d", i);
	}
}

/*
 * Take-over failing on the last CPU: the load fails, and the CPUs already
 * taken over are given back, so a normal load works afterwards.
 */
TEST_F(mod, failed_take_over_rolls_back)
{
	int last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	char params[64];

	if (!self->can_reload)
		SKIP(return, "AXVM_MODULE not set: cannot reload the module");
	ASSERT_GE(last, 1) TH_LOG("needs two CPUs");
	ASSERT_EQ(0, unload());
	snprintf(params, sizeof(params), "fail_cpu_enable=%d", last);
	EXPECT_EQ(-EIO, load(params));
	EXPECT_FALSE(loaded());
	ASSERT_EQ(0, load(""));
	EXPECT_TRUE(loaded());
}

/* CPU hotplug gives a CPU back and takes it over again. */
TEST_F(mod, cpu_offline_online)
{
	int last = sysconf(_SC_NPROCESSORS_CONF) - 1, sys, vm, vcpu;
	struct axvm_vcpu_create c = { .id = 0 };
	struct axvm_run *run;

	if (access("/sys/devices/system/cpu/cpu1/online", F_OK))
		SKIP(return, "CPU hotplug not available");
	ASSERT_EQ(0, axvm_cpu_online(last, 0));
	ASSERT_EQ(0, axvm_cpu_online_retry(last, NULL));
	ASSERT_EQ(0, axvm_cpu_online(last, 0));

	/* While it is offline, a vCPU pinned only to it is refused. */
	sys = axvm_open();
	ASSERT_GE(sys, 0);
	vm = ioctl(sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	c.affinity[last / 64] = 1ULL << (last % 64);
	EXPECT_EQ(-1, ioctl(vm, AXVM_CREATE_VCPU, &c));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(0, axvm_cpu_online_retry(last, NULL));
	vcpu = ioctl(vm, AXVM_CREATE_VCPU, &c);
	ASSERT_GE(vcpu, 0);
	run = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);
	run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(vcpu, AXVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(last, sched_getcpu());

	/* Offlining the CPU a vCPU thread is pinned to still works. */
	EXPECT_EQ(0, axvm_cpu_online(last, 0));
	EXPECT_EQ(0, axvm_cpu_online_retry(last, NULL));
	munmap(run, getpagesize());
	close(vcpu);
	close(vm);
	close(sys);
}

/*
 * Documentation/admin-guide/devices.txt: misc (char major 10) minors
 * 243-254 are "reserved for local use". axvm takes 246 (module.rst) and
 * carries the alias char-major-10-246, as KVM has 232: the node that
 * "kmod static-nodes" makes from modules.devname then loads the module
 * on its first open, before which it is 0600 root (udev's rule makes it
 * the axvm group's).
 */
#define AXVM_MISC_MAJOR		10
#define AXVM_MISC_MINOR		246
#define STATIC_NODE		"/tmp/axvm-static-node"
#define MODPROBE_SYSCTL		"/proc/sys/kernel/modprobe"
#define MODPROBE_LOG		"/tmp/axvm-modprobe.log"	/* init.c */

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

TEST_F(mod, node_number_version_and_autoload)
{
	char version[64], saved[256], requested[256];
	struct stat st;
	int fd, err;

	ASSERT_EQ(0, stat(AXVM_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(AXVM_MISC_MAJOR, major(st.st_rdev));
	EXPECT_EQ(AXVM_MISC_MINOR, minor(st.st_rdev));
	EXPECT_EQ(0600, st.st_mode & 07777);

	/* MODULE_VERSION is dkms.conf's PACKAGE_VERSION. */
	axvm_slurp("/sys/module/axvm/version", version, sizeof(version));
	EXPECT_STREQ(AXVM_PACKAGE_VERSION "\n", version);

	if (!self->can_reload)
		SKIP(return, "AXVM_MODULE not set: cannot reload the module");
	mkdir("/tmp", 0777);
	unlink(STATIC_NODE);
	unlink(MODPROBE_LOG);
	ASSERT_EQ(0, mknod(STATIC_NODE, S_IFCHR | 0600,
			   makedev(AXVM_MISC_MAJOR, AXVM_MISC_MINOR)));
	axvm_slurp(MODPROBE_SYSCTL, saved, sizeof(saved));
	ASSERT_EQ(0, write_file(MODPROBE_SYSCTL, "/init"));
	ASSERT_EQ(0, unload());

	/* misc_open() asks for char-major-10-246; the stand-in loads axvm. */
	fd = open(STATIC_NODE, O_RDWR | O_CLOEXEC);
	err = errno;
	EXPECT_EQ(0, write_file(MODPROBE_SYSCTL, saved));
	ASSERT_GE(fd, 0) TH_LOG("open of the static node: %s", strerror(err));
	EXPECT_TRUE(loaded());
	EXPECT_EQ(AXVM_API_VERSION, ioctl(fd, AXVM_GET_API_VERSION, 0));
	axvm_slurp(MODPROBE_LOG, requested, sizeof(requested));
	EXPECT_STREQ("char-major-10-246\n", requested);
	close(fd);
	unlink(STATIC_NODE);
}

TEST_HARNESS_MAIN
