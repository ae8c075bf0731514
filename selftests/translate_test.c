// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_TRANSLATE (api.rst), the seed's guest_page_table_query. The test
 * writes the guest's page tables itself, by each architecture's format
 * (SDM 4.5 for x86 4-level paging, the RISC-V privileged spec 4.4-4.5
 * for Sv39/Sv48, the Arm ARM's VMSAv8-64 for 4 KiB granule tables),
 * points the vCPU at them with the register ioctls and asks: the answer
 * must be the address and permissions the CPU would use, ENOENT where
 * no valid entry maps the address, EINVAL for an address the mode cannot
 * have. No guest runs.
 */
#define _GNU_SOURCE
#include "axvm_util.h"
#include "axvm_harness.h"
#include "test_vm.h"

#define PT_SLOT		30
#define PT_GPA		0x100000000ULL		/* 4 GiB: the tables */
#define PT_SIZE		(64 * 4096)
#define PAGE		4096ULL

#define W		AXVM_TRANSLATE_WRITE
#define U		AXVM_TRANSLATE_USER
#define X		AXVM_TRANSLATE_EXEC

FIXTURE(tr) {
	struct test_vm *vm;
	struct test_vcpu *v;
	uint64_t *pt;		/* host view of PT_GPA */
};

GUEST_CODE static void guest_nothing(void)
{
}

FIXTURE_SETUP(tr)
{
	int sys = axvm_open();

	ASSERT_LE(0, sys) TH_LOG("/dev/axvm: %s", strerror(errno));
	close(sys);
	if (!test_can_run_guests())
		SKIP(return, "no guest entry on this lane");
	self->vm = test_vm_create();
	ASSERT_NE(NULL, self->vm);
	self->pt = test_vm_add_region(self->vm, PT_SLOT, 0, PT_GPA, PT_SIZE);
	ASSERT_NE(NULL, self->pt);
	self->v = test_vcpu_add_default(self->vm, 0, guest_nothing, 0);
	ASSERT_NE(NULL, self->v);
}

FIXTURE_TEARDOWN(tr)
{
	if (self->vm)
		test_vm_free(self->vm);
}

/* Entry @i of the table in page @n of the region at @pt. */
static uint64_t *ent(uint64_t *pt, unsigned int n, unsigned int i)
{
	return &pt[n * 512 + i];
}

static uint64_t tbl(unsigned int n)
{
	return PT_GPA + n * PAGE;
}

/* errno of a translation that fails, or 0 with *gpa and *flags set. */
static int translate(int fd, uint64_t gva, uint64_t *gpa, uint32_t *flags)
{
	struct axvm_translation t = { .gva = gva };

	if (ioctl(fd, AXVM_TRANSLATE, &t))
		return errno;
	*gpa = t.gpa;
	*flags = t.flags;
	return 0;
}

#define EXPECT_MAPS(gva, want_gpa, want_flags)				\
	do {								\
		uint64_t _gva = (gva), _gpa = 0;			\
		uint32_t _flags = 0;					\
									\
		EXPECT_EQ(0, translate(self->v->fd, _gva, &_gpa,	\
				       &_flags))			\
			TH_LOG("gva %#llx", (unsigned long long)_gva);	\
		EXPECT_EQ((uint64_t)(want_gpa), _gpa)			\
			TH_LOG("gva %#llx", (unsigned long long)_gva);	\
		EXPECT_EQ((uint32_t)(want_flags), _flags)		\
			TH_LOG("gva %#llx", (unsigned long long)_gva);	\
	} while (0)

#define EXPECT_FAILS(gva, err)						\
	do {								\
		uint64_t _gva = (gva), _gpa;				\
		uint32_t _flags;					\
									\
		EXPECT_EQ(err, translate(self->v->fd, _gva, &_gpa,	\
					 &_flags))			\
			TH_LOG("gva %#llx", (unsigned long long)_gva);	\
	} while (0)

/* VA 0x40203000 + i * 4 KiB: top-level 0 or 1, 1, 1, 3 + i. */
#define VA_PAGE(i)	(0x40203000ULL + (i) * PAGE)

TEST_F(tr, bad_arguments)
{
	struct axvm_translation t = { .gva = 0, .reserved = 1 };

	if (!self->vm)
		return;
	EXPECT_EQ(-1, ioctl(self->v->fd, AXVM_TRANSLATE, &t));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->v->fd, AXVM_TRANSLATE, NULL));
	EXPECT_EQ(EFAULT, errno);
}

#if defined(__x86_64__)
#define P	(1ULL << 0)
#define RW	(1ULL << 1)
#define US	(1ULL << 2)
#define PS	(1ULL << 7)
#define XD	(1ULL << 63)
#define EFER_NXE	(1ULL << 11)
#define CR4_SMEP	(1ULL << 20)

/*
 * 4-level paging (SDM 4.5): R/W and U/S must be set at every level for
 * the access (4.6), XD at any level forbids fetches with EFER.NXE, PS
 * makes a 1 GiB (PDPTE) or 2 MiB (PDE) page; a linear address is
 * canonical for 48 bits.
 */
TEST_F(tr, x86_4_level)
{
	uint64_t efer, cr4, ux;

	if (!self->vm)
		return;
	efer = axvm_get_sysreg(self->v->fd, AXVM_SYSREG_X86_EFER);
	ASSERT_EQ(0, axvm_set_sysreg(self->v->fd, AXVM_SYSREG_X86_EFER,
				     efer | EFER_NXE));
	cr4 = axvm_get_sysreg(self->v->fd, AXVM_SYSREG_X86_CR4);
	/* SMEP: the kernel does not execute user pages. */
	ux = cr4 & CR4_SMEP ? 0 : X;
	*ent(self->pt, 0, 0) = tbl(1) | P | RW | US;	/* PML4 -> PDPT */
	*ent(self->pt, 1, 1) = tbl(2) | P | RW | US;	/* PDPT -> PD */
	*ent(self->pt, 2, 1) = tbl(3) | P | RW | US;	/* PD -> PT */
	*ent(self->pt, 3, 3) = 0x12345000ULL | P | RW;
	*ent(self->pt, 3, 4) = 0x22346000ULL | P | RW | US;
	*ent(self->pt, 3, 5) = 0x32347000ULL | P | US | XD;
	*ent(self->pt, 3, 6) = 0x42348000ULL | RW;		/* not present */
	*ent(self->pt, 2, 2) = 0x80000000ULL | P | PS;	/* 2 MiB, read-only */
	*ent(self->pt, 1, 2) = 0xc0000000ULL | P | RW | PS;	/* 1 GiB */
	*ent(self->pt, 1, 3) = tbl(4) | P | US;		/* read-only above */
	*ent(self->pt, 4, 0) = 0x1600000ULL | P | RW | US | PS;
	ASSERT_EQ(0, axvm_set_sysreg(self->v->fd, AXVM_SYSREG_X86_CR3,
				     PT_GPA));

	EXPECT_MAPS(VA_PAGE(0) + 0x123, 0x12345123, W | X);
	EXPECT_MAPS(VA_PAGE(1), 0x22346000, W | U | ux);
	EXPECT_MAPS(VA_PAGE(2) + 8, 0x32347008, U);
	EXPECT_FAILS(VA_PAGE(3), ENOENT);
	EXPECT_FAILS(VA_PAGE(4), ENOENT);		/* PTE 0 */
	EXPECT_MAPS(0x40400000ULL + 0x12345, 0x80012345, X);
	EXPECT_MAPS(0x80000000ULL + 0x3456789, 0xc3456789, W | X);
	EXPECT_MAPS(0xc0000000ULL + 0x1234, 0x1601234, U | ux);
	EXPECT_FAILS(0x8000000000ULL, ENOENT);		/* PML4E 1 */
	EXPECT_FAILS(0x0000800000000000ULL, EINVAL);	/* not canonical */
	EXPECT_FAILS(0xffff7fffffffffffULL, EINVAL);
}
#endif

#if defined(__riscv)
#define PTE_V	(1ULL << 0)
#define PTE_R	(1ULL << 1)
#define PTE_W	(1ULL << 2)
#define PTE_X	(1ULL << 3)
#define PTE_U	(1ULL << 4)
#define PTE(pa)	(((pa) >> 12) << 10)
#define SATP(mode, root)	((uint64_t)(mode) << 60 | (root) >> 12)
#define CSR_SATP	0x180

/*
 * Sv39 (privileged spec 4.4): a PTE with R or X is a leaf at any level
 * (a 1 GiB or 2 MiB superpage, its PPN aligned to that), W without R is
 * reserved, S-mode never executes a U page; VA bits 63:39 equal bit 38.
 * Bare mode (satp 0) is the identity.
 */
TEST_F(tr, riscv_sv39_and_sv48)
{
	int fd;

	if (!self->vm)
		return;
	fd = self->v->fd;
	*ent(self->pt, 0, 1) = PTE(tbl(1)) | PTE_V;
	*ent(self->pt, 1, 1) = PTE(tbl(2)) | PTE_V;
	*ent(self->pt, 2, 3) = PTE(0x12345000ULL) | PTE_V | PTE_R | PTE_W | PTE_X;
	*ent(self->pt, 2, 4) = PTE(0x22346000ULL) | PTE_V | PTE_R | PTE_W | PTE_U;
	*ent(self->pt, 2, 5) = PTE(0x32347000ULL) | PTE_V | PTE_W;	/* W, no R */
	*ent(self->pt, 2, 6) = PTE(0x42348000ULL) | PTE_V | PTE_R | PTE_X |
			   PTE_U;
	*ent(self->pt, 2, 7) = PTE(0x52349000ULL) | PTE_R | PTE_W;	/* no V */
	*ent(self->pt, 0, 2) = PTE(0x80000000ULL) | PTE_V | PTE_R | PTE_X;
	*ent(self->pt, 0, 3) = PTE(0x80200000ULL) | PTE_V | PTE_R;	/* misaligned */
	*ent(self->pt, 1, 2) = PTE(0x1600000ULL) | PTE_V | PTE_R | PTE_W;

	ASSERT_EQ(0, axvm_set_sysreg(fd, AXVM_SYSREG_RISCV_CSR(CSR_SATP),
				     SATP(8, PT_GPA)));
	EXPECT_MAPS(VA_PAGE(0) + 0x123, 0x12345123, W | X);
	EXPECT_MAPS(VA_PAGE(1), 0x22346000, W | U);
	EXPECT_FAILS(VA_PAGE(2), ENOENT);
	EXPECT_MAPS(VA_PAGE(3) + 4, 0x42348004, U);
	EXPECT_FAILS(VA_PAGE(4), ENOENT);
	EXPECT_MAPS(0x80000000ULL + 0x3456789, 0x83456789, X);
	EXPECT_FAILS(0xc0000000ULL, ENOENT);
	EXPECT_MAPS(0x40400000ULL + 0x12345, 0x1612345, W);
	EXPECT_FAILS(0x4000000000ULL, EINVAL);		/* bit 38 clear */
	EXPECT_FAILS(0xffffffc000000000ULL, ENOENT);	/* valid, unmapped */

	/* Sv48: one level more above the same tables. */
	*ent(self->pt, 5, 0) = PTE(tbl(0)) | PTE_V;
	ASSERT_EQ(0, axvm_set_sysreg(fd, AXVM_SYSREG_RISCV_CSR(CSR_SATP),
				     SATP(9, tbl(5))));
	EXPECT_MAPS(VA_PAGE(0) + 0x123, 0x12345123, W | X);
	EXPECT_FAILS(0x4000000000ULL, ENOENT);		/* 48 bits now */
	EXPECT_FAILS(0x0000800000000000ULL, EINVAL);

	/* Bare: no translation, no protection. */
	ASSERT_EQ(0, axvm_set_sysreg(fd, AXVM_SYSREG_RISCV_CSR(CSR_SATP), 0));
	EXPECT_MAPS(0x12345678ULL, 0x12345678, W | U | X);
}
#endif

#if defined(__aarch64__)
#define D_VALID		(1ULL << 0)
#define D_TABLE		(1ULL << 1)	/* table, or page at level 3 */
#define D_AF		(1ULL << 10)
#define D_AP1		(1ULL << 6)
#define D_AP2		(1ULL << 7)
#define D_PXN		(1ULL << 53)
#define D_APTABLE1	(1ULL << 62)
#define SYSREG_ID(a, b, c, d, e)	AXVM_SYSREG_ARM64(a, b, c, d, e)
#define SCTLR_EL1	SYSREG_ID(3, 0, 1, 0, 0)
#define TTBR0_EL1	SYSREG_ID(3, 0, 2, 0, 0)
#define TTBR1_EL1	SYSREG_ID(3, 0, 2, 0, 1)
#define TCR_EL1		SYSREG_ID(3, 0, 2, 0, 2)
/* T0SZ 16 (48 bits), TG0 4 KiB; T1SZ 25 (39 bits), TG1 4 KiB. */
#define TCR_4K		(16ULL | 25ULL << 16 | 2ULL << 30)
#define TCR_TBI0	(1ULL << 37)

/*
 * VMSAv8-64, 4 KiB granule: 48 bits start at level 0, 39 at level 1
 * (D8.2.6); blocks at levels 1 and 2; AP[2] read-only, AP[1] EL0
 * access, and EL1 never executes what EL0 may write (AP 0b01, D8.4.1);
 * APTable[1] removes write access below; VA bit 55 selects TTBR1, whose
 * addresses have the bits above the region all ones; TBI0 ignores the
 * top byte. SCTLR_EL1.M clear: the identity.
 */
TEST_F(tr, arm64_4k_granule)
{
	int fd;

	if (!self->vm)
		return;
	fd = self->v->fd;
	*ent(self->pt, 0, 0) = tbl(1) | D_VALID | D_TABLE;	/* L0 -> L1 */
	*ent(self->pt, 1, 1) = tbl(2) | D_VALID | D_TABLE;	/* L1 -> L2 */
	*ent(self->pt, 2, 1) = tbl(3) | D_VALID | D_TABLE;	/* L2 -> L3 */
	*ent(self->pt, 3, 3) = 0x12345000ULL | D_VALID | D_TABLE | D_AF;
	*ent(self->pt, 3, 4) = 0x22346000ULL | D_VALID | D_TABLE | D_AF | D_AP1;
	*ent(self->pt, 3, 5) = 0x32347000ULL | D_VALID | D_TABLE | D_AF | D_AP1 |
			   D_AP2 | D_PXN;
	*ent(self->pt, 3, 6) = 0x42348000ULL | D_VALID | D_AF;	/* reserved */
	*ent(self->pt, 2, 2) = 0x80000000ULL | D_VALID | D_AF | D_AP2; /* 2 MiB */
	*ent(self->pt, 1, 2) = 0xc0000000ULL | D_VALID | D_AF;	/* 1 GiB */
	*ent(self->pt, 1, 3) = tbl(4) | D_VALID | D_TABLE | D_APTABLE1;
	*ent(self->pt, 4, 0) = 0x1600000ULL | D_VALID | D_AF;
	/* TTBR1, 39 bits: level 1 first; entry 2 a 1 GiB block. */
	*ent(self->pt, 5, 2) = 0x40000000ULL | D_VALID | D_AF | D_PXN;

	ASSERT_EQ(0, axvm_set_sysreg(fd, TTBR0_EL1, tbl(0)));
	ASSERT_EQ(0, axvm_set_sysreg(fd, TTBR1_EL1, tbl(5)));
	ASSERT_EQ(0, axvm_set_sysreg(fd, TCR_EL1, TCR_4K));
	ASSERT_EQ(0, axvm_set_sysreg(fd, SCTLR_EL1,
				     axvm_get_sysreg(fd, SCTLR_EL1) & ~1ULL));
	EXPECT_MAPS(0x12345678ULL, 0x12345678, W | U | X);
	/* M on, WXN (bit 19) off. */
	ASSERT_EQ(0, axvm_set_sysreg(fd, SCTLR_EL1,
				     (axvm_get_sysreg(fd, SCTLR_EL1) | 1) &
				     ~(1ULL << 19)));

	EXPECT_MAPS(VA_PAGE(0) + 0x123, 0x12345123, W | X);
	EXPECT_MAPS(VA_PAGE(1), 0x22346000, W | U);
	EXPECT_MAPS(VA_PAGE(2) + 8, 0x32347008, U);
	EXPECT_FAILS(VA_PAGE(3), ENOENT);
	EXPECT_FAILS(VA_PAGE(4), ENOENT);
	EXPECT_MAPS(0x40400000ULL + 0x12345, 0x80012345, X);
	EXPECT_MAPS(0x80000000ULL + 0x3456789, 0xc3456789, W | X);
	EXPECT_MAPS(0xc0000000ULL + 0x1234, 0x1601234, X);
	EXPECT_FAILS(0x8000000000ULL, ENOENT);		/* L0 entry 1 */
	EXPECT_FAILS(0x0001000000000000ULL, EINVAL);	/* above 48 bits */
	EXPECT_FAILS(0x5a00000040203000ULL, EINVAL);	/* no TBI0 */
	ASSERT_EQ(0, axvm_set_sysreg(fd, TCR_EL1, TCR_4K | TCR_TBI0));
	EXPECT_MAPS(0x5a00000040203000ULL, 0x12345000, W | X);

	EXPECT_MAPS(0xffffff8080000000ULL + 0x42, 0x40000042, W);
	EXPECT_FAILS(0xffffff8000000000ULL, ENOENT);
	EXPECT_FAILS(0xffff000000000000ULL, EINVAL);	/* below 39 bits */
}

/*
 * The 64 KiB granule (TG0 0b01), 48 bits: the walk starts at level 1
 * with 6 bits, then 13 bits a level (D8.2.6); blocks are 512 MiB at
 * level 2, none at level 1. Tables are 64 KiB: pages 16, 32 and 48.
 */
TEST_F(tr, arm64_64k_granule)
{
	int fd;

	if (!self->vm)
		return;
	fd = self->v->fd;
	*ent(self->pt, 16, 0) = tbl(32) | D_VALID | D_TABLE;
	*ent(self->pt, 32, 1) = tbl(48) | D_VALID | D_TABLE;
	*ent(self->pt, 48, 1) = 0x7770000ULL | D_VALID | D_TABLE | D_AF;
	*ent(self->pt, 32, 2) = 0x60000000ULL | D_VALID | D_AF | D_AP2;
	*ent(self->pt, 16, 1) = 0x80000000ULL | D_VALID | D_AF;  /* no L1 block */
	ASSERT_EQ(0, axvm_set_sysreg(fd, TTBR0_EL1, tbl(16)));
	ASSERT_EQ(0, axvm_set_sysreg(fd, TCR_EL1, 16ULL | 1ULL << 14));
	ASSERT_EQ(0, axvm_set_sysreg(fd, SCTLR_EL1,
				     (axvm_get_sysreg(fd, SCTLR_EL1) | 1) &
				     ~(1ULL << 19)));
	EXPECT_MAPS(0x20010000ULL + 0xabcd, 0x777abcd, W | X);
	EXPECT_MAPS(0x40000000ULL + 0x1234567, 0x61234567, X);
	EXPECT_FAILS(0x20020000ULL, ENOENT);
	EXPECT_FAILS(0x40000000000ULL, ENOENT);		/* L1 entry 1 */
}
#endif

TEST_HARNESS_MAIN
