// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest library, riscv64 part: the guest's Sv39 identity map, its
 * VS-level CSRs and entry state, and the guest's trap dispatcher (the
 * entry code is in riscv64_vectors.S).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "test_vm.h"

#if defined(__riscv) && __riscv_xlen == 64

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

/* What guest_resume_entry calls; guest data, set by the guest. */
void (*guest_resume_fn)(uint64_t hartid, uint64_t opaque);

#define CSR_SSTATUS		0x100
#define CSR_SIE			0x104
#define CSR_STVEC		0x105
#define CSR_SSCRATCH		0x140
#define CSR_SATP		0x180

/* FS Initial: compiler-generated FP code works; SIE clear. */
#define SSTATUS_FS_INITIAL	(1ULL << 13)
#define SSTATUS_VALUE		SSTATUS_FS_INITIAL

#define SATP_MODE_SV39		(8ULL << 60)
#define STVEC_DIRECT		0ULL

/* Sv39 leaf PTE: valid, RWX, accessed and dirty set (no A/D faults). */
#define PTE_V			(1ULL << 0)
#define PTE_R			(1ULL << 1)
#define PTE_W			(1ULL << 2)
#define PTE_X			(1ULL << 3)
#define PTE_A			(1ULL << 6)
#define PTE_D			(1ULL << 7)
#define PTE_PPN_SHIFT		10
#define PTE_LEAF		(PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

#define PAGE_SHIFT		12
#define PT_ENTRIES		512
#define GIGAPAGE		(1ULL << 30)
/*
 * VA bits 63..39 must copy bit 38: the identity map can only hold
 * [0, 256 GiB), the lower half of the root table.
 */
#define VA_BITS			39
#define IDMAP_END		(1ULL << (VA_BITS - 1))
#define IDMAP_ENTRIES		(IDMAP_END / GIGAPAGE)

/* Where a guest function returns to: its vCPU reports UCALL_DONE. */
GUEST_CODE static void guest_return(void)
{
	GUEST_DONE();
}

/* Called by the vectors with the saved frame; may change regs->pc. */
GUEST_CODE void guest_exception(struct ex_regs *regs)
{
	guest_handler_t fn;

	if (regs->cause & SCAUSE_IRQ)
		fn = guest_irq_handler;
	else
		fn = guest_sync_handler;
	if (fn) {
		fn(regs);
		return;
	}
	guest_ucall_final(UCALL_ASSERT, "unexpected exception", __FILE__,
			  __LINE__, 4, regs->cause, regs->pc, regs->tval, 0);
}

/*
 * The Sv39 root table, at the start of scratch RAM: entries 0-255 are
 * RWX gigapages mapping [0, 256 GiB) 1:1, the MMIO window included (Sv39
 * has no memory types: stage 2 decides what is memory and what is not);
 * entries 256-511, the upper half of the VA space, are invalid.
 */
int test_arch_vm_init(struct test_vm *vm, uint64_t image_start,
		      uint64_t image_end)
{
	uint64_t *root = vm->scratch;
	uint64_t pa;
	int i;

	/* The image must be RAM outside MMIO and scratch, and mapped. */
	if (test_image_placed(image_start, image_end, IDMAP_END))
		return -ERANGE;

	for (i = 0; i < PT_ENTRIES; i++) {
		pa = (uint64_t)i * GIGAPAGE;
		root[i] = i < IDMAP_ENTRIES ?
			  (pa >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_LEAF : 0;
	}
	return 0;
}

#define CSR(n)			AXVM_SYSREG_RISCV_CSR(n)

int test_arch_vcpu_init(struct test_vcpu *vcpu)
{
	const struct test_sysreg csrs[] = {
		{ CSR(CSR_SATP),
		  SATP_MODE_SV39 | TEST_SCRATCH_GPA >> PAGE_SHIFT },
		{ CSR(CSR_STVEC), (uintptr_t)guest_vectors | STVEC_DIRECT },
		{ CSR(CSR_SSCRATCH), 0 },
		{ CSR(CSR_SIE), 0 },
	};

	return test_vcpu_set_sysregs(vcpu, csrs, ARRAY_SIZE(csrs));
}

/*
 * S-mode at @guest_fn: ra = guest_return, sp = the vCPU's stack, gp the
 * host's own (the linker relaxes global accesses to gp-relative ones),
 * tp 0, a0-a7 the arguments; sstatus reset as a PSTATE is on arm64.
 */
int test_arch_vcpu_entry(struct test_vcpu *vcpu, void *guest_fn, int nargs,
			 const uint64_t *args)
{
	const struct test_sysreg sstatus = { CSR(CSR_SSTATUS), SSTATUS_VALUE };
	struct axvm_regs regs;
	uint64_t gp;
	int i, ret;

	ret = test_vcpu_set_sysregs(vcpu, &sstatus, 1);
	if (ret)
		return ret;

	asm("mv %0, gp" : "=r" (gp));
	memset(&regs, 0, sizeof(regs));
	regs.gpr[1] = (uintptr_t)guest_return;
	regs.gpr[2] = vcpu->stack_top;
	regs.gpr[3] = gp;
	for (i = 0; i < nargs; i++)
		regs.gpr[10 + i] = args[i];
	regs.pc = (uintptr_t)guest_fn;
	regs.pstate = 0;
	return ioctl(vcpu->fd, AXVM_SET_REGS, &regs) ? -errno : 0;
}

#endif /* riscv64 */
