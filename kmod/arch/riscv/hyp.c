// SPDX-License-Identifier: GPL-2.0
/*
 * riscv64: guests run in VS/VU-mode from the HS-mode kernel. Taking over a
 * hart sets the hypervisor CSRs that stay the same for every guest: the
 * exceptions and VS-level interrupts delegated to the guest, the counters
 * it may read, no time offset. Per VM: a VMID and a G-stage table, Sv48x4
 * when the hart has it, else Sv39x4.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/csr.h>
#include <asm/hwcap.h>
#include <asm/insn-def.h>

#include "riscv.h"

/* G-stage PTE bits (privileged spec, "Sv39x4 and Sv48x4"). */
#define GS_V			BIT_ULL(0)
#define GS_R			BIT_ULL(1)
#define GS_W			BIT_ULL(2)
#define GS_X			BIT_ULL(3)
#define GS_U			BIT_ULL(4)	/* G-stage leaves must be U */
#define GS_A			BIT_ULL(6)
#define GS_D			BIT_ULL(7)
#define GS_PPN			GENMASK_ULL(53, 10)
#define GS_PPN_SHIFT		10

#define EXC_LOAD_MISALIGNED	4
#define EXC_STORE_MISALIGNED	6

/* Guest exceptions the guest handles itself (hedeleg). */
#define AXVM_RISCV_HEDELEG	(BIT(EXC_INST_MISALIGNED) |		\
				 BIT(EXC_INST_ILLEGAL) |		\
				 BIT(EXC_BREAKPOINT) |			\
				 BIT(EXC_LOAD_MISALIGNED) |		\
				 BIT(EXC_STORE_MISALIGNED) |		\
				 BIT(EXC_SYSCALL) |			\
				 BIT(EXC_INST_PAGE_FAULT) |		\
				 BIT(EXC_LOAD_PAGE_FAULT) |		\
				 BIT(EXC_STORE_PAGE_FAULT))
/* The guest may read cycle, time and instret (hcounteren CY, TM, IR). */
#define AXVM_RISCV_HCOUNTEREN	0x7

unsigned long axvm_riscv_hgatp_mode;

static u64 axvm_riscv_gs_table(phys_addr_t pa)
{
	return (PHYS_PFN(pa) << GS_PPN_SHIFT) | GS_V;
}

static u64 axvm_riscv_gs_leaf(phys_addr_t pa, bool writable)
{
	return (PHYS_PFN(pa) << GS_PPN_SHIFT) | GS_V | GS_R | GS_X | GS_U |
	       GS_A | GS_D | (writable ? GS_W : 0);
}

/*
 * A 2 MiB megapage: a leaf one level up, the same bits; its PPN is 2 MiB
 * aligned, as a superpage's must be (else a page fault).
 */
static u64 axvm_riscv_gs_block(phys_addr_t pa, bool writable)
{
	return axvm_riscv_gs_leaf(pa, writable);
}

static bool axvm_riscv_gs_valid(u64 entry)
{
	return entry & GS_V;
}

static bool axvm_riscv_gs_is_table(u64 entry)
{
	return (entry & (GS_V | GS_R | GS_W | GS_X)) == GS_V;
}

static phys_addr_t axvm_riscv_gs_address(u64 entry)
{
	return PFN_PHYS((entry & GS_PPN) >> GS_PPN_SHIFT);
}

/* The root of both is four pages: two more bits of guest address. */
static const struct axvm_s2_format axvm_riscv_sv39x4 = {
	.levels = 3,
	.root_order = 2,
	.table = axvm_riscv_gs_table,
	.leaf = axvm_riscv_gs_leaf,
	.block = axvm_riscv_gs_block,
	.is_valid = axvm_riscv_gs_valid,
	.is_table = axvm_riscv_gs_is_table,
	.address = axvm_riscv_gs_address,
	.write_bit = GS_W,
};

static const struct axvm_s2_format axvm_riscv_sv48x4 = {
	.levels = 4,
	.root_order = 2,
	.table = axvm_riscv_gs_table,
	.leaf = axvm_riscv_gs_leaf,
	.block = axvm_riscv_gs_block,
	.is_valid = axvm_riscv_gs_valid,
	.is_table = axvm_riscv_gs_is_table,
	.address = axvm_riscv_gs_address,
	.write_bit = GS_W,
};

static bool axvm_riscv_irq_valid(u32 irq)
{
	return BIT(irq) & AXVM_RISCV_VS_IRQS;
}

/* This hart's G-stage TLB entries of one VMID (never 0). */
void axvm_riscv_hfence_gvma_vmid(unsigned long vmid)
{
	register unsigned long a0 asm("a0") = vmid;

	asm volatile(HFENCE_GVMA(zero, a0) : : "r" (a0) : "memory");
}

/*
 * This hart's VS-stage TLB entries of the VMID in hgatp, which must be
 * loaded: the guest's own translations. The privileged spec (H
 * extension, "Hypervisor Memory-Management Fence Instructions") lets a
 * hart that keeps them apart from the G-stage ones leave them in place
 * on an HFENCE.GVMA ("HFENCE.GVMA need not flush the former cache");
 * HFENCE.VVMA is the guest's SFENCE.VMA run on its behalf, as KVM does.
 */
void axvm_riscv_hfence_vvma_all(void)
{
	asm volatile(HFENCE_VVMA(zero, zero) : : : "memory");
}

/*
 * Which G-stage modes and how many VMID bits the hart keeps: write the
 * widest value, read back what stuck (WARL), then leave hgatp off.
 */
static void axvm_riscv_probe_hgatp(unsigned int *vmid_bits)
{
	unsigned long v;

	preempt_disable();
	csr_write(CSR_HGATP, HGATP_VMID_MASK);
	v = csr_read(CSR_HGATP);
	*vmid_bits = fls_long((v & HGATP_VMID_MASK) >> HGATP_VMID_SHIFT);
	csr_write(CSR_HGATP, HGATP_MODE_SV48X4 << HGATP_MODE_SHIFT);
	v = csr_read(CSR_HGATP) >> HGATP_MODE_SHIFT;
	axvm_riscv_hgatp_mode = v == HGATP_MODE_SV48X4 ? HGATP_MODE_SV48X4 :
							 HGATP_MODE_SV39X4;
	csr_write(CSR_HGATP, 0);
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
	preempt_enable();
}

int axvm_arch_probe(struct axvm_arch_info *info)
{
	unsigned int vmid_bits;

	info->arch = AXVM_ARCH_RISCV64;
	info->name = "riscv64 H-extension";
	info->guest_phys_bits = 41;	/* Sv39x4, until the probe */
	info->nr_irqs = IRQ_VS_EXT + 1;	/* hvip bits */
	info->irq_valid = axvm_riscv_irq_valid;
	info->irqchips = BIT(AXVM_IRQCHIP_PLIC);
	info->user_ipi = true;

	if (!riscv_isa_extension_available(NULL, h)) {
		pr_err("the CPU has no H extension\n");
		return -ENODEV;
	}
	if (axvm_kvm_present()) {
		pr_err("KVM is present in this kernel and shares the hypervisor CSRs with axvm; refusing to load\n");
		return -EBUSY;
	}

	axvm_riscv_probe_hgatp(&vmid_bits);
	axvm_vmid_setup(vmid_bits);
	if (axvm_riscv_hgatp_mode == HGATP_MODE_SV48X4) {
		info->guest_phys_bits = 50;
		info->s2_format = &axvm_riscv_sv48x4;
	} else {
		info->s2_format = &axvm_riscv_sv39x4;
	}
	info->can_run = true;
	pr_info("G-stage %s, %u VMID bits\n",
		axvm_riscv_hgatp_mode == HGATP_MODE_SV48X4 ? "Sv48x4" : "Sv39x4",
		vmid_bits);
	return 0;
}

void axvm_arch_release(void)
{
}

static void axvm_riscv_set_hcsrs(unsigned long hedeleg,
				 unsigned long hideleg,
				 unsigned long hcounteren)
{
	csr_write(CSR_HEDELEG, hedeleg);
	csr_write(CSR_HIDELEG, hideleg);
	csr_write(CSR_HCOUNTEREN, hcounteren);
	csr_write(CSR_HVIP, 0);
	csr_write(CSR_HTIMEDELTA, 0);
	csr_write(CSR_HENVCFG, 0);
	csr_write(CSR_HGATP, 0);
}

int axvm_arch_cpu_enable(void)
{
	axvm_riscv_set_hcsrs(AXVM_RISCV_HEDELEG, AXVM_RISCV_VS_IRQS,
			     AXVM_RISCV_HCOUNTEREN);
	/* A previous owner of the hart may have left G-stage entries. */
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
	return 0;
}

void axvm_arch_cpu_disable(void)
{
	axvm_riscv_set_hcsrs(0, 0, 0);
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
}

u64 axvm_riscv_hgatp(struct axvm_vm *vm, u32 vmid)
{
	return (axvm_riscv_hgatp_mode << HGATP_MODE_SHIFT) |
	       (((u64)vmid << HGATP_VMID_SHIFT) & HGATP_VMID_MASK) |
	       PHYS_PFN(axvm_s2_root(vm));
}

int axvm_arch_vm_init(struct axvm_vm *vm)
{
	struct axvm_riscv_vm *r;

	/* The VMID comes on the first entry (kmod/vmid.c). */
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	vm->arch = r;
	return 0;
}

void axvm_arch_vm_destroy(struct axvm_vm *vm)
{
	axvm_riscv_plic_free(vm);
	kfree(vm->arch);
	vm->arch = NULL;
}

static void axvm_riscv_flush_vmid(void *vmid)
{
	axvm_riscv_hfence_gvma_vmid((unsigned long)vmid);
}

/* HFENCE.GVMA is local to a hart: every hart runs it for the VMID. */
void axvm_arch_vm_flush(struct axvm_vm *vm, u64 gpa, u64 size)
{
	struct axvm_riscv_vm *r = vm->arch;
	u32 vmid = (u32)atomic64_read(&r->vmid.gen_id);

	if (vmid)
		on_each_cpu(axvm_riscv_flush_vmid, (void *)(unsigned long)vmid,
			    1);
}

/* Every G-stage TLB entry of every VMID on this hart. */
void axvm_arch_vmid_rollover(void)
{
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
}
