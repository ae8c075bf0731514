/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the riscv64 backend: vCPU state and the pieces of a guest run. */
#ifndef AXVM_RISCV_H
#define AXVM_RISCV_H

#include <linux/hrtimer.h>

#include "../../axvm.h"

#ifndef CSR_SENVCFG
#define CSR_SENVCFG	0x10a
#endif
#ifndef SR_VS
#define SR_VS		_AC(0x00000600, UL)
#endif
#ifndef SR_MXR
#define SR_MXR		_AC(0x00080000, UL)
#endif

/*
 * The fields of the guest's sstatus that the vCPU keeps and loads into
 * vsstatus (regs.c says why nothing else ever reaches it). UXL is
 * always 64-bit; XS and SD are read-only.
 */
#define AXVM_RISCV_SSTATUS_RW	(SR_SIE | SR_SPIE | SR_SPP | SR_VS | \
				 SR_FS | SR_SUM | SR_MXR)

/* The guest CSRs a vCPU carries, in uAPI table order (regs.c). */
enum axvm_riscv_csr {
	AXVM_RISCV_SSTATUS, AXVM_RISCV_SIE, AXVM_RISCV_STVEC,
	AXVM_RISCV_SSCRATCH, AXVM_RISCV_SEPC, AXVM_RISCV_SCAUSE,
	AXVM_RISCV_STVAL, AXVM_RISCV_SIP, AXVM_RISCV_SATP,
	AXVM_RISCV_SCOUNTEREN, AXVM_RISCV_SENVCFG,
	AXVM_RISCV_NR_CSRS
};

/* F and D state in the layout entry.S saves and loads. */
struct axvm_riscv_fp {
	u64 f[32];
	u64 fcsr;
};

/*
 * What the world switch in entry.S reads and writes; the offsets are
 * written out in entry.S; run.c checks them at build time.
 */
struct axvm_riscv_ctx {
	u64 x[32];		/* guest x0-x31 (x0 unused) */
	u64 sepc;		/* guest pc */
	u64 sstatus;		/* in: SPP, SPIE, FS for sret; out: at the trap */
	u64 hstatus;		/* in: SPV, SPVP, VTW; out: at the trap */
	u64 host_sstatus;
	u64 host_hstatus;
	u64 host_stvec;
	u64 host_sscratch;
	u64 host_s[16];		/* ra, sp, gp, tp, s0-s11 */
};

struct axvm_riscv_vcpu {
	struct axvm_riscv_ctx ctx;	/* first: entry.S takes its address */
	u64 csrs[AXVM_RISCV_NR_CSRS];
	u64 hvip;			/* VSSIP as the guest left it */
	bool user;			/* resumes in VU-mode */
	struct axvm_riscv_fp fp, host_fp;

	struct axvm_vcpu *vcpu;		/* back pointer, for the timer */
	struct hrtimer timer;		/* SBI set_timer's deadline */
	u64 timer_deadline;		/* in time CSR ticks, U64_MAX: off */
	atomic_t ipi;			/* an SBI IPI to deliver as VSSIP */
	atomic_t fence;			/* an SBI remote fence to run */
	u64 uid;			/* unique among all vCPUs ever */
	int last_cpu;			/* where it last entered, -1: nowhere */
	atomic_t hsm_state;		/* SBI HSM: STARTED, STOPPED, ... */
	/* hart_start: 1 while its reset is still to apply, and its args. */
	atomic_t start_reset;
	u64 start_addr, start_opaque;

	/* An exit that completes on the next RUN (an AXVM_EXIT_* or 0). */
	u32 pending;
	u8 pending_reg;			/* target register, 0: none */
	u8 pending_len;			/* MMIO read: bytes */
	bool pending_sse;		/* MMIO read: sign-extend */
};

struct axvm_plic;

/* Per VM: the VMID and the in-kernel PLIC. */
struct axvm_riscv_vm {
	struct axvm_vmid vmid;
	struct axvm_plic *plic;		/* NULL: none; set once, no vCPU yet */
};

/* Hart ids the PLIC can have contexts for. */
#define AXVM_RISCV_PLIC_MAX_HARTS	256

/* Why the guest came back, read right after the trap. */
struct axvm_riscv_exit {
	u64 scause, stval, htval, htinst;
	u32 insn;		/* the trapping instruction, when it was read */
	u8 insn_len;		/* 2 or 4; 0: not read */
};

/* hvip bits: the lines of AXVM_INJECT_IRQ. */
#define AXVM_RISCV_VSSIP	BIT(IRQ_VS_SOFT)
#define AXVM_RISCV_VSTIP	BIT(IRQ_VS_TIMER)
#define AXVM_RISCV_VSEIP	BIT(IRQ_VS_EXT)
#define AXVM_RISCV_VS_IRQS	(AXVM_RISCV_VSSIP | AXVM_RISCV_VSTIP | \
				 AXVM_RISCV_VSEIP)

/* SBI HSM hart states. */
#define AXVM_SBI_HSM_STARTED		0
#define AXVM_SBI_HSM_STOPPED		1
#define AXVM_SBI_HSM_START_PENDING	2
#define AXVM_SBI_HSM_SUSPENDED		4

/* entry.S */
void __axvm_riscv_enter(struct axvm_riscv_ctx *ctx);
void __axvm_riscv_fp_save(struct axvm_riscv_fp *fp);
void __axvm_riscv_fp_load(const struct axvm_riscv_fp *fp);
/*
 * Read a halfword of guest memory with HLVX.HU at the guest virtual
 * address @addr (instruction fetch permission). Returns 0, or the scause
 * of the trap that the access took.
 */
unsigned long __axvm_riscv_hlvx_hu(unsigned long addr, u16 *val);

/* hyp.c */
extern unsigned long axvm_riscv_hgatp_mode;
u64 axvm_riscv_hgatp(struct axvm_vm *vm, u32 vmid);
void axvm_riscv_hfence_gvma_vmid(unsigned long vmid);
void axvm_riscv_hfence_vvma_all(void);

/* exit.c */
int axvm_riscv_handle_exit(struct axvm_vcpu *vcpu,
			   const struct axvm_riscv_exit *e);
void axvm_riscv_complete(struct axvm_vcpu *vcpu);
u64 axvm_riscv_get_x(struct axvm_riscv_vcpu *r, unsigned int n);
void axvm_riscv_set_x(struct axvm_riscv_vcpu *r, unsigned int n, u64 v);
int axvm_riscv_internal(struct axvm_vcpu *vcpu,
			const struct axvm_riscv_exit *e);

/* sbi.c */
int axvm_riscv_sbi(struct axvm_vcpu *vcpu, const struct axvm_riscv_exit *e);
/* exit.c: WFI's wait, an exit code; sepc already moved on. */
int axvm_riscv_wait(struct axvm_vcpu *vcpu);
void axvm_riscv_sbi_start_failed(struct axvm_vcpu *vcpu, u64 target);

/* timer.c */
void axvm_riscv_timer_init(struct axvm_riscv_vcpu *r);
void axvm_riscv_timer_destroy(struct axvm_riscv_vcpu *r);
void axvm_riscv_timer_set(struct axvm_riscv_vcpu *r, u64 deadline);
bool axvm_riscv_timer_armed(struct axvm_riscv_vcpu *r);
bool axvm_riscv_timer_expired(struct axvm_riscv_vcpu *r);
void axvm_riscv_timer_start(struct axvm_riscv_vcpu *r);
void axvm_riscv_timer_stop(struct axvm_riscv_vcpu *r);

/* plic.c */
/*
 * A guest load or store of @len bytes at @gpa: false when it is outside
 * the PLIC's window, else done (a load's value in @val).
 */
bool axvm_riscv_plic_mmio(struct axvm_vcpu *vcpu, u64 gpa, unsigned int len,
			  bool write, u64 *val);
/* The output of the vCPU's S-mode context: its VSEIP. */
bool axvm_riscv_plic_eip(struct axvm_vcpu *vcpu);
bool axvm_riscv_plic_present(struct axvm_vm *vm);
/* False when the VM has a PLIC without contexts for @hart. */
bool axvm_riscv_plic_has_hart(struct axvm_vm *vm, u64 hart);
void axvm_riscv_plic_free(struct axvm_vm *vm);

/* run.c */
bool axvm_riscv_wake_pending(struct axvm_vcpu *vcpu);

#endif /* AXVM_RISCV_H */
