// SPDX-License-Identifier: GPL-2.0
/*
 * The GICv2 hypervisor interface (GIC-400 and the like), for hosts whose
 * GIC has no system-register CPU interface. The list registers, the
 * virtual machine control and the active priorities registers are in the
 * memory-mapped GICH frame; the guest's CPU interface is the GICV frame,
 * which the guest reaches through stage 2 at its GICC address
 * (vgic_dist.c maps it). Both come from the GIC's device-tree node, as
 * the GIC driver gives them to KVM (irq-gic.c, gic_of_setup_kvm_info:
 * reg entries 2 and 3, the maintenance interrupt first). The rest of the
 * vGIC keeps list registers in the GICv3 layout (ICH_LR<n>_EL2); they are
 * converted here, at the frame. Every guest interrupt is group 0, as a
 * GICv2 without the Security Extensions has them (GICD_IGROUPR RAZ/WI).
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/bitfield.h>
#include <linux/io.h>
#include <linux/irqchip/arm-gic.h>
#include <linux/mm.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/sizes.h>
#include <asm/sysreg.h>

#include "arm64.h"

/* GICH_VTR.ListRegs: the number of list registers less one. */
#define AXVM_GICH_VTR_LRS	GENMASK(5, 0)
/* The guest's GICC_* registers: 8 KiB, GICC_DIR in the second page. */
#define AXVM_GICV_SIZE		SZ_8K
/* GICH_LR CPUID, the SGI's source, in bits 12:10. */
#define AXVM_GICH_LR_CPUID	GENMASK(12, 10)

static const struct of_device_id axvm_gicv2_ids[] = {
	{ .compatible = "arm,gic-400" },
	{ .compatible = "arm,cortex-a15-gic" },
	{ .compatible = "arm,cortex-a7-gic" },
	{ }
};

static void __iomem *axvm_gich;
static phys_addr_t axvm_gicv;
static struct device_node *axvm_gicv2_np;

/*
 * Find the GICH and GICV frames. 0 with the number of list registers, or
 * -EOPNOTSUPP when the host has no GICv2 with virtualization extensions
 * (or a GICV frame stage 2 cannot map with 4 KiB pages).
 */
int axvm_vgic_v2_probe(unsigned int *nr_lrs)
{
	struct resource gich, gicv;
	struct device_node *np;

	np = of_find_matching_node(NULL, axvm_gicv2_ids);
	if (!np) {
		pr_err("no GICv3 system-register CPU interface and no GICv2 device-tree node\n");
		return -EOPNOTSUPP;
	}
	if (of_address_to_resource(np, 2, &gich) ||
	    of_address_to_resource(np, 3, &gicv)) {
		pr_err("the GICv2 has no virtualization extensions (no GICH and GICV frames)\n");
		of_node_put(np);
		return -EOPNOTSUPP;
	}
	if (!PAGE_ALIGNED(gicv.start) || resource_size(&gicv) < AXVM_GICV_SIZE) {
		pr_err("the GICV frame at %pa cannot be mapped for guests\n",
		       &gicv.start);
		of_node_put(np);
		return -EOPNOTSUPP;
	}
	axvm_gich = ioremap(gich.start, resource_size(&gich));
	if (!axvm_gich) {
		of_node_put(np);
		return -ENOMEM;
	}
	axvm_gicv = gicv.start;
	axvm_gicv2_np = np;
	*nr_lrs = FIELD_GET(AXVM_GICH_VTR_LRS,
			    readl_relaxed(axvm_gich + GICH_VTR)) + 1;
	pr_info("GICv2 host: GICH at %pa, GICV at %pa, %u list registers\n",
		&gich.start, &gicv.start, *nr_lrs);
	return 0;
}

void axvm_vgic_v2_release(void)
{
	if (axvm_gich)
		iounmap(axvm_gich);
	axvm_gich = NULL;
	of_node_put(axvm_gicv2_np);
	axvm_gicv2_np = NULL;
}

/* The GIC's node, for its maintenance interrupt; NULL without GICv2. */
struct device_node *axvm_vgic_v2_node(void)
{
	return axvm_gicv2_np;
}

/* The GICV frame: a guest's GICC page @n (0 or 1) is this + n pages. */
phys_addr_t axvm_vgic_v2_gicv(void)
{
	return axvm_gicv;
}

/* A CPU taken over: nothing listed, the interface off (KVM's init_lrs). */
void axvm_vgic_v2_cpu_reset(void)
{
	unsigned int i, n;

	n = FIELD_GET(AXVM_GICH_VTR_LRS,
		      readl_relaxed(axvm_gich + GICH_VTR)) + 1;
	writel_relaxed(0, axvm_gich + GICH_HCR);
	for (i = 0; i < n; i++)
		writel_relaxed(0, axvm_gich + GICH_LR0 + 4 * i);
}

/* A list register in the GICv3 layout, as a GICH_LR. */
static u32 axvm_lr_to_v2(u64 lr)
{
	u32 v = lr & GICH_LR_VIRTUALID;

	if (lr & ICH_LR_EOI)
		v |= GICH_LR_EOI;
	v |= FIELD_PREP(AXVM_GICH_LR_CPUID,
			FIELD_GET(AXVM_LR_V2_SOURCE, lr));
	/* Five priority bits: the top ones of the eight. */
	v |= (u32)((lr >> ICH_LR_PRIORITY_SHIFT) & 0xf8) >>
	     3 << GICH_LR_PRIORITY_SHIFT;
	if (lr & ICH_LR_PENDING_BIT)
		v |= GICH_LR_PENDING_BIT;
	if (lr & ICH_LR_ACTIVE_BIT)
		v |= GICH_LR_ACTIVE_BIT;
	return v;
}

static u64 axvm_lr_from_v2(u32 v)
{
	u64 lr = (v & GICH_LR_VIRTUALID) | ICH_LR_GROUP;

	if (v & GICH_LR_EOI)
		lr |= ICH_LR_EOI;
	lr |= FIELD_PREP(AXVM_LR_V2_SOURCE,
			 FIELD_GET(AXVM_GICH_LR_CPUID, v));
	lr |= (u64)(((v >> GICH_LR_PRIORITY_SHIFT) & 0x1f) << 3) <<
	      ICH_LR_PRIORITY_SHIFT;
	if (v & GICH_LR_PENDING_BIT)
		lr |= ICH_LR_PENDING_BIT;
	if (v & GICH_LR_ACTIVE_BIT)
		lr |= ICH_LR_ACTIVE_BIT;
	return lr;
}

/*
 * Before an entry, interrupts off: the list registers, the active
 * priorities (GICH_APR, kept in ap0r[0]), the VMCR (GICH_VMCR's own
 * layout), then GICH_HCR (EN and UIE are the bits ICH_HCR_EL2 has).
 */
void axvm_vgic_v2_load(const struct axvm_arm64_vgic *g, unsigned int n,
		       u64 hcr)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		writel_relaxed(axvm_lr_to_v2(g->lr[i]),
			       axvm_gich + GICH_LR0 + 4 * i);
	writel_relaxed(g->ap0r[0], axvm_gich + GICH_APR);
	writel_relaxed(g->vmcr, axvm_gich + GICH_VMCR);
	writel_relaxed(hcr, axvm_gich + GICH_HCR);
}

/* After the exit: the state back, and nothing left listed or enabled. */
void axvm_vgic_v2_save(struct axvm_arm64_vgic *g, unsigned int n)
{
	unsigned int i;

	g->vmcr = readl_relaxed(axvm_gich + GICH_VMCR);
	g->ap0r[0] = readl_relaxed(axvm_gich + GICH_APR);
	for (i = 0; i < n; i++) {
		g->lr[i] = axvm_lr_from_v2(readl_relaxed(axvm_gich + GICH_LR0 +
							 4 * i));
		writel_relaxed(0, axvm_gich + GICH_LR0 + 4 * i);
	}
	writel_relaxed(0, axvm_gich + GICH_HCR);
}
