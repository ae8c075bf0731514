// SPDX-License-Identifier: GPL-2.0
/*
 * VMX guest runs: one VMCS per vCPU with EPT, VPID and unrestricted guest,
 * controls chosen from the capability MSRs. The VMCS is active on one CPU
 * at a time: when the vCPU's thread moves, it is VMCLEARed on the old CPU
 * (by IPI) and VMPTRLDed on the new one, whose host state it then takes.
 * The guest's registers are written to the VMCS before every entry and
 * read back after; the exits share their emulation with SVM (emulate.c).
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
#include <asm/tsc.h>
#include <asm/vmx.h>

#include "x86.h"

struct axvm_vmx_vcpu {
	void *vmcs;
	phys_addr_t vmcs_pa;
	struct axvm_vmid vpid;
	int cpu;		/* where the VMCS is active, -1: nowhere */
	bool launched;
	struct list_head on_cpu;	/* in axvm_vmx_loaded on its CPU */
	u32 flush_seen;
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
			   PIN_BASED_VMX_PREEMPTION_TIMER,
			   PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING,
			   &axvm_vmx_pin);
	ret = ret ?: axvm_vmx_ctl(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
					      MSR_IA32_VMX_PROCBASED_CTLS,
				  CPU_BASED_HLT_EXITING |
				  CPU_BASED_UNCOND_IO_EXITING |
				  CPU_BASED_USE_MSR_BITMAPS |
				  CPU_BASED_MWAIT_EXITING |
				  CPU_BASED_MONITOR_EXITING |
				  CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
				  CPU_BASED_HLT_EXITING |
				  CPU_BASED_UNCOND_IO_EXITING |
				  CPU_BASED_USE_MSR_BITMAPS |
				  CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
				  &axvm_vmx_proc);
	ret = ret ?: axvm_vmx_ctl(MSR_IA32_VMX_PROCBASED_CTLS2,
				  SECONDARY_EXEC_ENABLE_EPT |
				  SECONDARY_EXEC_ENABLE_VPID |
				  SECONDARY_EXEC_UNRESTRICTED_GUEST |
				  SECONDARY_EXEC_ENABLE_RDTSCP |
				  SECONDARY_EXEC_ENABLE_INVPCID,
				  SECONDARY_EXEC_ENABLE_EPT |
				  SECONDARY_EXEC_ENABLE_VPID |
				  SECONDARY_EXEC_UNRESTRICTED_GUEST,
				  &axvm_vmx_proc2);
	ret = ret ?: axvm_vmx_ctl(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
					      MSR_IA32_VMX_EXIT_CTLS,
				  VM_EXIT_HOST_ADDR_SPACE_SIZE |
				  VM_EXIT_SAVE_IA32_EFER |
				  VM_EXIT_LOAD_IA32_EFER |
				  VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT,
				  VM_EXIT_HOST_ADDR_SPACE_SIZE |
				  VM_EXIT_SAVE_IA32_EFER |
				  VM_EXIT_LOAD_IA32_EFER,
				  &axvm_vmx_exit_ctl);
	ret = ret ?: axvm_vmx_ctl(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
					      MSR_IA32_VMX_ENTRY_CTLS,
				  VM_ENTRY_LOAD_IA32_EFER |
				  VM_ENTRY_LOAD_IA32_PAT,
				  VM_ENTRY_LOAD_IA32_EFER,
				  &axvm_vmx_entry_ctl);
	if (ret) {
		pr_err("the CPU lacks a VMX control axvm needs (EPT, VPID, unrestricted guest, EFER switching)\n");
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
	info->s2_format = &axvm_x86_ept_format;
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

static void axvm_vmx_invept_here(void *eptp)
{
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
	/* #UD exits: VMMCALL, AMD's hypercall, is emulated (SVM guests' ABI). */
	axvm_vmwrite(EXCEPTION_BITMAP, BIT(AXVM_X86_UD_VECTOR));
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
	axvm_vmwrite(HOST_IA32_SYSENTER_CS, 0);
	axvm_vmwrite(HOST_IA32_SYSENTER_ESP, 0);
	axvm_vmwrite(HOST_IA32_SYSENTER_EIP, 0);
	axvm_vmwrite(VIRTUAL_PROCESSOR_ID, vpid);
	axvm_vmwrite(TSC_OFFSET, 0);
	axvm_vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	axvm_vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	axvm_vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	axvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	axvm_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	axvm_vmwrite(GUEST_IA32_DEBUGCTL, 0);
	axvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
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

static void axvm_vmx_load(struct axvm_x86_vcpu *x)
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
	axvm_vmwrite(CR0_GUEST_HOST_MASK, ~AXVM_VMX_CR0_FREE &
		     ~(u64)(X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET |
			    X86_CR0_AM | X86_CR0_WP | X86_CR0_NW | X86_CR0_CD));
	axvm_vmwrite(GUEST_CR3, x->cr3);
	axvm_vmwrite(GUEST_CR4, axvm_vmx_fixed(x->cr4, MSR_IA32_VMX_CR4_FIXED0,
					       MSR_IA32_VMX_CR4_FIXED1, 0));
	axvm_vmwrite(CR4_READ_SHADOW, x->cr4);
	axvm_vmwrite(CR4_GUEST_HOST_MASK, X86_CR4_VMXE);
	axvm_vmwrite(GUEST_IA32_EFER, x->efer);
	axvm_vmwrite(GUEST_IA32_PAT, x->msrs[AXVM_X86_PAT]);
	axvm_vmwrite(GUEST_DR7, 0x400);
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

static void axvm_vmx_save(struct axvm_x86_vcpu *x)
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
 * The highest queued vector goes in when the guest can take it (IF set,
 * no STI/MOV SS blocking, no event queued); otherwise interrupt-window
 * exiting asks for an exit as soon as it can.
 */
static void axvm_vmx_inject(struct axvm_x86_vcpu *x)
{
	u32 proc = axvm_vmx_proc & ~CPU_BASED_INTR_WINDOW_EXITING;
	bool open;
	int vec;

	if (x->drop_events) {
		axvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
		axvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
		x->drop_events = false;
	}
	if (axvm_vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK)
		goto out;
	if (x->exc_pending) {
		axvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID_MASK |
			     INTR_TYPE_HARD_EXCEPTION | x->exc_vector |
			     (x->exc_has_error ? INTR_INFO_DELIVER_CODE_MASK : 0));
		axvm_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, x->exc_error);
		x->exc_pending = false;
		goto out;
	}
	open = x->rflags & X86_EFLAGS_IF &&
	       !(axvm_vmread(GUEST_INTERRUPTIBILITY_INFO) &
		 (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	vec = axvm_x86_pop_vector(x, open);
	if (vec >= 0)
		axvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID_MASK |
			     INTR_TYPE_EXT_INTR | vec);
	else if (vec == -EAGAIN)
		proc |= CPU_BASED_INTR_WINDOW_EXITING;
out:
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
	} else if (axvm_vmptrld(v->vmcs_pa)) {
		return -EIO;
	}
	axvm_vmwrite(VIRTUAL_PROCESSOR_ID, vpid);
	axvm_vmx_host_state();
	if (this_cpu_read(axvm_vmx_flush_all)) {
		axvm_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
		this_cpu_write(axvm_vmx_flush_all, false);
	} else if (fresh || v->flush_seen != flushes) {
		axvm_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vpid);
	}
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

static int axvm_vmx_enter(struct axvm_x86_vcpu *x, u32 *reason)
{
	struct axvm_vmx_vcpu *v = x->hw;
	u64 host_msr[ARRAY_SIZE(axvm_vmx_swapped)], host_tsc_aux = 0;
	bool tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP);
	bool pkru = boot_cpu_has(X86_FEATURE_OSPKE);
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
	ret = axvm_vmx_make_current(x, vpid);
	if (ret) {
		local_irq_enable();
		kernel_fpu_end();
		return ret;
	}
	axvm_vcpu_guest_enter(x->vcpu);
	axvm_vmx_load(x);
	axvm_vmx_inject(x);

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
	axvm_x86_fpu_load(x);

	fail = __axvm_vmx_run(x->gpr, v->launched);

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
	if (hw_breakpoint_active())
		hw_breakpoint_restore();

	if (fail) {
		*reason = ~0U;
	} else {
		*reason = axvm_vmread(VM_EXIT_REASON);
		/* A failed entry leaves the launch state as it was. */
		if (!(*reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
			v->launched = true;
		if (*reason == EXIT_REASON_EXCEPTION_NMI &&
		    (axvm_vmread(VM_EXIT_INTR_INFO) & INTR_INFO_INTR_TYPE_MASK) ==
		    INTR_TYPE_NMI_INTR)
			axvm_vmx_host_nmi();
		axvm_vmx_save(x);
	}
	axvm_vcpu_guest_exit(x->vcpu);
	local_irq_enable();
	kernel_fpu_end();
	return 0;
}

static int axvm_vmx_internal(struct axvm_x86_vcpu *x, u32 reason)
{
	struct axvm_run *run = x->vcpu->run;

	run->internal.suberror = AXVM_INTERNAL_UNHANDLED_EXIT;
	run->internal.ndata = 5;
	run->internal.data[0] = reason;
	run->internal.data[1] = axvm_vmread(EXIT_QUALIFICATION);
	run->internal.data[2] = axvm_vmread(GUEST_PHYSICAL_ADDRESS);
	run->internal.data[3] = axvm_vmread(IDT_VECTORING_INFO_FIELD);
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

static int axvm_vmx_exception(struct axvm_x86_vcpu *x)
{
	u32 info = axvm_vmread(VM_EXIT_INTR_INFO);

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return AXVM_EXIT_EXTERNAL_INTERRUPT;
	if ((info & INTR_INFO_VECTOR_MASK) == AXVM_X86_UD_VECTOR)
		return axvm_vmx_ud(x);
	return axvm_vmx_internal(x, EXIT_REASON_EXCEPTION_NMI);
}

static int axvm_vmx_io(struct axvm_x86_vcpu *x, u32 len)
{
	u64 q = axvm_vmread(EXIT_QUALIFICATION);

	/* INS/OUTS and their REP forms are not emulated. */
	if (q & (BIT(4) | BIT(5)))
		return axvm_vmx_internal(x, EXIT_REASON_IO_INSTRUCTION);
	return axvm_x86_io(x, q >> 16, (q & 7) + 1, q & BIT(3), x->rip + len);
}

static int axvm_vmx_ept_violation(struct axvm_x86_vcpu *x)
{
	u64 q = axvm_vmread(EXIT_QUALIFICATION);
	u64 gpa = axvm_vmread(GUEST_PHYSICAL_ADDRESS);
	bool write = q & EPT_VIOLATION_ACC_WRITE;
	int ret;

	ret = axvm_mem_fault(x->vcpu->vm, gpa, write);
	if (!ret)
		return AXVM_EXIT_STAGE2_FAULT;
	if (ret != -ENOENT && ret != -EROFS)
		return ret;
	/* Code and the guest's own page tables (walks) must be RAM. */
	if (q & EPT_VIOLATION_ACC_INSTR ||
	    (q & BIT(7) && !(q & BIT(8))))
		return axvm_vmx_internal(x, EXIT_REASON_EPT_VIOLATION);
	return axvm_x86_mmio(x, gpa, write);
}

static int axvm_vmx_halt(struct axvm_x86_vcpu *x, u32 len)
{
	x->rip += len;
	/* With an irqchip the kernel sleeps until an interrupt comes. */
	if (axvm_x86_halt(x) || axvm_x86_halt_wakes(x)) {
		/* The HLT is done: an STI before it blocks nothing any more. */
		axvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
			     axvm_vmread(GUEST_INTERRUPTIBILITY_INFO) &
			     ~GUEST_INTR_STATE_STI);
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
 * off, which the next entry's IA32e control follows.
 */
static int axvm_vmx_cr_access(struct axvm_x86_vcpu *x, u32 len)
{
	u64 q = axvm_vmread(EXIT_QUALIFICATION), v;
	u64 *reg = &x->gpr[AXVM_VMX_CR_GPR(q)];

	/* CPUs that force CR3 or CR8 exiting: plain moves of the values. */
	if (AXVM_VMX_CR_TYPE(q) == 1 && AXVM_VMX_CR_NUM(q) == 3) {
		*reg = x->cr3;
		goto done;
	}
	if (AXVM_VMX_CR_TYPE(q) == 1 && AXVM_VMX_CR_NUM(q) == 8) {
		*reg = x->cr8;
		goto done;
	}
	if (AXVM_VMX_CR_TYPE(q) != 0)
		return axvm_vmx_internal(x, EXIT_REASON_CR_ACCESS);
	v = *reg;
	switch (AXVM_VMX_CR_NUM(q)) {
	case 0:
		if (v >> 32 || ((v & X86_CR0_PG) && !(v & X86_CR0_PE)) ||
		    ((v & X86_CR0_NW) && !(v & X86_CR0_CD)))
			goto gp;
		x->cr0 = v | X86_CR0_ET;
		if (x->efer & EFER_LME) {
			if (v & X86_CR0_PG)
				x->efer |= EFER_LMA;
			else
				x->efer &= ~EFER_LMA;
		}
		break;
	case 4:
		/* No VMX for guests. */
		if (v & X86_CR4_VMXE)
			goto gp;
		x->cr4 = v;
		break;
	case 3:
		/* The guest's TLB entries of the old tables go, as MOV does. */
		x->cr3 = v;
		axvm_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT,
			     axvm_vmread(VIRTUAL_PROCESSOR_ID));
		break;
	case 8:
		if (v >> 4)
			goto gp;
		x->cr8 = v;
		break;
	default:
		return axvm_vmx_internal(x, EXIT_REASON_CR_ACCESS);
	}
done:
	x->rip += len;
	return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
gp:
	axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
	return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
}

static int axvm_vmx_handle_exit(struct axvm_x86_vcpu *x, u32 reason)
{
	struct axvm_run *run = x->vcpu->run;
	u32 len, idt;

	if (reason == ~0U) {
		run->fail_entry.hardware_reason = ~0ULL;
		run->fail_entry.data = axvm_vmread(VM_INSTRUCTION_ERROR);
		return AXVM_EXIT_FAIL_ENTRY;
	}
	if (reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		run->fail_entry.hardware_reason = reason & 0xffff;
		run->fail_entry.data = axvm_vmread(EXIT_QUALIFICATION);
		return AXVM_EXIT_FAIL_ENTRY;
	}

	/* An event cut short by the exit is delivered on the next entry. */
	axvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	idt = axvm_vmread(IDT_VECTORING_INFO_FIELD);
	if (idt & VECTORING_INFO_VALID_MASK) {
		axvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, idt);
		if (idt & VECTORING_INFO_DELIVER_CODE_MASK)
			axvm_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE,
				     axvm_vmread(IDT_VECTORING_ERROR_CODE));
	}

	len = axvm_vmread(VM_EXIT_INSTRUCTION_LEN);
	switch (reason & 0xffff) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		return AXVM_EXIT_EXTERNAL_INTERRUPT;
	case EXIT_REASON_EXCEPTION_NMI:
		return axvm_vmx_exception(x);
	case EXIT_REASON_INTERRUPT_WINDOW:
	case EXIT_REASON_PREEMPTION_TIMER:
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case EXIT_REASON_TRIPLE_FAULT:
		run->system_down.type = AXVM_SYSTEM_DOWN_CRASH;
		run->system_down.data = reason;
		return AXVM_EXIT_SYSTEM_DOWN;
	case EXIT_REASON_CPUID:
		axvm_x86_cpuid(x);
		x->rip += len;
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case EXIT_REASON_HLT:
		return axvm_vmx_halt(x, len);
	case EXIT_REASON_INVD:
		x->rip += len;
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	case EXIT_REASON_VMCALL:
		return axvm_x86_hypercall(x, len);
	case EXIT_REASON_IO_INSTRUCTION:
		return axvm_vmx_io(x, len);
	case EXIT_REASON_MSR_READ:
		x->rip += len;
		return axvm_x86_rdmsr(x);
	case EXIT_REASON_MSR_WRITE:
		x->rip += len;
		return axvm_x86_wrmsr(x);
	case EXIT_REASON_EPT_VIOLATION:
		return axvm_vmx_ept_violation(x);
	case EXIT_REASON_XSETBV:
		return axvm_x86_xsetbv(x);
	case EXIT_REASON_CR_ACCESS:
		return axvm_vmx_cr_access(x, len);
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
		return axvm_vmx_internal(x, reason);
	}
}

int axvm_vmx_vcpu_run(struct axvm_x86_vcpu *x)
{
	u32 reason;
	int ret;

	axvm_x86_complete(x);
	/* Halted or waiting for SIPI, until a signal: back to the loop. */
	if (axvm_x86_pre_run(x))
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	ret = axvm_vmx_enter(x, &reason);
	if (ret)
		return ret;
	return axvm_vmx_handle_exit(x, reason);
}
