// SPDX-License-Identifier: GPL-2.0
/*
 * x86 guests, SVM and VMX alike: a real-mode guest from the reset state
 * (port I/O, MMIO decoded in 16-bit code, RAM, VMMCALL, HLT, CPUID), and
 * C guests in 64-bit long mode (selftests/lib) for the rest.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mman.h>

#include "axvm_util.h"
#include "test_vm.h"
#include "kselftest_harness.h"

#define X86_CS		1
#define REAL_CODE	0x1000
#define REAL_RAM	0x0
#define REAL_RAM_SIZE	0x10000
#define REAL_MMIO	0x30000		/* no region: MMIO */

static int set_sysreg(int fd, uint64_t id, uint64_t value)
{
	struct axvm_sysreg r = { .id = id, .value = value };

	return ioctl(fd, AXVM_SET_SYSREG, &r);
}

static uint64_t get_sysreg(int fd, uint64_t id)
{
	struct axvm_sysreg r = { .id = id };

	return ioctl(fd, AXVM_GET_SYSREG, &r) ? ~0ULL : r.value;
}

FIXTURE(real) {
	int sys, vm, vcpu;
	struct axvm_run *run;
	size_t run_size;
	uint8_t *ram;
};

FIXTURE_SETUP(real)
{
	self->vm = -1;
	self->vcpu = -1;
	self->ram = NULL;
	self->sys = axvm_open();
	ASSERT_GE(self->sys, 0);
	if (axvm_cap(self->sys, AXVM_CAP_RUN) <= 0)
		SKIP(return, "no guest entry on this lane");
	self->vm = ioctl(self->sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(self->vm, 0);
	self->ram = axvm_alloc(REAL_RAM_SIZE);
	ASSERT_NE(NULL, self->ram);
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, REAL_RAM, REAL_RAM_SIZE,
				     self->ram));
	self->vcpu = axvm_create_vcpu(self->vm, 0, axvm_arch_id(0));
	ASSERT_GE(self->vcpu, 0);
	self->run_size = ioctl(self->sys, AXVM_GET_VCPU_MMAP_SIZE, 0);
	self->run = mmap(NULL, self->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->vcpu, 0);
	ASSERT_NE(MAP_FAILED, self->run);
}

FIXTURE_TEARDOWN(real)
{
	if (self->vcpu >= 0) {
		munmap(self->run, self->run_size);
		close(self->vcpu);
	}
	if (self->vm >= 0)
		close(self->vm);
	close(self->sys);
}

static int run_exit(int vcpu, struct axvm_run *run)
{
	return ioctl(vcpu, AXVM_RUN, 0) ? -errno : (int)run->exit_reason;
}

/*
 * 16-bit code at 0000:1000, from the power-on state with CS moved there:
 * OUT, IN, a store to RAM, CPUID, VMMCALL, an MMIO load into BL, HLT.
 */
static const uint8_t real_code[] = {
	0xb8, 0x34, 0x12,		/* mov $0x1234, %ax */
	0xe7, 0x10,			/* out %ax, $0x10 */
	0xe4, 0x11,			/* in $0x11, %al */
	0xa2, 0x00, 0x20,		/* mov %al, 0x2000 */
	0x66, 0x31, 0xc0,		/* xor %eax, %eax */
	0x0f, 0xa2,			/* cpuid */
	0x66, 0x89, 0xd8,		/* mov %ebx, %eax ("Genu"/"Auth") */
	0x0f, 0x01, 0xd9,		/* vmmcall */
	0x26, 0x8a, 0x1e, 0x04, 0x00,	/* mov %es:0x0004, %bl */
	0xf4,				/* hlt */
};

#define X86_ES		0

TEST_F(real, real_mode_from_reset)
{
	struct axvm_regs regs;

	if (!self->ram)
		return;
	memcpy(self->ram + REAL_CODE, real_code, sizeof(real_code));
	/* The reset state, but CS at 0 and ES at the MMIO page. */
	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_GET_REGS, &regs));
	EXPECT_EQ(0xfff0, regs.pc);
	EXPECT_EQ(0xffff0000, get_sysreg(self->vcpu,
					 AXVM_SYSREG_X86_SEG_BASE(X86_CS)));
	regs.pc = REAL_CODE;
	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
	ASSERT_EQ(0, set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_SEL(X86_CS), 0));
	ASSERT_EQ(0, set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_BASE(X86_CS), 0));
	ASSERT_EQ(0, set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_SEL(X86_ES),
				REAL_MMIO >> 4));
	ASSERT_EQ(0, set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_BASE(X86_ES),
				REAL_MMIO));

	ASSERT_EQ(AXVM_EXIT_IO, run_exit(self->vcpu, self->run));
	EXPECT_EQ(0x10, self->run->io.port);
	EXPECT_EQ(2, self->run->io.size);
	EXPECT_EQ(1, self->run->io.is_write);
	EXPECT_EQ(0x1234, self->run->io.data);

	ASSERT_EQ(AXVM_EXIT_IO, run_exit(self->vcpu, self->run));
	EXPECT_EQ(0x11, self->run->io.port);
	EXPECT_EQ(1, self->run->io.size);
	EXPECT_EQ(0, self->run->io.is_write);
	self->run->io.data = 0x5a;

	ASSERT_EQ(AXVM_EXIT_HYPERCALL, run_exit(self->vcpu, self->run));
	EXPECT_EQ(0x5a, self->ram[0x2000]);		/* the IN value, stored */
	/* CPUID leaf 0's vendor word, in the kernel, came to EAX. */
	EXPECT_TRUE(self->run->hypercall.nr == 0x756e6547 ||
		    self->run->hypercall.nr == 0x68747541)
		TH_LOG("vendor %#llx",
		       (unsigned long long)self->run->hypercall.nr);
	self->run->hypercall.ret = 0x77;

	ASSERT_EQ(AXVM_EXIT_MMIO, run_exit(self->vcpu, self->run));
	EXPECT_EQ(REAL_MMIO + 4, self->run->mmio.phys_addr);
	EXPECT_EQ(1, self->run->mmio.len);
	EXPECT_EQ(0, self->run->mmio.is_write);
	EXPECT_EQ(3, self->run->mmio.reg);		/* BL */
	self->run->mmio.data = 0xc3;

	ASSERT_EQ(AXVM_EXIT_HALT, run_exit(self->vcpu, self->run));
	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_GET_REGS, &regs));
	EXPECT_EQ(0x77, regs.gpr[0]);			/* VMMCALL's result */
	EXPECT_EQ(0xc3, regs.gpr[3] & 0xff);		/* the MMIO load */
	EXPECT_EQ(REAL_CODE + sizeof(real_code), regs.pc);
}

TEST_HARNESS_MAIN
