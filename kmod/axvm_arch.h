/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between the generic core (kmod/) and one architecture
 * backend (kmod/arch/<arch>/). Every backend implements all of it; generic
 * code calls nothing else of the backend, names no arch register, and the
 * backend never sees a file descriptor.
 */
#ifndef AXVM_ARCH_H
#define AXVM_ARCH_H

#include <linux/types.h>
#include <linux/axvm.h>

struct axvm_vm;
struct axvm_vcpu;

/* What a backend reports about this machine when it probes. */
struct axvm_arch_info {
	u32 arch;		/* AXVM_ARCH_* */
	bool can_run;		/* axvm_arch_vcpu_run() enters guests */
	u32 guest_phys_bits;	/* regions must end below 1 << bits */
	u32 nr_irqs;		/* injectable interrupt numbers */
	const char *name;	/* for the kernel log */
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
/* Drop stage-2 mappings of [gpa, gpa + size) and flush before returning. */
void axvm_arch_vm_unmap(struct axvm_vm *vm, u64 gpa, u64 size);

/*
 * Per-vCPU state. create() checks @arch_id (MPIDR, hart id, APIC id) and
 * returns -EINVAL when it is not a valid identity for this architecture;
 * on success it sets vcpu->arch and the architectural reset state.
 */
int axvm_arch_vcpu_create(struct axvm_vcpu *vcpu, u64 arch_id);
void axvm_arch_vcpu_destroy(struct axvm_vcpu *vcpu);

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

/* Services of the generic core to backends. */

/* True when KVM is built into the running kernel or loaded as a module. */
bool axvm_kvm_present(void);

#endif /* AXVM_ARCH_H */
