// SPDX-License-Identifier: GPL-2.0
/*
 * SBI calls of the guest (ECALL from VS-mode: a7 extension, a6 function,
 * a0-a5 arguments; a0 error and a1 value back). BASE, TIME, IPI, RFENCE,
 * HSM and SRST are answered here or become the matching exit; every other
 * extension, the legacy console and DBCN included, goes to userspace as a
 * hypercall exit.
 */
#include <asm/sbi.h>

#include "riscv.h"

#define AXVM_SBI_SPEC_VERSION	(2UL << SBI_SPEC_VERSION_MAJOR_SHIFT)
#define AXVM_SBI_IMPL_ID	0x4158564dUL	/* "AXVM" */
#define AXVM_SBI_IMPL_VERSION	1

struct axvm_sbi_ret {
	long error;
	unsigned long value;
};

static bool axvm_sbi_ext_in_kernel(unsigned long ext)
{
	switch (ext) {
	case SBI_EXT_0_1_SET_TIMER:
	case SBI_EXT_0_1_CLEAR_IPI:
	case SBI_EXT_0_1_SHUTDOWN:
	case SBI_EXT_BASE:
	case SBI_EXT_TIME:
	case SBI_EXT_IPI:
	case SBI_EXT_RFENCE:
	case SBI_EXT_HSM:
	case SBI_EXT_SRST:
		return true;
	}
	return false;
}

/* A set of harts as SBI names them: a mask and its base, -1 for all. */
struct axvm_sbi_harts {
	unsigned long mask, base;
	int (*fn)(struct axvm_vcpu *vcpu, void *data);
	unsigned long found;	/* the mask bits that named a vCPU */
};

static int axvm_sbi_hart_match(struct axvm_vcpu *vcpu, void *data)
{
	struct axvm_sbi_harts *h = data;
	u64 bit = vcpu->arch_id - h->base;

	if (h->base != -1UL) {
		if (vcpu->arch_id < h->base || bit >= BITS_PER_LONG ||
		    !(h->mask & BIT(bit)))
			return 0;
		h->found |= BIT(bit);
	}
	return h->fn(vcpu, NULL);
}

/* SBI_ERR_INVALID_PARAM when the mask names a hart that is no vCPU. */
static long axvm_sbi_for_harts(struct axvm_vcpu *vcpu, unsigned long mask,
			       unsigned long base,
			       int (*fn)(struct axvm_vcpu *vcpu, void *data))
{
	struct axvm_sbi_harts h = { .mask = mask, .base = base, .fn = fn };

	axvm_vm_visit_vcpus(vcpu->vm, axvm_sbi_hart_match, &h);
	if (base != -1UL && h.found != mask)
		return SBI_ERR_INVALID_PARAM;
	return SBI_SUCCESS;
}

/* A hart of the set exists: all there is to check before the exit. */
static int axvm_sbi_hart_exists(struct axvm_vcpu *target, void *unused)
{
	return 0;
}

/*
 * AXVM_CAP_USER_IPI: a valid send_ipi (SBI 2.0, 7.1) returns SUCCESS to
 * the guest and is the exit: hart_mask_base and hart_mask as the call
 * gave them, -1 (every hart, the sender's too) as send_to_all and
 * send_to_self. The VMM raises VSSIP (AXVM_INJECT_IRQ 2) on each.
 */
static int axvm_sbi_user_ipi(struct axvm_vcpu *vcpu, unsigned long mask,
			     unsigned long base)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	struct axvm_run *run = vcpu->run;
	long err = axvm_sbi_for_harts(vcpu, mask, base, axvm_sbi_hart_exists);

	r->ctx.x[10] = err;
	r->ctx.x[11] = 0;
	if (err)
		return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
	memset(&run->ipi, 0, sizeof(run->ipi));
	run->ipi.vector = IRQ_VS_SOFT;
	if (base == -1UL) {
		run->ipi.send_to_all = 1;
		run->ipi.send_to_self = 1;
	} else {
		run->ipi.target_cpu = base;
		run->ipi.target_cpu_aux = mask;
	}
	return AXVM_EXIT_IPI;
}

static int axvm_sbi_send_ipi(struct axvm_vcpu *target, void *unused)
{
	struct axvm_riscv_vcpu *r = target->arch;

	atomic_set(&r->ipi, 1);
	axvm_vcpu_kick(target);
	return 0;
}

/*
 * A remote fence: the target flushes its VMID's TLB entries (and its
 * instruction cache) before it enters the guest again, and a target in
 * the guest is made to leave it before the call returns.
 */
static int axvm_sbi_remote_fence(struct axvm_vcpu *target, void *unused)
{
	struct axvm_riscv_vcpu *r = target->arch;

	atomic_set(&r->fence, 1);
	axvm_vcpu_kick_sync(target);
	return 0;
}

/* SBI SRST reset_reason values (SBI 2.0, 10.1). */
#define AXVM_SBI_SRST_REASON_FAILURE	1
#define AXVM_SBI_SRST_REASON_IMPL	0xe0000000U
#define AXVM_SBI_SRST_REASON_IMPL_LAST	0xefffffffU

static int axvm_sbi_hsm_status(struct axvm_vcpu *target, void *state)
{
	struct axvm_riscv_vcpu *r = target->arch;

	*(int *)state = atomic_read(&r->hsm_state);
	return 0;
}

static int axvm_sbi_hsm_claim(struct axvm_vcpu *target, void *data)
{
	struct axvm_riscv_vcpu *r = target->arch;
	const unsigned long *a = data;

	/* 1: the hart is not stopped. */
	if (atomic_cmpxchg(&r->hsm_state, AXVM_SBI_HSM_STOPPED,
			   AXVM_SBI_HSM_START_PENDING) != AXVM_SBI_HSM_STOPPED)
		return 1;
	/* Its thread resets it: axvm_arch_vcpu_apply_reset(). */
	r->start_addr = a[1];
	r->start_opaque = a[2];
	atomic_set_release(&r->start_reset, 1);
	return 0;
}

static int axvm_sbi_hsm_unclaim(struct axvm_vcpu *target, void *unused)
{
	struct axvm_riscv_vcpu *r = target->arch;

	if (atomic_cmpxchg(&r->hsm_state, AXVM_SBI_HSM_START_PENDING,
			   AXVM_SBI_HSM_STOPPED) == AXVM_SBI_HSM_START_PENDING)
		atomic_set(&r->start_reset, 0);
	return 0;
}

/* Userspace refused a hart_start: the target is stopped again. */
void axvm_riscv_sbi_start_failed(struct axvm_vcpu *vcpu, u64 target)
{
	axvm_vm_with_vcpu(vcpu->vm, target, axvm_sbi_hsm_unclaim, NULL);
}

/* The whole call to userspace, with "not supported" preset as result. */
static int axvm_sbi_to_user(struct axvm_vcpu *vcpu)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	struct axvm_run *run = vcpu->run;
	unsigned int i;

	run->hypercall.nr = r->ctx.x[17];
	run->hypercall.fid = r->ctx.x[16];
	for (i = 0; i < 6; i++)
		run->hypercall.args[i] = r->ctx.x[10 + i];
	run->hypercall.ret = SBI_ERR_NOT_SUPPORTED;
	run->hypercall.ret2 = 0;
	r->pending = AXVM_EXIT_HYPERCALL;
	return AXVM_EXIT_HYPERCALL;
}

static int axvm_sbi_base(struct axvm_vcpu *vcpu, unsigned long fid,
			 unsigned long arg, struct axvm_sbi_ret *ret)
{
	switch (fid) {
	case SBI_EXT_BASE_GET_SPEC_VERSION:
		ret->value = AXVM_SBI_SPEC_VERSION;
		break;
	case SBI_EXT_BASE_GET_IMP_ID:
		ret->value = AXVM_SBI_IMPL_ID;
		break;
	case SBI_EXT_BASE_GET_IMP_VERSION:
		ret->value = AXVM_SBI_IMPL_VERSION;
		break;
	case SBI_EXT_BASE_PROBE_EXT:
		if (axvm_sbi_ext_in_kernel(arg)) {
			ret->value = 1;
			break;
		}
		/*
		 * Userspace says whether it implements the others. The
		 * probe has no error return (SBI 2.0, 4: every BASE function
		 * succeeds), so a VMM that knows nothing of it leaves the
		 * extension absent: 0, SBI_SUCCESS.
		 */
		axvm_sbi_to_user(vcpu);
		vcpu->run->hypercall.ret = SBI_SUCCESS;
		return AXVM_EXIT_HYPERCALL;
	case SBI_EXT_BASE_GET_MVENDORID:
	case SBI_EXT_BASE_GET_MARCHID:
	case SBI_EXT_BASE_GET_MIMPID:
		ret->value = 0;
		break;
	default:
		ret->error = SBI_ERR_NOT_SUPPORTED;
	}
	return 0;
}

/*
 * Resuming from a non-retentive suspend (SBI 2.0, 9.4): at resume_addr
 * in S-mode with satp 0, sstatus.SIE 0, a0 the hart id and a1 the opaque
 * value; every other register is undefined, and axvm clears the general
 * ones. The CSRs that name interrupts (sie, the pending ones) and the
 * timer stay: the interrupt that woke the hart is still to be taken.
 */
static void axvm_sbi_resume(struct axvm_vcpu *vcpu, unsigned long addr,
			    unsigned long opaque)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;

	memset(r->ctx.x, 0, sizeof(r->ctx.x));
	r->ctx.x[10] = vcpu->arch_id;
	r->ctx.x[11] = opaque;
	r->ctx.sepc = addr;
	r->user = false;
	r->csrs[AXVM_RISCV_SATP] = 0;
	r->csrs[AXVM_RISCV_SSTATUS] &= ~SR_SIE;
}

/*
 * hart_suspend (SBI 2.0, 9.4). Both default types wait as WFI does, as
 * in KVM: until an interrupt the guest enabled in sie is pending, the
 * hart SUSPENDED meanwhile. The retentive one then returns SBI_SUCCESS;
 * the non-retentive one resumes at resume_addr instead, which must be
 * guest RAM (INVALID_ADDRESS otherwise). There are no platform-specific
 * types: reserved or unimplemented ones are INVALID_PARAM. suspend_type
 * is 32 bits.
 */
static int axvm_sbi_hart_suspend(struct axvm_vcpu *vcpu,
				 const unsigned long *a,
				 struct axvm_sbi_ret *ret)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	unsigned long addr = a[1], opaque = a[2];
	u32 type = a[0];
	int exit;

	if (type != SBI_HSM_SUSPEND_RET_DEFAULT &&
	    type != SBI_HSM_SUSPEND_NON_RET_DEFAULT) {
		ret->error = SBI_ERR_INVALID_PARAM;
		return 0;
	}
	if (type == SBI_HSM_SUSPEND_NON_RET_DEFAULT &&
	    !axvm_mem_present(vcpu->vm, addr)) {
		ret->error = SBI_ERR_INVALID_ADDRESS;
		return 0;
	}
	r->ctx.x[10] = SBI_SUCCESS;
	r->ctx.x[11] = 0;
	atomic_cmpxchg(&r->hsm_state, AXVM_SBI_HSM_STARTED,
		       AXVM_SBI_HSM_SUSPENDED);
	exit = axvm_riscv_wait(vcpu);
	atomic_cmpxchg(&r->hsm_state, AXVM_SBI_HSM_SUSPENDED,
		       AXVM_SBI_HSM_STARTED);
	/*
	 * Whatever ended the wait, a signal or a halt userspace decides on
	 * included, the hart has resumed: the next run starts there.
	 */
	if (type == SBI_HSM_SUSPEND_NON_RET_DEFAULT)
		axvm_sbi_resume(vcpu, addr, opaque);
	return exit;
}

static int axvm_sbi_hsm(struct axvm_vcpu *vcpu, unsigned long fid,
			const unsigned long *a, struct axvm_sbi_ret *ret)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	struct axvm_run *run = vcpu->run;
	int state, err;

	switch (fid) {
	case SBI_EXT_HSM_HART_START:
		/*
		 * SBI 2.0, 9.1: a hart id that names no hart, a hart not
		 * stopped (as KVM, before the address), then a start_addr
		 * that is no memory the hart could execute. The claim
		 * below settles a race with another hart_start.
		 */
		if (axvm_vm_with_vcpu(vcpu->vm, a[0], axvm_sbi_hsm_status,
				      &state)) {
			ret->error = SBI_ERR_INVALID_PARAM;
			return 0;
		}
		if (state != AXVM_SBI_HSM_STOPPED) {
			ret->error = SBI_ERR_ALREADY_AVAILABLE;
			return 0;
		}
		if (!axvm_mem_present(vcpu->vm, a[1])) {
			ret->error = SBI_ERR_INVALID_ADDRESS;
			return 0;
		}
		err = axvm_vm_with_vcpu(vcpu->vm, a[0], axvm_sbi_hsm_claim,
					(void *)a);
		if (err) {
			ret->error = err == -ENOENT ? SBI_ERR_INVALID_PARAM :
						      SBI_ERR_ALREADY_AVAILABLE;
			return 0;
		}
		run->cpu_up.target = a[0];
		run->cpu_up.entry = a[1];
		run->cpu_up.arg = a[2];
		run->cpu_up.ret = SBI_SUCCESS;
		r->pending = AXVM_EXIT_CPU_UP;
		return AXVM_EXIT_CPU_UP;
	case SBI_EXT_HSM_HART_STOP:
		atomic_set(&r->hsm_state, AXVM_SBI_HSM_STOPPED);
		/*
		 * Should it run on as it is, the call failed: SBI_ERR_FAILED,
		 * its only error (SBI 2.0, 9.2).
		 */
		r->ctx.x[10] = SBI_ERR_FAILURE;
		run->cpu_down.state = 0;
		return AXVM_EXIT_CPU_DOWN;
	case SBI_EXT_HSM_HART_SUSPEND:
		return axvm_sbi_hart_suspend(vcpu, a, ret);
	case SBI_EXT_HSM_HART_STATUS:
		if (axvm_vm_with_vcpu(vcpu->vm, a[0], axvm_sbi_hsm_status,
				      &state))
			ret->error = SBI_ERR_INVALID_PARAM;
		else
			ret->value = state;
		return 0;
	default:
		ret->error = SBI_ERR_NOT_SUPPORTED;
		return 0;
	}
}

static int axvm_sbi_srst(struct axvm_vcpu *vcpu, unsigned long fid,
			 const unsigned long *a, struct axvm_sbi_ret *ret)
{
	struct axvm_run *run = vcpu->run;

	/* 32-bit arguments: only their low halves count (SBI 2.0, 3). */
	u32 type = a[0], reason = a[1];

	if (fid != SBI_EXT_SRST_RESET) {
		ret->error = SBI_ERR_NOT_SUPPORTED;
		return 0;
	}
	/*
	 * SBI 10.1: INVALID_PARAM for a reason "reserved or ...
	 * platform-specific and unimplemented": 2 to 0xDFFFFFFF are
	 * reserved, and the VM platform defines no 0xF0000000 and up. The
	 * SBI implementation's own, 0xE0000000 to 0xEFFFFFFF, go to the VMM.
	 */
	if (reason > AXVM_SBI_SRST_REASON_FAILURE &&
	    (reason < AXVM_SBI_SRST_REASON_IMPL ||
	     reason > AXVM_SBI_SRST_REASON_IMPL_LAST)) {
		ret->error = SBI_ERR_INVALID_PARAM;
		return 0;
	}
	switch (type) {
	case SBI_SRST_RESET_TYPE_SHUTDOWN:
		run->system_down.type = AXVM_SYSTEM_DOWN_POWEROFF;
		break;
	case SBI_SRST_RESET_TYPE_COLD_REBOOT:
	case SBI_SRST_RESET_TYPE_WARM_REBOOT:
		run->system_down.type = AXVM_SYSTEM_DOWN_RESET;
		break;
	default:
		ret->error = SBI_ERR_INVALID_PARAM;
		return 0;
	}
	run->system_down.data = (u64)type << 32 | reason;
	((struct axvm_riscv_vcpu *)vcpu->arch)->ctx.x[10] = SBI_ERR_FAILURE;
	return AXVM_EXIT_SYSTEM_DOWN;
}

int axvm_riscv_sbi(struct axvm_vcpu *vcpu, const struct axvm_riscv_exit *e)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	unsigned long ext = r->ctx.x[17], fid = r->ctx.x[16];
	const unsigned long *a = (const unsigned long *)&r->ctx.x[10];
	struct axvm_sbi_ret ret = { SBI_SUCCESS, 0 };
	int exit = 0;

	/* ECALL traps before it completes: resume after it. */
	r->ctx.sepc += 4;

	switch (ext) {
	case SBI_EXT_BASE:
		exit = axvm_sbi_base(vcpu, fid, a[0], &ret);
		break;
	case SBI_EXT_TIME:
		if (fid == SBI_EXT_TIME_SET_TIMER)
			axvm_riscv_timer_set(r, a[0]);
		else
			ret.error = SBI_ERR_NOT_SUPPORTED;
		break;
	case SBI_EXT_0_1_SET_TIMER:
		axvm_riscv_timer_set(r, a[0]);
		r->ctx.x[10] = 0;	/* legacy calls return a0 only */
		return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
	case SBI_EXT_0_1_CLEAR_IPI:
		/* SBI 5.4: the IPIs pending on this hart only; returns 0. */
		atomic_set(&r->ipi, 0);
		r->hvip &= ~AXVM_RISCV_VSSIP;
		r->ctx.x[10] = 0;
		return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
	case SBI_EXT_0_1_SHUTDOWN:
		/* SBI 5.9: a power-off that does not return; run on, -1. */
		vcpu->run->system_down.type = AXVM_SYSTEM_DOWN_POWEROFF;
		vcpu->run->system_down.data = 0;
		r->ctx.x[10] = -1UL;
		return AXVM_EXIT_SYSTEM_DOWN;
	case SBI_EXT_IPI:
		if (fid == SBI_EXT_IPI_SEND_IPI && vcpu->vm->user_ipi)
			return axvm_sbi_user_ipi(vcpu, a[0], a[1]);
		if (fid == SBI_EXT_IPI_SEND_IPI)
			ret.error = axvm_sbi_for_harts(vcpu, a[0], a[1],
						       axvm_sbi_send_ipi);
		else
			ret.error = SBI_ERR_NOT_SUPPORTED;
		break;
	case SBI_EXT_RFENCE:
		/* The guest runs no guests: the hfence calls do not exist. */
		if (fid <= SBI_EXT_RFENCE_REMOTE_SFENCE_VMA_ASID)
			ret.error = axvm_sbi_for_harts(vcpu, a[0], a[1],
						       axvm_sbi_remote_fence);
		else
			ret.error = SBI_ERR_NOT_SUPPORTED;
		break;
	case SBI_EXT_HSM:
		exit = axvm_sbi_hsm(vcpu, fid, a, &ret);
		break;
	case SBI_EXT_SRST:
		exit = axvm_sbi_srst(vcpu, fid, a, &ret);
		break;
	default:
		return axvm_sbi_to_user(vcpu);
	}
	if (exit)
		return exit;
	r->ctx.x[10] = ret.error;
	r->ctx.x[11] = ret.value;
	return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
}

u32 axvm_arch_vcpu_get_power(struct axvm_vcpu *vcpu)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;

	switch (atomic_read(&r->hsm_state)) {
	case AXVM_SBI_HSM_STARTED:
		return AXVM_POWER_ON;
	case AXVM_SBI_HSM_START_PENDING:
		return AXVM_POWER_ON_PENDING;
	case AXVM_SBI_HSM_SUSPENDED:
		return AXVM_POWER_SUSPENDED;
	default:
		return AXVM_POWER_OFF;
	}
}

/*
 * STARTED or STOPPED, what HART_GET_STATUS and hart_start answer from
 * then on; a hart_start in flight is overridden, its reset undone.
 */
int axvm_arch_vcpu_set_power(struct axvm_vcpu *vcpu, u32 power)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;

	if (power != AXVM_POWER_ON && power != AXVM_POWER_OFF)
		return -EINVAL;
	atomic_set(&r->start_reset, 0);
	atomic_set(&r->hsm_state, power == AXVM_POWER_ON ?
			AXVM_SBI_HSM_STARTED : AXVM_SBI_HSM_STOPPED);
	return 0;
}
