// SPDX-License-Identifier: GPL-2.0
/* The system ioctls: API version, capabilities, VM creation. */
#include "axvm_util.h"
#include "axvm_harness.h"

FIXTURE(sys) {
	int fd;
};

FIXTURE_SETUP(sys)
{
	self->fd = axvm_open();
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", AXVM_DEV, strerror(errno));
}

FIXTURE_TEARDOWN(sys)
{
	close(self->fd);
}

TEST_F(sys, api_version)
{
	EXPECT_EQ(AXVM_API_VERSION, ioctl(self->fd, AXVM_GET_API_VERSION, 0));
	EXPECT_EQ(-1, ioctl(self->fd, AXVM_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(sys, arch_capability)
{
	int arch = axvm_cap(self->fd, AXVM_CAP_ARCH);

#if defined(__aarch64__)
	EXPECT_EQ(AXVM_ARCH_ARM64, arch);
#elif defined(__riscv)
	EXPECT_EQ(AXVM_ARCH_RISCV64, arch);
#else
	EXPECT_TRUE(arch == AXVM_ARCH_X86_VMX || arch == AXVM_ARCH_X86_SVM);
#endif
	TH_LOG("arch %d, run %d", arch, axvm_cap(self->fd, AXVM_CAP_RUN));
}

TEST_F(sys, capabilities)
{
	EXPECT_EQ(64, axvm_cap(self->fd, AXVM_CAP_MAX_VCPUS));
	EXPECT_EQ(256, axvm_cap(self->fd, AXVM_CAP_MAX_VCPU_ID));
	EXPECT_EQ(32, axvm_cap(self->fd, AXVM_CAP_NR_MEM_REGIONS));
	EXPECT_EQ(1, axvm_cap(self->fd, AXVM_CAP_READONLY_MEM));
	EXPECT_EQ(AXVM_EXIT_REASONS, axvm_cap(self->fd, AXVM_CAP_EXIT_STATS));
	EXPECT_EQ(1, axvm_cap(self->fd, AXVM_CAP_IMMEDIATE_EXIT));
	EXPECT_GE(axvm_cap(self->fd, AXVM_CAP_GUEST_PHYS_BITS), 36);
	EXPECT_LE(axvm_cap(self->fd, AXVM_CAP_GUEST_PHYS_BITS), 52);
#if defined(__riscv)
	EXPECT_EQ(11, axvm_cap(self->fd, AXVM_CAP_NR_IRQS));	/* hvip bits */
#else
	EXPECT_GE(axvm_cap(self->fd, AXVM_CAP_NR_IRQS), 32);
#endif
	EXPECT_TRUE(axvm_cap(self->fd, AXVM_CAP_RUN) == 0 ||
		    axvm_cap(self->fd, AXVM_CAP_RUN) == 1);
#if defined(__x86_64__)
	EXPECT_EQ(256, axvm_cap(self->fd, AXVM_CAP_CPUID));
#else
	EXPECT_EQ(0, axvm_cap(self->fd, AXVM_CAP_CPUID));
#endif
	/* Unknown capabilities read as unsupported, never as an error. */
	EXPECT_EQ(0, axvm_cap(self->fd, 0));
	EXPECT_EQ(0, axvm_cap(self->fd, 9999));
	EXPECT_EQ(0, ioctl(self->fd, AXVM_CHECK_CAP, -1L));
}

TEST_F(sys, vcpu_mmap_size)
{
	EXPECT_EQ(sysconf(_SC_PAGESIZE),
		  ioctl(self->fd, AXVM_GET_VCPU_MMAP_SIZE, 0));
	EXPECT_GE((long)sysconf(_SC_PAGESIZE), (long)sizeof(struct axvm_run));
	EXPECT_EQ(-1, ioctl(self->fd, AXVM_GET_VCPU_MMAP_SIZE, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(sys, create_vm)
{
	int vm = ioctl(self->fd, AXVM_CREATE_VM, 0);

	ASSERT_GE(vm, 0);
	EXPECT_EQ(FD_CLOEXEC, fcntl(vm, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, close(vm));
	EXPECT_EQ(-1, ioctl(self->fd, AXVM_CREATE_VM, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(sys, unknown_ioctl)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(AXVMIO, 0x7f), 0));
	EXPECT_EQ(ENOTTY, errno);
	/* VM and vCPU ioctls are not system ioctls. */
	EXPECT_EQ(-1, ioctl(self->fd, AXVM_RUN, 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, AXVM_CREATE_VCPU, NULL));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_HARNESS_MAIN
