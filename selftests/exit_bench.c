// SPDX-License-Identifier: GPL-2.0
/*
 * Exit costs, printed, never asserted: a hypercall the kernel answers
 * itself (PSCI_VERSION; on riscv64 the SBI spec version; on x86_64 a
 * CPUID, the exit x86 answers in the kernel) and an MMIO write that goes
 * to userspace and back. Guest figures are counter ticks per round trip
 * (x86_64: TSC ticks, the rate measured against CLOCK_MONOTONIC around
 * the run), host figures nanoseconds per round trip seen around
 * AXVM_RUN. On VMX the hypercall to userspace is Intel's VMCALL.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <time.h>

#include "axvm_util.h"
#include "test_vm.h"

#define ROUNDS		20000
#define MMIO		0x10000000ULL
#define PSCI_VERSION_FN	0x84000000ULL
#define SBI_EXT_BASE	0x10	/* function 0: sbi_get_spec_version */

#define USER_CALL_NR	0x0a000fffULL	/* no call the kernel knows */

#ifdef __riscv
#define KERNEL_CALL		"SBI get_spec_version"
#define guest_counter()		csr_read(time)
#define guest_kernel_call()	sbi_ecall(SBI_EXT_BASE, 0, 0, 0, 0, 0, 0, 0)
#define guest_user_call()	sbi_ecall(USER_CALL_NR, 0, 0, 0, 0, 0, 0, 0)
#elif defined(__x86_64__)
#define KERNEL_CALL		"CPUID"
#define guest_counter()		rdtsc()
#define guest_kernel_call()						\
do {									\
	uint32_t __a, __b, __c, __d;					\
									\
	cpuid(0, 0, &__a, &__b, &__c, &__d);				\
} while (0)
#define guest_user_call()						\
	(vmcall ? guest_vmcall(USER_CALL_NR, 0, 0, 0, 0) :		\
		  guest_vmmcall(USER_CALL_NR, 0, 0, 0, 0))
#define HAVE_PORT_IO		1
#include <x86intrin.h>
#else
#define KERNEL_CALL		"PSCI_VERSION"
#define guest_counter()		read_sysreg(cntvct_el0)
#define guest_kernel_call()	guest_hvc(PSCI_VERSION_FN, 0, 0, 0, 0, 0)
#define guest_user_call()	guest_hvc(USER_CALL_NR, 0, 0, 0, 0, 0)
#endif

GUEST_CODE static void guest_bench(uint64_t n, uint64_t vmcall)
{
	uint64_t t0, t1, i;

	t0 = guest_counter();
	for (i = 0; i < n; i++)
		guest_kernel_call();
	t1 = guest_counter();
	GUEST_SYNC(t1 - t0);

	t0 = guest_counter();
	for (i = 0; i < n; i++)
		writel(i, (volatile void *)MMIO);
	t1 = guest_counter();
	GUEST_SYNC(t1 - t0);

	t0 = guest_counter();
	for (i = 0; i < n; i++)
		guest_user_call();
	t1 = guest_counter();
	GUEST_SYNC(t1 - t0);
#ifdef HAVE_PORT_IO
	t0 = guest_counter();
	for (i = 0; i < n; i++)
		outl(i, 0x80);
	t1 = guest_counter();
	GUEST_SYNC(t1 - t0);
#endif
}

static double now_ns(void)
{
	return axvm_clock_ns(CLOCK_MONOTONIC);
}

/* @rounds exits of @reason to userspace, then the guest's SYNC: ns each. */
static double user_exits(struct test_vcpu *v, uint32_t reason,
			 uint64_t *ticks)
{
	struct ucall uc;
	double t0 = now_ns();
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if (test_vcpu_run(v) || v->run->exit_reason != reason)
			return -1;
	}
	if (test_vcpu_run_ucall(v, &uc) != UCALL_SYNC)
		return -1;
	*ticks = uc.args[0];
	return (now_ns() - t0) / (ROUNDS + 1);
}

static void report(const char *what, uint64_t freq, uint64_t ticks,
		   double ns)
{
	printf("bench: %s: %.1f ticks, %.0f ns guest; %.0f ns host\n", what,
	       (double)ticks / ROUNDS, freq ? ticks * 1e9 / freq / ROUNDS : 0,
	       ns);
}

#ifdef __riscv
/* The time CSR's rate, from the device tree the host booted with. */
static uint64_t timebase_frequency(void)
{
	FILE *f = fopen("/proc/device-tree/cpus/timebase-frequency", "rb");
	unsigned char be[4];
	uint64_t freq = 0;

	if (f) {
		if (fread(be, 1, 4, f) == 4)
			freq = (uint64_t)be[0] << 24 | be[1] << 16 |
			       be[2] << 8 | be[3];
		fclose(f);
	}
	return freq;
}
#endif

int main(void)
{
	struct test_vcpu *v;
	struct test_vm *vm;
	struct ucall uc;
	double t0, hc_ns, mmio_ns, user_ns;
	uint64_t freq = 0, hc_ticks, mmio_ticks, user_ticks, vmcall;
#ifdef HAVE_PORT_IO
	uint64_t io_ticks;
	double io_ns;
#endif
#ifdef __x86_64__
	uint64_t tsc0 = __rdtsc();
	double tsc_ns = now_ns();
#endif
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	vm = test_vm_create();
	if (!vm) {
		printf("bench: exit_bench: no guest on this lane (%s)\n",
		       strerror(errno));
		return 0;
	}
	/* arm64 would answer it in the kernel: ask for it. */
	if (test_vm_user_hypercalls(vm, USER_CALL_NR, 1)) {
		printf("bench: exit_bench: AXVM_SET_HYPERCALL_FILTER failed\n");
		return 1;
	}
	vmcall = axvm_cap(vm->sys_fd, AXVM_CAP_ARCH) == AXVM_ARCH_X86_VMX;
	v = test_vcpu_add_default(vm, 0, guest_bench, 2, (uint64_t)ROUNDS,
				  vmcall);
	if (!v)
		return 1;
#ifdef __aarch64__
	asm volatile("mrs %0, cntfrq_el0" : "=r" (freq));
#elif defined(__riscv)
	freq = timebase_frequency();
#endif

	t0 = now_ns();
	if (test_vcpu_run_ucall(v, &uc) != UCALL_SYNC)
		return 1;
	hc_ns = (now_ns() - t0) / ROUNDS;
	hc_ticks = uc.args[0];

	mmio_ns = user_exits(v, AXVM_EXIT_MMIO, &mmio_ticks);
	user_ns = user_exits(v, AXVM_EXIT_HYPERCALL, &user_ticks);
#ifdef HAVE_PORT_IO
	io_ns = user_exits(v, AXVM_EXIT_IO, &io_ticks);
#endif
	if (mmio_ns < 0 || user_ns < 0)
		return 1;
#ifdef __x86_64__
	/* The guest's TSC is the host's, unscaled and unoffset. */
	freq = (__rdtsc() - tsc0) * 1e9 / (now_ns() - tsc_ns);
#endif

	printf("bench: counter %llu Hz, %d round trips each\n",
	       (unsigned long long)freq, ROUNDS);
	report("in-kernel exit (" KERNEL_CALL ")", freq, hc_ticks, hc_ns);
	report("MMIO exit to user", freq, mmio_ticks, mmio_ns);
	report(vmcall ? "hypercall (VMCALL) exit to user" :
			"hypercall exit to user", freq, user_ticks, user_ns);
#ifdef HAVE_PORT_IO
	if (io_ns >= 0)
		report("port I/O exit to user", freq, io_ticks, io_ns);
#endif
	test_vm_free(vm);
	return 0;
}
