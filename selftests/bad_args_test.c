// SPDX-License-Identifier: GPL-2.0
/*
 * Every ioctl with bad arguments: null and wild pointers, wrong sizes,
 * reserved bits, huge values, closed fds, fds of the wrong kind. Each
 * must fail with its documented errno and change nothing.
 */
#include "axvm_util.h"
#include "axvm_harness.h"

/* A kernel address; an unmapped user address is made by each test. */
#define WILD_KERNEL	((void *)(uintptr_t)-(1UL << 40))

static void *unmapped_user_address(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	munmap(p, 4096);
	return p;
}

FIXTURE(bad) {
	int sys;
	int vm;
	int vcpu;
};

FIXTURE_SETUP(bad)
{
	self->sys = axvm_open();
	ASSERT_GE(self->sys, 0);
	self->vm = ioctl(self->sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(self->vm, 0);
	self->vcpu = axvm_create_vcpu(self->vm, 0, 0);
	ASSERT_GE(self->vcpu, 0);
}

FIXTURE_TEARDOWN(bad)
{
	close(self->vcpu);
	close(self->vm);
	close(self->sys);
}

TEST_F(bad, null_and_wild_pointers)
{
	void *ptrs[] = { NULL, unmapped_user_address(), WILD_KERNEL };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		void *p = ptrs[i];

		EXPECT_ERRNO(EFAULT, ioctl(self->vm, AXVM_SET_MEMORY_REGION, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vm, AXVM_CREATE_VCPU, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vm, AXVM_GET_DIRTY_LOG, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vm, AXVM_POPULATE, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vm, AXVM_ENABLE_CAP, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_GET_REGS, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_SET_REGS, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_GET_SYSREG, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_SET_SYSREG, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_INJECT_IRQ, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_GET_EXIT_STATS, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_GET_VCPU_STATE, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_SET_VCPU_STATE, p));
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_TRANSLATE, p));
	}
}

/* The CPUID table: x86 only; every pointer it holds is checked. */
TEST_F(bad, cpuid_table)
{
	void *ptrs[] = { NULL, unmapped_user_address(), WILD_KERNEL };
	struct axvm_cpuid hdr = { .nent = 1 };
	unsigned int i;

	if (!axvm_cap(self->sys, AXVM_CAP_CPUID)) {
		EXPECT_ERRNO(ENOTTY, ioctl(self->vcpu, AXVM_SET_CPUID, &hdr));
		EXPECT_ERRNO(ENOTTY, ioctl(self->vcpu, AXVM_GET_CPUID, &hdr));
		return;
	}
	for (i = 0; i < 3; i++) {
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_SET_CPUID, ptrs[i]));
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_GET_CPUID, ptrs[i]));
		hdr.entries = (uintptr_t)ptrs[i];
		hdr.nent = 1;
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_SET_CPUID, &hdr));
		hdr.nent = 1000;	/* room for the whole table */
		EXPECT_ERRNO(EFAULT, ioctl(self->vcpu, AXVM_GET_CPUID, &hdr));
	}
}

/*
 * AXVM_NMI: x86 only (elsewhere ENOTTY); its argument must be 0, and it
 * works on a vCPU that never ran.
 */
TEST_F(bad, nmi)
{
	int arch = axvm_cap(self->sys, AXVM_CAP_ARCH);

	if (arch != AXVM_ARCH_X86_SVM && arch != AXVM_ARCH_X86_VMX) {
		EXPECT_ERRNO(ENOTTY, ioctl(self->vcpu, AXVM_NMI, 0));
		return;
	}
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_NMI, 1));
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_NMI, ~0UL));
	EXPECT_EQ(0, ioctl(self->vcpu, AXVM_NMI, 0));
}

/* A struct of the wrong size is a different ioctl number. */
TEST_F(bad, wrong_sizes)
{
	char buf[512] = { 0 };

	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, _IOW(AXVMIO, 0x10, __u64), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, _IOW(AXVMIO, 0x11, __u32), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vcpu, _IOR(AXVMIO, 0x21, __u64), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vcpu, _IOW(AXVMIO, 0x22, __u64), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vcpu, _IOWR(AXVMIO, 0x23, __u64), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vcpu, _IOW(AXVMIO, 0x25, __u32), buf));
	/* Same number, other direction. */
	EXPECT_ERRNO(ENOTTY,
		     ioctl(self->vcpu, _IOW(AXVMIO, 0x21, struct axvm_regs), buf));
}

TEST_F(bad, wrong_fd_kind)
{
	struct axvm_regs regs;
	int null = open("/dev/null", O_RDWR);

	ASSERT_GE(null, 0);
	/* VM ioctls on a vCPU and on the system fd, and vice versa. */
	EXPECT_ERRNO(ENOTTY, ioctl(self->vcpu, AXVM_CREATE_VCPU, &regs));
	EXPECT_ERRNO(ENOTTY, ioctl(self->sys, AXVM_SET_MEMORY_REGION, &regs));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, AXVM_RUN, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, AXVM_GET_REGS, &regs));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, AXVM_CREATE_VM, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vcpu, AXVM_GET_API_VERSION, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(null, AXVM_CREATE_VM, 0));
	/* A VM fd cannot be mapped; only vCPU fds have a run page. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   self->vm, 0));
	close(null);
}

TEST_F(bad, closed_fds)
{
	int vm = ioctl(self->sys, AXVM_CREATE_VM, 0);
	int vcpu = axvm_create_vcpu(vm, 0, 0);
	struct axvm_regs regs;

	ASSERT_GE(vcpu, 0);
	close(vcpu);
	close(vm);
	EXPECT_ERRNO(EBADF, ioctl(vcpu, AXVM_GET_REGS, &regs));
	EXPECT_ERRNO(EBADF, ioctl(vm, AXVM_CREATE_VCPU, &regs));
	EXPECT_ERRNO(EBADF, ioctl(vcpu, AXVM_RUN, 0));
}

TEST_F(bad, huge_and_reserved_values)
{
	struct axvm_vcpu_create c = { .id = UINT32_MAX };
	struct axvm_regs regs;
	struct axvm_irq irq = { .irq = UINT32_MAX, .flags = 1 };

	EXPECT_ERRNO(EINVAL, ioctl(self->vm, AXVM_CREATE_VCPU, &c));
	c.id = 1;
	c.flags = UINT32_MAX;
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, AXVM_CREATE_VCPU, &c));
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_INJECT_IRQ, &irq));
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_RUN, UINT64_MAX));

	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_GET_REGS, &regs));
	regs.reserved[5] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
	regs.reserved[5] = 0;
#if defined(__x86_64__)
	regs.gpr[16] = 1;		/* no such register */
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
	regs.gpr[16] = 0;
	regs.pstate = 0;		/* RFLAGS bit 1 is always set */
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
	regs.pstate = 1ULL << 40;	/* reserved RFLAGS bit */
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
#elif defined(__aarch64__)
	regs.pstate = 0x3c9;		/* EL2h: never for a guest */
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
	regs.pstate = 0x3d0;		/* AArch32 user */
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
#else
	regs.gpr[0] = 1;		/* x0 is hard-wired to zero */
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
	regs.gpr[0] = 0;
	regs.pstate = 2;		/* 0 VS-mode, 1 VU-mode only */
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
#endif
}

TEST_F(bad, unknown_sysregs)
{
	struct axvm_sysreg sr = { .id = 0, .value = 1 };

	EXPECT_ERRNO(ENOENT, ioctl(self->vcpu, AXVM_GET_SYSREG, &sr));
	EXPECT_ERRNO(ENOENT, ioctl(self->vcpu, AXVM_SET_SYSREG, &sr));
	sr.id = UINT64_MAX;
	EXPECT_ERRNO(ENOENT, ioctl(self->vcpu, AXVM_GET_SYSREG, &sr));
	/* Another architecture's register class. */
#if defined(__aarch64__)
	sr.id = AXVM_SYSREG_RISCV_CSR(0x100);
#else
	sr.id = AXVM_SYSREG_ARM64(3, 0, 1, 0, 0);
#endif
	EXPECT_ERRNO(ENOENT, ioctl(self->vcpu, AXVM_SET_SYSREG, &sr));
#if defined(__x86_64__)
	/* A 16-bit field given more than 16 bits. */
	sr.id = AXVM_SYSREG_X86_SEG_SEL(1);
	sr.value = 0x10000;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_SYSREG, &sr));
#elif defined(__aarch64__)
	/* The CPU identity is fixed at creation. */
	sr.id = AXVM_SYSREG_ARM64(3, 0, 0, 0, 5);
	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_GET_SYSREG, &sr));
	EXPECT_EQ(0, ioctl(self->vcpu, AXVM_SET_SYSREG, &sr));
	sr.value ^= 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_SYSREG, &sr));
#endif
}

/* A failed call leaves the state as it was. */
TEST_F(bad, failures_change_nothing)
{
	struct axvm_regs before, after, bad;

	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_GET_REGS, &before));
	bad = before;
	bad.gpr[3] = 0x1234;
	bad.reserved[0] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu, AXVM_SET_REGS, &bad));
	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_GET_REGS, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

TEST_HARNESS_MAIN
