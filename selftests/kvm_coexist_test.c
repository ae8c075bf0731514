// SPDX-License-Identifier: GPL-2.0
/*
 * x86: axvm and KVM never hold VMX/SVM at the same time. While axvm is
 * loaded KVM cannot create a VM; while a KVM VM exists axvm refuses to
 * load, with EBUSY and the CPUs left as they were. Needs the test
 * kernel's KVM modules in /kvm and the module's path in $AXVM_MODULE.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <linux/kvm.h>

#include "axvm_util.h"
#include "axvm_harness.h"

/* Already loaded counts as loaded. */
static int load(const char *path)
{
	int ret = axvm_load_module(path, "");

	return ret == -EEXIST ? 0 : ret;
}

static int unload(const char *name)
{
	return axvm_unload_module(name);
}

FIXTURE(kvm) {
	const char *vendor;
};

FIXTURE_SETUP(kvm)
{
	int sys = axvm_open();

	ASSERT_GE(sys, 0);
	self->vendor = axvm_cap(sys, AXVM_CAP_ARCH) == AXVM_ARCH_X86_VMX ?
		       "kvm_intel" : "kvm_amd";
	close(sys);
	ASSERT_EQ(0, load("/kvm/irqbypass.ko"));
	ASSERT_EQ(0, load("/kvm/kvm.ko"));
	ASSERT_EQ(0, load(strcmp(self->vendor, "kvm_intel") ?
			  "/kvm/kvm-amd.ko" : "/kvm/kvm-intel.ko"));
}

FIXTURE_TEARDOWN(kvm)
{
	unload(self->vendor);
	unload("kvm");
	unload("irqbypass");
	if (access("/sys/module/axvm", F_OK))
		load(getenv("AXVM_MODULE"));
}

TEST_F(kvm, kvm_refused_while_axvm_loaded)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	ASSERT_GE(kvm, 0);
	EXPECT_EQ(-1, ioctl(kvm, KVM_CREATE_VM, 0));
	EXPECT_EQ(EBUSY, errno);
	close(kvm);
}

TEST_F(kvm, axvm_refused_while_kvm_holds)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, vcpu;

	ASSERT_GE(kvm, 0);
	ASSERT_TRUE(!!getenv("AXVM_MODULE"));
	ASSERT_EQ(0, unload("axvm"));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	EXPECT_EQ(-EBUSY, load(getenv("AXVM_MODULE")));
	EXPECT_NE(0, access("/sys/module/axvm", F_OK));
	/* KVM is unaffected: its VM still works. */
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	EXPECT_GE(vcpu, 0);
	/* KVM gives the CPUs back when its last VM reference goes. */
	close(vcpu);
	close(vm);
	close(kvm);
	EXPECT_EQ(0, load(getenv("AXVM_MODULE")));
}

TEST_HARNESS_MAIN
