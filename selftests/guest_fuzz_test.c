// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile-guest fuzzer. Many short VMs, each with guest RAM full of
 * random bytes and instruction streams that mix random words with
 * templates of the instructions a hypervisor must get right: hypercalls
 * and SMCCC/SBI calls with random arguments, system registers/CSRs/MSRs
 * and control registers with random ids and values, port I/O, loads and
 * stores to the MMIO window, the in-kernel irqchip and unmapped
 * addresses, cache/TLB maintenance, exception returns and mode changes,
 * page tables made of random descriptors. The vCPUs start in random
 * states at every privilege level the architecture lets userspace set
 * (arm64 EL1h/EL1t/EL0t; riscv64 VS and VU; x86 real mode, 32-bit
 * protected mode, 64-bit mode at CPL 0 and CPL 3). Some VMs are exit
 * storms (two vCPUs hammering MMIO and hypercalls) and page-table bombs.
 *
 * The VMM side answers every exit with random data. A vCPU ends on
 * SYSTEM_DOWN, an internal error, a failed entry, CPU_DOWN, a cap on its
 * exits, or its time budget: the main thread then signals the vCPU
 * thread until RUN comes back with EINTR (api.rst: "a signal arriving
 * while the guest runs does the same at the next exit"), so a guest that
 * never exits is still ended by the VMM.
 *
 * What is checked (api.rst, "AXVM_RUN" and "The run page"): RUN returns
 * 0 with one of the documented exit reasons, or EINTR with exit_reason
 * AXVM_EXIT_INTR; the data of each exit is in its documented range; RUN
 * always comes back after the signal; after each VM its fds close and
 * the module's stage2_pages is back where it was, and at the end its
 * refcnt is too. The lane's log scan catches host splats.
 *
 * Environment: AXVM_FUZZ_SEED (the run's seed; else time-derived),
 * AXVM_GUEST_FUZZ_VMS (VMs to run, default 200), AXVM_GUEST_FUZZ_VM_SEED
 * (replay the one VM of that seed, as a failure prints it).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>

#include "axvm_util.h"
#include "axvm_harness.h"

#define FUZZ_VMS_DEFAULT	200
#define FUZZ_MAX_VCPUS		2
#define RAM_SIZE		(2ULL << 20)
#define RO_SIZE			(64ULL << 10)
#define CODE_OFF		0x10000ULL	/* vCPU n's code: + n * CODE_SIZE */
#define CODE_SIZE		0x8000ULL
#define VEC_OFF			0x8000ULL	/* exception vectors, random code */
#define STACK_OFF		(RAM_SIZE - 0x1000)
#define EXITS_CAP		400		/* per vCPU, normal VMs */
#define EXITS_CAP_STORM		4000		/* per vCPU, exit storms */
#define BUDGET_MS		150		/* a vCPU's time before the kick */
#define KICK_MS			5		/* the watchdog's period */
#define HANG_LIMIT_S		60		/* RUN never came back: a bug */

#if defined(__aarch64__)
#define RAM_GPA			0x40000000ULL
#define RO_GPA			0x50000000ULL
#define MMIO_GPA		0x09000000ULL	/* up to RAM_GPA: MMIO */
#define CHIP_BASE0		0x08000000ULL	/* GICD */
#define CHIP_SIZE0		0x10000ULL
#define CHIP_BASE1		0x080a0000ULL	/* GICR, 128 KiB a vCPU */
#define CHIP_SIZE1		(0x20000ULL * FUZZ_MAX_VCPUS)
#define GICC_BASE		0x08010000ULL	/* GICv2 hosts: the GICC */
#define GICC_SIZE		0x2000ULL
#elif defined(__riscv)
#define RAM_GPA			0x80000000ULL
#define RO_GPA			0x90000000ULL
#define MMIO_GPA		0x10000000ULL
#define CHIP_BASE0		0x0c000000ULL	/* PLIC */
#define CHIP_SIZE0		0x210000ULL	/* contexts of 8 harts */
#else
#define RAM_GPA			0x0ULL
#define RO_GPA			0x00400000ULL
#define MMIO_GPA		0xc0000000ULL
#define CHIP_BASE0		0xfec00000ULL	/* I/O APIC; the LAPIC 0xfee00000 */
#define CHIP_SIZE0		0x1000ULL
#endif
#define MMIO_SIZE		0x01000000ULL

enum fuzz_kind { KIND_RANDOM, KIND_STORM, KIND_PTBOMB, KIND_NR };

/* How a vCPU ended. */
enum fuzz_end {
	END_SYSTEM_DOWN, END_INTERNAL, END_FAIL_ENTRY, END_CPU_DOWN, END_NPF,
	END_EXIT_CAP, END_TIMEOUT, END_PEER, END_FAILED, END_NR
};

static const char *const end_names[END_NR] = {
	"system_down", "internal_error", "fail_entry", "cpu_down",
	"nested_page_fault", "exit_cap", "timeout(signal)", "peer_ended",
	"FAILED",
};

static const char *const exit_names[AXVM_EXIT_REASONS] = {
	"none", "mmio", "io", "sysreg", "hypercall", "halt", "cpu_up",
	"cpu_down", "system_down", "npf", "fail_entry", "ipi", "intr",
	"internal_error", "external_interrupt", "stage2_fault",
};

struct rng {
	uint64_t s;
};

/* splitmix64: every seed is a good one. */
static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return rnd_below(r, 100) < percent;
}

struct fuzz_vm;

struct fuzz_vcpu {
	struct fuzz_vm *vm;
	int id;
	int fd;
	struct axvm_run *run;
	struct rng rng;
	pthread_t thread;
	bool started;
	volatile int done;
	uint64_t deadline_ns;
	uint64_t first_kick_ns;
	int kicks;
	int exits;
	enum fuzz_end end;
	uint64_t stats[AXVM_EXIT_REASONS];
	char fail[256];
};

struct fuzz_vm {
	uint64_t seed;
	struct rng rng;
	enum fuzz_kind kind;
	int mode;		/* arch start state, see mode_names */
	int sys, fd;
	size_t run_size;
	uint8_t *ram, *ro;
	bool has_ro, irqchip;
	/* The host's kind of irqchip and its windows, created or not. */
	struct axvm_irqchip chip;
	bool inject_enodev;	/* INJECT_IRQ is ENODEV without the chip */
	unsigned int phys_bits;
	int nr_vcpus;
	volatile int stop;
	struct fuzz_vcpu vcpus[FUZZ_MAX_VCPUS];
};

/* Totals over the whole run. */
struct fuzz_totals {
	unsigned long vms, vcpus, failed_vms;
	unsigned long kinds[KIND_NR];
	unsigned long modes[8];
	unsigned long ends[END_NR];
	uint64_t exits[AXVM_EXIT_REASONS];
};

static __thread volatile sig_atomic_t kicked;
/* AXVM_GUEST_FUZZ_VERBOSE: every exit on stdout, for a replay. */
static int verbose;

static void on_kick(int sig)
{
	kicked = 1;
}

/* A vCPU's failure: recorded, printed with the VM's seed by the caller. */
#define vcpu_fail(v, ...)						\
do {									\
	struct fuzz_vcpu *__v = (v);					\
									\
	snprintf(__v->fail, sizeof(__v->fail), __VA_ARGS__);		\
	__v->end = END_FAILED;						\
} while (0)

/* ------------------------------------------------------------------ */
/* Code generation, common parts. */

struct gen {
	uint8_t *buf;
	size_t pos, cap;
	struct rng *r;
	struct fuzz_vm *vm;
};

static bool gen_room(struct gen *g, size_t n)
{
	return g->pos + n <= g->cap;
}

static void emit8(struct gen *g, uint8_t b)
{
	if (gen_room(g, 1))
		g->buf[g->pos++] = b;
}

static void emit16(struct gen *g, uint16_t v)
{
	emit8(g, v);
	emit8(g, v >> 8);
}

static void emit32(struct gen *g, uint32_t v)
{
	emit16(g, v);
	emit16(g, v >> 16);
}

static inline void emit64(struct gen *g, uint64_t v)
{
	emit32(g, v);
	emit32(g, v >> 32);
}

/* An address a hostile guest would poke. */
static uint64_t fuzz_addr(struct fuzz_vm *vm, struct rng *r)
{
	uint64_t a, align = (1ULL << rnd_below(r, 4)) - 1;

	switch (rnd_below(r, 9)) {
	case 0:
	case 1:
		a = MMIO_GPA + rnd_below(r, MMIO_SIZE);
		break;
	case 2:
		a = vm->chip.base[0] + rnd_below(r, vm->chip.size[0]);
		break;
	case 3:		/* else the PLIC's contexts, the x86 local APIC */
		a = vm->chip.size[1] ?
		    vm->chip.base[1] + rnd_below(r, vm->chip.size[1]) :
		    vm->chip.base[0] + 0x200000 + rnd_below(r, 0x10000);
		break;
	case 4:
		a = RAM_GPA + rnd_below(r, RAM_SIZE);
		break;
	case 5:
		a = RO_GPA + rnd_below(r, RO_SIZE);
		break;
	case 6:
		a = rnd_below(r, 1ULL << vm->phys_bits);
		break;
	case 7:
		a = (1ULL << vm->phys_bits) + rnd_below(r, 1ULL << 40);
		break;
	default:
		a = rnd(r);
		break;
	}
	return chance(r, 80) ? a & ~align : a;
}

/* A value: random, small, an address or all ones. */
static uint64_t fuzz_value(struct fuzz_vm *vm, struct rng *r)
{
	switch (rnd_below(r, 5)) {
	case 0:
		return rnd_below(r, 16);
	case 1:
		return fuzz_addr(vm, r);
	case 2:
		return ~0ULL << rnd_below(r, 64);
	default:
		return rnd(r);
	}
}

static void fill_random(struct rng *r, void *p, size_t size)
{
	uint64_t *q = p;
	size_t i;

	for (i = 0; i < size / 8; i++)
		q[i] = rnd(r);
}

static bool errno_documented(int e, const int *ok, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (e == ok[i])
			return true;
	return false;
}

/* AXVM_SET_SYSREG of a random value: only ENOENT or EINVAL may refuse. */
static void set_sysreg_checked(struct fuzz_vcpu *v, uint64_t id, uint64_t val)
{
	static const int ok[] = { ENOENT, EINVAL };

	if (axvm_set_sysreg(v->fd, id, val) &&
	    !errno_documented(errno, ok, 2) && v->end != END_FAILED)
		vcpu_fail(v, "AXVM_SET_SYSREG %#llx=%#llx: errno %d",
			  (unsigned long long)id, (unsigned long long)val,
			  errno);
}

static void set_regs_checked(struct fuzz_vcpu *v, struct axvm_regs *regs)
{
	if (ioctl(v->fd, AXVM_SET_REGS, regs) && errno != EINVAL &&
	    v->end != END_FAILED)
		vcpu_fail(v, "AXVM_SET_REGS: errno %d", errno);
}

/* ------------------------------------------------------------------ */
#if defined(__aarch64__)

static const char *const mode_names[] = {
	"el1h-mmu-off", "el1t-mmu-off", "el0t-mmu-off", "el1h-mmu-on",
	"el0t-mmu-on",
};

#define NR_MODES		5

#define SR(op0, op1, crn, crm, op2)					\
	((uint32_t)((op0) << 19 | (op1) << 16 | (crn) << 12 | (crm) << 8 | \
		    (op2) << 5))
#define ID(op0, op1, crn, crm, op2)	AXVM_SYSREG_ARM64(op0, op1, crn, crm, op2)

/* System registers worth a guest's MRS/MSR (the encoding bits). */
static const uint32_t a64_sysregs[] = {
	SR(3, 0, 1, 0, 0),	/* SCTLR_EL1 */
	SR(3, 0, 1, 0, 2),	/* CPACR_EL1 */
	SR(3, 0, 2, 0, 0),	/* TTBR0_EL1 */
	SR(3, 0, 2, 0, 1),	/* TTBR1_EL1 */
	SR(3, 0, 2, 0, 2),	/* TCR_EL1 */
	SR(3, 0, 4, 0, 0),	/* SPSR_EL1 */
	SR(3, 0, 4, 0, 1),	/* ELR_EL1 */
	SR(3, 0, 4, 1, 0),	/* SP_EL0 */
	SR(3, 0, 4, 2, 2),	/* CurrentEL */
	SR(3, 0, 5, 2, 0),	/* ESR_EL1 */
	SR(3, 0, 6, 0, 0),	/* FAR_EL1 */
	SR(3, 0, 7, 4, 0),	/* PAR_EL1 */
	SR(3, 0, 10, 2, 0),	/* MAIR_EL1 */
	SR(3, 0, 12, 0, 0),	/* VBAR_EL1 */
	SR(3, 0, 0, 0, 5),	/* MPIDR_EL1 */
	SR(3, 0, 0, 4, 0),	/* ID_AA64PFR0_EL1 */
	SR(3, 0, 0, 7, 0),	/* ID_AA64MMFR0_EL1 */
	SR(3, 0, 4, 6, 0),	/* ICC_PMR_EL1 */
	SR(3, 0, 12, 8, 0),	/* ICC_IAR0_EL1 */
	SR(3, 0, 12, 11, 5),	/* ICC_SGI1R_EL1 */
	SR(3, 0, 12, 11, 6),	/* ICC_ASGI1R_EL1 */
	SR(3, 0, 12, 12, 0),	/* ICC_IAR1_EL1 */
	SR(3, 0, 12, 12, 1),	/* ICC_EOIR1_EL1 */
	SR(3, 0, 12, 12, 4),	/* ICC_CTLR_EL1 */
	SR(3, 0, 12, 12, 5),	/* ICC_SRE_EL1 */
	SR(3, 0, 12, 12, 7),	/* ICC_IGRPEN1_EL1 */
	SR(3, 0, 12, 11, 3),	/* ICC_DIR_EL1 */
	SR(3, 3, 14, 0, 0),	/* CNTFRQ_EL0 */
	SR(3, 3, 14, 0, 2),	/* CNTVCT_EL0 */
	SR(3, 3, 14, 2, 1),	/* CNTP_CTL_EL0 */
	SR(3, 3, 14, 2, 2),	/* CNTP_CVAL_EL0 */
	SR(3, 3, 14, 3, 1),	/* CNTV_CTL_EL0 */
	SR(3, 3, 14, 3, 2),	/* CNTV_CVAL_EL0 */
	SR(3, 3, 14, 3, 0),	/* CNTV_TVAL_EL0 */
	SR(3, 0, 14, 1, 0),	/* CNTKCTL_EL1 */
	SR(3, 3, 4, 2, 1),	/* DAIF */
	SR(3, 3, 4, 4, 0),	/* FPCR */
	SR(3, 3, 9, 12, 0),	/* PMCR_EL0 */
	SR(3, 3, 9, 13, 0),	/* PMCCNTR_EL0 */
	SR(3, 4, 1, 0, 0),	/* SCTLR_EL2 */
	SR(3, 4, 1, 1, 0),	/* HCR_EL2 */
	SR(3, 4, 2, 1, 0),	/* VTTBR_EL2 */
	SR(3, 4, 12, 0, 0),	/* VBAR_EL2 */
	SR(3, 4, 14, 0, 3),	/* CNTVOFF_EL2 */
	SR(3, 5, 1, 0, 0),	/* SCTLR_EL12 */
	SR(3, 6, 1, 1, 0),	/* SCR_EL3 */
	SR(2, 0, 0, 2, 2),	/* MDSCR_EL1 */
	SR(2, 0, 0, 0, 4),	/* DBGBVR0_EL1 */
	SR(2, 0, 0, 0, 5),	/* DBGBCR0_EL1 */
	SR(2, 0, 0, 0, 6),	/* DBGWVR0_EL1 */
	SR(2, 0, 1, 0, 4),	/* OSLAR_EL1 */
	SR(2, 0, 1, 3, 4),	/* OSDLR_EL1 */
	SR(2, 3, 0, 1, 0),	/* MDCCSR_EL0 */
	SR(3, 0, 15, 0, 0),	/* implementation defined */
	SR(3, 7, 15, 15, 7),	/* implementation defined */
};

#define A64_MOVZ(rd, imm, hw)	(0xd2800000U | (hw) << 21 | \
				 ((imm) & 0xffff) << 5 | (rd))
#define A64_MOVK(rd, imm, hw)	(0xf2800000U | (hw) << 21 | \
				 ((imm) & 0xffff) << 5 | (rd))

static void a64_mov(struct gen *g, unsigned int rd, uint64_t v)
{
	unsigned int hw;

	emit32(g, A64_MOVZ(rd, v, 0));
	for (hw = 1; hw < 4; hw++)
		if (v >> (16 * hw))
			emit32(g, A64_MOVK(rd, v >> (16 * hw), hw));
}

static uint32_t a64_rand_sysreg(struct rng *r)
{
	if (chance(r, 60))
		return a64_sysregs[rnd_below(r, ARRAY_SIZE(a64_sysregs))];
	return SR(2 + rnd_below(r, 2), rnd_below(r, 8), rnd_below(r, 16),
		  rnd_below(r, 16), rnd_below(r, 8));
}

static uint64_t a64_smccc_id(struct rng *r)
{
	switch (rnd_below(r, 5)) {
	case 0:
		return 0x84000000ULL + rnd_below(r, 0x20);	/* PSCI 32 */
	case 1:
		return 0xc4000000ULL + rnd_below(r, 0x20);	/* PSCI 64 */
	case 2:
		return 0x80000000ULL + rnd_below(r, 0x8000);	/* arch */
	case 3:
		return rnd(r) & 0xffffffffULL;
	default:
		return rnd(r);
	}
}

/* Load/store forms, with and without an ISV syndrome. */
static uint32_t a64_ldst(struct rng *r, unsigned int rn, unsigned int rt)
{
	static const uint32_t ops[] = {
		0xf9400000, 0xf9000000, 0xb9400000, 0xb9000000, 0x39400000,
		0x39000000, 0x79400000, 0x79000000, 0x39800000, 0x79800000,
		0xb9800000, 0xa9400000, 0xa9000000, 0xf8400c00, 0xf8400400,
		0xc85f7c00, 0xc8dffc00, 0xc89ffc00, 0xf8200000, 0xd50b7420,
		0xd50b7e20, 0xd5087620, 0xd50b7520, 0xd5087800, 0x3d400000,
		0x3d800000,
	};
	uint32_t op = ops[rnd_below(r, ARRAY_SIZE(ops))];

	if (op == 0xa9400000 || op == 0xa9000000)	/* pairs: Rt2 */
		op |= rnd_below(r, 31) << 10;
	if (op == 0xf8200000)				/* LDADD: Rs */
		op |= rnd_below(r, 31) << 16;
	if (op >> 24 == 0xd5)				/* DC/IC/AT: Xt only */
		return op | rn;
	if (chance(r, 20) && (op & 0x3b000000) == 0x39000000)
		op |= rnd_below(r, 4096) << 10;		/* unsigned offset */
	return op | rn << 5 | rt;
}

/* MSR DAIFSet, DAIFClr, SPSel, PAN with the immediate left 0. */
static const uint32_t barrier_ops[] = {
	0xd50340df, 0xd50340ff, 0xd50040bf, 0xd500409f,
};

static void a64_template(struct gen *g)
{
	struct rng *r = g->r;
	unsigned int rn = rnd_below(r, 29), rt = rnd_below(r, 32);

	switch (rnd_below(r, 12)) {
	case 0:		/* SMCCC call, HVC or SMC */
		a64_mov(g, 0, a64_smccc_id(r));
		if (chance(r, 50))
			a64_mov(g, 1, rnd_below(r, 4));	/* a CPU_ON target */
		if (chance(r, 50))
			a64_mov(g, 2, fuzz_addr(g->vm, r));
		emit32(g, (chance(r, 60) ? 0xd4000002 : 0xd4000003) |
		       (chance(r, 80) ? 0 : rnd_below(r, 0x10000)) << 5);
		break;
	case 1:		/* MRS */
		emit32(g, 0xd5200000 | a64_rand_sysreg(r) | rt);
		break;
	case 2:		/* MSR of a random value */
		a64_mov(g, rn, fuzz_value(g->vm, r));
		emit32(g, 0xd5000000 | a64_rand_sysreg(r) | rn);
		break;
	case 3:
	case 4:		/* load/store somewhere */
		a64_mov(g, rn, fuzz_addr(g->vm, r));
		emit32(g, a64_ldst(r, rn, rt));
		break;
	case 5: {	/* hints, exceptions, ERET */
		static const uint32_t ops[] = {
			0xd503207f, 0xd503205f, 0xd503209f, 0xd503203f,
			0xd69f03e0, 0xd5033fdf, 0xd5033f9f, 0xd4000001,
			0xd4200000, 0xd4400000, 0x00000000,
		};

		emit32(g, ops[rnd_below(r, ARRAY_SIZE(ops))]);
		break;
	}
	case 6:		/* SYS: DC/IC/TLBI/AT with random fields */
		emit32(g, 0xd5080000 | rnd_below(r, 8) << 16 |
		       (7 + rnd_below(r, 2)) << 12 | rnd_below(r, 16) << 8 |
		       rnd_below(r, 8) << 5 | rt);
		break;
	case 7: {	/* MMU bombs: SCTLR/TTBR0/TCR/VBAR/ELR/SPSR */
		static const uint32_t regs[] = {
			SR(3, 0, 1, 0, 0), SR(3, 0, 2, 0, 0),
			SR(3, 0, 2, 0, 2), SR(3, 0, 12, 0, 0),
			SR(3, 0, 4, 0, 1), SR(3, 0, 4, 0, 0),
		};
		uint64_t v = fuzz_value(g->vm, r);

		if (chance(r, 50))	/* a table in RAM */
			v = RAM_GPA + (rnd_below(r, RAM_SIZE) & ~0xfffULL);
		a64_mov(g, rn, v);
		emit32(g, 0xd5000000 | regs[rnd_below(r, 6)] | rn);
		emit32(g, 0xd5033fdf);		/* ISB */
		break;
	}
	case 8:		/* branches: a loop, a jump, a jump to a register */
		if (chance(r, 30))
			emit32(g, 0x14000000);	/* b . */
		else if (chance(r, 50))
			emit32(g, 0x14000000 |
			       ((uint32_t)(rnd_below(r, 256) - 128) &
				0x3ffffff));
		else
			emit32(g, (chance(r, 50) ? 0xd61f0000 : 0xd63f0000) |
			       rn << 5);
		break;
	case 9:		/* PSTATE: DAIFSet/Clr, SPSel, PAN */
		emit32(g, barrier_ops[rnd_below(r, 4)] |
			  rnd_below(r, 16) << 8);
		break;
	default:
		emit32(g, rnd(r));
		break;
	}
}

/* An exit storm: MMIO and hypercalls as fast as the guest can. */
static void a64_storm(struct gen *g)
{
	size_t top = g->pos;

	a64_mov(g, 1, MMIO_GPA + (rnd_below(g->r, MMIO_SIZE) & ~7ULL));
	a64_mov(g, 0, 0x86000000ULL + rnd_below(g->r, 0x100));
	emit32(g, 0xf9000022);		/* str x2, [x1] */
	emit32(g, 0xf9400023);		/* ldr x3, [x1] */
	emit32(g, 0xd4000002);		/* hvc #0 */
	emit32(g, 0x14000000 |
	       ((uint32_t)(((int64_t)top - (int64_t)g->pos) / 4) & 0x3ffffff));
}

#define A64_SCTLR_RES1	((1ULL << 11) | (1ULL << 20) | (1ULL << 22) | \
			 (1ULL << 23) | (1ULL << 28) | (1ULL << 29))
#define A64_TCR		(25ULL | 1ULL << 8 | 1ULL << 10 | 3ULL << 12 | \
			 1ULL << 23 | 2ULL << 32)

/* Stage-1 tables at RAM + 0: L1 with 1 GiB blocks, EL0 too when @el0. */
static void a64_tables(struct fuzz_vm *vm, bool el0)
{
	uint64_t *l1 = (uint64_t *)vm->ram;
	unsigned int i;

	for (i = 0; i < 512; i++) {
		uint64_t d = (uint64_t)i << 30 | 1 | 1ULL << 10;

		if (i == 0)		/* device: MMIO, irqchip */
			d |= 1ULL << 2 | 1ULL << 53 | 1ULL << 54;
		else
			d |= 3ULL << 8;
		if (el0)
			d |= 1ULL << 6;
		if (i > 2 && chance(&vm->rng, 10))	/* a few bombs */
			d = rnd(&vm->rng);
		l1[i] = d;
	}
	if (vm->kind == KIND_PTBOMB && chance(&vm->rng, 50))
		l1[1] = RAM_GPA | 3;	/* self-referencing table */
}

static void arch_vm_layout(struct fuzz_vm *vm)
{
	vm->mode = rnd_below(&vm->rng, NR_MODES);
	if (vm->mode >= 3)
		a64_tables(vm, vm->mode == 4);
}

static void arch_gen(struct gen *g)
{
	if (g->vm->kind == KIND_STORM) {
		a64_storm(g);
		return;
	}
	while (gen_room(g, 64))
		a64_template(g);
}

static void arch_vcpu_setup(struct fuzz_vcpu *v, uint64_t pc)
{
	struct fuzz_vm *vm = v->vm;
	struct rng *r = &v->rng;
	struct axvm_regs regs;
	uint64_t sctlr = A64_SCTLR_RES1;
	static const uint64_t pstate[] = { 0x5, 0x4, 0x0, 0x5, 0x0 };
	unsigned int i;

	memset(&regs, 0, sizeof(regs));
	for (i = 0; i < 31; i++)
		regs.gpr[i] = fuzz_value(vm, r);
	regs.gpr[31] = RAM_GPA + STACK_OFF - v->id * 0x100;
	regs.pc = pc;
	/* NZCV and DAIF random; the mode from the start state. */
	regs.pstate = pstate[vm->mode] | (rnd(r) & 0xf00003c0ULL);
	set_regs_checked(v, &regs);

	if (vm->mode >= 3) {
		sctlr |= 1 | 1ULL << 2 | 1ULL << 12;
		set_sysreg_checked(v, ID(3, 0, 10, 2, 0), 0x04ff);
		set_sysreg_checked(v, ID(3, 0, 2, 0, 2), A64_TCR);
		set_sysreg_checked(v, ID(3, 0, 2, 0, 0), RAM_GPA);
	}
	if (vm->kind == KIND_PTBOMB) {
		sctlr |= 1;
		set_sysreg_checked(v, ID(3, 0, 2, 0, 2),
				   chance(r, 50) ? A64_TCR : rnd(r));
		set_sysreg_checked(v, ID(3, 0, 2, 0, 0),
				   chance(r, 70) ?
				   RAM_GPA + (rnd_below(r, RAM_SIZE) & ~0xfffULL) :
				   fuzz_addr(vm, r));
		set_sysreg_checked(v, ID(3, 0, 2, 0, 1), fuzz_addr(vm, r));
		set_sysreg_checked(v, ID(3, 0, 10, 2, 0), rnd(r));
	}
	if (chance(r, 20))		/* EE, E0E, WXN, UCI, ... */
		sctlr |= rnd(r) & 0x0ffffffeULL;
	set_sysreg_checked(v, ID(3, 0, 1, 0, 0), sctlr);
	/* Exceptions land in random code, or anywhere. */
	set_sysreg_checked(v, ID(3, 0, 12, 0, 0), chance(r, 80) ?
			   RAM_GPA + VEC_OFF : fuzz_addr(vm, r));
	set_sysreg_checked(v, ID(3, 0, 1, 0, 2), rnd_below(r, 4) << 20);
	set_sysreg_checked(v, ID(3, 0, 4, 1, 0), fuzz_value(vm, r));
	set_sysreg_checked(v, ID(3, 0, 4, 0, 1), fuzz_value(vm, r));
	set_sysreg_checked(v, ID(3, 0, 4, 0, 0), rnd(r));
	if (chance(r, 30)) {
		set_sysreg_checked(v, ID(3, 3, 14, 3, 2), rnd_below(r, 1000));
		set_sysreg_checked(v, ID(3, 3, 14, 3, 1), rnd_below(r, 4));
	}
	if (chance(r, 20))
		set_sysreg_checked(v, ID(3, 0, 14, 1, 0), rnd(r));
}

/* The GICv3 where the host has one, else the GICv2 (its GICC 8 KiB). */
static bool arch_irqchip(int caps, struct axvm_irqchip *c)
{
	*c = (struct axvm_irqchip){
		.type = AXVM_IRQCHIP_GICV3, .nr_irqs = 32,
		.base = { CHIP_BASE0, CHIP_BASE1 },
		.size = { CHIP_SIZE0, CHIP_SIZE1 },
	};
	if (caps & (1 << AXVM_IRQCHIP_GICV3))
		return true;
	c->type = AXVM_IRQCHIP_GICV2;
	c->base[1] = GICC_BASE;
	c->size[1] = GICC_SIZE;
	return caps & (1 << AXVM_IRQCHIP_GICV2);
}

static bool arch_sysreg_class_ok(uint64_t id)
{
	return (id & (0xffULL << AXVM_SYSREG_CLASS_SHIFT)) ==
	       AXVM_SYSREG_CLASS_ARM64;
}

/* ------------------------------------------------------------------ */
#elif defined(__riscv)

static const char *const mode_names[] = {
	"vs-bare", "vu-bare", "vs-sv39", "vu-sv39",
};

#define NR_MODES		4

static const uint16_t rv_csrs[] = {
	0x100, 0x104, 0x105, 0x106, 0x10a, 0x140, 0x141, 0x142, 0x143,
	0x144, 0x14d, 0x180, 0x5a8, 0x600, 0x602, 0x603, 0x604, 0x605,
	0x606, 0x607, 0x60a, 0x643, 0x644, 0x645, 0x680, 0x200, 0x204,
	0x280, 0x300, 0x301, 0x302, 0x303, 0x304, 0x305, 0x341, 0x342,
	0x344, 0x3a0, 0x3b0, 0x7a0, 0x7b0, 0xc00, 0xc01, 0xc02, 0xc03,
	0xc1f, 0xda0, 0xf11, 0xf14, 0x001, 0x002, 0x003, 0x015, 0x008,
	0x009, 0x00a, 0x00f, 0x015, 0xc20, 0xc21, 0xc22,
};

static uint32_t rv_csr_op(unsigned int csr, unsigned int f3, unsigned int rs1,
			  unsigned int rd)
{
	return 0x73 | rd << 7 | f3 << 12 | rs1 << 15 | csr << 20;
}

/* rd = @v: AUIPC, LD from the literal after a jump over it. */
static void rv_li(struct gen *g, unsigned int rd, uint64_t v)
{
	if (!gen_room(g, 20))
		return;
	emit32(g, 0x17 | rd << 7);				/* auipc */
	emit32(g, 0x3003 | rd << 7 | rd << 15 | 12 << 20);	/* ld */
	emit32(g, 0x00c0006f);					/* j +12 */
	emit64(g, v);
}

static uint64_t rv_sbi_eid(struct rng *r)
{
	static const uint64_t eids[] = {
		0x10, 0x54494d45, 0x735049, 0x52464e43, 0x48534d,
		0x53525354, 0x4442434e, 0x504d55, 0x535553, 0x43505043,
	};

	if (chance(r, 20))
		return rnd_below(r, 16);			/* legacy */
	if (chance(r, 15))
		return rnd(r);
	return eids[rnd_below(r, ARRAY_SIZE(eids))];
}

static uint32_t rv_ldst(struct rng *r, unsigned int rs1, unsigned int rt)
{
	unsigned int f3 = rnd_below(r, 7);

	switch (rnd_below(r, 6)) {
	case 0:
	case 1:		/* integer loads */
		return 0x03 | rt << 7 | f3 << 12 | rs1 << 15;
	case 2:
	case 3:		/* integer stores */
		return 0x23 | (f3 & 3) << 12 | rs1 << 15 | rt << 20;
	case 4:		/* FP loads/stores */
		return (chance(r, 50) ? 0x07 | rt << 7 : 0x27 | rt << 20) |
		       (2 + rnd_below(r, 2)) << 12 | rs1 << 15;
	default:	/* AMOs, LR/SC */
		return 0x2f | rt << 7 | (2 + rnd_below(r, 2)) << 12 |
		       rs1 << 15 | rnd_below(r, 32) << 20 |
		       (uint32_t)rnd_below(r, 32) << 27;
	}
}

/* C.LW, C.LD, C.SW, C.SD, C.FLD, C.FSD with the registers left 0. */
static const uint16_t rvc_mem_ops[] = {
	0x4000, 0x6000, 0xc000, 0xe000, 0x2000, 0xa000,
};

static void rv_template(struct gen *g)
{
	struct rng *r = g->r;
	unsigned int rs = 5 + rnd_below(r, 27), rd = rnd_below(r, 32);

	switch (rnd_below(r, 12)) {
	case 0:
	case 1:		/* SBI call */
		rv_li(g, 17, rv_sbi_eid(r));
		rv_li(g, 16, rnd_below(r, 8));
		rv_li(g, 10, chance(r, 50) ? rnd_below(r, 4) :
		      fuzz_value(g->vm, r));
		if (chance(r, 50))
			rv_li(g, 11, chance(r, 50) ? fuzz_addr(g->vm, r) :
			      rnd(r));
		if (chance(r, 30))
			rv_li(g, 12, fuzz_value(g->vm, r));
		emit32(g, 0x73);
		break;
	case 2:		/* CSR read */
		emit32(g, rv_csr_op(chance(r, 70) ?
				    rv_csrs[rnd_below(r, ARRAY_SIZE(rv_csrs))] :
				    rnd_below(r, 4096), 2, 0, rd));
		break;
	case 3: {	/* CSR write of a random value */
		unsigned int csr = chance(r, 70) ?
			rv_csrs[rnd_below(r, ARRAY_SIZE(rv_csrs))] :
			rnd_below(r, 4096);

		rv_li(g, rs, fuzz_value(g->vm, r));
		emit32(g, rv_csr_op(csr, 1 + rnd_below(r, 3), rs, rd));
		if (chance(r, 30))
			emit32(g, rv_csr_op(csr, 5 + rnd_below(r, 3),
					    rnd_below(r, 32), rd));
		break;
	}
	case 4:
	case 5:		/* loads/stores */
		rv_li(g, rs, fuzz_addr(g->vm, r));
		emit32(g, rv_ldst(r, rs, rd));
		break;
	case 6:		/* compressed loads/stores via x8-x15 */
		rv_li(g, 8 + rnd_below(r, 8), fuzz_addr(g->vm, r));
		emit16(g, rvc_mem_ops[rnd_below(r, 6)] |
			  rnd_below(r, 8) << 7 | rnd_below(r, 8) << 2);
		emit16(g, 0x0001);			/* c.nop */
		break;
	case 7: {	/* privileged and fences */
		static const uint32_t ops[] = {
			0x10500073, 0x10200073, 0x30200073, 0x00100073,
			0x12000073, 0x22000073, 0x62000073, 0x6c004073,
			0x6e004073, 0x0000100f, 0x0ff0000f, 0x7b200073,
		};
		uint32_t op = ops[rnd_below(r, ARRAY_SIZE(ops))];

		if ((op & 0x7f) == 0x73 && op != 0x73 && chance(r, 50))
			op |= rnd_below(r, 32) << 15 | rnd_below(r, 32) << 20;
		emit32(g, op);
		break;
	}
	case 8:		/* satp bombs */
		rv_li(g, rs, (rnd_below(r, 16) << 60) |
		      (chance(r, 60) ? (RAM_GPA + rnd_below(r, RAM_SIZE)) >> 12 :
		       rnd(r) & ((1ULL << 44) - 1)));
		emit32(g, rv_csr_op(0x180, 1, rs, rd));
		emit32(g, 0x12000073);			/* sfence.vma */
		break;
	case 9:		/* loops and jumps */
		if (chance(r, 40))
			emit32(g, 0x6f);			/* j . */
		else
			emit32(g, 0x67 | rnd_below(r, 32) << 15);
		break;
	case 10:	/* compressed, random */
		emit16(g, rnd(r));
		emit16(g, rnd(r));
		break;
	default:
		emit32(g, rnd(r));
		break;
	}
}

/* jal x0, @off: the J-type immediate's scattered bits. */
static uint32_t rv_jal0(int64_t off)
{
	uint32_t imm = (uint32_t)off;

	return 0x6f | (imm & 0x100000) << 11 | (imm & 0x7fe) << 20 |
	       (imm & 0x800) << 9 | (imm & 0xff000);
}

static void rv_storm(struct gen *g)
{
	size_t top;

	rv_li(g, 5, MMIO_GPA + (rnd_below(g->r, MMIO_SIZE) & ~7ULL));
	rv_li(g, 17, 0x0a000000 + rnd_below(g->r, 0x100));
	top = g->pos;
	emit32(g, 0x0062b023);			/* sd t1, 0(t0) */
	emit32(g, 0x0002b383);			/* ld t2, 0(t0) */
	emit32(g, 0x73);			/* ecall */
	emit32(g, rv_jal0((int64_t)top - (int64_t)g->pos));	/* j top */
}

static void arch_vm_layout(struct fuzz_vm *vm)
{
	uint64_t *root = (uint64_t *)vm->ram;
	unsigned int i;

	vm->mode = rnd_below(&vm->rng, NR_MODES);
	if (vm->mode < 2)
		return;
	/* Sv39: 1 GiB leaves, RWX, A and D, U in VU mode. */
	for (i = 0; i < 512; i++) {
		root[i] = ((uint64_t)i << 28) | 0xcf | (vm->mode == 3) << 4;
		if (i > 3 && chance(&vm->rng, 10))
			root[i] = rnd(&vm->rng);
	}
}

static void arch_gen(struct gen *g)
{
	if (g->vm->kind == KIND_STORM) {
		rv_storm(g);
		return;
	}
	while (gen_room(g, 128))
		rv_template(g);
}

static void arch_vcpu_setup(struct fuzz_vcpu *v, uint64_t pc)
{
	struct fuzz_vm *vm = v->vm;
	struct rng *r = &v->rng;
	struct axvm_regs regs;
	uint64_t satp = 0;
	unsigned int i;

	memset(&regs, 0, sizeof(regs));
	for (i = 1; i < 32; i++)
		regs.gpr[i] = fuzz_value(vm, r);
	regs.gpr[2] = RAM_GPA + STACK_OFF - v->id * 0x100;
	regs.pc = pc;
	regs.pstate = vm->mode & 1;
	set_regs_checked(v, &regs);

	if (vm->mode >= 2)
		satp = 8ULL << 60 | RAM_GPA >> 12;
	if (vm->kind == KIND_PTBOMB)
		satp = (8ULL + rnd_below(r, 3)) << 60 |
		       (chance(r, 70) ? (RAM_GPA + rnd_below(r, RAM_SIZE)) >> 12 :
			rnd(r) & ((1ULL << 44) - 1));
	set_sysreg_checked(v, AXVM_SYSREG_RISCV_CSR(0x180), satp);
	/* SIE, SPIE, SPP, FS, SUM, MXR at random. */
	set_sysreg_checked(v, AXVM_SYSREG_RISCV_CSR(0x100),
			   rnd(r) & (0x2 | 0x20 | 0x100 | 0x6000 | 0xc0000));
	set_sysreg_checked(v, AXVM_SYSREG_RISCV_CSR(0x104), rnd(r) & 0x222);
	set_sysreg_checked(v, AXVM_SYSREG_RISCV_CSR(0x105), chance(r, 80) ?
			   RAM_GPA + VEC_OFF + rnd_below(r, 2) :
			   fuzz_addr(vm, r));
	set_sysreg_checked(v, AXVM_SYSREG_RISCV_CSR(0x140), fuzz_value(vm, r));
	set_sysreg_checked(v, AXVM_SYSREG_RISCV_CSR(0x141), fuzz_value(vm, r));
	set_sysreg_checked(v, AXVM_SYSREG_RISCV_CSR(0x106), rnd(r));
	set_sysreg_checked(v, AXVM_SYSREG_RISCV_CSR(0x10a), rnd(r));
	if (chance(r, 20))
		set_sysreg_checked(v, AXVM_SYSREG_RISCV_CSR(0x144),
				   rnd(r) & 0x2);
}

static bool arch_irqchip(int caps, struct axvm_irqchip *c)
{
	*c = (struct axvm_irqchip){
		.type = AXVM_IRQCHIP_PLIC, .nr_irqs = 32,
		.base = { CHIP_BASE0 }, .size = { CHIP_SIZE0 },
	};
	return caps & (1 << AXVM_IRQCHIP_PLIC);
}

static bool arch_sysreg_class_ok(uint64_t id)
{
	return (id & (0xffULL << AXVM_SYSREG_CLASS_SHIFT)) ==
	       AXVM_SYSREG_CLASS_RISCV_CSR;
}

/* ------------------------------------------------------------------ */
#elif defined(__x86_64__)

static const char *const mode_names[] = {
	"real", "prot32", "long64-cpl0", "long64-cpl3",
};

#define NR_MODES		4

#define X86_PML4		0x1000ULL
#define X86_PDPT		0x2000ULL
#define X86_GDT			0x3000ULL
#define X86_IDT			0x4000ULL
#define X86_TSS			0x6000ULL

/* Operand/address size of the generated code: 16, 32 or 64. */
static int x86_bits(struct fuzz_vm *vm)
{
	return vm->mode == 0 ? 16 : vm->mode == 1 ? 32 : 64;
}

/* reg (0-7) = @v, at least 32 bits of it. */
static void x86_mov(struct gen *g, unsigned int reg, uint64_t v)
{
	int bits = x86_bits(g->vm);

	if (bits == 64) {
		emit8(g, 0x48);
		emit8(g, 0xb8 + reg);
		emit64(g, v);
		return;
	}
	if (bits == 16)
		emit8(g, 0x66);
	emit8(g, 0xb8 + reg);
	emit32(g, v);
}

/* A 32-bit address-size prefix where the mode is 16-bit, for [eax]. */
static void x86_addr32(struct gen *g)
{
	if (x86_bits(g->vm) == 16)
		emit8(g, 0x67);
}

static const uint32_t x86_msrs[] = {
	0x10, 0x1b, 0x3a, 0x48, 0x49, 0x79, 0x8b, 0x10a, 0x10b, 0x174,
	0x175, 0x176, 0x1d9, 0x277, 0x2ff, 0x38f, 0x480, 0x48d, 0x6e0,
	0x802, 0x80b, 0x830, 0xc0000080, 0xc0000081, 0xc0000082,
	0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103,
	0xc0010114, 0xc0010117, 0xc0011029, 0x4b564d00, 0x4b564d01,
	0x4b564d02, 0x40000000, 0x11, 0x12,
};

static const uint16_t x86_ports[] = {
	0x20, 0x21, 0x40, 0x41, 0x42, 0x43, 0x60, 0x61, 0x64, 0x70, 0x71,
	0x80, 0x92, 0xa0, 0xa1, 0x3f8, 0x3fd, 0x402, 0x4d0, 0x4d1, 0x510,
	0xcf8, 0xcf9, 0xcfc, 0xb004, 0x604, 0xffff,
};

static void x86_bytes(struct gen *g, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		emit8(g, b[i]);
}

#define X86_EMIT(g, ...)						\
	x86_bytes(g, (const uint8_t[]){ __VA_ARGS__ },			\
		  sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Operand size, REX.W, REX.WR, LOCK, FS and CS prefixes. */
static const uint8_t x86_prefixes[] = { 0x66, 0x48, 0x4c, 0xf0, 0x64, 0x2e };

static void x86_template(struct gen *g)
{
	struct rng *r = g->r;
	struct fuzz_vm *vm = g->vm;

	switch (rnd_below(r, 14)) {
	case 0: {	/* port I/O, string and REP forms too */
		static const uint8_t ops[] = {
			0xec, 0xed, 0xee, 0xef, 0x6c, 0x6d, 0x6e, 0x6f,
		};

		x86_mov(g, 2, chance(r, 70) ?
			x86_ports[rnd_below(r, ARRAY_SIZE(x86_ports))] :
			rnd_below(r, 0x10000));
		x86_mov(g, 0, rnd(r));
		if (chance(r, 30)) {		/* INS/OUTS memory */
			x86_mov(g, 6, fuzz_addr(vm, r));
			x86_mov(g, 7, fuzz_addr(vm, r));
			x86_mov(g, 1, rnd_below(r, 8));
		}
		if (chance(r, 20))
			emit8(g, 0xf3);
		if (chance(r, 30))
			emit8(g, 0x66);
		if (chance(r, 20))
			X86_EMIT(g, 0xe4 + rnd_below(r, 4) * 1, rnd(r));
		else
			emit8(g, ops[rnd_below(r, ARRAY_SIZE(ops))]);
		break;
	}
	case 1:		/* RDMSR/WRMSR */
		x86_mov(g, 1, chance(r, 70) ?
			x86_msrs[rnd_below(r, ARRAY_SIZE(x86_msrs))] : rnd(r));
		x86_mov(g, 0, fuzz_value(vm, r));
		x86_mov(g, 2, chance(r, 50) ? 0 : rnd(r));
		X86_EMIT(g, 0x0f, chance(r, 50) ? 0x32 : 0x30);
		break;
	case 2:		/* MOV to/from CRn and DRn */
		x86_mov(g, 0, fuzz_value(vm, r));
		X86_EMIT(g, 0x0f, 0x20 + rnd_below(r, 4),
			 0xc0 | rnd_below(r, 8) << 3 | rnd_below(r, 8));
		break;
	case 3:		/* CR0/CR3/CR4 bombs, EFER: mode changes */
		x86_mov(g, 0, chance(r, 50) ? fuzz_value(vm, r) :
			(RAM_GPA + rnd_below(r, RAM_SIZE)) & ~0xfffULL);
		if (chance(r, 50))
			X86_EMIT(g, 0x0f, 0x22,
				 ((uint8_t[]){ 0xc0, 0xd8, 0xe0, 0xc0 })
				 [rnd_below(r, 4)]);
		else
			X86_EMIT(g, 0x0f, 0x20, 0xc0,		/* rax = cr0 */
				 0x35, rnd(r) & 0xff, 0, 0, rnd(r) & 0x80,
				 0x0f, 0x22, 0xc0);		/* xor, cr0 */
		break;
	case 4:		/* CPUID, hypercalls */
		x86_mov(g, 0, chance(r, 50) ? rnd_below(r, 16) :
			chance(r, 50) ? 0x40000000 + rnd_below(r, 0x200) :
			rnd(r));
		x86_mov(g, 3, fuzz_value(vm, r));
		x86_mov(g, 1, rnd_below(r, 4));
		X86_EMIT(g, 0x0f, (uint8_t[]){ 0xa2, 0x01, 0x01 }
			 [rnd_below(r, 3)]);
		if (g->buf[g->pos - 1] == 0x01)
			emit8(g, chance(r, 50) ? 0xd9 : 0xc1);
		break;
	case 5:		/* descriptor tables */
		x86_mov(g, 0, fuzz_addr(vm, r));
		x86_addr32(g);
		/* lgdt lidt sgdt sidt invlpg */
		X86_EMIT(g, 0x0f, 0x01,
			 ((uint8_t[]){ 0x10, 0x18, 0x00, 0x08, 0x38 })
			 [rnd_below(r, 5)]);
		break;
	case 6:		/* segments, LTR, LLDT */
		x86_mov(g, 0, rnd_below(r, 0x80));
		X86_EMIT(g, ((uint8_t[]){ 0x8e, 0x0f })[rnd_below(r, 2)]);
		if (g->buf[g->pos - 1] == 0x8e)
			emit8(g, 0xc0 | rnd_below(r, 6) << 3);
		else
			X86_EMIT(g, 0x00, chance(r, 50) ? 0xd8 : 0xd0);
		break;
	/*
	 * Far transfers: RETF. No IRET: one that pops EFLAGS.VM and NT
	 * makes a task return through a TSS of the wrong type, which the
	 * CPU answers with #TS (and axvm intercepts on SVM) but QEMU 7.2's
	 * own emulation aborts the whole lane on ("invalid tss type").
	 */
	case 7:
		x86_mov(g, 0, fuzz_value(vm, r));
		X86_EMIT(g, 0x50, 0x68, rnd_below(r, 0x40), 0, 0, 0);
		if (x86_bits(vm) == 64 && chance(r, 50))
			emit8(g, 0x48);
		emit8(g, ((uint8_t[]){ 0xcb, 0xca })[rnd_below(r, 2)]);
		if (g->buf[g->pos - 1] == 0xca)
			emit16(g, rnd_below(r, 16));
		break;
	case 8:
	case 9: {	/* MMIO: MOV forms that decode, others that do not */
		static const uint8_t ops[][3] = {
			{ 0x89, 0x08 }, { 0x8b, 0x08 }, { 0x88, 0x08 },
			{ 0x8a, 0x08 }, { 0xc6, 0x00 }, { 0xc7, 0x00 },
			{ 0x0f, 0xb6, 0x08 }, { 0x0f, 0xb7, 0x08 },
			{ 0x0f, 0xbe, 0x08 }, { 0x87, 0x08 }, { 0x01, 0x08 },
			{ 0xf3, 0xa4 }, { 0xf3, 0xab }, { 0x0f, 0xb1, 0x08 },
			{ 0xff, 0x28 }, { 0xff, 0x10 }, { 0x0f, 0x0d, 0x08 },
		};
		unsigned int k = rnd_below(r, ARRAY_SIZE(ops));

		x86_mov(g, 0, fuzz_addr(vm, r));
		x86_mov(g, 6, fuzz_addr(vm, r));
		x86_mov(g, 7, fuzz_addr(vm, r));
		x86_mov(g, 1, rnd_below(r, 8));
		x86_addr32(g);
		if (chance(r, 20))
			emit8(g, x86_prefixes[rnd_below(r, 6)]);
		emit8(g, ops[k][0]);
		emit8(g, ops[k][1]);
		if (ops[k][2] || ops[k][0] == 0x0f)
			emit8(g, ops[k][2]);
		if (ops[k][0] == 0xc6)
			emit8(g, rnd(r));
		if (ops[k][0] == 0xc7)
			emit32(g, rnd(r));
		break;
	}
	case 10: {	/* traps, faults, privileged and SVM/VMX opcodes */
		static const uint8_t ops[][3] = {
			{ 0xf4 }, { 0xcc }, { 0xcd, 0x00 }, { 0xce }, { 0xf1 },
			{ 0x0f, 0x0b }, { 0x0f, 0x01, 0xd1 },
			{ 0x0f, 0x01, 0xd0 }, { 0x0f, 0x09 }, { 0x0f, 0x08 },
			{ 0x0f, 0x33 }, { 0x0f, 0x31 }, { 0x0f, 0x01, 0xf9 },
			{ 0x0f, 0x01, 0xc8 }, { 0x0f, 0x01, 0xc9 },
			{ 0x0f, 0x01, 0xd8 }, { 0x0f, 0x01, 0xda },
			{ 0x0f, 0x01, 0xdb }, { 0x0f, 0x01, 0xdc },
			{ 0x0f, 0x01, 0xdd }, { 0x0f, 0x01, 0xde },
			{ 0x0f, 0x01, 0xdf }, { 0x0f, 0x05 }, { 0x0f, 0x07 },
			{ 0x0f, 0x34 }, { 0x0f, 0x35 }, { 0x0f, 0x01, 0xf8 },
			{ 0xfb }, { 0xfa }, { 0x0f, 0x01, 0xc4 },
			{ 0x0f, 0x78, 0xc0 }, { 0x0f, 0xaa }, { 0x0f, 0x01, 0xca },
			{ 0x0f, 0x01, 0xcb },
		};
		unsigned int k = rnd_below(r, ARRAY_SIZE(ops));

		x86_mov(g, 1, rnd_below(r, 4));
		x86_mov(g, 0, chance(r, 50) ? 7 : rnd(r));
		x86_mov(g, 2, 0);
		emit8(g, ops[k][0]);
		if (ops[k][0] == 0xcd)
			emit8(g, rnd(r));
		else if (ops[k][1])
			emit8(g, ops[k][1]);
		if (ops[k][2])
			emit8(g, ops[k][2]);
		break;
	}
	case 11:	/* RFLAGS: TF, AC, IF, DF, ... */
		X86_EMIT(g, 0x68);
		emit32(g, 0x2 | (rnd(r) & 0x240fd5));
		emit8(g, 0x9d);
		break;
	case 12:	/* loops and jumps */
		if (chance(r, 40))
			X86_EMIT(g, 0xeb, 0xfe);
		else if (chance(r, 50))
			X86_EMIT(g, 0xeb, rnd(r));
		else
			X86_EMIT(g, 0xff, 0xe0 | rnd_below(r, 8));
		break;
	default: {
		unsigned int i, n = 1 + rnd_below(r, 8);

		for (i = 0; i < n; i++)
			emit8(g, rnd(r));
		break;
	}
	}
}

static void x86_storm(struct gen *g)
{
	size_t top = g->pos;

	x86_mov(g, 2, 0x400 + rnd_below(g->r, 0x100));
	X86_EMIT(g, 0xee, 0xec);			/* out, in */
	x86_mov(g, 0, MMIO_GPA + (rnd_below(g->r, MMIO_SIZE) & ~7ULL));
	x86_addr32(g);
	X86_EMIT(g, 0x89, 0x08);			/* mov [eax], ecx */
	x86_addr32(g);
	X86_EMIT(g, 0x8b, 0x18);			/* mov ebx, [eax] */
	x86_mov(g, 0, 0x10000 + rnd_below(g->r, 0x100));
	X86_EMIT(g, 0x0f, 0x01, 0xd9);			/* vmmcall */
	X86_EMIT(g, 0xe9);				/* jmp top */
	if (x86_bits(g->vm) == 16) {
		g->buf[g->pos - 1] = 0x66;
		emit8(g, 0xe9);
	}
	emit32(g, (uint32_t)(top - (g->pos + 4)));
}

static void arch_gen(struct gen *g)
{
	if (g->vm->kind == KIND_STORM) {
		x86_storm(g);
		return;
	}
	while (gen_room(g, 64))
		x86_template(g);
}

static void arch_vm_layout(struct fuzz_vm *vm)
{
	uint64_t *pml4 = (uint64_t *)(vm->ram + X86_PML4);
	uint64_t *pdpt = (uint64_t *)(vm->ram + X86_PDPT);
	uint64_t *gdt = (uint64_t *)(vm->ram + X86_GDT);
	uint64_t *idt = (uint64_t *)(vm->ram + X86_IDT);
	uint64_t us = 0;
	unsigned int i;

	vm->mode = rnd_below(&vm->rng, NR_MODES);
	if (vm->kind == KIND_STORM)	/* port I/O and VMMCALL exit at CPL 0 */
		vm->mode = 2;
	if (vm->mode == 3)
		us = 4;
	pml4[0] = X86_PDPT | 3 | us;
	for (i = 1; i < 512; i++)
		if (chance(&vm->rng, 90))
			pml4[i] = 0;
	for (i = 0; i < 512; i++)
		pdpt[i] = ((uint64_t)i << 30) | 0x83 | us;
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL;		/* 0x08 code64 */
	gdt[2] = 0x00cf93000000ffffULL;		/* 0x10 data */
	gdt[3] = 0x00cf9b000000ffffULL;		/* 0x18 code32 */
	gdt[4] = 0x00009b000000ffffULL;		/* 0x20 code16 */
	gdt[5] = 0x00cff3000000ffffULL;		/* 0x28 user data */
	gdt[6] = 0x00affb000000ffffULL;		/* 0x30 user code64 */
	gdt[7] = 0x0000890000000067ULL | X86_TSS << 16;	/* 0x38 TSS */
	gdt[8] = 0;
	/* 64-bit interrupt gates into random code, or garbage. */
	if (chance(&vm->rng, 60))
		for (i = 0; i < 256; i++) {
			uint64_t off = RAM_GPA + VEC_OFF +
				       rnd_below(&vm->rng, 0x4000);

			idt[2 * i] = (off & 0xffff) | 0x08ULL << 16 |
				     0x8eULL << 40 | (off >> 16 & 0xffff) << 48;
			idt[2 * i + 1] = off >> 32;
		}
	memset(vm->ram + X86_TSS, 0, 0x68);
	*(uint64_t *)(vm->ram + X86_TSS + 4) = RAM_GPA + STACK_OFF - 0x800;
}

static void x86_seg(struct fuzz_vcpu *v, int seg, uint64_t sel, uint64_t base,
		    uint64_t limit, uint64_t attr)
{
	set_sysreg_checked(v, AXVM_SYSREG_X86_SEG_SEL(seg), sel);
	set_sysreg_checked(v, AXVM_SYSREG_X86_SEG_BASE(seg), base);
	set_sysreg_checked(v, AXVM_SYSREG_X86_SEG_LIMIT(seg), limit);
	set_sysreg_checked(v, AXVM_SYSREG_X86_SEG_ATTR(seg), attr);
}

static void arch_vcpu_setup(struct fuzz_vcpu *v, uint64_t pc)
{
	struct fuzz_vm *vm = v->vm;
	struct rng *r = &v->rng;
	struct axvm_regs regs;
	uint64_t cs_attr, ds_attr, cs_sel, ds_sel, cs_base = 0;
	unsigned int i;

	memset(&regs, 0, sizeof(regs));
	for (i = 0; i < 16; i++)
		regs.gpr[i] = fuzz_value(vm, r);
	regs.gpr[4] = RAM_GPA + STACK_OFF - v->id * 0x100;
	/* CF PF AF ZF SF IF DF OF at random; TF and AC now and then. */
	regs.pstate = 0x2 | (rnd(r) & 0xed5) |
		      (chance(r, 5) ? 0x40100 & rnd(r) : 0);
	regs.pc = pc;

	switch (vm->mode) {
	case 0:		/* real mode, CS:IP */
		cs_sel = pc >> 4;
		cs_base = cs_sel << 4;
		regs.pc = pc & 0xf;
		regs.gpr[4] &= 0xffff;
		cs_attr = 0x9b;
		ds_sel = 0;
		ds_attr = 0x93;
		set_sysreg_checked(v, AXVM_SYSREG_X86_CR0, 0x60000010);
		break;
	case 1:		/* flat 32-bit protected mode, no paging */
		cs_sel = 0x18;
		cs_attr = 0xc09b;
		ds_sel = 0x10;
		ds_attr = 0xc093;
		set_sysreg_checked(v, AXVM_SYSREG_X86_CR0, 0x11);
		break;
	default:	/* long mode, CPL 0 or 3 */
		cs_sel = vm->mode == 2 ? 0x08 : 0x33;
		cs_attr = vm->mode == 2 ? 0xa09b : 0xa0fb;
		ds_sel = vm->mode == 2 ? 0x10 : 0x2b;
		ds_attr = vm->mode == 2 ? 0xc093 : 0xc0f3;
		set_sysreg_checked(v, AXVM_SYSREG_X86_CR4, 0x20 |
				   (rnd(r) & 0x50688));
		set_sysreg_checked(v, AXVM_SYSREG_X86_EFER, 0xd01);
		set_sysreg_checked(v, AXVM_SYSREG_X86_CR3,
				   vm->kind == KIND_PTBOMB ?
				   (RAM_GPA + rnd_below(r, RAM_SIZE)) & ~0xfffULL :
				   RAM_GPA + X86_PML4);
		set_sysreg_checked(v, AXVM_SYSREG_X86_CR0, 0x80050033);
		break;
	}
	x86_seg(v, 1, cs_sel, cs_base, vm->mode ? 0xffffffff : 0xffff,
		cs_attr);
	for (i = 0; i < 6; i++)
		if (i != 1)
			x86_seg(v, i, ds_sel, 0, vm->mode ? 0xffffffff : 0xffff,
				ds_attr);
	x86_seg(v, 6, 0, 0, 0, 0x10000);
	x86_seg(v, 7, 0x38, RAM_GPA + X86_TSS, 0x67, 0x8b);
	set_sysreg_checked(v, AXVM_SYSREG_X86_GDTR_BASE, RAM_GPA + X86_GDT);
	set_sysreg_checked(v, AXVM_SYSREG_X86_GDTR_LIMIT, 0x47);
	set_sysreg_checked(v, AXVM_SYSREG_X86_IDTR_BASE, vm->mode ?
			   RAM_GPA + X86_IDT : 0);
	set_sysreg_checked(v, AXVM_SYSREG_X86_IDTR_LIMIT, vm->mode ?
			   0xfff : 0x3ff);
	if (chance(r, 20))
		set_sysreg_checked(v, AXVM_SYSREG_X86_DR(7), rnd(r) &
				   0xffffffffULL);
	if (chance(r, 20))
		set_sysreg_checked(v, AXVM_SYSREG_X86_DR(rnd_below(r, 4)),
				   fuzz_addr(vm, r));
	set_regs_checked(v, &regs);
}

/* The I/O APIC's window; the local APICs are at 0xfee00000 anyway. */
static bool arch_irqchip(int caps, struct axvm_irqchip *c)
{
	*c = (struct axvm_irqchip){
		.type = AXVM_IRQCHIP_X86, .nr_irqs = 24,
		.base = { CHIP_BASE0 }, .size = { CHIP_SIZE0 },
	};
	return caps & (1 << AXVM_IRQCHIP_X86);
}

static bool arch_sysreg_class_ok(uint64_t id)
{
	return (id & (0xffULL << AXVM_SYSREG_CLASS_SHIFT)) ==
	       AXVM_SYSREG_CLASS_X86_MSR;
}

#else
#error "guest_fuzz_test: no generator for this architecture"
#endif

/* ------------------------------------------------------------------ */
/* The VMM side. */

static bool in_range(uint64_t a, uint64_t base, uint64_t size)
{
	return a >= base && a - base < size;
}

/* Is @a an arch_id of a vCPU of @vm? */
static bool vm_has_arch_id(struct fuzz_vm *vm, uint64_t a)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (axvm_arch_id(i) == a)
			return true;
	return false;
}

/*
 * Check one exit against api.rst and answer it; returns true when the
 * vCPU is to stop.
 */
static bool handle_exit(struct fuzz_vcpu *v)
{
	struct axvm_run *run = v->run;
	struct fuzz_vm *vm = v->vm;
	struct rng *r = &v->rng;

	switch (run->exit_reason) {
	case AXVM_EXIT_MMIO:
		if (run->mmio.len != 1 && run->mmio.len != 2 &&
		    run->mmio.len != 4 && run->mmio.len != 8) {
			vcpu_fail(v, "MMIO exit with len %u", run->mmio.len);
			return true;
		}
		/* Registered RAM is mapped; a read-only slot only writes. */
		if (in_range(run->mmio.phys_addr, RAM_GPA, RAM_SIZE) ||
		    (vm->has_ro && !run->mmio.is_write &&
		     in_range(run->mmio.phys_addr, RO_GPA, RO_SIZE))) {
			vcpu_fail(v, "MMIO exit inside guest RAM at %#llx",
				  (unsigned long long)run->mmio.phys_addr);
			return true;
		}
		if (!run->mmio.is_write)
			run->mmio.data = rnd(r);
		return false;
	case AXVM_EXIT_IO:
#if defined(__x86_64__)
		if ((run->io.size != 1 && run->io.size != 2 &&
		     run->io.size != 4) || run->io.count != 1) {
			vcpu_fail(v, "IO exit with size %u count %u",
				  run->io.size, run->io.count);
			return true;
		}
		if (!run->io.is_write)
			run->io.data = rnd(r);
		return false;
#else
		vcpu_fail(v, "port I/O exit on a non-x86 arch");
		return true;
#endif
	case AXVM_EXIT_SYSREG:
		if (!arch_sysreg_class_ok(run->sysreg.id)) {
			vcpu_fail(v, "SYSREG exit of id %#llx",
				  (unsigned long long)run->sysreg.id);
			return true;
		}
		if (!run->sysreg.is_write || chance(r, 10))
			run->sysreg.value = rnd(r);
		return false;
	case AXVM_EXIT_HYPERCALL:
		run->hypercall.ret = chance(r, 50) ? -rnd_below(r, 10) : rnd(r);
		run->hypercall.ret2 = rnd(r);
		return false;
	case AXVM_EXIT_HALT:
	case AXVM_EXIT_IPI:
		return false;
	case AXVM_EXIT_CPU_UP:
		if (!vm_has_arch_id(vm, run->cpu_up.target)) {
			vcpu_fail(v, "CPU_UP of target %#llx, no vCPU of the VM",
				  (unsigned long long)run->cpu_up.target);
			return true;
		}
		if (chance(r, 50))
			run->cpu_up.ret = rnd(r);
		return false;
	case AXVM_EXIT_CPU_DOWN:
		/* Running on is allowed: the call fails (PSCI DENIED, SBI FAILED). */
		if (chance(r, 50))
			return false;
		v->end = END_CPU_DOWN;
		return true;
	case AXVM_EXIT_SYSTEM_DOWN:
		if (run->system_down.type < AXVM_SYSTEM_DOWN_POWEROFF ||
		    run->system_down.type > AXVM_SYSTEM_DOWN_CRASH) {
			vcpu_fail(v, "SYSTEM_DOWN of type %u",
				  run->system_down.type);
			return true;
		}
		v->end = END_SYSTEM_DOWN;
		return true;
	case AXVM_EXIT_NESTED_PAGE_FAULT:
		v->end = END_NPF;
		return true;
	case AXVM_EXIT_FAIL_ENTRY:
		v->end = END_FAIL_ENTRY;
		return true;
	case AXVM_EXIT_INTERNAL_ERROR:
		if ((run->internal.suberror != AXVM_INTERNAL_UNHANDLED_EXIT &&
		     run->internal.suberror != AXVM_INTERNAL_DECODE_FAILED) ||
		    run->internal.ndata > 16) {
			vcpu_fail(v, "INTERNAL_ERROR suberror %u ndata %u",
				  run->internal.suberror, run->internal.ndata);
			return true;
		}
		v->end = END_INTERNAL;
		return true;
	default:
		/* NONE, INTR (only with EINTR), the absorbed ones, others. */
		vcpu_fail(v, "RUN returned 0 with exit_reason %u",
			  run->exit_reason);
		return true;
	}
}

/* Between runs the VMM pokes too: interrupt lines, MSIs. */
static void vmm_poke(struct fuzz_vcpu *v)
{
	struct fuzz_vm *vm = v->vm;
	struct rng *r = &v->rng;

	if (!chance(r, 3))
		return;
	if (vm->irqchip) {
		struct axvm_irq_line l = {
			.irq = rnd_below(r, 40), .level = rnd_below(r, 2),
		};

		if (ioctl(vm->fd, AXVM_IRQ_LINE, &l) && errno != EINVAL)
			vcpu_fail(v, "AXVM_IRQ_LINE %u: errno %d", l.irq,
				  errno);
	} else {
		struct axvm_irq irq = {
			.irq = rnd_below(r, 64),
			.flags = rnd_below(r, 2),
		};

		if (ioctl(v->fd, AXVM_INJECT_IRQ, &irq) && errno != EINVAL &&
		    !(errno == ENODEV && vm->inject_enodev))
			vcpu_fail(v, "AXVM_INJECT_IRQ %u: errno %d", irq.irq,
				  errno);
	}
}

static void *vcpu_thread(void *arg)
{
	struct fuzz_vcpu *v = arg;
	struct fuzz_vm *vm = v->vm;
	int cap = vm->kind == KIND_STORM ? EXITS_CAP_STORM : EXITS_CAP;
	struct axvm_exit_stats st;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (v->end == END_NR) {
		int ret;

		if (kicked) {
			v->end = vm->stop ? END_PEER : END_TIMEOUT;
			break;
		}
		if (v->exits >= cap) {
			v->end = END_EXIT_CAP;
			break;
		}
		vmm_poke(v);
		if (v->end != END_NR)
			break;
		/* Complete an exit without running guest code, sometimes. */
		v->run->immediate_exit = chance(&v->rng, 2);
		ret = ioctl(v->fd, AXVM_RUN, 0);
		if (ret) {
			if (errno != EINTR) {
				vcpu_fail(v, "RUN failed with errno %d", errno);
				break;
			}
			if (v->run->exit_reason != AXVM_EXIT_INTR) {
				vcpu_fail(v, "EINTR with exit_reason %u",
					  v->run->exit_reason);
				break;
			}
			if (!v->run->immediate_exit && !kicked) {
				vcpu_fail(v, "EINTR without a signal");
				break;
			}
			continue;
		}
		if (v->run->immediate_exit) {
			vcpu_fail(v, "RUN returned 0 with immediate_exit set");
			break;
		}
		v->exits++;
		if (verbose) {
			struct axvm_regs regs;

			ioctl(v->fd, AXVM_GET_REGS, &regs);
			printf("# vcpu %d exit %u pc %#llx pstate %#llx data %#llx %#llx %#llx\n",
			       v->id, v->run->exit_reason,
			       (unsigned long long)regs.pc,
			       (unsigned long long)regs.pstate,
			       (unsigned long long)v->run->internal.data[0],
			       (unsigned long long)v->run->internal.data[1],
			       (unsigned long long)v->run->internal.data[2]);
			fflush(stdout);
		}
		if (handle_exit(v))
			break;
	}
	v->run->immediate_exit = 0;
	if (!ioctl(v->fd, AXVM_GET_EXIT_STATS, &st))
		memcpy(v->stats, st.count, sizeof(v->stats));
	if (v->end != END_TIMEOUT && v->end != END_PEER)
		vm->stop = 1;		/* the VM is over: end the others */
	__atomic_store_n(&v->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int fuzz_vm_setup(struct fuzz_vm *vm, char *err, size_t errlen)
{
	int i, caps;
	bool have_chip;

	vm->kind = rnd_below(&vm->rng, 10) < 6 ? KIND_RANDOM :
		   chance(&vm->rng, 50) ? KIND_STORM : KIND_PTBOMB;
	vm->nr_vcpus = vm->kind == KIND_STORM ? 2 :
		       1 + rnd_below(&vm->rng, FUZZ_MAX_VCPUS);
	vm->fd = ioctl(vm->sys, AXVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		snprintf(err, errlen, "CREATE_VM: errno %d", errno);
		return -1;
	}
	vm->ram = axvm_alloc(RAM_SIZE);
	if (!vm->ram) {
		snprintf(err, errlen, "no memory");
		return -1;
	}
	fill_random(&vm->rng, vm->ram, RAM_SIZE);
	if (axvm_set_region(vm->fd, 0, 0, RAM_GPA, RAM_SIZE, vm->ram)) {
		snprintf(err, errlen, "SET_MEMORY_REGION: errno %d", errno);
		return -1;
	}
	if (axvm_cap(vm->sys, AXVM_CAP_READONLY_MEM) > 0 &&
	    chance(&vm->rng, 50)) {
		vm->ro = axvm_alloc(RO_SIZE);
		if (!vm->ro) {
			snprintf(err, errlen, "no memory");
			return -1;
		}
		fill_random(&vm->rng, vm->ro, RO_SIZE);
		if (axvm_set_region(vm->fd, 1, AXVM_MEM_READONLY, RO_GPA,
				    RO_SIZE, vm->ro)) {
			snprintf(err, errlen, "read-only region: errno %d",
				 errno);
			return -1;
		}
		vm->has_ro = true;
	}
	caps = axvm_cap(vm->sys, AXVM_CAP_IRQCHIP);
	have_chip = arch_irqchip(caps > 0 ? caps : 0, &vm->chip);
	/* api.rst: a GICv2 host has no INJECT_IRQ without its irqchip. */
	vm->inject_enodev = vm->chip.type == AXVM_IRQCHIP_GICV2;
	/* AXVM_GUEST_FUZZ_NO_IRQCHIP: the same VM less its irqchip. */
	if (have_chip && chance(&vm->rng, 30) &&
	    !axvm_env_u64("AXVM_GUEST_FUZZ_NO_IRQCHIP", 0)) {
		if (ioctl(vm->fd, AXVM_CREATE_IRQCHIP, &vm->chip)) {
			snprintf(err, errlen, "CREATE_IRQCHIP: errno %d",
				 errno);
			return -1;
		}
		vm->irqchip = true;
	}

	arch_vm_layout(vm);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct gen g = {
			.buf = vm->ram + CODE_OFF + i * CODE_SIZE,
			.cap = CODE_SIZE,
			.r = &vm->rng,
			.vm = vm,
		};

		arch_gen(&g);
	}
	{
		struct gen g = {
			.buf = vm->ram + VEC_OFF, .cap = 0x8000, .r = &vm->rng,
			.vm = vm,
		};
		enum fuzz_kind kind = vm->kind;

		vm->kind = KIND_RANDOM;
		arch_gen(&g);
		vm->kind = kind;
	}

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct fuzz_vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->id = i;
		v->end = END_NR;
		v->rng.s = rnd(&vm->rng);
		v->fd = axvm_create_vcpu(vm->fd, i, axvm_arch_id(i));
		if (v->fd < 0) {
			snprintf(err, errlen, "CREATE_VCPU %d: errno %d", i,
				 errno);
			return -1;
		}
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			snprintf(err, errlen, "mmap of the run page: errno %d",
				 errno);
			return -1;
		}
		arch_vcpu_setup(v, RAM_GPA + CODE_OFF +
				(vm->kind == KIND_STORM ? 0 : i * CODE_SIZE));
		if (v->end == END_FAILED) {
			snprintf(err, errlen, "vCPU %d setup: %s", i, v->fail);
			return -1;
		}
	}
	return 0;
}

static void fuzz_vm_free(struct fuzz_vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct fuzz_vcpu *v = &vm->vcpus[i];

		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->ram)
		munmap(vm->ram, RAM_SIZE);
	if (vm->ro)
		munmap(vm->ro, RO_SIZE);
}

/*
 * Run one VM to its end. Returns 0, or -1 with @err set (the VM failed:
 * the caller prints its seed). A vCPU whose RUN never comes back after
 * HANG_LIMIT_S seconds of signals is a hang: -2, and its threads stay.
 */
static int fuzz_one(int sys, size_t run_size, uint64_t seed,
		    struct fuzz_totals *t, char *err, size_t errlen)
{
	struct fuzz_vm vm;
	uint64_t scale = axvm_env_u64("AXVM_TIMEOUT_SCALE", 1) ?: 1;
	int i, ret = 0, left;

	memset(&vm, 0, sizeof(vm));
	vm.seed = seed;
	vm.rng.s = seed;
	vm.sys = sys;
	vm.fd = -1;
	vm.run_size = run_size;
	vm.phys_bits = axvm_cap(sys, AXVM_CAP_GUEST_PHYS_BITS);
	if (vm.phys_bits < 32 || vm.phys_bits > 52)
		vm.phys_bits = 40;
	for (i = 0; i < FUZZ_MAX_VCPUS; i++)
		vm.vcpus[i].fd = -1;

	err[0] = '\0';
	if (fuzz_vm_setup(&vm, err, errlen)) {
		fuzz_vm_free(&vm);
		return -1;
	}
	if (verbose)
		printf("# guest_fuzz: kind %d mode %s vcpus %d irqchip %d ro %d\n",
		       vm.kind, mode_names[vm.mode], vm.nr_vcpus, vm.irqchip,
		       vm.has_ro);
	for (i = 0; i < vm.nr_vcpus; i++) {
		struct fuzz_vcpu *v = &vm.vcpus[i];

		v->deadline_ns = axvm_clock_ns(CLOCK_MONOTONIC) +
				 BUDGET_MS * 1000000ULL;
		if (pthread_create(&v->thread, NULL, vcpu_thread, v)) {
			snprintf(err, errlen, "pthread_create failed");
			vm.stop = 1;
			ret = -1;
			break;
		}
		v->started = true;
	}

	/* The watchdog: signal a vCPU past its budget until RUN returns. */
	do {
		uint64_t now;

		usleep(KICK_MS * 1000);
		now = axvm_clock_ns(CLOCK_MONOTONIC);
		left = 0;
		for (i = 0; i < vm.nr_vcpus; i++) {
			struct fuzz_vcpu *v = &vm.vcpus[i];

			if (!v->started ||
			    __atomic_load_n(&v->done, __ATOMIC_ACQUIRE))
				continue;
			left++;
			if (now < v->deadline_ns && !vm.stop)
				continue;
			if (!v->kicks++)
				v->first_kick_ns = now;
			pthread_kill(v->thread, SIGUSR1);
			if (now - v->first_kick_ns >
			    HANG_LIMIT_S * scale * 1000000000ULL) {
				snprintf(err, errlen,
					 "vCPU %d: RUN did not return in %llu s of signals",
					 i, (unsigned long long)(HANG_LIMIT_S *
								 scale));
				return -2;
			}
		}
	} while (left);

	t->vms++;
	t->kinds[vm.kind]++;
	t->modes[vm.mode]++;
	for (i = 0; i < vm.nr_vcpus; i++) {
		struct fuzz_vcpu *v = &vm.vcpus[i];
		int k;

		if (!v->started)
			continue;
		pthread_join(v->thread, NULL);
		t->vcpus++;
		t->ends[v->end == END_NR ? END_FAILED : v->end]++;
		for (k = 0; k < AXVM_EXIT_REASONS; k++)
			t->exits[k] += v->stats[k];
		if (v->end == END_FAILED && !ret) {
			snprintf(err, errlen, "vCPU %d (%s, %s): %s", i,
				 mode_names[vm.mode],
				 ((const char *[]){ "random", "storm",
						    "ptbomb" })[vm.kind],
				 v->fail);
			ret = -1;
		}
	}
	fuzz_vm_free(&vm);
	return ret;
}

FIXTURE(guest_fuzz) {
	int sys;
	long refcnt, stage2;
};

FIXTURE_SETUP(guest_fuzz)
{
	struct sigaction sa;

	self->sys = axvm_open();
	ASSERT_GE(self->sys, 0);
	if (axvm_cap(self->sys, AXVM_CAP_RUN) <= 0)
		SKIP(return, "no guest entry on this lane");
	self->refcnt = axvm_module_refcnt();
	self->stage2 = axvm_param("stage2_pages");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;	/* no SA_RESTART: RUN returns EINTR */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

FIXTURE_TEARDOWN(guest_fuzz)
{
	close(self->sys);
}

/*
 * Every VM ends by the VMM's hand, RUN gives only documented results,
 * and nothing of a VM stays in the module after its fds are closed.
 */
TEST_F_TIMEOUT(guest_fuzz, hostile_guests_end_and_leave_nothing, 1800)
{
	uint64_t seed = axvm_env_u64("AXVM_FUZZ_SEED", 0);
	uint64_t one = axvm_env_u64("AXVM_GUEST_FUZZ_VM_SEED", 0);
	unsigned long n = axvm_env_u64("AXVM_GUEST_FUZZ_VMS", FUZZ_VMS_DEFAULT);
	size_t run_size = ioctl(self->sys, AXVM_GET_VCPU_MMAP_SIZE, 0);
	uint64_t t0 = axvm_clock_ns(CLOCK_MONOTONIC);
	struct fuzz_totals t;
	struct rng master;
	unsigned long i;
	char err[512];
	int k;

	verbose = axvm_env_u64("AXVM_GUEST_FUZZ_VERBOSE", 0);
	if (!seed)
		seed = axvm_clock_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 32);
	printf("# guest_fuzz: seed=%#llx vms=%lu\n", (unsigned long long)seed,
	       one ? 1 : n);
	master.s = seed;
	memset(&t, 0, sizeof(t));
	if (one)
		n = 1;

	for (i = 0; i < n; i++) {
		uint64_t vm_seed = one ? one : rnd(&master);
		long pages;
		int ret;

		/* Before it runs: a host that dies leaves this in its log. */
		printf("# guest_fuzz: vm %lu seed=%#llx\n", i,
		       (unsigned long long)vm_seed);
		fflush(stdout);
		ret = fuzz_one(self->sys, run_size, vm_seed, &t, err,
			       sizeof(err));
		if (ret) {
			t.failed_vms++;
			printf("# guest_fuzz: FAILED vm %lu seed=%#llx",
			       i, (unsigned long long)vm_seed);
			printf(" (replay: AXVM_GUEST_FUZZ_VM_SEED=%#llx): %s\n",
			       (unsigned long long)vm_seed, err);
			fflush(stdout);
			ASSERT_NE(-2, ret);	/* a hang: nothing to clean */
			continue;
		}
		/* Its fds are closed: no stage-2 table of it is left. */
		pages = axvm_param("stage2_pages");
		if (pages != self->stage2) {
			t.failed_vms++;
			printf("# guest_fuzz: FAILED vm %lu seed=%#llx: ",
			       i, (unsigned long long)vm_seed);
			printf("stage2_pages %ld after it, %ld before\n",
			       pages, self->stage2);
			self->stage2 = pages;
		}
	}

	printf("# guest_fuzz: seed=%#llx: %lu VMs ", (unsigned long long)seed,
	       t.vms);
	printf("(%lu random, %lu storms, %lu page-table bombs), %lu vCPUs, %llu ms\n",
	       t.kinds[KIND_RANDOM], t.kinds[KIND_STORM], t.kinds[KIND_PTBOMB],
	       t.vcpus,
	       (unsigned long long)((axvm_clock_ns(CLOCK_MONOTONIC) - t0) /
				    1000000));
	printf("# guest_fuzz: start states:");
	for (k = 0; k < NR_MODES; k++)
		printf(" %s %lu", mode_names[k], t.modes[k]);
	printf("\n# guest_fuzz: exits:");
	for (k = 0; k < AXVM_EXIT_REASONS; k++)
		if (t.exits[k])
			printf(" %s %llu", exit_names[k],
			       (unsigned long long)t.exits[k]);
	printf("\n# guest_fuzz: vCPU endings:");
	for (k = 0; k < END_NR; k++)
		if (t.ends[k])
			printf(" %s %lu", end_names[k], t.ends[k]);
	printf("\n");
	fflush(stdout);

	EXPECT_EQ(0, t.failed_vms);
	EXPECT_EQ(0, axvm_param("stage2_pages"));
	EXPECT_EQ(self->refcnt, axvm_module_refcnt());
}

TEST_HARNESS_MAIN
