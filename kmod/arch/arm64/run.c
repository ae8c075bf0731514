// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 guest runs: switch the EL1, EL2, FP/SIMD, timer and GIC state
 * around one entry. Under VHE the guest's EL1 registers are reached
 * through their _EL12/_EL02 names; the EL0 registers, TPIDR_EL1 and
 * PAR_EL1 are shared with the host and swapped, and SP_EL0 by entry.S.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <asm/daifflags.h>
#include <asm/kvm_arm.h>
#include <asm/neon.h>
#include <asm/sysreg.h>

#include "arm64.h"

/*
 * Who may own this CPU's guest TLB entries: the vCPU that ran here last,
 * and the VTTBR_EL2 it left. axvm leaves its VTTBR_EL2 (and VTCR_EL2) in
 * place after a run: the host runs with TGE set and never uses them, and
 * KVM writes both before any use of its own, so finding the same value
 * at the next entry proves that nothing else used stage 2 here since.
 */
struct axvm_arm64_tlb_owner {
	u64 vttbr;
	u64 vcpu;		/* axvm_arm64_vcpu.serial; 0: none yet */
};

static DEFINE_PER_CPU(struct axvm_arm64_tlb_owner, axvm_arm64_tlb_owner);

/* What the host had in the registers a run changes. */
struct axvm_arm64_host {
	u64 hcr, cptr, mdcr, cnthctl, cntvoff, vttbr;
	u64 tpidr_el0, tpidrro_el0, tpidr_el1, par;
};

/* CPTR_EL2 in its E2H (CPACR) layout: SVE and SME stay trapped. */
#define AXVM_ARM64_CPTR_FPEN		(3UL << 20)
#define AXVM_ARM64_CPTR_ZEN		(3UL << 16)
#define AXVM_ARM64_CPTR_SMEN		(3UL << 24)
/*
 * CNTHCTL_EL2 with E2H: EL1 may read the physical counter; its physical
 * timer only when the vCPU owns it (AXVM_VCPU_PASSTHROUGH_TIMER).
 */
#define AXVM_ARM64_CNTHCTL_EL1PCTEN	BIT(10)
#define AXVM_ARM64_CNTHCTL_EL1PTEN	BIT(11)

static void axvm_arm64_save_host(struct axvm_arm64_host *h)
{
	h->hcr = read_sysreg(hcr_el2);
	h->cptr = read_sysreg(cpacr_el1);
	h->mdcr = read_sysreg(mdcr_el2);
	h->cnthctl = read_sysreg(cnthctl_el2);
	h->cntvoff = read_sysreg(cntvoff_el2);
	h->vttbr = read_sysreg(vttbr_el2);
	h->tpidr_el0 = read_sysreg(tpidr_el0);
	h->tpidrro_el0 = read_sysreg(tpidrro_el0);
	h->tpidr_el1 = read_sysreg(tpidr_el1);
	h->par = read_sysreg(par_el1);
}

static void axvm_arm64_restore_host(const struct axvm_arm64_host *h)
{
	write_sysreg(h->hcr, hcr_el2);
	isb();
	write_sysreg(h->cptr, cpacr_el1);
	write_sysreg(h->mdcr, mdcr_el2);
	write_sysreg(h->cnthctl, cnthctl_el2);
	write_sysreg(h->cntvoff, cntvoff_el2);
	/* VTTBR_EL2 and VTCR_EL2 stay the guest's: see the TLB owner. */
	write_sysreg(h->tpidr_el0, tpidr_el0);
	write_sysreg(h->tpidrro_el0, tpidrro_el0);
	write_sysreg(h->tpidr_el1, tpidr_el1);
	write_sysreg(h->par, par_el1);
	isb();
}

static void axvm_arm64_load_guest(struct axvm_arm64_vcpu *a, u64 vttbr,
				  const struct axvm_arm64_host *h)
{
	const u64 *r = a->sysregs;

	write_sysreg_s(r[AXVM_ARM64_SCTLR], SYS_SCTLR_EL12);
	write_sysreg_s(r[AXVM_ARM64_TTBR0], SYS_TTBR0_EL12);
	write_sysreg_s(r[AXVM_ARM64_TTBR1], SYS_TTBR1_EL12);
	write_sysreg_s(r[AXVM_ARM64_TCR], SYS_TCR_EL12);
	write_sysreg_s(r[AXVM_ARM64_MAIR], SYS_MAIR_EL12);
	write_sysreg_s(r[AXVM_ARM64_AMAIR], SYS_AMAIR_EL12);
	write_sysreg_s(r[AXVM_ARM64_VBAR], SYS_VBAR_EL12);
	write_sysreg_s(r[AXVM_ARM64_ESR], SYS_ESR_EL12);
	write_sysreg_s(r[AXVM_ARM64_FAR], SYS_FAR_EL12);
	write_sysreg_s(r[AXVM_ARM64_ELR], SYS_ELR_EL12);
	write_sysreg_s(r[AXVM_ARM64_SPSR], SYS_SPSR_EL12);
	write_sysreg_s(r[AXVM_ARM64_CPACR], SYS_CPACR_EL12);
	write_sysreg_s(r[AXVM_ARM64_CONTEXTIDR], SYS_CONTEXTIDR_EL12);
	write_sysreg_s(r[AXVM_ARM64_CNTKCTL], SYS_CNTKCTL_EL12);
	/* The guest's virtual counter is the physical one. */
	write_sysreg(0, cntvoff_el2);
	write_sysreg_s(r[AXVM_ARM64_CNTV_CVAL], SYS_CNTV_CVAL_EL02);
	write_sysreg_s(r[AXVM_ARM64_CNTV_CTL], SYS_CNTV_CTL_EL02);
	/*
	 * A VHE host's own timer is EL2's (CNTHP, which its CNTP accesses
	 * reach with E2H): the EL1 physical timer is free for a guest that
	 * owns it, as KVM's direct ptimer on VHE.
	 */
	if (a->ptimer_direct) {
		write_sysreg_s(r[AXVM_ARM64_CNTP_CVAL], SYS_CNTP_CVAL_EL02);
		write_sysreg_s(r[AXVM_ARM64_CNTP_CTL], SYS_CNTP_CTL_EL02);
	}
	write_sysreg(r[AXVM_ARM64_TPIDR_EL1], tpidr_el1);
	write_sysreg(r[AXVM_ARM64_TPIDR_EL0], tpidr_el0);
	write_sysreg(r[AXVM_ARM64_TPIDRRO_EL0], tpidrro_el0);
	write_sysreg(r[AXVM_ARM64_PAR], par_el1);
	/* Not trapped: without these a guest would read another's values. */
	write_sysreg_s(r[AXVM_ARM64_AFSR0], SYS_AFSR0_EL12);
	write_sysreg_s(r[AXVM_ARM64_AFSR1], SYS_AFSR1_EL12);
	write_sysreg(r[AXVM_ARM64_CSSELR], csselr_el1);
	write_sysreg(r[AXVM_ARM64_MPIDR], vmpidr_el2);
	write_sysreg(read_cpuid_id(), vpidr_el2);
	write_sysreg(a->sp_el1, sp_el1);
	write_sysreg(a->pc, elr_el2);
	write_sysreg(a->pstate, spsr_el2);

	write_sysreg(vttbr, vttbr_el2);
	write_sysreg(axvm_arm64_vtcr, vtcr_el2);
	/*
	 * Stage 2 in place before TGE clears (below): Cortex-A76/A55 errata
	 * 1165522/1530923 may otherwise walk speculatively with a stale
	 * VTTBR (KVM's __load_stage2 has the same ISB).
	 */
	isb();
	/*
	 * Debug, PMU, SPE-profiling and trace-filter registers trap
	 * (debug.c answers the first); the host's HPMN stays, as KVM's
	 * kvm_arm_setup_mdcr_el2() does: the guest must not reprogram an
	 * SPE or trace session of the host's. TDE clear: the guest's debug
	 * exceptions are its own, taken at its EL1.
	 */
	write_sysreg((h->mdcr | MDCR_EL2_TDRA | MDCR_EL2_TDOSA | MDCR_EL2_TDA |
		      MDCR_EL2_TPM | MDCR_EL2_TPMCR | MDCR_EL2_TPMS |
		      MDCR_EL2_TTRF) & ~MDCR_EL2_TDE, mdcr_el2);
	write_sysreg((h->cnthctl & ~AXVM_ARM64_CNTHCTL_EL1PTEN) |
		     AXVM_ARM64_CNTHCTL_EL1PCTEN |
		     (a->ptimer_direct ? AXVM_ARM64_CNTHCTL_EL1PTEN : 0),
		     cnthctl_el2);
	/*
	 * FP/SIMD is the guest's own; SVE and SME trap (unhandled exit), so
	 * do the activity monitors (TAM: the host's frequency-invariance
	 * counters) and the trace unit (TTA), as in KVM's __activate_traps.
	 */
	write_sysreg((h->cptr | AXVM_ARM64_CPTR_FPEN | CPTR_EL2_TAM |
		      CPACR_EL1_TTA) &
		     ~(AXVM_ARM64_CPTR_ZEN | AXVM_ARM64_CPTR_SMEN), cpacr_el1);
	/* The RAS error records are the host's: TERR traps them. */
	write_sysreg(HCR_GUEST_FLAGS | HCR_E2H |
		     (axvm_arm64_has_ras ? HCR_TERR : 0), hcr_el2);
	isb();
}

static void axvm_arm64_save_guest(struct axvm_arm64_vcpu *a)
{
	u64 *r = a->sysregs;

	r[AXVM_ARM64_SCTLR] = read_sysreg_s(SYS_SCTLR_EL12);
	r[AXVM_ARM64_TTBR0] = read_sysreg_s(SYS_TTBR0_EL12);
	r[AXVM_ARM64_TTBR1] = read_sysreg_s(SYS_TTBR1_EL12);
	r[AXVM_ARM64_TCR] = read_sysreg_s(SYS_TCR_EL12);
	r[AXVM_ARM64_MAIR] = read_sysreg_s(SYS_MAIR_EL12);
	r[AXVM_ARM64_AMAIR] = read_sysreg_s(SYS_AMAIR_EL12);
	r[AXVM_ARM64_VBAR] = read_sysreg_s(SYS_VBAR_EL12);
	r[AXVM_ARM64_ESR] = read_sysreg_s(SYS_ESR_EL12);
	r[AXVM_ARM64_FAR] = read_sysreg_s(SYS_FAR_EL12);
	r[AXVM_ARM64_ELR] = read_sysreg_s(SYS_ELR_EL12);
	r[AXVM_ARM64_SPSR] = read_sysreg_s(SYS_SPSR_EL12);
	r[AXVM_ARM64_CPACR] = read_sysreg_s(SYS_CPACR_EL12);
	r[AXVM_ARM64_CONTEXTIDR] = read_sysreg_s(SYS_CONTEXTIDR_EL12);
	r[AXVM_ARM64_CNTKCTL] = read_sysreg_s(SYS_CNTKCTL_EL12);
	r[AXVM_ARM64_CNTV_CVAL] = read_sysreg_s(SYS_CNTV_CVAL_EL02);
	/* ISTATUS is the hardware's: keep ENABLE and IMASK only. */
	r[AXVM_ARM64_CNTV_CTL] = read_sysreg_s(SYS_CNTV_CTL_EL02) & 3;
	/* The guest's timers must not fire at the host. */
	write_sysreg_s(0, SYS_CNTV_CTL_EL02);
	if (a->ptimer_direct) {
		r[AXVM_ARM64_CNTP_CVAL] = read_sysreg_s(SYS_CNTP_CVAL_EL02);
		r[AXVM_ARM64_CNTP_CTL] = read_sysreg_s(SYS_CNTP_CTL_EL02) & 3;
		write_sysreg_s(0, SYS_CNTP_CTL_EL02);
	}
	r[AXVM_ARM64_TPIDR_EL1] = read_sysreg(tpidr_el1);
	r[AXVM_ARM64_TPIDR_EL0] = read_sysreg(tpidr_el0);
	r[AXVM_ARM64_TPIDRRO_EL0] = read_sysreg(tpidrro_el0);
	r[AXVM_ARM64_PAR] = read_sysreg(par_el1);
	r[AXVM_ARM64_AFSR0] = read_sysreg_s(SYS_AFSR0_EL12);
	r[AXVM_ARM64_AFSR1] = read_sysreg_s(SYS_AFSR1_EL12);
	r[AXVM_ARM64_CSSELR] = read_sysreg(csselr_el1);
	a->sp_el1 = read_sysreg(sp_el1);
}

/*
 * After the guest's VTTBR_EL2 and HCR_EL2 (TGE clear) are in: drop this
 * CPU's stage-1 and stage-2 entries of the VMID when someone other than
 * this vCPU may have made them. That is another vCPU of the VM (its own
 * stage 1 under the same VMID, as KVM flushes in kvm_arch_vcpu_load), a
 * VM before this one as VMID 0, or KVM, whose TLB maintenance runs
 * briefly as VMID 0 and whose guests' VMIDs are not axvm's to know.
 */
static void axvm_arm64_tlb_claim(const struct axvm_arm64_vcpu *a,
				 u64 found, u64 vttbr)
{
	struct axvm_arm64_tlb_owner *o = this_cpu_ptr(&axvm_arm64_tlb_owner);

	if (o->vttbr != found || o->vcpu != a->serial) {
		dsb(nshst);
		__tlbi(vmalls12e1);
		asm volatile("ic iallu");
		dsb(nsh);
		isb();
	}
	o->vttbr = vttbr;
	o->vcpu = a->serial;
}

/*
 * The faulting IPA of a stage-2 abort, in HPFAR_EL2's format. HPFAR_EL2
 * holds it for translation and access-flag faults and for faults on a
 * stage-1 walk; for a permission fault it is UNKNOWN (Arm ARM, the
 * HPFAR_EL2 description). There FAR_EL2 goes through the guest's stage 1
 * with AT S1E1R while its EL1 regime and HCR_EL2 are still loaded (host
 * state comes back in axvm_arm64_restore_host()), as KVM's
 * __get_fault_info() does. False when that walk fails now (the guest
 * changed its tables meanwhile): the access is simply retried.
 */
static bool axvm_arm64_fault_ipa(struct axvm_arm64_exit *e)
{
	u64 ec = ESR_ELx_EC(e->esr), par, saved;

	if ((ec != ESR_ELx_EC_DABT_LOW && ec != ESR_ELx_EC_IABT_LOW) ||
	    (e->esr & ESR_ELx_S1PTW) ||
	    (e->esr & ESR_ELx_FSC_TYPE) != ESR_ELx_FSC_PERM)
		return true;
	saved = read_sysreg_par();
	asm volatile("at s1e1r, %0" : : "r" (e->far));
	isb();
	par = read_sysreg_par();
	write_sysreg(saved, par_el1);
	if (par & SYS_PAR_EL1_F)
		return false;
	e->hpfar = PAR_TO_HPFAR(par);
	return true;
}

/*
 * One entry. Interrupts stay masked from before the guest state is loaded
 * until the host's is back; a host interrupt that ended the run is taken
 * right after. FP/SIMD belongs to the guest between kernel_neon_begin()
 * and kernel_neon_end(), which saved the task's own state first.
 */
/* One guest run; -EAGAIN when this CPU no longer holds EL2 for axvm. */
static int axvm_arm64_enter(struct axvm_vcpu *vcpu, struct axvm_arm64_exit *e)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	struct axvm_arm64_vm *vm = vcpu->vm->arch;
	struct axvm_arm64_debug host_debug;
	struct axvm_arm64_host host;
	unsigned long flags;
	u64 vttbr, seq;
	u32 ppi_held;
	bool debug;
	u32 vmid, watched;

	for (;;) {
		vmid = axvm_arm64_vmid0 ? 0 : axvm_vmid_update(&vm->vmid);
		kernel_neon_begin();
		flags = local_daif_save();
		if (likely(axvm_arm64_vmid0 || axvm_vmid_current(&vm->vmid)))
			break;
		/* A rollover came in between: take its IPI, then a new VMID. */
		local_daif_restore(flags);
		kernel_neon_end();
	}
	/* Given back (CPU going offline, host rebooting): no entry. */
	if (!axvm_cpu_virt_on()) {
		local_daif_restore(flags);
		kernel_neon_end();
		return -EAGAIN;
	}
	/* Interrupts are off: this stays the CPU until the exit. */
	seq = this_cpu_read(axvm_arm64_exit_seq);
	ppi_held = axvm_arm64_timer_ppi_hold(a);
	axvm_vcpu_guest_enter(vcpu);
	watched = axvm_arm64_vgic_load(vcpu, axvm_arm64_timer_lines(a));
	/*
	 * The hrtimer ends the run at the next deadline; a timer whose
	 * interrupt is listed for an EOI maintenance interrupt needs none.
	 * Armed with interrupts off, it fires at the host once the guest
	 * runs, which is the exit it is for.
	 */
	axvm_arm64_timer_start(a, watched);
	__axvm_arm64_fpsimd_load(&a->fp);
	axvm_arm64_save_host(&host);
	vttbr = axvm_arm64_vttbr(vcpu->vm, vmid);
	axvm_arm64_load_guest(a, vttbr, &host);
	axvm_arm64_tlb_claim(a, host.vttbr, vttbr);
	/* PSTATE.D is set: no debug exception at EL2 meanwhile. */
	debug = axvm_arm64_debug_load(a, &host_debug);

	/*
	 * SP_EL0 (the host's current) is switched in the assembly, which
	 * also runs this CPU's Spectre-v2/BHB sequence after the exit.
	 */
	if (unlikely(read_sysreg(isr_el1))) {
		/*
		 * An IRQ, FIQ or SError is pending at EL2 already: entered,
		 * the guest would exit for it at once, and an SError of the
		 * host's would end the guest as its own and be lost to the
		 * host. No entry: the host takes it once DAIF is restored,
		 * as after KVM's __guest_enter ISR_EL1 check.
		 */
		e->code = AXVM_ARM64_EXIT_IRQ;
	} else {
		e->code = __axvm_arm64_enter(a->x,
					     &a->sysregs[AXVM_ARM64_SP_EL0],
					     seq);
		e->esr = read_sysreg(esr_el2);
		e->far = read_sysreg(far_el2);
		e->hpfar = read_sysreg(hpfar_el2);
		e->ipa_unknown = e->code == AXVM_ARM64_EXIT_SYNC &&
				 !axvm_arm64_fault_ipa(e);
		a->pc = read_sysreg(elr_el2);
		a->pstate = read_sysreg(spsr_el2);
	}
	axvm_arm64_debug_put(&host_debug, debug);
	axvm_arm64_save_guest(a);
	axvm_arm64_restore_host(&host);
	__axvm_arm64_fpsimd_save(&a->fp);
	axvm_arm64_vgic_save(a);
	axvm_vcpu_guest_exit(vcpu);
	axvm_arm64_timer_ppi_release(ppi_held);
	local_daif_restore(flags);
	kernel_neon_end();

	axvm_arm64_timer_stop(a);
	return 0;
}

int axvm_arch_vcpu_run(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_exit e;
	int ret;

	axvm_arm64_power_on(vcpu);
	axvm_arm64_complete(vcpu);
	ret = axvm_arm64_enter(vcpu, &e);
	if (ret)
		return ret;
	return axvm_arm64_handle_exit(vcpu, &e);
}
