// SPDX-License-Identifier: GPL-2.0
/*
 * The guest-code library itself: C guest functions with arguments, ucalls
 * (sync, assert with its location and values, done on return), globals
 * moved between host and guest, MMIO through the accessors, exception
 * handlers set by host and guest, and vCPUs on separate stacks. Skips on
 * lanes that cannot run guests and on arches without a guest library.
 */
#define _GNU_SOURCE

#include "axvm_util.h"
#include "axvm_harness.h"
#include "test_vm.h"

#define MMIO_ADDR	0x10000000UL

/*
 * An undefined instruction, UNDEF_LEN bytes long: a synchronous exception
 * to the guest. On riscv64 the 32-bit unimp, csrrw x0, cycle, x0: a write
 * to a read-only CSR (the assembler refuses it spelt out, and would make
 * unimp the 2-byte c.unimp). On x86_64 ud2, #UD.
 */
#ifdef __x86_64__
#define UNDEF_LEN	2
#else
#define UNDEF_LEN	4
#endif

static inline GUEST_INLINE void guest_undef(void)
{
#ifdef __aarch64__
	asm volatile("udf #0");
#elif defined(__riscv)
	asm volatile(".4byte 0xc0001073");
#elif defined(__x86_64__)
	asm volatile("ud2");
#endif
}

/* Moved between host and guest by the tests. */
static uint64_t counter;
static uint64_t assert_line;
static uint64_t seen_cause;	/* arm64 ESR, riscv64 scause, x86 vector */

FIXTURE(lib) {
	struct test_vm *vm;
	struct ucall uc;
};

/* A setup SKIP still runs the test body: bodies return if vm is NULL. */
FIXTURE_SETUP(lib)
{
	int sys = axvm_open(), can_run;

	ASSERT_GE(sys, 0);
	can_run = axvm_cap(sys, AXVM_CAP_RUN);
	close(sys);
	if (can_run <= 0)
		SKIP(return, "RUN not supported on this lane yet");
	self->vm = test_vm_create();
	if (!self->vm && errno == EOPNOTSUPP)
		SKIP(return, "no guest library for this arch");
	ASSERT_NE(NULL, self->vm) TH_LOG("test_vm_create: %s",
					 strerror(errno));
}

FIXTURE_TEARDOWN(lib)
{
	test_vm_free(self->vm);
}

GUEST_CODE static void guest_args(uint64_t a, uint64_t b, uint64_t c)
{
	GUEST_SYNC(a + b + c);
	GUEST_ASSERT(a < b && b < c);
	/* Stage-1 MMU on, as the library set it up. */
#ifdef __riscv
	GUEST_ASSERT(csr_read(satp) >> 60 == 8, csr_read(satp));
#elif defined(__x86_64__)
	GUEST_ASSERT(read_cr0() & X86_CR0_PG, read_cr0());
#else
	GUEST_ASSERT(read_sysreg(sctlr_el1) & 1, read_sysreg(sctlr_el1));
#endif
	GUEST_SYNC(counter, a, b, c);
	counter = counter * 2 + 1;
}

TEST_F(lib, args_sync_globals_done)
{
	struct test_vcpu *vcpu;

	if (!self->vm)
		return;
	counter = 20;
	sync_global_to_guest(self->vm, counter);
	vcpu = test_vcpu_add_default(self->vm, 0, guest_args, 3,
				     (uint64_t)1, (uint64_t)2, (uint64_t)30);
	ASSERT_NE(NULL, vcpu) TH_LOG("test_vcpu_add: %s", strerror(errno));

	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_SYNC);
	EXPECT_EQ(1, self->uc.nargs);
	EXPECT_EQ(33, self->uc.args[0]);
	EXPECT_EQ(0, self->uc.args[1]);

	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_SYNC);
	EXPECT_EQ(4, self->uc.nargs);
	EXPECT_EQ(20, self->uc.args[0]);
	EXPECT_EQ(1, self->uc.args[1]);
	EXPECT_EQ(2, self->uc.args[2]);
	EXPECT_EQ(30, self->uc.args[3]);

	/* Returning from the guest function is DONE, and stays so. */
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_DONE);
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_DONE);

	/* The guest wrote its copy; the host's changes only when synced. */
	EXPECT_EQ(20, counter);
	sync_global_from_guest(self->vm, counter);
	EXPECT_EQ(41, counter);
}

GUEST_CODE static void guest_assert_eq(uint64_t v)
{
	assert_line = __LINE__ + 1;
	GUEST_ASSERT_EQ(v + 1, 42);
	GUEST_SYNC(v);
}

TEST_F(lib, assert_eq_reports_location)
{
	struct test_vcpu *vcpu;
	char desc[512];

	if (!self->vm)
		return;
	vcpu = test_vcpu_add_default(self->vm, 0, guest_assert_eq, 1,
				     (uint64_t)40);
	ASSERT_NE(NULL, vcpu);
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_ASSERT);
	sync_global_from_guest(self->vm, assert_line);
	EXPECT_STREQ(__FILE__, self->uc.file);
	EXPECT_EQ(assert_line, self->uc.line);
	EXPECT_STREQ("v + 1 == 42", self->uc.expr);
	EXPECT_EQ(2, self->uc.nargs);
	EXPECT_EQ(41, self->uc.args[0]);
	EXPECT_EQ(42, self->uc.args[1]);

	test_vcpu_describe(vcpu, &self->uc, desc, sizeof(desc));
	TH_LOG("%s", desc);
	EXPECT_EQ(0, strncmp(desc, "guest assert: v + 1 == 42 at ", 29));
	EXPECT_NE(NULL, strstr(desc, "(values 0x29, 0x2a)"));

	/* A failed assert never lets the guest go on. */
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_ASSERT);
	EXPECT_EQ(assert_line, self->uc.line);

	/* The same function passes with the right value. */
	ASSERT_EQ(0, test_vcpu_set_entry(vcpu, guest_assert_eq, 1,
					 (uint64_t)41));
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_SYNC);
	EXPECT_EQ(41, self->uc.args[0]);
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_DONE);
}

GUEST_CODE static void guest_mmio(void)
{
	char *mmio = (char *)MMIO_ADDR;

	writel(0xcafef00d, mmio);
	GUEST_SYNC(readl(mmio + 4));
	writeb(0x5a, mmio + 1);
	writew(0xbeef, mmio + 2);
	writeq(0x0123456789abcdefULL, mmio + 8);
	GUEST_ASSERT_EQ(readb(mmio + 1), 0x81);
	GUEST_ASSERT_EQ(readw(mmio + 2), 0x8182);
	GUEST_SYNC(readq(mmio + 8));
}

/* RUN, expect an MMIO exit at @off from MMIO_ADDR; answer a read. */
static void expect_mmio(struct __test_metadata *_metadata,
			struct test_vcpu *vcpu, uint64_t off, uint32_t len,
			int is_write, uint64_t data)
{
	char desc[512];

	ASSERT_EQ(0, test_vcpu_run(vcpu));
	ASSERT_EQ(AXVM_EXIT_MMIO, vcpu->run->exit_reason)
		TH_LOG("%s", test_vcpu_describe(vcpu, NULL, desc,
						sizeof(desc)));
	EXPECT_EQ(MMIO_ADDR + off, vcpu->run->mmio.phys_addr);
	EXPECT_EQ(len, vcpu->run->mmio.len);
	EXPECT_EQ(is_write, vcpu->run->mmio.is_write);
	if (!is_write) {
		vcpu->run->mmio.data = data;
		return;
	}
	EXPECT_EQ(data, vcpu->run->mmio.data);
}

TEST_F(lib, mmio)
{
	struct test_vcpu *vcpu;

	if (!self->vm)
		return;
	vcpu = test_vcpu_add_default(self->vm, 0, guest_mmio, 0);
	ASSERT_NE(NULL, vcpu);

	expect_mmio(_metadata, vcpu, 0, 4, 1, 0xcafef00d);
	expect_mmio(_metadata, vcpu, 4, 4, 0, 0x12345678);
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_SYNC);
	EXPECT_EQ(0x12345678, self->uc.args[0]);

	expect_mmio(_metadata, vcpu, 1, 1, 1, 0x5a);
	expect_mmio(_metadata, vcpu, 2, 2, 1, 0xbeef);
	expect_mmio(_metadata, vcpu, 8, 8, 1, 0x0123456789abcdefULL);
	expect_mmio(_metadata, vcpu, 1, 1, 0, 0x81);
	expect_mmio(_metadata, vcpu, 2, 2, 0, 0x8182);
	expect_mmio(_metadata, vcpu, 8, 8, 0, 0xfedcba9876543210ULL);
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_SYNC);
	EXPECT_EQ(0xfedcba9876543210ULL, self->uc.args[0]);
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_DONE);
}

GUEST_CODE static void skip_insn(struct ex_regs *regs)
{
#ifdef __riscv
	seen_cause = regs->cause;
	regs->pc += UNDEF_LEN;
#elif defined(__x86_64__)
	seen_cause = regs->vector;
	regs->rip += UNDEF_LEN;
#else
	seen_cause = regs->esr;
	regs->pc += UNDEF_LEN;
#endif
}

GUEST_CODE static void guest_exceptions(void)
{
	/* The host installed skip_insn. */
	guest_undef();
	GUEST_SYNC(seen_cause);
	guest_sync_handler = NULL;
	guest_undef();
	GUEST_FAIL("survived an undefined instruction");
}

TEST_F(lib, exception_handlers)
{
	struct test_vcpu *vcpu;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, skip_insn);
	vcpu = test_vcpu_add_default(self->vm, 0, guest_exceptions, 0);
	ASSERT_NE(NULL, vcpu);

	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_SYNC);
#ifdef __riscv
	EXPECT_EQ(EXC_INST_ILLEGAL, self->uc.args[0]);
#elif defined(__x86_64__)
	EXPECT_EQ(UD_VECTOR, self->uc.args[0]);
#else
	/* EC 0 (unknown reason), 32-bit instruction. */
	EXPECT_EQ(0, self->uc.args[0] >> 26);
	EXPECT_EQ(1, (self->uc.args[0] >> 25) & 1);
#endif

	/*
	 * No handler: reported with ESR, ELR, FAR and the vector on arm64,
	 * scause, sepc, stval and 0 on riscv64, the vector, RIP, error code
	 * and CR2 on x86_64.
	 */
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_ASSERT);
	EXPECT_STREQ("unexpected exception", self->uc.expr);
	EXPECT_EQ(4, self->uc.nargs);
	EXPECT_LT((uintptr_t)guest_exceptions, self->uc.args[1]);
#ifdef __riscv
	EXPECT_EQ(EXC_INST_ILLEGAL, self->uc.args[0]);
	EXPECT_EQ(0, self->uc.args[3]);
#elif defined(__x86_64__)
	EXPECT_EQ(UD_VECTOR, self->uc.args[0]);
	EXPECT_EQ(0, self->uc.args[2]);	/* #UD has no error code */
#else
	EXPECT_EQ(0, self->uc.args[0] >> 26);
	EXPECT_EQ(4, self->uc.args[3]);	/* synchronous, SP_ELx */
#endif
}

GUEST_CODE static void guest_stack(uint64_t id)
{
	uint64_t local = id;

	GUEST_SYNC(id, (uintptr_t)&local);
	GUEST_SYNC(local);
}

TEST_F(lib, vcpus_have_own_stacks)
{
	struct test_vcpu *vcpu[2];
	uint64_t sp[2];
	int i;

	if (!self->vm)
		return;
	for (i = 0; i < 2; i++) {
		vcpu[i] = test_vcpu_add_default(self->vm, i, guest_stack, 1,
						(uint64_t)i + 100);
		ASSERT_NE(NULL, vcpu[i]);
	}
	for (i = 0; i < 2; i++) {
		TEST_RUN_UCALL(vcpu[i], &self->uc, UCALL_SYNC);
		EXPECT_EQ(i + 100, self->uc.args[0]);
		sp[i] = self->uc.args[1];
		EXPECT_LT(vcpu[i]->stack_top - TEST_STACK_SIZE, sp[i]);
		EXPECT_GT(vcpu[i]->stack_top, sp[i]);
	}
	EXPECT_NE(sp[0], sp[1]);
	for (i = 0; i < 2; i++) {
		TEST_RUN_UCALL(vcpu[i], &self->uc, UCALL_SYNC);
		EXPECT_EQ(i + 100, self->uc.args[0]);
		TEST_RUN_UCALL(vcpu[i], &self->uc, UCALL_DONE);
	}
}

GUEST_CODE static void guest_touch(uint64_t a, uint64_t b, uint64_t c)
{
	*(volatile uint64_t *)a = a;
	*(volatile uint64_t *)b = b;
	*(volatile uint64_t *)c = c;
}

/*
 * Stage-2 tables grow as a guest touches memory far apart and all go
 * with the VM; the module counts them in its stage2_pages parameter.
 */
TEST_F(lib, stage2_tables_freed_with_vm)
{
	static const uint64_t gpa[] = {
		0x100000000ULL, 0x1000000000ULL, 0x3200000000ULL,
	};
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	long before, during, after;
	unsigned int i;

	if (!self->vm)
		return;
	before = axvm_param("stage2_pages");
	ASSERT_LT(0, before);	/* the fixture's VM has its root */

	vm = test_vm_create();
	ASSERT_NE(NULL, vm);
	for (i = 0; i < 3; i++)
		ASSERT_NE(NULL, test_vm_add_region(vm, 10 + i, 0, gpa[i],
						   4096));
	vcpu = test_vcpu_add_default(vm, 0, guest_touch, 3, gpa[0], gpa[1],
				     gpa[2]);
	ASSERT_NE(NULL, vcpu);
	TEST_RUN_UCALL(vcpu, &self->uc, UCALL_DONE);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(gpa[i], *(uint64_t *)test_gpa2hva(vm, gpa[i]));

	/* A root, and a table per level below it for each far page. */
	during = axvm_param("stage2_pages");
	EXPECT_LE(before + 1 + 3, during);

	test_vm_free(vm);
	after = axvm_param("stage2_pages");
	EXPECT_EQ(before, after);
}

TEST_HARNESS_MAIN
