// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 host's own state around guest runs, SVM and VMX alike: what a
 * guest does to CR8, CR2, the debug registers, the SYSENTER MSRs and
 * DEBUGCTL stays the guest's, and the host's stays the host's. Each case
 * quotes the rule it checks; the host side runs pinned to CPU 0, where
 * the guest ran, and reads that CPU's state back.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "axvm_util.h"
#include "test_vm.h"
#include "axvm_harness.h"

#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_DEBUGCTL	0x1d9
#define DEBUGCTL_BTF		(1ULL << 1)

#define DR6_INIT		0xffff0ff0ULL
#define DR7_INIT		0x400ULL
/* DR7: L0, R/W0 = 01 (data writes), LEN0 = 11 (8 bytes). */
#define DR7_L0_WRITE8		(DR7_INIT | 1 | 1ULL << 16 | 3ULL << 18)

/* Long enough for any wait a loaded machine makes; a stuck CPU exceeds it. */
#define WAIT_NS			(60ULL * 1000 * 1000 * 1000)

FIXTURE(host) {
	struct test_vm *vm;
};

FIXTURE_SETUP(host)
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

FIXTURE_TEARDOWN(host)
{
	if (self->vm)
		test_vm_free(self->vm);
}

/* The @name line of /proc/interrupts ("LOC:"), column @cpu; -1: none. */
static long long irq_count(const char *name, int cpu)
{
	char line[1024], *p;
	long long v = -1;
	FILE *f = fopen("/proc/interrupts", "r");
	int i;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line;
		while (*p == ' ')
			p++;
		if (strncmp(p, name, strlen(name)))
			continue;
		p += strlen(name);
		for (i = 0; i <= cpu; i++)
			v = strtoll(p, &p, 10);
		break;
	}
	fclose(f);
	return v;
}

/* ------------------------------------------------------------------ */

/*
 * SDM 10.8.6.1: "MOV CR8 ... writes TPR[7:4]". A guest's CR8 is its own
 * task priority: with 15 in it, a host CPU whose real TPR took the value
 * would mask every interrupt of class <= 15, its timer and IPIs among
 * them, and never take one again.
 */
GUEST_CODE static void guest_cr8(void)
{
	uint64_t v = 15;

	asm volatile("mov %0, %%cr8" : : "r" (v));
	asm volatile("mov %%cr8, %0" : "=r" (v));
	GUEST_SYNC(v);
	asm volatile("mov %%cr8, %0" : "=r" (v));
	GUEST_SYNC(v);
}

static int wake_pipe[2];

static void *wake_cpu0(void *arg)
{
	test_pin_self(1);
	usleep(100000);
	return (void *)(long)write(wake_pipe[1], "x", 1);
}

TEST_F(host, cr8_is_the_guests_tpr)
{
	struct test_vcpu *v;
	long long loc0, loc;
	struct ucall uc;
	pthread_t thread;
	uint64_t t0;
	char c;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_cr8, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(15, uc.args[0]);
	EXPECT_EQ(15, axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_CR8));

	/* This CPU still takes its timer interrupts... */
	loc0 = irq_count("LOC:", 0);
	ASSERT_GE(loc0, 0);
	t0 = axvm_clock_ns(CLOCK_MONOTONIC);
	do {
		usleep(10000);
		loc = irq_count("LOC:", 0);
	} while (loc < loc0 + 3 &&
		 axvm_clock_ns(CLOCK_MONOTONIC) - t0 < WAIT_NS);
	EXPECT_GE(loc, loc0 + 3) TH_LOG("CPU 0 took %lld timer interrupts",
					loc - loc0);

	/* ... and the IPI that wakes this thread, sleeping, from CPU 1. */
	ASSERT_EQ(0, pipe(wake_pipe));
	ASSERT_EQ(0, pthread_create(&thread, NULL, wake_cpu0, NULL));
	EXPECT_EQ(1, read(wake_pipe[0], &c, 1));
	pthread_join(thread, NULL);
	close(wake_pipe[0]);
	close(wake_pipe[1]);

	/* The guest's TPR is still 15. */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(15, uc.args[0]);
}

/* ------------------------------------------------------------------ */

static int msr_fd(void)
{
	return open("/dev/cpu/0/msr", O_RDWR);
}

static uint64_t msr_get(int fd, uint32_t msr)
{
	uint64_t v = ~0ULL;

	if (pread(fd, &v, sizeof(v), msr) != sizeof(v))
		return ~0ULL;
	return v;
}

#define GUEST_SYSENTER_CS	0x60
#define GUEST_SYSENTER_ESP	0x123000
#define GUEST_SYSENTER_EIP	0x456000

GUEST_CODE static void guest_sysenter(void)
{
	int i;

	wrmsr(MSR_IA32_SYSENTER_CS, GUEST_SYSENTER_CS);
	wrmsr(MSR_IA32_SYSENTER_ESP, GUEST_SYSENTER_ESP);
	wrmsr(MSR_IA32_SYSENTER_EIP, GUEST_SYSENTER_EIP);
	for (i = 0; i < 3; i++)
		GUEST_SYNC(rdmsr(MSR_IA32_SYSENTER_CS),
			   rdmsr(MSR_IA32_SYSENTER_ESP),
			   rdmsr(MSR_IA32_SYSENTER_EIP));
}

/*
 * SDM 28.5.1: a VM exit loads IA32_SYSENTER_CS/ESP/EIP from the host
 * fields and clears IA32_DEBUGCTL. The host's 32-bit processes enter the
 * kernel through the first three, and DEBUGCTL is the host's to set: all
 * four read the same on the CPU after guest runs as before, while the
 * guest keeps its own SYSENTER values.
 */
TEST_F(host, host_sysenter_and_debugctl_survive)
{
	uint64_t cs, esp, eip, dbg = 0;
	bool btf = false;
	struct test_vcpu *v;
	struct ucall uc;
	int fd, i;

	if (!self->vm)
		return;
	fd = msr_fd();
	ASSERT_GE(fd, 0) TH_LOG("/dev/cpu/0/msr: %s", strerror(errno));
	cs = msr_get(fd, MSR_IA32_SYSENTER_CS);
	esp = msr_get(fd, MSR_IA32_SYSENTER_ESP);
	eip = msr_get(fd, MSR_IA32_SYSENTER_EIP);
	/* The lane kernel runs 32-bit processes: the MSRs are set. */
	EXPECT_NE(0, cs);
	EXPECT_NE(0, eip);
	/* BTF changes nothing without TF; an emulator may lack DEBUGCTL. */
	dbg = msr_get(fd, MSR_IA32_DEBUGCTL);
	if (dbg != ~0ULL) {
		uint64_t set = dbg | DEBUGCTL_BTF;

		btf = pwrite(fd, &set, sizeof(set), MSR_IA32_DEBUGCTL) ==
		      sizeof(set) && msr_get(fd, MSR_IA32_DEBUGCTL) == set;
	}
	if (!btf)
		TH_LOG("no writable DEBUGCTL on this CPU: its part is not checked");

	v = test_vcpu_add_default(self->vm, 0, guest_sysenter, 0);
	ASSERT_NE(NULL, v);
	for (i = 0; i < 3; i++) {
		TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
		EXPECT_EQ(GUEST_SYSENTER_CS, uc.args[0]);
		EXPECT_EQ(GUEST_SYSENTER_ESP, uc.args[1]);
		EXPECT_EQ(GUEST_SYSENTER_EIP, uc.args[2]);
		EXPECT_EQ(cs, msr_get(fd, MSR_IA32_SYSENTER_CS));
		EXPECT_EQ(esp, msr_get(fd, MSR_IA32_SYSENTER_ESP));
		EXPECT_EQ(eip, msr_get(fd, MSR_IA32_SYSENTER_EIP));
		if (btf)
			EXPECT_EQ(dbg | DEBUGCTL_BTF,
				  msr_get(fd, MSR_IA32_DEBUGCTL));
	}
	if (btf)
		pwrite(fd, &dbg, sizeof(dbg), MSR_IA32_DEBUGCTL);
	close(fd);
}

/* ------------------------------------------------------------------ */

#define GUEST_CR2_1	0x1234000ULL
#define GUEST_CR2_2	0xabc000ULL

GUEST_CODE static void guest_cr2(void)
{
	uint64_t v = GUEST_CR2_2;

	GUEST_SYNC(read_cr2());
	asm volatile("mov %0, %%cr2" : : "r" (v));
	GUEST_SYNC(0);
	GUEST_SYNC(read_cr2());
}

/* A page fault of this thread at a fresh page: CR2 holds its address. */
static void host_fault(void)
{
	volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED) {
		*p = 1;
		munmap((void *)p, 4096);
	}
}

/*
 * SDM 4.7: CR2 holds the linear address of the last page fault. It is
 * not part of the VMCS (SVM keeps it in the VMCB): the guest reads the
 * address of its own last fault, not the host's last one on that CPU.
 */
TEST_F(host, guest_cr2_is_its_own)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_cr2, 0);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR2, GUEST_CR2_1));
	host_fault();
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(GUEST_CR2_1, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	host_fault();
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(GUEST_CR2_2, uc.args[0]);
	EXPECT_EQ(GUEST_CR2_2, axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_CR2));
}

/* ------------------------------------------------------------------ */

static volatile uint64_t host_watch;
static volatile uint64_t guest_watch;
static uint64_t db_count, db_dr6;

GUEST_CODE static void on_db(struct ex_regs *regs)
{
	uint64_t dr6;

	asm volatile("mov %%dr6, %0" : "=r" (dr6));
	if (regs->vector == DB_VECTOR) {
		db_count++;
		db_dr6 = dr6;
	}
}

GUEST_CODE static void guest_debug_regs(void)
{
	uint64_t d0, d6, d7;

	asm volatile("mov %%dr0, %0" : "=r" (d0));
	asm volatile("mov %%dr6, %0" : "=r" (d6));
	asm volatile("mov %%dr7, %0" : "=r" (d7));
	GUEST_SYNC(d0, d6, d7);

	d0 = (uint64_t)&guest_watch;
	d7 = DR7_L0_WRITE8;
	asm volatile("mov %0, %%dr0" : : "r" (d0));
	asm volatile("mov %0, %%dr7" : : "r" (d7));
	GUEST_SYNC(0);			/* an exit between setting and use */
	asm volatile("mov %%dr0, %0" : "=r" (d0));
	asm volatile("mov %%dr7, %0" : "=r" (d7));
	GUEST_SYNC(d0, d7);

	guest_watch = 5;		/* a data breakpoint: #DB after it */
	d7 = DR7_INIT;
	asm volatile("mov %0, %%dr7" : : "r" (d7));
	GUEST_SYNC(db_count, db_dr6 & 0xf);
}

static int host_breakpoint(volatile uint64_t *addr)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = (uintptr_t)addr,
		.bp_len = HW_BREAKPOINT_LEN_8,
		.sample_period = 1,
	};

	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static uint64_t bp_hits(int fd)
{
	uint64_t n = ~0ULL;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return ~0ULL;
	return n;
}

/*
 * SDM 17.2: DR0-DR3 hold breakpoint addresses, DR7 enables them; at
 * reset DR0-3 are 0, DR6 0xFFFF0FF0, DR7 0x400 (Table 9-1). A host
 * watchpoint (in DR0 while this thread runs) is invisible to the guest
 * and never fires for it; the guest's own DR0/DR7 survive exits, its
 * data breakpoint raises #DB in the guest with DR6.B0 set (17.2.3), and
 * the host's watchpoint works after the guest's runs.
 */
TEST_F(host, debug_registers_are_the_guests)
{
	struct test_vcpu *v;
	struct ucall uc;
	int bp;

	if (!self->vm)
		return;
	bp = host_breakpoint(&host_watch);
	ASSERT_GE(bp, 0) TH_LOG("perf breakpoint: %s", strerror(errno));
	host_watch = 1;
	ASSERT_EQ(1, bp_hits(bp));

	test_vm_set_sync_handler(self->vm, on_db);
	v = test_vcpu_add_default(self->vm, 0, guest_debug_regs, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	EXPECT_EQ(DR6_INIT, uc.args[1]);
	EXPECT_EQ(DR7_INIT, uc.args[2]);

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(DR7_L0_WRITE8, axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_DR(7)));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ((uintptr_t)&guest_watch, uc.args[0]);
	EXPECT_EQ(DR7_L0_WRITE8, uc.args[1]);

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);		/* B0 */

	EXPECT_EQ(1, bp_hits(bp));
	host_watch = 2;
	EXPECT_EQ(2, bp_hits(bp));
	close(bp);
}

static uint64_t icebp_rip;

GUEST_CODE static void on_icebp(struct ex_regs *regs)
{
	if (regs->vector == DB_VECTOR) {
		db_count++;
		icebp_rip = regs->rip;
	}
}

GUEST_CODE static void guest_icebp(void)
{
	uint64_t after;

	asm volatile("lea 1f(%%rip), %0\n\t"
		     ".byte 0xf1\n"		/* ICEBP (INT1) */
		     "1:" : "=r" (after) : : "memory");
	GUEST_SYNC(db_count, icebp_rip == after);
}

/*
 * ICEBP (INT1, opcode F1) raises #DB as a trap, once, with the return
 * address after it (SDM Vol. 3 6.15 and Vol. 2 INT n/INT1): VMX reports
 * the intercepted #DB with RIP still on the instruction, and axvm steps
 * past it, as KVM does. On SVM the CPU reports it after the instruction;
 * QEMU's TCG, the SVM lane, never delivers INT1 at all (it re-executes
 * it forever, with or without axvm), so only VMX shows this.
 */
TEST_F(host, icebp_is_one_trap)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	if (axvm_cap(self->vm->sys_fd, AXVM_CAP_ARCH) != AXVM_ARCH_X86_VMX) {
		TH_LOG("QEMU's TCG does not deliver INT1: shown on VMX only");
		return;
	}
	test_vm_set_sync_handler(self->vm, on_icebp);
	v = test_vcpu_add_default(self->vm, 0, guest_icebp, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
}

/*
 * Userspace's view of the debug registers: DR6 and DR7 have no bits in
 * their upper halves (SDM 17.2.3, 17.2.4), DR4/DR5 are no registers of
 * their own.
 */
TEST_F(host, debug_register_sysregs_checked)
{
	struct test_vcpu *v;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_debug_regs, 0);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(DR7_INIT, axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_DR(7)));
	EXPECT_EQ(-1, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_DR(7), 1ULL << 32));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_DR(6), 1ULL << 40));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_DR(4), 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_DR(2), 0x5000));
	EXPECT_EQ(0x5000, axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_DR(2)));
}

/* ------------------------------------------------------------------ */

static uint64_t gp_count, gp_vector;

GUEST_CODE static void on_gp(struct ex_regs *regs)
{
	gp_count++;
	gp_vector = regs->vector;
	regs->rip += 2;			/* rdpmc is 0f 33 */
}

GUEST_CODE static void guest_rdpmc_wbinvd(void)
{
	uint32_t lo, hi;

	asm volatile("wbinvd" : : : "memory");
	asm volatile("invd" : : : "memory");
	GUEST_SYNC(0);
	asm volatile("rdpmc" : "=a" (lo), "=d" (hi) : "c" (0));
	GUEST_SYNC(gp_count, gp_vector);
}

/*
 * The host's caches and counters are not the guest's: WBINVD and INVD
 * run as no-ops, and RDPMC, with no counters in the guest's CPUID,
 * raises #GP ("if ECX does not select a valid counter", SDM Vol. 2B).
 */
TEST_F(host, rdpmc_faults_and_cache_flushes_run)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_gp);
	v = test_vcpu_add_default(self->vm, 0, guest_rdpmc_wbinvd, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(GP_VECTOR, uc.args[1]);
}

/* ------------------------------------------------------------------ */

#define MSR_IA32_SPEC_CTRL	0x48
#define MSR_IA32_ARCH_CAPABILITIES	0x10a
#define SPEC_CTRL_IBRS		1
#define ARCH_CAP_RDCL_NO	(1ULL << 0)
#define ARCH_CAP_SKIP_L1DFL	(1ULL << 3)
#define CPUID7_EDX_SPEC_CTRL	(1U << 26)
#define CPUID7_EDX_ARCH_CAP	(1U << 29)

/*
 * #GP from an RDMSR or WRMSR, counted and stepped over. Each test runs in
 * its own process, so the count starts at 0 in each.
 */
static uint64_t msr_gp;

GUEST_CODE static void on_msr_gp(struct ex_regs *regs)
{
	if (regs->vector != GP_VECTOR)
		GUEST_FAIL("not #GP");
	msr_gp++;
	regs->rip += 2;			/* rdmsr and wrmsr are two bytes */
}

GUEST_CODE static void guest_spec_ctrl(void)
{
	uint32_t a, b, c, d;
	uint64_t caps;

	cpuid(7, 0, &a, &b, &c, &d);
	caps = rdmsr(MSR_IA32_ARCH_CAPABILITIES);
	wrmsr(MSR_IA32_ARCH_CAPABILITIES, 0);		/* read-only: #GP */
	GUEST_SYNC(d, caps, msr_gp);
	if (d & CPUID7_EDX_SPEC_CTRL) {
		wrmsr(MSR_IA32_SPEC_CTRL, SPEC_CTRL_IBRS);
		GUEST_SYNC(rdmsr(MSR_IA32_SPEC_CTRL), msr_gp);
		GUEST_SYNC(rdmsr(MSR_IA32_SPEC_CTRL), msr_gp);
		wrmsr(MSR_IA32_SPEC_CTRL, 0);
	} else {
		wrmsr(MSR_IA32_SPEC_CTRL, SPEC_CTRL_IBRS);	/* #GP */
		GUEST_SYNC(0, msr_gp);
	}
}

/* Whether /proc/cpuinfo's first @field line ("flags", "bugs") lists @word. */
static bool cpuinfo_lists(const char *field, const char *word)
{
	char line[4096], *p;
	FILE *f = fopen("/proc/cpuinfo", "r");
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, strlen(field)))
			continue;
		for (p = strtok(strchr(line, ':') + 1, "\t\n "); p;
		     p = strtok(NULL, "\t\n "))
			if (!strcmp(p, word))
				found = true;
		break;
	}
	fclose(f);
	return found;
}

/*
 * SDM Vol. 4 (IA32_ARCH_CAPABILITIES, IA32_SPEC_CTRL) and Intel's
 * "Speculative Execution Side Channel Mitigations": a guest finds
 * ARCH_CAPABILITIES enumerated (CPUID.7.0:EDX[29]) and reads there what
 * the host is not vulnerable to (RDCL_NO without Meltdown) and that it
 * need not flush L1D for guests of its own (SKIP_L1DFL_VMENTRY); the MSR
 * is read-only. Where CPUID gives it SPEC_CTRL, the value it writes is
 * its own across exits while the host's SPEC_CTRL stays the host's;
 * where not, the write is #GP.
 */
TEST_F(host, speculation_controls)
{
	uint64_t host_spec = ~0ULL;
	struct test_vcpu *v;
	struct ucall uc;
	int fd;

	if (!self->vm)
		return;
	fd = msr_fd();
	ASSERT_GE(fd, 0);
	host_spec = msr_get(fd, MSR_IA32_SPEC_CTRL);
	test_vm_set_sync_handler(self->vm, on_msr_gp);
	v = test_vcpu_add_default(self->vm, 0, guest_spec_ctrl, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_TRUE(uc.args[0] & CPUID7_EDX_ARCH_CAP);
	EXPECT_TRUE(uc.args[1] & ARCH_CAP_SKIP_L1DFL);
	if (!cpuinfo_lists("bugs", "cpu_meltdown"))
		EXPECT_TRUE(uc.args[1] & ARCH_CAP_RDCL_NO);
	EXPECT_EQ(1, uc.args[2]);
	if (uc.args[0] & CPUID7_EDX_SPEC_CTRL) {
		TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
		EXPECT_EQ(SPEC_CTRL_IBRS, uc.args[0]);
		EXPECT_EQ(1, uc.args[1]);
		EXPECT_EQ(host_spec, msr_get(fd, MSR_IA32_SPEC_CTRL));
		TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
		EXPECT_EQ(SPEC_CTRL_IBRS, uc.args[0]);
	} else {
		TH_LOG("the CPU has no SPEC_CTRL: the guest's write is #GP");
		TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
		EXPECT_EQ(2, uc.args[1]);
	}
	close(fd);
}

/* ------------------------------------------------------------------ */

#define MSR_MTRRCAP		0xfe
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MSR_MTRR_FIX64K_00000	0x250
#define MSR_MTRR_FIX4K_F8000	0x26f
#define MSR_MTRR_PHYSBASE0	0x200
#define MSR_MTRR_PHYSMASK0	0x201
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MTRRCAP_EXPECTED	0x508	/* VCNT 8, FIX (bit 8), WC (bit 10) */
#define MTRR_DEF_E_FE_WB	0xc06
#define MTRR_FIX_ALL_WB		0x0606060606060606ULL
#define MTRR_BASE_2G_WB		0x80000006ULL
#define MTRR_MASK_256M_V	0xf0000800ULL
#define MISC_BTS_PEBS_UNAVAIL	0x1800ULL	/* bits 11 and 12 */
#define MISC_FAST_STRING	0x1ULL
#define MISC_EMON		0x80ULL

GUEST_CODE static void guest_mtrr(void)
{
	GUEST_SYNC(rdmsr(MSR_MTRRCAP), rdmsr(MSR_IA32_MISC_ENABLE), msr_gp);

	wrmsr(MSR_MTRR_DEF_TYPE, MTRR_DEF_E_FE_WB);
	wrmsr(MSR_MTRR_DEF_TYPE, 0x2);			/* type 2: #GP */
	wrmsr(MSR_MTRR_DEF_TYPE, 0x1000 | 6);		/* bit 12: #GP */
	GUEST_SYNC(rdmsr(MSR_MTRR_DEF_TYPE), msr_gp);

	wrmsr(MSR_MTRR_FIX64K_00000, MTRR_FIX_ALL_WB);
	wrmsr(MSR_MTRR_FIX4K_F8000, MTRR_FIX_ALL_WB ^ (1ULL << 48)); /* 7: #GP */
	GUEST_SYNC(rdmsr(MSR_MTRR_FIX64K_00000), rdmsr(MSR_MTRR_FIX4K_F8000),
		   msr_gp);

	wrmsr(MSR_MTRR_PHYSBASE0, MTRR_BASE_2G_WB);
	wrmsr(MSR_MTRR_PHYSMASK0, MTRR_MASK_256M_V);
	wrmsr(MSR_MTRR_PHYSBASE0, MTRR_BASE_2G_WB | 0x100);	/* bit 8: #GP */
	wrmsr(MSR_MTRR_PHYSMASK0, MTRR_MASK_256M_V | 1ULL << 63); /* #GP */
	GUEST_SYNC(rdmsr(MSR_MTRR_PHYSBASE0), rdmsr(MSR_MTRR_PHYSMASK0),
		   msr_gp);

	wrmsr(MSR_MTRRCAP, 0);				/* read-only: #GP */
	wrmsr(MSR_IA32_MISC_ENABLE, MISC_BTS_PEBS_UNAVAIL | MISC_FAST_STRING);
	wrmsr(MSR_IA32_MISC_ENABLE, MISC_FAST_STRING);	/* RO bits: #GP */
	wrmsr(MSR_IA32_MISC_ENABLE,
	      MISC_BTS_PEBS_UNAVAIL | MISC_FAST_STRING | MISC_EMON);
	GUEST_SYNC(rdmsr(MSR_IA32_MISC_ENABLE), msr_gp);
}

/*
 * SDM vol. 3A 11.11: MTRRcap is read-only and reports the variable
 * ranges (VCNT), the fixed ones (FIX) and WC; IA32_MTRR_DEF_TYPE holds a
 * type, FE and E, every other bit reserved; each byte of a fixed-range
 * MTRR is a type; PHYSBASEn holds a type and an address below
 * MAXPHYADDR, PHYSMASKn a mask and V. Types 2, 3 and 7 and up are
 * reserved (table 11-8). "A general-protection exception is generated if
 * software attempts to write to [reserved bits] or to load an undefined
 * memory type." The guest reads back what it wrote, the VMM sees the
 * same values, and a refused value changes nothing. IA32_MISC_ENABLE
 * (vol. 4), as KVM keeps it: BTS and PEBS unavailable, read-only.
 */
TEST_F(host, mtrrs_and_misc_enable_hold_their_values)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_msr_gp);
	v = test_vcpu_add_default(self->vm, 0, guest_mtrr, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(MTRRCAP_EXPECTED, uc.args[0]);
	EXPECT_EQ(MISC_BTS_PEBS_UNAVAIL, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(MTRR_DEF_E_FE_WB, uc.args[0]);
	EXPECT_EQ(2, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(MTRR_FIX_ALL_WB, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(3, uc.args[2]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(MTRR_BASE_2G_WB, uc.args[0]);
	EXPECT_EQ(MTRR_MASK_256M_V, uc.args[1]);
	EXPECT_EQ(5, uc.args[2]);
	EXPECT_EQ(MTRR_DEF_E_FE_WB,
		  axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_MTRR_DEF_TYPE)));
	EXPECT_EQ(MTRR_MASK_256M_V,
		  axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_MTRR_PHYSMASK0)));
	/* The VMM is held to the same values. */
	EXPECT_EQ(-1, axvm_set_sysreg(v->fd,
				      AXVM_SYSREG_X86_MSR(MSR_MTRR_DEF_TYPE), 3));
	EXPECT_EQ(EINVAL, errno);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(MISC_BTS_PEBS_UNAVAIL | MISC_FAST_STRING, uc.args[0]);
	EXPECT_EQ(7, uc.args[1]);
}

/* ------------------------------------------------------------------ */

#define MSR_IA32_CR_PAT		0x277
#define MSR_LSTAR		0xc0000082
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_TSC_AUX		0xc0000103
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define NONCANONICAL		0x0000800000000000ULL
#define GUEST_LSTAR		0xffffffff81000000ULL

GUEST_CODE static void guest_bad_msrs(void)
{
	wrmsr(MSR_LSTAR, GUEST_LSTAR);
	wrmsr(MSR_LSTAR, NONCANONICAL);
	wrmsr(MSR_TSC_AUX, 1ULL << 32);
	wrmsr(MSR_SYSCALL_MASK, 1ULL << 40);
	wrmsr(MSR_IA32_CR_PAT, 0x0007040600070402ULL);	/* type 2 */
	/* The segment bases too: the GS_BASE one used to shut it down. */
	wrmsr(MSR_FS_BASE, NONCANONICAL);
	wrmsr(MSR_GS_BASE, NONCANONICAL);
	wrmsr(MSR_KERNEL_GS_BASE, NONCANONICAL);
	GUEST_SYNC(msr_gp, rdmsr(MSR_LSTAR));
	GUEST_SYNC(rdmsr(MSR_FS_BASE) == NONCANONICAL ||
		   rdmsr(MSR_GS_BASE) == NONCANONICAL ||
		   rdmsr(MSR_KERNEL_GS_BASE) == NONCANONICAL);
}

/*
 * SDM Vol. 4 and WRMSR (Vol. 2B): "#GP(0) if the value is non-canonical"
 * for LSTAR, FS_BASE, GS_BASE, KERNEL_GS_BASE and the other address
 * MSRs, and for a reserved bit (TSC_AUX
 * and IA32_FMASK bits 63:32, PAT memory types 2 and 3). These reach the
 * host CPU's WRMSR at the switch, so a guest's write of one is #GP and
 * leaves the MSR as it was; AXVM_SET_SYSREG refuses them with EINVAL.
 */
TEST_F(host, reserved_msr_values_refused)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_msr_gp);
	v = test_vcpu_add_default(self->vm, 0, guest_bad_msrs, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(7, uc.args[0]);
	EXPECT_EQ(GUEST_LSTAR, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);		/* none of them took it */

	EXPECT_EQ(-1, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_LSTAR),
				      NONCANONICAL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_TSC_AUX),
				      1ULL << 32));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_IA32_CR_PAT),
				      0x0303030303030303ULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(GUEST_LSTAR,
		  axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_LSTAR)));
	EXPECT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_LSTAR),
				     0xffff800000000000ULL));
}

/* ------------------------------------------------------------------ */

struct __attribute__((packed)) desc_ptr64 {
	uint16_t limit;
	uint64_t base;
};

#define STACKS_GPA	0x80000000ULL
#define STACKS_BLOCK	(2ULL << 20)	/* a fresh stage-2 block each */
#define STACKS_N	4
#define SOFT_VECTOR	0x40
#define TSS_IST1	0x24

static uint64_t soft_count, int3_count;

GUEST_CODE static void on_soft_int(struct ex_regs *regs)
{
	if (regs->vector == SOFT_VECTOR)
		soft_count++;
}

GUEST_CODE static void on_int3(struct ex_regs *regs)
{
	if (regs->vector != BP_VECTOR)
		GUEST_FAIL("unexpected exception");
	int3_count++;
}

/* The IST1 slot of this vCPU's TSS, found through TR and the GDT. */
GUEST_CODE static volatile uint64_t *guest_ist1(void)
{
	struct desc_ptr64 gdt;
	uint64_t lo, hi, base;
	uint16_t tr;

	asm volatile("sgdt %0" : "=m" (gdt));
	asm volatile("str %0" : "=r" (tr));
	lo = ((volatile uint64_t *)gdt.base)[tr / 8];
	hi = ((volatile uint64_t *)gdt.base)[tr / 8 + 1];
	base = ((lo >> 16) & 0xffffff) | ((lo >> 56) & 0xff) << 24 |
	       (hi & 0xffffffff) << 32;
	return (volatile uint64_t *)(base + TSS_IST1);
}

/*
 * INT n and INT3 each delivered on an exception stack in a block of
 * RAM nothing touched yet: their delivery is cut short by a stage-2
 * fault, and the event must go in again once, returning after the
 * instruction.
 */
GUEST_CODE static void guest_soft_ints(void)
{
	volatile uint64_t *ist = guest_ist1();
	uint64_t saved = *ist;
	int i;

	for (i = 0; i < STACKS_N; i++) {
		*ist = STACKS_GPA + (i + 1) * STACKS_BLOCK - 64;
		if (i & 1)
			asm volatile("int $0x40" : : : "memory");
		else
			asm volatile("int3" : : : "memory");
	}
	*ist = saved;
	GUEST_SYNC(soft_count, int3_count);
}

/*
 * SDM 27.2.4 and 26.6.1.3: an exit during the delivery of a software
 * interrupt or exception reports it in IDT-vectoring information; it is
 * re-injected with the VM-entry instruction length, so that it pushes
 * the address after the INT n / INT3. On SVM without next-RIP saving,
 * RIP still points at the instruction (APM 15.20): it runs again. Either
 * way each instruction raises its event exactly once.
 */
TEST_F(host, soft_interrupt_cut_short_is_delivered_once)
{
	long long faults;
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	ASSERT_NE(NULL, test_vm_add_region(self->vm, TEST_SLOT_SCRATCH + 1, 0,
					   STACKS_GPA, STACKS_N * STACKS_BLOCK));
	test_vm_set_irq_handler(self->vm, on_soft_int);
	test_vm_set_sync_handler(self->vm, on_int3);
	v = test_vcpu_add_default(self->vm, 0, guest_soft_ints, 0);
	ASSERT_NE(NULL, v);
	faults = axvm_exit_count(v->fd, AXVM_EXIT_STAGE2_FAULT);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(STACKS_N / 2, uc.args[0]);
	EXPECT_EQ(STACKS_N / 2, uc.args[1]);
	/* Each delivery did fault in the fresh stack. */
	EXPECT_GE(axvm_exit_count(v->fd, AXVM_EXIT_STAGE2_FAULT),
		  faults + STACKS_N);
}

/* ------------------------------------------------------------------ */

#define PAIR_BLOCKS	8
#define PAIR_ROUNDS	4
#define PAIR_SLOT	(TEST_SLOT_SCRATCH + 1)

static uint64_t pair_counts[2];

GUEST_CODE static void on_pair_int(struct ex_regs *regs)
{
	if (regs->vector == SOFT_VECTOR || regs->vector == SOFT_VECTOR + 1)
		pair_counts[regs->vector - SOFT_VECTOR]++;
}

/*
 * Rounds of PAIR_BLOCKS software interrupts, each delivered on a stack
 * in a block whose stage-2 mapping the host dropped since: every
 * delivery is cut short by a fault, its event re-injected.
 */
GUEST_CODE static void guest_pair(uint64_t second)
{
	volatile uint64_t *ist = guest_ist1();
	int i;

	for (;;) {
		for (i = 0; i < PAIR_BLOCKS; i++) {
			*ist = STACKS_GPA + (i + 1) * STACKS_BLOCK - 64;
			if (second)
				asm volatile("int $0x41" : : : "memory");
			else
				asm volatile("int $0x40" : : : "memory");
		}
		GUEST_SYNC(pair_counts[0], pair_counts[1]);
	}
}

struct pair_run {
	struct test_vm *vm;
	struct test_vcpu *v;
	void *stacks;
	int failed;
	uint64_t counts[2];
};

/* One VM's vCPU on CPU 0, the region re-registered between rounds. */
static void *pair_thread(void *p)
{
	struct pair_run *r = p;
	struct ucall uc;
	int i;

	test_pin_self(0);
	for (i = 0; i < PAIR_ROUNDS; i++) {
		if (test_vcpu_run_ucall(r->v, &uc) != UCALL_SYNC) {
			r->failed = 1;
			break;
		}
		r->counts[0] = uc.args[0];
		r->counts[1] = uc.args[1];
		if (axvm_set_region(r->vm->fd, PAIR_SLOT, 0, 0, 0, NULL) ||
		    axvm_set_region(r->vm->fd, PAIR_SLOT, 0, STACKS_GPA,
				    PAIR_BLOCKS * STACKS_BLOCK, r->stacks))
			r->failed = 2;
		sched_yield();
	}
	return NULL;
}

/*
 * Two VMs whose vCPU threads share CPU 0 on a preemptible kernel, each
 * taking software interrupts whose delivery stage-2 faults cut short:
 * SDM 27.2.4's IDT-vectoring information of each exit is re-injected
 * into the VM it came from, once, whichever thread ran on the CPU in
 * between. Neither guest loses one of its own or takes the other's.
 */
TEST_F(host, two_vms_on_one_cpu_keep_their_events)
{
	uint64_t cpu0[AXVM_AFFINITY_WORDS] = { 1 };
	struct pair_run r[2] = { 0 };
	pthread_t threads[2];
	int i;

	if (!self->vm)
		return;
	for (i = 0; i < 2; i++) {
		r[i].vm = i ? test_vm_create() : self->vm;
		ASSERT_NE(NULL, r[i].vm);
		r[i].stacks = test_vm_add_region(r[i].vm, PAIR_SLOT, 0,
						 STACKS_GPA,
						 PAIR_BLOCKS * STACKS_BLOCK);
		ASSERT_NE(NULL, r[i].stacks);
		test_vm_set_irq_handler(r[i].vm, on_pair_int);
		r[i].v = test_vcpu_add(r[i].vm, 0, TEST_ARCH_ID_DEFAULT, cpu0,
				       guest_pair, 1, (uint64_t)i);
		ASSERT_NE(NULL, r[i].v);
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, pair_thread,
					    &r[i]));
	for (i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, r[i].failed);
		EXPECT_EQ(PAIR_BLOCKS * PAIR_ROUNDS, r[i].counts[i]);
		EXPECT_EQ(0, r[i].counts[!i]);
	}
	test_vm_free(r[1].vm);
}

/* ------------------------------------------------------------------ */

/* A GDT with user segments: the guest library's five, then these. */
#define SEL_USER_DATA	(5 * 8 + 3)
#define SEL_USER_CODE	(6 * 8 + 3)
#define GDT_USER_DATA	0x00cff3000000ffffULL	/* DPL 3, read/write */
#define GDT_USER_CODE	0x00affb000000ffffULL	/* DPL 3, 64-bit */
#define PTE_U		(1ULL << 2)
#define X86_CR0_AM	(1ULL << 18)
#define X86_RFLAGS_AC	(1ULL << 18)

static uint64_t user_gdt[8] __attribute__((aligned(16)));
static uint64_t user_stack[512] __attribute__((aligned(16)));
static uint64_t kernel_rsp, kernel_rip;
static uint64_t user_vector, user_rax, user_error;

/*
 * CPL 3 for the guest library's flat guest: user segments in a GDT of
 * its own, and U in the PML4 entry and the 1 GiB pages under it.
 */
GUEST_CODE static void guest_allow_user(void)
{
	struct desc_ptr64 gdt;
	uint64_t *pml4 = (uint64_t *)(read_cr3() & ~0xfffULL), *pdpt;
	uint64_t cr3 = read_cr3();
	int i;

	asm volatile("sgdt %0" : "=m" (gdt));
	for (i = 0; i < 5; i++)
		user_gdt[i] = ((volatile uint64_t *)gdt.base)[i];
	user_gdt[5] = GDT_USER_DATA;
	user_gdt[6] = GDT_USER_CODE;
	gdt.base = (uint64_t)user_gdt;
	gdt.limit = 7 * 8 - 1;
	asm volatile("lgdt %0" : : "m" (gdt));

	pml4[0] |= PTE_U;
	pdpt = (uint64_t *)(pml4[0] & 0x000ffffffffff000ULL);
	for (i = 0; i < 512; i++)
		pdpt[i] |= PTE_U;
	asm volatile("mov %0, %%cr3" : : "r" (cr3) : "memory");
}

/* An exception from CPL 3 ends the user part: back to the kernel's. */
GUEST_CODE static void on_user_exception(struct ex_regs *regs)
{
	if ((regs->cs & 3) != 3)
		GUEST_FAIL("exception in the guest's kernel");
	user_vector = regs->vector;
	user_error = regs->error_code;
	user_rax = regs->regs[0];
	regs->cs = 0x08;
	regs->ss = 0x10;
	regs->rsp = kernel_rsp;
	regs->rip = kernel_rip;
}

/*
 * At CPL 3 with @rflags: a hypercall, then an unaligned load (#AC when
 * CR0.AM and RFLAGS.AC allow it), then UD2; the first exception returns
 * to the kernel.
 */
GUEST_CODE static void guest_user_part(uint64_t rflags)
{
	/* Below the red zone: the pushes must not overwrite locals. */
	asm volatile("sub $128, %%rsp\n\t"
		     "mov %%rsp, %[ksp]\n\t"
		     "lea 2f(%%rip), %%rax\n\t"
		     "mov %%rax, %[krip]\n\t"
		     "push %[ss]\n\t"
		     "push %[usp]\n\t"
		     "push %[fl]\n\t"
		     "push %[cs]\n\t"
		     "lea 1f(%%rip), %%rax\n\t"
		     "push %%rax\n\t"
		     "iretq\n"
		     "1:\tmov $0x1234, %%eax\n\t"
		     "vmmcall\n\t"
		     "mov 1(%%rsp), %%rbx\n\t"
		     "ud2\n"
		     "2:\tadd $128, %%rsp\n\t"
		     : [ksp] "=m" (kernel_rsp), [krip] "=m" (kernel_rip)
		     : [ss] "i" (SEL_USER_DATA), [cs] "i" (SEL_USER_CODE),
		       [usp] "r" (&user_stack[510]), [fl] "r" (rflags)
		     : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
		       "r10", "r11", "memory", "cc");
}

GUEST_CODE static void guest_user_mode(void)
{
	uint64_t cr0 = read_cr0() | X86_CR0_AM;

	guest_allow_user();
	guest_user_part(0x2);
	GUEST_SYNC(user_vector, user_rax);
	asm volatile("mov %0, %%cr0" : : "r" (cr0));
	guest_user_part(0x2 | X86_RFLAGS_AC);
	GUEST_SYNC(user_vector, user_rax, user_error);
}

static sigjmp_buf ac_jmp;

static void on_sigbus(int sig)
{
	/* The handler runs with the RFLAGS.AC of the fault: clear it. */
	asm volatile("pushf\n\tandl $~0x40000, (%%rsp)\n\tpopf"
		     : : : "memory", "cc");
	siglongjmp(ac_jmp, 1);
}

/*
 * Whether this (perhaps emulated) CPU raises #AC at all: an unaligned
 * load of this process with RFLAGS.AC set (Linux runs with CR0.AM) is
 * SIGBUS where it does. QEMU's TCG models no alignment checks.
 */
static bool cpu_raises_ac(void)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	static uint64_t buf[2];
	volatile bool raised = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(ac_jmp, 1) == 0) {
		asm volatile("pushf\n\torl $0x40000, (%%rsp)\n\tpopf\n\t"
			     "mov 1(%0), %%rax\n\t"
			     "pushf\n\tandl $~0x40000, (%%rsp)\n\tpopf"
			     : : "r" (buf) : "rax", "memory", "cc");
	} else {
		raised = true;
	}
	sigaction(SIGBUS, &old, NULL);
	return raised;
}

/*
 * A hypercall from CPL 3 fails in the guest with -KVM_EPERM (-1) in RAX
 * and never reaches the VMM, as with KVM. With CR0.AM and RFLAGS.AC at
 * CPL 3, an unaligned load raises #AC with error code 0 in the guest
 * (SDM 6.15, interrupt 17), which axvm intercepts and gives back.
 */
TEST_F(host, user_mode_hypercall_and_alignment_check)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_user_exception);
	v = test_vcpu_add_default(self->vm, 0, guest_user_mode, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(UD_VECTOR, uc.args[0]);
	EXPECT_EQ((uint64_t)-1, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ((uint64_t)-1, uc.args[1]);
	if (!cpu_raises_ac()) {
		TH_LOG("this CPU raises no #AC: the alignment check is not shown");
		EXPECT_EQ(UD_VECTOR, uc.args[0]);
		return;
	}
	EXPECT_EQ(AC_VECTOR, uc.args[0]);
	EXPECT_EQ(0, uc.args[2]);
}

/* ------------------------------------------------------------------ */

/* 5-level paging is on when user space can map above 47 bits. */
static bool host_uses_la57(void)
{
	void *hint = (void *)(1ULL << 50);
	void *p = mmap(hint, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	bool high = p != MAP_FAILED && (uintptr_t)p >= (1ULL << 47);

	if (p != MAP_FAILED)
		munmap(p, 4096);
	return high;
}

GUEST_CODE static void guest_touch(uint64_t base, uint64_t blocks)
{
	uint64_t i, sum = 0;

	for (i = 0; i < blocks; i++) {
		*(volatile uint64_t *)(base + i * STACKS_BLOCK) = i + 1;
		sum += *(volatile uint64_t *)(base + i * STACKS_BLOCK);
	}
	GUEST_SYNC(sum);
}

/*
 * APM 15.25.3: the nested page table is walked with the paging mode
 * the host has at VMRUN, five levels under CR4.LA57 (what KVM's
 * get_npt_level() follows); VMX's EPT walk length is in the EPTP
 * instead. The lane kernel enables 5-level paging as Debian's does, so
 * where the CPU has LA57 (QEMU's -cpu max) the host uses it, and guest
 * memory in several blocks reads back what the guest wrote.
 */
TEST_F(host, guests_run_on_the_hosts_paging_depth)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	TH_LOG("host paging: %d levels", host_uses_la57() ? 5 : 4);
	if (cpuinfo_lists("flags", "la57"))
		EXPECT_TRUE(host_uses_la57());
	ASSERT_NE(NULL, test_vm_add_region(self->vm, TEST_SLOT_SCRATCH + 1, 0,
					   STACKS_GPA, 4 * STACKS_BLOCK));
	v = test_vcpu_add_default(self->vm, 0, guest_touch, 2, STACKS_GPA,
				  4ULL);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1 + 2 + 3 + 4, uc.args[0]);
}

/* ------------------------------------------------------------------ */

/* 32-bit flat segments for a raw guest in the scratch RAM. */
#define AC_LOOP_OFF	0x300000		/* in the scratch region */
#define AC_LOOP_GPA	(TEST_SCRATCH_GPA + AC_LOOP_OFF)
#define AC_GDT		0x000
#define AC_IDT		0x800
#define AC_CODE		0x1000
#define AC_STACK_TOP	0x3001			/* unaligned */
#define AC_USER_CS	0x1b
#define AC_USER_DS	0x23

/*
 * A 32-bit guest at CPL 3 with CR0.AM and EFLAGS.AC makes an unaligned
 * load: #AC (SDM 6.15, interrupt 17). Its gate leads to a CPL 3 handler,
 * so the CPU pushes the frame on the same, unaligned, stack: another #AC
 * during the delivery of the first, and so on. On a CPU that does not
 * intercept #AC this never leaves microcode, and the host CPU never
 * takes an interrupt again (CVE-2015-5307). With the intercept, the exit
 * reports the #AC as interrupting the delivery of an #AC: the guest is
 * ended as a shutdown with data 17, and RUN returns.
 */
TEST_F(host, ac_delivery_loop_ends_the_guest)
{
	static const uint8_t code[] = {
		0xa1, 0x01, 0x20, 0x30, 0x40,	/* mov 0x40302001, %eax */
		0xf4,				/* hlt (#GP at CPL 3) */
	};
	static const uint64_t gdt[] = {
		0, 0x00cf9b000000ffffULL, 0x00cf93000000ffffULL,
		0x00cffb000000ffffULL,		/* 0x18: code, DPL 3 */
		0x00cff3000000ffffULL,		/* 0x20: data, DPL 3 */
	};
	uint64_t handler = AC_LOOP_GPA + AC_CODE + 0x100, *idt;
	struct axvm_regs regs;
	struct test_vcpu *v;
	uint8_t *raw;
	int seg;

	if (!self->vm)
		return;
	raw = (uint8_t *)self->vm->scratch + AC_LOOP_OFF;
	memcpy(raw + AC_GDT, gdt, sizeof(gdt));
	memcpy(raw + AC_CODE, code, sizeof(code));
	/* Gate 17: a 32-bit interrupt gate, DPL 3, to the user code. */
	idt = (uint64_t *)(raw + AC_IDT);
	idt[17] = (handler & 0xffff) | (uint64_t)AC_USER_CS << 16 |
		  ((handler & 0xffff0000ULL) | 0x8000 | 3 << 13 | 0xe << 8) << 32;

	v = test_vcpu_add_default(self->vm, 0, guest_cr8, 0);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_EFER, 0));
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR4, 0));
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_CR0,
				     0x40011));	/* AM, ET, PE */
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_GDTR_BASE,
				     AC_LOOP_GPA + AC_GDT));
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_GDTR_LIMIT,
				     sizeof(gdt) - 1));
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_IDTR_BASE,
				     AC_LOOP_GPA + AC_IDT));
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_IDTR_LIMIT,
				     256 * 8 - 1));
	for (seg = 0; seg < 6; seg++) {
		ASSERT_EQ(0, axvm_set_sysreg(v->fd,
					     AXVM_SYSREG_X86_SEG_SEL(seg),
					     seg == 1 ? AC_USER_CS : AC_USER_DS));
		ASSERT_EQ(0, axvm_set_sysreg(v->fd,
					     AXVM_SYSREG_X86_SEG_BASE(seg), 0));
		ASSERT_EQ(0, axvm_set_sysreg(v->fd,
					     AXVM_SYSREG_X86_SEG_LIMIT(seg),
					     0xffffffff));
		/* G, D/B, P, DPL 3, S; code exec/read or data read/write. */
		ASSERT_EQ(0, axvm_set_sysreg(v->fd,
					     AXVM_SYSREG_X86_SEG_ATTR(seg),
					     seg == 1 ? 0xc0fb : 0xc0f3));
	}
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_REGS, &regs));
	regs.pc = AC_LOOP_GPA + AC_CODE;
	regs.gpr[4] = AC_LOOP_GPA + AC_STACK_TOP;	/* ESP */
	regs.pstate = 0x40002;				/* EFLAGS.AC */
	ASSERT_EQ(0, ioctl(v->fd, AXVM_SET_REGS, &regs));

	/* Without #AC: HLT at CPL 3, #GP through no gate, a triple fault. */
	ASSERT_EQ(AXVM_EXIT_SYSTEM_DOWN, test_vcpu_run_exit(v));
	EXPECT_EQ(AXVM_SYSTEM_DOWN_CRASH, v->run->system_down.type);
	if (!cpu_raises_ac()) {
		TH_LOG("this CPU raises no #AC: the delivery loop is not shown");
		return;
	}
	EXPECT_EQ(17, v->run->system_down.data);
}

TEST_HARNESS_MAIN
