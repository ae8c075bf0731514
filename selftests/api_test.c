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

static int set_filter(int vm, uint32_t base, uint32_t nr, uint32_t action,
		      uint32_t flags)
{
	struct axvm_hypercall_filter f = {
		.base = base, .nr = nr, .action = action, .flags = flags,
	};

	return ioctl(vm, AXVM_SET_HYPERCALL_FILTER, &f) ? errno : 0;
}

/*
 * AXVM_SET_HYPERCALL_FILTER (api.rst): arm64 only; a range is 1 to 2^32
 * - base ids, never the Arm Architecture calls (SMCCC owner 0), never
 * overlapping another, set before the first vCPU; flags and actions
 * beyond USER are EINVAL.
 */
TEST_F(sys, hypercall_filter_arguments)
{
	struct axvm_vcpu_create cfg = { .id = 0 };
	int vm = ioctl(self->fd, AXVM_CREATE_VM, 0);

	ASSERT_GE(vm, 0);
#if defined(__aarch64__)
	EXPECT_EQ(128, axvm_cap(self->fd, AXVM_CAP_HYPERCALL_FILTER));
	EXPECT_EQ(EINVAL, set_filter(vm, 0xc6000000, 0, 2, 0));
	EXPECT_EQ(EINVAL, set_filter(vm, 0xc6000000, 1, 3, 0));
	EXPECT_EQ(EINVAL, set_filter(vm, 0xc6000000, 1, 2, 1));
	EXPECT_EQ(EINVAL, set_filter(vm, 0xffffffff, 2, 2, 0));
	EXPECT_EQ(EINVAL, set_filter(vm, 0x80000000, 1, 2, 0));
	EXPECT_EQ(EINVAL, set_filter(vm, 0x7fffff00, 0x200, 2, 0));
	EXPECT_EQ(EINVAL, set_filter(vm, 0xc000ffff, 1, 1, 0));
	EXPECT_EQ(0, set_filter(vm, 0x80010000, 1, 2, 0));
	EXPECT_EQ(0, set_filter(vm, 0xc6000000, 0x100, 2, 0));
	EXPECT_EQ(EEXIST, set_filter(vm, 0xc60000ff, 1, 1, 0));
	EXPECT_EQ(EEXIST, set_filter(vm, 0xc5ffff00, 0x101, 1, 0));
	EXPECT_EQ(0, set_filter(vm, 0xc6000100, 1, 1, 0));
	EXPECT_EQ(0, set_filter(vm, 0xffffffff, 1, 0, 0));
	EXPECT_EQ(-1, ioctl(vm, AXVM_SET_HYPERCALL_FILTER, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_LE(0, ioctl(vm, AXVM_CREATE_VCPU, &cfg));
	EXPECT_EQ(EBUSY, set_filter(vm, 0x82000000, 1, 2, 0));
#else
	EXPECT_EQ(0, axvm_cap(self->fd, AXVM_CAP_HYPERCALL_FILTER));
	EXPECT_EQ(EOPNOTSUPP, set_filter(vm, 0x1000, 1, 2, 0));
	(void)cfg;
#endif
	close(vm);
}

TEST_HARNESS_MAIN
