// SPDX-License-Identifier: GPL-2.0
/*
 * NMIs of x86 guests: latched by any thread (the local APIC's NMI
 * messages and its LINT1 pin, AXVM_NMI), injected by the vCPU's own
 * thread before an entry. SDM vol. 3, 6.7.1: while the guest's NMI
 * handler runs, the CPU holds further NMIs until the next IRET; one is
 * held, more collapse into it. VMX keeps that state itself with virtual
 * NMIs (blocking by NMI in the interruptibility state); SVM without vNMI
 * has none, so the backend keeps it in @nmi_masked and intercepts IRET
 * to learn when the handler is done, as KVM does.
 */
#include <linux/atomic.h>

#include "irqchip.h"

/*
 * One more NMI for the vCPU (any thread). At most two are latched: the
 * count collapses beyond, as the CPU's latch does.
 */
void axvm_x86_nmi_latch(struct axvm_x86_vcpu *x)
{
	atomic_add_unless(&x->nmi_queued, 1, 2);
}

void axvm_x86_nmi_send(struct axvm_x86_vcpu *x)
{
	axvm_x86_nmi_latch(x);
	axvm_x86_chip_kick(x);
}

/* An NMI waits for the vCPU: it ends a HLT, whatever RFLAGS.IF says. */
bool axvm_x86_nmi_waiting(struct axvm_x86_vcpu *x)
{
	return READ_ONCE(x->nmi_pending) || atomic_read(&x->nmi_queued);
}

/*
 * On the vCPU's thread, before an entry: the NMIs latched since join the
 * pending ones (KVM's process_nmi()). While one is being handled
 * (@in_service) one more can wait behind it; otherwise two: one to
 * inject, one to follow its IRET.
 */
void axvm_x86_nmi_collect(struct axvm_x86_vcpu *x, bool in_service)
{
	unsigned int limit = in_service ? 1 : 2;
	unsigned int n = x->nmi_pending + atomic_xchg(&x->nmi_queued, 0);

	WRITE_ONCE(x->nmi_pending, min(n, limit));
}

/* INIT drops what was latched and ends an NMI handler's blocking. */
void axvm_x86_nmi_reset(struct axvm_x86_vcpu *x)
{
	atomic_set(&x->nmi_queued, 0);
	WRITE_ONCE(x->nmi_pending, 0);
	x->nmi_masked = false;
	x->nmi_iret = false;
}

/*
 * AXVM_NMI: the vCPU's NMI input. With the in-kernel irqchip that is the
 * local APIC's LINT1 pin, delivered as LVT1 says (the chipset's NMI line
 * of a PC; SDM 10.5.1); without one, or with the APIC disabled in
 * IA32_APIC_BASE (LINT1 is then the CPU's NMI pin, SDM 10.4.3), an NMI.
 */
int axvm_arch_vcpu_nmi(struct axvm_vcpu *vcpu)
{
	struct axvm_x86_vcpu *x = vcpu->arch;

	if (x->apic && axvm_lapic_enabled(x->apic))
		axvm_lapic_lint1(x->apic);
	else
		axvm_x86_nmi_send(x);
	return 0;
}
