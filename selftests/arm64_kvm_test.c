// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 with KVM built in (Debian's kernels, module.rst "arm64 beside
 * KVM"): a KVM VM and an axvm VM exist at once and take turns on one
 * CPU, each run checked to continue exactly where that guest stopped.
 * VHE KVM puts its vCPU on every context switch and reloads it at the
 * next run; axvm's runs restore what KVM keeps across runs and leave
 * KVM's VMIDs alone. A KVM guest that found a register, its stage 2 or
 * its counter changed by an axvm run (or the reverse) would report a
 * wrong value, take an exception, or stop exiting. Where there is no
 * /dev/kvm, only the reasons module.rst gives are accepted: KVM not
 * built in (the test kernels), or kvm-arm.mode=none.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stddef.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "axvm_util.h"
#include "test_vm.h"
#include "axvm_harness.h"

#define KVM_CODE_GPA	0x10000ULL
#define KVM_MMIO_GPA	0x20000000ULL
#define ROUNDS		50

#define CORE_REG(name)							\
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |		\
	 (offsetof(struct kvm_regs, name) / sizeof(__u32)))

/* A KVM guest: "str x2, [x1]; add x2, x2, #1; b .-8", from x2 = 1000. */
static const uint32_t kvm_guest_code[] = {
	0xf9000022,	/* str x2, [x1] */
	0x91000442,	/* add x2, x2, #1 */
	0x17fffffe,	/* b .-8 */
};

struct kvm_guest {
	int vm, vcpu;
	struct kvm_run *run;
	void *mem;
};

static int kvm_set_reg(int vcpu, uint64_t id, uint64_t v)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&v };

	return ioctl(vcpu, KVM_SET_ONE_REG, &reg);
}

static int kvm_guest_create(int kvm, struct kvm_guest *g)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = KVM_CODE_GPA,
		.memory_size = 0x10000,
	};
	struct kvm_vcpu_init init;
	int size;

	g->vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (g->vm < 0)
		return -1;
	g->mem = mmap(NULL, region.memory_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->mem == MAP_FAILED)
		return -1;
	memcpy(g->mem, kvm_guest_code, sizeof(kvm_guest_code));
	region.userspace_addr = (uintptr_t)g->mem;
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &region))
		return -1;
	g->vcpu = ioctl(g->vm, KVM_CREATE_VCPU, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (g->vcpu < 0 || size <= 0)
		return -1;
	g->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu,
		      0);
	if (g->run == MAP_FAILED)
		return -1;
	if (ioctl(g->vm, KVM_ARM_PREFERRED_TARGET, &init) ||
	    ioctl(g->vcpu, KVM_ARM_VCPU_INIT, &init))
		return -1;
	/* Reset: EL1h, MMU off; data accesses to no RAM are MMIO exits. */
	return kvm_set_reg(g->vcpu, CORE_REG(regs.pc), KVM_CODE_GPA) ||
	       kvm_set_reg(g->vcpu, CORE_REG(regs.regs[1]), KVM_MMIO_GPA) ||
	       kvm_set_reg(g->vcpu, CORE_REG(regs.regs[2]), 1000);
}

/* One KVM_RUN: the store it ends with, or -1. */
static int64_t kvm_guest_step(struct kvm_guest *g)
{
	uint64_t v;

	if (ioctl(g->vcpu, KVM_RUN, 0) || g->run->exit_reason != KVM_EXIT_MMIO ||
	    g->run->mmio.phys_addr != KVM_MMIO_GPA || !g->run->mmio.is_write ||
	    g->run->mmio.len != 8)
		return -1;
	memcpy(&v, g->run->mmio.data, 8);
	return v;
}

/* Built-in KVM still has its module parameters in sysfs. */
static bool kvm_built_in(void)
{
	return access("/sys/module/kvm/parameters", F_OK) == 0;
}

/*
 * module.rst: with KVM built in, in VHE or kvm-arm.mode=none, every axvm
 * VM runs as VMID 0, the one KVM never gives a guest (vmid_alloc=N);
 * without KVM, VMIDs are handed out per VM.
 */
TEST(vmid_scheme_follows_kvm)
{
	char alloc[8];

	axvm_slurp("/sys/module/axvm/parameters/vmid_alloc", alloc,
		   sizeof(alloc));
	EXPECT_STREQ(kvm_built_in() ? "N\n" : "Y\n", alloc);
}

GUEST_CODE static void guest_count(void)
{
	uint64_t i;

	for (i = 0;; i++)
		GUEST_SYNC(i);
}

TEST(kvm_and_axvm_vms_take_turns_on_one_cpu)
{
	struct kvm_guest g = { .vm = -1 };
	struct test_vcpu *v;
	struct test_vm *vm;
	struct ucall uc;
	cpu_set_t cpus;
	int kvm, i;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		char cmdline[4096];

		axvm_slurp("/proc/cmdline", cmdline, sizeof(cmdline));
		EXPECT_TRUE(!kvm_built_in() || strstr(cmdline, "kvm-arm.mode=none"))
			TH_LOG("KVM is built in and enabled but has no /dev/kvm");
		TH_LOG("no KVM to take turns with: %s",
		       kvm_built_in() ? "kvm-arm.mode=none" : "not built in");
		return;
	}
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));

	/* KVM's VM first, then axvm's beside it. */
	ASSERT_EQ(0, kvm_guest_create(kvm, &g));
	ASSERT_EQ(1000, kvm_guest_step(&g));
	vm = test_vm_create();
	ASSERT_NE(NULL, vm);
	v = test_vcpu_add_default(vm, 0, guest_count, 0);
	ASSERT_NE(NULL, v);

	for (i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(UCALL_SYNC, test_vcpu_run_ucall(v, &uc))
			TH_LOG("axvm run %d", i);
		ASSERT_EQ((uint64_t)i, uc.args[0]);
		ASSERT_EQ(1001 + i, kvm_guest_step(&g))
			TH_LOG("KVM run %d: exit %u", i, g.run->exit_reason);
	}

	/* And axvm's VM outliving KVM's, then a new KVM VM after it. */
	close(g.vcpu);
	close(g.vm);
	ASSERT_EQ(UCALL_SYNC, test_vcpu_run_ucall(v, &uc));
	ASSERT_EQ((uint64_t)ROUNDS, uc.args[0]);
	test_vm_free(vm);
	ASSERT_EQ(0, kvm_guest_create(kvm, &g));
	ASSERT_EQ(1000, kvm_guest_step(&g));
	close(g.vcpu);
	close(g.vm);
	close(kvm);
}

TEST_HARNESS_MAIN
