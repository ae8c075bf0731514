// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_IRQCHIP_X86: the VM's interrupt controllers and the wiring between
 * them. Input lines (GSIs) go to the I/O APIC pins, lines 0-15 to the
 * 8259s too; the I/O APIC and MSIs send APIC messages to the local APICs
 * they name; the PIT drives IRQ 0 of the 8259 and pin 2 of the I/O APIC.
 * Lock order: 8259, PIT, I/O APIC, then the APIC array, then an APIC.
 */
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <asm/apicdef.h>
#include <asm/smp.h>
/* smp_send_reschedule() traces the IPI since 6.4. */
#include <trace/events/ipi.h>

#include "irqchip.h"

struct axvm_x86_chip *axvm_x86_chip(struct axvm_vm *vm)
{
	struct axvm_x86_vm *xvm = vm->arch;

	return xvm->chip;
}

/*
 * Make the vCPU see new interrupt state: wake it, or make it leave the
 * guest with a reschedule IPI. Any context, hard interrupts included.
 */
void axvm_x86_chip_kick(struct axvm_x86_vcpu *x)
{
	struct axvm_vcpu *vcpu = x->vcpu;
	int cpu, me;

	axvm_vcpu_wake(vcpu);
	/* Pairs with guest_enter(): the new state or the IPI reaches it. */
	smp_mb();
	if (READ_ONCE(vcpu->mode) != AXVM_VCPU_IN_GUEST)
		return;
	cpu = READ_ONCE(vcpu->cpu);
	me = get_cpu();
	if (cpu != me)
		smp_send_reschedule(cpu);
	put_cpu();
}

/*
 * An APIC message to a destination (the I/O APIC, an MSI, an IPI).
 * Whether a local APIC took it: the I/O APIC sets Remote IRR only then.
 */
bool axvm_x86_chip_deliver(struct axvm_x86_chip *chip, u32 dest,
			   bool logical, u32 mode, u8 vector, bool level)
{
	struct axvm_lapic *lowest = NULL;
	int prio, lowest_prio = INT_MAX;
	unsigned long flags;
	unsigned int i;
	bool taken = false;

	spin_lock_irqsave(&chip->lock, flags);
	for (i = 0; i <= AXVM_XAPIC_MAX_ID; i++) {
		if (!chip->apic[i] ||
		    !axvm_lapic_match(chip->apic[i], dest, logical))
			continue;
		if (mode != APIC_DM_LOWEST) {
			taken |= axvm_lapic_accept(chip->apic[i], mode, vector,
						   level);
			continue;
		}
		/*
		 * Lowest Priority: to "the processor with the lowest
		 * priority" among the destinations (SDM 10.6.2.4); a tie
		 * goes to the lowest APIC id.
		 */
		prio = axvm_lapic_arb_priority(chip->apic[i]);
		if (prio >= 0 && prio < lowest_prio) {
			lowest = chip->apic[i];
			lowest_prio = prio;
		}
	}
	if (lowest)
		taken = axvm_lapic_accept(lowest, mode, vector, level);
	spin_unlock_irqrestore(&chip->lock, flags);
	return taken;
}

/* The 8259's output may have changed: the vCPUs taking ExtINT look. */
void axvm_x86_chip_pic_changed(struct axvm_x86_chip *chip)
{
	unsigned long flags;
	unsigned int i;

	if (!axvm_pic_output(&chip->pic))
		return;
	spin_lock_irqsave(&chip->lock, flags);
	for (i = 0; i <= AXVM_XAPIC_MAX_ID; i++)
		if (chip->apic[i] && axvm_lapic_extint(chip->apic[i]))
			axvm_x86_chip_kick(chip->apic[i]->x);
	spin_unlock_irqrestore(&chip->lock, flags);
}

int axvm_arch_irqchip_create(struct axvm_vm *vm,
			     const struct axvm_irqchip *cfg)
{
	struct axvm_x86_vm *xvm = vm->arch;
	struct axvm_x86_chip *chip;
	u64 base = cfg->base[0];

	if (cfg->type != AXVM_IRQCHIP_X86)
		return -EINVAL;
	/* The I/O APIC: one page, below 4 GiB, clear of the APIC page. */
	if (cfg->nr_irqs > AXVM_IOAPIC_MAX_PINS || !base ||
	    !PAGE_ALIGNED(base) || cfg->size[0] != AXVM_IOAPIC_SIZE ||
	    base + AXVM_IOAPIC_SIZE > SZ_4G ||
	    (base < AXVM_LAPIC_BASE + AXVM_LAPIC_SIZE &&
	     base + AXVM_IOAPIC_SIZE > AXVM_LAPIC_BASE) ||
	    cfg->base[1] || cfg->size[1])
		return -EINVAL;

	chip = kzalloc(sizeof(*chip), GFP_KERNEL_ACCOUNT);
	if (!chip)
		return -ENOMEM;
	spin_lock_init(&chip->lock);
	axvm_ioapic_init(&chip->ioapic, base, cfg->nr_irqs);
	axvm_pic_init(&chip->pic);
	axvm_pit_init(&chip->pit, vm);
	xvm->chip = chip;
	return 0;
}

/* With the VM: no vCPU is left, nothing else reaches the chip. */
void axvm_x86_chip_destroy(struct axvm_vm *vm)
{
	struct axvm_x86_vm *xvm = vm->arch;

	if (!xvm || !xvm->chip)
		return;
	axvm_pit_destroy(&xvm->chip->pit);
	kfree(xvm->chip);
	xvm->chip = NULL;
}

/*
 * "The first vCPU created is the BSP" (api.rst): a creation that fails,
 * here or later in AXVM_CREATE_VCPU, created nothing, so the BSP it had
 * claimed goes to the next vCPU instead of leaving every vCPU an AP.
 */
static void axvm_x86_chip_bsp_rollback(struct axvm_x86_chip *chip, bool bsp)
{
	unsigned long flags;

	if (!bsp)
		return;
	spin_lock_irqsave(&chip->lock, flags);
	chip->has_bsp = false;
	spin_unlock_irqrestore(&chip->lock, flags);
}

/* A new vCPU joins: its APIC id must be an xAPIC one, free. */
int axvm_x86_chip_vcpu_create(struct axvm_x86_vcpu *x)
{
	struct axvm_x86_chip *chip = axvm_x86_chip(x->vcpu->vm);
	u64 id = x->vcpu->arch_id;
	unsigned long flags;
	bool bsp;
	int ret;

	if (!chip)
		return 0;
	if (id > AXVM_XAPIC_MAX_ID)
		return -EINVAL;
	spin_lock_irqsave(&chip->lock, flags);
	bsp = !chip->has_bsp;
	ret = chip->apic[id] ? -EEXIST : 0;
	if (!ret)
		chip->has_bsp = true;
	spin_unlock_irqrestore(&chip->lock, flags);
	if (ret)
		return ret;

	ret = axvm_lapic_create(x, bsp);
	if (ret)
		goto err_bsp;
	spin_lock_irqsave(&chip->lock, flags);
	if (chip->apic[id])
		ret = -EEXIST;
	else
		chip->apic[id] = x->apic;
	spin_unlock_irqrestore(&chip->lock, flags);
	if (!ret)
		return 0;
	axvm_lapic_destroy(x);
err_bsp:
	axvm_x86_chip_bsp_rollback(chip, bsp);
	return ret;
}

void axvm_x86_chip_vcpu_destroy(struct axvm_x86_vcpu *x)
{
	struct axvm_x86_chip *chip = axvm_x86_chip(x->vcpu->vm);
	unsigned long flags;
	bool bsp;

	if (!x->apic)
		return;
	spin_lock_irqsave(&chip->lock, flags);
	if (chip->apic[x->apic->id] == x->apic)
		chip->apic[x->apic->id] = NULL;
	spin_unlock_irqrestore(&chip->lock, flags);
	bsp = x->apic->base_msr & MSR_IA32_APICBASE_BSP;
	axvm_lapic_destroy(x);
	/* A creation undone; a vCPU that was created stays the BSP. */
	if (!test_bit(AXVM_VCPU_CREATED, &x->vcpu->flags))
		axvm_x86_chip_bsp_rollback(chip, bsp);
}

int axvm_arch_irq_line(struct axvm_vm *vm, u32 irq, bool level)
{
	struct axvm_x86_chip *chip = axvm_x86_chip(vm);

	/* IRQ 2 of the 8259 is the cascade: GSI 2 reaches the I/O APIC only. */
	if (irq < 16 && irq != 2) {
		axvm_pic_set_line(&chip->pic, irq, level);
		axvm_x86_chip_pic_changed(chip);
	}
	axvm_ioapic_set_line(chip, irq, level);
	return 0;
}

/* MSI address: 0xfee, destination id, redirection hint, destination mode. */
#define AXVM_MSI_ADDR_BASE	0xfee00000ULL
#define AXVM_MSI_ADDR_MASK	0xfff00000ULL
#define AXVM_MSI_DEST_SHIFT	12
#define AXVM_MSI_DEST_LOGICAL	BIT(2)
#define AXVM_MSI_LOWEST		BIT(3)

int axvm_arch_signal_msi(struct axvm_vm *vm, const struct axvm_msi *msi)
{
	struct axvm_x86_chip *chip = axvm_x86_chip(vm);
	u32 mode = msi->data & APIC_DM_FIXED_MASK;

	if ((msi->address & ~0xfffffULL) != AXVM_MSI_ADDR_BASE ||
	    msi->data & ~0xffffU)
		return -EINVAL;
	if (msi->address & AXVM_MSI_LOWEST && mode == APIC_DM_FIXED)
		mode = APIC_DM_LOWEST;
	axvm_x86_chip_deliver(chip, (msi->address >> AXVM_MSI_DEST_SHIFT) & 0xff,
			      msi->address & AXVM_MSI_DEST_LOGICAL, mode,
			      msi->data & APIC_VECTOR_MASK,
			      msi->data & APIC_INT_LEVELTRIG);
	return 0;
}

int axvm_x86_chip_mmio(struct axvm_x86_vcpu *x, u64 gpa, unsigned int len,
		       bool write, u64 *val)
{
	struct axvm_x86_chip *chip;
	u64 base;

	if (!x->apic)
		return -ENOENT;
	chip = axvm_x86_chip(x->vcpu->vm);
	/*
	 * The vCPU's own APIC page, where its IA32_APIC_BASE puts it (only
	 * outside guest RAM can it be reached, as under KVM). A globally
	 * disabled APIC leaves its page to whatever is there.
	 */
	base = READ_ONCE(x->apic->base_msr);
	if (base & MSR_IA32_APICBASE_ENABLE &&
	    gpa - (base & AXVM_APICBASE_PAGE) < AXVM_LAPIC_SIZE)
		return axvm_lapic_mmio(x, gpa - (base & AXVM_APICBASE_PAGE),
				       len, write, val);
	if (gpa >= chip->ioapic.base &&
	    gpa < chip->ioapic.base + AXVM_IOAPIC_SIZE)
		return axvm_ioapic_mmio(chip, gpa - chip->ioapic.base, len,
					write, val);
	return -ENOENT;
}

/* The 8259 and PIT ports, a byte at a time; wider reads fill with 0xff. */
int axvm_x86_chip_io(struct axvm_x86_vcpu *x, u16 port, unsigned int len,
		     bool in, u64 *val)
{
	struct axvm_x86_chip *chip;
	u8 b = *val;

	if (!x->apic)
		return -ENOENT;
	chip = axvm_x86_chip(x->vcpu->vm);
	if (axvm_pic_port(port)) {
		axvm_pic_io(&chip->pic, port, in, &b);
		if (!in)
			axvm_x86_chip_pic_changed(chip);
	} else if (axvm_pit_port(port)) {
		axvm_pit_io(&chip->pit, port, in, &b);
	} else {
		return -ENOENT;
	}
	if (in)
		*val = (~0ULL << 8 | b) & (len < 8 ? BIT_ULL(len * 8) - 1 : ~0ULL);
	return 0;
}

/*
 * Before an entry: the guest's clock record, then the irqchip; non-zero: no
 * entry now (a signal is pending).
 */
int axvm_x86_pre_run(struct axvm_x86_vcpu *x)
{
	axvm_x86_pvclock_update(x);
	return x->apic ? axvm_lapic_pre_run(x) : 0;
}

/* HLT: true when the irqchip handles it (the vCPU sleeps in the kernel). */
bool axvm_x86_halt(struct axvm_x86_vcpu *x)
{
	if (!x->apic)
		return false;
	if (!axvm_lapic_has_irq(x) && !axvm_x86_nmi_waiting(x))
		axvm_lapic_halt(x);
	return true;
}
