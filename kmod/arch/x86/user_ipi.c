// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_CAP_USER_IPI on x86: a VM without the in-kernel irqchip, whose
 * VMM emulates the local APIC, gets the guest's IPIs as AXVM_EXIT_IPI
 * rather than as two MMIO exits it would have to pair. The xAPIC's
 * interrupt command register (SDM 10.6.1) is kept here: a write of its
 * high half (0x310, the destination) is latched, a write of its low
 * half (0x300) sends; both read back what was written, with the
 * delivery status idle (the send is done when the exit is). Every other
 * register of the page is the VMM's, as before.
 */
#include <asm/apicdef.h>

#include "irqchip.h"

/* The page at its reset place: IA32_APIC_BASE is the VMM's here. */
#define AXVM_USER_ICR_LO	(AXVM_LAPIC_BASE + APIC_ICR)
#define AXVM_USER_ICR_HI	(AXVM_LAPIC_BASE + APIC_ICR2)
/* ICR low: the bits that are not reserved (SDM Figure 10-12). */
#define AXVM_ICR_LO_BITS	(GENMASK(11, 0) | BIT(14) | BIT(15) | \
				 AXVM_LAPIC_SHORTHAND)

static int axvm_x86_user_ipi_send(struct axvm_x86_vcpu *x)
{
	struct axvm_run *run = x->vcpu->run;
	u32 icr = x->user_icr_lo;

	memset(&run->ipi, 0, sizeof(run->ipi));
	run->ipi.vector = icr & APIC_VECTOR_MASK;
	run->ipi.target_cpu_aux = icr;
	switch (icr & AXVM_LAPIC_SHORTHAND) {
	case APIC_DEST_SELF:
		run->ipi.send_to_self = 1;
		break;
	case APIC_DEST_ALLINC:
		run->ipi.send_to_self = 1;
		run->ipi.send_to_all = 1;
		break;
	case APIC_DEST_ALLBUT:
		run->ipi.send_to_all = 1;
		break;
	default:
		run->ipi.target_cpu = x->user_icr_hi >> 24;
	}
	return AXVM_EXIT_IPI;
}

/**
 * axvm_x86_user_ipi_mmio() - an access to the ICR of a VM with user IPIs
 * @x: the vCPU
 * @gpa: the address accessed, outside guest RAM
 * @len: its size
 * @write: a write, else a read
 * @val: the value written, or where the value read goes
 *
 * Return: -ENOENT when it is not a 32-bit access to the ICR of such a VM
 * (the VMM's MMIO); AXVM_EXIT_IPI for a write that sends (vcpu->run
 * filled: target_cpu the destination field, target_cpu_aux the ICR's
 * low half as written, with its delivery and destination modes); 0 for
 * the rest, done.
 */
int axvm_x86_user_ipi_mmio(struct axvm_x86_vcpu *x, u64 gpa,
			   unsigned int len, bool write, u64 *val)
{
	if (!x->vcpu->vm->user_ipi || len != 4 ||
	    (gpa != AXVM_USER_ICR_LO && gpa != AXVM_USER_ICR_HI))
		return -ENOENT;
	if (!write) {
		*val = gpa == AXVM_USER_ICR_LO ? x->user_icr_lo :
						 x->user_icr_hi;
		return 0;
	}
	if (gpa == AXVM_USER_ICR_HI) {
		x->user_icr_hi = *val & GENMASK(31, 24);
		return 0;
	}
	x->user_icr_lo = *val & AXVM_ICR_LO_BITS;
	return axvm_x86_user_ipi_send(x);
}
