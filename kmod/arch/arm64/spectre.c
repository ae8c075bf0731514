// SPDX-License-Identifier: GPL-2.0
/*
 * Spectre-v2 (CVE-2017-5715) and Spectre-BHB (CVE-2022-23960) on the
 * guest-exit path. A guest exit is an exception taken from a lower EL,
 * as a syscall is: the guest may have trained the branch predictors or
 * filled the branch history, and Arm's guidance asks a hypervisor to
 * mitigate between the exit and the first indirect branch of the host
 * (the RET that ends __axvm_arm64_exit in entry.S).
 *
 * The kernel's own machinery (bp_hardening_data, this_cpu_vector,
 * spectre_bhb_*, arm64_get_spectre_*_state) is not exported to modules,
 * so axvm decides for itself, per CPU, when it takes a CPU over (module
 * load and CPU online): big.LITTLE systems mix cores that need different
 * sequences. The rules are those of the kernel's proton-pack.c:
 *
 * Spectre-v2, first match wins:
 *   csv2        ID_AA64PFR0_EL1.CSV2 >= 1: not affected
 *   safe        a core known not to be affected
 *   unaffected  firmware says so: ARCH_FEATURES(ARCH_WORKAROUND_1) = 1
 *   off         mitigations=off
 *   wa1         ARCH_FEATURES(ARCH_WORKAROUND_1) = 0 through SMC: call
 *               ARCH_WORKAROUND_1 on every exit
 *   vulnerable  nothing of the above
 *
 * Spectre-BHB, first match wins:
 *   csv2p3      CSV2 >= 3 (FEAT_CSV2_3): not affected
 *   safe        a core known not to be affected
 *   ecbhb       FEAT_ECBHB: the hardware does it, nothing to run
 *   off         mitigations=off
 *   clearbhb    FEAT_CLRBHB: CLRBHB and an ISB
 *   loopK       K taken branches, K known for the core's part number
 *   wa3         ARCH_FEATURES(ARCH_WORKAROUND_3) = 0 through SMC: call
 *               ARCH_WORKAROUND_3 on every exit; it mitigates Spectre-v2
 *               too, so v2's wa1 becomes wa3 and WA1 is not called
 *   vulnerable  nothing of the above
 *
 * One difference: the kernel leaves BHB alone on a CPU whose v2 it cannot
 * mitigate ("no point"); axvm still runs its BHB sequence there, whose
 * cost is small, and whose firmware variant mitigates v2 as well.
 *
 * exit_mitigation shows each CPU's choice; exit_mitigation_force (testing
 * only) runs one sequence on every CPU instead, so that a lane without
 * the hardware or the firmware still runs each variant of the assembly.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/arm-smccc.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <asm/cputype.h>
#include <asm/sysreg.h>

#include "arm64.h"

/*
 * The ID registers and fields, by encoding and position (Arm ARM D19.2),
 * not by the kernel's names, which changed between 6.1 and 6.12.
 */
#define AXVM_ID_AA64PFR0_EL1	sys_reg(3, 0, 0, 4, 0)
#define AXVM_ID_AA64ISAR2_EL1	sys_reg(3, 0, 0, 6, 2)
#define AXVM_ID_AA64MMFR1_EL1	sys_reg(3, 0, 0, 7, 1)
/* ID_AA64PFR0_EL1.CSV2, bits 59:56: 1 FEAT_CSV2, 2 CSV2_2, 3 CSV2_3. */
#define AXVM_PFR0_CSV2_SHIFT	56
/* ID_AA64ISAR2_EL1.CLRBHB, bits 31:28: 1 FEAT_CLRBHB. */
#define AXVM_ISAR2_CLRBHB_SHIFT	28
/* ID_AA64MMFR1_EL1.ECBHB, bits 63:60: 1 FEAT_ECBHB. */
#define AXVM_MMFR1_ECBHB_SHIFT	60

static unsigned int axvm_id_field(u64 reg, unsigned int shift)
{
	return (reg >> shift) & 0xf;
}

/*
 * MIDR_EL1: Implementer 31:24, Variant 23:20, Architecture 19:16,
 * PartNum 15:4, Revision 3:0. A core is its implementer, architecture
 * (0xf: see the ID registers) and part number, in all its variants and
 * revisions.
 */
#define AXVM_MIDR_CORE_MASK	0xff0ffff0U
#define AXVM_MIDR(imp, part)	(((u32)(imp) << 24) | (0xfU << 16) | \
				 ((u32)(part) << 4))
#define AXVM_IMP_ARM		0x41
#define AXVM_IMP_BROADCOM	0x42
#define AXVM_IMP_HISILICON	0x48
#define AXVM_IMP_QUALCOMM	0x51
#define AXVM_IMP_AMPERE		0xc0

#define AXVM_CORTEX_A35		AXVM_MIDR(AXVM_IMP_ARM, 0xd04)
#define AXVM_CORTEX_A53		AXVM_MIDR(AXVM_IMP_ARM, 0xd03)
#define AXVM_CORTEX_A55		AXVM_MIDR(AXVM_IMP_ARM, 0xd05)
#define AXVM_CORTEX_A57		AXVM_MIDR(AXVM_IMP_ARM, 0xd07)
#define AXVM_CORTEX_A72		AXVM_MIDR(AXVM_IMP_ARM, 0xd08)
#define AXVM_CORTEX_A76		AXVM_MIDR(AXVM_IMP_ARM, 0xd0b)
#define AXVM_NEOVERSE_N1	AXVM_MIDR(AXVM_IMP_ARM, 0xd0c)
#define AXVM_CORTEX_A77		AXVM_MIDR(AXVM_IMP_ARM, 0xd0d)
#define AXVM_CORTEX_A76AE	AXVM_MIDR(AXVM_IMP_ARM, 0xd0e)
#define AXVM_NEOVERSE_V1	AXVM_MIDR(AXVM_IMP_ARM, 0xd40)
#define AXVM_CORTEX_A78		AXVM_MIDR(AXVM_IMP_ARM, 0xd41)
#define AXVM_CORTEX_A78AE	AXVM_MIDR(AXVM_IMP_ARM, 0xd42)
#define AXVM_CORTEX_X1		AXVM_MIDR(AXVM_IMP_ARM, 0xd44)
#define AXVM_CORTEX_A510	AXVM_MIDR(AXVM_IMP_ARM, 0xd46)
#define AXVM_CORTEX_A710	AXVM_MIDR(AXVM_IMP_ARM, 0xd47)
#define AXVM_CORTEX_X2		AXVM_MIDR(AXVM_IMP_ARM, 0xd48)
#define AXVM_NEOVERSE_N2	AXVM_MIDR(AXVM_IMP_ARM, 0xd49)
#define AXVM_CORTEX_A78C	AXVM_MIDR(AXVM_IMP_ARM, 0xd4b)
#define AXVM_CORTEX_X1C		AXVM_MIDR(AXVM_IMP_ARM, 0xd4c)
#define AXVM_CORTEX_A715	AXVM_MIDR(AXVM_IMP_ARM, 0xd4d)
#define AXVM_CORTEX_X3		AXVM_MIDR(AXVM_IMP_ARM, 0xd4e)
#define AXVM_NEOVERSE_V2	AXVM_MIDR(AXVM_IMP_ARM, 0xd4f)
#define AXVM_CORTEX_A520	AXVM_MIDR(AXVM_IMP_ARM, 0xd80)
#define AXVM_CORTEX_A720	AXVM_MIDR(AXVM_IMP_ARM, 0xd81)
#define AXVM_BRAHMA_B53		AXVM_MIDR(AXVM_IMP_BROADCOM, 0x100)
#define AXVM_HISI_TSV110	AXVM_MIDR(AXVM_IMP_HISILICON, 0xd01)
#define AXVM_HISI_HIP09		AXVM_MIDR(AXVM_IMP_HISILICON, 0xd02)
#define AXVM_KRYO_2XX_SILVER	AXVM_MIDR(AXVM_IMP_QUALCOMM, 0x801)
#define AXVM_KRYO_3XX_SILVER	AXVM_MIDR(AXVM_IMP_QUALCOMM, 0x803)
#define AXVM_KRYO_4XX_GOLD	AXVM_MIDR(AXVM_IMP_QUALCOMM, 0x804)
#define AXVM_KRYO_4XX_SILVER	AXVM_MIDR(AXVM_IMP_QUALCOMM, 0x805)
#define AXVM_AMPERE1		AXVM_MIDR(AXVM_IMP_AMPERE, 0xac3)

/* In-order or otherwise unaffected cores: no Spectre-v2. */
static const u32 axvm_v2_safe_cores[] = {
	AXVM_CORTEX_A35, AXVM_CORTEX_A53, AXVM_CORTEX_A55, AXVM_BRAHMA_B53,
	AXVM_HISI_TSV110, AXVM_KRYO_2XX_SILVER, AXVM_KRYO_3XX_SILVER,
	AXVM_KRYO_4XX_SILVER,
};

/* No Spectre-BHB. */
static const u32 axvm_bhb_safe_cores[] = {
	AXVM_CORTEX_A35, AXVM_CORTEX_A53, AXVM_CORTEX_A55, AXVM_CORTEX_A510,
	AXVM_CORTEX_A520, AXVM_BRAHMA_B53, AXVM_KRYO_2XX_SILVER,
	AXVM_KRYO_3XX_SILVER, AXVM_KRYO_4XX_SILVER,
};

/*
 * Taken branches that push a guest's branch history out of each core's
 * history buffer (Arm's Spectre-BHB white paper, and the vendors').
 */
static const struct {
	u32 core;
	u16 k;
} axvm_bhb_loop_cores[] = {
	{ AXVM_CORTEX_X3, 132 }, { AXVM_NEOVERSE_V2, 132 },
	{ AXVM_CORTEX_A715, 38 }, { AXVM_CORTEX_A720, 38 },
	{ AXVM_CORTEX_A78, 32 }, { AXVM_CORTEX_A78AE, 32 },
	{ AXVM_CORTEX_A78C, 32 }, { AXVM_CORTEX_X1, 32 },
	{ AXVM_CORTEX_X1C, 32 }, { AXVM_CORTEX_A710, 32 },
	{ AXVM_CORTEX_X2, 32 }, { AXVM_NEOVERSE_N2, 32 },
	{ AXVM_NEOVERSE_V1, 32 }, { AXVM_HISI_TSV110, 32 },
	{ AXVM_CORTEX_A76, 24 }, { AXVM_CORTEX_A76AE, 24 },
	{ AXVM_CORTEX_A77, 24 }, { AXVM_NEOVERSE_N1, 24 },
	{ AXVM_KRYO_4XX_GOLD, 24 }, { AXVM_HISI_HIP09, 24 },
	{ AXVM_AMPERE1, 11 },
	{ AXVM_CORTEX_A72, 8 }, { AXVM_CORTEX_A57, 8 },
};

/* The largest K above: what exit_mitigation_force=loop runs. */
#define AXVM_BHB_LOOP_K_MAX	132

static bool axvm_core_in(const u32 *cores, size_t n, u32 midr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((midr & AXVM_MIDR_CORE_MASK) == cores[i])
			return true;
	return false;
}

static unsigned int axvm_bhb_loop_k(u32 midr)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(axvm_bhb_loop_cores); i++)
		if ((midr & AXVM_MIDR_CORE_MASK) == axvm_bhb_loop_cores[i].core)
			return axvm_bhb_loop_cores[i].k;
	return 0;
}

enum axvm_fw_answer {
	AXVM_FW_NONE,		/* no SMC conduit, or not supported */
	AXVM_FW_CALL,		/* ARCH_FEATURES 0: the call mitigates */
	AXVM_FW_UNAFFECTED,	/* ARCH_FEATURES 1: this CPU needs nothing */
};

/*
 * SMCCC ARCH_FEATURES of an ARCH_WORKAROUND_* call. Only through SMC: the
 * host kernel runs at EL2, where an HVC conduit would call itself.
 * arm_smccc_1_1_get_conduit() says NONE below SMCCC 1.1, which has no
 * ARCH_FEATURES.
 */
static enum axvm_fw_answer axvm_fw_workaround(u32 fn)
{
	struct arm_smccc_res res;

	if (arm_smccc_1_1_get_conduit() != SMCCC_CONDUIT_SMC)
		return AXVM_FW_NONE;
	arm_smccc_1_1_invoke(ARM_SMCCC_ARCH_FEATURES_FUNC_ID, fn, &res);
	switch ((long)res.a0) {
	case SMCCC_RET_SUCCESS:
		return AXVM_FW_CALL;
	case SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED:
		return AXVM_FW_UNAFFECTED;
	default:
		return AXVM_FW_NONE;
	}
}

enum axvm_v2 {
	AXVM_V2_CSV2, AXVM_V2_SAFE, AXVM_V2_UNAFFECTED, AXVM_V2_OFF,
	AXVM_V2_WA1, AXVM_V2_WA3, AXVM_V2_VULNERABLE,
};

static const char * const axvm_v2_names[] = {
	[AXVM_V2_CSV2] = "csv2",
	[AXVM_V2_SAFE] = "safe",
	[AXVM_V2_UNAFFECTED] = "unaffected",
	[AXVM_V2_OFF] = "off",
	[AXVM_V2_WA1] = "wa1",
	[AXVM_V2_WA3] = "wa3",
	[AXVM_V2_VULNERABLE] = "vulnerable",
};

enum axvm_bhb {
	AXVM_BHB_CSV2P3, AXVM_BHB_SAFE, AXVM_BHB_ECBHB, AXVM_BHB_OFF,
	AXVM_BHB_CLEARBHB, AXVM_BHB_LOOP, AXVM_BHB_WA3, AXVM_BHB_VULNERABLE,
};

static const char * const axvm_bhb_names[] = {
	[AXVM_BHB_CSV2P3] = "csv2p3",
	[AXVM_BHB_SAFE] = "safe",
	[AXVM_BHB_ECBHB] = "ecbhb",
	[AXVM_BHB_OFF] = "off",
	[AXVM_BHB_CLEARBHB] = "clearbhb",
	[AXVM_BHB_LOOP] = "loop",	/* followed by K */
	[AXVM_BHB_WA3] = "wa3",
	[AXVM_BHB_VULNERABLE] = "vulnerable",
};

/*
 * A CPU's decision, packed so that the parameter's reader on another CPU
 * sees all of it or none: v2 7:0, bhb 15:8, loop K 31:16 (at most 132),
 * bit 32 set once the CPU has been decided.
 */
#define AXVM_DECISION_V2(d)	((unsigned int)((d) & 0xff))
#define AXVM_DECISION_BHB(d)	((unsigned int)(((d) >> 8) & 0xff))
#define AXVM_DECISION_K(d)	((unsigned int)(((d) >> 16) & 0xffff))
#define AXVM_DECISION_VALID	BIT_ULL(32)

static DEFINE_PER_CPU(u64, axvm_arm64_spectre_decision);
/* What entry.S runs on this CPU: AXVM_ARM64_SEQ_* (spectre.h). */
DEFINE_PER_CPU(u64, axvm_arm64_exit_seq);

/* exit_mitigation_force: the sequence word, and its name. */
static bool axvm_seq_forced;
static u64 axvm_seq_force;
static char axvm_seq_force_name[16];

static u64 axvm_seq_loop(unsigned int k)
{
	return BIT_ULL(AXVM_ARM64_SEQ_LOOP_BIT) |
	       ((u64)k << AXVM_ARM64_SEQ_K_SHIFT);
}

/* Runs on the CPU it decides for, with interrupts off. */
void axvm_arm64_spectre_cpu_enable(void)
{
	u32 midr = read_cpuid_id();
	u64 pfr0 = read_sysreg_s(AXVM_ID_AA64PFR0_EL1);
	u64 isar2 = read_sysreg_s(AXVM_ID_AA64ISAR2_EL1);
	u64 mmfr1 = read_sysreg_s(AXVM_ID_AA64MMFR1_EL1);
	unsigned int csv2 = axvm_id_field(pfr0, AXVM_PFR0_CSV2_SHIFT);
	bool off = cpu_mitigations_off();
	enum axvm_fw_answer fw;
	enum axvm_v2 v2;
	enum axvm_bhb bhb;
	unsigned int loop_k = axvm_bhb_loop_k(midr), k = 0;
	u64 seq = 0;

	if (csv2 >= 1) {
		v2 = AXVM_V2_CSV2;
	} else if (axvm_core_in(axvm_v2_safe_cores,
				ARRAY_SIZE(axvm_v2_safe_cores), midr)) {
		v2 = AXVM_V2_SAFE;
	} else {
		fw = axvm_fw_workaround(ARM_SMCCC_ARCH_WORKAROUND_1);
		if (fw == AXVM_FW_UNAFFECTED)
			v2 = AXVM_V2_UNAFFECTED;
		else if (off)
			v2 = AXVM_V2_OFF;
		else if (fw == AXVM_FW_CALL)
			v2 = AXVM_V2_WA1;
		else
			v2 = AXVM_V2_VULNERABLE;
	}

	if (csv2 >= 3) {
		bhb = AXVM_BHB_CSV2P3;
	} else if (axvm_core_in(axvm_bhb_safe_cores,
				ARRAY_SIZE(axvm_bhb_safe_cores), midr)) {
		bhb = AXVM_BHB_SAFE;
	} else if (axvm_id_field(mmfr1, AXVM_MMFR1_ECBHB_SHIFT)) {
		bhb = AXVM_BHB_ECBHB;
	} else if (off) {
		bhb = AXVM_BHB_OFF;
	} else if (axvm_id_field(isar2, AXVM_ISAR2_CLRBHB_SHIFT)) {
		bhb = AXVM_BHB_CLEARBHB;
		seq |= BIT_ULL(AXVM_ARM64_SEQ_CLRBHB_BIT);
	} else if (loop_k) {
		bhb = AXVM_BHB_LOOP;
		k = loop_k;
		seq |= axvm_seq_loop(k);
	} else if (axvm_fw_workaround(ARM_SMCCC_ARCH_WORKAROUND_3) ==
		   AXVM_FW_CALL) {
		bhb = AXVM_BHB_WA3;
		seq |= BIT_ULL(AXVM_ARM64_SEQ_WA3_BIT);
		/* WA3 covers v2: WA1 would only repeat the work. */
		if (v2 == AXVM_V2_WA1 || v2 == AXVM_V2_VULNERABLE)
			v2 = AXVM_V2_WA3;
	} else {
		bhb = AXVM_BHB_VULNERABLE;
	}
	if (v2 == AXVM_V2_WA1)
		seq |= BIT_ULL(AXVM_ARM64_SEQ_WA1_BIT);

	if (v2 == AXVM_V2_VULNERABLE || bhb == AXVM_BHB_VULNERABLE)
		pr_info_once("guest exits on CPU %u (maybe others too) are not mitigated against Spectre-%s: see exit_mitigation\n",
			     smp_processor_id(),
			     v2 == AXVM_V2_VULNERABLE ? "v2" : "BHB");

	this_cpu_write(axvm_arm64_exit_seq,
		       axvm_seq_forced ? axvm_seq_force : seq);
	WRITE_ONCE(*this_cpu_ptr(&axvm_arm64_spectre_decision),
		   AXVM_DECISION_VALID | (u64)v2 | ((u64)bhb << 8) |
		   ((u64)k << 16));
}

/**
 * axvm_arm64_spectre_guest_answer() - ARCH_FEATURES for a guest
 * @fid: ARM_SMCCC_ARCH_WORKAROUND_1 or _3
 *
 * A vCPU may run on any CPU axvm holds, so the answer covers them all,
 * with the values of SMCCC 7.5 and 7.6 (and KVM's): 1 when none of them
 * is affected, NOT_SUPPORTED when the exit path of one of them does not
 * mitigate (vulnerable, or mitigations=off; for WA3 Spectre-v2 as well
 * as BHB), else 0: the call is worth making, and the exit it causes
 * mitigates.
 */
long axvm_arm64_spectre_guest_answer(u32 fid)
{
	bool affected = false;
	unsigned int cpu, v;
	u64 d;

	for_each_possible_cpu(cpu) {
		d = READ_ONCE(*per_cpu_ptr(&axvm_arm64_spectre_decision, cpu));
		if (!(d & AXVM_DECISION_VALID))
			continue;
		if (fid == ARM_SMCCC_ARCH_WORKAROUND_1) {
			v = AXVM_DECISION_V2(d);
			if (v == AXVM_V2_OFF || v == AXVM_V2_VULNERABLE)
				return SMCCC_RET_NOT_SUPPORTED;
			affected |= v > AXVM_V2_UNAFFECTED;
		} else {
			/*
			 * WA3 "also mitigates CVE-2017-5715" (SMCCC 7.6): a
			 * guest may call it for Spectre-v2 alone, so not
			 * where v2 is left open either (Xen says the same).
			 */
			v = AXVM_DECISION_V2(d);
			if (v == AXVM_V2_OFF || v == AXVM_V2_VULNERABLE)
				return SMCCC_RET_NOT_SUPPORTED;
			v = AXVM_DECISION_BHB(d);
			if (v == AXVM_BHB_OFF || v == AXVM_BHB_VULNERABLE)
				return SMCCC_RET_NOT_SUPPORTED;
			affected |= v > AXVM_BHB_ECBHB;
		}
	}
	return affected ? SMCCC_RET_SUCCESS :
			  SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED;
}

/* One CPU's part of exit_mitigation, without the CPU numbers. */
static int axvm_decision_show(char *buf, int at, u64 d)
{
	int len;

	len = sysfs_emit_at(buf, at, "v2=%s,bhb=%s",
			    axvm_v2_names[AXVM_DECISION_V2(d)],
			    axvm_bhb_names[AXVM_DECISION_BHB(d)]);
	if (AXVM_DECISION_BHB(d) == AXVM_BHB_LOOP)
		len += sysfs_emit_at(buf, at + len, "%u", AXVM_DECISION_K(d));
	if (axvm_seq_forced)
		len += sysfs_emit_at(buf, at + len, ",forced=%s",
				     axvm_seq_force_name);
	return len;
}

/*
 * "0-3:v2=csv2,bhb=loop32 4-7:v2=csv2,bhb=safe": each run of CPUs with
 * the same decision, in CPU order, CPUs never taken over left out.
 */
static int axvm_exit_mitigation_get(char *buf, const struct kernel_param *kp)
{
	int cpu, first = -1, last = -1, len = 0;
	u64 d, run = 0;

	for_each_possible_cpu(cpu) {
		d = READ_ONCE(per_cpu(axvm_arm64_spectre_decision, cpu));
		if (first >= 0 && d == run && cpu == last + 1) {
			last = cpu;
			continue;
		}
		if (first >= 0) {
			len += sysfs_emit_at(buf, len, len ? " %d" : "%d", first);
			if (last != first)
				len += sysfs_emit_at(buf, len, "-%d", last);
			len += sysfs_emit_at(buf, len, ":");
			len += axvm_decision_show(buf, len, run);
		}
		first = (d & AXVM_DECISION_VALID) ? cpu : -1;
		last = cpu;
		run = d;
	}
	if (first >= 0) {
		len += sysfs_emit_at(buf, len, len ? " %d" : "%d", first);
		if (last != first)
			len += sysfs_emit_at(buf, len, "-%d", last);
		len += sysfs_emit_at(buf, len, ":");
		len += axvm_decision_show(buf, len, run);
	}
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

static const struct kernel_param_ops axvm_exit_mitigation_ops = {
	.get = axvm_exit_mitigation_get,
};

module_param_cb(exit_mitigation, &axvm_exit_mitigation_ops, NULL, 0444);
MODULE_PARM_DESC(exit_mitigation,
		 "Spectre-v2/BHB mitigation of guest exits, per CPU");

/* "none", "clearbhb", "loop" (K 132) or "loopK" (K 1-16777215). */
static int axvm_force_set(const char *val, const struct kernel_param *kp)
{
	unsigned int k = AXVM_BHB_LOOP_K_MAX;

	if (sysfs_streq(val, "none")) {
		axvm_seq_force = 0;
		strscpy(axvm_seq_force_name, "none",
			sizeof(axvm_seq_force_name));
	} else if (sysfs_streq(val, "clearbhb")) {
		axvm_seq_force = BIT_ULL(AXVM_ARM64_SEQ_CLRBHB_BIT);
		strscpy(axvm_seq_force_name, "clearbhb",
			sizeof(axvm_seq_force_name));
	} else if (!strncmp(val, "loop", 4)) {
		if (!sysfs_streq(val, "loop") &&
		    (kstrtouint(val + 4, 10, &k) || !k ||
		     k > AXVM_ARM64_SEQ_K_MAX))
			return -EINVAL;
		axvm_seq_force = axvm_seq_loop(k);
		snprintf(axvm_seq_force_name, sizeof(axvm_seq_force_name),
			 "loop%u", k);
	} else {
		return -EINVAL;
	}
	axvm_seq_forced = true;
	pr_warn("exit_mitigation_force=%s: for testing only, guest exits do not run this CPU's own Spectre mitigation\n",
		axvm_seq_force_name);
	return 0;
}

static int axvm_force_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  axvm_seq_forced ? axvm_seq_force_name : "");
}

static const struct kernel_param_ops axvm_force_ops = {
	.set = axvm_force_set,
	.get = axvm_force_get,
};

module_param_cb(exit_mitigation_force, &axvm_force_ops, NULL, 0444);
MODULE_PARM_DESC(exit_mitigation_force,
		 "test only: run none, clearbhb, loop or loopK on every guest exit instead of each CPU's own mitigation");
