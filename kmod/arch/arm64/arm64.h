/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the arm64 backend: vCPU state and the pieces of a guest run. */
#ifndef AXVM_ARM64_H
#define AXVM_ARM64_H

#include <linux/hrtimer.h>
#include <linux/spinlock.h>

#include "../../axvm.h"
#include "spectre.h"

/* The EL1 system registers a vCPU carries, in uAPI table order. */
enum axvm_arm64_sysreg {
	AXVM_ARM64_SCTLR, AXVM_ARM64_TTBR0, AXVM_ARM64_TTBR1, AXVM_ARM64_TCR,
	AXVM_ARM64_MAIR, AXVM_ARM64_AMAIR, AXVM_ARM64_VBAR, AXVM_ARM64_ESR,
	AXVM_ARM64_FAR, AXVM_ARM64_ELR, AXVM_ARM64_SPSR, AXVM_ARM64_CPACR,
	AXVM_ARM64_CONTEXTIDR, AXVM_ARM64_TPIDR_EL1, AXVM_ARM64_TPIDR_EL0,
	AXVM_ARM64_TPIDRRO_EL0, AXVM_ARM64_PAR, AXVM_ARM64_CNTKCTL,
	AXVM_ARM64_CNTV_CTL, AXVM_ARM64_CNTV_CVAL, AXVM_ARM64_MPIDR,
	AXVM_ARM64_SP_EL0, AXVM_ARM64_AFSR0, AXVM_ARM64_AFSR1,
	AXVM_ARM64_CSSELR, AXVM_ARM64_CNTP_CTL, AXVM_ARM64_CNTP_CVAL,
	AXVM_ARM64_NR_SYSREGS
};

/* FP/SIMD state in the layout entry.S saves and loads. */
struct axvm_arm64_fpsimd {
	__uint128_t v[32];
	u64 fpsr;
	u64 fpcr;
};

#define AXVM_ARM64_MAX_LRS	16
#define AXVM_ARM64_MAX_APRS	4

/* SGIs and PPIs: the interrupts private to each vCPU. */
#define AXVM_VGIC_PRIVATE		32
#define AXVM_VGIC_RESET_PRIORITY	0xa0

/* One interrupt of the in-kernel distributor (vgic_dist.c). */
struct axvm_vgic_irq {
	u8 priority;
	bool enabled;
	bool edge;		/* ICFGR: edge-triggered */
	bool level;		/* the input line is high */
	bool latch;		/* an edge or ISPENDR made it pending */
};

/* The guest's view of its GICv3 CPU interface. */
struct axvm_arm64_vgic {
	u64 lr[AXVM_ARM64_MAX_LRS];
	u64 vmcr;
	u64 ap0r[AXVM_ARM64_MAX_APRS];
	u64 ap1r[AXVM_ARM64_MAX_APRS];
	/* With an in-kernel GIC: its redistributor, under the dist lock. */
	bool in_dist;
	bool asleep;		/* GICR_WAKER.ProcessorSleep */
	struct axvm_vgic_irq priv[AXVM_VGIC_PRIVATE];
	u8 sgi_src[16];		/* GICv2: each SGI's pending sources */
};

/* A vCPU's PSCI power state, in AFFINITY_INFO's values. */
#define AXVM_PSCI_ON		0
#define AXVM_PSCI_OFF		1
#define AXVM_PSCI_ON_PENDING	2

/*
 * Written by the CPU_ON caller's thread, read by the vCPU's own: its
 * next ioctl applies the reset, its next run turns it ON.
 */
struct axvm_arm64_power {
	spinlock_t lock;	/* guards the fields below */
	u8 state;		/* AXVM_PSCI_* */
	bool reset;		/* CPU_ON's reset is still to apply */
	bool be;		/* ON_PENDING: the caller ran big-endian */
	u64 entry, context;	/* ON_PENDING: CPU_ON's arguments */
};

/* Self-hosted debug state: a guest's copy, or the host's while saved. */
struct axvm_arm64_debug {
	u64 bvr[16], bcr[16], wvr[16], wcr[16];
	u64 mdscr;
	bool oslk;		/* the guest's OS lock (OSLAR_EL1) */
};

struct axvm_arm64_vcpu {
	u64 x[31];		/* X0-X30: the world switch's layout */
	u64 sp_el1;
	u64 pc;
	u64 pstate;
	u64 sysregs[AXVM_ARM64_NR_SYSREGS];
	struct axvm_arm64_fpsimd fp;
	struct axvm_arm64_vgic vgic;
	struct axvm_arm64_debug debug;

	struct axvm_vcpu *vcpu;	/* back pointer, for the timer */
	u64 serial;		/* never reused: names the TLB's last user */
	struct hrtimer timer;	/* the virtual timer's deadline on the host */
	u64 timer_cval;		/* the count it stands for */
	/* AXVM_VCPU_PASSTHROUGH_TIMER: CNTP_* live in the CPU, no traps. */
	bool ptimer_direct;
	struct axvm_arm64_power power;

	/* An exit that completes on the next RUN (an AXVM_EXIT_* or 0). */
	u32 pending;
	u8 pending_reg;		/* target register, 31: none */
	u8 pending_len;		/* MMIO read: bytes */
	bool pending_sse;	/* MMIO read: sign-extend */
	bool pending_sf;	/* MMIO read: 64-bit register */
	u64 pending_target;	/* CPU_UP: the MPIDR it claimed */
};

struct axvm_vgic_dist;

/* Per VM: the VMID, tagging its stage-2 TLB entries, and the GIC. */
struct axvm_arm64_vm {
	struct axvm_vmid vmid;
	struct axvm_vgic_dist *dist;	/* AXVM_CREATE_IRQCHIP, or NULL */
};

/* Why the guest came back, as decoded from the exception it took. */
struct axvm_arm64_exit {
	u64 code;		/* AXVM_ARM64_EXIT_* */
	u64 esr, far, hpfar;
	/* hpfar holds no IPA: the guest's stage 1 changed, run it again. */
	bool ipa_unknown;
};

/* Return codes of the world switch: the vector the guest trapped to. */
#define AXVM_ARM64_EXIT_SYNC		0
#define AXVM_ARM64_EXIT_IRQ		1
#define AXVM_ARM64_EXIT_FIQ		2
#define AXVM_ARM64_EXIT_SERROR		3
#define AXVM_ARM64_EXIT_AARCH32		4

/* The EL1 timers' interrupts, as on every GICv3 platform (SBSA). */
#define AXVM_ARM64_VTIMER_PPI		27
#define AXVM_ARM64_PTIMER_PPI		30
/* axvm_arm64_timer_lines(): which of them is high. */
#define AXVM_ARM64_TIMER_LINE_V		BIT(0)
#define AXVM_ARM64_TIMER_LINE_P		BIT(1)

/* entry.S; @seq: this CPU's axvm_arm64_exit_seq. */
u64 __axvm_arm64_enter(u64 *x, u64 *sp_el0, u64 seq);
void __axvm_arm64_fpsimd_save(struct axvm_arm64_fpsimd *fp);
void __axvm_arm64_fpsimd_load(const struct axvm_arm64_fpsimd *fp);

/* hyp.c */
extern u64 axvm_arm64_vtcr;
extern bool axvm_arm64_has_ras;
extern bool axvm_arm64_vmid0;
void axvm_arm64_flush_vmid(u64 vttbr);
u64 axvm_arm64_vttbr(struct axvm_vm *vm, u32 vmid);

/* exit.c: decode a guest exit, complete the last one. */
int axvm_arm64_handle_exit(struct axvm_vcpu *vcpu,
			   const struct axvm_arm64_exit *e);
int axvm_arm64_wait_for_interrupt(struct axvm_vcpu *vcpu);
void axvm_arm64_complete(struct axvm_vcpu *vcpu);
int axvm_arm64_internal(struct axvm_vcpu *vcpu,
			const struct axvm_arm64_exit *e);
u64 axvm_arm64_get_x(struct axvm_arm64_vcpu *a, unsigned int n);
void axvm_arm64_set_x(struct axvm_arm64_vcpu *a, unsigned int n, u64 v);

/* spectre.c: what guest exits run against Spectre-v2 and BHB. */
DECLARE_PER_CPU(u64, axvm_arm64_exit_seq);
void axvm_arm64_spectre_cpu_enable(void);

/* idregs.c: the ID registers the guest sees. */
bool axvm_arm64_idreg_read(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2,
			   u64 *val);

/* smccc.c: HVC and SMC calls. */
int axvm_arm64_smccc(struct axvm_vcpu *vcpu, u64 esr);
bool axvm_arm64_hypercall_filter_ok(u32 base, u32 nr);

/* psci.c: PSCI 1.0 and the vCPUs' power states. */
int axvm_arm64_psci(struct axvm_vcpu *vcpu, u32 fid);
bool axvm_arm64_psci_fn(u32 fid);
void axvm_arm64_power_on(struct axvm_vcpu *vcpu);
void axvm_arm64_psci_cpu_on_done(struct axvm_vcpu *vcpu, u64 target,
				 bool started);

/* regs.c */
void axvm_arm64_vcpu_reset(struct axvm_arm64_vcpu *a, u64 pc, u64 x0,
			   bool be);

/* debug.c: the guest's breakpoints, watchpoints and software step. */
bool axvm_arm64_debug_access(struct axvm_arm64_vcpu *a, u32 op0, u32 op1,
			     u32 crn, u32 crm, u32 op2, bool write, u64 *val);
bool axvm_arm64_debug_load(struct axvm_arm64_vcpu *a,
			   struct axvm_arm64_debug *h);
void axvm_arm64_debug_put(struct axvm_arm64_debug *h, bool loaded);

/* inject.c: exceptions taken to the guest's EL1. */
void axvm_arm64_inject_abort(struct axvm_arm64_vcpu *a, bool data, u64 far,
			     bool wnr);

/* spectre.c: ARCH_FEATURES of an ARCH_WORKAROUND call, for guests. */
long axvm_arm64_spectre_guest_answer(u32 fid);

/* vgic.c: the GICv3 CPU interface through the list registers. */
int axvm_arm64_vgic_probe(void);
void axvm_arm64_vgic_maint_setup(void);
void axvm_arm64_vgic_maint_release(void);
void axvm_arm64_vgic_cpu_enable(void);
void axvm_arm64_vgic_cpu_disable(void);
void axvm_arm64_vgic_reset(struct axvm_arm64_vcpu *a);
u32 axvm_arm64_vgic_load(struct axvm_vcpu *vcpu, u32 timer_lines);
u64 axvm_vgic_level_flags(void);
void axvm_arm64_vgic_save(struct axvm_arm64_vcpu *a);
bool axvm_arm64_vgic_pending(struct axvm_vcpu *vcpu, u32 timer_lines);

/* vgic_v2.c: the GICv2 hypervisor interface (GICH, GICV). */
extern bool axvm_vgic_v2;
/* A GICv2 SGI's source CPU, kept in bits the GICv3 layout leaves 0. */
#define AXVM_LR_V2_SOURCE	GENMASK_ULL(44, 42)
int axvm_vgic_v2_probe(unsigned int *nr_lrs);
void axvm_vgic_v2_release(void);
void axvm_vgic_v2_cpu_reset(void);
struct device_node *axvm_vgic_v2_node(void);
phys_addr_t axvm_vgic_v2_gicv(void);
void axvm_vgic_v2_load(const struct axvm_arm64_vgic *g, unsigned int n,
		       u64 hcr);
void axvm_vgic_v2_save(struct axvm_arm64_vgic *g, unsigned int n);

/* vgic_dist.c: the in-kernel distributor and redistributors. */
int axvm_vgic_dist_add_vcpu(struct axvm_vcpu *vcpu);
void axvm_vgic_dist_remove_vcpu(struct axvm_vcpu *vcpu);
void axvm_vgic_dist_free(struct axvm_vgic_dist *d);
bool axvm_vgic_has_dist(struct axvm_vcpu *vcpu);
bool axvm_vgic_dist_load(struct axvm_vcpu *vcpu, u64 *lr, unsigned int n,
			 u32 timer_lines, u32 *disabled_timers);
bool axvm_vgic_dist_pending(struct axvm_vcpu *vcpu, u32 timer_lines);
bool axvm_vgic_mmio(struct axvm_vcpu *vcpu, u64 ipa, unsigned int len,
		    bool write, u64 *val);
bool axvm_vgic_cpuif_map(struct axvm_vcpu *vcpu, u64 ipa);
u64 axvm_vgic_sgi1r_base(u64 val);
void axvm_vgic_sgi(struct axvm_vcpu *vcpu, u64 val);

/* timer.c: the EL1 virtual and physical timers. */
void axvm_arm64_timer_probe(void);
u32 axvm_arm64_timer_ppi_hold(struct axvm_arm64_vcpu *a);
void axvm_arm64_timer_ppi_release(u32 held);
void axvm_arm64_timer_init(struct axvm_arm64_vcpu *a);
void axvm_arm64_timer_destroy(struct axvm_arm64_vcpu *a);
bool axvm_arm64_timer_armed(struct axvm_arm64_vcpu *a);
u32 axvm_arm64_timer_lines(struct axvm_arm64_vcpu *a);
bool axvm_arm64_ptimer_access(struct axvm_arm64_vcpu *a, u32 op0, u32 op1,
			      u32 crn, u32 crm, u32 op2, bool write, u64 *val);
void axvm_arm64_timer_start(struct axvm_arm64_vcpu *a, u32 skip_lines);
void axvm_arm64_timer_stop(struct axvm_arm64_vcpu *a);

#endif /* AXVM_ARM64_H */
