// SPDX-License-Identifier: GPL-2.0
/*
 * What the SVM and VMX exits share: the CPUID policy, the MSRs kept in
 * the kernel, port I/O, MMIO (the guest's instruction fetched through its
 * own page tables and decoded), hypercalls, and completing an exit with
 * what userspace left in the run page.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <uapi/linux/kvm_para.h>
#include <asm/cpu.h>
#include <asm/fpu/xcr.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/tsc.h>

#include "decode.h"
#include "irqchip.h"

/*
 * CPUID bits a guest does not get (no x2APIC, nesting; the APIC and the
 * TSC-deadline timer only with the in-kernel irqchip).
 */
#define CPUID1_ECX_HIDE	(BIT(3) /* MONITOR */ |				\
			 BIT(5) /* VMX */ | BIT(6) /* SMX */ |		\
			 BIT(7) /* EST */ | BIT(8) /* TM2 */ |		\
			 BIT(15) /* PDCM */ | BIT(18) /* DCA */ |	\
			 BIT(21) /* x2APIC */ | BIT(24) /* TSC deadline */)
#define CPUID1_ECX_XSAVE	(BIT(26) /* XSAVE */ | BIT(28) /* AVX */ | \
				 BIT(29) /* F16C */ | BIT(12) /* FMA */)
#define CPUID1_ECX_OSXSAVE	BIT(27)	/* the guest's CR4.OSXSAVE */
#define CPUID7_EBX_AVX2		BIT(5)
#define CPUID7_EBX_INVPCID	BIT(10)
#define CPUID_EXT1_EDX_RDTSCP	BIT(27)
#define CPUID_EXT1_EDX_NX	BIT(20)
#define CPUID_EXT1_EDX_LM	BIT(29)
/* CPUID 0xD.1 EAX: XSAVEOPT, XSAVEC, XGETBV with ECX 1; not XSAVES. */
#define CPUIDD1_EAX_OK		(BIT(0) | BIT(1) | BIT(2))
#define CPUID1_ECX_HYPERVISOR	BIT(31)
#define CPUID1_ECX_TSC_DEADLINE	BIT(24)
#define CPUID1_ECX_X2APIC	BIT(21)
#define CPUID1_EDX_APIC		BIT(9)
#define CPUID1_EDX_HIDE	(BIT(9) /* APIC */ | BIT(22) /* ACPI */ |	\
			 BIT(29) /* TM */ | BIT(31) /* PBE */)
#define CPUID7_EBX_HIDE	(BIT(2) /* SGX */ | BIT(4) /* HLE */ |		\
			 BIT(11) /* RTM */ |				\
			 BIT(14) /* MPX */ | GENMASK(17, 16) /* AVX512 */ | \
			 BIT(21) | GENMASK(31, 26) /* AVX512, PT, SHA */)
#define CPUID7_ECX_HIDE	(BIT(1) /* AVX512 VBMI */ | BIT(3) /* PKU */ |	\
			 BIT(4) /* OSPKE */ | BIT(5) /* WAITPKG */ |	\
			 GENMASK(12, 6) /* AVX512, CET, VAES */ |	\
			 BIT(14) /* AVX512 */ | BIT(16) /* LA57 */)
/* The speculation controls are spec.c's to adjust. */
#define CPUID7_EDX_HIDE	(GENMASK(3, 2) /* AVX512 */ | BIT(20) /* CET */ | \
			 GENMASK(25, 22) /* AMX */)
#define CPUID_EXT1_ECX_HIDE	(BIT(2) /* SVM */ | BIT(9) /* OSVW */ |	\
				 BIT(23) /* PERFCTR core */)
#define AXVM_CPUID_SIGNATURE	0x40000000

/*
 * Write @bytes of general register @reg as an instruction does: 1 and 2
 * keep the bits above, 4 clears bits 63:32 (SDM vol. 1, 3.4.1.1).
 */
void axvm_x86_set_reg(struct axvm_x86_vcpu *x, unsigned int reg,
		      unsigned int bytes, u64 v)
{
	u64 *r = &x->gpr[reg];

	switch (bytes) {
	case 1:
		*r = (*r & ~0xffULL) | (v & 0xff);
		break;
	case 2:
		*r = (*r & ~0xffffULL) | (v & 0xffff);
		break;
	case 4:
		/* A 32-bit destination clears the upper half. */
		*r = v & 0xffffffff;
		break;
	default:
		*r = v;
	}
}

static u32 axvm_x86_xsave_size(void);

/*
 * Leaf 0x15's EAX and EBX: tsc_khz / 10^6 (the crystal's kHz) with a
 * denominator of 1000 (1 MHz steps), halved while EBX would overflow
 * Linux's 32-bit crystal_khz * EBX; both 0 when the rate is unknown.
 */
static void axvm_x86_cpuid_tsc_ratio(u32 *den, u32 *num)
{
	const u32 max = U32_MAX / (NSEC_PER_SEC / 1000);
	u32 d = 1000;

	*den = 0;
	*num = 0;
	if (!tsc_khz)
		return;
	while (d > 1 && DIV_ROUND_CLOSEST_ULL((u64)tsc_khz * d, 1000000) > max)
		d /= 2;
	*num = DIV_ROUND_CLOSEST_ULL((u64)tsc_khz * d, 1000000);
	*den = d;
}

/*
 * The default policy: CPUID from the host's, less what a guest of axvm
 * does not have, and the hypervisor leaf 0x40000000 ("AXVMAXVMAXVM").
 */
static void axvm_x86_cpuid_default(u32 leaf, u32 sub, u64 arch_id,
				   bool apic, struct axvm_cpuid_entry *e)
{
	u32 a = 0, b = 0, c = 0, d = 0;

	if (axvm_x86_pvclock_cpuid(leaf, &a, &b, &c, &d)) {
		/* KVM's clock leaves, from 0x40000100. */
	} else if (leaf == AXVM_CPUID_SIGNATURE) {
		a = AXVM_CPUID_SIGNATURE;
		b = 0x4d565841;			/* "AXVM" three times */
		c = b;
		d = b;
	} else if ((leaf < 0x40000000 && leaf <= cpuid_eax(0)) ||
		   (leaf >= 0x80000000 && leaf <= cpuid_eax(0x80000000))) {
		cpuid_count(leaf, sub, &a, &b, &c, &d);
	}

	switch (leaf) {
	case 1:
		c = (c & ~(CPUID1_ECX_HIDE | CPUID1_ECX_OSXSAVE)) |
		    CPUID1_ECX_HYPERVISOR;
		/* XSAVE and AVX only where the guest's state can be kept. */
		if (!(axvm_x86_host_xcr0 & XFEATURE_MASK_YMM))
			c &= ~CPUID1_ECX_XSAVE;
		d &= ~CPUID1_EDX_HIDE;
		/* The initial APIC id is the vCPU's identity. */
		b = (b & 0x00ffffff) | ((u32)arch_id << 24);
		if (apic) {
			c |= CPUID1_ECX_TSC_DEADLINE;
			d |= CPUID1_EDX_APIC;
		}
		break;
	case 0xb:	/* x2APIC topology: the host's ids would mislead */
	case 0x1f:
		a = 0;
		b = 0;
		c = 0;
		d = 0;
		break;
	case 7:
		b &= ~CPUID7_EBX_HIDE;
		c &= ~CPUID7_ECX_HIDE;
		d &= ~CPUID7_EDX_HIDE;
		axvm_x86_spec_cpuid(leaf, sub, &b, &d);
		if (!(axvm_x86_host_xcr0 & XFEATURE_MASK_YMM))
			b &= ~CPUID7_EBX_AVX2;
		if (axvm_x86_guest_lacks & AXVM_X86_NO_INVPCID)
			b &= ~CPUID7_EBX_INVPCID;
		if (sub) {
			a = 0;
			b = 0;
			c = 0;
			d = 0;
		}
		break;
	case 5:		/* MONITOR/MWAIT: #UD for guests */
	case 6:		/* thermal and power */
	case 0xd:	/* XSAVE: x87, SSE and AVX, in the standard format */
		if (!(axvm_x86_host_xcr0 & XFEATURE_MASK_YMM) || sub > 2) {
			a = 0;
			b = 0;
			c = 0;
			d = 0;
		} else if (sub == 0) {
			a = AXVM_X86_XCR0_GUEST;
			d = 0;
			b = axvm_x86_xsave_size();
			c = b;
		} else if (sub == 1) {
			/*
			 * EBX: the compacted size for XCR0, which Linux uses
			 * with XSAVEC; AVX follows the header in both forms.
			 */
			a &= CPUIDD1_EAX_OK;
			b = axvm_x86_xsave_size();
			c = 0;
			d = 0;
		}
		break;
	case 0xa:	/* architectural PMU */
	case 0xf:	/* RDT */
	case 0x10:
	case 0x12:	/* SGX */
	case 0x14:	/* processor trace */
	case 0x8000000a:	/* SVM */
		a = 0;
		b = 0;
		c = 0;
		d = 0;
		break;
	case 0x80000001:
		c &= ~CPUID_EXT1_ECX_HIDE;
		if (axvm_x86_guest_lacks & AXVM_X86_NO_RDTSCP)
			d &= ~CPUID_EXT1_EDX_RDTSCP;
		break;
	case 0x80000008:
		axvm_x86_spec_cpuid(leaf, sub, &b, &d);
		break;
	case 0x15:
		/*
		 * The TSC is the host's: its real rate, as the APIC timer's
		 * 1 GHz crystal times EBX/EAX, so that a guest reading this
		 * leaf (Linux on Intel) needs no calibration against
		 * emulated timers; within 150 ppm at 3 GHz.
		 */
		axvm_x86_cpuid_tsc_ratio(&a, &b);
		c = a ? NSEC_PER_SEC : 0;
		d = 0;
		break;
	}
	e->function = leaf;
	e->index = sub;
	e->eax = a;
	e->ebx = b;
	e->ecx = c;
	e->edx = d;
}

/* Subleaves the default table lists for @leaf, 1 for most leaves. */
static u32 axvm_x86_cpuid_subleaves(u32 leaf)
{
	u32 a, b, c, d, n;

	switch (leaf) {
	case 4:		/* cache parameters, until a null type */
		for (n = 0; n < 16; n++) {
			cpuid_count(leaf, n, &a, &b, &c, &d);
			if (!(a & 0x1f))
				break;
		}
		return n + 1;
	case 0xb:	/* topology, until an invalid level type */
	case 0x1f:
		for (n = 0; n < 8; n++) {
			cpuid_count(leaf, n, &a, &b, &c, &d);
			if (!(c & 0xff00))
				break;
		}
		return n + 1;
	case 7:
		return 2;
	case 0xd:
		return 3;
	default:
		return 1;
	}
}

/* Leaves with subleaves: their entries match ECX too. */
static bool axvm_x86_cpuid_indexed(u32 leaf)
{
	return leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd ||
	       leaf == 0xf || leaf == 0x10 || leaf == 0x12 || leaf == 0x14 ||
	       leaf == 0x17 || leaf == 0x18 || leaf == 0x1d ||
	       leaf == 0x1e || leaf == 0x1f;
}

static u32 axvm_x86_cpuid_add(struct axvm_cpuid_entry *t, u32 n, u32 leaf,
			      u64 arch_id, bool apic)
{
	u32 sub, subs = axvm_x86_cpuid_subleaves(leaf);

	for (sub = 0; sub < subs && n < AXVM_X86_CPUID_ENTRIES; sub++, n++) {
		axvm_x86_cpuid_default(leaf, sub, arch_id, apic, &t[n]);
		t[n].flags = axvm_x86_cpuid_indexed(leaf) ?
			     AXVM_CPUID_FLAG_INDEX : 0;
	}
	return n;
}

/* A vCPU's first table: the default policy, leaf by leaf. */
int axvm_x86_cpuid_init(struct axvm_x86_vcpu *x, u64 arch_id)
{
	u32 leaf, max = min(cpuid_eax(0), 0x1fU), n = 0, i, pv;
	u32 ext = min(cpuid_eax(0x80000000), 0x80000021U);
	bool apic = x->vcpu->vm->irqchip == AXVM_IRQCHIP_X86;

	/*
	 * 8 KiB: kvcalloc() falls back to vmalloc, which would print a
	 * stack dump on failure; the caller's ENOMEM says it all.
	 */
	x->cpuid = kvcalloc(AXVM_X86_CPUID_ENTRIES, sizeof(*x->cpuid),
			    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!x->cpuid)
		return -ENOMEM;
	for (leaf = 0; leaf <= max; leaf++)
		n = axvm_x86_cpuid_add(x->cpuid, n, leaf, arch_id, apic);
	n = axvm_x86_cpuid_add(x->cpuid, n, AXVM_CPUID_SIGNATURE, arch_id,
			       apic);
	for (i = 0, pv = axvm_x86_pvclock_leaves(&leaf); i < pv; i++)
		n = axvm_x86_cpuid_add(x->cpuid, n, leaf + i, arch_id, apic);
	for (leaf = 0x80000000; leaf <= ext; leaf++)
		n = axvm_x86_cpuid_add(x->cpuid, n, leaf, arch_id, apic);
	x->cpuid_n = n;
	return 0;
}

int axvm_arch_set_cpuid(struct axvm_vcpu *vcpu,
			const struct axvm_cpuid_entry *e, u32 n)
{
	struct axvm_x86_vcpu *x = vcpu->arch;

	memcpy(x->cpuid, e, n * sizeof(*e));
	x->cpuid_n = n;
	return 0;
}

int axvm_arch_get_cpuid(struct axvm_vcpu *vcpu, struct axvm_cpuid_entry *e,
			u32 *n)
{
	struct axvm_x86_vcpu *x = vcpu->arch;
	u32 room = *n;

	*n = x->cpuid_n;
	if (room < x->cpuid_n)
		return -E2BIG;
	memcpy(e, x->cpuid, x->cpuid_n * sizeof(*e));
	return 0;
}

/* The vCPU's CPUID entry for @leaf/@sub, or NULL. */
const struct axvm_cpuid_entry *
axvm_x86_cpuid_entry(const struct axvm_x86_vcpu *x, u32 leaf, u32 sub)
{
	u32 i;

	for (i = 0; i < x->cpuid_n; i++)
		if (x->cpuid[i].function == leaf &&
		    (!(x->cpuid[i].flags & AXVM_CPUID_FLAG_INDEX) ||
		     x->cpuid[i].index == sub))
			return &x->cpuid[i];
	return NULL;
}

/*
 * MAXPHYADDR: CPUID.80000008H:EAX[7:0], 36 where the vCPU's table has no
 * such leaf (SDM vol. 3A, 4.1.4).
 */
u8 axvm_x86_guest_maxphyaddr(const struct axvm_x86_vcpu *x)
{
	const struct axvm_cpuid_entry *e =
		axvm_x86_cpuid_entry(x, 0x80000008, 0);
	u8 bits = e ? e->eax & 0xff : 0;

	return bits >= 32 && bits <= 52 ? bits : 36;
}

/* CPUID.01H:ECX.TSC_Deadline in the vCPU's own table. */
bool axvm_x86_guest_tsc_deadline(const struct axvm_x86_vcpu *x)
{
	const struct axvm_cpuid_entry *e = axvm_x86_cpuid_entry(x, 1, 0);

	return e && e->ecx & CPUID1_ECX_TSC_DEADLINE;
}

/* CPUID from the vCPU's table; a leaf it lacks reads as zeros. */
void axvm_x86_cpuid(struct axvm_x86_vcpu *x)
{
	u32 leaf = x->gpr[AXVM_X86_RAX], sub = x->gpr[AXVM_X86_RCX];
	const struct axvm_cpuid_entry *e = axvm_x86_cpuid_entry(x, leaf, sub);

	x->gpr[AXVM_X86_RAX] = e ? e->eax : 0;
	x->gpr[AXVM_X86_RBX] = e ? e->ebx : 0;
	x->gpr[AXVM_X86_RCX] = e ? e->ecx : 0;
	x->gpr[AXVM_X86_RDX] = e ? e->edx : 0;
	/* OSXSAVE mirrors the guest's CR4, whatever the table says. */
	if (leaf == 1) {
		x->gpr[AXVM_X86_RCX] &= ~(u64)CPUID1_ECX_OSXSAVE;
		if (x->cr4 & X86_CR4_OSXSAVE)
			x->gpr[AXVM_X86_RCX] |= CPUID1_ECX_OSXSAVE;
		/*
		 * With IA32_APIC_BASE[11] clear "the CPUID feature flag for
		 * the APIC ... is also set to 0" (SDM 10.4.3).
		 */
		if (x->apic && !axvm_lapic_enabled(x->apic))
			x->gpr[AXVM_X86_RDX] &= ~(u64)CPUID1_EDX_APIC;
		/*
		 * No x2APIC mode, whatever the VMM's table says: a guest
		 * that believed it would set IA32_APIC_BASE.EXTD and take
		 * a #GP (Linux panics on it).
		 */
		x->gpr[AXVM_X86_RCX] &= ~(u64)CPUID1_ECX_X2APIC;
	}
}

/* Bytes of the XSAVE image of the guest's features: up to the AVX state. */
static u32 axvm_x86_xsave_size(void)
{
	u32 a, b, c, d;

	cpuid_count(0xd, XFEATURE_YMM, &a, &b, &c, &d);
	return b + a;
}

void axvm_x86_raise(struct axvm_x86_vcpu *x, u8 vector, bool has_error,
		    u32 error)
{
	x->exc_pending = true;
	x->exc_vector = vector;
	/*
	 * Real mode pushes no error code (SDM 20.1.4) and VM entry refuses
	 * to deliver one with CR0.PE clear (26.2.1.3); KVM drops it too.
	 */
	x->exc_has_error = has_error && (x->cr0 & X86_CR0_PE);
	x->exc_error = error;
}

/*
 * CR8 is the local APIC's TPR[7:4] (SDM 10.8.6.1, both ways): with the
 * in-kernel APIC, x->cr8 follows its TPR, and a MOV to CR8 writes the
 * TPR, which gates delivery; without one CR8 is a register of its own.
 */
u64 axvm_x86_get_cr8(struct axvm_x86_vcpu *x)
{
	if (x->apic)
		x->cr8 = axvm_lapic_cr8(x->apic);
	return x->cr8;
}

void axvm_x86_set_cr8(struct axvm_x86_vcpu *x, u64 cr8)
{
	x->cr8 = cr8;
	if (x->apic)
		axvm_lapic_set_cr8(x->apic, cr8);
}

/* A pending interrupt waits for the TPR (CR8) to drop below its class. */
bool axvm_x86_tpr_blocks(struct axvm_x86_vcpu *x)
{
	return x->apic && axvm_lapic_tpr_blocks(x->apic);
}

/*
 * The highest queued vector, taken off the queue when the guest can take
 * an interrupt now (@open): the vector, -EAGAIN when one waits for the
 * window, -ENOENT when none is queued.
 */
int axvm_x86_pop_vector(struct axvm_x86_vcpu *x, bool open)
{
	struct axvm_vcpu *vcpu = x->vcpu;
	unsigned long vec;
	int ret = -ENOENT;

	if (x->apic)
		return axvm_lapic_pop(x, open);
	spin_lock(&vcpu->irq_lock);
	vec = find_last_bit(vcpu->irq_pending, axvm_info.nr_irqs);
	if (vec < axvm_info.nr_irqs) {
		ret = open ? (int)vec : -EAGAIN;
		if (open)
			__clear_bit(vec, vcpu->irq_pending);
	}
	spin_unlock(&vcpu->irq_lock);
	return ret;
}

/*
 * HLT, past which RIP already points: true when it resumes at once because
 * the guest can take a queued vector (the next entry delivers it).
 */
bool axvm_x86_halt_wakes(struct axvm_x86_vcpu *x)
{
	return axvm_x86_nmi_waiting(x) ||
	       (x->rflags & X86_EFLAGS_IF &&
		!bitmap_empty(x->vcpu->irq_pending, axvm_info.nr_irqs));
}

#define AXVM_X86_LEN_MSR	2	/* RDMSR, WRMSR */
#define AXVM_X86_LEN_XSETBV	3

/*
 * XSETBV: XCR0 only, x87 always on, AVX only with SSE, and nothing the
 * guest may not have; #GP otherwise, as on a CPU.
 */
int axvm_x86_xsetbv(struct axvm_x86_vcpu *x)
{
	u64 v = (x->gpr[AXVM_X86_RDX] << 32) | (u32)x->gpr[AXVM_X86_RAX];
	u64 ok = axvm_x86_host_xcr0 & AXVM_X86_XCR0_GUEST;
	u32 cpl = (x->seg[AXVM_X86_SS].attr >> AXVM_X86_AR_DPL_SHIFT) & 3;

	if ((u32)x->gpr[AXVM_X86_RCX] || cpl || !(x->cr4 & X86_CR4_OSXSAVE) ||
	    !(v & XFEATURE_MASK_FP) || v & ~ok ||
	    ((v & XFEATURE_MASK_YMM) && !(v & XFEATURE_MASK_SSE))) {
		axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	}
	x->xcr0 = v;
	x->rip += AXVM_X86_LEN_XSETBV;
	return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
}

/*
 * The guest's FPU state in and out, interrupts off, after
 * kernel_fpu_begin() put the task's aside. XRSTOR runs under the host's
 * XCR0 so that every guest feature is loaded; the guest's XCR0 is then
 * set for the run and the host's put back before XSAVE.
 */
void axvm_x86_fpu_load(struct axvm_x86_vcpu *x)
{
	if (!axvm_x86_host_xcr0) {
		asm volatile("fxrstor64 %0" : : "m" (*(u8 *)x->fpu));
		return;
	}
	asm volatile("xrstor64 %0" : : "m" (*(u8 *)x->fpu),
		     "a" ((u32)AXVM_X86_XCR0_GUEST), "d" (0) : "memory");
	if (x->xcr0 != axvm_x86_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, x->xcr0);
}

void axvm_x86_fpu_save(struct axvm_x86_vcpu *x)
{
	u64 cur;

	if (!axvm_x86_host_xcr0) {
		asm volatile("fxsave64 %0" : "=m" (*(u8 *)x->fpu));
		return;
	}
	/*
	 * A CPU that does not intercept XSETBV (QEMU's SVM) let the guest
	 * write XCR0 itself: take what it wrote as its XCR0, and the host's
	 * is put back either way.
	 */
	cur = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	if (cur != axvm_x86_host_xcr0) {
		x->xcr0 = cur;
		xsetbv(XCR_XFEATURE_ENABLED_MASK, axvm_x86_host_xcr0);
	}
	asm volatile("xsave64 %0" : "+m" (*(u8 *)x->fpu) :
		     "a" ((u32)AXVM_X86_XCR0_GUEST), "d" (0) : "memory");
}

/*
 * EFER bits the guest's CPUID does not give are reserved: LME without
 * long mode, NXE without NX (SDM vol. 4, IA32_EFER; KVM's
 * __kvm_valid_efer()). SCE goes with SYSCALL, which every 64-bit CPU has.
 */
static bool axvm_x86_efer_in_cpuid(const struct axvm_x86_vcpu *x, u64 efer)
{
	const struct axvm_cpuid_entry *e =
		axvm_x86_cpuid_entry(x, 0x80000001, 0);
	u32 edx = e ? e->edx : 0;

	if (efer & EFER_LME && !(edx & CPUID_EXT1_EDX_LM))
		return false;
	return !(efer & EFER_NX) || edx & CPUID_EXT1_EDX_NX;
}

/* IA32_MISC_ENABLE bits a guest cannot change: no BTS, no PEBS. */
#define AXVM_X86_MISC_ENABLE_RO	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

/* RDMSR: the kept MSRs and the TSC's here, the others to userspace. */
int axvm_x86_rdmsr(struct axvm_x86_vcpu *x)
{
	u32 msr = x->gpr[AXVM_X86_RCX];
	struct axvm_run *run = x->vcpu->run;
	u64 *slot = axvm_x86_msr_slot(x, msr), v;
	int ret = x->apic ? axvm_lapic_rdmsr(x, msr, &v) : -ENOENT;

	if (ret == -ENOENT)
		ret = axvm_x86_spec_rdmsr(x, msr, &v);
	if (ret == -ENOENT)
		ret = axvm_x86_tsc_rdmsr(x, msr, &v);
	if (ret == -ENOENT && msr == MSR_MTRRcap) {
		v = axvm_x86_mtrrcap();
		ret = 0;
	}
	if (ret == -EINVAL) {
		/* Undo the RIP advance: a #GP faults on the RDMSR. */
		x->rip -= AXVM_X86_LEN_MSR;
		axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	}
	if (slot || !ret) {
		if (ret)
			v = *slot;
		axvm_x86_set_reg(x, AXVM_X86_RAX, 4, v);
		axvm_x86_set_reg(x, AXVM_X86_RDX, 4, v >> 32);
		return AXVM_EXIT_SYSREG | AXVM_ARCH_EXIT_HANDLED;
	}
	run->sysreg.id = AXVM_SYSREG_X86_MSR(msr);
	run->sysreg.is_write = 0;
	run->sysreg.reg = AXVM_X86_RAX;
	run->sysreg.value = 0;
	x->pending = AXVM_EXIT_SYSREG;
	return AXVM_EXIT_SYSREG;
}

int axvm_x86_wrmsr(struct axvm_x86_vcpu *x)
{
	u32 msr = x->gpr[AXVM_X86_RCX];
	u64 v = (x->gpr[AXVM_X86_RDX] << 32) | (u32)x->gpr[AXVM_X86_RAX];
	struct axvm_run *run = x->vcpu->run;
	u64 *slot = axvm_x86_msr_slot(x, msr);
	int ret = x->apic ? axvm_lapic_wrmsr(x, msr, v) : -ENOENT;

	if (ret == -ENOENT)
		ret = axvm_x86_spec_wrmsr(x, msr, v);
	if (ret == -ENOENT)
		ret = axvm_x86_tsc_wrmsr(x, msr, v);
	/* MTRRcap is read-only (SDM vol. 3A, 11.11.1). */
	if (ret == -ENOENT && msr == MSR_MTRRcap)
		ret = -EINVAL;
	if (slot && !axvm_x86_msr_valid(x, msr, v))
		ret = -EINVAL;
	if (slot && msr == MSR_IA32_MISC_ENABLE) {
		/*
		 * As KVM has it: "BTS unavailable" and "PEBS unavailable"
		 * are read-only (a change is #GP), writes to "performance
		 * monitoring available" are ignored; the other bits read
		 * back as written.
		 */
		if ((v ^ *slot) & AXVM_X86_MISC_ENABLE_RO)
			ret = -EINVAL;
		v = (v & ~MSR_IA32_MISC_ENABLE_EMON) |
		    (*slot & MSR_IA32_MISC_ENABLE_EMON);
	}
	if (slot && msr == MSR_EFER) {
		/*
		 * Setting a reserved bit is #GP (SDM vol. 4, IA32_EFER; KVM's
		 * kvm_valid_efer()): every bit but SCE, LME, LMA and NXE is
		 * reserved here, SVME among them (guests have no SVM). LMA
		 * is the CPU's record of LME and CR0.PG, read-only: the
		 * written bit is ignored, as KVM's set_efer() does; a stale
		 * one would enter the guest in a mode that does not exist.
		 * LME cannot change while paging is on (#GP, SDM 10.8.5).
		 */
		if (v & ~AXVM_X86_EFER_OK ||
		    !axvm_x86_efer_in_cpuid(x, v & ~EFER_LMA))
			ret = -EINVAL;
		v = (v & ~EFER_LMA) | (x->efer & EFER_LMA);
		if ((x->cr0 & X86_CR0_PG) && ((v ^ x->efer) & EFER_LME))
			ret = -EINVAL;
	}
	if (ret == -EINVAL) {
		/* Undo the RIP advance: a #GP faults on the WRMSR. */
		x->rip -= AXVM_X86_LEN_MSR;
		axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	}
	if (!ret)
		return AXVM_EXIT_SYSREG | AXVM_ARCH_EXIT_HANDLED;
	if (slot) {
		*slot = v;
		axvm_x86_pvclock_wrmsr(x, msr, v);
		return AXVM_EXIT_SYSREG | AXVM_ARCH_EXIT_HANDLED;
	}
	run->sysreg.id = AXVM_SYSREG_X86_MSR(msr);
	run->sysreg.is_write = 1;
	run->sysreg.reg = AXVM_X86_RAX;
	run->sysreg.value = v;
	return AXVM_EXIT_SYSREG;
}

/* An AXVM_EXIT_IO of one element (INS and OUTS too: one per exit). */
void axvm_x86_io_exit(struct axvm_run *run, u16 port, unsigned int size,
		      bool write, u64 data)
{
	run->io.port = port;
	run->io.size = size;
	run->io.is_write = write;
	run->io.count = 1;
	run->io.data = data;
}

int axvm_x86_io(struct axvm_x86_vcpu *x, u16 port, unsigned int size,
		bool in, u64 next_rip)
{
	struct axvm_run *run = x->vcpu->run;
	u64 v = x->gpr[AXVM_X86_RAX];

	/* The 8259 and the PIT, when the kernel emulates them. */
	if (!axvm_x86_chip_io(x, port, size, in, &v)) {
		if (in)
			axvm_x86_set_reg(x, AXVM_X86_RAX, size, v);
		x->rip = next_rip;
		return AXVM_EXIT_IO | AXVM_ARCH_EXIT_HANDLED;
	}

	axvm_x86_io_exit(run, port, size, !in,
			 in ? 0 : x->gpr[AXVM_X86_RAX] & (BIT_ULL(size * 8) - 1));
	if (in) {
		x->pending = AXVM_EXIT_IO;
		x->pending_len = size;
		/* Not INS: one that SET_REGS dropped may have left it set. */
		x->pending_string = false;
	}
	x->rip = next_rip;
	return AXVM_EXIT_IO;
}

/*
 * VMMCALL/VMCALL. From CPL > 0 the call fails in the guest with
 * -KVM_EPERM in RAX, as KVM answers it (kvm_emulate_hypercall()): a
 * guest's user space must not reach the VMM or the guest kernel's
 * paravirtual interfaces.
 */
int axvm_x86_hypercall(struct axvm_x86_vcpu *x, unsigned int len)
{
	struct axvm_run *run = x->vcpu->run;

	if (axvm_x86_cpl(x)) {
		x->gpr[AXVM_X86_RAX] = (u64)-KVM_EPERM;
		x->rip += len;
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	}

	run->hypercall.nr = x->gpr[AXVM_X86_RAX];
	run->hypercall.args[0] = x->gpr[AXVM_X86_RBX];
	run->hypercall.args[1] = x->gpr[AXVM_X86_RCX];
	run->hypercall.args[2] = x->gpr[AXVM_X86_RDX];
	run->hypercall.args[3] = x->gpr[AXVM_X86_RSI];
	run->hypercall.args[4] = 0;
	run->hypercall.args[5] = 0;
	run->hypercall.ret = 0;
	x->pending = AXVM_EXIT_HYPERCALL;
	x->rip += len;
	return AXVM_EXIT_HYPERCALL;
}

/*
 * The intercepted exceptions that go back to the guest: #DB and #AC. Both
 * are intercepted so that one raised by its own delivery (a breakpoint
 * on the stack the CPU pushes to, an unaligned stack at CPL 3) exits to
 * the host each time instead of looping inside the CPU, where the host
 * never gets its CPU back (CVE-2015-8104, CVE-2015-5307).
 *
 * @vectoring is the event the exception interrupted (IDT-vectoring,
 * EXITINTINFO). The same exception raised while it was being delivered
 * repeats forever, as it would on the CPU: the guest is ended as a
 * shutdown. Any other event interrupted this way ends it with an
 * internal error (KVM's KVM_INTERNAL_ERROR_SIMUL_EX): the two cannot
 * both be delivered as the CPU would. @dr6 is the #DB's status.
 */
int axvm_x86_exception_exit(struct axvm_x86_vcpu *x, u8 vector, u32 error,
			    u64 dr6, u32 vectoring)
{
	struct axvm_run *run = x->vcpu->run;

	if (vectoring & AXVM_X86_EVENT_VALID) {
		if (AXVM_X86_EVENT_TYPE(vectoring) == AXVM_X86_EVENT_HW_EXC &&
		    (vectoring & 0xff) == vector) {
			run->system_down.type = AXVM_SYSTEM_DOWN_CRASH;
			run->system_down.data = vector;
			return AXVM_EXIT_SYSTEM_DOWN;
		}
		return -EFAULT;
	}
	if (vector == AXVM_X86_DB_VECTOR) {
		axvm_x86_debug_exception(x, dr6);
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	}
	/*
	 * #AC is the guest's when it asked for alignment checks (CR0.AM,
	 * RFLAGS.AC, CPL 3) or when nothing else can raise it; otherwise
	 * the host's split-lock detection did, which warns (and lets the
	 * guest go on) or signals the VMM's thread, as for KVM.
	 */
	if (!boot_cpu_has(X86_FEATURE_SPLIT_LOCK_DETECT) ||
	    ((x->cr0 & X86_CR0_AM) && (x->rflags & X86_EFLAGS_AC) &&
	     axvm_x86_cpl(x) == 3)) {
		axvm_x86_raise(x, AXVM_X86_AC_VECTOR, true, error);
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	}
	if (handle_guest_split_lock(x->rip))
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	return -EFAULT;
}

/*
 * A machine check that hit the guest is the host's: its handler runs as
 * for a user task (KVM's kvm_machine_check()), the guest goes on.
 */
void axvm_x86_host_mce(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,	/* as if from user mode, whatever the guest ran */
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
}

/* PAE paging outside long mode: the PDPTEs are cached (SDM 4.4.1). */
bool axvm_x86_pae_paging(const struct axvm_x86_vcpu *x)
{
	return (x->cr0 & X86_CR0_PG) && (x->cr4 & X86_CR4_PAE) &&
	       !(x->efer & EFER_LMA);
}

/*
 * The PDPTEs at CR3 (bits 31:5), as MOV to CR3 loads them; before an
 * entry, where sleeping is allowed. A CR3 outside guest RAM leaves them
 * not present: the guest's next access faults.
 */
void axvm_x86_load_pdptrs(struct axvm_x86_vcpu *x)
{
	if (!x->pdptr_stale || !axvm_x86_pae_paging(x))
		return;
	if (axvm_mem_read(x->vcpu->vm, x->cr3 & 0xffffffe0ULL, x->pdptr,
			  sizeof(x->pdptr)))
		memset(x->pdptr, 0, sizeof(x->pdptr));
	x->pdptr_stale = false;
}

/* The current privilege level: SS.DPL in protected mode (as SVM's CPL). */
unsigned int axvm_x86_cpl(const struct axvm_x86_vcpu *x)
{
	if (!(x->cr0 & X86_CR0_PE))
		return 0;
	if (x->rflags & X86_EFLAGS_VM)
		return 3;
	return (x->seg[AXVM_X86_SS].attr >> AXVM_X86_AR_DPL_SHIFT) & 3;
}

/* 16, 32 or 64: the default operand size, for the decoder. */
unsigned int axvm_x86_cpu_mode(const struct axvm_x86_vcpu *x)
{
	u32 cs = x->seg[AXVM_X86_CS].attr;

	if (x->efer & EFER_LMA && cs & AXVM_X86_AR_L)
		return 64;
	if (!(x->cr0 & X86_CR0_PE) || x->rflags & X86_EFLAGS_VM)
		return 16;
	return cs & AXVM_X86_AR_DB ? 32 : 16;
}

/*
 * Results userspace left in the run page for the last exit. An MMIO read
 * may need one more exit to store its result (a read-modify-write, or
 * MOVS from MMIO to MMIO): that exit, else 0.
 */
int axvm_x86_complete(struct axvm_x86_vcpu *x)
{
	struct axvm_run *run = x->vcpu->run;
	u32 pending = x->pending;
	int ret = 0;
	u64 v;

	x->pending = 0;
	switch (pending) {
	case AXVM_EXIT_MMIO:
		ret = axvm_x86_mmio_complete(x, READ_ONCE(run->mmio.data));
		break;
	case AXVM_EXIT_IO:
		v = READ_ONCE(run->io.data);
		if (x->pending_string) {
			ret = axvm_x86_string_in_complete(x, v);
			break;
		}
		/* IN to EAX clears the upper half as any 32-bit write does. */
		axvm_x86_set_reg(x, AXVM_X86_RAX, x->pending_len, v);
		break;
	case AXVM_EXIT_SYSREG:
		v = READ_ONCE(run->sysreg.value);
		axvm_x86_set_reg(x, AXVM_X86_RAX, 4, v);
		axvm_x86_set_reg(x, AXVM_X86_RDX, 4, v >> 32);
		break;
	case AXVM_EXIT_HYPERCALL:
		x->gpr[AXVM_X86_RAX] = READ_ONCE(run->hypercall.ret);
		break;
	}
	return ret & AXVM_ARCH_EXIT_HANDLED ? 0 : ret;
}
