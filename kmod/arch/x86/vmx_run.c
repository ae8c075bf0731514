// SPDX-License-Identifier: GPL-2.0
/*
 * VMX guest runs: one VMCS per vCPU with EPT, VPID and unrestricted guest,
 * controls chosen from the capability MSRs. The VMCS is active on one CPU
 * at a time: when the vCPU's thread moves, it is VMCLEARed on the old CPU
 * (by IPI) and VMPTRLDed on the new one, whose host state it then takes.
 * The guest's registers are written to the VMCS before every entry and
 * read back after; the exits share their emulation with SVM (emulate.c).
 *
 * The rule for the VMCS: it is touched only between VMPTRLD and the end
 * of the exit with interrupts off (axvm_vmx_enter()). Without preempt
 * notifiers (kernels built without KVM have none) the thread may lose its
 * CPU the moment interrupts are back, and another vCPU's VMCS, or none,
 * is current then. So every exit field is read into struct axvm_vmx_exit
 * before that, and what an exit handler wants changed in the VMCS (an
 * event to re-inject, the interrupt shadow, a VPID flush) is kept in
 * struct axvm_vmx_vcpu and written at the next entry.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/apic.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

#include "x86.h"

/* What one exit left in the VMCS, read before interrupts are back on. */
struct axvm_vmx_exit {
	u32 reason;		/* ~0U: VMLAUNCH/VMRESUME failed (VMfail) */
	u32 insn_error;		/* VM_INSTRUCTION_ERROR after a VMfail */
	u32 intr_info, intr_error;	/* the exception or NMI that exited */
	u32 idt_info, idt_error;	/* the event the exit interrupted */
	u32 insn_len;
	u64 qual, gpa;
};

struct axvm_vmx_vcpu {
	void *vmcs;
	phys_addr_t vmcs_pa;
	struct axvm_vmid vpid;
	int cpu;		/* where the VMCS is active, -1: nowhere */
	bool launched;
	struct list_head on_cpu;	/* in axvm_vmx_loaded on its CPU */
	u32 flush_seen;
	struct axvm_vmx_exit exit;
	/* For the next entry: the event to re-inject (0: none), ... */
	u32 entry_intr, entry_error, entry_len;
	u32 intr_state;		/* ... GUEST_INTERRUPTIBILITY_INFO, ... */
	bool flush_vpid;	/* ... and a flush of the VPID's entries */
};

/* The controls every vCPU uses, chosen once at probe. */
static u32 axvm_vmx_pin, axvm_vmx_proc, axvm_vmx_proc2, axvm_vmx_exit_ctl,
	   axvm_vmx_entry_ctl;
static void *axvm_vmx_msr_bitmap;
static DEFINE_PER_CPU(struct list_head, axvm_vmx_loaded);
static DEFINE_PER_CPU(bool, axvm_vmx_flush_all);
static unsigned long axvm_vmx_invept_type;
static u32 axvm_vmx_quantum;	/* preemption-timer units in a tick */

#define AXVM_VMX_LEN_VMMCALL	3

static u64 axvm_vmread(unsigned long field)
{
	unsigned long v;

	asm volatile("vmread %1, %0" : "=rm" (v) : "r" (field) : "cc");
	return v;
}

static void axvm_vmwrite(unsigned long field, u64 v)
{
	asm volatile("vmwrite %1, %0" : : "r" (field), "rm" (v) : "cc");
}

static int axvm_vmptrld(phys_addr_t pa)
{
	u8 fail;

	asm volatile("vmptrld %1; setna %0" : "=qm" (fail) : "m" (pa)
		     : "cc", "memory");
	return fail ? -EIO : 0;
}

static void axvm_vmclear(phys_addr_t pa)
{
	asm volatile("vmclear %0" : : "m" (pa) : "cc", "memory");
}

/* INVEPT/INVVPID: type, then a 128-bit descriptor. */
static void axvm_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, rsvd; } d = { eptp, 0 };

	asm volatile("invept %0, %1" : : "m" (d), "r" (type) : "cc", "memory");
}

static void axvm_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gva; } d = { vpid, 0 };

	asm volatile("invvpid %0, %1" : : "m" (d), "r" (type)
		     : "cc", "memory");
}

/*
 * External-interrupt exiting ends a guest run whatever the guest's IF.
 * The preemption timer, when there is one, also bounds every run to a
 * scheduler tick: Bochs (2.7 and later) keeps interrupts masked in a
 * guest entered with IF=0, so without it a guest spinning with
 * interrupts off would never give its CPU back.
 */
static void axvm_vmx_setup_quantum(void)
{
	u64 misc, units;

	if (!(axvm_vmx_pin & PIN_BASED_VMX_PREEMPTION_TIMER))
		return;
	if (!tsc_khz) {
		axvm_vmx_pin &= ~PIN_BASED_VMX_PREEMPTION_TIMER;
		return;
	}
	rdmsrl(MSR_IA32_VMX_MISC, misc);
	units = div_u64((u64)tsc_khz * 1000, HZ) >>
		vmx_misc_preemption_timer_rate(misc);
	axvm_vmx_quantum = clamp_t(u64, units, 1, U32_MAX);
}

/*
 * The exits every guest needs, deny by default (SDM 25.1.3, and what KVM
 * asks for): HLT and every port and MSR; CR8 loads and stores, or a
 * guest's MOV to CR8 writes the host's local APIC TPR and masks the
 * host CPU's interrupts for good; MOV DR, so that guests never read the
 * host's DR0-3; RDPMC, whose counters are the host's.
 */
/*
 * Virtual NMIs and NMI-window exiting: the CPU keeps the guest's NMI
 * blocking (SDM 25.3) and says when it ends. Without them a guest NMI
 * could only be injected with the blocking guessed (KVM's "soft" vNMI);
 * every CPU with unrestricted guest, which axvm needs too, has them.
 */
#define AXVM_VMX_PIN_NEED	(PIN_BASED_EXT_INTR_MASK |		\
				 PIN_BASED_NMI_EXITING |		\
				 PIN_BASED_VIRTUAL_NMIS)
#define AXVM_VMX_PROC_NEED	(CPU_BASED_HLT_EXITING |		\
				 CPU_BASED_UNCOND_IO_EXITING |		\
				 CPU_BASED_USE_MSR_BITMAPS |		\
				 CPU_BASED_CR8_LOAD_EXITING |		\
				 CPU_BASED_CR8_STORE_EXITING |		\
				 CPU_BASED_MOV_DR_EXITING |		\
				 CPU_BASED_RDPMC_EXITING |		\
				 CPU_BASED_USE_TSC_OFFSETTING |		\
				 CPU_BASED_NMI_WINDOW_EXITING |		\
				 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)

/*
 * Exceptions that exit: #UD (VMMCALL, AMD's hypercall, is emulated: the
 * SVM guests' ABI), #DB and #AC (a guest must not loop in the CPU
 * delivering them, see axvm_x86_exception_exit()), #MC (the host's).
 */
#define AXVM_VMX_EXCEPTIONS	(BIT(AXVM_X86_UD_VECTOR) |		\
				 BIT(AXVM_X86_DB_VECTOR) |		\
				 BIT(AXVM_X86_AC_VECTOR) |		\
				 BIT(AXVM_X86_MC_VECTOR))

/* Required bits set, allowed ones kept; -EOPNOTSUPP when a need is unmet. */
static int axvm_vmx_ctl(u32 msr, u32 want, u32 need, u32 *out)
{
	u64 cap;
	u32 ctl;

	rdmsrl(msr, cap);
	ctl = (want | (u32)cap) & (u32)(cap >> 32);
	if ((ctl & need) != need)
		return -EOPNOTSUPP;
	*out = ctl;
	return 0;
}

int axvm_vmx_setup(struct axvm_arch_info *info)
{
	bool true_ctls;
	u64 basic, ept;
	int cpu, ret;
	u32 vpid;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	true_ctls = basic & VMX_BASIC_TRUE_CTLS;

	ret = axvm_vmx_ctl(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
				       MSR_IA32_VMX_PINBASED_CTLS,
			   PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
			   PIN_BASED_VMX_PREEMPTION_TIMER |
			   PIN_BASED_VIRTUAL_NMIS,
			   AXVM_VMX_PIN_NEED, &axvm_vmx_pin);
	ret = ret ?: axvm_vmx_ctl(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
					      MSR_IA32_VMX_PROCBASED_CTLS,
				  AXVM_VMX_PROC_NEED |
				  CPU_BASED_MWAIT_EXITING |
				  CPU_BASED_MONITOR_EXITING,
				  AXVM_VMX_PROC_NEED, &axvm_vmx_proc);
	/* NMI-window exiting is asked for entry by entry. */
	axvm_vmx_proc &= ~CPU_BASED_NMI_WINDOW_EXITING;
	ret = ret ?: axvm_vmx_ctl(MSR_IA32_VMX_PROCBASED_CTLS2,
				  SECONDARY_EXEC_ENABLE_EPT |
				  SECONDARY_EXEC_ENABLE_VPID |
				  SECONDARY_EXEC_UNRESTRICTED_GUEST |
				  SECONDARY_EXEC_ENABLE_RDTSCP |
				  SECONDARY_EXEC_ENABLE_INVPCID |
				  SECONDARY_EXEC_WBINVD_EXITING,
				  SECONDARY_EXEC_ENABLE_EPT |
				  SECONDARY_EXEC_ENABLE_VPID |
				  SECONDARY_EXEC_UNRESTRICTED_GUEST,
				  &axvm_vmx_proc2);
	ret = ret ?: axvm_vmx_ctl(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
					      MSR_IA32_VMX_EXIT_CTLS,
				  VM_EXIT_HOST_ADDR_SPACE_SIZE |
				  VM_EXIT_SAVE_IA32_EFER |
				  VM_EXIT_LOAD_IA32_EFER |
				  VM_EXIT_SAVE_DEBUG_CONTROLS |
				  VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT,
				  VM_EXIT_HOST_ADDR_SPACE_SIZE |
				  VM_EXIT_SAVE_IA32_EFER |
				  VM_EXIT_LOAD_IA32_EFER |
				  VM_EXIT_SAVE_DEBUG_CONTROLS,
				  &axvm_vmx_exit_ctl);
	ret = ret ?: axvm_vmx_ctl(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
					      MSR_IA32_VMX_ENTRY_CTLS,
				  VM_ENTRY_LOAD_IA32_EFER |
				  VM_ENTRY_LOAD_DEBUG_CONTROLS |
				  VM_ENTRY_LOAD_IA32_PAT,
				  VM_ENTRY_LOAD_IA32_EFER |
				  VM_ENTRY_LOAD_DEBUG_CONTROLS,
				  &axvm_vmx_entry_ctl);
	if (ret) {
		pr_err("the CPU lacks a VMX control axvm needs (EPT, VPID, unrestricted guest, virtual NMIs, TSC offsetting, EFER and debug-control switching, CR8/RDPMC/MOV-DR exiting)\n");
		return ret;
	}
	if (!(axvm_vmx_proc2 & SECONDARY_EXEC_ENABLE_INVPCID))
		axvm_x86_guest_lacks |= AXVM_X86_NO_INVPCID;
	if (!(axvm_vmx_proc2 & SECONDARY_EXEC_ENABLE_RDTSCP))
		axvm_x86_guest_lacks |= AXVM_X86_NO_RDTSCP;
	/* IA32E_MODE follows the guest's EFER.LMA at every entry. */
	axvm_vmx_entry_ctl &= ~VM_ENTRY_IA32E_MODE;
	axvm_vmx_setup_quantum();

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, ept);
	/* The VPID capabilities are the upper half, as the kernel names them. */
	vpid = ept >> 32;
	if (!(ept & VMX_EPT_PAGE_WALK_4_BIT) || !(ept & VMX_EPTP_WB_BIT) ||
	    !(ept & VMX_EPT_INVEPT_BIT) ||
	    !(vpid & VMX_VPID_INVVPID_BIT) ||
	    !(vpid & VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT) ||
	    !(vpid & VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT)) {
		pr_err("unsupported EPT/VPID (IA32_VMX_EPT_VPID_CAP %#llx)\n",
		       ept);
		return -EOPNOTSUPP;
	}
	/*
	 * Single-context INVEPT when the CPU says it has it, else all
	 * contexts (Bochs reports INVEPT without naming its types).
	 */
	axvm_vmx_invept_type = ept & VMX_EPT_EXTENT_CONTEXT_BIT ?
			       VMX_EPT_EXTENT_CONTEXT : VMX_EPT_EXTENT_GLOBAL;

	axvm_vmx_msr_bitmap = (void *)__get_free_page(GFP_KERNEL);
	if (!axvm_vmx_msr_bitmap)
		return -ENOMEM;
	memset(axvm_vmx_msr_bitmap, 0xff, PAGE_SIZE);	/* every MSR exits */
	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(&per_cpu(axvm_vmx_loaded, cpu));

	axvm_vmid_setup(16);		/* VPIDs */
	/* 2 MiB EPT pages only where the CPU has them (SDM A.10, bit 16). */
	info->s2_format = ept & VMX_EPT_2MB_PAGE_BIT ? &axvm_x86_ept_format :
						       &axvm_x86_ept_4k_format;
	info->can_run = true;
	return 0;
}

void axvm_vmx_teardown(void)
{
	free_page((unsigned long)axvm_vmx_msr_bitmap);
	axvm_vmx_msr_bitmap = NULL;
}

void axvm_vmx_vmid_rollover(void)
{
	this_cpu_write(axvm_vmx_flush_all, true);
}

/* Every VMCS active on this CPU, before VMXOFF (CPU offline, unload). */
void axvm_vmx_clear_loaded(void)
{
	struct axvm_vmx_vcpu *v, *tmp;
	struct list_head *list = this_cpu_ptr(&axvm_vmx_loaded);

	if (!list->next)
		return;
	list_for_each_entry_safe(v, tmp, list, on_cpu) {
		axvm_vmclear(v->vmcs_pa);
		list_del_init(&v->on_cpu);
		v->cpu = -1;
		v->launched = false;
	}
}

static void axvm_vmx_clear_here(void *arg)
{
	struct axvm_vmx_vcpu *v = arg;

	if (v->cpu != smp_processor_id())
		return;
	axvm_vmclear(v->vmcs_pa);
	list_del_init(&v->on_cpu);
	v->cpu = -1;
	v->launched = false;
}

/* VMCLEAR the VMCS on the CPU where it is active, if any. */
static void axvm_vmx_clear(struct axvm_vmx_vcpu *v)
{
	int cpu = READ_ONCE(v->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, axvm_vmx_clear_here, v, 1);
}

int axvm_vmx_vm_init(struct axvm_vm *vm)
{
	struct axvm_x86_vm *vvm = kzalloc(sizeof(*vvm), GFP_KERNEL_ACCOUNT);

	vm->arch = vvm;
	return vvm ? 0 : -ENOMEM;
}

void axvm_vmx_vm_destroy(struct axvm_vm *vm)
{
	kfree(vm->arch);
	vm->arch = NULL;
}

static u64 axvm_vmx_eptp(struct axvm_vm *vm)
{
	return axvm_s2_root(vm) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
}

/* CPUs outside VMX operation (going offline, rebooting) hold no entries. */
static void axvm_vmx_invept_here(void *eptp)
{
	if (axvm_cpu_virt_on())
		axvm_invept(axvm_vmx_invept_type, (u64)(unsigned long)eptp);
}

/* EPT entries went away: every CPU drops the VM's translations now. */
void axvm_vmx_vm_flush(struct axvm_vm *vm)
{
	struct axvm_x86_vm *vvm = vm->arch;

	atomic_inc(&vvm->flushes);
	on_each_cpu(axvm_vmx_invept_here,
		    (void *)(unsigned long)axvm_vmx_eptp(vm), 1);
}

int axvm_vmx_vcpu_create(struct axvm_x86_vcpu *x)
{
	struct axvm_vmx_vcpu *v;
	u64 basic;

	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	v->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!v->vmcs) {
		kfree(v);
		return -ENOMEM;
	}
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	*(u32 *)v->vmcs = basic & 0x7fffffff;	/* revision id */
	v->vmcs_pa = __pa(v->vmcs);
	v->cpu = -1;
	INIT_LIST_HEAD(&v->on_cpu);
	x->hw = v;
	return 0;
}

void axvm_vmx_vcpu_destroy(struct axvm_x86_vcpu *x)
{
	struct axvm_vmx_vcpu *v = x->hw;

	if (!v)
		return;
	axvm_vmx_clear(v);
	free_page((unsigned long)v->vmcs);
	kfree(v);
	x->hw = NULL;
}

/* The fields that never change for a vCPU, after its first VMPTRLD. */
static void axvm_vmx_setup_vmcs(struct axvm_x86_vcpu *x, u16 vpid)
{
	axvm_vmwrite(PIN_BASED_VM_EXEC_CONTROL, axvm_vmx_pin);
	/* Not saved on exit: every entry starts a full quantum. */
	if (axvm_vmx_pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		axvm_vmwrite(VMX_PREEMPTION_TIMER_VALUE, axvm_vmx_quantum);
	axvm_vmwrite(CPU_BASED_VM_EXEC_CONTROL, axvm_vmx_proc);
	axvm_vmwrite(SECONDARY_VM_EXEC_CONTROL, axvm_vmx_proc2);
	axvm_vmwrite(VM_EXIT_CONTROLS, axvm_vmx_exit_ctl);
	axvm_vmwrite(MSR_BITMAP, __pa(axvm_vmx_msr_bitmap));
	axvm_vmwrite(EPT_POINTER, axvm_vmx_eptp(x->vcpu->vm));
	axvm_vmwrite(EXCEPTION_BITMAP, AXVM_VMX_EXCEPTIONS);
	axvm_vmwrite(VMCS_LINK_POINTER, ~0ULL);
	axvm_vmwrite(CR3_TARGET_COUNT, 0);
	axvm_vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	axvm_vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	axvm_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	axvm_vmwrite(HOST_RIP, (unsigned long)__axvm_vmx_exit);
	axvm_vmwrite(HOST_CS_SELECTOR, __KERNEL_CS);
	axvm_vmwrite(HOST_SS_SELECTOR, __KERNEL_DS);
	axvm_vmwrite(HOST_DS_SELECTOR, 0);
	axvm_vmwrite(HOST_ES_SELECTOR, 0);
	axvm_vmwrite(HOST_FS_SELECTOR, 0);
	axvm_vmwrite(HOST_GS_SELECTOR, 0);
	axvm_vmwrite(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	axvm_vmwrite(VIRTUAL_PROCESSOR_ID, vpid);
	axvm_vmwrite(TSC_OFFSET, 0);
	axvm_vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	axvm_vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	axvm_vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	axvm_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	axvm_vmwrite(GUEST_IA32_DEBUGCTL, 0);
}

/*
 * The host's SYSENTER MSRs, per CPU (the entry stack in ESP): a VM exit
 * loads them from these fields, and 32-bit processes of the host enter
 * the kernel through them.
 */
static void axvm_vmx_host_sysenter(void)
{
	u64 v;

	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	axvm_vmwrite(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	axvm_vmwrite(HOST_IA32_SYSENTER_ESP, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	axvm_vmwrite(HOST_IA32_SYSENTER_EIP, v);
}

/* Host state that depends on the CPU or the moment. */
static void axvm_vmx_host_state(void)
{
	struct desc_ptr gdt, idt;
	u64 efer, pat, fs, gs;

	native_store_gdt(&gdt);
	store_idt(&idt);
	rdmsrl(MSR_EFER, efer);
	rdmsrl(MSR_IA32_CR_PAT, pat);
	rdmsrl(MSR_FS_BASE, fs);
	rdmsrl(MSR_GS_BASE, gs);
	axvm_vmwrite(HOST_CR0, read_cr0());
	axvm_vmwrite(HOST_CR3, __read_cr3());
	axvm_vmwrite(HOST_CR4, cr4_read_shadow());
	axvm_vmwrite(HOST_FS_BASE, fs);
	axvm_vmwrite(HOST_GS_BASE, gs);
	axvm_vmwrite(HOST_TR_BASE,
		     (unsigned long)&get_cpu_entry_area(smp_processor_id())->tss.x86_tss);
	axvm_vmwrite(HOST_GDTR_BASE, gdt.address);
	axvm_vmwrite(HOST_IDTR_BASE, idt.address);
	axvm_vmwrite(HOST_IA32_EFER, efer);
	axvm_vmwrite(HOST_IA32_PAT, pat);
}

/* CR0/CR4 bits VMX operation insists on; the guest reads its own values. */
static u64 axvm_vmx_fixed(u64 val, u32 msr0, u32 msr1, u64 free)
{
	u64 f0, f1;

	rdmsrl(msr0, f0);
	rdmsrl(msr1, f1);
	f0 &= ~free;
	return (val | f0) & f1;
}

static const unsigned long axvm_vmx_seg_base[AXVM_X86_NR_SEGS] = {
	GUEST_ES_SELECTOR, GUEST_CS_SELECTOR, GUEST_SS_SELECTOR,
	GUEST_DS_SELECTOR, GUEST_FS_SELECTOR, GUEST_GS_SELECTOR,
	GUEST_LDTR_SELECTOR, GUEST_TR_SELECTOR,
};

/* Selector, limit, AR and base fields: the same stride for every segment. */
#define SEG_SEL(i)	axvm_vmx_seg_base[i]
#define SEG_LIMIT(i)	(GUEST_ES_LIMIT + (SEG_SEL(i) - GUEST_ES_SELECTOR))
#define SEG_AR(i)	(GUEST_ES_AR_BYTES + (SEG_SEL(i) - GUEST_ES_SELECTOR))
#define SEG_BASE(i)	(GUEST_ES_BASE + (SEG_SEL(i) - GUEST_ES_SELECTOR))

/* Unrestricted guest: CR0.PE and PG are the guest's to clear. */
#define AXVM_VMX_CR0_FREE	(X86_CR0_PE | X86_CR0_PG)

static void axvm_vmx_load(struct axvm_x86_vcpu *x, struct axvm_vmx_vcpu *v)
{
	unsigned int i;
	u32 entry = axvm_vmx_entry_ctl;

	for (i = 0; i < AXVM_X86_NR_SEGS; i++) {
		axvm_vmwrite(SEG_SEL(i), x->seg[i].sel);
		axvm_vmwrite(SEG_LIMIT(i), x->seg[i].limit);
		axvm_vmwrite(SEG_AR(i), x->seg[i].attr);
		axvm_vmwrite(SEG_BASE(i), x->seg[i].base);
	}
	axvm_vmwrite(GUEST_GDTR_BASE, x->gdtr_base);
	axvm_vmwrite(GUEST_GDTR_LIMIT, x->gdtr_limit);
	axvm_vmwrite(GUEST_IDTR_BASE, x->idtr_base);
	axvm_vmwrite(GUEST_IDTR_LIMIT, x->idtr_limit);
	axvm_vmwrite(GUEST_CR0, axvm_vmx_fixed(x->cr0, MSR_IA32_VMX_CR0_FIXED0,
					       MSR_IA32_VMX_CR0_FIXED1,
					       AXVM_VMX_CR0_FREE));
	axvm_vmwrite(CR0_READ_SHADOW, x->cr0);
	/*
	 * CD and NW stay the host's, as KVM has them: a CPU may fix them
	 * (Bochs's CR0_FIXED1 clears both), and the guest would then read
	 * the fixed value instead of its own. Its writes to them exit.
	 */
	axvm_vmwrite(CR0_GUEST_HOST_MASK, ~AXVM_VMX_CR0_FREE &
		     ~(u64)(X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET |
			    X86_CR0_AM | X86_CR0_WP));
	axvm_vmwrite(GUEST_CR3, x->cr3);
	axvm_vmwrite(GUEST_CR4, axvm_vmx_fixed(x->cr4, MSR_IA32_VMX_CR4_FIXED0,
					       MSR_IA32_VMX_CR4_FIXED1, 0));
	axvm_vmwrite(CR4_READ_SHADOW, x->cr4);
	axvm_vmwrite(CR4_GUEST_HOST_MASK, X86_CR4_VMXE);
	axvm_vmwrite(GUEST_IA32_EFER, x->efer);
	axvm_vmwrite(GUEST_IA32_PAT, x->msrs[AXVM_X86_PAT]);
	/* Added to the TSC for RDTSC and RDTSCP in the guest (SDM 25.3). */
	axvm_vmwrite(TSC_OFFSET, x->tsc_offset);
	axvm_vmwrite(GUEST_DR7, x->dr7);
	axvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO, v->intr_state);
	/* With EPT, entry loads PAE paging's PDPTEs from here (SDM 26.3.2.4). */
	if (axvm_x86_pae_paging(x)) {
		axvm_vmwrite(GUEST_PDPTR0, x->pdptr[0]);
		axvm_vmwrite(GUEST_PDPTR1, x->pdptr[1]);
		axvm_vmwrite(GUEST_PDPTR2, x->pdptr[2]);
		axvm_vmwrite(GUEST_PDPTR3, x->pdptr[3]);
	}
	axvm_vmwrite(GUEST_RFLAGS, x->rflags);
	axvm_vmwrite(GUEST_RIP, x->rip);
	axvm_vmwrite(GUEST_RSP, x->gpr[AXVM_X86_RSP]);
	axvm_vmwrite(GUEST_SYSENTER_CS, x->msrs[AXVM_X86_SYSENTER_CS]);
	axvm_vmwrite(GUEST_SYSENTER_ESP, x->msrs[AXVM_X86_SYSENTER_ESP]);
	axvm_vmwrite(GUEST_SYSENTER_EIP, x->msrs[AXVM_X86_SYSENTER_EIP]);
	if (x->efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	axvm_vmwrite(VM_ENTRY_CONTROLS, entry);
}

static void axvm_vmx_save(struct axvm_x86_vcpu *x, struct axvm_vmx_vcpu *v)
{
	u64 mask0 = axvm_vmread(CR0_GUEST_HOST_MASK);
	unsigned int i;

	for (i = 0; i < AXVM_X86_NR_SEGS; i++) {
		x->seg[i].sel = axvm_vmread(SEG_SEL(i));
		x->seg[i].limit = axvm_vmread(SEG_LIMIT(i));
		x->seg[i].attr = axvm_vmread(SEG_AR(i));
		x->seg[i].base = axvm_vmread(SEG_BASE(i));
	}
	x->gdtr_base = axvm_vmread(GUEST_GDTR_BASE);
	x->gdtr_limit = axvm_vmread(GUEST_GDTR_LIMIT);
	x->idtr_base = axvm_vmread(GUEST_IDTR_BASE);
	x->idtr_limit = axvm_vmread(GUEST_IDTR_LIMIT);
	/* Bits the guest owns from the CPU, the others from the shadow. */
	x->cr0 = (axvm_vmread(GUEST_CR0) & ~mask0) |
		 (axvm_vmread(CR0_READ_SHADOW) & mask0);
	x->cr3 = axvm_vmread(GUEST_CR3);
	x->cr4 = (axvm_vmread(GUEST_CR4) & ~(u64)X86_CR4_VMXE) |
		 (axvm_vmread(CR4_READ_SHADOW) & X86_CR4_VMXE);
	x->efer = axvm_vmread(GUEST_IA32_EFER);
	x->msrs[AXVM_X86_PAT] = axvm_vmread(GUEST_IA32_PAT);
	x->rflags = axvm_vmread(GUEST_RFLAGS);
	x->rip = axvm_vmread(GUEST_RIP);
	x->gpr[AXVM_X86_RSP] = axvm_vmread(GUEST_RSP);
	x->msrs[AXVM_X86_SYSENTER_CS] = axvm_vmread(GUEST_SYSENTER_CS);
	x->msrs[AXVM_X86_SYSENTER_ESP] = axvm_vmread(GUEST_SYSENTER_ESP);
	x->msrs[AXVM_X86_SYSENTER_EIP] = axvm_vmread(GUEST_SYSENTER_EIP);
	x->dr7 = axvm_vmread(GUEST_DR7);
	v->intr_state = axvm_vmread(GUEST_INTERRUPTIBILITY_INFO);
	/* The guest's MOV to CR3 may have loaded new ones (SDM 27.3.4). */
	if (axvm_x86_pae_paging(x)) {
		x->pdptr[0] = axvm_vmread(GUEST_PDPTR0);
		x->pdptr[1] = axvm_vmread(GUEST_PDPTR1);
		x->pdptr[2] = axvm_vmread(GUEST_PDPTR2);
		x->pdptr[3] = axvm_vmread(GUEST_PDPTR3);
	}
}

/* The syscall MSRs are not in the VMCS: swapped by hand. */
static const u32 axvm_vmx_swapped[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
};

static const u8 axvm_vmx_swapped_slot[] = {
	AXVM_X86_STAR, AXVM_X86_LSTAR, AXVM_X86_CSTAR, AXVM_X86_SFMASK,
	AXVM_X86_KERNEL_GS_BASE,
};

/*
 * Whether an NMI goes in now: one is pending and the guest has no NMI,
 * STI or MOV SS blocking (KVM's vmx_nmi_blocked()); when one waits, an
 * NMI-window exit comes as soon as it can.
 */
static bool axvm_vmx_nmi_ready(struct axvm_x86_vcpu *x,
			       struct axvm_vmx_vcpu *v, u32 *proc)
{
	axvm_x86_nmi_collect(x, v->intr_state & GUEST_INTR_STATE_NMI);
	if (!x->nmi_pending)
		return false;
	if (v->intr_state & (GUEST_INTR_STATE_NMI | GUEST_INTR_STATE_STI |
			     GUEST_INTR_STATE_MOV_SS)) {
		*proc |= CPU_BASED_NMI_WINDOW_EXITING;
		return false;
	}
	x->nmi_pending--;
	return true;
}

/*
 * The event for this entry: one the last exit interrupted, else an
 * exception the emulation raised, else an NMI, else the highest queued
 * vector when the guest can take it (IF set, no STI/MOV SS blocking);
 * otherwise interrupt-window exiting asks for an exit as soon as it can.
 * The VMCS's entry event is cleared by every exit, so it is written anew.
 */
static void axvm_vmx_inject(struct axvm_x86_vcpu *x, struct axvm_vmx_vcpu *v)
{
	u32 proc = axvm_vmx_proc & ~(CPU_BASED_INTR_WINDOW_EXITING |
				     CPU_BASED_NMI_WINDOW_EXITING);
	u32 intr = 0, error = 0, len = 0;
	bool open;
	int vec;

	if (x->drop_events) {
		v->entry_intr = 0;
		v->intr_state = 0;
		x->drop_events = false;
	}
	if (v->entry_intr & INTR_INFO_VALID_MASK) {
		intr = v->entry_intr;
		error = v->entry_error;
		len = v->entry_len;
		v->entry_intr = 0;
		/*
		 * An exception delivered in real mode pushes no error code,
		 * and VM entry fails one injected with it while CR0.PE is
		 * clear (SDM 26.2.1.3). The exit's vectoring information
		 * may still say "error code" (Bochs does): drop it, as KVM's
		 * kvm_inject_exception() does outside protected mode.
		 */
		if (!(x->cr0 & X86_CR0_PE))
			intr &= ~INTR_INFO_DELIVER_CODE_MASK;
	} else if (x->exc_pending) {
		intr = INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION |
		       x->exc_vector |
		       (x->exc_has_error ? INTR_INFO_DELIVER_CODE_MASK : 0);
		error = x->exc_error;
		x->exc_pending = false;
	} else if (axvm_vmx_nmi_ready(x, v, &proc)) {
		intr = INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR |
		       AXVM_X86_NMI_VECTOR;
	} else {
		open = x->rflags & X86_EFLAGS_IF &&
		       !(v->intr_state &
			 (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
		vec = axvm_x86_pop_vector(x, open);
		if (vec >= 0)
			intr = INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | vec;
		else if (vec == -EAGAIN)
			proc |= CPU_BASED_INTR_WINDOW_EXITING;
	}
	/*
	 * Entry injecting an NMI needs blocking by NMI clear (SDM
	 * 26.3.1.5); one re-injected after its delivery faulted has it set.
	 */
	if ((intr & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR &&
	    v->intr_state & GUEST_INTR_STATE_NMI) {
		v->intr_state &= ~GUEST_INTR_STATE_NMI;
		axvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO, v->intr_state);
	}
	axvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, intr);
	if (intr & INTR_INFO_DELIVER_CODE_MASK)
		axvm_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	if (len)
		axvm_vmwrite(VM_ENTRY_INSTRUCTION_LEN, len);
	axvm_vmwrite(CPU_BASED_VM_EXEC_CONTROL, proc);
}

/* Make the VMCS current here: VMCLEAR elsewhere first, host state anew. */
static int axvm_vmx_make_current(struct axvm_x86_vcpu *x, u16 vpid)
{
	struct axvm_vmx_vcpu *v = x->hw;
	struct axvm_x86_vm *vvm = x->vcpu->vm->arch;
	int cpu = smp_processor_id();
	u32 flushes = atomic_read(&vvm->flushes);
	bool fresh = v->cpu != cpu;

	if (fresh) {
		/* Inactive everywhere: VMCLEAR sets its launch state. */
		axvm_vmclear(v->vmcs_pa);
		if (axvm_vmptrld(v->vmcs_pa))
			return -EIO;
		list_add(&v->on_cpu, this_cpu_ptr(&axvm_vmx_loaded));
		v->cpu = cpu;
		v->launched = false;
		axvm_vmx_setup_vmcs(x, vpid);
		axvm_vmx_host_sysenter();
	} else if (axvm_vmptrld(v->vmcs_pa)) {
		return -EIO;
	}
	axvm_vmwrite(VIRTUAL_PROCESSOR_ID, vpid);
	axvm_vmx_host_state();
	if (this_cpu_read(axvm_vmx_flush_all)) {
		axvm_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
		this_cpu_write(axvm_vmx_flush_all, false);
	} else if (fresh || v->flush_vpid || v->flush_seen != flushes) {
		axvm_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vpid);
	}
	v->flush_vpid = false;
	v->flush_seen = flushes;
	return 0;
}

/*
 * An NMI that caused an exit is still blocked: give it to the host's
 * handler now, before interrupts are back on. Without the KVM entry point
 * exported, a self-NMI is taken at the host's next IRET instead.
 */
static void axvm_vmx_host_nmi(void)
{
	if (IS_MODULE(CONFIG_KVM_INTEL))
		__axvm_vmx_host_nmi();
	else
		apic->send_IPI(smp_processor_id(), NMI_VECTOR);
}

/* Everything the exit handlers need from the VMCS, while it is current. */
static void axvm_vmx_read_exit(struct axvm_vmx_exit *e)
{
	e->reason = axvm_vmread(VM_EXIT_REASON);
	e->qual = axvm_vmread(EXIT_QUALIFICATION);
	e->gpa = axvm_vmread(GUEST_PHYSICAL_ADDRESS);
	e->intr_info = axvm_vmread(VM_EXIT_INTR_INFO);
	e->intr_error = axvm_vmread(VM_EXIT_INTR_ERROR_CODE);
	e->idt_info = axvm_vmread(IDT_VECTORING_INFO_FIELD);
	e->idt_error = axvm_vmread(IDT_VECTORING_ERROR_CODE);
	e->insn_len = axvm_vmread(VM_EXIT_INSTRUCTION_LEN);
}

static bool axvm_vmx_is_exception(const struct axvm_vmx_exit *e, u32 type)
{
	return (e->reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI &&
	       (e->intr_info & INTR_INFO_INTR_TYPE_MASK) == type;
}

/*
 * One guest run, from VMPTRLD to the last VMREAD with interrupts off: see
 * the rule at the top of this file. -EAGAIN when VMX is off on this CPU
 * (it is going offline, or the host is rebooting).
 */
static int axvm_vmx_enter(struct axvm_x86_vcpu *x)
{
	struct axvm_vmx_vcpu *v = x->hw;
	struct axvm_vmx_exit *e = &v->exit;
	u64 host_msr[ARRAY_SIZE(axvm_vmx_swapped)], host_tsc_aux = 0;
	bool tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP);
	bool pkru = boot_cpu_has(X86_FEATURE_OSPKE);
	unsigned long host_debugctl;
	u32 host_pkru = 0;
	unsigned int i;
	int fail, ret;
	u16 vpid;

	kernel_fpu_begin();
	/* A VMCS active on another CPU is cleared there first. */
	if (v->cpu >= 0 && v->cpu != smp_processor_id())
		axvm_vmx_clear(v);
	for (;;) {
		vpid = axvm_vmid_update(&v->vpid);
		local_irq_disable();
		if (likely(axvm_vmid_current(&v->vpid)))
			break;
		local_irq_enable();
	}
	ret = axvm_cpu_virt_on() ? axvm_vmx_make_current(x, vpid) : -EAGAIN;
	if (ret) {
		local_irq_enable();
		kernel_fpu_end();
		return ret;
	}
	axvm_vcpu_guest_enter(x->vcpu);
	axvm_vmx_load(x, v);
	axvm_vmx_inject(x, v);

	for (i = 0; i < ARRAY_SIZE(axvm_vmx_swapped); i++) {
		rdmsrl(axvm_vmx_swapped[i], host_msr[i]);
		wrmsrl(axvm_vmx_swapped[i],
		       x->msrs[axvm_vmx_swapped_slot[i]]);
	}
	if (tsc_aux) {
		rdmsrl(MSR_TSC_AUX, host_tsc_aux);
		wrmsrl(MSR_TSC_AUX, x->msrs[AXVM_X86_TSC_AUX]);
	}
	if (pkru)
		host_pkru = rdpkru();
	/* A VM exit clears DEBUGCTL (SDM 28.3): the host's comes back. */
	host_debugctl = get_debugctlmsr();
	axvm_x86_fpu_load(x);
	axvm_x86_dr_load(x);
	axvm_x86_spec_enter(x->vcpu->vm->arch, true);
	/* CR2 is not in the VMCS: the guest's goes in by hand, as for KVM. */
	if (native_read_cr2() != x->cr2)
		native_write_cr2(x->cr2);

	fail = __axvm_vmx_run(x->gpr, v->launched, &x->spec_ctrl);

	x->cr2 = native_read_cr2();
	axvm_x86_spec_exit();
	axvm_x86_dr_put(x);
	if (host_debugctl)
		update_debugctlmsr(host_debugctl);
	axvm_x86_fpu_save(x);
	if (pkru && rdpkru() != host_pkru)
		wrpkru(host_pkru);
	if (tsc_aux)
		wrmsrl(MSR_TSC_AUX, host_tsc_aux);
	for (i = 0; i < ARRAY_SIZE(axvm_vmx_swapped); i++) {
		rdmsrl(axvm_vmx_swapped[i], x->msrs[axvm_vmx_swapped_slot[i]]);
		wrmsrl(axvm_vmx_swapped[i], host_msr[i]);
	}
	/* A VM exit leaves the GDT and TR limits at their maximum. */
	load_fixmap_gdt(raw_smp_processor_id());
	invalidate_tss_limit();

	if (fail) {
		e->reason = ~0U;
		e->insn_error = axvm_vmread(VM_INSTRUCTION_ERROR);
	} else {
		axvm_vmx_read_exit(e);
		/* A failed entry leaves the launch state as it was. */
		if (!(e->reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
			v->launched = true;
		if (axvm_vmx_is_exception(e, INTR_TYPE_NMI_INTR))
			axvm_vmx_host_nmi();
		axvm_vmx_save(x, v);
	}
	/* The host's handler, before anything else runs (as KVM does). */
	if ((e->reason & 0xffff) == EXIT_REASON_MCE_DURING_VMENTRY ||
	    (axvm_vmx_is_exception(e, INTR_TYPE_HARD_EXCEPTION) &&
	     (e->intr_info & INTR_INFO_VECTOR_MASK) == AXVM_X86_MC_VECTOR))
		axvm_x86_host_mce();
	axvm_vcpu_guest_exit(x->vcpu);
	local_irq_enable();
	kernel_fpu_end();
	return 0;
}

static int axvm_vmx_internal(struct axvm_x86_vcpu *x)
{
	const struct axvm_vmx_exit *e = &((struct axvm_vmx_vcpu *)x->hw)->exit;
	struct axvm_run *run = x->vcpu->run;

	run->internal.suberror = AXVM_INTERNAL_UNHANDLED_EXIT;
	run->internal.ndata = 5;
	run->internal.data[0] = e->reason;
	run->internal.data[1] = e->qual;
	run->internal.data[2] = e->gpa;
	run->internal.data[3] = e->idt_info;
	run->internal.data[4] = x->rip;
	return AXVM_EXIT_INTERNAL_ERROR;
}

static int axvm_vmx_raise_ud(struct axvm_x86_vcpu *x)
{
	axvm_x86_raise(x, AXVM_X86_UD_VECTOR, false, 0);
	return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
}

/* #UD: VMMCALL (0f 01 d9) is the hypercall; any other goes to the guest. */
static int axvm_vmx_ud(struct axvm_x86_vcpu *x)
{
	u8 insn[3];

	if (axvm_x86_read_code(x, insn, sizeof(insn)) == sizeof(insn) &&
	    insn[0] == 0x0f && insn[1] == 0x01 && insn[2] == 0xd9)
		return axvm_x86_hypercall(x, AXVM_VMX_LEN_VMMCALL);
	return axvm_vmx_raise_ud(x);
}

static int axvm_vmx_exception(struct axvm_x86_vcpu *x,
			      const struct axvm_vmx_exit *e)
{
	u8 vector = e->intr_info & INTR_INFO_VECTOR_MASK;
	int ret;

	if ((e->intr_info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return AXVM_EXIT_EXTERNAL_INTERRUPT;
	switch (vector) {
	case AXVM_X86_UD_VECTOR:
		return axvm_vmx_ud(x);
	case AXVM_X86_MC_VECTOR:
		/* The host's handler ran at the exit. */
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case AXVM_X86_DB_VECTOR:
		/*
		 * ICEBP (INT1) exits before it completes, RIP on it: the
		 * #DB it raises returns past it (KVM skips it too).
		 */
		if ((e->intr_info & INTR_INFO_INTR_TYPE_MASK) ==
		    INTR_TYPE_PRIV_SW_EXCEPTION)
			x->rip += e->insn_len;
		fallthrough;
	case AXVM_X86_AC_VECTOR:
		/* The qualification of a #DB holds its DR6 bits (SDM 28.2.1). */
		ret = axvm_x86_exception_exit(x, vector, e->intr_error, e->qual,
					      e->idt_info);
		return ret == -EFAULT ? axvm_vmx_internal(x) : ret;
	}
	return axvm_vmx_internal(x);
}

static int axvm_vmx_io(struct axvm_x86_vcpu *x, const struct axvm_vmx_exit *e)
{
	u64 q = e->qual;

	/* Bit 4: INS or OUTS (bit 5, REP, only with it). */
	if (q & BIT(4))
		return axvm_x86_string_io(x, q >> 16, (q & 7) + 1, q & BIT(3),
					  x->rip + e->insn_len);
	return axvm_x86_io(x, q >> 16, (q & 7) + 1, q & BIT(3),
			   x->rip + e->insn_len);
}

static int axvm_vmx_ept_violation(struct axvm_x86_vcpu *x,
				  const struct axvm_vmx_exit *e)
{
	bool write = e->qual & EPT_VIOLATION_ACC_WRITE;
	int ret;

	ret = axvm_mem_fault(x->vcpu, e->gpa,
			     write ? AXVM_NPF_WRITE :
			     e->qual & EPT_VIOLATION_ACC_INSTR ? AXVM_NPF_EXEC :
								 AXVM_NPF_READ);
	if (ret > 0)
		return ret;
	if (!ret)
		return AXVM_EXIT_STAGE2_FAULT;
	if (ret != -ENOENT && ret != -EROFS)
		return ret;
	/* Code and the guest's own page tables (walks) must be RAM. */
	if (e->qual & EPT_VIOLATION_ACC_INSTR ||
	    (e->qual & BIT(7) && !(e->qual & BIT(8))))
		return axvm_vmx_internal(x);
	return axvm_x86_mmio(x, e->gpa, write);
}

static int axvm_vmx_halt(struct axvm_x86_vcpu *x, u32 len)
{
	struct axvm_vmx_vcpu *v = x->hw;

	x->rip += len;
	/* With an irqchip the kernel sleeps until an interrupt comes. */
	if (axvm_x86_halt(x) || axvm_x86_halt_wakes(x)) {
		/* The HLT is done: an STI before it blocks nothing any more. */
		v->intr_state &= ~GUEST_INTR_STATE_STI;
		return AXVM_EXIT_HALT | AXVM_ARCH_EXIT_HANDLED;
	}
	return AXVM_EXIT_HALT;
}

/* The exit qualification of a control-register access. */
#define AXVM_VMX_CR_NUM(q)	((q) & 15)
#define AXVM_VMX_CR_TYPE(q)	(((q) >> 4) & 3)	/* 0: MOV to CR */
#define AXVM_VMX_CR_GPR(q)	(((q) >> 8) & 15)

/*
 * MOV to CR0 or CR4 that touched a bit the read shadows own: CR0.NE and
 * the other fixed bits (Linux sets NE), CR4.VMXE. The guest's value
 * becomes its CR0/CR4; with EFER.LME, CR0.PG switches long mode on and
 * off, which the next entry's IA32e control follows. Every MOV to and
 * from CR8 exits: CR8 is the guest's TPR (SDM 10.8.6.1: bits 3:0 are
 * TPR[7:4], the rest reserved), the in-kernel APIC's when it has one.
 */
static int axvm_vmx_cr_access(struct axvm_x86_vcpu *x,
			      const struct axvm_vmx_exit *e)
{
	struct axvm_vmx_vcpu *v = x->hw;
	u64 q = e->qual, val;
	u64 *reg = &x->gpr[AXVM_VMX_CR_GPR(q)];

	/* CPUs that force CR3 exiting: plain moves of the values. */
	if (AXVM_VMX_CR_TYPE(q) == 1 && AXVM_VMX_CR_NUM(q) == 3) {
		*reg = x->cr3;
		goto done;
	}
	if (AXVM_VMX_CR_TYPE(q) == 1 && AXVM_VMX_CR_NUM(q) == 8) {
		*reg = axvm_x86_get_cr8(x);
		goto done;
	}
	if (AXVM_VMX_CR_TYPE(q) != 0)
		return axvm_vmx_internal(x);
	/* Outside 64-bit mode the operand is the register's low 32 bits. */
	val = axvm_x86_cpu_mode(x) == 64 ? *reg : (u32)*reg;
	switch (AXVM_VMX_CR_NUM(q)) {
	case 0:
		if (axvm_x86_mov_cr0(x, val))
			goto gp;
		break;
	case 4:
		if (axvm_x86_mov_cr4(x, val))
			goto gp;
		break;
	case 3:
		/*
		 * The guest's TLB entries of the old tables go, as MOV does.
		 * With PCIDE, bit 63 only asks not to flush; CR3 never holds
		 * it (SDM 4.10.4.1): flushing anyway is allowed.
		 */
		if (x->cr4 & X86_CR4_PCIDE)
			val &= ~BIT_ULL(63);
		x->cr3 = val;
		/* A MOV to CR3 loads the PDPTEs again (SDM 4.4.1). */
		x->pdptr_stale = true;
		v->flush_vpid = true;
		break;
	case 8:
		if (axvm_x86_cr_check(AXVM_SYSREG_X86_CR8, val))
			goto gp;
		axvm_x86_set_cr8(x, val);
		break;
	default:
		return axvm_vmx_internal(x);
	}
done:
	x->rip += e->insn_len;
	return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
gp:
	axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
	return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
}

/* MOV DR: qualification bits 2:0 the register, 4 the direction, 11:8 the GPR. */
static int axvm_vmx_dr_access(struct axvm_x86_vcpu *x,
			      const struct axvm_vmx_exit *e)
{
	return axvm_x86_mov_dr(x, e->qual & 7, (e->qual >> 8) & 15,
			       !(e->qual & BIT(4)), e->insn_len);
}

/*
 * The event the exit interrupted goes in again at the next entry; a
 * software interrupt or exception (INT n, INT3, INTO) with its
 * instruction's length, so that it is delivered once, with the return
 * address after it (SDM 27.2.4, 26.6.1.3).
 */
static void axvm_vmx_requeue(struct axvm_vmx_vcpu *v,
			     const struct axvm_vmx_exit *e)
{
	u32 type = e->idt_info & VECTORING_INFO_TYPE_MASK;

	v->entry_intr = 0;
	if (!(e->idt_info & VECTORING_INFO_VALID_MASK))
		return;
	/* Bit 12 and up (but valid) are not entry-event bits. */
	v->entry_intr = e->idt_info & (VECTORING_INFO_VALID_MASK |
				       VECTORING_INFO_DELIVER_CODE_MASK |
				       VECTORING_INFO_TYPE_MASK |
				       VECTORING_INFO_VECTOR_MASK);
	v->entry_error = e->idt_error;
	v->entry_len = (type == INTR_TYPE_SOFT_INTR ||
			type == INTR_TYPE_PRIV_SW_EXCEPTION ||
			type == INTR_TYPE_SOFT_EXCEPTION) ? e->insn_len : 0;
}

/*
 * An IRET that ended an NMI handler unblocks NMIs at once; if it then
 * faulted (an EPT violation, or an exception that exits), the exit says
 * so and the IRET runs again: blocking by NMI must be set again for it
 * (SDM 27.2.3, 28.2.2; KVM's vmx_recover_nmi_blocking()). Not when the
 * exit cut an event's delivery short, nor for a #DF.
 */
static void axvm_vmx_nmi_reblock(struct axvm_vmx_vcpu *v,
				 const struct axvm_vmx_exit *e)
{
	bool unblocked;

	if (e->idt_info & VECTORING_INFO_VALID_MASK)
		return;
	switch (e->reason & 0xffff) {
	case EXIT_REASON_EPT_VIOLATION:
		unblocked = e->qual & INTR_INFO_UNBLOCK_NMI;
		break;
	case EXIT_REASON_EXCEPTION_NMI:
		unblocked = e->intr_info & INTR_INFO_UNBLOCK_NMI &&
			    (e->intr_info & INTR_INFO_VECTOR_MASK) != X86_TRAP_DF;
		break;
	default:
		return;
	}
	if (unblocked)
		v->intr_state |= GUEST_INTR_STATE_NMI;
}

static int axvm_vmx_handle_exit(struct axvm_x86_vcpu *x)
{
	struct axvm_vmx_vcpu *v = x->hw;
	const struct axvm_vmx_exit *e = &v->exit;
	struct axvm_run *run = x->vcpu->run;
	u32 len = e->insn_len;

	if (e->reason == ~0U) {
		run->fail_entry.hardware_reason = ~0ULL;
		run->fail_entry.data = e->insn_error;
		return AXVM_EXIT_FAIL_ENTRY;
	}
	if (e->reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		run->fail_entry.hardware_reason = e->reason & 0xffff;
		run->fail_entry.data = e->qual;
		return AXVM_EXIT_FAIL_ENTRY;
	}

	axvm_vmx_requeue(v, e);
	axvm_vmx_nmi_reblock(v, e);
	switch (e->reason & 0xffff) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		return AXVM_EXIT_EXTERNAL_INTERRUPT;
	case EXIT_REASON_EXCEPTION_NMI:
		return axvm_vmx_exception(x, e);
	case EXIT_REASON_INTERRUPT_WINDOW:
	case EXIT_REASON_NMI_WINDOW:
	case EXIT_REASON_PREEMPTION_TIMER:
	case EXIT_REASON_MCE_DURING_VMENTRY:
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case EXIT_REASON_TRIPLE_FAULT:
		run->system_down.type = AXVM_SYSTEM_DOWN_CRASH;
		run->system_down.data = e->reason;
		return AXVM_EXIT_SYSTEM_DOWN;
	case EXIT_REASON_CPUID:
		axvm_x86_cpuid(x);
		x->rip += len;
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case EXIT_REASON_HLT:
		return axvm_vmx_halt(x, len);
	case EXIT_REASON_INVD:
	case EXIT_REASON_WBINVD:
		/*
		 * Guest memory is ordinary write-back host memory and no
		 * device of the guest writes around the caches: nothing to
		 * write back, and a guest may not drop the host's lines.
		 */
		x->rip += len;
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case EXIT_REASON_RDPMC:
		/* No performance counters for guests (CPUID has none). */
		axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case EXIT_REASON_VMCALL:
		return axvm_x86_hypercall(x, len);
	case EXIT_REASON_IO_INSTRUCTION:
		return axvm_vmx_io(x, e);
	case EXIT_REASON_MSR_READ:
		x->rip += len;
		return axvm_x86_rdmsr(x);
	case EXIT_REASON_MSR_WRITE:
		x->rip += len;
		return axvm_x86_wrmsr(x);
	case EXIT_REASON_EPT_VIOLATION:
		return axvm_vmx_ept_violation(x, e);
	case EXIT_REASON_XSETBV:
		return axvm_x86_xsetbv(x);
	case EXIT_REASON_CR_ACCESS:
		return axvm_vmx_cr_access(x, e);
	case EXIT_REASON_DR_ACCESS:
		return axvm_vmx_dr_access(x, e);
	case EXIT_REASON_VMCLEAR:
	case EXIT_REASON_VMLAUNCH:
	case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMRESUME:
	case EXIT_REASON_VMWRITE:
	case EXIT_REASON_VMOFF:
	case EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC:
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION:
		return axvm_vmx_raise_ud(x);
	default:
		return axvm_vmx_internal(x);
	}
}

int axvm_vmx_vcpu_run(struct axvm_x86_vcpu *x)
{
	u32 bad;
	int ret;

	/* An MMIO read-modify-write's store, after userspace gave the read. */
	ret = axvm_x86_complete(x);
	if (ret)
		return ret;
	/* Halted or waiting for SIPI, until a signal: back to the loop. */
	if (axvm_x86_pre_run(x))
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	/* The same rules as SVM's (state.c): "invalid guest state". */
	bad = axvm_x86_state_check(x);
	if (bad) {
		x->vcpu->run->fail_entry.hardware_reason =
			EXIT_REASON_INVALID_STATE;
		x->vcpu->run->fail_entry.data = bad;
		return AXVM_EXIT_FAIL_ENTRY;
	}
	axvm_x86_load_pdptrs(x);
	ret = axvm_vmx_enter(x);
	if (ret)
		return ret;
	return axvm_vmx_handle_exit(x);
}
