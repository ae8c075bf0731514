// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's debug registers, shared by VMX and SVM. Every MOV DR exits
 * and is emulated on the copies kept here, so the guest never reads the
 * host's DR0-3 (a host watchpoint's address) and its DR7 survives exits.
 * VMX and SVM switch DR7 themselves (the VMCS's GUEST_DR7, the VMCB's
 * DR7 and DR6); DR0-3 are the guest's in hardware only while its DR7
 * enables a breakpoint, and the host's come back after that run, as KVM
 * does (arch/x86/kvm/x86.c, switch_db_regs).
 */
#include "x86.h"

#include <asm/cpufeature.h>
#include <asm/debugreg.h>

/*
 * DR6: the bits a #DB reports (SDM 18.2.3: B0-B3, BD, BS, BT); the rest
 * reads as DR6_RESERVED has them (no RTM or bus-lock status for guests).
 */
#define AXVM_DR6_BD		BIT(13)
#define AXVM_DR6_STATUS		(DR_TRAP_BITS | AXVM_DR6_BD | DR_STEP | \
				 DR_SWITCH)
/* DR7: bit 10 reads 1; 11 (RTM), 12, 14, 15 and 32-63 are reserved. */
#define AXVM_DR7_FIXED_1	0x400ULL
#define AXVM_DR7_RSVD		(GENMASK_ULL(63, 32) | BIT(11) | BIT(12) | \
				 BIT(14) | BIT(15))
#define AXVM_DR7_GD		BIT(13)
#define AXVM_DR7_ENABLES	0xffULL		/* L0 G0 ... L3 G3 */

void axvm_x86_dr_reset(struct axvm_x86_vcpu *x)
{
	memset(x->db, 0, sizeof(x->db));
	x->dr6 = DR6_RESERVED;
	x->dr7 = AXVM_DR7_FIXED_1;
}

/* Userspace's DR6/DR7 (AXVM_SET_SYSREG): -EINVAL for reserved bits. */
int axvm_x86_dr_set(struct axvm_x86_vcpu *x, unsigned int dr, u64 v)
{
	switch (dr) {
	case 0 ... 3:
		x->db[dr] = v;
		return 0;
	case 6:
		if (v >> 32)
			return -EINVAL;
		x->dr6 = (v & AXVM_DR6_STATUS) | DR6_RESERVED;
		return 0;
	case 7:
		if (v & AXVM_DR7_RSVD)
			return -EINVAL;
		x->dr7 = v | AXVM_DR7_FIXED_1;
		return 0;
	}
	return -ENOENT;
}

u64 *axvm_x86_dr_slot(struct axvm_x86_vcpu *x, unsigned int dr)
{
	switch (dr) {
	case 0 ... 3:
		return &x->db[dr];
	case 6:
		return &x->dr6;
	case 7:
		return &x->dr7;
	}
	return NULL;
}

/*
 * A #DB for the guest: its DR6 takes the status bits of this one (the
 * exit qualification on VMX, the VMCB's DR6 on SVM) and delivery clears
 * DR7.GD, so that the handler may use the debug registers (SDM 18.2.4).
 */
void axvm_x86_debug_exception(struct axvm_x86_vcpu *x, u64 status)
{
	x->dr6 = (x->dr6 & ~AXVM_DR6_STATUS) | (status & AXVM_DR6_STATUS);
	x->dr7 &= ~AXVM_DR7_GD;
	axvm_x86_raise(x, AXVM_X86_DB_VECTOR, false, 0);
}

/*
 * MOV to or from DR@dr with general register @gpr, @len bytes long. The
 * faults the SDM lists for MOV DR (Vol. 2B) come in the order it gives:
 * #GP at CPL > 0 (checked by the CPU before the exit, checked again for
 * emulators that do not), #UD for DR4/DR5 with CR4.DE, #DB when DR7.GD is
 * set, #GP for ones in the upper half of DR6 or DR7.
 */
int axvm_x86_mov_dr(struct axvm_x86_vcpu *x, unsigned int dr,
		    unsigned int gpr, bool to_dr, unsigned int len)
{
	u64 v = x->gpr[gpr];

	if (axvm_x86_cpl(x)) {
		axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
		goto out;
	}
	if (dr == 4 || dr == 5) {
		if (x->cr4 & X86_CR4_DE) {
			axvm_x86_raise(x, AXVM_X86_UD_VECTOR, false, 0);
			goto out;
		}
		dr += 2;		/* aliases of DR6 and DR7 */
	}
	if (x->dr7 & AXVM_DR7_GD) {
		/* A fault: RIP stays on the MOV, DR6.BD says why. */
		axvm_x86_debug_exception(x, AXVM_DR6_BD);
		goto out;
	}
	if (!to_dr) {
		/* Outside 64-bit mode the 32-bit register is written. */
		v = *axvm_x86_dr_slot(x, dr);
		x->gpr[gpr] = axvm_x86_cpu_mode(x) == 64 ? v : (u32)v;
	} else if (axvm_x86_cpu_mode(x) != 64) {
		axvm_x86_dr_set(x, dr, (u32)v);
	} else if (axvm_x86_dr_set(x, dr, v)) {
		axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
		goto out;
	}
	x->rip += len;
out:
	return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
}

/*
 * Before an entry, interrupts off: the guest's DR0-3 go into the CPU
 * when its DR7 arms a breakpoint. The host's DR7 is off meanwhile: VMX
 * and SVM load the guest's DR7 at entry.
 */
void axvm_x86_dr_load(struct axvm_x86_vcpu *x)
{
	x->db_loaded = x->dr7 & AXVM_DR7_ENABLES;
	if (!x->db_loaded)
		return;
	set_debugreg(x->db[0], 0);
	set_debugreg(x->db[1], 1);
	set_debugreg(x->db[2], 2);
	set_debugreg(x->db[3], 3);
}

/*
 * After the exit, interrupts still off: the exit left DR7 at 0x400, so
 * the host's breakpoints (and their addresses, where the guest's were
 * loaded) come back.
 */
void axvm_x86_dr_put(struct axvm_x86_vcpu *x)
{
	if (x->db_loaded || hw_breakpoint_active())
		hw_breakpoint_restore();
	x->db_loaded = false;
}
