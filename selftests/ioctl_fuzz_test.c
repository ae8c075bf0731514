// SPDX-License-Identifier: GPL-2.0
/*
 * An ioctl fuzzer for /dev/axvm: several threads issue random and
 * boundary-valued ioctls on system, VM and vCPU fds while runner threads
 * run vCPUs, regions are added, moved and deleted under them, fds are
 * closed and dup'ed mid-call, run pages are mapped and unmapped, children
 * are forked and call in, signals hit every thread and rmmod is tried.
 *
 * What it is: a small coverage-guided random loop, not syzkaller. Calls
 * come from a table of every ioctl of uapi/linux/axvm.h with a generator
 * of mostly valid arguments for its struct, mutated towards boundaries
 * (0, ~0, page edges, sizes near limits, unknown flags, bad slots and
 * ids, NULL, unmapped, read-only and kernel pointers), plus random ioctl
 * numbers. Where KCOV is available (a debug kernel, axvm.ko built with
 * KCOV_INSTRUMENT), each thread traces its calls; a short program (up to
 * four calls with their arguments) that reached a PC no call reached
 * before joins a corpus, and part of the programs are mutations or
 * splices of corpus entries. The seed (AXVM_FUZZ_SEED, printed first)
 * fixes the stream of calls each fuzzer thread generates, as long as the
 * corpus is empty (without KCOV; with it, what enters the corpus depends
 * on timing); what the fds hold when a call lands and the interleaving
 * of the threads are not reproducible.
 *
 * What it checks: every errno is one Documentation/api.rst gives for
 * that ioctl ("The errnos listed for each ioctl are all it returns,
 * besides ENOTTY, EBADF and EFAULT"); return values the API fixes
 * (GET_API_VERSION, GET_VCPU_MMAP_SIZE, 0 for the others); that a
 * RUN ending in EINTR counted an AXVM_EXIT_INTR; that a forked child's
 * VM and vCPU ioctls fail ("fail with EIO"); that rmmod fails while an
 * fd is open ("Every fd holds a reference to the module"); that no
 * child dies by a signal; and at the end, with everything closed, that
 * the module's refcount and stage2_pages are back where they started
 * and the module unloads and loads again.
 *
 * Environment: AXVM_FUZZ_CALLS, the number of calls (default 20000, a
 * short pass; the debug lanes' CI sets 10^6), AXVM_FUZZ_SEED the seed,
 * AXVM_FUZZ_KCOV=0 no coverage. The table at the end has, per call, how
 * many were made, how many succeeded, the mean wall time of one (waits
 * for the vCPU mutex and the CPU included) and the errnos seen.
 */
#define _GNU_SOURCE
#include <linux/kcov.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "axvm_util.h"
#include "axvm_harness.h"

#define DEFAULT_CALLS	20000
#define NR_RUNNERS	2
#define NR_FUZZERS	3
#define NR_WORKERS	(NR_RUNNERS + NR_FUZZERS)

/* The fd table: numbers FD_BASE.. hold only axvm fds (or nothing). */
#define FD_BASE		600
#define NR_SLOTS	40
#define NR_MAPS		16

#define POOL_PAGES	64
#define PROG_LEN	4
#define ARG_MAX		sizeof(struct axvm_regs)
#define CORPUS_MAX	512
#define PC_BITS		18
#define KCOV_WORDS	(64 << 10)

#define MAX_FAILS	16

/* Each thread's CPUID table: 256 entries, in one mapping of their own. */
#define CPUID_BYTES	(256 * sizeof(struct axvm_cpuid_entry))
#define CPUID_AREA	((NR_WORKERS + 1) * CPUID_BYTES)

enum kind { K_NONE, K_SYS, K_VM, K_VCPU, K_ANY };

enum argkind { A_VAL, A_PTR };

enum op {
	OP_API_VERSION, OP_CHECK_CAP, OP_CREATE_VM, OP_MMAP_SIZE,
	OP_SET_REGION, OP_CREATE_VCPU, OP_CREATE_IRQCHIP, OP_IRQ_LINE,
	OP_SIGNAL_MSI, OP_SET_HC_FILTER, OP_GET_DIRTY_LOG, OP_POPULATE,
	OP_ENABLE_CAP,
	OP_RUN, OP_GET_REGS, OP_SET_REGS, OP_GET_SYSREG, OP_SET_SYSREG,
	OP_INJECT_IRQ, OP_GET_EXIT_STATS, OP_SET_CPUID, OP_GET_CPUID,
	OP_NMI, OP_GET_VCPU_STATE, OP_SET_VCPU_STATE, OP_TRANSLATE,
	OP_RANDOM_IOCTL,
	NR_IOCTL_OPS,
	/* Not ioctls: what happens to the fds and mappings around them. */
	OP_CLOSE = NR_IOCTL_OPS, OP_DUP, OP_MMAP, OP_MUNMAP, OP_FORK,
	OP_RMMOD, OP_REMAP_POOL,
	NR_OPS
};

#define MAX_ERRNO	160

struct ioc_desc {
	const char *name;
	unsigned long nr;
	enum kind kind;
	enum argkind arg;
	int weight;
	/* The errnos api.rst lists for it, 0 ended; ENOTTY, EBADF, EFAULT */
	int allowed[12];
};

/* The errno lists are those of Documentation/api.rst, ioctl by ioctl. */
static const struct ioc_desc descs[NR_OPS] = {
	[OP_API_VERSION] = { "GET_API_VERSION", AXVM_GET_API_VERSION, K_SYS,
			     A_VAL, 2, { EINVAL } },
	[OP_CHECK_CAP] = { "CHECK_CAP", AXVM_CHECK_CAP, K_SYS, A_VAL, 3,
			   { 0 } },
	[OP_CREATE_VM] = { "CREATE_VM", AXVM_CREATE_VM, K_SYS, A_VAL, 1,
			   { EINVAL, EBUSY, ENOMEM, EMFILE, ENFILE, EINTR } },
	[OP_MMAP_SIZE] = { "GET_VCPU_MMAP_SIZE", AXVM_GET_VCPU_MMAP_SIZE,
			   K_SYS, A_VAL, 1, { EINVAL } },
	[OP_SET_REGION] = { "SET_MEMORY_REGION", AXVM_SET_MEMORY_REGION, K_VM,
			    A_PTR, 12, { EINVAL, EEXIST, ENOMEM,
					 EINTR, EIO } },
	[OP_CREATE_VCPU] = { "CREATE_VCPU", AXVM_CREATE_VCPU, K_VM, A_PTR, 3,
			     { EINVAL, EEXIST, ENOSPC, ENOMEM, EIO,
			       EMFILE } },
	[OP_CREATE_IRQCHIP] = { "CREATE_IRQCHIP", AXVM_CREATE_IRQCHIP, K_VM,
				A_PTR, 2, { EINVAL, ENODEV, EEXIST,
					    EBUSY, ENOMEM, EIO } },
	[OP_IRQ_LINE] = { "IRQ_LINE", AXVM_IRQ_LINE, K_VM, A_PTR, 3,
			  { EINVAL, ENXIO, EIO } },
	[OP_SIGNAL_MSI] = { "SIGNAL_MSI", AXVM_SIGNAL_MSI, K_VM, A_PTR, 2,
			    { EINVAL, ENXIO, EIO } },
	[OP_SET_HC_FILTER] = { "SET_HC_FILTER", AXVM_SET_HYPERCALL_FILTER,
			       K_VM, A_PTR, 2,
			       { EINVAL, EEXIST, EBUSY, ENOSPC, ENOMEM,
				 EOPNOTSUPP, EIO } },
	[OP_GET_DIRTY_LOG] = { "GET_DIRTY_LOG", AXVM_GET_DIRTY_LOG, K_VM,
			       A_PTR, 3, { EINVAL, ENOENT, ENOMEM, EIO } },
	[OP_POPULATE] = { "POPULATE", AXVM_POPULATE, K_VM, A_PTR, 2,
			  { EINVAL, ENOENT, EIO } },
	[OP_ENABLE_CAP] = { "ENABLE_CAP", AXVM_ENABLE_CAP, K_VM, A_PTR, 2,
			    { EINVAL, EBUSY, EIO } },
	[OP_RUN] = { "RUN", AXVM_RUN, K_VCPU, A_VAL, 3,
		     { EINTR, EBUSY, EOPNOTSUPP, EINVAL, EIO, ENOMEM } },
	/* "All fail with EIO outside the VM's creator" */
	[OP_GET_REGS] = { "GET_REGS", AXVM_GET_REGS, K_VCPU, A_PTR, 4,
			  { EIO } },
	[OP_SET_REGS] = { "SET_REGS", AXVM_SET_REGS, K_VCPU, A_PTR, 5,
			  { EINVAL, EIO } },
	[OP_GET_SYSREG] = { "GET_SYSREG", AXVM_GET_SYSREG, K_VCPU, A_PTR, 5,
			    { ENOENT, EINVAL, EIO } },
	[OP_SET_SYSREG] = { "SET_SYSREG", AXVM_SET_SYSREG, K_VCPU, A_PTR, 5,
			    { ENOENT, EINVAL, EIO } },
	[OP_INJECT_IRQ] = { "INJECT_IRQ", AXVM_INJECT_IRQ, K_VCPU, A_PTR, 4,
			    { EINVAL, EBUSY, EIO } },
	[OP_GET_EXIT_STATS] = { "GET_EXIT_STATS", AXVM_GET_EXIT_STATS, K_VCPU,
				A_PTR, 2, { EIO } },
	[OP_SET_CPUID] = { "SET_CPUID", AXVM_SET_CPUID, K_VCPU, A_PTR, 2,
			   { EINVAL, E2BIG, ENOMEM, EIO } },
	[OP_GET_CPUID] = { "GET_CPUID", AXVM_GET_CPUID, K_VCPU, A_PTR, 2,
			   { EINVAL, E2BIG, ENOMEM, EIO } },
	[OP_NMI] = { "NMI", AXVM_NMI, K_VCPU, A_VAL, 1, { EINVAL, EIO } },
	[OP_GET_VCPU_STATE] = { "GET_VCPU_STATE", AXVM_GET_VCPU_STATE, K_VCPU,
				A_PTR, 2, { EIO } },
	/* A power state that sleeps in RUN ends with the signaller's EINTR. */
	[OP_SET_VCPU_STATE] = { "SET_VCPU_STATE", AXVM_SET_VCPU_STATE, K_VCPU,
				A_PTR, 2, { EINVAL, EINTR, EIO } },
	[OP_TRANSLATE] = { "TRANSLATE", AXVM_TRANSLATE, K_VCPU, A_PTR, 2,
			   { EINVAL, ENOENT, EOPNOTSUPP, EINTR, EIO } },
	/* A number that is no ioctl of this fd: ENOTTY. */
	[OP_RANDOM_IOCTL] = { "random number", 0, K_ANY, A_PTR, 2,
			      { ENOTTY, EBADF } },
	[OP_CLOSE] = { "close", 0, K_ANY, A_VAL, 1 },
	[OP_DUP] = { "dup", 0, K_ANY, A_VAL, 2, { EBADF } },
	/* "Any other offset or a length above one page is EINVAL" */
	[OP_MMAP] = { "mmap", 0, K_VCPU, A_VAL, 2,
		      { EINVAL, ENODEV, EBADF, ENOMEM } },
	[OP_MUNMAP] = { "munmap", 0, K_ANY, A_VAL, 2 },
	[OP_FORK] = { "fork", 0, K_ANY, A_VAL, 0 },
	[OP_RMMOD] = { "delete_module", 0, K_ANY, A_VAL, 0,
		       { EWOULDBLOCK, EBUSY } },
	[OP_REMAP_POOL] = { "remap pool", 0, K_ANY, A_VAL, 1 },
};

/* An arm64 host whose GIC is a GICv2: INJECT_IRQ is ENODEV there. */
static bool host_gicv2;

static bool allowed(int op, int err)
{
	const int *a;

	if (op == OP_INJECT_IRQ && err == ENODEV && host_gicv2)
		return true;
	/* "besides ENOTTY, EBADF and EFAULT for an argument pointer" */
	if (op < OP_RANDOM_IOCTL &&
	    (err == ENOTTY || err == EBADF || err == EFAULT))
		return true;
	for (a = descs[op].allowed; *a; a++)
		if (*a == err)
			return true;
	return false;
}

enum ptrmode { P_OK, P_NULL, P_UNMAPPED, P_RDONLY, P_STRADDLE, P_KERNEL,
	       NR_PTRMODES };

struct call {
	uint8_t op;
	uint8_t slot;
	uint8_t ptrmode;
	uint8_t pad;
	uint32_t nr;		/* OP_RANDOM_IOCTL's number */
	uint64_t val;		/* A_VAL argument, or the op's parameter */
	uint8_t buf[ARG_MAX] __attribute__((aligned(8)));
};

struct prog {
	int n;
	struct call c[PROG_LEN];
};

/* An installer holds lock: the number's file and kind change together. */
struct slot {
	pthread_mutex_t lock;
	atomic_int kind;
};

struct map {
	pthread_mutex_t lock;
	void *addr;
};

struct op_stat {
	_Atomic uint64_t calls, ok, ns;
	_Atomic uint64_t errnos[(MAX_ERRNO + 63) / 64];	/* seen */
};

struct fail {
	char msg[160];
};

struct thr {
	int idx;
	pid_t tid;
	uint64_t rng;		/* what is generated: from the seed alone */
	uint64_t side;		/* choices that depend on results */
	int kcov_fd;
	uint64_t *cover;
	uint8_t *guard;		/* two pages: RW, then PROT_NONE */
	struct axvm_cpuid_entry *cpuid;
	uint64_t new_pcs;
};

static struct {
	uint64_t seed;
	uint64_t target;
	_Atomic uint64_t calls;
	_Atomic int stop;
	int sentinel;		/* a /dev/axvm fd open all run long */
	long page;
	struct slot slots[NR_SLOTS];
	struct map maps[NR_MAPS];
	struct op_stat stats[NR_OPS];
	uint8_t *pool, *ro_pool, *none_pool;
	uint8_t *cpuid_area;	/* the threads' CPUID tables, then PROT_NONE */
	void *hole;
	void *kernel_ptr;
	unsigned int phys_bits, nr_irqs, max_vcpu_id;
	bool kcov;
	_Atomic uint64_t *pcs;
	_Atomic uint64_t nr_pcs;
	pthread_mutex_t corpus_lock;
	struct prog *corpus;
	int corpus_n;
	uint64_t corpus_runs;
	_Atomic uint64_t forks, fork_fails, rmmods;
	_Atomic uint64_t run_exits, intr_checked;
	pthread_mutex_t fail_lock;
	struct fail fails[MAX_FAILS];
	int nr_fails;
	pid_t tids[NR_WORKERS];
	atomic_int in_run[NR_WORKERS];
	_Atomic uint64_t run_seq[NR_WORKERS];
	bool can_rmmod;
} g;

static __thread uint64_t last_note;

static void fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&g.fail_lock);
	if (g.nr_fails < MAX_FAILS) {
		va_start(ap, fmt);
		vsnprintf(g.fails[g.nr_fails].msg,
			  sizeof(g.fails[g.nr_fails].msg), fmt, ap);
		va_end(ap);
	}
	g.nr_fails++;
	pthread_mutex_unlock(&g.fail_lock);
}

/* splitmix64: the seed of each thread's xorshift, and the seed itself. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(struct thr *t)
{
	uint64_t x = t->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t->rng = x;
	return x;
}

/* A draw for a choice that depends on a result (a new fd's place). */
static uint64_t side(struct thr *t, uint64_t n)
{
	uint64_t x = t->side;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t->side = x;
	return x % n;
}

static uint64_t below(struct thr *t, uint64_t n)
{
	return n ? rnd(t) % n : 0;
}

static bool chance(struct thr *t, unsigned int percent)
{
	return below(t, 100) < percent;
}

/* A value at an edge: 0, all ones, a power of two or one off it, ... */
static uint64_t boundary(struct thr *t)
{
	uint64_t p = 1ULL << below(t, 64);

	switch (below(t, 9)) {
	case 0: return 0;
	case 1: return ~0ULL;
	case 2: return p;
	case 3: return p - 1;
	case 4: return p + 1;
	case 5: return 0x80000000ULL;
	case 6: return (uint64_t)g.page * below(t, 4) + below(t, 2);
	case 7: return 0xffffffffULL;
	default: return rnd(t);
	}
}

/* One of the @n values at @v. */
static uint64_t pick(struct thr *t, const uint64_t *v, size_t n)
{
	return v[below(t, n)];
}

#define PICK(t, ...)	pick(t, (const uint64_t[]){ __VA_ARGS__ },	\
			     ARRAY_SIZE(((const uint64_t[]){ __VA_ARGS__ })))

static int fd_of(int slot)
{
	return FD_BASE + slot;
}

/* A slot holding @kind most of the time, any slot otherwise. */
static int pick_slot(struct thr *t, enum kind kind)
{
	int start = below(t, NR_SLOTS), i;

	if (kind != K_ANY && chance(t, 90))
		for (i = 0; i < NR_SLOTS; i++) {
			int s = (start + i) % NR_SLOTS;

			if (g.slots[s].kind == kind)
				return s;
		}
	return start;
}

/* Put @fd at slot @s's number, closing what was there; closes @fd. */
static void install(int s, int fd, enum kind kind)
{
	struct slot *sl = &g.slots[s];

	pthread_mutex_lock(&sl->lock);
	if (dup3(fd, fd_of(s), O_CLOEXEC) == fd_of(s))
		sl->kind = kind;
	pthread_mutex_unlock(&sl->lock);
	close(fd);
}

static void uninstall(int s)
{
	struct slot *sl = &g.slots[s];

	pthread_mutex_lock(&sl->lock);
	close(fd_of(s));
	sl->kind = K_NONE;
	pthread_mutex_unlock(&sl->lock);
}

/* ---- coverage ---- */

/* Adds @pc to the global set: true when nobody had reached it. */
static bool pc_add(uint64_t pc)
{
	uint64_t mask = (1ULL << PC_BITS) - 1, i = mix(pc) & mask, n;

	for (n = 0; n <= mask; n++, i = (i + 1) & mask) {
		uint64_t cur = atomic_load_explicit(&g.pcs[i],
						    memory_order_relaxed);

		if (cur == pc)
			return false;
		if (!cur) {
			uint64_t zero = 0;

			if (atomic_compare_exchange_strong(&g.pcs[i], &zero,
							   pc)) {
				g.nr_pcs++;
				return true;
			}
			if (zero == pc)
				return false;
		}
	}
	return false;		/* full: nothing is new any more */
}

static void kcov_start(struct thr *t)
{
	if (t->cover)
		__atomic_store_n(&t->cover[0], 0, __ATOMIC_RELAXED);
}

static void kcov_collect(struct thr *t)
{
	uint64_t n, i;

	if (!t->cover)
		return;
	n = __atomic_load_n(&t->cover[0], __ATOMIC_RELAXED);
	if (n >= KCOV_WORDS)
		n = KCOV_WORDS - 1;
	for (i = 0; i < n; i++)
		if (pc_add(t->cover[i + 1]))
			t->new_pcs++;
}

static void kcov_setup(struct thr *t)
{
	void *area;

	t->kcov_fd = -1;
	if (!g.kcov)
		return;
	t->kcov_fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
	if (t->kcov_fd < 0)
		return;
	if (ioctl(t->kcov_fd, KCOV_INIT_TRACE, KCOV_WORDS))
		goto err;
	area = mmap(NULL, KCOV_WORDS * sizeof(uint64_t),
		    PROT_READ | PROT_WRITE, MAP_SHARED, t->kcov_fd, 0);
	if (area == MAP_FAILED)
		goto err;
	if (ioctl(t->kcov_fd, KCOV_ENABLE, KCOV_TRACE_PC)) {
		munmap(area, KCOV_WORDS * sizeof(uint64_t));
		goto err;
	}
	t->cover = area;
	return;
err:
	close(t->kcov_fd);
	t->kcov_fd = -1;
}

static void kcov_teardown(struct thr *t)
{
	if (!t->cover)
		return;
	ioctl(t->kcov_fd, KCOV_DISABLE, 0);
	munmap(t->cover, KCOV_WORDS * sizeof(uint64_t));
	close(t->kcov_fd);
	t->cover = NULL;
}

/* ---- argument generators ---- */

static uint64_t rand_gpa(struct thr *t, uint64_t size)
{
	uint64_t limit = 1ULL << g.phys_bits;

	switch (below(t, 8)) {
	case 0: return limit - size;
	case 1: return limit;
	case 2: return ~0ULL & ~(uint64_t)(g.page - 1);
	case 3: return boundary(t);
	default: return below(t, 16) * 0x200000ULL + below(t, 4) * g.page;
	}
}

static uint64_t rand_uaddr(struct thr *t)
{
	switch (below(t, 12)) {
	case 0: return (uintptr_t)g.ro_pool + below(t, 8) * g.page;
	case 1: return (uintptr_t)g.none_pool;
	case 2: return (uintptr_t)g.hole;
	case 3: return (uintptr_t)g.kernel_ptr;
	case 4: return (uintptr_t)g.pool + 1;
	case 5: return boundary(t) & ~(uint64_t)(g.page - 1);
	case 6: return (uintptr_t)g.pool + (POOL_PAGES - 1) * g.page;
	default: return (uintptr_t)g.pool + below(t, POOL_PAGES) * g.page;
	}
}

static void gen_region(struct thr *t, struct axvm_memory_region *r)
{
	r->slot = chance(t, 90) ? below(t, 8) : boundary(t);
	r->flags = chance(t, 75) ? 0 : chance(t, 35) ? AXVM_MEM_READONLY :
		   chance(t, 40) ? AXVM_MEM_LOG_DIRTY :
		   chance(t, 50) ? AXVM_MEM_USER_FAULT : boundary(t);
	if (chance(t, 25))
		r->size = 0;
	else if (chance(t, 85))
		r->size = (1 + below(t, 8)) * g.page;
	else
		r->size = boundary(t) & ~(uint64_t)(g.page - 1);
	r->guest_phys_addr = rand_gpa(t, r->size);
	r->userspace_addr = rand_uaddr(t);
}

static void gen_vcpu(struct thr *t, struct axvm_vcpu_create *c)
{
	int i;

	c->id = chance(t, 85) ? below(t, 8) :
		PICK(t, 63, 64, 255, 256, ~0U, 1U << 31);
	c->flags = chance(t, 95) ? 0 : boundary(t);
	c->arch_id = chance(t, 85) ? axvm_arch_id(c->id % 256) :
		     chance(t, 50) ? axvm_bad_arch_id() : boundary(t);
	if (chance(t, 85))
		return;
	i = below(t, AXVM_AFFINITY_WORDS);
	if (chance(t, 60))
		c->affinity[0] = 1ULL << below(t, 4);
	else
		c->affinity[i] = boundary(t);
}

static void gen_irqchip(struct thr *t, struct axvm_irqchip *c)
{
	uint64_t *w = (uint64_t *)c;

#if defined(__aarch64__)
	c->type = AXVM_IRQCHIP_GICV3;
	c->nr_irqs = 64;
	c->base[0] = 0x8000000;
	c->size[0] = 0x10000;
	c->base[1] = 0x80a0000;
	c->size[1] = 0x20000 * (1 + below(t, 8));
	if (host_gicv2) {
		c->type = AXVM_IRQCHIP_GICV2;
		c->base[1] = 0x8010000;
		c->size[1] = 0x2000;
	}
#elif defined(__riscv)
	c->type = AXVM_IRQCHIP_PLIC;
	c->nr_irqs = 32;
	c->base[0] = 0xc000000;
	c->size[0] = 0x202000 + 0x2000 * below(t, 8);
#else
	c->type = AXVM_IRQCHIP_X86;
	c->nr_irqs = 24;
	c->base[0] = 0xfec00000;
	c->size[0] = 0x1000;
#endif
	if (chance(t, 30))
		c->type = below(t, 5);
	if (chance(t, 40))
		w[below(t, sizeof(*c) / 8)] = boundary(t);
}

static void gen_regs(struct thr *t, struct axvm_regs *r)
{
	int i;

	for (i = 0; i < 32; i++)
		r->gpr[i] = chance(t, 50) ? 0 : boundary(t);
#if defined(__aarch64__)
	r->pstate = PICK(t, 0x3c5, 0x3c4, 0x3c0, 0x3c9, 0x10);
	r->pc = 0x10000 + below(t, 2) * 4;
#elif defined(__riscv)
	r->gpr[0] = 0;
	r->pstate = below(t, 3);
	r->pc = 0x80000000ULL;
#else
	memset(&r->gpr[16], 0, 16 * sizeof(r->gpr[0]));
	r->pstate = PICK(t, 0x2, 0x202, 0x0, 0x3002);
	r->pc = below(t, 4);
#endif
	if (chance(t, 30))
		r->pc = boundary(t);
	if (chance(t, 10))
		r->pstate = boundary(t);
	if (chance(t, 5))
		r->reserved[below(t, 6)] = boundary(t);
}

static uint64_t rand_sysreg(struct thr *t)
{
	static const uint64_t ids[] = {
#if defined(__aarch64__)
		AXVM_SYSREG_ARM64(3, 0, 1, 0, 0),	/* SCTLR_EL1 */
		AXVM_SYSREG_ARM64(3, 0, 2, 0, 0),	/* TTBR0_EL1 */
		AXVM_SYSREG_ARM64(3, 0, 2, 0, 2),	/* TCR_EL1 */
		AXVM_SYSREG_ARM64(3, 0, 12, 0, 0),	/* VBAR_EL1 */
		AXVM_SYSREG_ARM64(3, 0, 0, 0, 5),	/* MPIDR_EL1 */
		AXVM_SYSREG_ARM64(3, 3, 14, 3, 1),	/* CNTV_CTL_EL0 */
		AXVM_SYSREG_ARM64(3, 3, 14, 3, 2),	/* CNTV_CVAL_EL0 */
		AXVM_SYSREG_ARM64(3, 3, 4, 4, 0),	/* FPCR */
		AXVM_SYSREG_ARM64(3, 3, 4, 4, 1),	/* FPSR */
		AXVM_SYSREG_ARM64(3, 0, 4, 1, 0),	/* SP_EL0 */
		AXVM_SYSREG_ARM64(3, 0, 0, 1, 0),	/* ID_AA64PFR0 */
		AXVM_SYSREG_ARM64_V(0, 0), AXVM_SYSREG_ARM64_V(31, 1),
#elif defined(__riscv)
		AXVM_SYSREG_RISCV_CSR(0x100), AXVM_SYSREG_RISCV_CSR(0x104),
		AXVM_SYSREG_RISCV_CSR(0x105), AXVM_SYSREG_RISCV_CSR(0x144),
		AXVM_SYSREG_RISCV_CSR(0x180), AXVM_SYSREG_RISCV_CSR(0x3),
		AXVM_SYSREG_RISCV_CSR(0x141), AXVM_SYSREG_RISCV_F(0),
		AXVM_SYSREG_RISCV_F(31),
#else
		AXVM_SYSREG_X86_CR0, AXVM_SYSREG_X86_CR3, AXVM_SYSREG_X86_CR4,
		AXVM_SYSREG_X86_CR8, AXVM_SYSREG_X86_EFER,
		AXVM_SYSREG_X86_GDTR_LIMIT, AXVM_SYSREG_X86_IDTR_BASE,
		AXVM_SYSREG_X86_DR(0), AXVM_SYSREG_X86_DR(5),
		AXVM_SYSREG_X86_DR(6), AXVM_SYSREG_X86_DR(7),
		AXVM_SYSREG_X86_SEG_SEL(1), AXVM_SYSREG_X86_SEG_BASE(4),
		AXVM_SYSREG_X86_SEG_LIMIT(2), AXVM_SYSREG_X86_SEG_ATTR(7),
		AXVM_SYSREG_X86_MSR(0xc0000080), AXVM_SYSREG_X86_MSR(0xc0000082),
		AXVM_SYSREG_X86_MSR(0x277), AXVM_SYSREG_X86_MSR(0x4b564d01),
		AXVM_SYSREG_X86_MSR(0xc0000103),
#endif
	};

	switch (below(t, 6)) {
	case 0: return boundary(t);
	case 1: return (below(t, 8) << AXVM_SYSREG_CLASS_SHIFT) |
		       below(t, 1 << 16);
	default: return pick(t, ids, ARRAY_SIZE(ids));
	}
}

static void gen_cpuid(struct thr *t, struct axvm_cpuid *c, bool set)
{
	c->nent = chance(t, 80) ? below(t, 64) :
		  PICK(t, 0, 255, 256, 257, ~0U);
	c->flags = chance(t, 95) ? 0 : boundary(t);
	c->entries = (uintptr_t)t->cpuid;
	if (chance(t, 10))
		c->entries = rand_uaddr(t);
	if (set && chance(t, 10))
		t->cpuid[below(t, 256)].padding = 1;
	else if (set && chance(t, 10))
		t->cpuid[below(t, 256)].flags = boundary(t);
}

static void gen_call(struct thr *t, struct call *c)
{
	int total = 0, w, op;

	for (op = 0; op < NR_OPS; op++)
		total += descs[op].weight;
	w = below(t, total);
	for (op = 0; w >= descs[op].weight; op++)
		w -= descs[op].weight;
	/* Rare whole-process events, not in the weights. */
	if (!below(t, 2000))
		op = OP_FORK;
	else if (!below(t, 3000))
		op = OP_RMMOD;

	memset(c, 0, sizeof(*c));
	c->op = op;
	c->slot = pick_slot(t, descs[op].kind);
	c->ptrmode = chance(t, 92) ? P_OK : 1 + below(t, NR_PTRMODES - 1);
	c->val = chance(t, 90) ? 0 : boundary(t);

	switch (op) {
	case OP_CHECK_CAP:
		c->val = chance(t, 80) ? below(t, 14) : boundary(t);
		break;
	case OP_CREATE_VM:
		c->val = chance(t, 95) ? 0 : boundary(t);
		break;
	case OP_SET_REGION:
		gen_region(t, (void *)c->buf);
		break;
	case OP_CREATE_VCPU:
		gen_vcpu(t, (void *)c->buf);
		break;
	case OP_CREATE_IRQCHIP:
		gen_irqchip(t, (void *)c->buf);
		break;
	case OP_IRQ_LINE: {
		struct axvm_irq_line *l = (void *)c->buf;

		l->irq = chance(t, 85) ? below(t, 34) : boundary(t);
		l->level = chance(t, 90) ? below(t, 2) : boundary(t);
		break;
	}
	case OP_SIGNAL_MSI: {
		struct axvm_msi *m = (void *)c->buf;

		m->address = chance(t, 85) ? 0xfee00000ULL | below(t, 4) << 12 :
			     boundary(t);
		m->data = chance(t, 80) ? 0x20 + below(t, 0xd0) : boundary(t);
		m->flags = chance(t, 95) ? 0 : boundary(t);
		break;
	}
	case OP_SET_HC_FILTER: {
		struct axvm_hypercall_filter *f = (void *)c->buf;

		f->base = chance(t, 80) ? 0x84000000U + (below(t, 8) << 24) +
					  below(t, 0x40) : boundary(t);
		f->nr = chance(t, 85) ? 1 + below(t, 0x40) : boundary(t);
		f->action = chance(t, 90) ? below(t, 3) : boundary(t);
		f->flags = chance(t, 95) ? 0 : boundary(t);
		break;
	}
	case OP_GET_DIRTY_LOG: {
		struct axvm_dirty_log *l = (void *)c->buf;

		l->slot = chance(t, 90) ? below(t, 8) : boundary(t);
		l->flags = chance(t, 95) ? 0 : boundary(t);
		/* Room for any region the pool can back: one word. */
		l->bitmap = chance(t, 90) ? (uintptr_t)t->cpuid :
			    rand_uaddr(t);
		break;
	}
	case OP_POPULATE: {
		struct axvm_populate *p = (void *)c->buf;

		p->slot = chance(t, 90) ? below(t, 8) : boundary(t);
		p->flags = chance(t, 95) ? 0 : boundary(t);
		p->offset = chance(t, 80) ? below(t, 8) * g.page : boundary(t);
		p->size = chance(t, 80) ? (1 + below(t, 8)) * g.page :
			  boundary(t);
		break;
	}
	case OP_ENABLE_CAP: {
		struct axvm_enable_cap *e = (void *)c->buf;

		e->cap = chance(t, 80) ? AXVM_CAP_USER_IPI :
			 chance(t, 50) ? below(t, 32) : boundary(t);
		e->flags = chance(t, 95) ? 0 : boundary(t);
		for (w = 0; w < 4; w++)
			e->args[w] = chance(t, 95) ? 0 : boundary(t);
		break;
	}
	case OP_RUN:
	case OP_NMI:
		c->val = chance(t, 97) ? 0 : boundary(t);
		break;
	case OP_SET_REGS:
		gen_regs(t, (void *)c->buf);
		break;
	case OP_GET_SYSREG:
	case OP_SET_SYSREG: {
		struct axvm_sysreg *r = (void *)c->buf;

		r->id = rand_sysreg(t);
		r->value = chance(t, 30) ? 0 : boundary(t);
		break;
	}
	case OP_INJECT_IRQ: {
		struct axvm_irq *i = (void *)c->buf;

		i->irq = chance(t, 85) ? below(t, g.nr_irqs + 2) : boundary(t);
		i->flags = chance(t, 90) ? below(t, 2) : boundary(t);
		break;
	}
	case OP_SET_CPUID:
	case OP_GET_CPUID:
		gen_cpuid(t, (void *)c->buf, op == OP_SET_CPUID);
		break;
	case OP_SET_VCPU_STATE: {
		struct axvm_vcpu_state *s = (void *)c->buf;

		s->state = chance(t, 90) ? 0 : boundary(t);
		s->power = chance(t, 85) ? below(t, AXVM_POWER_SUSPENDED + 2) :
			   boundary(t);
		s->flags = chance(t, 95) ? 0 : boundary(t);
		s->reserved = chance(t, 95) ? 0 : boundary(t);
		break;
	}
	case OP_TRANSLATE: {
		struct axvm_translation *tr = (void *)c->buf;

		tr->gva = chance(t, 50) ? below(t, 1 << 20) * g.page :
			  boundary(t);
		tr->reserved = chance(t, 95) ? 0 : boundary(t);
		break;
	}
	case OP_RANDOM_IOCTL:
		/*
		 * Only the module's type: other types reach the VFS's own
		 * ioctls (FIONBIO, FIGETBSZ, ...) before the driver.
		 */
		w = chance(t, 10) ? below(t, 1 << 14) :
		    PICK(t, 0, 8, 16, 24, 32, 64, 144, 344);
		c->nr = _IOC(below(t, 4), AXVMIO, below(t, 0x40), w);
		for (w = 0; w < (int)ARG_MAX; w += 8)
			*(uint64_t *)&c->buf[w] = boundary(t);
		break;
	case OP_DUP:
	case OP_CLOSE:
		c->val = below(t, NR_SLOTS);
		break;
	case OP_MMAP:
		c->val = chance(t, 85) ? 0 : boundary(t);
		break;
	case OP_MUNMAP:
		c->val = below(t, NR_MAPS);
		break;
	default:
		break;
	}
}

/* Change one thing in a corpus call: an argument word, the fd, ... */
static void mutate_call(struct thr *t, struct call *c)
{
	switch (below(t, 5)) {
	case 0:
		c->slot = pick_slot(t, K_ANY);
		break;
	case 1:
		c->val = boundary(t);
		break;
	case 2:
		c->ptrmode = below(t, NR_PTRMODES);
		break;
	default: {
		size_t off = below(t, 6) * 4;	/* the struct's head */

		if (chance(t, 50))
			*(uint32_t *)&c->buf[off] = boundary(t);
		else
			*(uint32_t *)&c->buf[off] ^= 1U << below(t, 32);
	}
	}
}

/* The argument pointer of a call, as its pointer mode says. */
static void *arg_ptr(struct thr *t, struct call *c, size_t size)
{
	switch (c->ptrmode) {
	case P_NULL:
		return NULL;
	case P_UNMAPPED:
		return g.hole;
	case P_RDONLY:
		return g.ro_pool;
	case P_STRADDLE:
		/* Half on a mapped page, half on PROT_NONE. */
		memcpy(t->guard + g.page - size / 2, c->buf, size / 2);
		return t->guard + g.page - size / 2;
	case P_KERNEL:
		return g.kernel_ptr;
	default:
		return c->buf;
	}
}

/*
 * Whether @a is memory of this process the fuzzer does not own: its
 * heap, stacks, binary. Boundary values are often powers of two, and
 * the heap of a static binary may hold one (0x1000000): a region over
 * it made the heap guest RAM, which random guest code wrote, and
 * GET_CPUID wrote its entries there; glibc's arena then crashed the
 * fuzzer (x86 lane, seed 0x98ecf8d06a046370). The kernel did what it
 * was told; the fuzzer must not tell it that.
 */
static bool foreign(uint64_t a)
{
	uint64_t lo = (uintptr_t)g.pool, hi = lo + POOL_PAGES * g.page;

	if (a < 0x10000 || a >= 1ULL << 47)	/* never mapped: kept */
		return false;
	if (a >= lo && a < hi)
		return false;
	if (a >= (uintptr_t)g.cpuid_area &&
	    a < (uintptr_t)g.cpuid_area + CPUID_AREA)
		return false;
	if (a == (uintptr_t)g.ro_pool || a == (uintptr_t)g.none_pool ||
	    a == (uintptr_t)g.hole || (a >= (uintptr_t)g.ro_pool &&
	    a < (uintptr_t)g.ro_pool + 8 * g.page))
		return false;
	return true;
}

/* Pointer fields the kernel reads or writes through, made harmless. */
static void sanitize(int op, struct call *c)
{
	struct axvm_memory_region *r = (void *)c->buf;
	struct axvm_cpuid *cp = (void *)c->buf;
	struct axvm_dirty_log *dl = (void *)c->buf;
	__u64 *p = NULL;

	if (op == OP_RANDOM_IOCTL)
		for (op = 0; op < OP_RANDOM_IOCTL; op++)
			if (descs[op].nr == c->nr)
				break;
	if (op == OP_SET_REGION)
		p = &r->userspace_addr;
	else if (op == OP_SET_CPUID || op == OP_GET_CPUID)
		p = &cp->entries;
	else if (op == OP_GET_DIRTY_LOG)
		p = &dl->bitmap;
	/* Non-canonical: the same boundary bits, always EFAULT. */
	if (p && foreign(*p))
		*p |= 1ULL << 63;
}

static size_t arg_size(int op, struct call *c)
{
	if (op == OP_RANDOM_IOCTL) {
		size_t s = _IOC_SIZE(c->nr);

		return s > ARG_MAX ? ARG_MAX : s;
	}
	return _IOC_SIZE(descs[op].nr);
}

static void mark(void)
{
	last_note = axvm_clock_ns(CLOCK_MONOTONIC);
}

static void note(int op, long ret, int err)
{
	struct op_stat *s = &g.stats[op];
	uint64_t now = axvm_clock_ns(CLOCK_MONOTONIC);

	/* The time since this thread's last mark(): the call. */
	s->ns += now - last_note;
	last_note = now;
	s->calls++;
	if (ret >= 0)
		s->ok++;
	else if (err > 0 && err < MAX_ERRNO)
		atomic_fetch_or(&s->errnos[err / 64], 1ULL << (err % 64));
}

/* A fd an ioctl returned: into the table, or closed. */
static void new_fd(struct thr *t, int fd, enum kind kind)
{
	if (side(t, 10))
		install(side(t, NR_SLOTS), fd, kind);
	else
		close(fd);
}

/*
 * The check that matters: the errno must be one api.rst lists for this
 * ioctl (or a generic one), and a success must return what it says.
 */
static void check_ioctl(struct thr *t, int op, struct call *c,
			uint64_t arg, long ret, int err)
{
	/* "arg must be 0", "flags (must be 0)": EINVAL iff it is not. */
	bool zero_arg = op == OP_API_VERSION || op == OP_CREATE_VM ||
			op == OP_MMAP_SIZE || op == OP_RUN || op == OP_NMI;

	note(op, ret, err);
	if (zero_arg && arg && ret >= 0)
		fail("%s with arg %#llx succeeded", descs[op].name,
		     (unsigned long long)arg);
	if (zero_arg && !arg && ret < 0 && err == EINVAL &&
	    op != OP_RUN)	/* RUN: EINVAL for the affinity too */
		fail("%s with arg 0: EINVAL", descs[op].name);
	if (ret < 0) {
		if (!allowed(op, err))
			fail("%s (nr %#x, arg %#llx) on fd %d: errno %d (%s) not in api.rst",
			     descs[op].name, op == OP_RANDOM_IOCTL ? c->nr :
			     (unsigned int)descs[op].nr,
			     (unsigned long long)c->val, fd_of(c->slot), err,
			     strerror(err));
		return;
	}
	switch (op) {
	case OP_API_VERSION:
		if (ret != AXVM_API_VERSION)
			fail("GET_API_VERSION returned %ld", ret);
		break;
	case OP_MMAP_SIZE:
		if (ret != g.page)
			fail("GET_VCPU_MMAP_SIZE returned %ld", ret);
		break;
	case OP_CHECK_CAP:
		break;
	case OP_CREATE_VM:
		new_fd(t, ret, K_VM);
		break;
	case OP_CREATE_VCPU:
		new_fd(t, ret, K_VCPU);
		break;
	case OP_RANDOM_IOCTL:
		fail("ioctl %#x succeeded (%ld) on fd %d", c->nr, ret,
		     fd_of(c->slot));
		break;
	default:
		if (ret)
			fail("%s returned %ld, not 0", descs[op].name, ret);
	}
}

/* A child of a multi-threaded process: ioctl and _exit only. */
static void child(void)
{
	struct axvm_exit_stats st;
	struct axvm_memory_region r = { .slot = 0 };
	int s, code = 0;

	for (s = 0; s < NR_SLOTS; s++) {
		int fd = fd_of(s);
		long ret;

		/*
		 * "system ioctls work anywhere"; on a VM or vCPU fd it is
		 * ENOTTY, or EIO as every call there from another process.
		 */
		ret = ioctl(fd, AXVM_CHECK_CAP, AXVM_CAP_ARCH);
		if (ret < 0 && errno != ENOTTY && errno != EBADF &&
		    errno != EIO)
			code |= 1;
		/* "VM and vCPU ioctls from any other process ... EIO" */
		ret = ioctl(fd, AXVM_GET_EXIT_STATS, &st);
		if (!ret || (errno != EIO && errno != ENOTTY &&
			     errno != EBADF))
			code |= 2;
		ret = ioctl(fd, AXVM_SET_MEMORY_REGION, &r);
		if (!ret || (errno != EIO && errno != ENOTTY &&
			     errno != EBADF))
			code |= 4;
		if (s % 3 == 0)
			close(fd);
	}
	_exit(code);
}

static void do_fork(void)
{
	int status;
	pid_t pid = fork();

	g.forks++;
	if (pid < 0)
		return;
	if (!pid)
		child();
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	note(OP_FORK, 0, 0);
	if (WIFSIGNALED(status))
		fail("forked child died by signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status))
		fail("forked child: VM/vCPU ioctl not EIO, or system one failed (%d)",
		     WEXITSTATUS(status));
}

static void do_rmmod(void)
{
	int ret;

	if (!g.can_rmmod)
		return;
	g.rmmods++;
	ret = axvm_unload_module("axvm");
	note(OP_RMMOD, ret, -ret);
	/* The sentinel fd is open: the module must stay. */
	if (ret == -EPERM) {
		g.can_rmmod = false;	/* not root */
		return;
	}
	if (!ret)
		fail("delete_module(axvm) succeeded while fds were open");
	else if (ret != -EWOULDBLOCK && ret != -EBUSY)
		fail("delete_module(axvm) with fds open: errno %d", -ret);
}

static void do_mmap(struct thr *t, struct call *c)
{
	size_t len = g.page;
	off_t off = 0;
	struct map *m = &g.maps[below(t, NR_MAPS)];
	void *p;

	if (c->val) {
		len = chance(t, 50) ? g.page * (1 + below(t, 3)) : g.page;
		off = chance(t, 50) ? g.page : 0;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd_of(c->slot), off);
	note(OP_MMAP, p == MAP_FAILED ? -1 : 0, errno);
	if (p == MAP_FAILED) {
		if (!allowed(OP_MMAP, errno))
			fail("mmap(len %zu, off %lld) of fd %d: errno %d",
			     len, (long long)off, fd_of(c->slot), errno);
		return;
	}
	if (len != (size_t)g.page || off)
		fail("mmap of %zu bytes at offset %lld succeeded", len,
		     (long long)off);
	pthread_mutex_lock(&m->lock);
	if (m->addr)
		munmap(m->addr, g.page);
	m->addr = p;
	pthread_mutex_unlock(&m->lock);
}

static void do_munmap(struct call *c)
{
	struct map *m = &g.maps[c->val % NR_MAPS];

	pthread_mutex_lock(&m->lock);
	if (m->addr) {
		/* The vCPU may be running: its run page is the kernel's. */
		munmap(m->addr, g.page);
		m->addr = NULL;
	}
	pthread_mutex_unlock(&m->lock);
	note(OP_MUNMAP, 0, 0);
}

/* Pages under regions go away and come back: the MMU notifier's work. */
static void do_remap_pool(struct thr *t)
{
	size_t n = 1 + below(t, 4);
	uint8_t *p = g.pool + below(t, POOL_PAGES - n) * g.page;

	if (mmap(p, n * g.page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		fail("remapping the pool: errno %d", errno);
	note(OP_REMAP_POOL, 0, 0);
}

/* RUN, seen by the signaller (which ends RUNs that last). */
static long run_ioctl(struct thr *t, int fd, unsigned long arg)
{
	long ret;

	g.run_seq[t->idx]++;
	g.in_run[t->idx] = 1;
	ret = ioctl(fd, AXVM_RUN, arg);
	g.in_run[t->idx] = 0;
	return ret;
}

/*
 * A call aimed at an empty number mostly gets a fresh fd of its kind
 * there first, or the table would drain: closes outrun creations.
 */
static void refill(struct thr *t, int s, enum kind kind)
{
	struct axvm_vcpu_create vc;
	int fd = -1, op, i;

	switch (kind) {
	case K_SYS:
		install(s, axvm_open(), K_SYS);
		return;
	case K_VM:
		op = OP_CREATE_VM;
		fd = ioctl(g.sentinel, AXVM_CREATE_VM, 0);
		break;
	case K_VCPU:
		for (i = 0; i < NR_SLOTS; i++)
			if (g.slots[(s + i) % NR_SLOTS].kind == K_VM)
				break;
		if (i == NR_SLOTS)
			return;
		op = OP_CREATE_VCPU;
		memset(&vc, 0, sizeof(vc));
		vc.id = side(t, 16);
		vc.arch_id = axvm_arch_id(vc.id);
		fd = ioctl(fd_of((s + i) % NR_SLOTS), AXVM_CREATE_VCPU, &vc);
		break;
	default:
		return;
	}
	g.calls++;
	note(op, fd, errno);
	if (fd >= 0)
		install(s, fd, kind);
	else if (!allowed(op, errno))
		fail("%s (new fd): errno %d (%s) not in api.rst",
		     descs[op].name, errno, strerror(errno));
}

static void exec_call(struct thr *t, struct call *c)
{
	int op = c->op, s = c->slot % NR_SLOTS, err;
	uint64_t arg;
	long ret;

	mark();
	c->slot = s;
	switch (op) {
	case OP_CLOSE:
		uninstall(s);
		note(op, 0, 0);
		return;
	case OP_DUP: {
		int fd = fcntl(fd_of(s), F_DUPFD_CLOEXEC, 0);
		int kind = g.slots[s].kind;

		note(op, fd, errno);
		if (fd >= 0)
			install(c->val % NR_SLOTS, fd, kind);
		return;
	}
	case OP_MMAP:
		do_mmap(t, c);
		return;
	case OP_MUNMAP:
		do_munmap(c);
		return;
	case OP_FORK:
		do_fork();
		return;
	case OP_RMMOD:
		do_rmmod();
		return;
	case OP_REMAP_POOL:
		do_remap_pool(t);
		return;
	}
	if (g.slots[s].kind == K_NONE && side(t, 10)) {
		refill(t, s, descs[op].kind);
		mark();
	}
	if (descs[op].arg == A_PTR)
		sanitize(op, c);
	arg = descs[op].arg == A_VAL ? c->val :
	      (uintptr_t)arg_ptr(t, c, arg_size(op, c));
	kcov_start(t);
	if (op == OP_RUN)
		ret = run_ioctl(t, fd_of(s), arg);
	else
		ret = ioctl(fd_of(s), op == OP_RANDOM_IOCTL ? c->nr :
			    descs[op].nr, arg);
	err = errno;
	kcov_collect(t);
	g.calls++;

	/* A random number that happens to be a real one is that ioctl. */
	if (op == OP_RANDOM_IOCTL) {
		int o;

		for (o = 0; o < OP_RANDOM_IOCTL; o++)
			if (descs[o].nr == c->nr)
				op = o;
	}
	check_ioctl(t, op, c, arg, ret, err);
}

static void corpus_add(const struct prog *p)
{
	pthread_mutex_lock(&g.corpus_lock);
	if (g.corpus_n < CORPUS_MAX)
		g.corpus[g.corpus_n++] = *p;
	else
		g.corpus[mix(g.corpus_n++) % CORPUS_MAX] = *p;
	pthread_mutex_unlock(&g.corpus_lock);
}

/* A new program: generated, or a mutation or splice of corpus ones. */
static void make_prog(struct thr *t, struct prog *p)
{
	int i, n;

	pthread_mutex_lock(&g.corpus_lock);
	n = g.corpus_n < CORPUS_MAX ? g.corpus_n : CORPUS_MAX;
	if (n && chance(t, 40)) {
		*p = g.corpus[below(t, n)];
		g.corpus_runs++;
		if (chance(t, 30)) {
			const struct prog *q = &g.corpus[below(t, n)];
			int cut = below(t, p->n + 1);

			for (i = 0; i < q->n && cut < PROG_LEN; i++)
				p->c[cut++] = q->c[i];
			p->n = cut;
		}
		pthread_mutex_unlock(&g.corpus_lock);
		if (!p->n)
			p->n = 1, gen_call(t, &p->c[0]);
		mutate_call(t, &p->c[below(t, p->n)]);
		if (chance(t, 20))
			gen_call(t, &p->c[below(t, p->n)]);
		return;
	}
	pthread_mutex_unlock(&g.corpus_lock);
	p->n = 1 + below(t, PROG_LEN);
	for (i = 0; i < p->n; i++)
		gen_call(t, &p->c[i]);
}

static void thr_setup(struct thr *t)
{
	t->tid = gettid();
	g.tids[t->idx] = t->tid;
	t->rng = mix(g.seed ^ mix(t->idx + 1)) | 1;
	t->side = mix(t->rng) | 1;
	t->guard = mmap(NULL, 2 * g.page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(t->guard + g.page, g.page, PROT_NONE);
	t->cpuid = (void *)(g.cpuid_area + t->idx * CPUID_BYTES);
	kcov_setup(t);
}

/* One program; it joins the corpus when it reached a new PC. */
static void fuzz_one(struct thr *t)
{
	uint64_t before = t->new_pcs;
	struct prog p;
	int i;

	make_prog(t, &p);
	for (i = 0; i < p.n; i++)
		exec_call(t, &p.c[i]);
	if (t->new_pcs != before)
		corpus_add(&p);
}

static void *fuzzer(void *arg)
{
	struct thr *t = arg;

	thr_setup(t);
	while (!g.stop && g.calls < g.target)
		fuzz_one(t);
	kcov_teardown(t);
	return NULL;
}

/* ---- runners: a VM with one vCPU running trivial code ---- */

#if defined(__aarch64__)
#define CODE_GPA	0x10000ULL
/* str x0, [x1]; b .-4: an MMIO write exit, for ever. */
static const uint32_t guest_code[] = { 0xf9000020, 0x17ffffff };
#define GOOD_EXIT	AXVM_EXIT_MMIO
#elif defined(__riscv)
#define CODE_GPA	0x80000000ULL
/* ecall; j .-4: an SBI call of an unknown extension, for ever. */
static const uint32_t guest_code[] = { 0x00000073, 0xffdff06f };
#define GOOD_EXIT	AXVM_EXIT_HYPERCALL
#else
/* Real mode at the reset CS (base 0xffff0000): out %al, $0x10; jmp .-4 */
#define CODE_GPA	0xffff0000ULL
static const uint8_t guest_code[] = { 0xe6, 0x10, 0xeb, 0xfc };
#define GOOD_EXIT	AXVM_EXIT_IO
#endif

struct runner {
	int vm, vcpu;
	int bad_exits;		/* in a row: the fuzzers broke the vCPU */
	struct axvm_run *run;
	uint8_t *code;
};

static void runner_regs(int vcpu)
{
	struct axvm_regs r;

	memset(&r, 0, sizeof(r));
#if defined(__aarch64__)
	r.gpr[1] = 0x9000000;		/* no RAM there */
	r.pstate = 0x3c5;
	r.pc = CODE_GPA;
#elif defined(__riscv)
	r.gpr[17] = 0x0a000000;		/* a7: no such extension */
	r.pc = CODE_GPA;
#else
	r.pstate = 0x2;
	r.pc = 0;
	axvm_set_sysreg(vcpu, AXVM_SYSREG_X86_SEG_SEL(1), 0xf000);
	axvm_set_sysreg(vcpu, AXVM_SYSREG_X86_SEG_BASE(1), CODE_GPA);
	axvm_set_sysreg(vcpu, AXVM_SYSREG_X86_SEG_LIMIT(1), 0xffff);
	axvm_set_sysreg(vcpu, AXVM_SYSREG_X86_SEG_ATTR(1), 0x9b);
	axvm_set_sysreg(vcpu, AXVM_SYSREG_X86_CR4, 0);
	axvm_set_sysreg(vcpu, AXVM_SYSREG_X86_CR0, 0x60000010);
	axvm_set_sysreg(vcpu, AXVM_SYSREG_X86_EFER, 0);
#endif
	ioctl(vcpu, AXVM_SET_REGS, &r);
}

/* Put the code region back wherever the fuzzers moved it. */
static void runner_reset(struct runner *r)
{
	axvm_set_region(r->vm, 0, 0, 0, 0, NULL);
	axvm_set_region(r->vm, 0, 0, CODE_GPA, g.page, r->code);
	runner_regs(r->vcpu);
}

static int runner_start(struct thr *t, struct runner *r)
{
	/* The signaller's signals may interrupt it (api.rst): try again. */
	do
		r->vm = ioctl(g.sentinel, AXVM_CREATE_VM, 0);
	while (r->vm < 0 && errno == EINTR);
	if (r->vm < 0)
		return -1;
	/* Its own id, so that the runners default to different CPUs. */
	r->vcpu = axvm_create_vcpu(r->vm, t->idx, axvm_arch_id(t->idx));
	if (r->vcpu < 0) {
		close(r->vm);
		return -1;
	}
	r->run = mmap(NULL, g.page, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->vcpu, 0);
	r->bad_exits = 0;
	runner_reset(r);
	install(side(t, NR_SLOTS), fcntl(r->vm, F_DUPFD_CLOEXEC, 0), K_VM);
	install(side(t, NR_SLOTS), fcntl(r->vcpu, F_DUPFD_CLOEXEC, 0),
		K_VCPU);
	return 0;
}

static void runner_stop(struct runner *r)
{
	if (r->run != MAP_FAILED)
		munmap(r->run, g.page);
	close(r->vcpu);
	close(r->vm);
}

/*
 * One RUN, checked: on EINTR the vCPU counted an AXVM_EXIT_INTR ("RUN
 * returns EINTR with exit_reason = AXVM_EXIT_INTR"; the counter, since
 * other threads may write the run page's exit_reason through other fds
 * of the same vCPU before this one reads it).
 */
static void runner_run(struct thr *t, struct runner *r)
{
	struct axvm_exit_stats before, after;
	bool check = chance(t, 12);
	struct call c = { .op = OP_RUN };
	long ret;
	int err;

	mark();
	if (check && ioctl(r->vcpu, AXVM_GET_EXIT_STATS, &before))
		fail("GET_EXIT_STATS: errno %d", errno);
	if (r->run != MAP_FAILED && !below(t, 64))
		r->run->immediate_exit = 1;
	kcov_start(t);
	ret = run_ioctl(t, r->vcpu, 0);
	err = errno;
	kcov_collect(t);
	g.calls++;
	if (r->run != MAP_FAILED)
		r->run->immediate_exit = 0;
	check_ioctl(t, OP_RUN, &c, 0, ret, err);
	if (check && ret < 0 && err == EINTR) {
		g.calls++;
		if (ioctl(r->vcpu, AXVM_GET_EXIT_STATS, &after))
			fail("GET_EXIT_STATS: errno %d", errno);
		else if (after.count[AXVM_EXIT_INTR] <=
			 before.count[AXVM_EXIT_INTR])
			fail("RUN returned EINTR without counting an AXVM_EXIT_INTR");
		g.intr_checked++;
	}
	if (!ret && r->run != MAP_FAILED) {
		g.run_exits++;
		if (r->run->exit_reason == GOOD_EXIT) {
			r->bad_exits = 0;
		} else {
			r->bad_exits++;
			runner_reset(r);
		}
	}
}

static void *runner(void *arg)
{
	struct thr *t = arg;
	struct runner r;

	thr_setup(t);
	memset(&r, 0, sizeof(r));
	r.code = mmap(NULL, g.page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(r.code, guest_code, sizeof(guest_code));
	if (runner_start(t, &r)) {
		fail("thread %d: no VM or vCPU: errno %d", t->idx, errno);
		return NULL;
	}
	while (!g.stop && g.calls < g.target) {
		/* Half the time a fuzzer: RUN is cheap, it would dominate. */
		if (below(t, 2)) {
			fuzz_one(t);
			continue;
		}
		runner_run(t, &r);
		/* The run page goes and comes back; RUN does not need it. */
		if (!below(t, 128) && r.run != MAP_FAILED) {
			munmap(r.run, g.page);
			r.run = MAP_FAILED;
		} else if (r.run == MAP_FAILED && !below(t, 4)) {
			r.run = mmap(NULL, g.page, PROT_READ | PROT_WRITE,
				     MAP_SHARED, r.vcpu, 0);
		}
		/* Now and then a new VM, the old one dies under the others. */
		if (!below(t, 4000) || r.bad_exits > 8) {
			runner_stop(&r);
			if (runner_start(t, &r)) {
				fail("thread %d: no VM or vCPU: errno %d",
				     t->idx, errno);
				break;
			}
		}
	}
	if (r.vm >= 0)
		runner_stop(&r);
	munmap(r.code, g.page);
	kcov_teardown(t);
	return NULL;
}

static void on_signal(int sig)
{
}

/* Signals to every worker: RUN and every wait in the module see them. */
static void *signaller(void *arg)
{
	uint64_t seen[NR_WORKERS] = { 0 }, step = g.target / 10 + 1;
	uint64_t next = step, t0 = axvm_clock_ns(CLOCK_MONOTONIC);
	struct thr *t = arg;
	int i;

	while (!g.stop) {
		/* Progress, for long runs in a lane's log. */
		if (g.calls >= next) {
			printf("# ioctl_fuzz: %llu calls, %.0f s\n",
			       (unsigned long long)g.calls,
			       (axvm_clock_ns(CLOCK_MONOTONIC) - t0) / 1e9);
			fflush(stdout);
			next += step;
		}
		struct timespec ts = { 0, 200000 + below(t, 500000) };
		pid_t tid = g.tids[below(t, NR_WORKERS)];

		nanosleep(&ts, NULL);
		/* Now and then anyone, whatever it is doing. */
		if (tid && !below(t, 16))
			syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
		/*
		 * A RUN that has lasted a tick: its guest may loop without
		 * an exit (a fuzzed vCPU), only a signal ends it.
		 */
		for (i = 0; i < NR_WORKERS; i++) {
			uint64_t seq = g.run_seq[i];

			if (g.in_run[i] && seq == seen[i] && g.tids[i])
				syscall(SYS_tgkill, getpid(), g.tids[i],
					SIGUSR1);
			seen[i] = seq;
		}
	}
	return NULL;
}

/* ---- setup and the end ---- */

static void kcov_probe(void)
{
	struct stat st;

	/* AXVM_FUZZ_KCOV=0: no coverage (to tell its effects apart). */
	if (!axvm_env_u64("AXVM_FUZZ_KCOV", 1))
		return;
	if (stat("/sys/kernel/debug/kcov", &st))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	g.kcov = !stat("/sys/kernel/debug/kcov", &st);
}

static void pools_setup(void)
{
	size_t n;
	int i;

	g.pool = mmap(NULL, POOL_PAGES * g.page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	g.ro_pool = mmap(NULL, 8 * g.page, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	g.none_pool = mmap(NULL, 4 * g.page, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g.hole = mmap(NULL, g.page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	munmap(g.hole, g.page);
	/* A write running past the last table meets PROT_NONE: EFAULT. */
	n = (CPUID_AREA + g.page - 1) / g.page;
	g.cpuid_area = mmap(NULL, (n + 1) * g.page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	mprotect(g.cpuid_area + n * g.page, g.page, PROT_NONE);
#if defined(__x86_64__)
	g.kernel_ptr = (void *)0xffffffff81000000ULL;
#else
	g.kernel_ptr = (void *)(uintptr_t)-(1ULL << 40);
#endif
	for (i = 0; i < NR_SLOTS; i++)
		pthread_mutex_init(&g.slots[i].lock, NULL);
	for (i = 0; i < NR_MAPS; i++)
		pthread_mutex_init(&g.maps[i].lock, NULL);
	pthread_mutex_init(&g.corpus_lock, NULL);
	pthread_mutex_init(&g.fail_lock, NULL);
}

static void close_everything(void)
{
	int i;

	for (i = 0; i < NR_SLOTS; i++)
		uninstall(i);
	for (i = 0; i < NR_MAPS; i++)
		if (g.maps[i].addr) {
			munmap(g.maps[i].addr, g.page);
			g.maps[i].addr = NULL;
		}
	close(g.sentinel);
}

/* Polls @read until it returns @want: the module frees asynchronously. */
static long wait_value(long (*read)(const char *), const char *arg,
		       long want)
{
	long v = read(arg);
	int i;

	for (i = 0; i < 6000 && v != want; i++) {
		usleep(10000);
		v = read(arg);
	}
	return v;
}

static long refcnt(const char *unused)
{
	return axvm_module_refcnt();
}

static void print_stats(void)
{
	int op, e;

	printf("# ioctl_fuzz: %-18s %8s %8s %6s  errnos\n", "call", "calls",
	       "ok", "us");
	for (op = 0; op < NR_OPS; op++) {
		struct op_stat *s = &g.stats[op];
		char line[256];
		int len = 0;

		if (!s->calls)
			continue;
		line[0] = '\0';
		for (e = 1; e < MAX_ERRNO; e++)
			if (s->errnos[e / 64] & 1ULL << (e % 64))
				len += snprintf(line + len, sizeof(line) - len,
						" %s", strerrorname_np(e) ?: "?");
		printf("# ioctl_fuzz: %-18s %8llu %8llu %6llu %s\n",
		       descs[op].name, (unsigned long long)s->calls,
		       (unsigned long long)s->ok,
		       (unsigned long long)(s->ns / s->calls / 1000), line);
	}
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* Slow lanes (TCG) need long for 10^6 calls; the limit only ends hangs. */
TEST_F_TIMEOUT(fuzz, ioctls, 3600)
{
	struct thr thr[NR_WORKERS + 1];
	pthread_t pt[NR_WORKERS + 1];
	struct sigaction sa;
	long ref0, v;
	uint64_t t0;
	int i;

	g.page = sysconf(_SC_PAGESIZE);
	g.target = axvm_env_u64("AXVM_FUZZ_CALLS", DEFAULT_CALLS);
	g.seed = axvm_env_u64("AXVM_FUZZ_SEED",
			      mix(axvm_clock_ns(CLOCK_REALTIME) ^ getpid()));
	printf("# ioctl_fuzz: seed=%#llx calls=%llu (AXVM_FUZZ_SEED=%#llx to repeat)\n",
	       (unsigned long long)g.seed, (unsigned long long)g.target,
	       (unsigned long long)g.seed);

	ref0 = axvm_module_refcnt();
	ASSERT_GE(ref0, 0) TH_LOG("no /sys/module/axvm/refcnt");
	ASSERT_EQ(0, axvm_param("stage2_pages"));

	g.sentinel = axvm_open();
	ASSERT_GE(g.sentinel, 0);
	g.phys_bits = axvm_cap(g.sentinel, AXVM_CAP_GUEST_PHYS_BITS);
	g.nr_irqs = axvm_cap(g.sentinel, AXVM_CAP_NR_IRQS);
	i = axvm_cap(g.sentinel, AXVM_CAP_IRQCHIP);
	host_gicv2 = i > 0 && (i & (1 << AXVM_IRQCHIP_GICV2)) &&
		     !(i & (1 << AXVM_IRQCHIP_GICV3));
	g.can_rmmod = true;
	ASSERT_GT(g.phys_bits, 12);
	pools_setup();
	kcov_probe();
	if (g.kcov) {
		g.pcs = calloc(1ULL << PC_BITS, sizeof(*g.pcs));
		ASSERT_NE(NULL, g.pcs);
	}
	g.corpus = calloc(CORPUS_MAX, sizeof(*g.corpus));
	ASSERT_NE(NULL, g.corpus);

	/* Some fds to start from. */
	for (i = 0; i < 4; i++)
		install(i, axvm_open(), K_SYS);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: RUN sees EINTR */
	sigaction(SIGUSR1, &sa, NULL);

	memset(thr, 0, sizeof(thr));
	t0 = axvm_clock_ns(CLOCK_MONOTONIC);
	for (i = 0; i <= NR_WORKERS; i++) {
		thr[i].idx = i;
		if (i == NR_WORKERS)
			thr[i].rng = mix(g.seed ^ 0x5151) | 1;
		ASSERT_EQ(0, pthread_create(&pt[i], NULL,
					    i < NR_RUNNERS ? runner :
					    i < NR_WORKERS ? fuzzer :
					    signaller, &thr[i]));
	}
	for (i = 0; i < NR_WORKERS; i++)
		pthread_join(pt[i], NULL);
	g.stop = 1;
	pthread_join(pt[NR_WORKERS], NULL);
	t0 = axvm_clock_ns(CLOCK_MONOTONIC) - t0;

	printf("# ioctl_fuzz: %llu calls in %.1f s (%.0f s per 10^6 calls)\n",
	       (unsigned long long)g.calls, t0 / 1e9,
	       t0 / 1e9 * 1e6 / (g.calls ? g.calls : 1));
	printf("# ioctl_fuzz: %llu forks, %llu rmmod tries, %llu RUN exits, %llu EINTR checks\n",
	       (unsigned long long)g.forks, (unsigned long long)g.rmmods,
	       (unsigned long long)g.run_exits,
	       (unsigned long long)g.intr_checked);
	print_stats();
	if (g.kcov)
		printf("# ioctl_fuzz: KCOV: %llu PCs of axvm.ko, corpus %d, %llu runs of it\n",
		       (unsigned long long)g.nr_pcs,
		       g.corpus_n < CORPUS_MAX ? g.corpus_n : CORPUS_MAX,
		       (unsigned long long)g.corpus_runs);
	if (g.kcov)
		printf("# ioctl_fuzz: (a simple coverage-guided random loop, not syzkaller)\n");
	else
		printf("# ioctl_fuzz: no KCOV (/sys/kernel/debug/kcov): a plain random loop\n");

	for (i = 0; i < g.nr_fails && i < MAX_FAILS; i++)
		printf("# ioctl_fuzz: FAIL: %s\n", g.fails[i].msg);
	EXPECT_EQ(0, g.nr_fails) TH_LOG("seed %#llx",
					(unsigned long long)g.seed);

	/* Everything closed: the module is back where it was. */
	close_everything();
	v = wait_value(refcnt, NULL, ref0);
	EXPECT_EQ(ref0, v) TH_LOG("module refcount");
	v = wait_value(axvm_param, "stage2_pages", 0);
	EXPECT_EQ(0, v) TH_LOG("stage2_pages");
	v = wait_value(axvm_param, "stage2_blocks", 0);
	EXPECT_EQ(0, v) TH_LOG("stage2_blocks");

	if (!getenv("AXVM_MODULE"))
		SKIP(return, "AXVM_MODULE not set: not unloading the module");
	/* "rmmod fails while any is open": none is, so it must work. */
	EXPECT_EQ(0, axvm_unload_module("axvm"));
	ASSERT_EQ(0, axvm_load_module(getenv("AXVM_MODULE"), ""));
	EXPECT_EQ(0, axvm_param("stage2_pages"));
}

TEST_HARNESS_MAIN
