/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between the generic core (kmod/) and one architecture
 * backend (kmod/arch/<arch>/). Every backend implements all of it; generic
 * code calls nothing else of the backend, names no arch register, and the
 * backend never sees a file descriptor.
 */
#ifndef AXVM_ARCH_H
#define AXVM_ARCH_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/types.h>
#include <linux/axvm.h>

struct axvm_vm;
struct axvm_vcpu;

/**
 * struct axvm_s2_format - a stage-2 table format, as kmod/stage2.c walks it
 * @levels: levels of tables; every level below the root has 512 entries
 *	of 8 bytes
 * @root_order: the root is 2^root_order pages
 * @table: an entry pointing at the table at @pa
 * @leaf: a 4 KiB page of normal memory at @pa
 * @block: a 2 MiB block of normal memory at @pa (2 MiB aligned), an
 *	entry of the level above the last; NULL when the backend makes none
 * @device_leaf: a 4 KiB page of device memory, read/write, not executable
 * @is_valid: the entry maps something (a table, a page or a block)
 * @is_table: a valid entry above the last level points at a table
 * @address: the physical address an entry holds
 * @write_bit: the bit of a leaf or block that grants write permission
 * @prepare: before guest RAM at [@pa, @pa + @size) is mapped, the cache
 *	maintenance the guest needs; may be NULL
 */
struct axvm_s2_format {
	unsigned int levels;
	unsigned int root_order;
	u64 (*table)(phys_addr_t pa);
	u64 (*leaf)(phys_addr_t pa, bool writable);
	u64 (*block)(phys_addr_t pa, bool writable);
	u64 (*device_leaf)(phys_addr_t pa);
	bool (*is_valid)(u64 entry);
	bool (*is_table)(u64 entry);
	phys_addr_t (*address)(u64 entry);
	u64 write_bit;
	void (*prepare)(phys_addr_t pa, size_t size);
};

/* What a backend reports about this machine when it probes. */
struct axvm_arch_info {
	u32 arch;		/* AXVM_ARCH_* */
	bool can_run;		/* axvm_arch_vcpu_run() enters guests */
	u32 guest_phys_bits;	/* regions must end below 1 << bits */
	u32 nr_irqs;		/* injectable interrupt numbers */
	u32 cpuid_entries;	/* x86: CPUID table size, 0 elsewhere */
	u32 irqchips;		/* BIT(AXVM_IRQCHIP_*) it emulates */
	u32 vcpu_flags;		/* AXVM_VCPU_* creation flags it takes */
	/* Which of them are lines; NULL: all of them. */
	bool (*irq_valid)(u32 irq);
	/* AXVM_INJECT_IRQ reaches no guest without an irqchip: ENODEV. */
	bool inject_needs_irqchip;
	/*
	 * It makes AXVM_EXIT_IPI of the IPIs a vCPU sends when the VM
	 * enabled AXVM_CAP_USER_IPI (vm->user_ipi).
	 */
	bool user_ipi;
	/*
	 * AXVM_SET_HYPERCALL_FILTER: whether [base, base + nr) may be
	 * filtered; NULL where the backend has no filter.
	 */
	bool (*hypercall_filter)(u32 base, u32 nr);
	const char *name;	/* for the kernel log */
	/* The stage-2 format, or NULL while the backend runs no guest. */
	const struct axvm_s2_format *s2_format;
};

/*
 * Once, at module load, before any CPU is touched: check that the CPU has
 * the extension, that firmware left it usable and that no other hypervisor
 * holds it. Logs one clear line and returns -ENODEV (no extension),
 * -EPERM (disabled or locked by firmware), -EBUSY (another hypervisor owns
 * it) or -EOPNOTSUPP (the host runs in a mode axvm cannot use).
 */
int axvm_arch_probe(struct axvm_arch_info *info);
void axvm_arch_release(void);

/*
 * Take over / give back virtualization on the calling CPU. Called with
 * preemption disabled, from CPU hotplug, module unload and reboot. Enable
 * returns 0 or a negative errno and leaves the CPU untouched on failure.
 */
int axvm_arch_cpu_enable(void);
void axvm_arch_cpu_disable(void);

/* Per-VM state of the backend (stage-2 root, VMID/ASID, ...). */
int axvm_arch_vm_init(struct axvm_vm *vm);
void axvm_arch_vm_destroy(struct axvm_vm *vm);
/*
 * Stage-2 entries of [gpa, gpa + size) were removed or lost write
 * permission: invalidate the TLBs of every CPU for them before returning.
 * Called with vm->mmu_lock (a spinlock) held, interrupts enabled, from
 * MMU notifier callbacks too: it must not sleep or take a mutex (an IPI
 * to every CPU, waited for, is fine).
 */
void axvm_arch_vm_flush(struct axvm_vm *vm, u64 gpa, u64 size);

/*
 * The VM's in-kernel interrupt controller (type in @cfg, checked to be
 * one of axvm_arch_info.irqchips). Called with vm->lock held and no vCPU
 * yet; the backend checks the rest of @cfg (-EINVAL) and keeps its state
 * until axvm_arch_vm_destroy(). vCPUs created later join it.
 */
int axvm_arch_irqchip_create(struct axvm_vm *vm,
			     const struct axvm_irqchip *cfg);
/*
 * Drive input line @irq (< cfg->nr_irqs) of the irqchip; any process
 * context, concurrent with runs of the VM's vCPUs.
 */
int axvm_arch_irq_line(struct axvm_vm *vm, u32 irq, bool level);
/* x86: deliver an MSI (-EINVAL for a bad address); -ENXIO elsewhere. */
int axvm_arch_signal_msi(struct axvm_vm *vm, const struct axvm_msi *msi);

/*
 * Per-vCPU state. create() checks @arch_id (MPIDR, hart id, APIC id) and
 * returns -EINVAL when it is not a valid identity for this architecture;
 * on success it sets vcpu->arch and the architectural reset state.
 * vcpu->setup holds the creation flags, only those of info->vcpu_flags.
 */
int axvm_arch_vcpu_create(struct axvm_vcpu *vcpu, u64 arch_id);
void axvm_arch_vcpu_destroy(struct axvm_vcpu *vcpu);

/**
 * axvm_arch_vcpu_get_power() - the vCPU's architectural power state
 * @vcpu: the vCPU, any state; its mutex is not held (RUN may hold it)
 *
 * Return: an AXVM_POWER_* value, a snapshot.
 */
u32 axvm_arch_vcpu_get_power(struct axvm_vcpu *vcpu);

/**
 * axvm_arch_vcpu_set_power() - set it, as a restore does
 * @vcpu: the vCPU, mutex held, not running
 * @power: an AXVM_POWER_* value
 *
 * Return: 0, or -EINVAL for a state this arch (or this VM: x86's need
 * the in-kernel irqchip) does not have or that cannot be set (those a
 * guest's call is in the middle of: ON_PENDING, SUSPENDED).
 */
int axvm_arch_vcpu_set_power(struct axvm_vcpu *vcpu, u32 power);

/**
 * axvm_arch_vcpu_translate() - a guest virtual address through the
 * vCPU's current stage-1 translation
 * @vcpu: the vCPU, mutex held, not running
 * @gva: the address
 * @gpa: the guest-physical address it maps to
 * @flags: AXVM_TRANSLATE_* as every level of the walk allows
 *
 * Reads guest memory only (no accessed or dirty flag is set).
 * Return: 0; -ENOENT where no valid entry maps it (or a table is outside
 * guest memory); -EINVAL for an address the current mode cannot have.
 */
int axvm_arch_vcpu_translate(struct axvm_vcpu *vcpu, u64 gva, u64 *gpa,
			     u32 *flags);

/**
 * axvm_arch_vcpu_apply_reset() - a reset another vCPU asked for
 * @vcpu: the vCPU, mutex held, not running
 *
 * Called before every vCPU ioctl that reads or writes its state. A CPU
 * start call (PSCI CPU_ON, SBI HSM hart_start) made by another vCPU
 * leaves the target to be reset to the start state its spec defines;
 * the target's own thread applies it here, so the VMM reads, and may
 * change, that state before it runs the vCPU.
 */
void axvm_arch_vcpu_apply_reset(struct axvm_vcpu *vcpu);

/*
 * Enter the guest once and decode the exit into vcpu->run. Returns an
 * AXVM_EXIT_* reason, or'ed with AXVM_ARCH_EXIT_HANDLED when the backend
 * handled the exit itself (it is then only counted and the guest entered
 * again), or a negative errno. Called with the vCPU mutex held, on a CPU
 * of the vCPU's affinity, preemptible. Pending interrupts are the bits of
 * vcpu->irq_pending.
 */
#define AXVM_ARCH_EXIT_HANDLED	0x100
int axvm_arch_vcpu_run(struct axvm_vcpu *vcpu);

/* Register access; the vCPU is not running. -EINVAL for bad values. */
void axvm_arch_get_regs(struct axvm_vcpu *vcpu, struct axvm_regs *regs);
int axvm_arch_set_regs(struct axvm_vcpu *vcpu, const struct axvm_regs *regs);
/* -ENOENT for an id the backend does not know. */
int axvm_arch_get_sysreg(struct axvm_vcpu *vcpu, u64 id, u64 *val);
int axvm_arch_set_sysreg(struct axvm_vcpu *vcpu, u64 id, u64 val);

/*
 * x86 CPUID table of a vCPU (AXVM_SET_CPUID / AXVM_GET_CPUID); the vCPU
 * is not running. Backends of other arches return -ENOTTY. get() fills at
 * most *@n entries and sets *@n to the table's size (-E2BIG when larger).
 */
int axvm_arch_set_cpuid(struct axvm_vcpu *vcpu,
			const struct axvm_cpuid_entry *e, u32 n);
int axvm_arch_get_cpuid(struct axvm_vcpu *vcpu, struct axvm_cpuid_entry *e,
			u32 *n);
/*
 * AXVM_NMI: raise the vCPU's NMI input, from any thread, running or not;
 * the vCPU is kicked. Backends of arches without one return -ENOTTY.
 */
int axvm_arch_vcpu_nmi(struct axvm_vcpu *vcpu);

/* Services of the generic core to backends. */

/*
 * The value an MMIO read of @len bytes gives its register: userspace's
 * @data cut to @len bytes, sign-extended to 64 bits when @sign.
 */
static inline u64 axvm_mmio_read_value(u64 data, unsigned int len, bool sign)
{
	unsigned int bits = len * 8;

	if (bits >= 64)
		return data;
	data &= BIT_ULL(bits) - 1;
	if (sign && data & BIT_ULL(bits - 1))
		data |= ~(BIT_ULL(bits) - 1);
	return data;
}

/**
 * axvm_mem_fault() - a guest access faulted in stage 2
 * @vcpu: the vCPU whose access it was (its run page may get the exit)
 * @gpa: the guest-physical address accessed
 * @access: AXVM_NPF_READ, AXVM_NPF_WRITE or AXVM_NPF_EXEC
 *
 * Maps the page when it is guest RAM (writable for a write). Runs in the
 * vCPU's thread, in RUN. Sleeps.
 *
 * Return: 0 when mapped, or when the host changed the page meanwhile and
 * the guest should simply retry the access; AXVM_EXIT_NESTED_PAGE_FAULT
 * with vcpu->run->npf filled for a page of an AXVM_MEM_USER_FAULT region
 * that is not populated yet (the backend returns it as the exit);
 * -ENOENT: no region (MMIO); -EROFS: a write to a read-only region (MMIO
 * write); -EFAULT: the VMM unmapped or protected the region's memory;
 * -ENOMEM.
 */
int axvm_mem_fault(struct axvm_vcpu *vcpu, u64 gpa, u32 access);
/*
 * Map the host device page at @pa (an interrupt controller's frame the
 * guest drives itself) at @gpa, unless it is mapped already. 0,
 * -EEXIST when guest RAM is there, -ENOMEM. Sleeps.
 */
int axvm_mem_map_device(struct axvm_vm *vm, u64 gpa, phys_addr_t pa);
/*
 * Whether guest RAM (a memory region, read-only or not) holds @gpa: a
 * place the guest can execute from, as a firmware call's entry point.
 */
bool axvm_mem_present(struct axvm_vm *vm, u64 gpa);
/*
 * Copy @len bytes of guest RAM at @gpa (a guest page table, an
 * instruction to decode), through the VM process's own mapping: callers
 * run in its threads. 0, -ENOENT when a byte is in no region, -EFAULT
 * when the VMM unmapped it. Sleeps.
 */
int axvm_mem_read(struct axvm_vm *vm, u64 gpa, void *buf, size_t len);
/*
 * Copy @len bytes into guest RAM at @gpa (a paravirtual clock page), as
 * axvm_mem_read(); logged for AXVM_GET_DIRTY_LOG like a guest write. 0,
 * -ENOENT when a byte is in no region, -EROFS in a read-only one,
 * -EFAULT; bytes before the failing page are written. Sleeps.
 */
int axvm_mem_write(struct axvm_vm *vm, u64 gpa, const void *buf, size_t len);
/*
 * Set @bits in the naturally aligned @size-byte word (4 or 8) of guest
 * RAM at @gpa, atomically against the guest's own CPUs (the accessed and
 * dirty flags of a guest page table entry, as the CPU sets them). 0,
 * -ENOENT, -EROFS, -EFAULT, or -EINVAL for a bad @size or alignment.
 * Sleeps.
 */
int axvm_mem_set_bits(struct axvm_vm *vm, u64 gpa, u64 bits,
		      unsigned int size);
/*
 * Guest mode, for kicks. The backend calls guest_enter() with interrupts
 * disabled before it reads the pending interrupts for an entry, and
 * guest_exit() after the guest left; a kick in between is an IPI that
 * makes the guest exit at once.
 */
void axvm_vcpu_guest_enter(struct axvm_vcpu *vcpu);
void axvm_vcpu_guest_exit(struct axvm_vcpu *vcpu);
/* Wake a halted vCPU; any context, hard interrupts included. */
void axvm_vcpu_wake(struct axvm_vcpu *vcpu);
/* Wake it or make it leave the guest; process context. */
void axvm_vcpu_kick(struct axvm_vcpu *vcpu);
/*
 * The same, and when it was in the guest, wait until it has left: its
 * next entry sees what the caller changed before. Process context.
 */
void axvm_vcpu_kick_sync(struct axvm_vcpu *vcpu);
/*
 * Sleep until @cond(vcpu) holds or a signal arrives; every wake or kick
 * re-evaluates it. Returns 0 or -EINTR.
 */
int axvm_vcpu_block(struct axvm_vcpu *vcpu,
		    bool (*cond)(struct axvm_vcpu *vcpu));
/*
 * The VM's AXVM_SET_HYPERCALL_FILTER action for function id @id, an
 * AXVM_HYPERCALL_* value: _KERNEL unless userspace set a range. Lock-free;
 * the ranges do not change once the VM has vCPUs.
 */
u32 axvm_hypercall_action(struct axvm_vm *vm, u32 id);

/*
 * Call @fn on the vCPU of @vm whose arch_id is @arch_id, with the VM's
 * vCPU list locked (the vCPU cannot go away meanwhile). Returns what @fn
 * returns, or -ENOENT when no vCPU has that identity. With @fn NULL: 0
 * when the vCPU exists.
 */
int axvm_vm_with_vcpu(struct axvm_vm *vm, u64 arch_id,
		      int (*fn)(struct axvm_vcpu *vcpu, void *data),
		      void *data);

/*
 * VMIDs (ASIDs on x86), in kmod/vmid.c: the backend embeds a struct
 * axvm_vmid where its tag lives (per VM or per vCPU) and sets the number
 * of bits its hardware has in axvm_arch_probe().
 */
struct axvm_vmid {
	atomic64_t gen_id;	/* generation << 32 | number; 0: none yet */
};

void axvm_vmid_setup(unsigned int bits);
/* The backend runs every VM under one tag and flushes it on switches. */
void axvm_vmid_shared(void);
/*
 * Before an entry, interrupts enabled: the tag to run with, a fresh one
 * when the generation moved on (which may IPI every CPU).
 */
u32 axvm_vmid_update(struct axvm_vmid *vmid);
/*
 * With interrupts disabled, right before the entry: false when a
 * rollover came in between; call axvm_vmid_update() again.
 */
bool axvm_vmid_current(const struct axvm_vmid *vmid);
/*
 * The tags ran out: invalidate the TLB entries of every tag on this CPU.
 * Called on every online CPU with interrupts disabled.
 */
void axvm_arch_vmid_rollover(void);

/*
 * Call @fn on every vCPU of @vm, with the vCPU list locked, until it
 * returns non-zero; returns that, or 0.
 */
int axvm_vm_visit_vcpus(struct axvm_vm *vm,
			int (*fn)(struct axvm_vcpu *vcpu, void *data),
			void *data);
/*
 * Kick (wake or make leave the guest) each vCPU whose id, or arch_id
 * with @by_arch_id, is set in the @nbits of @marks. For interrupt
 * controllers that mark targets under their lock and kick after it.
 */
void axvm_vm_kick_marked(struct axvm_vm *vm, const unsigned long *marks,
			 unsigned int nbits, bool by_arch_id);

/*
 * With interrupts disabled: true when this CPU is in virtualization
 * operation. A backend checks it right before it enters a guest (and
 * before any other VMX/SVM instruction it runs outside the take-over),
 * and returns -EAGAIN from axvm_arch_vcpu_run() when it is not: the CPU
 * is going offline (the core waits for the scheduler to move the thread)
 * or the host is rebooting (RUN fails with EIO).
 */
bool axvm_cpu_virt_on(void);

/* Physical address of the stage-2 root, for the backend's table base. */
phys_addr_t axvm_s2_root(struct axvm_vm *vm);

/* True when KVM is built into the running kernel or loaded as a module. */
bool axvm_kvm_present(void);

#endif /* AXVM_ARCH_H */
