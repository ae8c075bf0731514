// SPDX-License-Identifier: GPL-2.0
/*
 * SVM guest runs: one VMCB per vCPU, built once with the intercepts and
 * nested paging, the guest's registers copied into it before every VMRUN
 * and back after, and the exit decoded. A vCPU's ASID comes from the
 * generation allocator (kmod/vmid.c); it is flushed when the vCPU moves
 * to another CPU or the VM's nested page table lost entries, and every
 * ASID is flushed on a CPU after a rollover.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/io.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/special_insns.h>
#include <asm/svm.h>
#include <asm/trap_pf.h>
#include <asm/trapnr.h>

#include "decode.h"
#include "x86.h"

struct axvm_svm_vcpu {
	struct vmcb *vmcb;
	phys_addr_t vmcb_pa;
	struct axvm_vmid asid;
	int last_cpu;		/* -1: never ran */
	u32 flush_seen;		/* the VM's flush count at the last entry */
	bool lme_hidden;	/* the VMCB holds EFER.LME clear (TCG) */
};

/* A rollover: the next VMRUN on this CPU flushes every ASID. */
static DEFINE_PER_CPU(bool, axvm_svm_flush_all);

/* Instruction lengths for the exits that have no NRIP on this CPU. */
#define AXVM_SVM_LEN_CPUID	2
#define AXVM_SVM_LEN_HLT	1
#define AXVM_SVM_LEN_MSR	2
#define AXVM_SVM_LEN_VMMCALL	3
#define AXVM_SVM_LEN_INVD	2

/* Nested page fault error code (EXITINFO1). */
#define AXVM_SVM_NPF_WRITE	BIT_ULL(1)
#define AXVM_SVM_NPF_FETCH	BIT_ULL(4)
#define AXVM_SVM_NPF_WALK	BIT_ULL(33)	/* the guest's page tables */

static void axvm_svm_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void axvm_svm_no_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

void axvm_svm_vmid_rollover(void)
{
	this_cpu_write(axvm_svm_flush_all, true);
}

int axvm_svm_vm_init(struct axvm_vm *vm)
{
	struct axvm_x86_vm *svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);

	vm->arch = svm;
	return svm ? 0 : -ENOMEM;
}

void axvm_svm_vm_destroy(struct axvm_vm *vm)
{
	kfree(vm->arch);
	vm->arch = NULL;
}

/* The IPI itself is the message: the guest exits to take it. */
static void axvm_svm_flush_ipi(void *unused)
{
}

/*
 * Entries left the nested page table: every vCPU flushes its ASID before
 * it enters again (it reads the count after guest_enter()'s barrier),
 * and none is still in the guest when this returns: a CPU takes the IPI
 * only after a #VMEXIT. Callable under a spinlock (the MMU notifier),
 * so no vCPU list lock: every CPU is sent the IPI.
 */
void axvm_svm_vm_flush(struct axvm_vm *vm)
{
	struct axvm_x86_vm *svm = vm->arch;

	atomic_inc(&svm->flushes);
	/* The count before the IPIs: pairs with guest_enter()'s barrier. */
	smp_mb__after_atomic();
	on_each_cpu(axvm_svm_flush_ipi, NULL, 1);
}

/*
 * The intercepts every guest has, deny by default (APM 15.9-15.13, and
 * what KVM sets in init_vmcb()); ports and MSRs all go through maps.
 * Every MOV DR, so that guests never read the host's DR0-3; #DB and #AC,
 * so that one raised by its own delivery cannot loop inside the CPU
 * (axvm_x86_exception_exit()); #MC, the host's; RDPMC (the host's
 * counters), WBINVD and INVD (the host's caches). CR8 needs none: with
 * V_INTR_MASKING a guest's CR8 is its V_TPR, never the host's TPR.
 * Task switches, as VMX always makes them exit and KVM intercepts them:
 * axvm does not emulate one, so the guest's hardware task switch ends
 * the run as an internal error instead of running on state no backend
 * checked (QEMU's own emulation aborts on an invalid TSS type).
 */
static const u16 axvm_svm_intercepts[] = {
	INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_CPUID,
	INTERCEPT_INVD, INTERCEPT_HLT, INTERCEPT_INVLPGA, INTERCEPT_IOIO_PROT,
	INTERCEPT_MSR_PROT, INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN,
	INTERCEPT_VMMCALL, INTERCEPT_VMLOAD, INTERCEPT_VMSAVE, INTERCEPT_STGI,
	INTERCEPT_CLGI, INTERCEPT_SKINIT, INTERCEPT_MONITOR, INTERCEPT_MWAIT,
	INTERCEPT_MWAIT_COND, INTERCEPT_XSETBV, INTERCEPT_RDPRU,
	INTERCEPT_RDPMC, INTERCEPT_WBINVD, INTERCEPT_TASK_SWITCH,
	INTERCEPT_DR0_READ, INTERCEPT_DR1_READ, INTERCEPT_DR2_READ,
	INTERCEPT_DR3_READ, INTERCEPT_DR4_READ, INTERCEPT_DR5_READ,
	INTERCEPT_DR6_READ, INTERCEPT_DR7_READ,
	INTERCEPT_DR0_WRITE, INTERCEPT_DR1_WRITE, INTERCEPT_DR2_WRITE,
	INTERCEPT_DR3_WRITE, INTERCEPT_DR4_WRITE, INTERCEPT_DR5_WRITE,
	INTERCEPT_DR6_WRITE, INTERCEPT_DR7_WRITE,
	INTERCEPT_EXCEPTION_OFFSET + AXVM_X86_DB_VECTOR,
	INTERCEPT_EXCEPTION_OFFSET + AXVM_X86_AC_VECTOR,
	INTERCEPT_EXCEPTION_OFFSET + AXVM_X86_MC_VECTOR,
};

int axvm_svm_vcpu_create(struct axvm_x86_vcpu *x)
{
	struct axvm_svm_vcpu *s;
	struct page *page;
	struct vmcb *vmcb;
	unsigned int i;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!s || !page) {
		kfree(s);
		if (page)
			__free_page(page);
		return -ENOMEM;
	}
	vmcb = page_address(page);
	s->vmcb = vmcb;
	s->vmcb_pa = page_to_phys(page);
	s->last_cpu = -1;

	for (i = 0; i < ARRAY_SIZE(axvm_svm_intercepts); i++)
		axvm_svm_intercept(vmcb, axvm_svm_intercepts[i]);
	vmcb->control.iopm_base_pa = axvm_svm_iopm_pa;
	vmcb->control.msrpm_base_pa = axvm_svm_msrpm_pa;
	vmcb->control.nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	vmcb->control.nested_cr3 = axvm_s2_root(x->vcpu->vm);
	/* The guest's RFLAGS.IF masks virtual interrupts only. */
	vmcb->control.int_ctl = V_INTR_MASKING_MASK;
	x->hw = s;
	return 0;
}

void axvm_svm_vcpu_destroy(struct axvm_x86_vcpu *x)
{
	struct axvm_svm_vcpu *s = x->hw;

	if (!s)
		return;
	__free_page(virt_to_page(s->vmcb));
	kfree(s);
	x->hw = NULL;
}

/* VMX access rights <-> the VMCB's 12-bit attribute; P clear: unusable. */
static u16 axvm_svm_attr(u32 ar)
{
	if (ar & AXVM_X86_AR_UNUSABLE)
		return 0;
	return (ar & 0xff) | ((ar >> 4) & 0xf00);
}

static u32 axvm_svm_ar(u16 attr)
{
	u32 ar = (attr & 0xff) | ((attr & 0xf00) << 4);

	return attr & SVM_SELECTOR_P_MASK ? ar : ar | AXVM_X86_AR_UNUSABLE;
}

static void axvm_svm_seg_to(struct vmcb_seg *v, const struct axvm_x86_seg *s)
{
	v->selector = s->sel;
	v->attrib = axvm_svm_attr(s->attr);
	v->limit = s->limit;
	v->base = s->base;
}

static void axvm_svm_seg_from(struct axvm_x86_seg *s, const struct vmcb_seg *v)
{
	s->sel = v->selector;
	s->attr = axvm_svm_ar(v->attrib);
	s->limit = v->limit;
	s->base = v->base;
}

/*
 * QEMU's TCG (7.2 and later) restores the host's CR0 at #VMEXIT before
 * its CR4 and EFER, and its CR0 load silently drops a PG that EFER.LME
 * with CR4.PAE clear forbids. A guest that exits with LME set, paging off
 * and PAE clear (a state the APM allows: LME only counts when PG is set,
 * 14.6.1) leaves the host with the guest's CR0, paging off, GIF clear:
 * that CPU is lost. KVM under TCG meets the same. So under TCG, in that
 * state, the VMCB holds LME clear, which changes nothing while paging is
 * off (RDMSR of EFER exits and reads the guest's), and the CR0 writes
 * that could set PG exit and are emulated: #GP, as LME demands. While
 * LME is set with paging off, CR4 writes exit too, so that clearing PAE
 * cannot enter that state unseen.
 */
static void axvm_svm_tcg_lme_load(struct axvm_x86_vcpu *x, struct vmcb *vmcb)
{
	struct axvm_svm_vcpu *s = x->hw;
	bool window = axvm_svm_tcg_lme && (x->efer & EFER_LME) &&
		      !(x->cr0 & X86_CR0_PG);

	s->lme_hidden = window && !(x->cr4 & X86_CR4_PAE);
	if (s->lme_hidden) {
		vmcb->save.efer &= ~EFER_LME;
		axvm_svm_intercept(vmcb, INTERCEPT_CR0_WRITE);
	} else {
		axvm_svm_no_intercept(vmcb, INTERCEPT_CR0_WRITE);
	}
	if (window)
		axvm_svm_intercept(vmcb, INTERCEPT_CR4_WRITE);
	else
		axvm_svm_no_intercept(vmcb, INTERCEPT_CR4_WRITE);
}

static void axvm_svm_load(struct axvm_x86_vcpu *x, struct vmcb *vmcb)
{
	struct vmcb_save_area *v = &vmcb->save;
	struct vmcb_seg *segs[AXVM_X86_NR_SEGS] = {
		&v->es, &v->cs, &v->ss, &v->ds, &v->fs, &v->gs, &v->ldtr, &v->tr,
	};
	unsigned int i;

	for (i = 0; i < AXVM_X86_NR_SEGS; i++)
		axvm_svm_seg_to(segs[i], &x->seg[i]);
	v->gdtr.base = x->gdtr_base;
	v->gdtr.limit = x->gdtr_limit;
	v->idtr.base = x->idtr_base;
	v->idtr.limit = x->idtr_limit;
	/* SVM takes the CPL from the VMCB: SS.DPL, 0 in real mode. */
	v->cpl = axvm_x86_cpl(x);
	/* VMRUN insists on SVME in the guest's EFER; the guest never sees it. */
	v->efer = x->efer | EFER_SVME;
	v->cr0 = x->cr0;
	v->cr2 = x->cr2;
	v->cr3 = x->cr3;
	v->cr4 = x->cr4;
	v->dr6 = x->dr6;
	v->dr7 = x->dr7;
	v->rflags = x->rflags;
	v->rip = x->rip;
	v->rsp = x->gpr[AXVM_X86_RSP];
	v->rax = x->gpr[AXVM_X86_RAX];
	v->star = x->msrs[AXVM_X86_STAR];
	v->lstar = x->msrs[AXVM_X86_LSTAR];
	v->cstar = x->msrs[AXVM_X86_CSTAR];
	v->sfmask = x->msrs[AXVM_X86_SFMASK];
	v->kernel_gs_base = x->msrs[AXVM_X86_KERNEL_GS_BASE];
	v->sysenter_cs = x->msrs[AXVM_X86_SYSENTER_CS];
	v->sysenter_esp = x->msrs[AXVM_X86_SYSENTER_ESP];
	v->sysenter_eip = x->msrs[AXVM_X86_SYSENTER_EIP];
	v->g_pat = x->msrs[AXVM_X86_PAT];
	/* Added to the TSC for RDTSC and RDTSCP in the guest (APM 15.30.4). */
	vmcb->control.tsc_offset = x->tsc_offset;
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) |
				(axvm_x86_get_cr8(x) & V_TPR_MASK);
	axvm_svm_tcg_lme_load(x, vmcb);
}

static void axvm_svm_save(struct axvm_x86_vcpu *x, const struct vmcb *vmcb)
{
	const struct axvm_svm_vcpu *s = x->hw;
	const struct vmcb_save_area *v = &vmcb->save;
	const struct vmcb_seg *segs[AXVM_X86_NR_SEGS] = {
		&v->es, &v->cs, &v->ss, &v->ds, &v->fs, &v->gs, &v->ldtr, &v->tr,
	};
	unsigned int i;

	for (i = 0; i < AXVM_X86_NR_SEGS; i++)
		axvm_svm_seg_from(&x->seg[i], segs[i]);
	x->gdtr_base = v->gdtr.base;
	x->gdtr_limit = v->gdtr.limit;
	x->idtr_base = v->idtr.base;
	x->idtr_limit = v->idtr.limit;
	x->efer = v->efer & ~EFER_SVME;
	if (s->lme_hidden)
		x->efer |= EFER_LME;
	x->cr0 = v->cr0;
	x->cr2 = v->cr2;
	x->cr3 = v->cr3;
	x->cr4 = v->cr4;
	x->rflags = v->rflags;
	x->rip = v->rip;
	x->gpr[AXVM_X86_RSP] = v->rsp;
	x->gpr[AXVM_X86_RAX] = v->rax;
	x->msrs[AXVM_X86_STAR] = v->star;
	x->msrs[AXVM_X86_LSTAR] = v->lstar;
	x->msrs[AXVM_X86_CSTAR] = v->cstar;
	x->msrs[AXVM_X86_SFMASK] = v->sfmask;
	x->msrs[AXVM_X86_KERNEL_GS_BASE] = v->kernel_gs_base;
	x->msrs[AXVM_X86_SYSENTER_CS] = v->sysenter_cs;
	x->msrs[AXVM_X86_SYSENTER_ESP] = v->sysenter_esp;
	x->msrs[AXVM_X86_SYSENTER_EIP] = v->sysenter_eip;
	/* A guest's MOV to CR8 changed V_TPR without an exit: to the TPR. */
	if ((vmcb->control.int_ctl & V_TPR_MASK) != x->cr8)
		axvm_x86_set_cr8(x, vmcb->control.int_ctl & V_TPR_MASK);
	x->dr6 = v->dr6;
	x->dr7 = v->dr7;
}

/* Exit as soon as the guest can take an interrupt (VINTR). */
static void axvm_svm_request_window(struct vmcb *vmcb)
{
	vmcb->control.int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK |
				 (0xf << V_INTR_PRIO_SHIFT);
	axvm_svm_intercept(vmcb, INTERCEPT_VINTR);
}

/*
 * An NMI goes in when none is being handled and no interrupt shadow
 * holds it (KVM's svm_nmi_blocked()); it is then being handled until
 * the guest's IRET, which is intercepted for that. After the IRET the
 * next exit past it ends the blocking; the interrupt window (or any
 * later exit, with RFLAGS.IF clear) brings that exit soon. True when
 * one was injected.
 */
static bool axvm_svm_inject_nmi(struct axvm_x86_vcpu *x, struct vmcb *vmcb)
{
	if (x->nmi_iret && x->rip != x->nmi_iret_rip) {
		x->nmi_iret = false;
		x->nmi_masked = false;
	}
	axvm_x86_nmi_collect(x, x->nmi_masked);
	if (x->nmi_masked && !x->nmi_iret)
		axvm_svm_intercept(vmcb, INTERCEPT_IRET);
	else
		axvm_svm_no_intercept(vmcb, INTERCEPT_IRET);
	/* Until the IRET, its intercept is the exit that tells. */
	if (!x->nmi_pending || (x->nmi_masked && !x->nmi_iret))
		return false;
	if (x->nmi_masked ||
	    vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK) {
		axvm_svm_request_window(vmcb);
		return false;
	}
	vmcb->control.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI |
				  AXVM_X86_NMI_VECTOR;
	x->nmi_pending--;
	x->nmi_masked = true;
	axvm_svm_intercept(vmcb, INTERCEPT_IRET);
	return true;
}

/*
 * The highest pending vector goes in as an external interrupt when the
 * guest can take one (RFLAGS.IF, no interrupt shadow, no event already
 * queued); otherwise a virtual interrupt request makes the CPU exit as
 * soon as it can (VINTR). An exception the emulation raised goes first,
 * then an NMI.
 */
static void axvm_svm_inject(struct axvm_x86_vcpu *x, struct vmcb *vmcb)
{
	bool open;
	int vec;

	vmcb->control.int_ctl &= ~(V_IRQ_MASK | V_IGN_TPR_MASK |
				   (0xf << V_INTR_PRIO_SHIFT));
	axvm_svm_no_intercept(vmcb, INTERCEPT_VINTR);
	/*
	 * A guest's MOV to CR8 changes V_TPR without an exit. While the TPR
	 * holds a vector back, the write that lowers it must exit so that
	 * the vector is delivered then, not at some later exit (KVM's
	 * update_cr8_intercept).
	 */
	if (axvm_x86_tpr_blocks(x))
		axvm_svm_intercept(vmcb, INTERCEPT_CR8_WRITE);
	else
		axvm_svm_no_intercept(vmcb, INTERCEPT_CR8_WRITE);
	if (x->drop_events) {
		vmcb->control.event_inj = 0;
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
		x->drop_events = false;
	}
	if (vmcb->control.event_inj & SVM_EVTINJ_VALID)
		return;
	/* An exception the emulation raised goes first. */
	if (x->exc_pending) {
		vmcb->control.event_inj = SVM_EVTINJ_VALID |
					  SVM_EVTINJ_TYPE_EXEPT |
					  x->exc_vector |
					  (x->exc_has_error ?
					   SVM_EVTINJ_VALID_ERR : 0);
		vmcb->control.event_inj_err = x->exc_error;
		x->exc_pending = false;
		return;
	}
	if (axvm_svm_inject_nmi(x, vmcb))
		return;

	open = x->rflags & X86_EFLAGS_IF &&
	       !(vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK);
	vec = axvm_x86_pop_vector(x, open);
	if (vec >= 0) {
		vmcb->control.event_inj = SVM_EVTINJ_VALID |
					  SVM_EVTINJ_TYPE_INTR | vec;
	} else if (vec == -EAGAIN) {
		axvm_svm_request_window(vmcb);
	}
}

/* Which TLB entries the entry must drop, and the ASID to run with. */
static void axvm_svm_tlb(struct axvm_svm_vcpu *s, struct axvm_x86_vm *svm,
			 u32 asid)
{
	struct vmcb *vmcb = s->vmcb;
	int cpu = smp_processor_id();
	u32 flushes = atomic_read(&svm->flushes);

	vmcb->control.asid = asid;
	vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
	if (this_cpu_read(axvm_svm_flush_all)) {
		vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
		this_cpu_write(axvm_svm_flush_all, false);
	} else if (s->last_cpu != cpu || s->flush_seen != flushes) {
		vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ASID;
	}
	s->last_cpu = cpu;
	s->flush_seen = flushes;
}

/*
 * One VMRUN. Interrupts stay off and GIF clear from before the guest
 * state is loaded until the host's is back; an interrupt or NMI that
 * ended the run is taken right after STGI and local_irq_enable(). The
 * task's FPU state was saved by kernel_fpu_begin(); the guest's x87, SSE
 * and AVX state and its XCR0 are loaded and saved around the run.
 */
static int axvm_svm_enter(struct axvm_x86_vcpu *x)
{
	struct axvm_svm_vcpu *s = x->hw;
	struct axvm_x86_vm *svm = x->vcpu->vm->arch;
	struct vmcb *vmcb = s->vmcb;
	u64 host_tsc_aux = 0;
	bool tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP);
	bool pkru = boot_cpu_has(X86_FEATURE_OSPKE);
	u32 host_pkru = 0;
	u32 asid;

	kernel_fpu_begin();
	for (;;) {
		asid = axvm_vmid_update(&s->asid);
		local_irq_disable();
		if (likely(axvm_vmid_current(&s->asid)))
			break;
		/* A rollover came in between: take its IPI, then a new ASID. */
		local_irq_enable();
	}
	/* EFER.SVME is off here: the CPU goes offline, or the host reboots. */
	if (!axvm_cpu_virt_on()) {
		local_irq_enable();
		kernel_fpu_end();
		return -EAGAIN;
	}
	axvm_vcpu_guest_enter(x->vcpu);
	axvm_svm_load(x, vmcb);
	axvm_svm_inject(x, vmcb);
	axvm_svm_tlb(s, svm, asid);
	vmcb->control.clean = 0;

	axvm_x86_fpu_load(x);
	if (pkru)
		host_pkru = rdpkru();
	if (tsc_aux) {
		rdmsrl(MSR_TSC_AUX, host_tsc_aux);
		wrmsrl(MSR_TSC_AUX, x->msrs[AXVM_X86_TSC_AUX]);
	}
	axvm_x86_dr_load(x);
	axvm_x86_spec_enter(svm, false);
	/* With V_SPEC_CTRL the VMCB switches SPEC_CTRL; else the asm does. */
	if (boot_cpu_has(X86_FEATURE_V_SPEC_CTRL))
		vmcb->save.spec_ctrl = x->spec_ctrl;
	asm volatile("clgi" : : : "memory");
	asm volatile("vmsave %%rax" : :
		     "a" (page_to_phys(this_cpu_read(axvm_svm_host_vmsave))) :
		     "memory");
	__axvm_svm_run(s->vmcb_pa, x->gpr,
		       page_to_phys(this_cpu_read(axvm_svm_host_vmsave)),
		       &x->spec_ctrl);
	axvm_x86_spec_exit();
	/* #VMEXIT left DR7 reset: the host's breakpoints come back. */
	axvm_x86_dr_put(x);
	asm volatile("stgi" : : : "memory");
	if (tsc_aux)
		wrmsrl(MSR_TSC_AUX, host_tsc_aux);
	/* The guest may set CR4.PKE and write PKRU: the host's comes back. */
	if (pkru && rdpkru() != host_pkru)
		wrpkru(host_pkru);
	axvm_x86_fpu_save(x);

	/*
	 * A refused VMRUN ran nothing: the register file keeps what it had,
	 * the VMCB's save area may hold partly loaded state.
	 */
	if (vmcb->control.exit_code != SVM_EXIT_ERR)
		axvm_svm_save(x, vmcb);
	axvm_vcpu_guest_exit(x->vcpu);
	local_irq_enable();
	kernel_fpu_end();
	return 0;
}

/*
 * QEMU 7.2's multi-threaded TCG now and then runs an SVM guest with
 * nested paging off, or saves the host's own state into the VMCB at
 * #VMEXIT (run-lane.sh has the history). No CPU does either, and the
 * guest then dies of it. Three states no CPU can report are named in
 * the log, so that a crash the CPU caused is not taken for the guest's
 * own or axvm's:
 *  - the VMCB holds this CPU's CR3 after #VMEXIT;
 *  - a shutdown while delivering a not-present #PF on a fetch (error
 *    code P=0, I/D=1), where RIP is mapped present;
 *  - a shutdown with CR2 inside the IDT, mapped present: the CPU says
 *    it could not read a gate the guest's page tables map.
 * On a real CPU the VMCB's state after a shutdown is undefined (APM
 * 15.11), so this is a hint for a log, never a decision.
 */
static void axvm_svm_check_cpu(struct axvm_x86_vcpu *x, struct vmcb *vmcb,
			       bool shutdown)
{
	u32 info = vmcb->control.exit_int_info;
	u32 err = vmcb->control.exit_int_info_err;
	u64 cr2 = vmcb->save.cr2, idt = vmcb->save.idtr.base;
	const char *what = NULL;

	if ((vmcb->save.cr3 & CR3_ADDR_MASK) == (__read_cr3() & CR3_ADDR_MASK))
		what = "the VMCB holds the host's CR3 after #VMEXIT";
	else if (!shutdown)
		return;
	else if (info & SVM_EXITINTINFO_VALID &&
		 (info & SVM_EXITINTINFO_TYPE_MASK) == SVM_EXITINTINFO_TYPE_EXEPT &&
		 (info & SVM_EXITINTINFO_VEC_MASK) == X86_TRAP_PF &&
		 (err & (X86_PF_PROT | X86_PF_INSTR)) == X86_PF_INSTR &&
		 axvm_x86_la_present(x, x->rip))
		what = "a not-present #PF on fetching a present RIP";
	else if (cr2 >= idt && cr2 <= idt + vmcb->save.idtr.limit &&
		 axvm_x86_la_present(x, cr2))
		what = "a #PF reading an IDT gate mapped present";
	if (what)
		pr_warn_ratelimited("vCPU %u: %s: a CPU (emulator) defect, not architectural\n",
				    x->vcpu->id, what);
}

static int axvm_svm_internal(struct axvm_x86_vcpu *x, const struct vmcb *vmcb)
{
	struct axvm_run *run = x->vcpu->run;

	run->internal.suberror = AXVM_INTERNAL_UNHANDLED_EXIT;
	run->internal.ndata = 5;
	run->internal.data[0] = vmcb->control.exit_code;
	run->internal.data[1] = vmcb->control.exit_info_1;
	run->internal.data[2] = vmcb->control.exit_info_2;
	run->internal.data[3] = vmcb->control.exit_int_info;
	run->internal.data[4] = x->rip;
	return AXVM_EXIT_INTERNAL_ERROR;
}

/*
 * MOV DR without decode assists (QEMU has none): decoded at RIP, it must
 * be the move the exit code names, in the same direction.
 */
static int axvm_svm_dr_access(struct axvm_x86_vcpu *x, struct vmcb *vmcb)
{
	u32 code = vmcb->control.exit_code;
	bool write = code >= SVM_EXIT_WRITE_DR0;
	struct axvm_x86_ctl_insn w;
	u8 bytes[AXVM_X86_INSN_MAX];
	unsigned int n;

	n = axvm_x86_read_code(x, bytes, sizeof(bytes));
	if (axvm_x86_decode_ctl(bytes, n, axvm_x86_cpu_mode(x), &w) ||
	    w.op != (write ? AXVM_X86_DR_WRITE : AXVM_X86_DR_READ) ||
	    w.reg != code - (write ? SVM_EXIT_WRITE_DR0 : SVM_EXIT_READ_DR0))
		return axvm_svm_internal(x, vmcb);
	return axvm_x86_mov_dr(x, w.reg, w.gpr, write, w.len);
}

/*
 * A CR0, CR4 or CR8 write those intercepts stopped: MOV to CR0/CR4/CR8,
 * LMSW (PE, MP, EM and TS from bits 3:0, PE never cleared) or CLTS,
 * decoded at RIP (QEMU has no decode assists) and done as the CPU would.
 */
static int axvm_svm_cr_write(struct axvm_x86_vcpu *x, struct vmcb *vmcb,
			     unsigned int cr)
{
	unsigned int mode = axvm_x86_cpu_mode(x), n;
	struct axvm_x86_ctl_insn w;
	u8 bytes[AXVM_X86_INSN_MAX];
	u64 val;
	int ret;

	n = axvm_x86_read_code(x, bytes, sizeof(bytes));
	if (axvm_x86_decode_ctl(bytes, n, mode, &w) ||
	    w.op > AXVM_X86_CR_CLTS ||
	    (w.op == AXVM_X86_CR_MOV ? w.reg != cr : cr != 0))
		return axvm_svm_internal(x, vmcb);
	val = mode == 64 ? x->gpr[w.gpr] : (u32)x->gpr[w.gpr];
	switch (w.op) {
	case AXVM_X86_CR_MOV:
		if (cr == 8) {
			ret = axvm_x86_cr_check(AXVM_SYSREG_X86_CR8, val);
			if (!ret)
				axvm_x86_set_cr8(x, val);
		} else {
			ret = cr ? axvm_x86_mov_cr4(x, val) :
				   axvm_x86_mov_cr0(x, val);
		}
		break;
	case AXVM_X86_CR_LMSW:
		ret = axvm_x86_mov_cr0(x, (x->cr0 & ~0xeULL) | (val & 0xf));
		break;
	default:
		ret = axvm_x86_mov_cr0(x, x->cr0 & ~X86_CR0_TS);
		break;
	}
	if (ret)
		axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
	else
		x->rip += w.len;
	return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
}

/* #DB and #AC back to the guest, #MC to the host's handler. */
static int axvm_svm_exception(struct axvm_x86_vcpu *x, struct vmcb *vmcb)
{
	u8 vector = vmcb->control.exit_code - SVM_EXIT_EXCP_BASE;
	int ret;

	if (vector == AXVM_X86_MC_VECTOR) {
		axvm_x86_host_mce();
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	}
	/* The VMCB's DR6 holds the #DB's status (the guest's DR6, saved). */
	ret = axvm_x86_exception_exit(x, vector, vmcb->control.exit_info_1,
				      x->dr6, vmcb->control.exit_int_info);
	return ret == -EFAULT ? axvm_svm_internal(x, vmcb) : ret;
}

/* Instructions a guest never gets: #UD, as on a CPU without them. */
static int axvm_svm_inject_ud(struct axvm_x86_vcpu *x)
{
	axvm_x86_raise(x, AXVM_X86_UD_VECTOR, false, 0);
	return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
}

static int axvm_svm_ioio(struct axvm_x86_vcpu *x, struct vmcb *vmcb)
{
	u64 info = vmcb->control.exit_info_1;
	unsigned int size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;

	if (!is_power_of_2(size))
		return axvm_svm_internal(x, vmcb);
	if (info & SVM_IOIO_STR_MASK)
		return axvm_x86_string_io(x, info >> 16, size,
					  info & SVM_IOIO_TYPE_MASK,
					  vmcb->control.exit_info_2);
	return axvm_x86_io(x, info >> 16, size, info & SVM_IOIO_TYPE_MASK,
			   vmcb->control.exit_info_2);
}

/* A nested page fault: guest RAM is mapped in, anything else is MMIO. */
static int axvm_svm_npf(struct axvm_x86_vcpu *x, struct vmcb *vmcb)
{
	u64 err = vmcb->control.exit_info_1, gpa = vmcb->control.exit_info_2;
	bool write = err & AXVM_SVM_NPF_WRITE;
	int ret;

	ret = axvm_mem_fault(x->vcpu, gpa,
			     write ? AXVM_NPF_WRITE :
			     err & AXVM_SVM_NPF_FETCH ? AXVM_NPF_EXEC :
							AXVM_NPF_READ);
	if (ret > 0)
		return ret;
	if (!ret)
		return AXVM_EXIT_STAGE2_FAULT;
	if (ret != -ENOENT && ret != -EROFS)
		return ret;
	/* Code and the guest's own page tables must be RAM. */
	if (err & (AXVM_SVM_NPF_FETCH | AXVM_SVM_NPF_WALK)) {
		axvm_svm_check_cpu(x, vmcb, false);
		return axvm_svm_internal(x, vmcb);
	}
	return axvm_x86_mmio(x, gpa, write);
}

static int axvm_svm_halt(struct axvm_x86_vcpu *x, struct vmcb *vmcb)
{
	x->rip += AXVM_SVM_LEN_HLT;
	/* With an irqchip the kernel sleeps until an interrupt comes. */
	if (axvm_x86_halt(x)) {
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
		return AXVM_EXIT_HALT | AXVM_ARCH_EXIT_HANDLED;
	}
	/*
	 * A vector the guest can take: the next entry delivers it, right
	 * after the HLT. The HLT is done, so the shadow of an STI before it
	 * is over too (STI; HLT wakes on the interrupt, as on a CPU).
	 */
	if (axvm_x86_halt_wakes(x)) {
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
		return AXVM_EXIT_HALT | AXVM_ARCH_EXIT_HANDLED;
	}
	/* Nothing in the kernel can wake it yet: userspace decides. */
	return AXVM_EXIT_HALT;
}

/*
 * An event cut short by the exit is delivered on the next entry. INT n,
 * INT3 and INTO are not: without next-RIP saving (QEMU has none) the
 * CPU would push the address of the instruction, which RIP still holds
 * (APM 15.7.2), and the guest would take it twice. The instruction runs
 * again instead and raises its event once, as KVM has it for soft
 * exceptions.
 */
static void axvm_svm_requeue(struct vmcb *vmcb)
{
	u32 info = vmcb->control.exit_int_info;
	u32 type = info & SVM_EXITINTINFO_TYPE_MASK;
	u8 vector = info & SVM_EXITINTINFO_VEC_MASK;

	vmcb->control.event_inj = 0;
	if (!(info & SVM_EXITINTINFO_VALID))
		return;
	if (type == SVM_EXITINTINFO_TYPE_SOFT ||
	    (type == SVM_EXITINTINFO_TYPE_EXEPT &&
	     (vector == X86_TRAP_BP || vector == X86_TRAP_OF)))
		return;
	/*
	 * Real mode pushes no error code (APM 8.2): drop the bit where CR0.PE
	 * is clear, as KVM's kvm_inject_exception() does and VMX must.
	 */
	if (!(vmcb->save.cr0 & X86_CR0_PE))
		info &= ~SVM_EXITINTINFO_VALID_ERR;
	vmcb->control.event_inj = info;
	vmcb->control.event_inj_err = vmcb->control.exit_int_info_err;
}

static int axvm_svm_handle_exit(struct axvm_x86_vcpu *x)
{
	struct axvm_svm_vcpu *s = x->hw;
	struct vmcb *vmcb = s->vmcb;
	struct axvm_run *run = x->vcpu->run;
	u32 code = vmcb->control.exit_code;

	axvm_svm_requeue(vmcb);

	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
		return AXVM_EXIT_EXTERNAL_INTERRUPT;
	case SVM_EXIT_VINTR:
		/* The window is open: the next entry injects. */
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case SVM_EXIT_IRET:
		/*
		 * The NMI handler's IRET, not yet run: the blocking ends
		 * once the guest is past it (axvm_svm_inject_nmi()).
		 */
		x->nmi_iret = true;
		x->nmi_iret_rip = x->rip;
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case SVM_EXIT_CPUID:
		axvm_x86_cpuid(x);
		x->rip += AXVM_SVM_LEN_CPUID;
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case SVM_EXIT_HLT:
		return axvm_svm_halt(x, vmcb);
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:
		/*
		 * Guest memory is ordinary write-back host memory and no
		 * device of the guest writes around the caches: nothing to
		 * write back, and a guest may not drop the host's lines.
		 * Both are two bytes (0F 08, 0F 09).
		 */
		x->rip += AXVM_SVM_LEN_INVD;
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case SVM_EXIT_RDPMC:
		/* No performance counters for guests (CPUID has none). */
		axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR7:
		return axvm_svm_dr_access(x, vmcb);
	case SVM_EXIT_WRITE_CR0:
	case SVM_EXIT_WRITE_CR4:
	case SVM_EXIT_WRITE_CR8:
		return axvm_svm_cr_write(x, vmcb, code - SVM_EXIT_WRITE_CR0);
	case SVM_EXIT_EXCP_BASE + AXVM_X86_DB_VECTOR:
	case SVM_EXIT_EXCP_BASE + AXVM_X86_AC_VECTOR:
	case SVM_EXIT_EXCP_BASE + AXVM_X86_MC_VECTOR:
		return axvm_svm_exception(x, vmcb);
	case SVM_EXIT_IOIO:
		return axvm_svm_ioio(x, vmcb);
	case SVM_EXIT_MSR:
		x->rip += AXVM_SVM_LEN_MSR;
		return vmcb->control.exit_info_1 ? axvm_x86_wrmsr(x) :
						   axvm_x86_rdmsr(x);
	case SVM_EXIT_VMMCALL:
		return axvm_x86_hypercall(x, AXVM_SVM_LEN_VMMCALL);
	case SVM_EXIT_NPF:
		return axvm_svm_npf(x, vmcb);
	case SVM_EXIT_XSETBV:
		return axvm_x86_xsetbv(x);
	case SVM_EXIT_SHUTDOWN:
		/* A triple fault: the VMCB's state is undefined now. */
		axvm_svm_check_cpu(x, vmcb, true);
		run->system_down.type = AXVM_SYSTEM_DOWN_CRASH;
		run->system_down.data = code;
		return AXVM_EXIT_SYSTEM_DOWN;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_COND:
	case SVM_EXIT_RDPRU:
		return axvm_svm_inject_ud(x);
	case SVM_EXIT_ERR:
		/* VMEXIT_INVALID is -1 in all 64 bits, whatever EXITCODE_HI says. */
		run->fail_entry.hardware_reason = (u64)(s64)(s32)code;
		run->fail_entry.data = vmcb->control.exit_info_1;
		return AXVM_EXIT_FAIL_ENTRY;
	default:
		return axvm_svm_internal(x, vmcb);
	}
}

int axvm_svm_vcpu_run(struct axvm_x86_vcpu *x)
{
	u32 bad;
	int ret;

	/* An MMIO read-modify-write's store, after userspace gave the read. */
	ret = axvm_x86_complete(x);
	if (ret)
		return ret;
	/* Halted or waiting for SIPI, until a signal: back to the loop. */
	if (axvm_x86_pre_run(x))
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	/* What VMRUN refuses, or should (state.c): VMEXIT_INVALID. */
	bad = axvm_x86_state_check(x);
	if (bad) {
		x->vcpu->run->fail_entry.hardware_reason =
			(u64)(s64)(s32)SVM_EXIT_ERR;
		x->vcpu->run->fail_entry.data = bad;
		return AXVM_EXIT_FAIL_ENTRY;
	}
	ret = axvm_svm_enter(x);
	if (ret)
		return ret;
	return axvm_svm_handle_exit(x);
}
