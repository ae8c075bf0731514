// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's self-hosted debug: breakpoints, watchpoints and software
 * step (Arm ARM D2, "AArch64 Self-hosted Debug"). Every debug register
 * access traps (MDCR_EL2.TDA, TDOSA) and is answered here from the
 * vCPU's copy; while the guest has debug exceptions enabled (MDSCR_EL1
 * MDE, KDE or SS, OS lock clear) its registers are in the CPU for the
 * run, and the host's (its hw_breakpoint and ptrace ones) are saved
 * before and put back after, with interrupts and debug exceptions masked
 * (PSTATE.D) all the while. The guest's debug exceptions go to its own
 * EL1: HCR_EL2.TGE and MDCR_EL2.TDE are clear while it runs.
 */
#include <linux/bitfield.h>
#include <asm/sysreg.h>

#include "arm64.h"

#define AXVM_MDSCR_SS		BIT_ULL(0)
#define AXVM_MDSCR_TDCC		BIT_ULL(12)
#define AXVM_MDSCR_KDE		BIT_ULL(13)
#define AXVM_MDSCR_MDE		BIT_ULL(15)
/* What the guest may set in MDSCR_EL1: the rest is for EL2 or absent. */
#define AXVM_MDSCR_GUEST	(AXVM_MDSCR_SS | AXVM_MDSCR_TDCC |	\
				 AXVM_MDSCR_KDE | AXVM_MDSCR_MDE)
/*
 * DBGBCR/DBGWCR.HMC (bit 13): with it a breakpoint or watchpoint can
 * match at EL2. The guest was told it has no EL2, so it never needs it,
 * and the host's EL2 code must never match a guest's: it is cleared in
 * what the CPU gets (the guest reads back what it wrote).
 */
#define AXVM_DBGxCR_HMC		BIT_ULL(13)
/* OSLSR_EL1: OSLM 0b10 (the OS lock is implemented), OSLK bit 1. */
#define AXVM_OSLSR_OSLM		BIT_ULL(3)
#define AXVM_OSLSR_OSLK		BIT_ULL(1)
/* ID_AA64DFR0_EL1.BRPs [15:12], WRPs [23:20]: how many, minus one. */
#define AXVM_DFR0_BRPS		GENMASK_ULL(15, 12)
#define AXVM_DFR0_WRPS		GENMASK_ULL(23, 20)

static unsigned int axvm_dbg_count(u64 dfr0, u64 field)
{
	return (unsigned int)FIELD_GET(field, dfr0) + 1;
}

/* What the guest was told (the system's sanitised, smallest, counts). */
static unsigned int axvm_dbg_guest_count(u64 field)
{
	u64 dfr0 = 0;

	axvm_arm64_idreg_read(3, 0, 0, 5, 0, &dfr0);
	return axvm_dbg_count(dfr0, field);
}

/*
 * Register <n> of a kind, for n below 16 (the architecture's most): the
 * instructions name the register, so one case each.
 */
#define AXVM_DBG_REG_FNS(reg)						\
static u64 axvm_dbg_read_##reg(unsigned int n)				\
{									\
	switch (n) {							\
	case 0: return read_sysreg(dbg##reg##0_el1);			\
	case 1: return read_sysreg(dbg##reg##1_el1);			\
	case 2: return read_sysreg(dbg##reg##2_el1);			\
	case 3: return read_sysreg(dbg##reg##3_el1);			\
	case 4: return read_sysreg(dbg##reg##4_el1);			\
	case 5: return read_sysreg(dbg##reg##5_el1);			\
	case 6: return read_sysreg(dbg##reg##6_el1);			\
	case 7: return read_sysreg(dbg##reg##7_el1);			\
	case 8: return read_sysreg(dbg##reg##8_el1);			\
	case 9: return read_sysreg(dbg##reg##9_el1);			\
	case 10: return read_sysreg(dbg##reg##10_el1);			\
	case 11: return read_sysreg(dbg##reg##11_el1);			\
	case 12: return read_sysreg(dbg##reg##12_el1);			\
	case 13: return read_sysreg(dbg##reg##13_el1);			\
	case 14: return read_sysreg(dbg##reg##14_el1);			\
	case 15: return read_sysreg(dbg##reg##15_el1);			\
	default: return 0;						\
	}								\
}									\
static void axvm_dbg_write_##reg(unsigned int n, u64 v)			\
{									\
	switch (n) {							\
	case 0:							\
		write_sysreg(v, dbg##reg##0_el1);			\
		break;							\
	case 1:							\
		write_sysreg(v, dbg##reg##1_el1);			\
		break;							\
	case 2:							\
		write_sysreg(v, dbg##reg##2_el1);			\
		break;							\
	case 3:							\
		write_sysreg(v, dbg##reg##3_el1);			\
		break;							\
	case 4:							\
		write_sysreg(v, dbg##reg##4_el1);			\
		break;							\
	case 5:							\
		write_sysreg(v, dbg##reg##5_el1);			\
		break;							\
	case 6:							\
		write_sysreg(v, dbg##reg##6_el1);			\
		break;							\
	case 7:							\
		write_sysreg(v, dbg##reg##7_el1);			\
		break;							\
	case 8:							\
		write_sysreg(v, dbg##reg##8_el1);			\
		break;							\
	case 9:							\
		write_sysreg(v, dbg##reg##9_el1);			\
		break;							\
	case 10:							\
		write_sysreg(v, dbg##reg##10_el1);			\
		break;							\
	case 11:							\
		write_sysreg(v, dbg##reg##11_el1);			\
		break;							\
	case 12:							\
		write_sysreg(v, dbg##reg##12_el1);			\
		break;							\
	case 13:							\
		write_sysreg(v, dbg##reg##13_el1);			\
		break;							\
	case 14:							\
		write_sysreg(v, dbg##reg##14_el1);			\
		break;							\
	case 15:							\
		write_sysreg(v, dbg##reg##15_el1);			\
		break;							\
	}								\
}

AXVM_DBG_REG_FNS(bvr)
AXVM_DBG_REG_FNS(bcr)
AXVM_DBG_REG_FNS(wvr)
AXVM_DBG_REG_FNS(wcr)

/* One hardware register: @kind 4-7 is op2 (BVR, BCR, WVR, WCR). */
static void axvm_dbg_hw(unsigned int kind, unsigned int n, u64 *val,
			bool write)
{
	switch (kind) {
	case 4:
		if (write)
			axvm_dbg_write_bvr(n, *val);
		else
			*val = axvm_dbg_read_bvr(n);
		break;
	case 5:
		if (write)
			axvm_dbg_write_bcr(n, *val);
		else
			*val = axvm_dbg_read_bcr(n);
		break;
	case 6:
		if (write)
			axvm_dbg_write_wvr(n, *val);
		else
			*val = axvm_dbg_read_wvr(n);
		break;
	case 7:
		if (write)
			axvm_dbg_write_wcr(n, *val);
		else
			*val = axvm_dbg_read_wcr(n);
		break;
	}
}

static u64 *axvm_dbg_slot(struct axvm_arm64_debug *d, unsigned int kind,
			  unsigned int n)
{
	switch (kind) {
	case 4:
		return &d->bvr[n];
	case 5:
		return &d->bcr[n];
	case 6:
		return &d->wvr[n];
	default:
		return &d->wcr[n];
	}
}

/*
 * A trapped debug register access (op0 2): true when it is one of these,
 * with a read's value in *@val. DBGB/W{V,C}R<n>_EL1 for the breakpoints
 * and watchpoints the guest was told of (others are UNDEFINED: left to
 * the VMM), MDSCR_EL1, and the OS lock (OSLAR_EL1, OSLSR_EL1, OSDLR_EL1)
 * as a lock of the guest's own.
 */
bool axvm_arm64_debug_access(struct axvm_arm64_vcpu *a, u32 op0, u32 op1,
			     u32 crn, u32 crm, u32 op2, bool write, u64 *val)
{
	struct axvm_arm64_debug *d = &a->debug;
	unsigned int brps = axvm_dbg_guest_count(AXVM_DFR0_BRPS);
	unsigned int wrps = axvm_dbg_guest_count(AXVM_DFR0_WRPS);

	if (op0 != 2 || op1 != 0)
		return false;
	if (crn == 0 && op2 >= 4 &&
	    crm < (op2 < 6 ? brps : wrps)) {
		if (write)
			*axvm_dbg_slot(d, op2, crm) = *val;
		else
			*val = *axvm_dbg_slot(d, op2, crm);
		return true;
	}
	if (crn == 0 && crm == 2 && op2 == 2) {		/* MDSCR_EL1 */
		if (write)
			d->mdscr = *val & AXVM_MDSCR_GUEST;
		else
			*val = d->mdscr;
		return true;
	}
	if (crn == 1 && crm == 0 && op2 == 4) {		/* OSLAR_EL1 */
		if (write)
			d->oslk = *val & 1;
		else
			*val = 0;
		return true;
	}
	if (crn == 1 && crm == 1 && op2 == 4) {		/* OSLSR_EL1 */
		if (!write)
			*val = AXVM_OSLSR_OSLM |
			       (d->oslk ? AXVM_OSLSR_OSLK : 0);
		return true;
	}
	if (crn == 1 && crm == 3 && op2 == 4) {		/* OSDLR_EL1 */
		if (!write)
			*val = 0;
		return true;
	}
	return false;
}

/* The guest can take debug exceptions: its registers must be live. */
static bool axvm_arm64_debug_active(const struct axvm_arm64_debug *d)
{
	return !d->oslk &&
	       (d->mdscr & (AXVM_MDSCR_MDE | AXVM_MDSCR_KDE | AXVM_MDSCR_SS));
}

/*
 * Before the guest's entry, interrupts and debug exceptions masked: the
 * host's registers into @h, the guest's into the CPU. Registers this CPU
 * has beyond what the guest was told of are disabled for the run. False
 * when the guest does not use debug: only MDSCR_EL1 was switched.
 */
bool axvm_arm64_debug_load(struct axvm_arm64_vcpu *a,
			   struct axvm_arm64_debug *h)
{
	struct axvm_arm64_debug *d = &a->debug;
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned int brps = axvm_dbg_count(dfr0, AXVM_DFR0_BRPS);
	unsigned int wrps = axvm_dbg_count(dfr0, AXVM_DFR0_WRPS);
	unsigned int gb = axvm_dbg_guest_count(AXVM_DFR0_BRPS);
	unsigned int gw = axvm_dbg_guest_count(AXVM_DFR0_WRPS);
	unsigned int n;
	u64 v;

	h->mdscr = read_sysreg(mdscr_el1);
	if (!axvm_arm64_debug_active(d)) {
		/*
		 * MDSCR_EL1 is shared with the VHE host: its MDE/KDE (a
		 * debugger's or perf's breakpoints on the host) would
		 * make the host's breakpoint registers, still live,
		 * fire in the guest (TDE is clear). The guest's own,
		 * without the enables it cannot use now, as KVM always
		 * loads the guest's MDSCR.
		 */
		write_sysreg(d->mdscr & ~(AXVM_MDSCR_MDE | AXVM_MDSCR_KDE |
					  AXVM_MDSCR_SS), mdscr_el1);
		isb();
		return false;
	}
	for (n = 0; n < brps; n++) {
		axvm_dbg_hw(4, n, &h->bvr[n], false);
		axvm_dbg_hw(5, n, &h->bcr[n], false);
		v = n < gb ? d->bcr[n] & ~AXVM_DBGxCR_HMC : 0;
		axvm_dbg_hw(5, n, &v, true);
		v = n < gb ? d->bvr[n] : 0;
		axvm_dbg_hw(4, n, &v, true);
	}
	for (n = 0; n < wrps; n++) {
		axvm_dbg_hw(6, n, &h->wvr[n], false);
		axvm_dbg_hw(7, n, &h->wcr[n], false);
		v = n < gw ? d->wcr[n] & ~AXVM_DBGxCR_HMC : 0;
		axvm_dbg_hw(7, n, &v, true);
		v = n < gw ? d->wvr[n] : 0;
		axvm_dbg_hw(6, n, &v, true);
	}
	write_sysreg(d->mdscr, mdscr_el1);
	isb();
	return true;
}

/*
 * After the exit, still masked: the host's registers back, MDSCR_EL1
 * always, the others when @loaded (axvm_arm64_debug_load() said so).
 */
void axvm_arm64_debug_put(struct axvm_arm64_debug *h, bool loaded)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned int brps = axvm_dbg_count(dfr0, AXVM_DFR0_BRPS);
	unsigned int wrps = axvm_dbg_count(dfr0, AXVM_DFR0_WRPS);
	unsigned int n;

	write_sysreg(h->mdscr, mdscr_el1);
	if (!loaded) {
		isb();
		return;
	}
	for (n = 0; n < brps; n++) {
		axvm_dbg_hw(4, n, &h->bvr[n], true);
		axvm_dbg_hw(5, n, &h->bcr[n], true);
	}
	for (n = 0; n < wrps; n++) {
		axvm_dbg_hw(6, n, &h->wvr[n], true);
		axvm_dbg_hw(7, n, &h->wcr[n], true);
	}
	isb();
}
