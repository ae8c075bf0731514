// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest library, x86_64 part: the guest's 4-level identity map, its
 * GDT, IDT and TSSes, the 64-bit entry state, and the guest's exception
 * dispatcher (the stubs are in x86_64_vectors.S).
 *
 * The guest starts in long mode at CPL 0 with paging on: no real-mode
 * or protected-mode prologue, every register set through AXVM_SET_REGS
 * and AXVM_SET_SYSREG before the first RUN.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "test_vm.h"

#ifdef __x86_64__

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

#define CR0_PE			(1ULL << 0)
#define CR0_MP			(1ULL << 1)
#define CR0_ET			(1ULL << 4)
#define CR0_NE			(1ULL << 5)
#define CR0_WP			(1ULL << 16)
#define CR0_PG			(1ULL << 31)
#define CR0_VALUE		(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | \
				 CR0_PG)		/* 0x80010033 */

#define CR4_PAE			(1ULL << 5)
#define CR4_OSFXSR		(1ULL << 9)
#define CR4_OSXMMEXCPT		(1ULL << 10)
#define CR4_VALUE		(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT)

#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)
#define EFER_NXE		(1ULL << 11)
#define EFER_VALUE		(EFER_LME | EFER_LMA | EFER_NXE)

/* Bit 1 is always set; IF clear. */
#define RFLAGS_VALUE		0x2ULL

/* Page table entries: present, writable, supervisor, A and D preset. */
#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_A			(1ULL << 5)
#define PTE_D			(1ULL << 6)
#define PTE_PS			(1ULL << 7)
#define PT_ENTRIES		512
#define GIGAPAGE		(1ULL << 30)
/* One PML4 entry, a PDPT of 1 GiB pages: [0, 512 GiB). */
#define IDMAP_END		(PT_ENTRIES * GIGAPAGE)

/*
 * Scratch RAM: the tables, then a TSS per vCPU id, each followed by its
 * exception (IST1) stack, all below the first vCPU stack.
 */
#define PML4_OFF		0x0000
#define PDPT_OFF		0x1000
#define IDT_OFF			0x2000
#define GDT_OFF			0x3000
#define TSS_AREA_OFF		0x4000
#define TSS_AREA_SIZE		0x200	/* TSS, then its IST stack */
#define TSS_OFF(id)		(TSS_AREA_OFF + (id) * TSS_AREA_SIZE)
#define IST_TOP_OFF(id)		(TSS_OFF(id) + TSS_AREA_SIZE)

/* test_vm.c puts vCPU 0's stack right above TEST_STACK_SIZE. */
_Static_assert(TSS_OFF(TEST_MAX_VCPUS) <= TEST_STACK_SIZE,
	       "the x86 tables overlap the vCPU stacks");

#define IDT_ENTRIES		256
#define IDT_LIMIT		(IDT_ENTRIES * 16 - 1)
#define IDT_IST			1ULL
#define IDT_INTR_GATE		0x8eULL		/* P, DPL 0, 64-bit intr gate */

/* TSS (64-bit): 104 bytes; IST1 at 0x24 (unaligned). */
#define TSS_SIZE		104
#define TSS_IST1		0x24

/* GDT: null, code, data, a 16-byte TSS descriptor. */
#define SEL_CODE		0x08
#define SEL_DATA		0x10
#define SEL_TSS			0x18
#define GDT_CODE64		0x00af9b000000ffffULL
#define GDT_DATA		0x00cf93000000ffffULL
#define GDT_ENTRIES		5
#define GDT_LIMIT		(GDT_ENTRIES * 8 - 1)

/*
 * Segment attributes in the VMX access-rights layout (api.rst): type
 * 0-3, S 4, DPL 5-6, P 7, L 13, D/B 14, G 15, unusable 16.
 */
#define AR_CODE64		0xa09bULL	/* exec/read, accessed; L, G */
#define AR_DATA			0xc093ULL	/* read/write, accessed; D, G */
#define AR_TSS_BUSY		0x8bULL		/* busy 64-bit TSS */
#define AR_UNUSABLE		0x10000ULL

/* Segment numbers of AXVM_SYSREG_X86_SEG_*(). */
#define SEG_ES			0
#define SEG_CS			1
#define SEG_SS			2
#define SEG_DS			3
#define SEG_FS			4
#define SEG_GS			5
#define SEG_LDTR		6
#define SEG_TR			7

/* struct axvm_regs.gpr[] indexes. */
#define GPR_RCX			1
#define GPR_RDX			2
#define GPR_RSP			4
#define GPR_RSI			6
#define GPR_RDI			7
#define GPR_R8			8
#define GPR_R9			9

/* System V: the integer arguments in registers; no stack arguments. */
#define MAX_ARGS		6

/*
 * Where a guest function returns to: its vCPU reports UCALL_DONE. It is
 * entered by ret, with RSP 16-byte aligned rather than 8 off as after a
 * call: the prologue realigns it.
 */
GUEST_CODE __attribute__((force_align_arg_pointer))
static void guest_return(void)
{
	GUEST_DONE();
}

/* Called by the stubs with the saved frame; may change regs->rip. */
GUEST_CODE void guest_exception(struct ex_regs *regs)
{
	guest_handler_t fn;

	if (regs->vector >= 32)
		fn = guest_irq_handler;
	else
		fn = guest_sync_handler;
	if (fn) {
		fn(regs);
		return;
	}
	guest_ucall_final(UCALL_ASSERT, "unexpected exception", __FILE__,
			  __LINE__, 4, regs->vector, regs->rip,
			  regs->error_code, read_cr2());
}

static uint64_t *scratch_u64(struct test_vm *vm, uint64_t off)
{
	return (uint64_t *)((char *)vm->scratch + off);
}

/* A 64-bit interrupt gate to @addr, through IST1. */
static void set_idt_gate(uint64_t *gate, uint64_t addr)
{
	gate[0] = (addr & 0xffff) | (uint64_t)SEL_CODE << 16 |
		  IDT_IST << 32 | IDT_INTR_GATE << 40 |
		  ((addr >> 16) & 0xffff) << 48;
	gate[1] = addr >> 32;
}

/* A 16-byte busy TSS descriptor for @base, limit TSS_SIZE - 1. */
static void set_tss_desc(uint64_t *desc, uint64_t base)
{
	desc[0] = (TSS_SIZE - 1) | (base & 0xffffff) << 16 |
		  AR_TSS_BUSY << 40 | ((base >> 24) & 0xff) << 56;
	desc[1] = base >> 32;
}

/*
 * The tables, shared by the VM's vCPUs but for the TSSes: the PML4's
 * entry 0 points at a PDPT of 1 GiB pages mapping [0, 512 GiB) 1:1, the
 * MMIO window included (the nested page tables decide what is memory);
 * the IDT's gates all go to the stubs through IST1; the GDT holds flat
 * 64-bit code and data segments and vCPU 0's TSS (a TSS descriptor is
 * read only by ltr, which the guest never runs: each vCPU's TR is set
 * directly). Each TSS is zero but for IST1, the top of its own stack.
 */
int test_arch_vm_init(struct test_vm *vm, uint64_t image_start,
		      uint64_t image_end)
{
	uint64_t *pml4 = scratch_u64(vm, PML4_OFF);
	uint64_t *pdpt = scratch_u64(vm, PDPT_OFF);
	uint64_t *idt = scratch_u64(vm, IDT_OFF);
	uint64_t *gdt = scratch_u64(vm, GDT_OFF);
	uint64_t ist;
	int i;

	/* The image must be RAM outside MMIO and scratch, and mapped. */
	if (test_image_placed(image_start, image_end, IDMAP_END))
		return -ERANGE;

	pml4[0] = (TEST_SCRATCH_GPA + PDPT_OFF) | PTE_P | PTE_RW | PTE_A;
	for (i = 1; i < PT_ENTRIES; i++)
		pml4[i] = 0;
	for (i = 0; i < PT_ENTRIES; i++)
		pdpt[i] = (uint64_t)i * GIGAPAGE | PTE_P | PTE_RW | PTE_A |
			  PTE_D | PTE_PS;

	for (i = 0; i < IDT_ENTRIES; i++)
		set_idt_gate(&idt[2 * i], (uintptr_t)guest_vectors +
			     (uint64_t)i * GUEST_VECTOR_STUB_SIZE);

	gdt[0] = 0;
	gdt[SEL_CODE / 8] = GDT_CODE64;
	gdt[SEL_DATA / 8] = GDT_DATA;
	set_tss_desc(&gdt[SEL_TSS / 8], TEST_SCRATCH_GPA + TSS_OFF(0));

	for (i = 0; i < TEST_MAX_VCPUS; i++) {
		ist = TEST_SCRATCH_GPA + IST_TOP_OFF(i);
		memset((char *)vm->scratch + TSS_OFF(i), 0, TSS_AREA_SIZE);
		memcpy((char *)vm->scratch + TSS_OFF(i) + TSS_IST1, &ist,
		       sizeof(ist));
	}
	return 0;
}

static int set_seg(struct test_vcpu *vcpu, int seg, uint64_t sel,
		   uint64_t base, uint64_t limit, uint64_t attr)
{
	const struct test_sysreg regs[] = {
		{ AXVM_SYSREG_X86_SEG_SEL(seg), sel },
		{ AXVM_SYSREG_X86_SEG_BASE(seg), base },
		{ AXVM_SYSREG_X86_SEG_LIMIT(seg), limit },
		{ AXVM_SYSREG_X86_SEG_ATTR(seg), attr },
	};

	return test_vcpu_set_sysregs(vcpu, regs, ARRAY_SIZE(regs));
}

/*
 * Long mode at CPL 0: paging through the identity map, flat segments
 * with the GDT's selectors, no LDT, the vCPU's own TSS in TR.
 */
int test_arch_vcpu_init(struct test_vcpu *vcpu)
{
	static const struct test_sysreg regs[] = {
		{ AXVM_SYSREG_X86_EFER, EFER_VALUE },
		{ AXVM_SYSREG_X86_CR4, CR4_VALUE },
		{ AXVM_SYSREG_X86_CR3, TEST_SCRATCH_GPA + PML4_OFF },
		{ AXVM_SYSREG_X86_CR0, CR0_VALUE },
		{ AXVM_SYSREG_X86_GDTR_BASE, TEST_SCRATCH_GPA + GDT_OFF },
		{ AXVM_SYSREG_X86_GDTR_LIMIT, GDT_LIMIT },
		{ AXVM_SYSREG_X86_IDTR_BASE, TEST_SCRATCH_GPA + IDT_OFF },
		{ AXVM_SYSREG_X86_IDTR_LIMIT, IDT_LIMIT },
	};
	static const int data_segs[] = { SEG_ES, SEG_SS, SEG_DS, SEG_FS,
					 SEG_GS };
	unsigned int i;
	int ret;

	ret = test_vcpu_set_sysregs(vcpu, regs, ARRAY_SIZE(regs));
	if (!ret)
		ret = set_seg(vcpu, SEG_CS, SEL_CODE, 0, 0xffffffff, AR_CODE64);
	for (i = 0; !ret && i < ARRAY_SIZE(data_segs); i++)
		ret = set_seg(vcpu, data_segs[i], SEL_DATA, 0, 0xffffffff,
			      AR_DATA);
	if (!ret)
		ret = set_seg(vcpu, SEG_LDTR, 0, 0, 0, AR_UNUSABLE);
	if (!ret)
		ret = set_seg(vcpu, SEG_TR, SEL_TSS,
			      TEST_SCRATCH_GPA + TSS_OFF(vcpu->id),
			      TSS_SIZE - 1, AR_TSS_BUSY);
	return ret;
}

/*
 * At @guest_fn as if called: RSP = stack_top - 8 holding the return
 * address guest_return (the host writes it into guest RAM), so that the
 * function sees RSP 8 off 16-byte alignment as after a call; the
 * arguments in RDI, RSI, RDX, RCX, R8, R9; RFLAGS with IF clear.
 */
int test_arch_vcpu_entry(struct test_vcpu *vcpu, void *guest_fn, int nargs,
			 const uint64_t *args)
{
	static const int arg_gpr[MAX_ARGS] = {
		GPR_RDI, GPR_RSI, GPR_RDX, GPR_RCX, GPR_R8, GPR_R9,
	};
	uint64_t rsp = vcpu->stack_top - 8, ret_addr;
	struct axvm_regs regs;
	void *slot;
	int i;

	if (nargs < 0 || nargs > MAX_ARGS) {
		errno = EINVAL;
		return -EINVAL;
	}
	slot = test_gpa2hva(vcpu->vm, rsp);
	if (!slot)
		return -errno;
	ret_addr = (uintptr_t)guest_return;
	memcpy(slot, &ret_addr, sizeof(ret_addr));

	memset(&regs, 0, sizeof(regs));
	for (i = 0; i < nargs; i++)
		regs.gpr[arg_gpr[i]] = args[i];
	regs.gpr[GPR_RSP] = rsp;
	regs.pc = (uintptr_t)guest_fn;
	regs.pstate = RFLAGS_VALUE;
	return ioctl(vcpu->fd, AXVM_SET_REGS, &regs) ? -errno : 0;
}

#endif /* __x86_64__ */
