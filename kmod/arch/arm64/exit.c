// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 exits: why the guest came back, decoded from ESR_EL2, handled in
 * the kernel where that is possible (stage-2 faults on RAM, PSCI, WFI
 * with a wake source) and otherwise turned into the run page's exit.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/bitfield.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <uapi/linux/psci.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>

#include "arm64.h"

int axvm_arm64_internal(struct axvm_vcpu *vcpu,
			const struct axvm_arm64_exit *e)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	struct axvm_run *run = vcpu->run;

	run->internal.suberror = AXVM_INTERNAL_UNHANDLED_EXIT;
	run->internal.ndata = 5;
	run->internal.data[0] = e->code;
	run->internal.data[1] = e->esr;
	run->internal.data[2] = e->far;
	run->internal.data[3] = e->hpfar;
	run->internal.data[4] = a->pc;
	return AXVM_EXIT_INTERNAL_ERROR;
}

/* Register n of a load/store or system instruction: 31 is XZR here. */
u64 axvm_arm64_get_x(struct axvm_arm64_vcpu *a, unsigned int n)
{
	return n == 31 ? 0 : a->x[n];
}

void axvm_arm64_set_x(struct axvm_arm64_vcpu *a, unsigned int n, u64 v)
{
	if (n != 31)
		a->x[n] = v;
}

/* A data abort outside guest RAM, with a valid syndrome: MMIO. */
static int axvm_arm64_mmio(struct axvm_vcpu *vcpu,
			   const struct axvm_arm64_exit *e, u64 ipa)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	struct axvm_run *run = vcpu->run;
	unsigned int len = 1U << ((e->esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
	unsigned int srt = (e->esr & ESR_ELx_SRT_MASK) >> ESR_ELx_SRT_SHIFT;
	u64 mask = len == 8 ? ~0ULL : BIT_ULL(len * 8) - 1;
	u64 val;

	/*
	 * Pairs, writebacks and the like carry no syndrome to emulate: the
	 * guest gets the external abort a bus with nothing to decode them
	 * would give.
	 */
	if (!(e->esr & ESR_ELx_ISV)) {
		axvm_arm64_inject_abort(a, true, e->far,
					e->esr & ESR_ELx_WNR);
		return AXVM_EXIT_MMIO | AXVM_ARCH_EXIT_HANDLED;
	}

	val = (e->esr & ESR_ELx_WNR) ? axvm_arm64_get_x(a, srt) & mask : 0;
	if (axvm_vgic_mmio(vcpu, ipa, len, e->esr & ESR_ELx_WNR, &val)) {
		if (!(e->esr & ESR_ELx_WNR)) {
			val = axvm_mmio_read_value(val, len,
						   e->esr & ESR_ELx_SSE);
			if (!(e->esr & ESR_ELx_SF))
				val &= U32_MAX;
			axvm_arm64_set_x(a, srt, val);
		}
		a->pc += 4;
		return AXVM_EXIT_MMIO | AXVM_ARCH_EXIT_HANDLED;
	}

	run->mmio.phys_addr = ipa;
	run->mmio.len = len;
	run->mmio.is_write = !!(e->esr & ESR_ELx_WNR);
	run->mmio.sign_extend = !!(e->esr & ESR_ELx_SSE);
	run->mmio.reg = srt;
	if (run->mmio.is_write) {
		run->mmio.data = axvm_arm64_get_x(a, srt) & mask;
	} else {
		run->mmio.data = 0;
		a->pending = AXVM_EXIT_MMIO;
		a->pending_reg = srt;
		a->pending_len = len;
		a->pending_sse = run->mmio.sign_extend;
		a->pending_sf = !!(e->esr & ESR_ELx_SF);
	}
	a->pc += 4;
	return AXVM_EXIT_MMIO;
}

static int axvm_arm64_abort(struct axvm_vcpu *vcpu,
			    const struct axvm_arm64_exit *e, bool data)
{
	u64 ipa = ((e->hpfar & HPFAR_MASK) << 8) | (e->far & ~PAGE_MASK);
	u64 fsc = e->esr & ESR_ELx_FSC_TYPE;
	bool write = data && (e->esr & ESR_ELx_WNR) &&
		     !(e->esr & (ESR_ELx_S1PTW | ESR_ELx_CM));
	int ret;

	if (fsc != ESR_ELx_FSC_FAULT && fsc != ESR_ELx_FSC_PERM &&
	    fsc != ESR_ELx_FSC_ACCESS)
		return axvm_arm64_internal(vcpu, e);
	/* No IPA for this permission fault now: let the guest retry. */
	if (e->ipa_unknown)
		return AXVM_EXIT_STAGE2_FAULT;

	/*
	 * A stage-1 walk may write the guest's access and dirty flags
	 * (FEAT_HAFDBS), and the ESR does not say whether this one would:
	 * map the table page writable, as KVM treats every S1PTW fault as a
	 * write, or read-only when the region is (a walk needs RAM only).
	 */
	if (e->esr & ESR_ELx_S1PTW) {
		ret = axvm_mem_fault(vcpu, ipa, AXVM_NPF_WRITE);
		if (ret == -EROFS)
			ret = axvm_mem_fault(vcpu, ipa, AXVM_NPF_READ);
	} else {
		ret = axvm_mem_fault(vcpu, ipa,
				     write ? AXVM_NPF_WRITE :
				     data ? AXVM_NPF_READ : AXVM_NPF_EXEC);
	}
	if (ret > 0)
		return ret;
	if (!ret)
		return AXVM_EXIT_STAGE2_FAULT;
	/*
	 * The guest's GICv2 CPU interface: the host's GICV, mapped now for
	 * data accesses (an instruction fetch or a table walk there is the
	 * external abort below, as from any device memory: XN).
	 */
	if (ret == -ENOENT && data && !(e->esr & ESR_ELx_S1PTW) &&
	    axvm_vgic_cpuif_map(vcpu, ipa))
		return AXVM_EXIT_STAGE2_FAULT;
	if (ret != -ENOENT && ret != -EROFS)
		return ret;
	/*
	 * Instruction fetches and stage-1 walks need memory, not MMIO:
	 * outside it the guest takes an external abort of the access's own
	 * kind, as from a bus with nothing there (KVM injects the same).
	 */
	if (!data || e->esr & ESR_ELx_S1PTW) {
		axvm_arm64_inject_abort(vcpu->arch, data, e->far,
					data && (e->esr & ESR_ELx_WNR));
		return AXVM_EXIT_STAGE2_FAULT | AXVM_ARCH_EXIT_HANDLED;
	}
	/* Cache maintenance by VA of what is not memory does nothing. */
	if (e->esr & ESR_ELx_CM) {
		((struct axvm_arm64_vcpu *)vcpu->arch)->pc += 4;
		return AXVM_EXIT_MMIO | AXVM_ARCH_EXIT_HANDLED;
	}
	return axvm_arm64_mmio(vcpu, e, ipa);
}

/*
 * AXVM_CAP_USER_IPI: a write of ICC_SGI1R_EL1 (GICv3 12.2.22) as the
 * exit. IRM 1 is every PE but the sender; else the targets are the PEs
 * Aff3.Aff2.Aff1.(RS * 16 + n) for each bit n of TargetList, given as
 * that base (Aff0 RS * 16) and the list. The VMM makes INTID pending on
 * each: AXVM_INJECT_IRQ.
 */
static int axvm_arm64_user_sgi(struct axvm_vcpu *vcpu, u64 val)
{
	struct axvm_run *run = vcpu->run;
	bool irm = val & BIT_ULL(ICC_SGI1R_IRQ_ROUTING_MODE_BIT);

	memset(&run->ipi, 0, sizeof(run->ipi));
	run->ipi.vector = FIELD_GET(ICC_SGI1R_SGI_ID_MASK, val);
	run->ipi.send_to_all = irm;
	if (!irm) {
		run->ipi.target_cpu = axvm_vgic_sgi1r_base(val);
		run->ipi.target_cpu_aux =
			FIELD_GET(ICC_SGI1R_TARGET_LIST_MASK, val);
	}
	return AXVM_EXIT_IPI;
}

static int axvm_arm64_sysreg(struct axvm_vcpu *vcpu,
			     const struct axvm_arm64_exit *e)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	struct axvm_run *run = vcpu->run;
	u64 iss = e->esr, val;
	unsigned int rt = ESR_ELx_SYS64_ISS_RT(iss);
	u32 op0 = (iss >> 20) & 3, op1 = (iss >> 14) & 7, crn = (iss >> 10) & 15;
	u32 crm = (iss >> 1) & 15, op2 = (iss >> 17) & 7;

	a->pc += 4;
	if ((iss & ESR_ELx_SYS64_ISS_DIR_READ) &&
	    axvm_arm64_idreg_read(op0, op1, crn, crm, op2, &val)) {
		axvm_arm64_set_x(a, rt, val);
		return AXVM_EXIT_SYSREG | AXVM_ARCH_EXIT_HANDLED;
	}
	val = axvm_arm64_get_x(a, rt);
	if (axvm_arm64_ptimer_access(a, op0, op1, crn, crm, op2,
				     !(iss & ESR_ELx_SYS64_ISS_DIR_READ),
				     &val) ||
	    axvm_arm64_debug_access(a, op0, op1, crn, crm, op2,
				    !(iss & ESR_ELx_SYS64_ISS_DIR_READ),
				    &val)) {
		if (iss & ESR_ELx_SYS64_ISS_DIR_READ)
			axvm_arm64_set_x(a, rt, val);
		return AXVM_EXIT_SYSREG | AXVM_ARCH_EXIT_HANDLED;
	}
	/*
	 * ICC_SGI1R_EL1 and ICC_ASGI1R_EL1 trap with HCR_EL2.IMO set. With
	 * the VMM's IPIs (and no distributor), only SGI1R is one: Group 1
	 * of this Security state, what the vCPUs' list registers carry;
	 * ASGI1R and SGI0R stay sysreg exits.
	 */
	if (vcpu->vm->user_ipi && op0 == 3 && op1 == 0 && crn == 12 &&
	    crm == 11 && op2 == 5 && !(iss & ESR_ELx_SYS64_ISS_DIR_READ))
		return axvm_arm64_user_sgi(vcpu, axvm_arm64_get_x(a, rt));
	if (axvm_vgic_has_dist(vcpu) && op0 == 3 && op1 == 0 && crn == 12 &&
	    crm == 11 && (op2 == 5 || op2 == 6 || op2 == 7)) {
		if (iss & ESR_ELx_SYS64_ISS_DIR_READ)
			axvm_arm64_set_x(a, rt, 0);
		else if (op2 != 7)	/* SGI0R: group 0 does not exist */
			axvm_vgic_sgi(vcpu, axvm_arm64_get_x(a, rt));
		return AXVM_EXIT_SYSREG | AXVM_ARCH_EXIT_HANDLED;
	}

	run->sysreg.id = AXVM_SYSREG_ARM64(op0, op1, crn, crm, op2);
	run->sysreg.reg = rt;
	run->sysreg.is_write = !(iss & ESR_ELx_SYS64_ISS_DIR_READ);
	if (run->sysreg.is_write) {
		run->sysreg.value = axvm_arm64_get_x(a, rt);
	} else {
		run->sysreg.value = 0;
		a->pending = AXVM_EXIT_SYSREG;
		a->pending_reg = rt;
	}
	return AXVM_EXIT_SYSREG;
}

/* What ends a WFI in the kernel: a pending interrupt, the timer's too. */
static bool axvm_arm64_wake_pending(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;

	return axvm_arm64_vgic_pending(vcpu, axvm_arm64_timer_lines(a));
}

/*
 * What a WFI waits for (PSCI CPU_SUSPEND too): sleep in the kernel while
 * something in it can end the wait (the timer is armed, or an interrupt
 * is already there); otherwise userspace decides.
 */
int axvm_arm64_wait_for_interrupt(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;

	if (axvm_arm64_wake_pending(vcpu))
		return AXVM_EXIT_HALT | AXVM_ARCH_EXIT_HANDLED;
	/* With the in-kernel GIC every wake source is in the kernel. */
	if (!axvm_arm64_timer_armed(a) && !axvm_vgic_has_dist(vcpu))
		return AXVM_EXIT_HALT;

	/*
	 * A timer already expired stays so while the guest waits: only the
	 * deadlines still to come can end the wait.
	 */
	axvm_arm64_timer_start(a, axvm_arm64_timer_lines(a));
	/* A signal ends the sleep too; the run loop then returns EINTR. */
	axvm_vcpu_block(vcpu, axvm_arm64_wake_pending);
	axvm_arm64_timer_stop(a);
	return AXVM_EXIT_HALT | AXVM_ARCH_EXIT_HANDLED;
}

/* WFE is a hint that may complete at any time: yield instead. */
static int axvm_arm64_wfx(struct axvm_vcpu *vcpu,
			  const struct axvm_arm64_exit *e)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;

	a->pc += 4;
	if (e->esr & ESR_ELx_WFx_ISS_WFE) {
		cond_resched();
		return AXVM_EXIT_HALT | AXVM_ARCH_EXIT_HANDLED;
	}
	return axvm_arm64_wait_for_interrupt(vcpu);
}

int axvm_arm64_handle_exit(struct axvm_vcpu *vcpu,
			   const struct axvm_arm64_exit *e)
{
	switch (e->code) {
	case AXVM_ARM64_EXIT_IRQ:
	case AXVM_ARM64_EXIT_FIQ:
		return AXVM_EXIT_EXTERNAL_INTERRUPT;
	case AXVM_ARM64_EXIT_SYNC:
		break;
	default:
		return axvm_arm64_internal(vcpu, e);
	}

	switch (ESR_ELx_EC(e->esr)) {
	case ESR_ELx_EC_DABT_LOW:
		return axvm_arm64_abort(vcpu, e, true);
	case ESR_ELx_EC_IABT_LOW:
		return axvm_arm64_abort(vcpu, e, false);
	case ESR_ELx_EC_HVC64:
		return axvm_arm64_smccc(vcpu, e->esr);
	case ESR_ELx_EC_SMC64:
		/* A trapped SMC returns to itself: step over it. */
		((struct axvm_arm64_vcpu *)vcpu->arch)->pc += 4;
		return axvm_arm64_smccc(vcpu, e->esr);
	case ESR_ELx_EC_WFx:
		return axvm_arm64_wfx(vcpu, e);
	case ESR_ELx_EC_SYS64:
		return axvm_arm64_sysreg(vcpu, e);
	default:
		return axvm_arm64_internal(vcpu, e);
	}
}

/* Results userspace left in the run page for the last exit. */
void axvm_arm64_complete(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	struct axvm_run *run = vcpu->run;
	u64 v;

	switch (a->pending) {
	case AXVM_EXIT_MMIO:
		v = axvm_mmio_read_value(READ_ONCE(run->mmio.data),
					 a->pending_len, a->pending_sse);
		if (!a->pending_sf)
			v &= U32_MAX;
		axvm_arm64_set_x(a, a->pending_reg, v);
		break;
	case AXVM_EXIT_SYSREG:
		axvm_arm64_set_x(a, a->pending_reg,
				 READ_ONCE(run->sysreg.value));
		break;
	case AXVM_EXIT_HYPERCALL:
		a->x[0] = READ_ONCE(run->hypercall.ret);
		break;
	case AXVM_EXIT_CPU_UP:
		a->x[0] = READ_ONCE(run->cpu_up.ret);
		axvm_arm64_psci_cpu_on_done(vcpu, a->pending_target,
					    a->x[0] == PSCI_RET_SUCCESS);
		break;
	}
	a->pending = 0;
}
