// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory costs, printed, never asserted:
 *  - a guest touching every 4 KiB page of a 256 MiB region once, backed
 *    by 4 KiB host pages and by transparent huge pages: stage-2 faults
 *    and the time of the run (the host memory is populated first, so the
 *    figure is the stage-2 side of it);
 *  - memory bandwidth: the same read-and-write loop over 64 MiB run by a
 *    guest and by this process, MB/s each and the ratio.
 * Bochs (x86-vmx) runs nested guests about 100 times slower: there the
 * sizes are an eighth, and the output says so.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>

#include "axvm_util.h"
#include "test_vm.h"

#define MB		(1ULL << 20)
#define PAGE		4096ULL
#define REGION_GPA	0x200000000ULL		/* 8 GiB, 2 MiB aligned */
#define REGION_SLOT	20
#define BW_PASSES	4

GUEST_CODE static void guest_touch(uint64_t base, uint64_t size)
{
	uint64_t a;

	for (a = 0; a < size; a += PAGE)
		*(volatile uint64_t *)(base + a) += 1;
}

/* One pass reads every word and writes it back plus one: read + write. */
GUEST_CODE static uint64_t bw_loop(uint64_t *p, uint64_t words,
				   uint64_t passes)
{
	uint64_t i, n, sum = 0;

	for (n = 0; n < passes; n++)
		for (i = 0; i < words; i++) {
			sum += p[i];
			p[i] = i + n;
		}
	return sum;
}

GUEST_CODE static void guest_bw(uint64_t base, uint64_t words)
{
	/* A first pass maps the memory: only the others are timed. */
	bw_loop((uint64_t *)base, words, 1);
	GUEST_SYNC(0);
	GUEST_SYNC(bw_loop((uint64_t *)base, words, BW_PASSES));
}

static double now_ns(void)
{
	return axvm_clock_ns(CLOCK_MONOTONIC);
}

/* 2 MiB-aligned anonymous memory, populated, THP or not. */
static void *alloc_backing(uint64_t size, bool huge, void **map)
{
	char *p = mmap(NULL, size + 2 * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return NULL;
	*map = p;
	a = (char *)(((uintptr_t)p + 2 * MB - 1) & ~(2 * MB - 1));
	madvise(a, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	memset(a, 1, size);
	return a;
}

static int touch_bench(uint64_t size, bool huge)
{
	struct test_vcpu *v;
	struct test_vm *vm;
	struct ucall uc;
	long long f0, faults;
	void *map, *mem;
	long blocks;
	double t0, t1;

	mem = alloc_backing(size, huge, &map);
	vm = test_vm_create();
	if (!mem || !vm)
		return -1;
	if (axvm_set_region(vm->fd, REGION_SLOT, 0, REGION_GPA, size, mem))
		return -1;
	v = test_vcpu_add_default(vm, 0, guest_touch, 2, REGION_GPA, size);
	if (!v)
		return -1;
	f0 = axvm_exit_count(v->fd, AXVM_EXIT_STAGE2_FAULT);
	t0 = now_ns();
	if (test_vcpu_run_ucall(v, &uc) != UCALL_DONE)
		return -1;
	t1 = now_ns();
	blocks = axvm_param("stage2_blocks");
	faults = axvm_exit_count(v->fd, AXVM_EXIT_STAGE2_FAULT) - f0;
	printf("bench: guest touches %llu MiB, %s backing: ",
	       (unsigned long long)(size / MB), huge ? "2 MiB (THP)" : "4 KiB");
	printf("%lld stage-2 faults, %.1f ms, %.2f us a fault, %ld 2 MiB blocks\n",
	       faults, (t1 - t0) / 1e6, (t1 - t0) / 1e3 / (faults ?: 1),
	       blocks);
	test_vm_free(vm);
	munmap(map, size + 2 * MB);
	return 0;
}

static int bw_bench(uint64_t size)
{
	uint64_t words = size / 8;
	struct test_vcpu *v;
	struct test_vm *vm;
	struct ucall uc;
	void *map, *mem;
	double t0, guest_ns, host_ns, mb;
	volatile uint64_t sink;

	mem = alloc_backing(size, true, &map);
	vm = test_vm_create();
	if (!mem || !vm)
		return -1;
	if (axvm_set_region(vm->fd, REGION_SLOT, 0, REGION_GPA, size, mem))
		return -1;
	v = test_vcpu_add_default(vm, 0, guest_bw, 2, REGION_GPA, words);
	if (!v || test_vcpu_run_ucall(v, &uc) != UCALL_SYNC)
		return -1;
	t0 = now_ns();
	if (test_vcpu_run_ucall(v, &uc) != UCALL_SYNC)
		return -1;
	guest_ns = now_ns() - t0;
	test_vm_free(vm);

	/* The same loop here, on the same memory, mapped the same way. */
	sink = bw_loop(mem, words, 1);
	t0 = now_ns();
	sink = bw_loop(mem, words, BW_PASSES);
	host_ns = now_ns() - t0;
	(void)sink;
	mb = 2.0 * size * BW_PASSES / MB;	/* read + write */
	printf("bench: memory bandwidth, %llu MiB x %d passes read+write: ",
	       (unsigned long long)(size / MB), BW_PASSES);
	printf("guest %.0f MB/s, this process %.0f MB/s, guest/host %.3f\n",
	       mb / (guest_ns / 1e9), mb / (host_ns / 1e9), host_ns / guest_ns);
	munmap(map, size + 2 * MB);
	return 0;
}

int main(void)
{
	uint64_t touch = 256 * MB, bw = 64 * MB;
	cpu_set_t set;
	int sys = axvm_open();

	if (sys < 0 || axvm_cap(sys, AXVM_CAP_RUN) <= 0) {
		printf("bench: mem_bench: no guest on this lane\n");
		return 0;
	}
	if (axvm_cap(sys, AXVM_CAP_ARCH) == AXVM_ARCH_X86_VMX) {
		touch /= 8;
		bw /= 8;
		printf("bench: mem_bench: Bochs, sizes an eighth\n");
	}
	close(sys);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (touch_bench(touch, false) || touch_bench(touch, true) ||
	    bw_bench(bw)) {
		printf("bench: mem_bench: failed (%s)\n", strerror(errno));
		return 1;
	}
	return 0;
}
