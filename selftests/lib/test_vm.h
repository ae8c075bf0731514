/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host side of the selftest library: VMs that run guest code written in C.
 *
 * Like the KVM selftests, the guest runs this very binary: test_vm_create()
 * copies the loaded image into guest memory at guest physical addresses
 * equal to its host virtual addresses, and the guest's stage-1 tables map
 * them 1:1. Guest functions, globals and string literals thus have the
 * same addresses on both sides. See guest.h for what guest code may do.
 *
 * Guest physical layout (arm64):
 *   the image                    where the binary is loaded (GPA == VA)
 *   [0x08000000, 0x40000000)     device memory, for MMIO tests
 *   [0x40000000, +4 MiB)         scratch RAM: page tables, vCPU stacks
 *   everything else below 512 GiB   normal memory, for test_vm_add_region()
 *
 * riscv64 (Sv39, satp mode 8): the same addresses, but all of
 * [0, 256 GiB) is mapped RWX with 1 GiB pages, the root table at
 * 0x40000000; Sv39 has no memory types, so the MMIO window is simply
 * where no memory slot is. Addresses from 256 GiB up are not mapped.
 * The vCPU starts in S-mode with sstatus.FS Initial and interrupts off,
 * stvec at guest_vectors, gp as the host's, ra guest_return; ucalls are
 * SBI calls to the extension UCALL_EID (guest.h).
 *
 * x86_64 (4-level paging): the same addresses; PML4 entry 0 points at a
 * PDPT of 1 GiB pages mapping [0, 512 GiB) 1:1, write-back, supervisor,
 * the MMIO window included (nested paging decides what is memory).
 * The first 64 KiB of scratch RAM, below the vCPU stacks, hold the PML4
 * (+0), the PDPT (+0x1000), the IDT (+0x2000), the GDT (+0x3000) and from
 * +0x4000 0x200 bytes per vCPU id: its TSS, then its IST1 stack. The vCPU
 * starts in 64-bit mode at CPL 0 (CR0 0x80010033, CR4 0x620, EFER 0xd00,
 * CS 0x08, the data segments 0x10, TR 0x18 its own TSS, LDTR unusable),
 * RFLAGS 0x2, RSP stack_top - 8 holding the return address
 * guest_return as a call leaves it; ucalls are vmmcall with rax =
 * UCALL_X86_NR (guest.h).
 *
 * Functions returning a pointer give NULL, the others -errno, on failure;
 * errno is set either way.
 */
#ifndef AXVM_SELFTEST_TEST_VM_H
#define AXVM_SELFTEST_TEST_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/axvm.h>

#include "guest.h"

#define TEST_MAX_VCPUS		16
#define TEST_MAX_REGIONS	16

/* Memory slots the library uses itself; tests use the others. */
#define TEST_SLOT_IMAGE		0
#define TEST_SLOT_SCRATCH	1

#define TEST_SCRATCH_GPA	0x40000000ULL
#define TEST_SCRATCH_SIZE	(4ULL << 20)
#define TEST_STACK_SIZE		(64ULL << 10)
#define TEST_MMIO_BASE		0x08000000ULL	/* device memory from here */
#define TEST_MMIO_END		0x40000000ULL

/* arch_id argument of test_vcpu_add(): axvm_arch_id(id). */
#define TEST_ARCH_ID_DEFAULT	(~0ULL)

struct test_region {
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

struct test_vcpu {
	struct test_vm *vm;
	uint32_t id;
	uint64_t arch_id;
	int fd;
	struct axvm_run *run;
	uint64_t stack_top;	/* guest address */
};

struct test_vm {
	int sys_fd;
	int fd;
	size_t run_size;
	struct test_region regions[TEST_MAX_REGIONS];
	int nr_regions;
	struct test_vcpu *vcpus[TEST_MAX_VCPUS];
	void *scratch;		/* host address of TEST_SCRATCH_GPA */
	uint32_t vcpu_flags;	/* AXVM_VCPU_* of the vCPUs added from now */
};

/* A VM with the image and scratch RAM in place, no vCPU yet. */
struct test_vm *test_vm_create(void);
/*
 * Whether this lane enters guests (AXVM_CAP_RUN) and the guest library
 * exists for its arch; false also where /dev/axvm cannot be opened.
 */
bool test_can_run_guests(void);
void test_vm_free(struct test_vm *vm);

/* Anonymous memory at @gpa, registered in @slot; its host address. */
void *test_vm_add_region(struct test_vm *vm, uint32_t slot, uint32_t flags,
			 uint64_t gpa, uint64_t size);

/* Host address of guest physical @gpa, NULL if no region holds it. */
void *test_gpa2hva(struct test_vm *vm, uint64_t gpa);

/* Copy a global of the binary between the host and the guest image. */
void test_sync_global(struct test_vm *vm, void *global, size_t size,
		      int to_guest);
#define sync_global_to_guest(vm, g)	test_sync_global(vm, &(g), sizeof(g), 1)
#define sync_global_from_guest(vm, g)	test_sync_global(vm, &(g), sizeof(g), 0)

/*
 * Make hypercalls [@base, @base + @nr) exits to userspace where the kernel
 * would answer them (arm64: AXVM_SET_HYPERCALL_FILTER, before the first
 * vCPU; the ucall's own id is set by test_vm_create()). Elsewhere they
 * already are: 0. Returns 0 or -errno.
 */
int test_vm_user_hypercalls(struct test_vm *vm, uint32_t base, uint32_t nr);

/* Set guest_irq_handler / guest_sync_handler in the guest's image. */
void test_vm_set_irq_handler(struct test_vm *vm, guest_handler_t fn);
void test_vm_set_sync_handler(struct test_vm *vm, guest_handler_t fn);

/*
 * A vCPU that starts at @guest_fn with up to 8 u64 arguments (pass them
 * as uint64_t: they are read with va_arg(ap, uint64_t)) on its own stack;
 * on x86_64 up to 6, the psABI's register arguments, and more is EINVAL.
 * A guest function that returns reports UCALL_DONE. @arch_id may be
 * TEST_ARCH_ID_DEFAULT; @affinity NULL is the module's default, else
 * AXVM_AFFINITY_WORDS words.
 */
struct test_vcpu *test_vcpu_add(struct test_vm *vm, uint32_t id,
				uint64_t arch_id, const uint64_t *affinity,
				void *guest_fn, int nargs, ...);
#define test_vcpu_add_default(vm, id, fn, nargs, ...)			\
	test_vcpu_add(vm, id, TEST_ARCH_ID_DEFAULT, NULL, fn, nargs,	\
		      ##__VA_ARGS__)

/*
 * Point @vcpu at @guest_fn afresh: arguments, stack, PSTATE (sstatus on
 * riscv64, RFLAGS on x86_64), return.
 */
int test_vcpu_set_entry(struct test_vcpu *vcpu, void *guest_fn, int nargs,
			...);

/* One AXVM_RUN: 0 or -errno. */
int test_vcpu_run(struct test_vcpu *vcpu);

/* One AXVM_RUN: the exit reason, or -errno. */
int test_vcpu_run_exit(struct test_vcpu *vcpu);

/*
 * RUN while the guest makes hypercall @nr, calling @between (may be NULL)
 * with the count after each; returns how many it made (the last exit is
 * something else: check it), or -errno.
 */
int test_vcpu_run_hypercalls(struct test_vcpu *vcpu, uint64_t nr,
			     void (*between)(int count));

/* AXVM_SET_SYSREG of each of @n registers in turn: 0 or the first -errno. */
struct test_sysreg {
	uint64_t id;
	uint64_t value;
};

int test_vcpu_set_sysregs(struct test_vcpu *vcpu,
			  const struct test_sysreg *regs, unsigned int n);

/*
 * For the arch parts: 0 when the image lies outside the MMIO window and
 * scratch RAM and below @map_end, what the identity map covers; else
 * -ERANGE (errno set).
 */
int test_image_placed(uint64_t image_start, uint64_t image_end,
		      uint64_t map_end);

/* Pin the calling thread to @cpu; @mask: the AXVM affinity of @cpu. */
void test_pin_self(int cpu);
void test_affinity_of(uint64_t *mask, int cpu);

/*
 * A host thread on CPU 0, beside a vCPU there, that puts seed, seed + 1,
 * ... in FP/vector registers and reads them back with @roundtrip,
 * yielding in between: any value that comes back changed is counted.
 */
struct test_host_fp {
	uint64_t (*roundtrip)(uint64_t seed);
	uint64_t seed;
	volatile int stop;
	volatile uint64_t bad;
	pthread_t thread;
};

int test_host_fp_start(struct test_host_fp *h);
/* Stop and join the thread: how many round trips came back changed. */
uint64_t test_host_fp_stop(struct test_host_fp *h);

/*
 * The ucall the last exit carries, copied to @uc (may be NULL): its
 * command, or 0 (UCALL_NONE) when the exit is not a ucall.
 */
uint64_t test_get_ucall(struct test_vcpu *vcpu, struct ucall *uc);

/* RUN, then test_get_ucall(): a UCALL_* command, 0, or -errno. */
int test_vcpu_run_ucall(struct test_vcpu *vcpu, struct ucall *uc);

/*
 * A line saying what the vCPU last did: "guest assert: <expr> at
 * file:line (values a, b)" for a guest assert, the ucall or exit
 * otherwise. Returns @buf.
 */
const char *test_vcpu_describe(struct test_vcpu *vcpu, const struct ucall *uc,
			       char *buf, size_t size);

/*
 * For kselftest_harness.h tests: run @vcpu and assert that it makes the
 * ucall @cmd; on anything else log what the guest did instead.
 */
#define TEST_RUN_UCALL(vcpu, uc, cmd)					\
do {									\
	struct test_vcpu *__v = (vcpu);					\
	struct ucall *__uc = (uc);					\
	char __desc[512];						\
	int __cmd = test_vcpu_run_ucall(__v, __uc);			\
									\
	ASSERT_EQ((int)(cmd), __cmd)					\
		TH_LOG("%s", test_vcpu_describe(__v, __uc, __desc,	\
						sizeof(__desc)));	\
} while (0)

#ifdef __aarch64__
/*
 * aarch64_known_regs.S, for tests of the world switch. Guest code: set
 * SP_EL0 = @base + 31 and x1-x29 = @base + n, exit by @kind (0: x30 =
 * @base + 30, x0 = 0xa5e0, HVC; 1: the same with x0 = PSCI_VERSION; 2:
 * x0 = @base, x30 = 0x10000100, STR x29 to it; 3: x30 = 0x10000108, LDR
 * x0 from it; 4: x0 = @base, x30 = @spin counted down to 0), then store
 * x0-x30 and SP_EL0 to @out[0..31].
 */
void guest_exit_with_known_regs(uint64_t base, uint64_t kind, uint64_t *out,
				uint64_t spin);
/*
 * Host code: ioctl(@fd, @req, 0) by SVC with x3-x7 and x9-x30 = @base +
 * n and TPIDR_EL0 = @base + 32; x0-x30 and TPIDR_EL0 after it go to
 * @out[0..31]. Returns the syscall's result (-errno on failure).
 */
long host_run_known_regs(int fd, unsigned long req, uint64_t base,
			 uint64_t *out);
#endif

/*
 * Arch hooks, in aarch64.c, riscv64.c and x86_64.c; on arches without a
 * guest side the fallback in aarch64.c fails with -EOPNOTSUPP.
 */
int test_arch_vm_init(struct test_vm *vm, uint64_t image_start,
		      uint64_t image_end);
int test_arch_vcpu_init(struct test_vcpu *vcpu);
int test_arch_vcpu_entry(struct test_vcpu *vcpu, void *guest_fn, int nargs,
			 const uint64_t *args);

#endif /* AXVM_SELFTEST_TEST_VM_H */
