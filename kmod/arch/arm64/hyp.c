// SPDX-License-Identifier: GPL-2.0
/*
 * arm64: axvm runs guests from a VHE host, the kernel itself at EL2. It
 * owns no EL2 state outside a guest run, so taking over a CPU only checks
 * that the CPU really runs the kernel at EL2. Per VM: a VMID and a
 * stage-2 table (4 KiB granule, 40-bit IPA, two concatenated level-1
 * tables as the root).
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <asm/cacheflush.h>
#include <asm/cpufeature.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <asm/tlbflush.h>
#include <asm/virt.h>

#include "arm64.h"

#define AXVM_ARM64_IPA_BITS	40

/* Stage-2 descriptor bits (ARM DDI 0487, D8.3). */
#define S2_VALID		BIT_ULL(0)
#define S2_TABLE_OR_PAGE	BIT_ULL(1)
#define S2_MEMATTR_NORMAL_WB	(0xfULL << 2)
#define S2_MEMATTR_DEVICE_nGnRE	(0x1ULL << 2)
#define S2_XN			BIT_ULL(54)
#define S2_AP_R			BIT_ULL(6)
#define S2_AP_W			BIT_ULL(7)
#define S2_SH_INNER		(3ULL << 8)
#define S2_AF			BIT_ULL(10)
#define S2_ADDR			GENMASK_ULL(47, 12)

u64 axvm_arm64_vtcr;
/* The system has RAS error records (ID_AA64PFR0_EL1.RAS): HCR_EL2.TERR. */
bool axvm_arm64_has_ras;
/* KVM is built in: every axvm guest runs as VMID 0 (see the probe). */
bool axvm_arm64_vmid0;

static u64 axvm_arm64_s2_table(phys_addr_t pa)
{
	return (pa & S2_ADDR) | S2_VALID | S2_TABLE_OR_PAGE;
}

static u64 axvm_arm64_s2_leaf(phys_addr_t pa, bool writable)
{
	return (pa & S2_ADDR) | S2_VALID | S2_TABLE_OR_PAGE | S2_AF |
	       S2_SH_INNER | S2_MEMATTR_NORMAL_WB | S2_AP_R |
	       (writable ? S2_AP_W : 0);
}

/* A level-2 block descriptor (bits[1:0] 0b01): 2 MiB, the same attributes. */
static u64 axvm_arm64_s2_block(phys_addr_t pa, bool writable)
{
	return axvm_arm64_s2_leaf(pa & GENMASK_ULL(47, 21), writable) &
	       ~S2_TABLE_OR_PAGE;
}

/* Device-nGnRE, read/write, execute-never: KVM's device mappings. */
static u64 axvm_arm64_s2_device_leaf(phys_addr_t pa)
{
	return (pa & S2_ADDR) | S2_VALID | S2_TABLE_OR_PAGE | S2_AF |
	       S2_MEMATTR_DEVICE_nGnRE | S2_AP_R | S2_AP_W | S2_XN;
}

static bool axvm_arm64_s2_valid(u64 entry)
{
	return entry & S2_VALID;
}

static bool axvm_arm64_s2_is_table(u64 entry)
{
	return (entry & (S2_VALID | S2_TABLE_OR_PAGE)) ==
	       (S2_VALID | S2_TABLE_OR_PAGE);
}

static phys_addr_t axvm_arm64_s2_address(u64 entry)
{
	return entry & S2_ADDR;
}

/*
 * A guest with its MMU off reads memory non-cacheable: clean what the
 * host wrote through its cacheable mapping out to the point of coherency,
 * and drop stale instructions.
 */
static void axvm_arm64_s2_prepare(phys_addr_t pa, size_t size)
{
	/*
	 * DC by VA steps by the smallest data cache line of any CPU
	 * (CTR_EL0.DminLine), not by the writeback granule CWG that
	 * cache_line_size() gives: a larger stride would skip lines.
	 * Guest RAM is in the linear map (arm64 has no highmem).
	 */
	unsigned long line = 4UL << SYS_FIELD_GET(CTR_EL0, DminLine,
					read_sanitised_ftr_reg(SYS_CTR_EL0));
	unsigned long addr = (unsigned long)phys_to_virt(pa);
	unsigned long end = addr + size;

	for (addr = ALIGN_DOWN(addr, line); addr < end; addr += line)
		asm volatile("dc civac, %0" : : "r" (addr) : "memory");
	dsb(ish);
	asm volatile("ic ialluis" : : : "memory");
	dsb(ish);
	isb();
}

static const struct axvm_s2_format axvm_arm64_s2_format = {
	.levels = 3,		/* level 1 (root), 2, 3 */
	.root_order = 1,	/* 2 x 512 entries: IPA bit 39 */
	.table = axvm_arm64_s2_table,
	.leaf = axvm_arm64_s2_leaf,
	.block = axvm_arm64_s2_block,
	.device_leaf = axvm_arm64_s2_device_leaf,
	.is_valid = axvm_arm64_s2_valid,
	.is_table = axvm_arm64_s2_is_table,
	.address = axvm_arm64_s2_address,
	.write_bit = S2_AP_W,
	.prepare = axvm_arm64_s2_prepare,
};

int axvm_arch_probe(struct axvm_arch_info *info)
{
	u64 mmfr0, mmfr1, pfr0, parange;
	unsigned int vmid_bits;
	int ret;

	info->arch = AXVM_ARCH_ARM64;
	info->name = "arm64 VHE";
	info->hypercall_filter = axvm_arm64_hypercall_filter_ok;
	info->can_run = true;
	info->guest_phys_bits = AXVM_ARM64_IPA_BITS;
	info->nr_irqs = 1020;	/* GICv3 INTIDs below the special range */
	info->irqchips = BIT(AXVM_IRQCHIP_GICV3);
	info->s2_format = &axvm_arm64_s2_format;
	/* VHE, below: the host's timer is EL2's, EL1's is free for guests. */
	info->vcpu_flags = AXVM_VCPU_PASSTHROUGH_TIMER;

	/*
	 * Linux stays at EL2 only when it runs with VHE; kvm-arm.mode=nvhe
	 * and =protected mean id_aa64mmfr1.vh=0, a kernel at EL1 under
	 * KVM's own EL2 code, which axvm cannot share.
	 */
	if (!is_kernel_in_hyp_mode()) {
		pr_err("the kernel runs at EL1 (no EL2, or nVHE: kvm-arm.mode=nvhe or protected): axvm needs a VHE host\n");
		return -EOPNOTSUPP;
	}
	/*
	 * KVM built in (distribution kernels), in VHE or kvm-arm.mode=none.
	 * VHE KVM sets EL2 state for its guests only while one of its vCPUs
	 * is loaded, and puts the vCPU on every context switch (preempt
	 * notifiers), so an axvm run, which cannot be preempted, never meets
	 * one: it saves and restores what KVM keeps across runs (run.c).
	 * The TLB is what the two could share: KVM gives its guests VMIDs
	 * from 1 without flushing them, never VMID 0 (kvm/vmid.c). So all
	 * axvm guests run as VMID 0 and drop this CPU's VMID-0 entries
	 * whenever anything else used stage 2 here (run.c).
	 */
	axvm_arm64_vmid0 = axvm_kvm_present();
	if (axvm_arm64_vmid0) {
		axvm_vmid_shared();
		pr_info("KVM is built in: axvm's guests run as VMID 0, which KVM never gives a guest\n");
	}

	mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
	mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	parange = cpuid_feature_extract_unsigned_field(mmfr0, ID_AA64MMFR0_EL1_PARANGE_SHIFT);
	if (parange < ID_AA64MMFR0_EL1_PARANGE_40) {
		pr_err("physical addresses narrower than 40 bits are not supported\n");
		return -EOPNOTSUPP;
	}
	parange = min_t(u64, parange, ID_AA64MMFR0_EL1_PARANGE_48);
	vmid_bits = cpuid_feature_extract_unsigned_field(mmfr1,
							 ID_AA64MMFR1_EL1_VMIDBits_SHIFT) == 2 ?
		    16 : 8;
	axvm_vmid_setup(vmid_bits);

	ret = axvm_arm64_vgic_probe();
	if (ret)
		return ret;
	if (axvm_vgic_v2) {
		/* No CPU interface for a guest without the irqchip's GICC. */
		info->irqchips = BIT(AXVM_IRQCHIP_GICV2);
		info->inject_needs_irqchip = true;
	} else {
		/* Its SGIs reach a vCPU's list registers by AXVM_INJECT_IRQ. */
		info->user_ipi = true;
	}

	pfr0 = read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1);
	axvm_arm64_has_ras = pfr0 & ID_AA64PFR0_EL1_RAS_MASK;
	axvm_arm64_vtcr = VTCR_EL2_COMMON_BITS | VTCR_EL2_TG0_4K |
			  VTCR_EL2_T0SZ(AXVM_ARM64_IPA_BITS) |
			  (1 << VTCR_EL2_SL0_SHIFT) |	/* start at level 1 */
			  (parange << VTCR_EL2_PS_SHIFT) |
			  (vmid_bits == 16 ? VTCR_EL2_VS_16BIT : 0);
	/* Last: nothing after it may fail, as a failed probe is not undone. */
	axvm_arm64_timer_probe();
	axvm_arm64_vgic_maint_setup();
	return 0;
}

void axvm_arch_release(void)
{
	axvm_arm64_vgic_maint_release();
}

int axvm_arch_cpu_enable(void)
{
	if (!is_kernel_in_hyp_mode())
		return -EOPNOTSUPP;
	/* Per CPU: big.LITTLE systems mix cores that need different ones. */
	axvm_arm64_spectre_cpu_enable();
	axvm_arm64_vgic_cpu_enable();
	return 0;
}

void axvm_arch_cpu_disable(void)
{
	axvm_arm64_vgic_cpu_disable();
}

/*
 * Invalidate every stage-1+2 TLB entry of a VMID on all CPUs. With VHE
 * the host runs with HCR_EL2.TGE set, where TLBIs name the host's EL2&0
 * regime: clear TGE and load the VM's VTTBR for the operation.
 */
void axvm_arm64_flush_vmid(u64 vttbr)
{
	unsigned long flags;
	u64 hcr, old, old_vtcr;

	local_irq_save(flags);
	hcr = read_sysreg(hcr_el2);
	old = read_sysreg(vttbr_el2);
	old_vtcr = read_sysreg(vtcr_el2);
	/* VTCR_EL2.VS says whether the VMID has 8 or 16 bits. */
	write_sysreg(axvm_arm64_vtcr, vtcr_el2);
	write_sysreg(vttbr, vttbr_el2);
	write_sysreg(hcr & ~HCR_TGE, hcr_el2);
	isb();
	dsb(ishst);
	__tlbi(vmalls12e1is);
	dsb(ish);
	isb();
	write_sysreg(hcr, hcr_el2);
	write_sysreg(old, vttbr_el2);
	write_sysreg(old_vtcr, vtcr_el2);
	isb();
	local_irq_restore(flags);
}

/* VTTBR_EL2 for the VM with the VMID it was last given. */
u64 axvm_arm64_vttbr(struct axvm_vm *vm, u32 vmid)
{
	return axvm_s2_root(vm) | ((u64)vmid << VTTBR_VMID_SHIFT);
}

/* All VMIDs on this CPU: ALLE1 names the EL1&0 regime even with TGE set. */
void axvm_arch_vmid_rollover(void)
{
	dsb(nshst);
	__tlbi(alle1);
	dsb(nsh);
	isb();
}

int axvm_arch_vm_init(struct axvm_vm *vm)
{
	struct axvm_arm64_vm *a;

	/* The VMID comes on the first entry (kmod/vmid.c). */
	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	vm->arch = a;
	return 0;
}

void axvm_arch_vm_destroy(struct axvm_vm *vm)
{
	struct axvm_arm64_vm *a = vm->arch;

	if (a)
		axvm_vgic_dist_free(a->dist);
	kfree(vm->arch);
	vm->arch = NULL;
}

void axvm_arch_vm_flush(struct axvm_vm *vm, u64 gpa, u64 size)
{
	struct axvm_arm64_vm *a = vm->arch;
	u32 vmid = (u32)atomic64_read(&a->vmid.gen_id);

	if (axvm_arm64_vmid0) {
		axvm_arm64_flush_vmid(axvm_arm64_vttbr(vm, 0));
		return;
	}
	/*
	 * A VM that never ran has no TLB entries. One whose VMID belongs to
	 * an older generation has none either, but flushing it is harmless.
	 */
	if (vmid)
		axvm_arm64_flush_vmid(axvm_arm64_vttbr(vm, vmid));
}
