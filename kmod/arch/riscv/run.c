// SPDX-License-Identifier: GPL-2.0
/*
 * riscv64 guest runs: load the guest's VS-level CSRs, the G-stage root
 * and its VMID, the pending VS interrupts and the FP registers, enter
 * (entry.S), and take it all back after the trap. The VS CSRs and hgatp
 * mean nothing to the host, so they are only written, never restored;
 * scounteren and senvcfg are not duplicated for VS-mode and are swapped.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <asm/csr.h>

#include "riscv.h"

/* The vCPU that last entered on this hart, by uid: 0 for none. */
static DEFINE_PER_CPU(u64, axvm_riscv_last_vcpu);

static_assert(offsetof(struct axvm_riscv_ctx, sepc) == 256);
static_assert(offsetof(struct axvm_riscv_ctx, sstatus) == 264);
static_assert(offsetof(struct axvm_riscv_ctx, hstatus) == 272);
static_assert(offsetof(struct axvm_riscv_ctx, host_sstatus) == 280);
static_assert(offsetof(struct axvm_riscv_ctx, host_hstatus) == 288);
static_assert(offsetof(struct axvm_riscv_ctx, host_stvec) == 296);
static_assert(offsetof(struct axvm_riscv_ctx, host_sscratch) == 304);
static_assert(offsetof(struct axvm_riscv_ctx, host_s) == 312);

/*
 * The VS interrupts pending for the next entry, as hvip bits. VSSIP is
 * an edge, an IPI: from the SBI or from AXVM_INJECT_IRQ (the VMM's IPI),
 * it is set once and then the guest's to clear in its sip, as SBI 2.0
 * sPI says of send_ipi.
 */
static u64 axvm_riscv_hvip(struct axvm_vcpu *vcpu, bool consume)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	u64 hvip = r->hvip & AXVM_RISCV_VSSIP;
	unsigned long *line = vcpu->irq_pending;

	hvip |= READ_ONCE(line[0]) & (AXVM_RISCV_VSTIP | AXVM_RISCV_VSEIP);
	if (test_bit(IRQ_VS_SOFT, line)) {
		if (!consume) {
			hvip |= AXVM_RISCV_VSSIP;
		} else {
			/* AXVM_INJECT_IRQ changes the word under this lock. */
			spin_lock(&vcpu->irq_lock);
			if (__test_and_clear_bit(IRQ_VS_SOFT, line))
				hvip |= AXVM_RISCV_VSSIP;
			spin_unlock(&vcpu->irq_lock);
		}
	}
	if (consume ? atomic_xchg(&r->ipi, 0) : atomic_read(&r->ipi))
		hvip |= AXVM_RISCV_VSSIP;
	if (axvm_riscv_timer_expired(r))
		hvip |= AXVM_RISCV_VSTIP;
	if (axvm_riscv_plic_eip(vcpu))
		hvip |= AXVM_RISCV_VSEIP;
	return hvip;
}

/* An interrupt the guest enabled in its sie is pending: WFI returns. */
bool axvm_riscv_wake_pending(struct axvm_vcpu *vcpu)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;

	return (axvm_riscv_hvip(vcpu, false) >> 1) & r->csrs[AXVM_RISCV_SIE];
}

/*
 * TLB entries of the VMID on this hart may be stale for this vCPU when
 * another vCPU of the VM entered here last, when this one last ran on
 * another hart (its remote fences were done there) or when it was sent
 * a remote fence. Both stages go: the G-stage ones of the VMID and the
 * guest's own VS-stage ones (hgatp holds the VMID already).
 */
static void axvm_riscv_sanitize_tlb(struct axvm_riscv_vcpu *r, u32 vmid)
{
	int cpu = smp_processor_id();
	bool fence = atomic_xchg(&r->fence, 0);

	if (fence || r->last_cpu != cpu ||
	    __this_cpu_read(axvm_riscv_last_vcpu) != r->uid) {
		axvm_riscv_hfence_gvma_vmid(vmid);
		axvm_riscv_hfence_vvma_all();
	}
	if (fence)
		asm volatile("fence.i" : : : "memory");
	r->last_cpu = cpu;
	__this_cpu_write(axvm_riscv_last_vcpu, r->uid);
}

static void axvm_riscv_load_vs(struct axvm_riscv_vcpu *r, u64 hvip)
{
	const u64 *c = r->csrs;

	/* Only sstatus's own fields, as SET_SYSREG checks (regs.c). */
	csr_write(CSR_VSSTATUS,
		  (c[AXVM_RISCV_SSTATUS] & AXVM_RISCV_SSTATUS_RW) | SR_UXL_64);
	csr_write(CSR_VSIE, c[AXVM_RISCV_SIE]);
	csr_write(CSR_VSTVEC, c[AXVM_RISCV_STVEC]);
	csr_write(CSR_VSSCRATCH, c[AXVM_RISCV_SSCRATCH]);
	csr_write(CSR_VSEPC, c[AXVM_RISCV_SEPC]);
	csr_write(CSR_VSCAUSE, c[AXVM_RISCV_SCAUSE]);
	csr_write(CSR_VSTVAL, c[AXVM_RISCV_STVAL]);
	csr_write(CSR_VSATP, c[AXVM_RISCV_SATP]);
	csr_write(CSR_HVIP, hvip);
}

static void axvm_riscv_save_vs(struct axvm_riscv_vcpu *r)
{
	u64 *c = r->csrs;

	c[AXVM_RISCV_SSTATUS] = csr_read(CSR_VSSTATUS);
	c[AXVM_RISCV_SIE] = csr_read(CSR_VSIE);
	c[AXVM_RISCV_STVEC] = csr_read(CSR_VSTVEC);
	c[AXVM_RISCV_SSCRATCH] = csr_read(CSR_VSSCRATCH);
	c[AXVM_RISCV_SEPC] = csr_read(CSR_VSEPC);
	c[AXVM_RISCV_SCAUSE] = csr_read(CSR_VSCAUSE);
	c[AXVM_RISCV_STVAL] = csr_read(CSR_VSTVAL);
	c[AXVM_RISCV_SATP] = csr_read(CSR_VSATP);
	/* The guest may have cleared its software interrupt. */
	r->hvip = csr_read(CSR_HVIP);
	/* Delegated VS interrupts must not stay pending for the host. */
	csr_write(CSR_HVIP, 0);
}

/*
 * The trapping instruction, for MMIO and virtual-instruction traps:
 * from htinst or stval when the hart put it there, else read from the
 * guest with HLVX while its vsatp, hgatp and hstatus.SPVP are loaded.
 */
static void axvm_riscv_read_insn(struct axvm_riscv_vcpu *r,
				 struct axvm_riscv_exit *e)
{
	unsigned long hstatus;
	u16 lo, hi;

	/* Nothing read stays 0: it may be reported to userspace. */
	e->insn = 0;
	e->insn_len = 0;
	switch (e->scause) {
	case EXC_LOAD_GUEST_PAGE_FAULT:
	case EXC_STORE_GUEST_PAGE_FAULT:
		/*
		 * Bit 0 set: a transformed load or store. It is always in the
		 * 32-bit format; a compressed original is expanded first and
		 * marked by bit 1 clear (privileged spec, "Transformed
		 * Instruction or Pseudoinstruction for mtinst or htinst").
		 * So decode the 32-bit form, step over the original's size.
		 */
		if (e->htinst & 1) {
			e->insn = e->htinst | 2;
			e->insn_len = e->htinst & 2 ? 4 : 2;
			return;
		}
		/* Other non-zero values stand for implicit (walk) accesses. */
		if (e->htinst)
			return;
		break;
	case EXC_VIRTUAL_INST_FAULT:
		if (e->stval) {
			e->insn = e->stval;
			e->insn_len = (e->stval & 3) == 3 ? 4 : 2;
			return;
		}
		break;
	default:
		return;
	}

	hstatus = csr_swap(CSR_HSTATUS, r->ctx.hstatus);
	if (__axvm_riscv_hlvx_hu(r->ctx.sepc, &lo))
		goto out;
	if ((lo & 3) != 3) {
		e->insn = lo;
		e->insn_len = 2;
	} else if (!__axvm_riscv_hlvx_hu(r->ctx.sepc + 2, &hi)) {
		e->insn = lo | (u32)hi << 16;
		e->insn_len = 4;
	}
out:
	csr_write(CSR_HSTATUS, hstatus);
}

/*
 * One entry, with interrupts disabled from before the guest state is
 * loaded until the host's is back; a host interrupt that ended the run
 * is taken right after. The host's FP registers (the task's, or nothing
 * of value) are kept aside meanwhile. -EAGAIN when this CPU gave the H
 * extension's state back (going offline, host rebooting).
 */
static int axvm_riscv_enter(struct axvm_vcpu *vcpu, struct axvm_riscv_exit *e)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	struct axvm_riscv_vm *vm = vcpu->vm->arch;
	unsigned long flags, sstatus, scounteren, senvcfg;
	bool timer;
	u32 vmid;

	/* A deadline already passed raises VSTIP at once: no hrtimer. */
	timer = axvm_riscv_timer_armed(r) && !axvm_riscv_timer_expired(r);
	if (timer)
		axvm_riscv_timer_start(r);

	for (;;) {
		vmid = axvm_vmid_update(&vm->vmid);
		local_irq_save(flags);
		if (likely(axvm_vmid_current(&vm->vmid)))
			break;
		/* A rollover came in between: take its IPI, then a new VMID. */
		local_irq_restore(flags);
	}
	/* Given back (CPU going offline, host rebooting): no entry. */
	if (!axvm_cpu_virt_on()) {
		local_irq_restore(flags);
		if (timer)
			axvm_riscv_timer_stop(r);
		return -EAGAIN;
	}
	axvm_vcpu_guest_enter(vcpu);
	atomic_cmpxchg(&r->hsm_state, AXVM_SBI_HSM_START_PENDING,
		       AXVM_SBI_HSM_STARTED);
	atomic_cmpxchg(&r->hsm_state, AXVM_SBI_HSM_STOPPED,
		       AXVM_SBI_HSM_STARTED);

	csr_write(CSR_HGATP, axvm_riscv_hgatp(vcpu->vm, vmid));
	axvm_riscv_sanitize_tlb(r, vmid);
	axvm_riscv_load_vs(r, axvm_riscv_hvip(vcpu, true));
	scounteren = csr_swap(CSR_SCOUNTEREN, r->csrs[AXVM_RISCV_SCOUNTEREN]);
	senvcfg = csr_swap(CSR_SENVCFG, r->csrs[AXVM_RISCV_SENVCFG]);

	sstatus = csr_read(CSR_SSTATUS);
	csr_set(CSR_SSTATUS, SR_FS_DIRTY);
	__axvm_riscv_fp_save(&r->host_fp);
	__axvm_riscv_fp_load(&r->fp);

	/* SRET goes to VS-mode, or VU-mode with SPP clear; FP stays on. */
	r->ctx.sstatus = (sstatus & ~(SR_SPP | SR_SPIE | SR_SIE)) |
			 SR_FS_DIRTY | (r->user ? 0 : SR_SPP);
	r->ctx.hstatus = (csr_read(CSR_HSTATUS) &
			  ~(HSTATUS_SPVP | HSTATUS_VTSR | HSTATUS_VTVM |
			    HSTATUS_HU | HSTATUS_GVA)) |
			 HSTATUS_SPV | HSTATUS_VTW |
			 (r->user ? 0 : HSTATUS_SPVP);

	__axvm_riscv_enter(&r->ctx);

	e->scause = csr_read(CSR_SCAUSE);
	e->stval = csr_read(CSR_STVAL);
	e->htval = csr_read(CSR_HTVAL);
	e->htinst = csr_read(CSR_HTINST);
	r->user = !(r->ctx.sstatus & SR_SPP);
	axvm_riscv_read_insn(r, e);

	__axvm_riscv_fp_save(&r->fp);
	__axvm_riscv_fp_load(&r->host_fp);
	csr_write(CSR_SSTATUS, sstatus);
	r->csrs[AXVM_RISCV_SCOUNTEREN] = csr_swap(CSR_SCOUNTEREN, scounteren);
	r->csrs[AXVM_RISCV_SENVCFG] = csr_swap(CSR_SENVCFG, senvcfg);
	axvm_riscv_save_vs(r);
	axvm_vcpu_guest_exit(vcpu);
	local_irq_restore(flags);

	if (timer)
		axvm_riscv_timer_stop(r);
	return 0;
}

int axvm_arch_vcpu_run(struct axvm_vcpu *vcpu)
{
	struct axvm_riscv_exit e;
	int ret;

	axvm_riscv_complete(vcpu);
	ret = axvm_riscv_enter(vcpu, &e);
	if (ret)
		return ret;
	return axvm_riscv_handle_exit(vcpu, &e);
}
