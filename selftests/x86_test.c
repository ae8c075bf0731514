// SPDX-License-Identifier: GPL-2.0
/*
 * x86 guests, SVM and VMX alike: a real-mode guest from the reset state
 * (port I/O, MMIO decoded in 16-bit code, RAM, VMMCALL, HLT, CPUID), and
 * C guests in 64-bit long mode (selftests/lib) for the rest.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include "axvm_util.h"
#include "test_vm.h"
#include "axvm_harness.h"

#define X86_CS		1
#define REAL_CODE	0x1000
#define REAL_RAM	0x0
#define REAL_RAM_SIZE	0x10000
#define REAL_MMIO	0x30000		/* no region: MMIO */

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
	EXPECT_EQ(0xffff0000, axvm_get_sysreg(self->vcpu,
					      AXVM_SYSREG_X86_SEG_BASE(X86_CS)));
	regs.pc = REAL_CODE;
	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_SEL(X86_CS), 0));
	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_BASE(X86_CS), 0));
	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_SEL(X86_ES),
				     REAL_MMIO >> 4));
	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_BASE(X86_ES),
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

/*
 * 32-bit protected mode with PAE paging at 0000:1000: a store and a load
 * through the first PDPT, VMMCALL; then MOV to CR3 of a second PDPT whose
 * directory also maps 2 MiB up, a load through that alias, VMMCALL, HLT.
 */
static const uint8_t pae_code[] = {
	0xb8, 0x34, 0x12, 0x00, 0x00,		/* mov $0x1234, %eax */
	0xa3, 0x00, 0x20, 0x00, 0x00,		/* mov %eax, 0x2000 */
	0x8b, 0x1d, 0x00, 0x20, 0x00, 0x00,	/* mov 0x2000, %ebx */
	0x0f, 0x01, 0xd9,			/* vmmcall */
	0xb8, 0x20, 0x30, 0x00, 0x00,		/* mov $0x3020, %eax */
	0x0f, 0x22, 0xd8,			/* mov %eax, %cr3 */
	0x8b, 0x1d, 0x00, 0x20, 0x20, 0x00,	/* mov 0x202000, %ebx */
	0xb8, 0x35, 0x12, 0x00, 0x00,		/* mov $0x1235, %eax */
	0x0f, 0x01, 0xd9,			/* vmmcall */
	0xf4,					/* hlt */
};

#define PAE_PDPT1	0x3000
#define PAE_PDPT2	0x3020
#define PAE_PD1		0x4000
#define PAE_PD2		0x5000
#define PDE_2M		0x83ULL		/* present, writable, 2 MiB page */
#define AR_CODE32	0xc09bULL
#define AR_DATA32	0xc093ULL
#define AR_TSS32_BUSY	0x8bULL

/*
 * SDM 4.4.1: with PAE paging outside IA-32e mode, the four PDPTEs are
 * loaded into the CPU from CR3 when CR3 (or CR0/CR4) is written, and
 * with EPT a VM entry takes them from the VMCS (26.3.2.4): the guest the
 * registers describe runs through its PDPT at once, and a MOV to CR3 it
 * makes itself switches to the new one.
 */
TEST_F(real, pae_protected_mode)
{
	uint64_t *pdpt1, *pdpt2, *pd1, *pd2;
	struct axvm_regs regs;
	int seg;

	if (!self->ram)
		return;
	memcpy(self->ram + REAL_CODE, pae_code, sizeof(pae_code));
	pdpt1 = (uint64_t *)(self->ram + PAE_PDPT1);
	pdpt2 = (uint64_t *)(self->ram + PAE_PDPT2);
	pd1 = (uint64_t *)(self->ram + PAE_PD1);
	pd2 = (uint64_t *)(self->ram + PAE_PD2);
	pdpt1[0] = PAE_PD1 | 1;			/* PDPTEs: present, no RW */
	pdpt2[0] = PAE_PD2 | 1;
	pd1[0] = PDE_2M;			/* [0, 2 MiB) -> 0 */
	pd2[0] = PDE_2M;
	pd2[1] = PDE_2M;			/* [2 MiB, 4 MiB) -> 0 too */

	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_CR4, 0x20));
	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_CR3, PAE_PDPT1));
	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_CR0,
				     0x80000011));	/* PG, ET, PE */
	for (seg = 0; seg < 6; seg++) {
		ASSERT_EQ(0, axvm_set_sysreg(self->vcpu,
					     AXVM_SYSREG_X86_SEG_SEL(seg),
					     seg == X86_CS ? 0x08 : 0x10));
		ASSERT_EQ(0, axvm_set_sysreg(self->vcpu,
					     AXVM_SYSREG_X86_SEG_BASE(seg), 0));
		ASSERT_EQ(0, axvm_set_sysreg(self->vcpu,
					     AXVM_SYSREG_X86_SEG_LIMIT(seg),
					     0xffffffff));
		ASSERT_EQ(0, axvm_set_sysreg(self->vcpu,
					     AXVM_SYSREG_X86_SEG_ATTR(seg),
					     seg == X86_CS ? AR_CODE32 : AR_DATA32));
	}
	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_ATTR(7),
				     AR_TSS32_BUSY));
	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_LIMIT(7),
				     0x67));
	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_GET_REGS, &regs));
	regs.pc = REAL_CODE;
	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_SET_REGS, &regs));

	ASSERT_EQ(AXVM_EXIT_HYPERCALL, run_exit(self->vcpu, self->run));
	EXPECT_EQ(0x1234, self->run->hypercall.nr);
	EXPECT_EQ(0x1234, self->run->hypercall.args[0]);
	EXPECT_EQ(0x1234, *(uint32_t *)(self->ram + 0x2000));
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, run_exit(self->vcpu, self->run));
	EXPECT_EQ(0x1235, self->run->hypercall.nr);
	EXPECT_EQ(0x1234, self->run->hypercall.args[0]);	/* the alias */
	EXPECT_EQ(PAE_PDPT2, axvm_get_sysreg(self->vcpu, AXVM_SYSREG_X86_CR3));
	ASSERT_EQ(AXVM_EXIT_HALT, run_exit(self->vcpu, self->run));
}

/*
 * Long mode entered from real mode with EFER.LME set before CR4.PAE, at
 * 0000:1000, the #GP handler at 0000:1040:
 *   RDMSR/WRMSR EFER.LME; OUT EFER (0x10); RDMSR, OUT (0x11); MOV to CR0
 *   of PE|PG, which faults;
 *   handler: OUT CR0 (0x12); CR4.PAE, CR3, MOV to CR0 of PE|PG again;
 *   OUT EFER (0x13); HLT.
 */
static const uint8_t lme_code[] = {
	0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0,	/* mov $0xc0000080, %ecx */
	0x0f, 0x32,				/* rdmsr */
	0x66, 0x0d, 0x00, 0x01, 0x00, 0x00,	/* or $0x100, %eax (LME) */
	0x0f, 0x30,				/* wrmsr */
	0x66, 0xe7, 0x10,			/* out %eax, $0x10 */
	0x0f, 0x32,				/* rdmsr */
	0x66, 0xe7, 0x11,			/* out %eax, $0x11 */
	0x0f, 0x20, 0xc0,			/* mov %cr0, %eax */
	0x66, 0x0d, 0x01, 0x00, 0x00, 0x80,	/* or $0x80000001, %eax */
	0x0f, 0x22, 0xc0,			/* 1021: mov %eax, %cr0 */
	0xf4,					/* hlt */
};

#define LME_FAULT_IP	0x1021

static const uint8_t lme_handler[] = {
	0x0f, 0x20, 0xc0,			/* mov %cr0, %eax */
	0x66, 0xe7, 0x12,			/* out %eax, $0x12 */
	0x0f, 0x20, 0xe0,			/* mov %cr4, %eax */
	0x66, 0x83, 0xc8, 0x20,			/* or $0x20, %eax (PAE) */
	0x0f, 0x22, 0xe0,			/* mov %eax, %cr4 */
	0x66, 0xb8, 0x00, 0x30, 0x00, 0x00,	/* mov $0x3000, %eax */
	0x0f, 0x22, 0xd8,			/* mov %eax, %cr3 */
	0x0f, 0x20, 0xc0,			/* mov %cr0, %eax */
	0x66, 0x0d, 0x01, 0x00, 0x00, 0x80,	/* or $0x80000001, %eax */
	0x0f, 0x22, 0xc0,			/* mov %eax, %cr0 */
	0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0,	/* mov $0xc0000080, %ecx */
	0x0f, 0x32,				/* rdmsr */
	0x66, 0xe7, 0x13,			/* out %eax, $0x13 */
	0xf4,					/* hlt */
};

#define LME_HANDLER	0x1040
#define X86_GP_VECTOR	13
#define LME_STACK	0x8000
#define EFER_LME	0x100ULL
#define EFER_LMA	0x400ULL

static uint64_t expect_out(struct __test_metadata *_metadata, int vcpu,
			   struct axvm_run *run, uint16_t port)
{
	EXPECT_EQ(AXVM_EXIT_IO, run_exit(vcpu, run));
	EXPECT_EQ(port, run->io.port);
	EXPECT_EQ(4, run->io.size);
	return run->io.data & 0xffffffff;
}

/*
 * APM vol. 2, 14.6.1: long mode is activated by setting CR0.PG with
 * EFER.LME set; "setting CR0.PG=1 when EFER.LME=1 and CR4.PAE=0 results
 * in a #GP" (SDM vol. 2, MOV to CR0: #GP(0) "if an attempt is made to
 * activate IA-32e mode and PAE is disabled"), a fault that leaves CR0 as
 * it was and saves the IP of the MOV. LME alone, with paging off, is a
 * state a guest may exit in: under QEMU's TCG an exit from it with PAE
 * clear used to leave the host CPU with the guest's CR0 (svm_run.c).
 */
TEST_F(real, long_mode_with_lme_before_pae)
{
	uint16_t *ivt = (uint16_t *)self->ram;
	uint64_t *pml4, *pdpt, *pd;
	struct axvm_regs regs;

	if (!self->ram)
		return;
	memcpy(self->ram + REAL_CODE, lme_code, sizeof(lme_code));
	memcpy(self->ram + LME_HANDLER, lme_handler, sizeof(lme_handler));
	ivt[X86_GP_VECTOR * 2] = LME_HANDLER;
	ivt[X86_GP_VECTOR * 2 + 1] = 0;
	pml4 = (uint64_t *)(self->ram + 0x3000);
	pdpt = (uint64_t *)(self->ram + 0x4000);
	pd = (uint64_t *)(self->ram + 0x5000);
	pml4[0] = 0x4000 | 3;
	pdpt[0] = 0x5000 | 3;
	pd[0] = PDE_2M;			/* [0, 2 MiB) -> 0 */

	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_GET_REGS, &regs));
	regs.pc = REAL_CODE;
	regs.gpr[4] = LME_STACK;
	ASSERT_EQ(0, ioctl(self->vcpu, AXVM_SET_REGS, &regs));
	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_SEL(X86_CS), 0));
	ASSERT_EQ(0, axvm_set_sysreg(self->vcpu, AXVM_SYSREG_X86_SEG_BASE(X86_CS), 0));

	/* LME set, paging and PAE off: the guest and the host go on. */
	EXPECT_EQ(EFER_LME, expect_out(_metadata, self->vcpu, self->run, 0x10));
	EXPECT_EQ(EFER_LME, axvm_get_sysreg(self->vcpu, AXVM_SYSREG_X86_EFER));
	EXPECT_EQ(0, axvm_get_sysreg(self->vcpu, AXVM_SYSREG_X86_CR4) & 0x20);
	/* The guest reads its LME back, and no LMA. */
	EXPECT_EQ(EFER_LME, expect_out(_metadata, self->vcpu, self->run, 0x11));

	/* PG with PAE clear: #GP, CR0 unchanged, the MOV's IP pushed. */
	EXPECT_EQ(0x60000010, expect_out(_metadata, self->vcpu, self->run,
					 0x12));
	EXPECT_EQ(LME_FAULT_IP, *(uint16_t *)(self->ram + LME_STACK - 6));
	EXPECT_EQ(0, *(uint16_t *)(self->ram + LME_STACK - 4));	/* CS */

	/* PAE first: the same MOV activates long mode, LMA set. */
	EXPECT_EQ(EFER_LME | EFER_LMA,
		  expect_out(_metadata, self->vcpu, self->run, 0x13));
	EXPECT_EQ(EFER_LME | EFER_LMA,
		  axvm_get_sysreg(self->vcpu, AXVM_SYSREG_X86_EFER));
	EXPECT_EQ(0x80000011, axvm_get_sysreg(self->vcpu, AXVM_SYSREG_X86_CR0) &
		  0x80000011);
	EXPECT_EQ(AXVM_EXIT_HALT, run_exit(self->vcpu, self->run));
}

/* ------------------------------------------------------------------ */
/* 64-bit C guests (selftests/lib). */

#define MSR_LSTAR	0xc0000082
#define MSR_UNKNOWN	0x40000123	/* no MSR the kernel keeps */

FIXTURE(lm) {
	struct test_vm *vm;
};

FIXTURE_SETUP(lm)
{
	int sys = axvm_open();

	ASSERT_GE(sys, 0);
	if (axvm_cap(sys, AXVM_CAP_RUN) <= 0 || !TEST_HAVE_GUEST_LIB) {
		close(sys);
		SKIP(return, "no guest entry on this lane");
	}
	close(sys);
	test_pin_self(0);
	self->vm = test_vm_create();
	ASSERT_NE(NULL, self->vm) TH_LOG("test_vm_create: %s", strerror(errno));
}

FIXTURE_TEARDOWN(lm)
{
	if (self->vm)
		test_vm_free(self->vm);
}

GUEST_CODE static void guest_hypercall(uint64_t vmcall)
{
	uint64_t ret = guest_vmmcall(0x1234, 1, 2, 3, 4);

	GUEST_ASSERT_EQ(ret, 42);
	GUEST_ASSERT_EQ(read_cr0() & X86_CR0_PG, X86_CR0_PG);
	if (vmcall)
		GUEST_ASSERT_EQ(guest_vmcall(0x1235, 5, 6, 7, 8), 43);
}

static bool on_vmx(struct test_vm *vm)
{
	return axvm_cap(vm->sys_fd, AXVM_CAP_ARCH) == AXVM_ARCH_X86_VMX;
}

/*
 * VMMCALL: number in RAX, arguments in RBX, RCX, RDX, RSI, result in RAX.
 * On VMX, Intel's VMCALL is the same call.
 */
TEST_F(lm, hypercall)
{
	struct test_vcpu *v;
	struct ucall uc;
	bool vmx;
	int i;

	if (!self->vm)
		return;
	vmx = on_vmx(self->vm);
	v = test_vcpu_add_default(self->vm, 0, guest_hypercall, 1,
				  (uint64_t)vmx);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, test_vcpu_run_exit(v));
	EXPECT_EQ(0x1234, v->run->hypercall.nr);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(i + 1, v->run->hypercall.args[i]);
	v->run->hypercall.ret = 42;
	if (vmx) {
		ASSERT_EQ(AXVM_EXIT_HYPERCALL, test_vcpu_run_exit(v));
		EXPECT_EQ(0x1235, v->run->hypercall.nr);
		for (i = 0; i < 4; i++)
			EXPECT_EQ(i + 5, v->run->hypercall.args[i]);
		v->run->hypercall.ret = 43;
	}
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static void guest_io(void)
{
	uint8_t b;
	uint16_t w;
	uint32_t l;

	outb(0x11, 0x80);
	outw(0x2222, 0x82);
	outl(0x33333333, 0x84);
	b = inb(0x90);
	w = inw(0x92);
	l = inl(0x94);
	GUEST_SYNC(b, w, l);
}

/* Port I/O of every size (the string forms: x86_mmio_test). */
TEST_F(lm, port_io)
{
	static const struct { uint16_t port; int size; uint32_t v; } out[] = {
		{ 0x80, 1, 0x11 }, { 0x82, 2, 0x2222 }, { 0x84, 4, 0x33333333 },
	};
	struct test_vcpu *v;
	struct ucall uc;
	unsigned int i;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_io, 0);
	ASSERT_NE(NULL, v);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(AXVM_EXIT_IO, test_vcpu_run_exit(v));
		EXPECT_EQ(out[i].port, v->run->io.port);
		EXPECT_EQ(out[i].size, v->run->io.size);
		EXPECT_EQ(1, v->run->io.is_write);
		EXPECT_EQ(out[i].v, v->run->io.data);
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(AXVM_EXIT_IO, test_vcpu_run_exit(v));
		EXPECT_EQ(0x90 + 2 * i, v->run->io.port);
		EXPECT_EQ(0, v->run->io.is_write);
		v->run->io.data = 0xfedcba98;
	}
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x98, uc.args[0]);
	EXPECT_EQ(0xba98, uc.args[1]);
	EXPECT_EQ(0xfedcba98, uc.args[2]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static void guest_cpuid_msr(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	GUEST_SYNC(c, d);
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	GUEST_SYNC(c);
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	GUEST_SYNC(a, b, c, d);
	wrmsr(MSR_LSTAR, 0xffffffff81000000ULL);
	GUEST_SYNC(rdmsr(MSR_LSTAR));
	wrmsr(MSR_UNKNOWN, 0x1122334455667788ULL);
	GUEST_SYNC(rdmsr(MSR_UNKNOWN));
}

/* CPUID from the kernel's policy; kept MSRs in the kernel, others exit. */
TEST_F(lm, cpuid_policy_and_msrs)
{
	struct axvm_exit_stats st;
	struct axvm_sysreg sr;
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_cpuid_msr, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_TRUE(uc.args[0] & (1U << 31));		/* hypervisor */
	EXPECT_FALSE(uc.args[0] & (1U << 5));		/* no VMX */
	EXPECT_FALSE(uc.args[0] & (1U << 27));		/* no OSXSAVE */
	EXPECT_FALSE(uc.args[1] & (1U << 9));		/* no APIC */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_FALSE(uc.args[0] & (1U << 2));		/* no SVM */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x40000000, uc.args[0]);
	EXPECT_EQ(0x4d565841, uc.args[1]);		/* "AXVM" */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0xffffffff81000000ULL, uc.args[0]);
	sr.id = AXVM_SYSREG_X86_MSR(MSR_LSTAR);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_SYSREG, &sr));
	EXPECT_EQ(0xffffffff81000000ULL, sr.value);

	ASSERT_EQ(AXVM_EXIT_SYSREG, test_vcpu_run_exit(v));
	EXPECT_EQ(AXVM_SYSREG_X86_MSR(MSR_UNKNOWN), v->run->sysreg.id);
	EXPECT_EQ(1, v->run->sysreg.is_write);
	EXPECT_EQ(0x1122334455667788ULL, v->run->sysreg.value);
	ASSERT_EQ(AXVM_EXIT_SYSREG, test_vcpu_run_exit(v));
	EXPECT_EQ(0, v->run->sysreg.is_write);
	v->run->sysreg.value = 0xaabbccdd00112233ULL;
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0xaabbccdd00112233ULL, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_EXIT_STATS, &st));
	/* LSTAR twice in the kernel, the unknown MSR twice to userspace. */
	EXPECT_EQ(4, st.count[AXVM_EXIT_SYSREG]);
}

/* ------------------------------------------------------------------ */

#define CPUID_ROOM	256

struct cpuid_table {
	struct axvm_cpuid hdr;
	struct axvm_cpuid_entry e[CPUID_ROOM + 1];
};

static struct axvm_cpuid_entry *find_leaf(struct cpuid_table *t, uint32_t f)
{
	uint32_t i;

	for (i = 0; i < t->hdr.nent; i++)
		if (t->e[i].function == f)
			return &t->e[i];
	return NULL;
}

GUEST_CODE static void guest_cpuid_table(void)
{
	uint32_t a, b, c, d, a7, b7, c7, d7;

	cpuid(0x40000000, 0, &a, &b, &c, &d);
	cpuid(7, 1, &a7, &b7, &c7, &d7);
	GUEST_SYNC(a, b, a7, b7);
	cpuid(0x4fffffff, 0, &a, &b, &c, &d);	/* in no table */
	GUEST_SYNC(a, b, c, d);
}

/*
 * AXVM_GET_CPUID gives the default policy as a table; AXVM_SET_CPUID
 * replaces it, and the guest sees exactly the new table.
 */
TEST_F(lm, cpuid_table_set_by_userspace)
{
	static struct cpuid_table t;
	struct axvm_cpuid_entry *sig;
	struct test_vcpu *v;
	struct ucall uc;
	uint32_t full;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_cpuid_table, 0);
	ASSERT_NE(NULL, v);

	/* Too little room: E2BIG, and the size needed. */
	t.hdr.entries = (uintptr_t)t.e;
	t.hdr.nent = 1;
	t.hdr.flags = 0;
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_GET_CPUID, &t));
	EXPECT_EQ(E2BIG, errno);
	full = t.hdr.nent;
	EXPECT_LT(8, full);
	t.hdr.nent = CPUID_ROOM;
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_CPUID, &t));
	EXPECT_EQ(full, t.hdr.nent);
	sig = find_leaf(&t, 0x40000000);
	ASSERT_NE(NULL, sig);
	EXPECT_EQ(0x4d565841, sig->ebx);
	ASSERT_NE(NULL, find_leaf(&t, 7));
	EXPECT_EQ(AXVM_CPUID_FLAG_INDEX, find_leaf(&t, 7)->flags);

	/* Bad tables change nothing. */
	t.hdr.flags = 1;
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_SET_CPUID, &t));
	EXPECT_EQ(EINVAL, errno);
	t.hdr.flags = 0;
	t.hdr.nent = CPUID_ROOM + 1;
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_SET_CPUID, &t));
	EXPECT_EQ(E2BIG, errno);
	t.hdr.nent = full;
	sig->padding = 1;
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_SET_CPUID, &t));
	EXPECT_EQ(EINVAL, errno);
	sig->padding = 0;

	/* A new signature and a leaf 7 subleaf 1 of our own. */
	sig->eax = 0x40000001;
	sig->ebx = 0x12345678;
	t.e[full].function = 7;
	t.e[full].index = 1;
	t.e[full].flags = AXVM_CPUID_FLAG_INDEX;
	t.e[full].eax = 0xa7;
	t.e[full].ebx = 0xb7;
	/* The default has an entry for 7.1 too: drop it from the table. */
	{
		uint32_t i, n = 0;

		for (i = 0; i <= full; i++)
			if (i == full || t.e[i].function != 7 || t.e[i].index != 1)
				t.e[n++] = t.e[i];
		t.hdr.nent = n;
	}
	ASSERT_EQ(0, ioctl(v->fd, AXVM_SET_CPUID, &t));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x40000001, uc.args[0]);
	EXPECT_EQ(0x12345678, uc.args[1]);
	EXPECT_EQ(0xa7, uc.args[2]);
	EXPECT_EQ(0xb7, uc.args[3]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0] | uc.args[1] | uc.args[2] | uc.args[3]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* ------------------------------------------------------------------ */

static volatile uint64_t irq_vector, irq_count, ud_count;

GUEST_CODE static void on_irq(struct ex_regs *regs)
{
	irq_vector = regs->vector;
	irq_count++;
}

GUEST_CODE static void guest_wait_irq(void)
{
	GUEST_SYNC(0);
	/* Interrupts off: the vector waits for the window. */
	local_irq_disable();
	GUEST_SYNC(irq_count);
	while (!irq_count)
		safe_halt();		/* sti; hlt */
	local_irq_disable();
	GUEST_SYNC(irq_vector, irq_count);
}

/*
 * INJECT_IRQ: held while the guest has IF clear, taken at its IDT vector
 * once it sets it, with IRET back to the HLT loop.
 */
TEST_F(lm, inject_interrupt)
{
	struct axvm_irq irq = { 0x40, AXVM_IRQ_LEVEL_HIGH };
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_wait_irq, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_INJECT_IRQ, &irq));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);		/* not while IF is clear */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x40, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static void on_ud(struct ex_regs *regs)
{
	ud_count++;
	irq_vector = regs->vector;
	regs->rip += 3;
}

GUEST_CODE static void guest_svm_insns(void)
{
	asm volatile("vmload %%rax" : : "a" (0) : "memory");	/* 0f 01 da */
	GUEST_SYNC(ud_count, irq_vector);
}

/* SVM instructions are not the guest's: #UD, as on a CPU without SVM. */
TEST_F(lm, svm_instructions_raise_ud)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_ud);
	v = test_vcpu_add_default(self->vm, 0, guest_svm_insns, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(6, uc.args[1]);
}

GUEST_CODE static void on_ud_fail(struct ex_regs *regs)
{
	GUEST_FAIL("#UD from an instruction CPUID advertises");
}

GUEST_CODE static void guest_advertised_insns(void)
{
	struct { uint64_t pcid, addr; } desc = { 0, 0 };
	uint32_t a, b, c, d, b7, d81;

	cpuid(7, 0, &a, &b7, &c, &d);
	cpuid(0x80000001, 0, &a, &b, &c, &d81);
	/* Type 2: every PCID, globals included (what Linux 6.1 runs first). */
	if (b7 & (1U << 10))
		asm volatile("invpcid %0, %1" : : "m" (desc), "r" (2UL)
			     : "memory");
	if (d81 & (1U << 27))
		asm volatile("rdtscp" : "=a" (a), "=d" (d), "=c" (c));
	GUEST_SYNC(b7 & (1U << 10), d81 & (1U << 27));
	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 0x15)
		GUEST_DONE();
	cpuid(0x15, 0, &a, &b, &c, &d);
	GUEST_SYNC(a, b, c);
}

static uint64_t host_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	return (uint64_t)hi << 32 | lo;
}

/* The TSC's rate in kHz against CLOCK_MONOTONIC, over 200 ms. */
static double host_tsc_khz(void)
{
	struct timespec t0, t1;
	uint64_t c0, c1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	c0 = host_rdtsc();
	usleep(200000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c1 = host_rdtsc();
	return (c1 - c0) * 1e6 / ((t1.tv_sec - t0.tv_sec) * 1e9 +
				  (t1.tv_nsec - t0.tv_nsec));
}

/*
 * What CPUID advertises runs: INVPCID and RDTSCP (VMX makes them #UD
 * unless enabled, and Linux 6.1 flushes its TLB with INVPCID early in
 * boot). Leaf 0x15, where there is one, gives the TSC's real rate in a
 * form Linux computes in 32 bits (crystal kHz times EBX).
 */
TEST_F(lm, advertised_instructions_and_tsc_rate)
{
	double implied, measured;
	struct test_vcpu *v;
	struct ucall uc;
	char desc[512];
	int cmd;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_ud_fail);
	v = test_vcpu_add_default(self->vm, 0, guest_advertised_insns, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	TH_LOG("INVPCID %s, RDTSCP %s", uc.args[0] ? "ran" : "not advertised",
	       uc.args[1] ? "ran" : "not advertised");
	cmd = test_vcpu_run_ucall(v, &uc);
	if (cmd == UCALL_DONE)
		return;		/* no leaf 0x15 */
	ASSERT_EQ(UCALL_SYNC, cmd)
		TH_LOG("%s", test_vcpu_describe(v, &uc, desc, sizeof(desc)));
	if (!uc.args[0])
		return;		/* no rate known */
	EXPECT_NE(0, uc.args[1]);
	EXPECT_EQ(1000000000, uc.args[2]);	/* the APIC timer's 1 GHz */
	EXPECT_LE((uc.args[2] / 1000) * uc.args[1], UINT32_MAX);
	implied = (double)(uc.args[2] / 1000) * uc.args[1] / uc.args[0];
	measured = host_tsc_khz();
	TH_LOG("leaf 0x15: %.0f kHz, measured %.0f kHz", implied, measured);
	EXPECT_LT(implied, measured * 1.03);
	EXPECT_GT(implied, measured * 0.97);
}

/* KVM's paravirtual clock ABI (Documentation/virt/kvm/x86/msr.rst). */
#define PV_SIGNATURE		0x40000100
#define PV_FEATURES		0x40000101
#define PV_NOP_IO_DELAY		(1U << 1)
#define PV_CLOCKSOURCE2		(1U << 3)
#define PV_STABLE_BIT		(1U << 24)
#define MSR_PV_WALL_CLOCK	0x4b564d00
#define MSR_PV_SYSTEM_TIME	0x4b564d01
#define PV_FLAG_STABLE		(1U << 0)

struct pv_time {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

struct pv_wall {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((packed));

static struct pv_time guest_pv_time __attribute__((aligned(64)));
static struct pv_wall guest_pv_wall __attribute__((aligned(64)));

/* The guest's clock from its record, as Linux's pvclock reads it. */
GUEST_CODE static uint64_t guest_pv_ns(volatile struct pv_time *t)
{
	uint32_t version;
	uint64_t ns, delta;

	do {
		version = t->version;
		asm volatile("" : : : "memory");
		delta = rdtsc() - t->tsc_timestamp;
		if (t->shift < 0)
			delta >>= -t->shift;
		else
			delta <<= t->shift;
		ns = t->system_time +
		     (uint64_t)(((__uint128_t)delta * t->mul) >> 32);
		asm volatile("" : : : "memory");
	} while ((version & 1) || version != t->version);
	return ns;
}

GUEST_CODE static void guest_pvclock(void)
{
	volatile struct pv_time *t = &guest_pv_time;
	volatile struct pv_wall *w = &guest_pv_wall;
	uint32_t a, b, c, d;
	uint64_t ns;

	cpuid(PV_SIGNATURE, 0, &a, &b, &c, &d);
	GUEST_SYNC(a, b, c, d);
	cpuid(PV_FEATURES, 0, &a, &b, &c, &d);
	GUEST_SYNC(a, d);
	wrmsr(MSR_PV_WALL_CLOCK, (uintptr_t)w);
	wrmsr(MSR_PV_SYSTEM_TIME, (uintptr_t)t | 1);
	GUEST_SYNC(rdmsr(MSR_PV_WALL_CLOCK), rdmsr(MSR_PV_SYSTEM_TIME));
	/* The record is written before this entry. */
	ns = guest_pv_ns(t);
	GUEST_SYNC(t->version, t->mul, (uint8_t)t->shift | t->flags << 8, ns);
	GUEST_SYNC(guest_pv_ns(t));
	ns = guest_pv_ns(t);
	GUEST_SYNC(w->version, w->sec * 1000000000ULL + w->nsec + ns);
	/* Disabled: the record stays as it was across the WRMSR's exit. */
	a = t->version;
	wrmsr(MSR_PV_SYSTEM_TIME, (uintptr_t)t);
	GUEST_SYNC(t->version - a);
}

/*
 * KVM's clock at 0x40000100: the leaves, its MSRs kept in the kernel, a
 * record whose rate is the TSC's and whose time advances with the host's
 * across a host sleep, and a wall clock that reads the host's realtime.
 * Bounds are orderings (the guest's interval holds the host's sleep and
 * lies within the host's interval around it), with 2% and 2 ms for the
 * TSC rate the kernel calibrated and the time a read takes; the rate
 * within 3% of the host's measure, as leaf 0x15's above.
 */
TEST_F(lm, kvmclock)
{
	uint64_t h0, h1, h2, h3, g1, g2, r0, r1, wall, guest, host;
	double khz, measured;
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_pvclock, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(PV_FEATURES, uc.args[0]);
	EXPECT_EQ(0x4b4d564b, uc.args[1]);		/* "KVMKVMKVM" */
	EXPECT_EQ(0x564b4d56, uc.args[2]);
	EXPECT_EQ(0x4d, uc.args[3]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_TRUE(uc.args[0] & PV_CLOCKSOURCE2);
	EXPECT_TRUE(uc.args[0] & PV_NOP_IO_DELAY);
	EXPECT_EQ(0, uc.args[0] & ~(PV_CLOCKSOURCE2 | PV_NOP_IO_DELAY |
				    PV_STABLE_BIT));
	EXPECT_EQ(0, uc.args[1]);			/* no hints */
	TH_LOG("stable TSC flag %s", uc.args[0] & PV_STABLE_BIT ? "on" : "off");

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ((uintptr_t)&guest_pv_wall, uc.args[0]);
	EXPECT_EQ((uintptr_t)&guest_pv_time | 1, uc.args[1]);
	EXPECT_EQ((uintptr_t)&guest_pv_time | 1,
		  axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_PV_SYSTEM_TIME)));

	h0 = axvm_clock_ns(CLOCK_MONOTONIC);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	h1 = axvm_clock_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(0, uc.args[0] & 1);
	EXPECT_NE(0, uc.args[0]);
	ASSERT_NE(0, uc.args[1]);
	g1 = uc.args[3];
	/* The TSC's rate the record implies, against the host's own. */
	khz = 1e6 * 4294967296.0 / (double)uc.args[1];
	if ((int8_t)(uc.args[2] & 0xff) < 0)
		khz *= 1 << -(int8_t)(uc.args[2] & 0xff);
	else
		khz /= 1 << (int8_t)(uc.args[2] & 0xff);
	measured = host_tsc_khz();
	TH_LOG("record: mul %lu shift %d flags %#lx: %.0f kHz, measured %.0f",
	       (unsigned long)uc.args[1], (int8_t)(uc.args[2] & 0xff),
	       (unsigned long)(uc.args[2] >> 8), khz, measured);
	EXPECT_LT(khz, measured * 1.03);
	EXPECT_GT(khz, measured * 0.97);

	h2 = axvm_clock_ns(CLOCK_MONOTONIC);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	h3 = axvm_clock_ns(CLOCK_MONOTONIC);
	g2 = uc.args[0];
	guest = g2 - g1;
	TH_LOG("guest clock advanced %lu ns; host %lu to %lu ns",
	       (unsigned long)guest, (unsigned long)(h2 - h1),
	       (unsigned long)(h3 - h0));
	EXPECT_GE(guest + 2000000, (h2 - h1) * 98 / 100);
	EXPECT_LE(guest, (h3 - h0) * 102 / 100 + 2000000);

	r0 = axvm_clock_ns(CLOCK_REALTIME);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	r1 = axvm_clock_ns(CLOCK_REALTIME);
	EXPECT_EQ(0, uc.args[0] & 1);
	EXPECT_NE(0, uc.args[0]);
	wall = uc.args[1];
	host = r1 - r0;
	TH_LOG("guest wall clock %+ld ns from the host's before the run, %lu ns run",
	       (long)(wall - r0), (unsigned long)host);
	EXPECT_GE(wall + 20000000, r0);
	EXPECT_LE(wall, r1 + 20000000);

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static void guest_triple_fault(void)
{
	static const struct { uint16_t limit; uint64_t base; }
		__attribute__((packed)) no_idt = { 0, 0 };

	asm volatile("lidt %0\n int3" : : "m" (no_idt));
	GUEST_FAIL("survived a triple fault");
}

/* A triple fault ends the VM: system-down with the crash type. */
TEST_F(lm, triple_fault_is_crash)
{
	struct test_vcpu *v;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_triple_fault, 0);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(AXVM_EXIT_SYSTEM_DOWN, test_vcpu_run_exit(v));
	EXPECT_EQ(AXVM_SYSTEM_DOWN_CRASH, v->run->system_down.type);
}

/*
 * Long mode without CR4.PAE is a state the CPU refuses to enter: each RUN
 * is a failed entry carrying the hardware's reason (SVM VMEXIT_INVALID,
 * VMX exit reason 33), the host stays up, and with CR4 fixed the same
 * vCPU runs on.
 */
TEST_F(lm, invalid_state_fails_entry)
{
	uint64_t want, cr4;
	struct test_vcpu *v;
	char desc[512];
	struct ucall uc;
	int i;

	if (!self->vm)
		return;
	want = on_vmx(self->vm) ? 33 : ~0ULL;
	v = test_vcpu_add_default(self->vm, 0, guest_hypercall, 1, 0ULL);
	ASSERT_NE(NULL, v);
	cr4 = axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_CR4);
	ASSERT_EQ(X86_CR4_PAE, cr4 & X86_CR4_PAE);
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR4, cr4 & ~X86_CR4_PAE));
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(AXVM_EXIT_FAIL_ENTRY, test_vcpu_run_exit(v));
		ASSERT_EQ(want, v->run->fail_entry.hardware_reason);
	}
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR4, cr4));
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, test_vcpu_run_exit(v))
		TH_LOG("%s", test_vcpu_describe(v, NULL, desc, sizeof(desc)));
	v->run->hypercall.ret = 42;
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

#define X86_CR0_CD		(1ULL << 30)
#define X86_CR0_NW		(1ULL << 29)
#define X86_CR0_RESET		0x60000010ULL	/* CD NW ET */
#define X86_CR4_VMXE		(1ULL << 13)
#define X86_CR4_PCIDE		(1ULL << 17)
#define X86_AR_L		(1ULL << 13)
#define X86_EFER_LME		(1ULL << 8)
#define X86_EFER_LMA		(1ULL << 10)
#define X86_EFER_NXE		(1ULL << 11)
#define X86_EFER_SVME		(1ULL << 12)
#define X86_MSR_EFER		0xc0000080

/*
 * Values no MOV or WRMSR could give a register are refused one by one:
 * CR0 bits 63:32 are reserved, NW without CD and PG without PE are #GP
 * (SDM vol. 3, 2.5 and MOV CR's exceptions); CR4.VMXE names a feature the
 * guest does not have; CR8 holds a 4-bit priority (SDM 10.8.6.1); EFER's
 * SVME is not the guest's (its CPUID has no SVM). Nothing is changed.
 */
TEST_F(lm, sysreg_refuses_undefined_control_values)
{
	static const struct { uint64_t id, val; } bad[] = {
		{ AXVM_SYSREG_X86_CR0, 1ULL << 32 | X86_CR0_PE },
		{ AXVM_SYSREG_X86_CR0, X86_CR0_NW | X86_CR0_PE },
		{ AXVM_SYSREG_X86_CR0, X86_CR0_PG },
		{ AXVM_SYSREG_X86_CR4, X86_CR4_PAE | X86_CR4_VMXE },
		{ AXVM_SYSREG_X86_CR4, X86_CR4_PAE | 1ULL << 63 },
		{ AXVM_SYSREG_X86_CR8, 16 },
		{ AXVM_SYSREG_X86_EFER, X86_EFER_LME | X86_EFER_SVME },
		{ AXVM_SYSREG_X86_MSR(X86_MSR_EFER), 1ULL << 40 },
	};
	struct test_vcpu *v;
	uint64_t before;
	unsigned int i;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_hypercall, 1, 0ULL);
	ASSERT_NE(NULL, v);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		before = axvm_get_sysreg(v->fd, bad[i].id);
		EXPECT_EQ(-1, axvm_set_sysreg(v->fd, bad[i].id, bad[i].val))
			TH_LOG("id %#llx value %#llx was taken",
			       (unsigned long long)bad[i].id,
			       (unsigned long long)bad[i].val);
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(before, axvm_get_sysreg(v->fd, bad[i].id));
	}
	/* What the power-on state holds stays valid (SDM 9.1.1). */
	EXPECT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR8, 15));
	EXPECT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR8, 0));
}

/*
 * Registers each valid alone, together a mode that does not exist: the
 * long-mode vCPU's CR0 set back to its reset value (paging and
 * protection off) leaves EFER.LMA and CS.L set. KVM_SET_SREGS refuses it
 * ("EFER.LMA is clear and the code segment cannot be 64-bit" outside
 * long mode, kvm_is_valid_sregs()); so must RUN, as a failed entry with
 * the CPU's own reason and AXVM_X86_BAD_LEGACY_MODE. QEMU's VMRUN took
 * this state (the ioctl fuzzer found it) and the CPU running it never
 * answered the host's interrupts again. Long mode without PAE, and PCIDE
 * outside long mode, are refused the same way.
 */
TEST_F(lm, undefined_mode_fails_entry)
{
	uint64_t want, cr0, cr4, efer, cs_attr;
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	want = on_vmx(self->vm) ? 33 : ~0ULL;
	v = test_vcpu_add_default(self->vm, 0, guest_hypercall, 1, 0ULL);
	ASSERT_NE(NULL, v);
	cr0 = axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_CR0);
	cr4 = axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_CR4);
	efer = axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_EFER);
	ASSERT_EQ(X86_EFER_LME | X86_EFER_LMA,
		  efer & (X86_EFER_LME | X86_EFER_LMA));

	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR0, X86_CR0_RESET));
	ASSERT_EQ(AXVM_EXIT_FAIL_ENTRY, test_vcpu_run_exit(v));
	EXPECT_EQ(want, v->run->fail_entry.hardware_reason);
	EXPECT_EQ(AXVM_X86_BAD_LEGACY_MODE, v->run->fail_entry.data);

	/* LMA clear with LME and PG set: long mode the CPU did not enter. */
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR0, cr0));
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_EFER,
				     efer & ~X86_EFER_LMA));
	ASSERT_EQ(AXVM_EXIT_FAIL_ENTRY, test_vcpu_run_exit(v));
	EXPECT_EQ(AXVM_X86_BAD_LONG_MODE, v->run->fail_entry.data);
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_EFER, efer));

	/*
	 * PCIDE with LME clear and paging off, CS.L clear: only PCIDE
	 * (MOV to CR4 refuses it outside IA-32e mode, SDM 4.10.1).
	 */
	if (axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR4, cr4 | X86_CR4_PCIDE) == 0) {
		cs_attr = axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_SEG_ATTR(X86_CS));
		ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_SEG_ATTR(X86_CS),
					     cs_attr & ~X86_AR_L));
		ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR0,
					     X86_CR0_RESET));
		ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_EFER, 0));
		ASSERT_EQ(AXVM_EXIT_FAIL_ENTRY, test_vcpu_run_exit(v));
		EXPECT_EQ(AXVM_X86_BAD_LEGACY_MODE, v->run->fail_entry.data);
		ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR0, cr0));
		ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_EFER, efer));
		ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR4, cr4));
		ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_SEG_ATTR(X86_CS),
					     cs_attr));
	}

	/* The same vCPU, its state whole again, runs on. */
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, test_vcpu_run_exit(v));
	v->run->hypercall.ret = 42;
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

static uint64_t efer_gp;

GUEST_CODE static void on_efer_gp(struct ex_regs *regs)
{
	if (regs->vector != GP_VECTOR)
		GUEST_FAIL("not #GP");
	efer_gp++;
	regs->rip += 2;			/* wrmsr is two bytes */
}

GUEST_CODE static void guest_efer_writes(void)
{
	uint64_t efer = rdmsr(X86_MSR_EFER);

	/* LMA written clear: ignored, the guest stays in long mode. */
	wrmsr(X86_MSR_EFER, efer & ~X86_EFER_LMA);
	GUEST_SYNC(rdmsr(X86_MSR_EFER), efer_gp);
	/* LME cleared under paging: #GP, EFER unchanged. */
	wrmsr(X86_MSR_EFER, efer & ~(X86_EFER_LME | X86_EFER_LMA));
	GUEST_SYNC(rdmsr(X86_MSR_EFER), efer_gp);
	/*
	 * Reserved bits: #GP, EFER unchanged. SVME (12) is reserved for a
	 * guest without SVM in its CPUID; bit 1 and bit 63 always are.
	 */
	wrmsr(X86_MSR_EFER, efer | X86_EFER_SVME);
	wrmsr(X86_MSR_EFER, efer | 2);
	wrmsr(X86_MSR_EFER, efer | 1ULL << 63);
	GUEST_SYNC(rdmsr(X86_MSR_EFER), efer_gp);
}

/*
 * A guest's own WRMSR to EFER: a reserved bit set is #GP (SDM vol. 2,
 * WRMSR: #GP(0) "if the value in EDX:EAX sets bits that are reserved in
 * the MSR"); LMA is read-only, the CPU's record of LME and CR0.PG (SDM
 * vol. 4, IA32_EFER, "IA-32e Mode Active (R)"; KVM keeps its own LMA on
 * a write), and LME cannot change while paging is on (#GP, SDM 10.8.5).
 * A written LMA taken as is would have entered the guest in a mode that
 * does not exist.
 */
TEST_F(lm, guest_efer_lma_is_read_only)
{
	struct test_vcpu *v;
	struct ucall uc;
	uint64_t efer;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_efer_gp);
	v = test_vcpu_add_default(self->vm, 0, guest_efer_writes, 0);
	ASSERT_NE(NULL, v);
	efer = axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_EFER);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(efer, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(efer, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(efer, uc.args[0]);
	EXPECT_EQ(4, uc.args[1]);
	EXPECT_EQ(efer, axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_EFER));
}

GUEST_CODE static void guest_efer_nx(void)
{
	uint64_t efer = rdmsr(X86_MSR_EFER);

	wrmsr(X86_MSR_EFER, efer | X86_EFER_NXE);
	GUEST_SYNC(rdmsr(X86_MSR_EFER), efer_gp);
}

/*
 * EFER.NXE is reserved where CPUID.80000001H:EDX.NX is 0 (SDM vol. 4,
 * IA32_EFER: "if CPUID.80000001H:EDX.[20] = 1"; KVM's kvm_valid_efer()):
 * with NX taken out of the vCPU's CPUID table, setting it is #GP and
 * EFER keeps its value; with NX in the table it is taken.
 */
TEST_F(lm, guest_efer_follows_its_cpuid)
{
	static struct cpuid_table t;
	struct axvm_cpuid_entry *ext;
	struct test_vcpu *v;
	struct ucall uc;
	uint64_t efer;
	int nx;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_efer_gp);
	for (nx = 0; nx < 2; nx++) {
		v = test_vcpu_add_default(self->vm, nx, guest_efer_nx, 0);
		ASSERT_NE(NULL, v);
		t.hdr.entries = (uintptr_t)t.e;
		t.hdr.nent = CPUID_ROOM;
		t.hdr.flags = 0;
		ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_CPUID, &t));
		ext = find_leaf(&t, 0x80000001);
		ASSERT_NE(NULL, ext);
		if (!(ext->edx & (1u << 20)))
			SKIP(return, "the host has no NX");
		if (!nx)
			ext->edx &= ~(1u << 20);
		ASSERT_EQ(0, ioctl(v->fd, AXVM_SET_CPUID, &t));
		/* The library starts it with NXE on: clear it first. */
		efer = axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_EFER) &
		       ~X86_EFER_NXE;
		ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_EFER,
					     efer));
		TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
		EXPECT_EQ(nx ? efer | X86_EFER_NXE : efer, uc.args[0]);
		/* The count of #GPs, shared: one, from the first vCPU. */
		EXPECT_EQ(1, uc.args[1]);
	}
}

/* ------------------------------------------------------------------ */

/* SSE registers filled from @seed, checked after every exit. */
__attribute__((noinline)) static void guest_sse(uint64_t seed, uint64_t rounds)
{
	uint64_t bad = 0, i, a, b;

	for (i = 0; i < rounds; i++) {
		asm volatile("movq %0, %%xmm0\n movq %0, %%xmm7\n"
			     "movq %0, %%xmm15\n"
			     : : "r" (seed + i) : "xmm0", "xmm7", "xmm15");
		guest_vmmcall(0x5e, 0, 0, 0, 0);
		asm volatile("movq %%xmm7, %0\n movq %%xmm15, %1"
			     : "=r" (a), "=r" (b));
		if (a != seed + i || b != seed + i)
			bad++;
	}
	GUEST_SYNC(bad);
}

/* A host XMM register, set and read back around a pause. */
static uint64_t host_sse_roundtrip(uint64_t seed)
{
	uint64_t got;

	asm volatile("movq %1, %%xmm7\n pause\n movq %%xmm7, %0"
		     : "=r" (got) : "r" (seed) : "xmm7");
	return got;
}

/* The host's own SSE state between the guest's runs. */
static void host_sse_between(int exits)
{
	asm volatile("movq %0, %%xmm7\n movq %0, %%xmm15"
		     : : "r" ((uint64_t)exits) : "xmm7", "xmm15");
	sched_yield();
}

/* The guest's x87/SSE state and a host thread's on the same CPU. */
TEST_F(lm, sse_kept_apart)
{
	struct test_host_fp host = { .roundtrip = host_sse_roundtrip, .seed = 0x1234 };
	struct test_vcpu *v;
	struct ucall uc;
	int exits;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_sse, 2,
				  (uint64_t)0xabc00000, (uint64_t)300);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, test_host_fp_start(&host));
	exits = test_vcpu_run_hypercalls(v, 0x5e, host_sse_between);
	EXPECT_EQ(0, test_host_fp_stop(&host));
	ASSERT_EQ(UCALL_SYNC, test_get_ucall(v, &uc));
	EXPECT_EQ(0, uc.args[0]);
	EXPECT_EQ(300, exits);
}

/* ------------------------------------------------------------------ */

#define X86_CR4_OSXSAVE	(1ULL << 18)

/* OSXSAVE, XCR0 with AVX through XSETBV, then YMM registers across exits. */
__attribute__((noinline)) static void guest_avx(uint64_t seed, uint64_t rounds)
{
	uint64_t bad = 0, i, hi, xcr0;
	uint32_t a, b, c, d, avx_size;

	asm volatile("mov %%cr4, %%rax\n or %0, %%rax\n mov %%rax, %%cr4"
		     : : "r" (X86_CR4_OSXSAVE) : "rax");
	cpuid(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(c & (1U << 27), c);		/* OSXSAVE seen */
	asm volatile("xsetbv" : : "c" (0), "a" (7), "d" (0));
	asm volatile("xgetbv" : "=a" (xcr0) : "c" (0) : "rdx");
	GUEST_ASSERT_EQ(xcr0, 7);
	/* The XSAVE sizes Linux checks against its own sums at boot. */
	cpuid(0xd, 2, &a, &b, &c, &d);
	avx_size = a;
	GUEST_ASSERT_EQ(b, 512 + 64);		/* AVX after the header */
	cpuid(0xd, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(b, 512 + 64 + avx_size);
	cpuid(0xd, 1, &a, &b, &c, &d);
	if (a & (1U << 1))			/* XSAVEC: compacted size */
		GUEST_ASSERT_EQ(b, 512 + 64 + avx_size);

	for (i = 0; i < rounds; i++) {
		asm volatile("vmovq %0, %%xmm3\n"
			     "vinsertf128 $1, %%xmm3, %%ymm3, %%ymm3\n"
			     "vmovaps %%ymm3, %%ymm12\n"
			     : : "r" (seed + i) : "xmm3", "xmm12");
		guest_vmmcall(0x5e, 0, 0, 0, 0);
		asm volatile("vextractf128 $1, %%ymm12, %%xmm4\n vmovq %%xmm4, %0"
			     : "=r" (hi) : : "xmm4");
		if (hi != seed + i)
			bad++;
	}
	GUEST_SYNC(bad);
}

/* The upper half of a host YMM register, set and read back. */
static uint64_t host_avx_roundtrip(uint64_t seed)
{
	uint64_t got;

	asm volatile("vmovq %1, %%xmm12\n"
		     "vinsertf128 $1, %%xmm12, %%ymm12, %%ymm12\n"
		     "pause\n"
		     "vextractf128 $1, %%ymm12, %%xmm5\n vmovq %%xmm5, %0"
		     : "=r" (got) : "r" (seed) : "xmm5", "xmm12");
	return got;
}

static int host_has_avx(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d)
			 : "a" (1), "c" (0));
	return (c & (1U << 28)) && (c & (1U << 27));
}

/* The host's own YMM state between the guest's runs. */
static void host_avx_between(int exits)
{
	asm volatile("vmovq %0, %%xmm12\n"
		     "vinsertf128 $1, %%xmm12, %%ymm12, %%ymm12"
		     : : "r" ((uint64_t)~exits) : "xmm12");
	sched_yield();
}

/* The guest's YMM registers and a host thread's on the same CPU. */
TEST_F(lm, avx_kept_apart)
{
	struct test_host_fp host = { .roundtrip = host_avx_roundtrip, .seed = 0x4321 };
	char desc[512];
	struct test_vcpu *v;
	struct ucall uc;
	int exits;

	if (!self->vm)
		return;
	if (!host_has_avx())
		SKIP(return, "the CPU has no AVX");
	v = test_vcpu_add_default(self->vm, 0, guest_avx, 2,
				  (uint64_t)0x5a000000, (uint64_t)300);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, test_host_fp_start(&host));
	exits = test_vcpu_run_hypercalls(v, 0x5e, host_avx_between);
	EXPECT_EQ(0, test_host_fp_stop(&host));
	ASSERT_EQ(UCALL_SYNC, test_get_ucall(v, &uc))
		TH_LOG("%s", test_vcpu_describe(v, &uc, desc, sizeof(desc)));
	EXPECT_EQ(0, uc.args[0]);
	EXPECT_EQ(300, exits);
}

TEST_HARNESS_MAIN
