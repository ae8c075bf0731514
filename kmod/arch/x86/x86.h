/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the x86 backend: the vCPU state VMX and SVM share, and each half.
 *
 * Per-CPU hardware state: a vCPU's VMCS is current, and the guest's
 * SPEC_CTRL, DR0-3, CR2 and FPU state are in the CPU, only inside one
 * entry with interrupts off (vmx_run.c's and svm_run.c's enter
 * functions); everything an exit handler needs is read before interrupts
 * come back, and the host's state is back by then. Nothing relies on
 * preempt notifiers, which kernels without KVM lack.
 */
#ifndef AXVM_X86_H
#define AXVM_X86_H

#include <linux/percpu.h>
#include <asm/fpu/types.h>

#include "../../axvm.h"
#include "decode.h"

#define AXVM_X86_NR_SEGS	8	/* ES CS SS DS FS GS LDTR TR */
enum axvm_x86_seg_index {
	AXVM_X86_ES, AXVM_X86_CS, AXVM_X86_SS, AXVM_X86_DS,
	AXVM_X86_FS, AXVM_X86_GS, AXVM_X86_LDTR, AXVM_X86_TR,
};

/* VMX access-rights layout, as in the uAPI. */
#define AXVM_X86_AR_TYPE	0xf
#define AXVM_X86_AR_S		BIT(4)
#define AXVM_X86_AR_DPL_SHIFT	5
#define AXVM_X86_AR_P		BIT(7)
#define AXVM_X86_AR_L		BIT(13)
#define AXVM_X86_AR_DB		BIT(14)
#define AXVM_X86_AR_UNUSABLE	BIT(16)

struct axvm_x86_seg {
	u16 sel;
	u64 base;
	u32 limit;
	u32 attr;	/* VMX access-rights layout, bit 16: unusable */
};

/* Fixed-range MTRRs (one 64K, two 16K, eight 4K) and variable pairs. */
#define AXVM_X86_MTRR_NR_FIXED	11
#define AXVM_X86_MTRR_NR_VAR	8

/* The MSRs the kernel keeps for the guest, in regs.c's table order. */
enum axvm_x86_msr_index {
	AXVM_X86_SYSENTER_CS, AXVM_X86_SYSENTER_ESP, AXVM_X86_SYSENTER_EIP,
	AXVM_X86_STAR, AXVM_X86_LSTAR, AXVM_X86_CSTAR, AXVM_X86_SFMASK,
	AXVM_X86_KERNEL_GS_BASE, AXVM_X86_PAT, AXVM_X86_TSC_AUX,
	AXVM_X86_KVM_WALL_CLOCK, AXVM_X86_KVM_SYSTEM_TIME,
	AXVM_X86_MISC_ENABLE,
	AXVM_X86_NR_LISTED_MSRS,
	/* The MTRRs (mtrr.c), found by axvm_x86_mtrr_index(). */
	AXVM_X86_MTRR_DEF_TYPE = AXVM_X86_NR_LISTED_MSRS,
	AXVM_X86_MTRR_FIX,
	AXVM_X86_MTRR_VAR = AXVM_X86_MTRR_FIX + AXVM_X86_MTRR_NR_FIXED,
	AXVM_X86_NR_MSRS = AXVM_X86_MTRR_VAR + 2 * AXVM_X86_MTRR_NR_VAR
};

/* General registers, in the uAPI (instruction encoding) order. */
enum axvm_x86_gpr {
	AXVM_X86_RAX, AXVM_X86_RCX, AXVM_X86_RDX, AXVM_X86_RBX,
	AXVM_X86_RSP, AXVM_X86_RBP, AXVM_X86_RSI, AXVM_X86_RDI,
};

/*
 * The guest's x87/SSE/AVX state: XSAVE's standard format in a page of its
 * own (FXSAVE's 512 bytes where the CPU lacks XSAVE). XCR0 features a
 * guest may enable: x87, SSE and AVX.
 */
#define AXVM_X86_XCR0_GUEST	(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | \
				 XFEATURE_MASK_YMM)
extern u64 axvm_x86_host_xcr0;	/* 0 without XSAVE */

/*
 * Instructions the backend cannot let a guest run (VMX makes them #UD
 * without their secondary control): CPUID hides them.
 */
#define AXVM_X86_NO_INVPCID	BIT(0)
#define AXVM_X86_NO_RDTSCP	BIT(1)
extern u32 axvm_x86_guest_lacks;

struct axvm_x86_vcpu {
	u64 gpr[16];
	u64 rip;
	u64 rflags;
	u64 cr0, cr2, cr3, cr4, cr8, efer;
	u64 gdtr_base, idtr_base;
	u32 gdtr_limit, idtr_limit;
	struct axvm_x86_seg seg[AXVM_X86_NR_SEGS];
	u64 msrs[AXVM_X86_NR_MSRS];
	void *fpu;			/* a page: XSAVE or FXSAVE image */
	u64 xcr0;			/* the guest's XCR0 */
	/* debugreg.c: DR0-3, DR6, DR7; DR0-3 in the CPU for this run. */
	u64 db[4], dr6, dr7;
	bool db_loaded;
	u64 spec_ctrl;			/* spec.c: the guest's SPEC_CTRL */
	/*
	 * PAE paging's four PDPTEs (VMX keeps them in the VMCS with EPT);
	 * stale after CR0/CR3/CR4 changed outside the guest, read again
	 * from guest memory before the next entry.
	 */
	u64 pdptr[4];
	bool pdptr_stale;

	/*
	 * nmi.c: NMIs latched by other threads, and those pending for
	 * injection. SVM: one is being handled until its IRET (@nmi_masked);
	 * that IRET seen at @nmi_iret_rip, the next exit past it ends it.
	 */
	atomic_t nmi_queued;
	u8 nmi_pending;
	bool nmi_masked;
	bool nmi_iret;
	u64 nmi_iret_rip;

	/* An exception the next entry raises in the guest. */
	bool exc_pending;
	bool exc_has_error;
	u8 exc_vector;
	u32 exc_error;
	struct axvm_cpuid_entry *cpuid;	/* AXVM_X86_CPUID_ENTRIES of room */
	u32 cpuid_n;

	struct axvm_vcpu *vcpu;
	void *hw;		/* the SVM or VMX half's own state */
	struct axvm_lapic *apic;	/* with an irqchip, else NULL */
	u32 user_icr_lo, user_icr_hi;	/* user_ipi.c: AXVM_CAP_USER_IPI */
	/* INIT: drop the event and interrupt shadow the hardware kept. */
	bool drop_events;

	/* An exit that completes on the next RUN (an AXVM_EXIT_* or 0). */
	u32 pending;
	u8 pending_len;		/* IN: bytes */
	bool pending_string;	/* IN: for INS, in @mmio_insn */
	u32 pending_msr;	/* RDMSR to userspace: the MSR */
	/* mmio.c: the instruction being completed, and its address. */
	struct axvm_x86_insn mmio_insn;
	u64 mmio_gpa;

	/* tsc.c: the guest's TSC is the host's plus @tsc_offset. */
	u64 tsc_offset;
	u64 tsc_adjust;		/* IA32_TSC_ADJUST */

	/* pvclock.c: what the guest's clock record was last written for. */
	u64 pvclock_msr;	/* MSR_KVM_SYSTEM_TIME_NEW's value */
	int pvclock_cpu;	/* the CPU of its pair; -1 with a stable TSC */
};

/* Per VM, for either half: TLB flush count, the irqchip, the clock. */
struct axvm_x86_vm {
	atomic_t flushes;	/* stage-2 entries removed */
	struct axvm_x86_chip *chip;	/* AXVM_IRQCHIP_X86, or NULL */
	u64 pvclock_ns;		/* host monotonic ns at the clock's 0 */
	u64 pvclock_tsc;	/* and the host TSC then */
	u64 spec_id;		/* spec.c: IBPB between VMs */
};

/* regs.c */
u64 *axvm_x86_msr_slot(struct axvm_x86_vcpu *x, u32 msr);
bool axvm_x86_msr_valid(const struct axvm_x86_vcpu *x, u32 msr, u64 v);
u8 axvm_x86_guest_maxphyaddr(const struct axvm_x86_vcpu *x);
u64 axvm_x86_mtrrcap(void);
int axvm_x86_mtrr_index(u32 msr);
bool axvm_x86_mtrr_valid(const struct axvm_x86_vcpu *x, u32 msr, u64 v);

/* EFER bits a guest may hold; LMA follows LME and CR0.PG (state.c). */
#define AXVM_X86_EFER_OK	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

/* state.c: 0 or -EINVAL; 0 or an AXVM_X86_BAD_* (uapi) reason. */
int axvm_x86_cr_check(u64 id, u64 val);
u32 axvm_x86_state_check(const struct axvm_x86_vcpu *x);
/* The guest's MOV to CR0 / CR4: 0, or -EINVAL for #GP(0). */
int axvm_x86_mov_cr0(struct axvm_x86_vcpu *x, u64 val);
int axvm_x86_mov_cr4(struct axvm_x86_vcpu *x, u64 val);
void axvm_x86_init_reset(struct axvm_x86_vcpu *x);
void axvm_x86_sipi_start(struct axvm_x86_vcpu *x, u8 vector);

/* irqchip.c */
void axvm_x86_chip_destroy(struct axvm_vm *vm);
int axvm_x86_chip_vcpu_create(struct axvm_x86_vcpu *x);
void axvm_x86_chip_vcpu_destroy(struct axvm_x86_vcpu *x);
int axvm_x86_pre_run(struct axvm_x86_vcpu *x);
bool axvm_x86_halt(struct axvm_x86_vcpu *x);

/* pvclock.c: KVM's paravirtual clock ABI. */
bool axvm_x86_pvclock_cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d);
u32 axvm_x86_pvclock_leaves(u32 *first);
void axvm_x86_pvclock_vm_init(struct axvm_x86_vm *xvm);
void axvm_x86_pvclock_vcpu_init(struct axvm_x86_vcpu *x);
void axvm_x86_pvclock_wrmsr(struct axvm_x86_vcpu *x, u32 msr, u64 v);
void axvm_x86_pvclock_update(struct axvm_x86_vcpu *x);

/* tsc.c: the guest's TSC; 0, -ENOENT (not a TSC MSR), -EINVAL (#GP). */
u64 axvm_x86_guest_tsc(const struct axvm_x86_vcpu *x);
int axvm_x86_tsc_rdmsr(struct axvm_x86_vcpu *x, u32 msr, u64 *v);
int axvm_x86_tsc_wrmsr(struct axvm_x86_vcpu *x, u32 msr, u64 v);
int axvm_x86_tsc_get(struct axvm_x86_vcpu *x, u32 msr, u64 *v);
int axvm_x86_tsc_set(struct axvm_x86_vcpu *x, u32 msr, u64 v);

/* debugreg.c */
void axvm_x86_dr_reset(struct axvm_x86_vcpu *x);
int axvm_x86_dr_set(struct axvm_x86_vcpu *x, unsigned int dr, u64 v);
u64 *axvm_x86_dr_slot(struct axvm_x86_vcpu *x, unsigned int dr);
void axvm_x86_debug_exception(struct axvm_x86_vcpu *x, u64 status);
int axvm_x86_mov_dr(struct axvm_x86_vcpu *x, unsigned int dr,
		    unsigned int gpr, bool to_dr, unsigned int len);
void axvm_x86_dr_load(struct axvm_x86_vcpu *x);
void axvm_x86_dr_put(struct axvm_x86_vcpu *x);

/* spec.c: speculative-execution controls for guests, and mitigations. */
void axvm_x86_spec_setup(bool vmx);
void axvm_x86_spec_cpuid(u32 leaf, u32 sub, u32 *b, u32 *d);
int axvm_x86_spec_rdmsr(struct axvm_x86_vcpu *x, u32 msr, u64 *v);
int axvm_x86_spec_wrmsr(struct axvm_x86_vcpu *x, u32 msr, u64 v);
void axvm_x86_spec_vm_init(struct axvm_x86_vm *xvm);
void axvm_x86_spec_enter(struct axvm_x86_vm *xvm, bool vmx);
void axvm_x86_spec_exit(void);
void axvm_x86_spec_cpu_off(void);

/* hyp.c: the half the CPU has. */
int axvm_x86_hw_vcpu_create(struct axvm_x86_vcpu *x);
void axvm_x86_hw_vcpu_destroy(struct axvm_x86_vcpu *x);

/* emulate.c: what SVM and VMX exits share. */
#define AXVM_X86_CPUID_ENTRIES	256
int axvm_x86_cpuid_init(struct axvm_x86_vcpu *x, u64 arch_id);
void axvm_x86_cpuid(struct axvm_x86_vcpu *x);
int axvm_x86_rdmsr(struct axvm_x86_vcpu *x);
int axvm_x86_wrmsr(struct axvm_x86_vcpu *x);
int axvm_x86_io(struct axvm_x86_vcpu *x, u16 port, unsigned int size,
		bool in, u64 next_rip);
void axvm_x86_io_exit(struct axvm_run *run, u16 port, unsigned int size,
		      bool write, u64 data);
int axvm_x86_hypercall(struct axvm_x86_vcpu *x, unsigned int len);
int axvm_x86_xsetbv(struct axvm_x86_vcpu *x);
void axvm_x86_raise(struct axvm_x86_vcpu *x, u8 vector, bool has_error,
		    u32 error);
int axvm_x86_pop_vector(struct axvm_x86_vcpu *x, bool open);
u64 axvm_x86_get_cr8(struct axvm_x86_vcpu *x);
void axvm_x86_set_cr8(struct axvm_x86_vcpu *x, u64 cr8);
bool axvm_x86_tpr_blocks(struct axvm_x86_vcpu *x);
bool axvm_x86_halt_wakes(struct axvm_x86_vcpu *x);
#define AXVM_X86_DB_VECTOR	1
#define AXVM_X86_UD_VECTOR	6
#define AXVM_X86_GP_VECTOR	13
#define AXVM_X86_PF_VECTOR	14
#define AXVM_X86_AC_VECTOR	17
#define AXVM_X86_MC_VECTOR	18
/* IDT-vectoring (VMX) and EXITINTINFO (SVM) share this layout. */
#define AXVM_X86_EVENT_VALID	BIT(31)
#define AXVM_X86_EVENT_TYPE(e)	(((e) >> 8) & 7)
#define AXVM_X86_EVENT_HW_EXC	3
int axvm_x86_exception_exit(struct axvm_x86_vcpu *x, u8 vector, u32 error,
			    u64 dr6, u32 vectoring);
void axvm_x86_host_mce(void);
void axvm_x86_fpu_load(struct axvm_x86_vcpu *x);
void axvm_x86_fpu_save(struct axvm_x86_vcpu *x);
int axvm_x86_complete(struct axvm_x86_vcpu *x);
bool axvm_x86_guest_tsc_deadline(const struct axvm_x86_vcpu *x);
const struct axvm_cpuid_entry *
axvm_x86_cpuid_entry(const struct axvm_x86_vcpu *x, u32 leaf, u32 sub);
void axvm_x86_set_reg(struct axvm_x86_vcpu *x, unsigned int reg,
		      unsigned int bytes, u64 v);
unsigned int axvm_x86_cpu_mode(const struct axvm_x86_vcpu *x);
unsigned int axvm_x86_cpl(const struct axvm_x86_vcpu *x);
bool axvm_x86_pae_paging(const struct axvm_x86_vcpu *x);
void axvm_x86_load_pdptrs(struct axvm_x86_vcpu *x);

/* nmi.c */
void axvm_x86_nmi_latch(struct axvm_x86_vcpu *x);
void axvm_x86_nmi_send(struct axvm_x86_vcpu *x);
bool axvm_x86_nmi_waiting(struct axvm_x86_vcpu *x);
void axvm_x86_nmi_collect(struct axvm_x86_vcpu *x, bool in_service);
void axvm_x86_nmi_reset(struct axvm_x86_vcpu *x);
#define AXVM_X86_NMI_VECTOR	2

/* mmio.c: MMIO and string I/O, completed for the guest. */
int axvm_x86_mmio(struct axvm_x86_vcpu *x, u64 gpa, bool write);
int axvm_x86_user_ipi_mmio(struct axvm_x86_vcpu *x, u64 gpa,
			   unsigned int len, bool write, u64 *val);
int axvm_x86_mmio_complete(struct axvm_x86_vcpu *x, u64 data);
int axvm_x86_string_io(struct axvm_x86_vcpu *x, u16 port, unsigned int size,
		       bool in, u64 next_rip);
int axvm_x86_string_in_complete(struct axvm_x86_vcpu *x, u64 v);
bool axvm_x86_la_present(struct axvm_x86_vcpu *x, u64 la);
int axvm_x86_translate(struct axvm_x86_vcpu *x, u64 la, u64 *gpa,
		       u32 *perm);
unsigned int axvm_x86_read_code(struct axvm_x86_vcpu *x, u8 *buf,
				unsigned int n);

/* VMX */
int axvm_vmx_probe(void);
void axvm_vmx_release(void);
int axvm_vmx_cpu_enable(void);
void axvm_vmx_cpu_disable(void);
int axvm_vmx_setup(struct axvm_arch_info *info);
void axvm_vmx_teardown(void);
void axvm_vmx_clear_loaded(void);
int axvm_vmx_vm_init(struct axvm_vm *vm);
void axvm_vmx_vm_destroy(struct axvm_vm *vm);
void axvm_vmx_vm_flush(struct axvm_vm *vm);
int axvm_vmx_vcpu_create(struct axvm_x86_vcpu *x);
void axvm_vmx_vcpu_destroy(struct axvm_x86_vcpu *x);
int axvm_vmx_vcpu_run(struct axvm_x86_vcpu *x);
void axvm_vmx_vmid_rollover(void);
/* vmx_entry.S: 0 after a VM exit, 1 when the entry failed (VMfail). */
int __axvm_vmx_run(u64 *gpr, bool launched, const u64 *spec_ctrl);
void __axvm_vmx_exit(void);	/* HOST_RIP */
void __axvm_vmx_host_nmi(void);

/* npt.c, ept.c */
extern const struct axvm_s2_format axvm_x86_npt_format;
extern const struct axvm_s2_format axvm_x86_npt5_format;
extern const struct axvm_s2_format axvm_x86_ept_format;
extern const struct axvm_s2_format axvm_x86_ept_4k_format;

/* SVM */
int axvm_svm_probe(struct axvm_arch_info *info);
void axvm_svm_release(void);
int axvm_svm_cpu_enable(void);
void axvm_svm_cpu_disable(void);
int axvm_svm_vm_init(struct axvm_vm *vm);
void axvm_svm_vm_destroy(struct axvm_vm *vm);
void axvm_svm_vm_flush(struct axvm_vm *vm);
int axvm_svm_vcpu_create(struct axvm_x86_vcpu *x);
void axvm_svm_vcpu_destroy(struct axvm_x86_vcpu *x);
int axvm_svm_vcpu_run(struct axvm_x86_vcpu *x);
void axvm_svm_vmid_rollover(void);
/* svm.c: shared by all vCPUs, and the host's VMSAVE area per CPU. */
extern phys_addr_t axvm_svm_iopm_pa, axvm_svm_msrpm_pa;
extern bool axvm_svm_tcg_lme;
DECLARE_PER_CPU(struct page *, axvm_svm_host_vmsave);
/* svm_entry.S */
void __axvm_svm_run(u64 vmcb_pa, u64 *gpr, u64 host_vmsave_pa,
		    const u64 *spec_ctrl);

#endif /* AXVM_X86_H */
