// SPDX-License-Identifier: GPL-2.0
/*
 * x86 instructions that the kernel completes for the guest on MMIO, and
 * the string port I/O instructions, SVM and VMX alike. The reference is
 * the CPU itself: each read-modify-write instruction runs once on RAM and
 * once on the MMIO window with the same operands, and registers, status
 * flags and the value stored must agree (SDM vol. 2, each instruction's
 * "Operation" and "Flags Affected"). The string instructions are checked
 * against SDM vol. 2's MOVS/STOS/INS/OUTS and REP pages: one element per
 * iteration, rSI and rDI stepping by the operand size, downwards with
 * RFLAGS.DF, rCX counting to 0; and against SDM vol. 3 4.7 and 4.8 for
 * the page tables the kernel walks for the instruction's other operand.
 */
#include "axvm_util.h"
#include "test_vm.h"
#include "axvm_harness.h"

#define MMIO		0x10000000ULL
/* RAM of the test's own, behind PDPT entry 4 (1 GiB pages, 4-5 GiB). */
#define EXTRA_GPA	0x100000000ULL
#define EXTRA_SLOT	4
#define PDPT_GPA	(TEST_SCRATCH_GPA + 0x1000)
#define PTE_RW		(1ULL << 1)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define STATUS_FLAGS	0x8d5ULL	/* OF SF ZF AF PF CF */
#define AF		0x10ULL
#define CF		0x01ULL
#define PORT_OUT	0xe0
#define PORT_IN		0xe2

FIXTURE(mmio) {
	struct test_vm *vm;
};

FIXTURE_SETUP(mmio)
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

FIXTURE_TEARDOWN(mmio)
{
	if (self->vm)
		test_vm_free(self->vm);
}

/* ------------------------------------------------------------------ */

struct rmw_regs {
	uint64_t rax, rcx, rdx, flags;
};

/*
 * One instruction on the memory at %rbx, with RAX, RCX, RDX and RFLAGS
 * in and out. The stack pointer steps over the red zone with LEA, which
 * leaves the flags alone.
 */
#define RMW_RUN(insn, mem, r)						\
do {									\
	struct rmw_regs *__r = (r);					\
									\
	asm volatile("lea -128(%%rsp), %%rsp\n\t"			\
		     "push %[fl]\n\tpopf\n\t"				\
		     insn "\n\t"					\
		     "pushf\n\tpop %[fl]\n\t"				\
		     "lea 128(%%rsp), %%rsp"				\
		     : "+a" (__r->rax), "+c" (__r->rcx), "+d" (__r->rdx), \
		       [fl] "+r" (__r->flags)				\
		     : "b" (mem) : "memory", "cc");			\
} while (0)

/*
 * The cases: the instruction, the bytes it accesses, whether it writes
 * memory back, the memory's value before, the registers before, and the
 * status flags the SDM leaves undefined (not compared).
 */
struct rmw_case {
	unsigned int size;
	int stores;
	uint64_t mem;
	struct rmw_regs in;
	uint64_t undefined;
};

#define NOFL		0x202ULL		/* IF, and bit 1 */
#define ALLFL		(NOFL | STATUS_FLAGS)

static const struct rmw_case rmw_cases[] = {
	/* 0 */ { 4, 1, 0x80000001, { 0, 0xffffffff00010000ULL, 0, NOFL }, AF },
	/* 1 */ { 4, 1, 0x00000001, { 0, 0, 0, ALLFL }, AF },
	/* 2 */ { 8, 1, 0x123456789abcdef7ULL, { 0, 0, 0, NOFL }, AF },
	/* 3 */ { 2, 1, 0xfff0, { 0, 0x0010, 0, NOFL }, 0 },
	/* 4 */ { 1, 1, 0x7f, { 0, 0x0100, 0, ALLFL }, 0 },
	/* 5 */ { 4, 0, 0x00000005, { 0, 0xdead000000000003ULL, 0, NOFL }, 0 },
	/* 6 */ { 8, 1, 0x0, { 0, 0x1, 0, ALLFL }, 0 },
	/* 7 */ { 1, 1, 0xa5, { 0, 0, 0, NOFL }, AF },
	/* 8 */ { 4, 0, 0x80000000, { 0, 0x1, 0, NOFL }, 0 },
	/* 9 */ { 1, 0, 0x80, { 0, 0x7f, 0, NOFL }, 0 },
	/* 10 */ { 2, 0, 0x8001, { 0, 0, 0, NOFL }, AF },
	/* 11 */ { 4, 1, 0x0f0f0f0f, { 0, 0, 0, ALLFL }, 0 },
	/* 12 */ { 8, 1, 0x1, { 0, 0, 0, NOFL }, 0 },
	/* 13 */ { 1, 1, 0xff, { 0, 0, 0, ALLFL }, 0 },
	/* 14 */ { 4, 1, 0x0, { 0, 0, 0, NOFL }, 0 },
	/* 15 */ { 4, 1, 0x11111111, { 0, 0xffffffff22222222ULL, 0, NOFL }, 0 },
	/* 16 */ { 4, 1, 0x42, { 0x42, 0x99, 0, NOFL }, 0 },
	/* 17 */ { 8, 1, 0x42, { 0x43, 0x99, 0, NOFL }, 0 },
	/* 18 */ { 4, 1, 0xfffffff0, { 0, 0x20, 0, NOFL }, 0 },
	/* 19 */ { 4, 0, 0x80000000, { 0, 0, 0, NOFL }, STATUS_FLAGS & ~CF },
	/* 20 */ { 8, 1, 0x0, { 0, 37, 0, NOFL }, STATUS_FLAGS & ~CF },
	/* 21 */ { 2, 1, 0xffff, { 0, 3, 0, NOFL }, STATUS_FLAGS & ~CF },
	/* 22 */ { 4, 1, 0x80, { 0, 0, 0, NOFL }, STATUS_FLAGS & ~CF },
	/* 23 */ { 1, 0, 0x12, { 0, 0, 0x0100, NOFL }, 0 },
	/* 24 */ { 4, 1, 0x1, { 0, 0, 0, ALLFL }, 0 },
};

GUEST_CODE static void rmw_one(unsigned int i, uint64_t mem,
			       struct rmw_regs *r)
{
	switch (i) {
	case 0:
		RMW_RUN("orl %%ecx, (%%rbx)", mem, r);
		break;
	case 1:
		RMW_RUN("lock orl $0x80000000, (%%rbx)", mem, r);
		break;
	case 2:
		RMW_RUN("andq $-16, (%%rbx)", mem, r);
		break;
	case 3:
		RMW_RUN("addw %%cx, (%%rbx)", mem, r);
		break;
	case 4:
		RMW_RUN("adcb %%ch, (%%rbx)", mem, r);
		break;
	case 5:
		RMW_RUN("subl (%%rbx), %%ecx", mem, r);
		break;
	case 6:
		RMW_RUN("sbbq %%rcx, (%%rbx)", mem, r);
		break;
	case 7:
		RMW_RUN("xorb $0x5a, (%%rbx)", mem, r);
		break;
	case 8:
		RMW_RUN("cmpl %%ecx, (%%rbx)", mem, r);
		break;
	case 9:
		RMW_RUN("cmpb (%%rbx), %%cl", mem, r);
		break;
	case 10:
		RMW_RUN("testw $0x8000, (%%rbx)", mem, r);
		break;
	case 11:
		RMW_RUN("notl (%%rbx)", mem, r);
		break;
	case 12:
		RMW_RUN("negq (%%rbx)", mem, r);
		break;
	case 13:
		RMW_RUN("incb (%%rbx)", mem, r);
		break;
	case 14:
		RMW_RUN("decl (%%rbx)", mem, r);
		break;
	case 15:
		RMW_RUN("xchgl %%ecx, (%%rbx)", mem, r);
		break;
	case 16:
		RMW_RUN("lock cmpxchgl %%ecx, (%%rbx)", mem, r);
		break;
	case 17:
		RMW_RUN("cmpxchgq %%rcx, (%%rbx)", mem, r);
		break;
	case 18:
		RMW_RUN("lock xaddl %%ecx, (%%rbx)", mem, r);
		break;
	case 19:
		RMW_RUN("btl $31, (%%rbx)", mem, r);
		break;
	case 20:
		RMW_RUN("lock btsq %%rcx, (%%rbx)", mem, r);
		break;
	case 21:
		RMW_RUN("btrw %%cx, (%%rbx)", mem, r);
		break;
	case 22:
		RMW_RUN("btcl $7, (%%rbx)", mem, r);
		break;
	case 23:
		RMW_RUN("addb (%%rbx), %%dh", mem, r);
		break;
	case 24:
		RMW_RUN("sbbl $0x7fffffff, (%%rbx)", mem, r);
		break;
	}
}

static volatile uint64_t rmw_ram;

/*
 * Each case on RAM, then on MMIO (the host answers the read with the same
 * value): the registers and the defined flags must agree. The RAM's
 * value after goes to the host, which compares the store it saw.
 */
GUEST_CODE static void guest_rmw(uint64_t n)
{
	const struct rmw_case *c;
	struct rmw_regs a, b;
	unsigned int i;
	uint64_t keep;

	for (i = 0; i < n; i++) {
		c = &rmw_cases[i];
		rmw_ram = c->mem;
		a = c->in;
		b = c->in;
		rmw_one(i, (uint64_t)&rmw_ram, &a);
		rmw_one(i, MMIO + 8 * i, &b);
		keep = ~c->undefined;
		GUEST_ASSERT_EQ(a.rax, b.rax);
		GUEST_ASSERT_EQ(a.rcx, b.rcx);
		GUEST_ASSERT_EQ(a.rdx, b.rdx);
		GUEST_ASSERT_EQ(a.flags & keep, b.flags & keep);
		GUEST_SYNC(i, rmw_ram);
	}
}

/*
 * ALU, TEST, NOT, NEG, INC, DEC, XCHG, CMPXCHG, XADD and BT* on MMIO: one
 * read of the operand's size at its address, then, for the ones that
 * write, one store of what the same instruction left in RAM (CMPXCHG
 * stores in both outcomes: "the destination operand receives a write
 * cycle without regard to the result of the comparison", SDM vol. 2,
 * CMPXCHG); the compare and BT forms store nothing.
 */
TEST_F(mmio, read_modify_write)
{
	unsigned int n = ARRAY_SIZE(rmw_cases), i;
	const struct rmw_case *c;
	uint64_t stored = 0, mask;
	struct test_vcpu *v;
	struct ucall uc;
	int ret;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_rmw, 1, (uint64_t)n);
	ASSERT_NE(NULL, v);
	for (i = 0; i < n; i++) {
		c = &rmw_cases[i];
		mask = c->size == 8 ? ~0ULL : (1ULL << (c->size * 8)) - 1;
		ASSERT_EQ(AXVM_EXIT_MMIO, test_vcpu_run_exit(v))
			TH_LOG("case %u", i);
		EXPECT_EQ(MMIO + 8 * i, v->run->mmio.phys_addr);
		EXPECT_EQ(c->size, v->run->mmio.len) TH_LOG("case %u", i);
		ASSERT_EQ(0, v->run->mmio.is_write) TH_LOG("case %u", i);
		v->run->mmio.data = c->mem;
		if (c->stores) {
			ASSERT_EQ(AXVM_EXIT_MMIO, test_vcpu_run_exit(v))
				TH_LOG("case %u: no store", i);
			EXPECT_EQ(MMIO + 8 * i, v->run->mmio.phys_addr);
			EXPECT_EQ(c->size, v->run->mmio.len);
			ASSERT_EQ(1, v->run->mmio.is_write);
			stored = v->run->mmio.data;
		}
		ret = test_vcpu_run_ucall(v, &uc);
		if (ret != UCALL_SYNC) {
			char desc[512];

			ASSERT_EQ(UCALL_SYNC, ret)
				TH_LOG("case %u: %s", i,
				       test_vcpu_describe(v, &uc, desc,
							  sizeof(desc)));
		}
		EXPECT_EQ(i, uc.args[0]);
		if (c->stores)
			EXPECT_EQ(uc.args[1] & mask, stored)
				TH_LOG("case %u", i);
	}
}

/* ------------------------------------------------------------------ */

static volatile uint16_t words[8];
static volatile uint64_t qword = 0x0123456789abcdefULL;
static volatile uint8_t bytes_out[4] = { 'a', 'x', 'v', 'm' };
static volatile uint64_t pf_vector, pf_error, pf_cr2;

GUEST_CODE static void on_pf(struct ex_regs *regs)
{
	pf_vector = regs->vector;
	pf_error = regs->error_code;
	pf_cr2 = read_cr2();
	regs->rip += 1;		/* past the one-byte MOVSB */
}

/* The 1 GiB page of EXTRA_GPA, with @set and without @clear. */
GUEST_CODE static void extra_pte(uint64_t set, uint64_t clear)
{
	volatile uint64_t *pdpte = (uint64_t *)PDPT_GPA + 4;

	*pdpte = (*pdpte | set) & ~clear;
	asm volatile("mov %%cr3, %%rax\n\tmov %%rax, %%cr3"
		     : : : "rax", "memory");
}

GUEST_CODE static void guest_strings(void)
{
	uint64_t rdi, rsi, rcx;
	volatile uint8_t *extra = (uint8_t *)EXTRA_GPA;

	/* REP STOSL: three stores at rising addresses. */
	rdi = MMIO + 0x100;
	rcx = 3;
	asm volatile("cld\n\trep stosl"
		     : "+D" (rdi), "+c" (rcx) : "a" (0xa5a5a5a5) : "memory");
	GUEST_SYNC(rdi, rcx);

	/* STD; REP MOVSW from MMIO to RAM: both pointers step down. */
	rsi = MMIO + 0x200;
	rdi = (uint64_t)&words[4];
	rcx = 2;
	asm volatile("std\n\trep movsw\n\tcld"
		     : "+S" (rsi), "+D" (rdi), "+c" (rcx) : : "memory");
	GUEST_SYNC(rsi, rdi, words[4], words[3]);

	/* MOVSQ from RAM to MMIO. */
	rsi = (uint64_t)&qword;
	rdi = MMIO + 0x300;
	asm volatile("movsq" : "+S" (rsi), "+D" (rdi) : : "memory");
	GUEST_SYNC(rsi, rdi);

	/* MOVSL from MMIO to MMIO: a read, then a store. */
	rsi = MMIO + 0x400;
	rdi = MMIO + 0x500;
	asm volatile("movsl" : "+S" (rsi), "+D" (rdi) : : "memory");
	GUEST_SYNC(rsi, rdi);

	/* REP OUTSB from RAM, REP INSW to RAM. */
	rsi = (uint64_t)bytes_out;
	rcx = 4;
	asm volatile("rep outsb"
		     : "+S" (rsi), "+c" (rcx) : "d" (PORT_OUT) : "memory");
	GUEST_SYNC(rsi, rcx);
	rdi = (uint64_t)&words[0];
	rcx = 2;
	asm volatile("rep insw"
		     : "+D" (rdi), "+c" (rcx) : "d" (PORT_IN) : "memory");
	GUEST_SYNC(rdi, rcx, words[0], words[1]);

	/* MOVSB from MMIO into a page whose A and D flags are clear. */
	extra_pte(0, PTE_A | PTE_D);
	rsi = MMIO + 0x600;
	rdi = EXTRA_GPA + 0x10;
	asm volatile("movsb" : "+S" (rsi), "+D" (rdi) : : "memory");
	GUEST_SYNC(((uint64_t *)PDPT_GPA)[4] & (PTE_A | PTE_D), extra[0x10]);

	/* The same into the page made read-only: #PF, nothing stepped. */
	extra_pte(0, PTE_RW);
	rsi = MMIO + 0x700;
	rdi = EXTRA_GPA + 0x20;
	asm volatile("movsb" : "+S" (rsi), "+D" (rdi) : : "memory");
	GUEST_SYNC(pf_vector, pf_error, pf_cr2, extra[0x20]);
	GUEST_SYNC(rsi, rdi);
	extra_pte(PTE_RW, 0);
}

static void expect_mmio(struct __test_metadata *_metadata,
			struct test_vcpu *v, uint64_t off, int len, int write,
			uint64_t data)
{
	ASSERT_EQ(AXVM_EXIT_MMIO, test_vcpu_run_exit(v));
	EXPECT_EQ(MMIO + off, v->run->mmio.phys_addr);
	EXPECT_EQ(len, v->run->mmio.len);
	ASSERT_EQ(write, v->run->mmio.is_write);
	if (!write) {
		v->run->mmio.data = data;
		return;
	}
	EXPECT_EQ(data, v->run->mmio.data);
}

static void expect_io(struct __test_metadata *_metadata,
		      struct test_vcpu *v, uint16_t port, int size, int write,
		      uint64_t data)
{
	ASSERT_EQ(AXVM_EXIT_IO, test_vcpu_run_exit(v));
	EXPECT_EQ(port, v->run->io.port);
	EXPECT_EQ(size, v->run->io.size);
	EXPECT_EQ(1, v->run->io.count);
	ASSERT_EQ(write, v->run->io.is_write);
	if (!write) {
		v->run->io.data = data;
		return;
	}
	EXPECT_EQ(data, v->run->io.data);
}

TEST_F(mmio, string_instructions)
{
	struct test_vcpu *v;
	struct ucall uc;
	uint8_t *extra;
	int i;

	if (!self->vm)
		return;
	extra = test_vm_add_region(self->vm, EXTRA_SLOT, 0, EXTRA_GPA,
				   2ULL << 20);
	ASSERT_NE(NULL, extra);
	test_vm_set_sync_handler(self->vm, on_pf);
	v = test_vcpu_add_default(self->vm, 0, guest_strings, 0);
	ASSERT_NE(NULL, v);

	for (i = 0; i < 3; i++)
		expect_mmio(_metadata, v, 0x100 + 4 * i, 4, 1, 0xa5a5a5a5);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(MMIO + 0x10c, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);

	expect_mmio(_metadata, v, 0x200, 2, 0, 0x1111);
	expect_mmio(_metadata, v, 0x1fe, 2, 0, 0x2222);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(MMIO + 0x1fc, uc.args[0]);
	EXPECT_EQ((uint64_t)&words[2], uc.args[1]);
	EXPECT_EQ(0x1111, uc.args[2]);
	EXPECT_EQ(0x2222, uc.args[3]);

	expect_mmio(_metadata, v, 0x300, 8, 1, 0x0123456789abcdefULL);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ((uint64_t)&qword + 8, uc.args[0]);
	EXPECT_EQ(MMIO + 0x308, uc.args[1]);

	expect_mmio(_metadata, v, 0x400, 4, 0, 0xfeedface);
	expect_mmio(_metadata, v, 0x500, 4, 1, 0xfeedface);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(MMIO + 0x404, uc.args[0]);
	EXPECT_EQ(MMIO + 0x504, uc.args[1]);

	for (i = 0; i < 4; i++)
		expect_io(_metadata, v, PORT_OUT, 1, 1, "axvm"[i]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ((uint64_t)bytes_out + 4, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	expect_io(_metadata, v, PORT_IN, 2, 0, 0x1234);
	expect_io(_metadata, v, PORT_IN, 2, 0, 0x5678);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ((uint64_t)&words[2], uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0x1234, uc.args[2]);
	EXPECT_EQ(0x5678, uc.args[3]);

	/*
	 * SDM 4.8: the accessed flag of each entry used and the dirty flag
	 * of the one mapping the page written are set by the access.
	 */
	expect_mmio(_metadata, v, 0x600, 1, 0, 0x5a);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(PTE_A | PTE_D, uc.args[0]);
	EXPECT_EQ(0x5a, uc.args[1]);
	EXPECT_EQ(0x5a, extra[0x10]);

	/*
	 * SDM 4.6: with CR0.WP, a supervisor write to a read-only page is a
	 * #PF with error code P | W (4.7) and CR2 the address; the faulting
	 * instruction changes no register (an exception is a fault).
	 */
	expect_mmio(_metadata, v, 0x700, 1, 0, 0x77);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(14, uc.args[0]);
	EXPECT_EQ(0x3, uc.args[1]);
	EXPECT_EQ(EXTRA_GPA + 0x20, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(MMIO + 0x700, uc.args[0]);
	EXPECT_EQ(EXTRA_GPA + 0x20, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static void guest_ins_skipped(void)
{
	uint64_t rdi = (uint64_t)&words[0], rcx = 1;
	uint8_t al;

	words[0] = 0;
	asm volatile("rep insb"			/* skipped by the VMM */
		     : "+D" (rdi), "+c" (rcx) : "d" (PORT_IN) : "memory");
	al = inb(PORT_IN + 1);
	GUEST_SYNC(al, words[0], rdi, rcx);
}

/*
 * A VMM may drop an exit by setting new registers ("new state from
 * userspace replaces any exit still to complete"): here it moves RIP
 * past a REP INSB whose element it never gave. The plain IN after it
 * completes into AL, and the INS stores nothing.
 */
TEST_F(mmio, dropped_ins_leaves_nothing_behind)
{
	struct axvm_regs regs;
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_ins_skipped, 0);
	ASSERT_NE(NULL, v);
	expect_io(_metadata, v, PORT_IN, 1, 0, 0x11);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_REGS, &regs));
	regs.pc += 2;				/* f3 6c */
	ASSERT_EQ(0, ioctl(v->fd, AXVM_SET_REGS, &regs));
	expect_io(_metadata, v, PORT_IN + 1, 1, 0, 0x22);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x22, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ((uint64_t)&words[0], uc.args[2]);
	EXPECT_EQ(1, uc.args[3]);
}

/* ------------------------------------------------------------------ */

/* MOV forms the decoder must know, on the MMIO window. */
GUEST_CODE static void guest_mmio_forms(void)
{
	uint64_t r8 = 0, rbx = 0x1111111111111111ULL, ah = 0;
	uint32_t zx = 0;
	int64_t sx = 0;

	asm volatile("movzbl (%1), %0" : "=r" (zx) : "r" (MMIO) : "memory");
	asm volatile("movswq 2(%1), %0" : "=r" (sx) : "r" (MMIO) : "memory");
	asm volatile("mov 8(%1), %0" : "=r" (r8) : "r" (MMIO) : "memory");
	asm volatile("movl $0xdeadbeef, 0x10(%0)" : : "r" (MMIO) : "memory");
	asm volatile("movq $-2, 0x18(%0)" : : "r" (MMIO) : "memory");
	asm volatile("movb 0x20(%1), %%bl" : "+b" (rbx) : "r" (MMIO) : "memory");
	asm volatile("mov $0x1234, %%eax\n movb %%ah, 0x28(%1)\n"
		     "movb 0x29(%1), %%ah\n mov %%rax, %0"
		     : "=r" (ah) : "r" (MMIO) : "rax", "memory");
	GUEST_SYNC(zx, sx, r8, rbx);
	GUEST_SYNC(ah);
}

/*
 * Loads of every width into the low bytes, AH and a whole register, with
 * zero and sign extension; stores of registers and immediates.
 */
TEST_F(mmio, mov_forms)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_mmio_forms, 0);
	ASSERT_NE(NULL, v);
	expect_mmio(_metadata, v, 0, 1, 0, 0x80);
	expect_mmio(_metadata, v, 2, 2, 0, 0x8001);
	EXPECT_EQ(1, v->run->mmio.sign_extend);
	expect_mmio(_metadata, v, 8, 8, 0, 0x0123456789abcdefULL);
	expect_mmio(_metadata, v, 0x10, 4, 1, 0xdeadbeef);
	expect_mmio(_metadata, v, 0x18, 8, 1, 0xfffffffffffffffeULL);
	expect_mmio(_metadata, v, 0x20, 1, 0, 0x5a);
	expect_mmio(_metadata, v, 0x28, 1, 1, 0x12);		/* from AH */
	expect_mmio(_metadata, v, 0x29, 1, 0, 0x99);		/* into AH */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x80, uc.args[0]);
	EXPECT_EQ(0xffffffffffff8001ULL, uc.args[1]);
	EXPECT_EQ(0x0123456789abcdefULL, uc.args[2]);
	EXPECT_EQ(0x111111111111115aULL, uc.args[3]);	/* BL only */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x9934, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

TEST_HARNESS_MAIN
