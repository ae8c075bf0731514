// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest library, arm64 part: the guest's stage-1 identity map, its
 * EL1 system registers and entry state, and the guest's exception
 * dispatcher (the vectors are in aarch64_vectors.S). Also the arch hooks
 * of the arches without a guest library, which fail with EOPNOTSUPP.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "test_vm.h"

#ifdef __aarch64__

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

#define SYSREG_SCTLR_EL1	AXVM_SYSREG_ARM64(3, 0, 1, 0, 0)
#define SYSREG_CPACR_EL1	AXVM_SYSREG_ARM64(3, 0, 1, 0, 2)
#define SYSREG_TTBR0_EL1	AXVM_SYSREG_ARM64(3, 0, 2, 0, 0)
#define SYSREG_TCR_EL1		AXVM_SYSREG_ARM64(3, 0, 2, 0, 2)
#define SYSREG_MAIR_EL1		AXVM_SYSREG_ARM64(3, 0, 10, 2, 0)
#define SYSREG_VBAR_EL1		AXVM_SYSREG_ARM64(3, 0, 12, 0, 0)

/* MAIR_EL1: attr0 Normal write-back, attr1 Device-nGnRE. */
#define MT_NORMAL		0
#define MT_DEVICE		1
#define MAIR_VALUE		((0xffULL << (8 * MT_NORMAL)) |	\
				 (0x04ULL << (8 * MT_DEVICE)))

/* TCR_EL1: TTBR0 only, 4 KiB granule, 39-bit VA, 40-bit PA, WB walks. */
#define TCR_T0SZ		25ULL
#define TCR_IRGN0_WBWA		(1ULL << 8)
#define TCR_ORGN0_WBWA		(1ULL << 10)
#define TCR_SH0_INNER		(3ULL << 12)
#define TCR_EPD1		(1ULL << 23)
#define TCR_IPS_40BIT		(2ULL << 32)
#define TCR_VALUE		(TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | \
				 TCR_SH0_INNER | TCR_EPD1 | TCR_IPS_40BIT)
#define VA_BITS			(64 - TCR_T0SZ)

/* SCTLR_EL1: the v8.0 RES1 bits, MMU, caches, SP alignment check. */
#define SCTLR_RES1		((1ULL << 11) | (1ULL << 20) | (1ULL << 22) | \
				 (1ULL << 23) | (1ULL << 28) | (1ULL << 29))
#define SCTLR_M			(1ULL << 0)
#define SCTLR_C			(1ULL << 2)
#define SCTLR_SA		(1ULL << 3)
#define SCTLR_I			(1ULL << 12)
#define SCTLR_VALUE		(SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | \
				 SCTLR_I)

#define CPACR_FPEN_EL1		(3ULL << 20)

/* Stage-1 descriptors. */
#define PTE_TABLE		3ULL
#define PTE_BLOCK		1ULL
#define PTE_ATTRINDX(i)		((uint64_t)(i) << 2)
#define PTE_SH_INNER		(3ULL << 8)
#define PTE_AF			(1ULL << 10)
#define PTE_PXN			(1ULL << 53)
#define PTE_UXN			(1ULL << 54)
#define PTE_NORMAL		(PTE_BLOCK | PTE_ATTRINDX(MT_NORMAL) | \
				 PTE_SH_INNER | PTE_AF)
#define PTE_DEVICE		(PTE_BLOCK | PTE_ATTRINDX(MT_DEVICE) | PTE_AF | \
				 PTE_PXN | PTE_UXN)

#define PT_ENTRIES		512
#define L1_BLOCK		(1ULL << 30)
#define L2_BLOCK		(1ULL << 21)
#define PT_SIZE			4096

/* EL1h with D, A, I and F masked. */
#define PSTATE_EL1H_DAIF	0x3c5ULL

/* Where a guest function returns to: its vCPU reports UCALL_DONE. */
GUEST_CODE static void guest_return(void)
{
	GUEST_DONE();
}

/* Called by the vectors with the saved frame; may change regs->pc. */
GUEST_CODE void guest_exception(struct ex_regs *regs, int vector)
{
	guest_handler_t fn = NULL;

	if (vector == 5)		/* IRQ, current EL, SP_ELx */
		fn = guest_irq_handler;
	else if (!(vector & 3))		/* synchronous, from any EL */
		fn = guest_sync_handler;
	if (fn) {
		fn(regs);
		return;
	}
	guest_ucall_final(UCALL_ASSERT, "unexpected exception", __FILE__,
			  __LINE__, 4, regs->esr, regs->pc, regs->far, vector);
}

/*
 * Level 1 (1 GiB per entry): entry 0 is a table, the others normal
 * memory. Level 2 under it (2 MiB blocks): normal memory below
 * TEST_MMIO_BASE, device memory above.
 */
int test_arch_vm_init(struct test_vm *vm, uint64_t image_start,
		      uint64_t image_end)
{
	uint64_t *l1 = vm->scratch;
	uint64_t *l2 = (uint64_t *)((char *)vm->scratch + PT_SIZE);
	uint64_t pa;
	int i;

	/* The image must be normal memory the tables map. */
	if (test_image_placed(image_start, image_end, 1ULL << VA_BITS))
		return -ERANGE;

	l1[0] = (TEST_SCRATCH_GPA + PT_SIZE) | PTE_TABLE;
	for (i = 1; i < PT_ENTRIES; i++)
		l1[i] = (uint64_t)i * L1_BLOCK | PTE_NORMAL;
	for (i = 0; i < PT_ENTRIES; i++) {
		pa = (uint64_t)i * L2_BLOCK;
		l2[i] = pa | (pa < TEST_MMIO_BASE ? PTE_NORMAL : PTE_DEVICE);
	}
	return 0;
}

int test_arch_vcpu_init(struct test_vcpu *vcpu)
{
	const struct test_sysreg regs[] = {
		{ SYSREG_MAIR_EL1, MAIR_VALUE },
		{ SYSREG_TCR_EL1, TCR_VALUE },
		{ SYSREG_TTBR0_EL1, TEST_SCRATCH_GPA },
		{ SYSREG_CPACR_EL1, CPACR_FPEN_EL1 },
		{ SYSREG_VBAR_EL1, (uintptr_t)guest_vectors },
		{ SYSREG_SCTLR_EL1, SCTLR_VALUE },
	};

	return test_vcpu_set_sysregs(vcpu, regs, ARRAY_SIZE(regs));
}

int test_arch_vcpu_entry(struct test_vcpu *vcpu, void *guest_fn, int nargs,
			 const uint64_t *args)
{
	struct axvm_regs regs;
	int i;

	memset(&regs, 0, sizeof(regs));
	for (i = 0; i < nargs; i++)
		regs.gpr[i] = args[i];
	regs.gpr[30] = (uintptr_t)guest_return;
	regs.gpr[31] = vcpu->stack_top;
	regs.pc = (uintptr_t)guest_fn;
	regs.pstate = PSTATE_EL1H_DAIF;
	return ioctl(vcpu->fd, AXVM_SET_REGS, &regs) ? -errno : 0;
}

#endif /* __aarch64__ */

/* Arches without a guest side: the one fallback (riscv64.c has none). */
#if !TEST_HAVE_GUEST_LIB

int test_arch_vm_init(struct test_vm *vm, uint64_t image_start,
		      uint64_t image_end)
{
	errno = EOPNOTSUPP;
	return -EOPNOTSUPP;
}

int test_arch_vcpu_init(struct test_vcpu *vcpu)
{
	errno = EOPNOTSUPP;
	return -EOPNOTSUPP;
}

int test_arch_vcpu_entry(struct test_vcpu *vcpu, void *guest_fn, int nargs,
			 const uint64_t *args)
{
	errno = EOPNOTSUPP;
	return -EOPNOTSUPP;
}

#endif /* !TEST_HAVE_GUEST_LIB */
