// SPDX-License-Identifier: GPL-2.0
/*
 * riscv64 exits: why the guest came back, from scause, handled in the
 * kernel where that is possible (G-stage faults on RAM, the PLIC's
 * registers, SBI, WFI with a wake source) and otherwise turned into the
 * run page's exit. MMIO needs
 * the trapping load or store decoded: htinst when the hart transformed it
 * there, else the instruction read from the guest (run.c).
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <asm/csr.h>
#include <asm/sbi.h>

#include "riscv.h"

#define INSN_WFI		0x10500073U
#ifndef CSR_STIMECMP
#define CSR_STIMECMP		0x14d
#endif
#define OPCODE_LOAD		0x03
#define OPCODE_STORE		0x23
#define OPCODE_SYSTEM		0x73

/* Interrupt-enable bits of sie (the guest's vsie), by S-level cause. */
#define SIE_ALL			(BIT(IRQ_S_SOFT) | BIT(IRQ_S_TIMER) | \
				 BIT(IRQ_S_EXT))

int axvm_riscv_internal(struct axvm_vcpu *vcpu,
			const struct axvm_riscv_exit *e)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	struct axvm_run *run = vcpu->run;

	run->internal.suberror = AXVM_INTERNAL_UNHANDLED_EXIT;
	run->internal.ndata = 5;
	run->internal.data[0] = e->scause;
	run->internal.data[1] = e->stval;
	run->internal.data[2] = e->htval;
	run->internal.data[3] = e->htinst;
	run->internal.data[4] = r->ctx.sepc;
	return AXVM_EXIT_INTERNAL_ERROR;
}

static int axvm_riscv_decode_failed(struct axvm_vcpu *vcpu,
				    const struct axvm_riscv_exit *e, u64 gpa)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	struct axvm_run *run = vcpu->run;

	run->internal.suberror = AXVM_INTERNAL_DECODE_FAILED;
	run->internal.ndata = 4;
	run->internal.data[0] = e->insn;
	run->internal.data[1] = e->insn_len;
	run->internal.data[2] = gpa;
	run->internal.data[3] = r->ctx.sepc;
	return AXVM_EXIT_INTERNAL_ERROR;
}

u64 axvm_riscv_get_x(struct axvm_riscv_vcpu *r, unsigned int n)
{
	return n ? r->ctx.x[n] : 0;
}

void axvm_riscv_set_x(struct axvm_riscv_vcpu *r, unsigned int n, u64 v)
{
	if (n)
		r->ctx.x[n] = v;
}

/* What a load or store does, from its encoding. */
struct axvm_riscv_access {
	bool store;
	bool sign_extend;
	u8 len;
	u8 reg;			/* rd of a load, rs2 of a store */
};

/*
 * The integer loads and stores, 32-bit and compressed; false otherwise.
 * The format is the encoding's (bits 1:0 = 3: 32-bit), not the length
 * of the trapping instruction: a transformed htinst of a compressed
 * access is in the 32-bit format.
 */
static bool axvm_riscv_decode(u32 insn, struct axvm_riscv_access *acc)
{
	unsigned int funct3;

	if ((insn & 3) == 3) {
		funct3 = (insn >> 12) & 7;
		switch (insn & 0x7f) {
		case OPCODE_LOAD:	/* LB LH LW LD LBU LHU LWU */
			if (funct3 == 7)
				return false;
			acc->store = false;
			acc->len = 1 << (funct3 & 3);
			acc->sign_extend = !(funct3 & 4) && funct3 != 3;
			acc->reg = (insn >> 7) & 31;
			return true;
		case OPCODE_STORE:	/* SB SH SW SD */
			if (funct3 > 3)
				return false;
			acc->store = true;
			acc->len = 1 << funct3;
			acc->sign_extend = false;
			acc->reg = (insn >> 20) & 31;
			return true;
		}
		return false;
	}

	/* Compressed: quadrant in bits 0-1, funct3 in bits 13-15. */
	funct3 = (insn >> 13) & 7;
	acc->sign_extend = false;
	switch ((insn & 3) << 3 | funct3) {
	case 0 << 3 | 2:	/* C.LW */
		acc->sign_extend = true;
		fallthrough;
	case 0 << 3 | 3:	/* C.LD */
		acc->store = false;
		acc->len = funct3 == 2 ? 4 : 8;
		acc->reg = 8 + ((insn >> 2) & 7);
		return true;
	case 0 << 3 | 6:	/* C.SW */
	case 0 << 3 | 7:	/* C.SD */
		acc->store = true;
		acc->len = funct3 == 6 ? 4 : 8;
		acc->reg = 8 + ((insn >> 2) & 7);
		return true;
	case 2 << 3 | 2:	/* C.LWSP */
		acc->sign_extend = true;
		fallthrough;
	case 2 << 3 | 3:	/* C.LDSP */
		acc->store = false;
		acc->len = funct3 == 2 ? 4 : 8;
		acc->reg = (insn >> 7) & 31;
		return acc->reg != 0;	/* reserved encodings */
	case 2 << 3 | 6:	/* C.SWSP */
	case 2 << 3 | 7:	/* C.SDSP */
		acc->store = true;
		acc->len = funct3 == 6 ? 4 : 8;
		acc->reg = (insn >> 2) & 31;
		return true;
	}
	return false;
}

/* An access to the PLIC's registers, done in the kernel; false: not one. */
static bool axvm_riscv_plic_in_kernel(struct axvm_vcpu *vcpu, u64 gpa,
				      const struct axvm_riscv_access *acc)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	u64 val = 0;

	if (acc->store)
		val = axvm_riscv_get_x(r, acc->reg) &
		      (acc->len < 8 ? BIT_ULL(acc->len * 8) - 1 : ~0ULL);
	if (!axvm_riscv_plic_mmio(vcpu, gpa, acc->len, acc->store, &val))
		return false;
	if (!acc->store)
		axvm_riscv_set_x(r, acc->reg,
				 axvm_mmio_read_value(val, acc->len,
						      acc->sign_extend));
	return true;
}

/* A guest page fault: map RAM, or emulate the load/store as MMIO. */
static int axvm_riscv_gpf(struct axvm_vcpu *vcpu,
			  const struct axvm_riscv_exit *e)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	struct axvm_run *run = vcpu->run;
	bool store = e->scause == EXC_STORE_GUEST_PAGE_FAULT;
	u64 gpa = (e->htval << 2) | (e->stval & 3);
	struct axvm_riscv_access acc;
	int ret;

	ret = axvm_mem_fault(vcpu, gpa,
			     store ? AXVM_NPF_WRITE :
			     e->scause == EXC_INST_GUEST_PAGE_FAULT ?
			     AXVM_NPF_EXEC : AXVM_NPF_READ);
	if (ret > 0)
		return ret;
	if (!ret)
		return AXVM_EXIT_STAGE2_FAULT;
	if (ret != -ENOENT && ret != -EROFS)
		return ret;
	/* Code must be RAM. */
	if (e->scause == EXC_INST_GUEST_PAGE_FAULT)
		return axvm_riscv_internal(vcpu, e);
	if (!e->insn_len || !axvm_riscv_decode(e->insn, &acc) ||
	    acc.store != store)
		return axvm_riscv_decode_failed(vcpu, e, gpa);
	if (ret == -ENOENT && axvm_riscv_plic_in_kernel(vcpu, gpa, &acc)) {
		r->ctx.sepc += e->insn_len;
		return AXVM_EXIT_MMIO | AXVM_ARCH_EXIT_HANDLED;
	}

	run->mmio.phys_addr = gpa;
	run->mmio.len = acc.len;
	run->mmio.is_write = store;
	run->mmio.sign_extend = acc.sign_extend;
	run->mmio.reg = acc.reg;
	if (store) {
		run->mmio.data = axvm_riscv_get_x(r, acc.reg);
		if (acc.len < 8)
			run->mmio.data &= BIT_ULL(acc.len * 8) - 1;
	} else {
		run->mmio.data = 0;
		r->pending = AXVM_EXIT_MMIO;
		r->pending_reg = acc.reg;
		r->pending_len = acc.len;
		r->pending_sse = acc.sign_extend;
	}
	r->ctx.sepc += e->insn_len;
	return AXVM_EXIT_MMIO;
}

/* The guest takes an illegal-instruction exception at its stvec. */
static int axvm_riscv_inject_illegal(struct axvm_vcpu *vcpu,
				     const struct axvm_riscv_exit *e)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	u64 *status = &r->csrs[AXVM_RISCV_SSTATUS];

	r->csrs[AXVM_RISCV_SEPC] = r->ctx.sepc;
	r->csrs[AXVM_RISCV_SCAUSE] = EXC_INST_ILLEGAL;
	r->csrs[AXVM_RISCV_STVAL] = e->insn;
	*status &= ~(SR_SPP | SR_SPIE);
	if (!r->user)
		*status |= SR_SPP;
	if (*status & SR_SIE)
		*status |= SR_SPIE;
	*status &= ~SR_SIE;
	r->user = false;
	r->ctx.sepc = r->csrs[AXVM_RISCV_STVEC] & ~3ULL;
	return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
}

/*
 * A CSR instruction the guest may not execute: a system-register exit.
 * is_write is 1 for CSRRW(I), 2 for CSRRS(I) and 3 for CSRRC(I) with a
 * non-zero operand, in value; the old value userspace puts in value goes
 * to rd.
 */
static int axvm_riscv_csr(struct axvm_vcpu *vcpu, u32 insn)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	struct axvm_run *run = vcpu->run;
	unsigned int funct3 = (insn >> 12) & 7, rs1 = (insn >> 15) & 31;
	u64 operand = funct3 & 4 ? rs1 : axvm_riscv_get_x(r, rs1);

	run->sysreg.id = AXVM_SYSREG_RISCV_CSR(insn >> 20);
	run->sysreg.reg = (insn >> 7) & 31;
	run->sysreg.is_write = (funct3 & 3) == 1 || rs1 ? funct3 & 3 : 0;
	run->sysreg.value = run->sysreg.is_write ? operand : 0;
	r->pending = AXVM_EXIT_SYSREG;
	r->pending_reg = run->sysreg.reg;
	r->ctx.sepc += 4;
	return AXVM_EXIT_SYSREG;
}

/*
 * Sstc's stimecmp, which traps because henvcfg.STCE is 0: the same
 * deadline as SBI set_timer, so that a guest using it despite its device
 * tree keeps a timer that never exits to userspace.
 */
static int axvm_riscv_stimecmp(struct axvm_vcpu *vcpu, u32 insn)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	unsigned int funct3 = (insn >> 12) & 7, rs1 = (insn >> 15) & 31;
	u64 operand = funct3 & 4 ? rs1 : axvm_riscv_get_x(r, rs1);
	u64 old = r->timer_deadline;

	switch (funct3 & 3) {
	case 1:		/* CSRRW(I) */
		axvm_riscv_timer_set(r, operand);
		break;
	case 2:		/* CSRRS(I), a read with x0 or 0 */
		if (rs1)
			axvm_riscv_timer_set(r, old | operand);
		break;
	case 3:		/* CSRRC(I) */
		if (rs1)
			axvm_riscv_timer_set(r, old & ~operand);
		break;
	}
	axvm_riscv_set_x(r, (insn >> 7) & 31, old);
	r->ctx.sepc += 4;
	return AXVM_EXIT_SYSREG | AXVM_ARCH_EXIT_HANDLED;
}

/*
 * Wait as WFI does, until an interrupt the guest enabled in its sie is
 * pending (whatever sstatus.SIE says); sepc is already past the
 * instruction.
 */
int axvm_riscv_wait(struct axvm_vcpu *vcpu)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	u64 sie = r->csrs[AXVM_RISCV_SIE];
	bool timer;

	if (axvm_riscv_wake_pending(vcpu))
		return AXVM_EXIT_HALT | AXVM_ARCH_EXIT_HANDLED;
	/*
	 * Nothing enabled could ever wake it, unless userspace injects an
	 * interrupt: let it decide. With a PLIC userspace has no say, and
	 * the vCPU sleeps here until a signal, as a hart would.
	 */
	if (!(sie & SIE_ALL) && !axvm_riscv_plic_present(vcpu->vm))
		return AXVM_EXIT_HALT;

	timer = (sie & BIT(IRQ_S_TIMER)) && axvm_riscv_timer_armed(r);
	if (timer)
		axvm_riscv_timer_start(r);
	/* A signal ends the sleep too; the run loop then returns EINTR. */
	axvm_vcpu_block(vcpu, axvm_riscv_wake_pending);
	if (timer)
		axvm_riscv_timer_stop(r);
	return AXVM_EXIT_HALT | AXVM_ARCH_EXIT_HANDLED;
}

static int axvm_riscv_virtual_insn(struct axvm_vcpu *vcpu,
				   const struct axvm_riscv_exit *e)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	unsigned int funct3 = (e->insn >> 12) & 7;

	if (e->insn_len != 4)
		return axvm_riscv_internal(vcpu, e);
	/*
	 * From VU-mode: the instruction is a supervisor one the guest's
	 * user mode may not use (WFI with its TW, a supervisor CSR such as
	 * stimecmp). Its own kernel gets the illegal-instruction exception
	 * U-mode takes natively; emulating it would let the guest's user
	 * program its kernel's timer.
	 */
	if (r->user)
		return axvm_riscv_inject_illegal(vcpu, e);
	if (e->insn == INSN_WFI) {
		r->ctx.sepc += 4;
		return axvm_riscv_wait(vcpu);
	}
	if ((e->insn & 0x7f) == OPCODE_SYSTEM && funct3 && funct3 != 4) {
		if (e->insn >> 20 == CSR_STIMECMP)
			return axvm_riscv_stimecmp(vcpu, e->insn);
		return axvm_riscv_csr(vcpu, e->insn);
	}
	return axvm_riscv_inject_illegal(vcpu, e);
}

int axvm_riscv_handle_exit(struct axvm_vcpu *vcpu,
			   const struct axvm_riscv_exit *e)
{
	if (e->scause & CAUSE_IRQ_FLAG)
		return AXVM_EXIT_EXTERNAL_INTERRUPT;

	switch (e->scause) {
	case EXC_SUPERVISOR_SYSCALL:	/* ECALL from VS-mode */
		return axvm_riscv_sbi(vcpu, e);
	case EXC_INST_GUEST_PAGE_FAULT:
	case EXC_LOAD_GUEST_PAGE_FAULT:
	case EXC_STORE_GUEST_PAGE_FAULT:
		return axvm_riscv_gpf(vcpu, e);
	case EXC_VIRTUAL_INST_FAULT:
		return axvm_riscv_virtual_insn(vcpu, e);
	default:
		return axvm_riscv_internal(vcpu, e);
	}
}

/* Results userspace left in the run page for the last exit. */
void axvm_riscv_complete(struct axvm_vcpu *vcpu)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	struct axvm_run *run = vcpu->run;

	switch (r->pending) {
	case AXVM_EXIT_MMIO:
		axvm_riscv_set_x(r, r->pending_reg,
				 axvm_mmio_read_value(READ_ONCE(run->mmio.data),
						      r->pending_len,
						      r->pending_sse));
		break;
	case AXVM_EXIT_SYSREG:
		axvm_riscv_set_x(r, r->pending_reg,
				 READ_ONCE(run->sysreg.value));
		break;
	case AXVM_EXIT_HYPERCALL:
		r->ctx.x[10] = READ_ONCE(run->hypercall.ret);
		/* The legacy extensions (0-15) return a0 only. */
		if (r->ctx.x[17] > 15)
			r->ctx.x[11] = READ_ONCE(run->hypercall.ret2);
		break;
	case AXVM_EXIT_CPU_UP:
		r->ctx.x[10] = READ_ONCE(run->cpu_up.ret);
		if (r->ctx.x[10] != SBI_SUCCESS)
			axvm_riscv_sbi_start_failed(vcpu,
						    READ_ONCE(run->cpu_up.target));
		break;
	}
	r->pending = 0;
}
