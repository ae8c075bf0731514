// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU: an anonymous-inode fd, its run page (mmap of the fd), its
 * registers and the RUN loop. The thread calling RUN is pinned to the
 * vCPU's affinity mask within its own (pin.c); one thread at a time may
 * be inside RUN.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/bitmap.h>
#include <linux/cpu.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "axvm.h"

void axvm_vcpu_guest_enter(struct axvm_vcpu *vcpu)
{
	vcpu->cpu = smp_processor_id();
	/* Ordered before the backend reads irq_pending. */
	smp_store_mb(vcpu->mode, AXVM_VCPU_IN_GUEST);
}

void axvm_vcpu_guest_exit(struct axvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->mode, AXVM_VCPU_OUTSIDE_GUEST);
}

void axvm_vcpu_wake(struct axvm_vcpu *vcpu)
{
	wake_up_interruptible(&vcpu->wq);
}

/* The IPI itself is the message: the guest exits to take it. */
static void axvm_vcpu_kick_ipi(void *unused)
{
}

static void __axvm_vcpu_kick(struct axvm_vcpu *vcpu, bool wait)
{
	int cpu;

	axvm_vcpu_wake(vcpu);
	/* Pairs with guest_enter(): the new state or the IPI reaches it. */
	smp_mb();
	if (READ_ONCE(vcpu->mode) != AXVM_VCPU_IN_GUEST)
		return;
	cpu = READ_ONCE(vcpu->cpu);
	if (cpu != get_cpu())
		smp_call_function_single(cpu, axvm_vcpu_kick_ipi, NULL, wait);
	put_cpu();
}

void axvm_vcpu_kick(struct axvm_vcpu *vcpu)
{
	__axvm_vcpu_kick(vcpu, false);
}

/* An IPI handler runs only outside the guest: waiting for it is enough. */
void axvm_vcpu_kick_sync(struct axvm_vcpu *vcpu)
{
	__axvm_vcpu_kick(vcpu, true);
}

int axvm_vcpu_block(struct axvm_vcpu *vcpu,
		    bool (*cond)(struct axvm_vcpu *vcpu))
{
	int ret;

	/* For AXVM_GET_VCPU_STATE's BLOCKED, which is only a snapshot. */
	WRITE_ONCE(vcpu->blocked, true);
	ret = wait_event_interruptible(vcpu->wq, cond(vcpu));
	WRITE_ONCE(vcpu->blocked, false);
	return ret ? -EINTR : 0;
}

static int axvm_vcpu_interrupted(struct axvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = AXVM_EXIT_INTR;
	vcpu->stats.count[AXVM_EXIT_INTR]++;
	return -EINTR;
}

static bool axvm_exit_absorbed(int reason)
{
	return reason == AXVM_EXIT_NONE ||
	       reason == AXVM_EXIT_EXTERNAL_INTERRUPT ||
	       reason == AXVM_EXIT_STAGE2_FAULT;
}

/*
 * The backend found virtualization off on this CPU. While the host
 * reboots the RUN fails; a CPU going offline is left to the scheduler,
 * which moves the thread once the CPU is down.
 */
static int axvm_vcpu_wait_cpu(struct axvm_vcpu *vcpu)
{
	if (axvm_cpus_rebooting())
		return -EIO;
	if (signal_pending(current))
		return axvm_vcpu_interrupted(vcpu);
	schedule_timeout_interruptible(1);
	return 0;
}

static int axvm_vcpu_run_loop(struct axvm_vcpu *vcpu)
{
	int ret, reason;

	vcpu->stats.runs++;
	for (;;) {
		ret = axvm_arch_vcpu_run(vcpu);
		if (ret == -EAGAIN) {
			ret = axvm_vcpu_wait_cpu(vcpu);
			if (ret)
				return ret;
			continue;
		}
		if (ret < 0)
			return ret;
		reason = ret & ~AXVM_ARCH_EXIT_HANDLED;
		if (WARN_ON_ONCE(reason >= AXVM_EXIT_REASONS))
			return -EIO;
		vcpu->stats.count[reason]++;
		if (!(ret & AXVM_ARCH_EXIT_HANDLED) &&
		    !axvm_exit_absorbed(reason)) {
			vcpu->run->exit_reason = reason;
			return 0;
		}
		if (signal_pending(current))
			return axvm_vcpu_interrupted(vcpu);
		cond_resched();
	}
}

/*
 * The vCPU's state is its thread's: every ioctl that reads or writes it
 * holds the mutex, and first applies a reset another vCPU asked for.
 */
int axvm_vcpu_lock(struct axvm_vcpu *vcpu)
{
	int ret = mutex_lock_killable(&vcpu->mutex);

	if (!ret)
		axvm_arch_vcpu_apply_reset(vcpu);
	return ret;
}

static int axvm_vcpu_run(struct axvm_vcpu *vcpu)
{
	int ret;

	if (test_and_set_bit_lock(AXVM_VCPU_RUNNING, &vcpu->flags))
		return -EBUSY;
	ret = axvm_vcpu_lock(vcpu);
	if (ret)
		goto out_running;

	ret = axvm_vcpu_pin(vcpu);
	if (ret)
		goto out;
	if (READ_ONCE(vcpu->run->immediate_exit) || signal_pending(current)) {
		ret = axvm_vcpu_interrupted(vcpu);
		goto out;
	}
	if (!axvm_info.can_run) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	ret = axvm_vcpu_run_loop(vcpu);
out:
	mutex_unlock(&vcpu->mutex);
out_running:
	clear_bit_unlock(AXVM_VCPU_RUNNING, &vcpu->flags);
	return ret;
}

static int axvm_vcpu_get_regs(struct axvm_vcpu *vcpu, void __user *argp)
{
	struct axvm_regs regs;
	int ret;

	memset(&regs, 0, sizeof(regs));
	ret = axvm_vcpu_lock(vcpu);
	if (ret)
		return ret;
	axvm_arch_get_regs(vcpu, &regs);
	mutex_unlock(&vcpu->mutex);
	return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
}

static int axvm_vcpu_set_regs(struct axvm_vcpu *vcpu, void __user *argp)
{
	struct axvm_regs regs;
	int ret;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	if (memchr_inv(regs.reserved, 0, sizeof(regs.reserved)))
		return -EINVAL;
	ret = axvm_vcpu_lock(vcpu);
	if (ret)
		return ret;
	ret = axvm_arch_set_regs(vcpu, &regs);
	mutex_unlock(&vcpu->mutex);
	return ret;
}

static int axvm_vcpu_sysreg(struct axvm_vcpu *vcpu, void __user *argp,
			    bool set)
{
	struct axvm_sysreg reg;
	int ret;

	if (copy_from_user(&reg, argp, sizeof(reg)))
		return -EFAULT;
	ret = axvm_vcpu_lock(vcpu);
	if (ret)
		return ret;
	if (set)
		ret = axvm_arch_set_sysreg(vcpu, reg.id, reg.value);
	else
		ret = axvm_arch_get_sysreg(vcpu, reg.id, &reg.value);
	mutex_unlock(&vcpu->mutex);
	if (!ret && !set && copy_to_user(argp, &reg, sizeof(reg)))
		ret = -EFAULT;
	return ret;
}

static int axvm_vcpu_inject_irq(struct axvm_vcpu *vcpu, void __user *argp)
{
	struct axvm_irq irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= axvm_info.nr_irqs || irq.flags & ~AXVM_IRQ_FLAGS ||
	    (axvm_info.irq_valid && !axvm_info.irq_valid(irq.irq)))
		return -EINVAL;
	/* The in-kernel irqchip decides what the vCPU sees. */
	if (smp_load_acquire(&vcpu->vm->irqchip))
		return -EBUSY;
	if (axvm_info.inject_needs_irqchip)
		return -ENODEV;

	spin_lock(&vcpu->irq_lock);
	if (irq.flags & AXVM_IRQ_LEVEL_HIGH)
		__set_bit(irq.irq, vcpu->irq_pending);
	else
		__clear_bit(irq.irq, vcpu->irq_pending);
	spin_unlock(&vcpu->irq_lock);
	axvm_vcpu_kick(vcpu);
	return 0;
}

/* AXVM_SET_CPUID / AXVM_GET_CPUID: the header, then the entries. */
static int axvm_vcpu_cpuid(struct axvm_vcpu *vcpu, void __user *argp,
			   bool set)
{
	struct axvm_cpuid __user *ucpuid = argp;
	struct axvm_cpuid_entry __user *uentries;
	struct axvm_cpuid_entry *e;
	struct axvm_cpuid hdr;
	u32 i, n;
	int ret;

	if (!axvm_info.cpuid_entries)
		return -ENOTTY;
	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.flags)
		return -EINVAL;
	uentries = u64_to_user_ptr(hdr.entries);
	if (set && hdr.nent > axvm_info.cpuid_entries)
		return -E2BIG;
	n = min(hdr.nent, axvm_info.cpuid_entries);
	/* Up to 8 KiB: no vmalloc failure splat for an ENOMEM. */
	e = kvcalloc(max(n, 1U), sizeof(*e),
		     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!e)
		return -ENOMEM;

	if (set) {
		ret = -EFAULT;
		if (copy_from_user(e, uentries, n * sizeof(*e)))
			goto out;
		ret = -EINVAL;
		for (i = 0; i < n; i++)
			if (e[i].padding || e[i].flags & ~AXVM_CPUID_FLAG_INDEX)
				goto out;
		mutex_lock(&vcpu->mutex);
		axvm_arch_vcpu_apply_reset(vcpu);
		ret = axvm_arch_set_cpuid(vcpu, e, n);
		mutex_unlock(&vcpu->mutex);
		goto out;
	}

	mutex_lock(&vcpu->mutex);
	axvm_arch_vcpu_apply_reset(vcpu);
	ret = axvm_arch_get_cpuid(vcpu, e, &n);
	mutex_unlock(&vcpu->mutex);
	/* The size goes back even when the room was too small. */
	if (put_user(n, &ucpuid->nent))
		ret = -EFAULT;
	else if (!ret && copy_to_user(uentries, e, n * sizeof(*e)))
		ret = -EFAULT;
out:
	kvfree(e);
	return ret;
}

static long axvm_vcpu_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct axvm_vcpu *vcpu = file->private_data;
	void __user *argp = (void __user *)arg;
	int ret;

	ret = axvm_vm_check_owner(vcpu->vm);
	if (ret)
		return ret;

	switch (cmd) {
	case AXVM_RUN:
		return arg ? -EINVAL : axvm_vcpu_run(vcpu);
	case AXVM_GET_REGS:
		return axvm_vcpu_get_regs(vcpu, argp);
	case AXVM_SET_REGS:
		return axvm_vcpu_set_regs(vcpu, argp);
	case AXVM_GET_SYSREG:
		return axvm_vcpu_sysreg(vcpu, argp, false);
	case AXVM_SET_SYSREG:
		return axvm_vcpu_sysreg(vcpu, argp, true);
	case AXVM_INJECT_IRQ:
		return axvm_vcpu_inject_irq(vcpu, argp);
	case AXVM_NMI:
		/* Lock-free, as INJECT_IRQ: a VMM's monitor thread sends it. */
		return arg ? -EINVAL : axvm_arch_vcpu_nmi(vcpu);
	case AXVM_SET_CPUID:
		return axvm_vcpu_cpuid(vcpu, argp, true);
	case AXVM_GET_CPUID:
		return axvm_vcpu_cpuid(vcpu, argp, false);
	case AXVM_GET_VCPU_STATE:
		return axvm_vcpu_get_state(vcpu, argp);
	case AXVM_SET_VCPU_STATE:
		return axvm_vcpu_set_state(vcpu, argp);
	case AXVM_TRANSLATE:
		return axvm_vcpu_translate(vcpu, argp);
	case AXVM_GET_EXIT_STATS:
		/* Plain counters, read without stopping the vCPU. */
		return copy_to_user(argp, &vcpu->stats, sizeof(vcpu->stats)) ?
		       -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static vm_fault_t axvm_vcpu_fault(struct vm_fault *vmf)
{
	struct axvm_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	vmf->page = virt_to_page(vcpu->run);
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct axvm_vcpu_vm_ops = {
	.fault = axvm_vcpu_fault,
};

static int axvm_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma_pages(vma) != 1)
		return -EINVAL;
	vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &axvm_vcpu_vm_ops;
	return 0;
}

static void axvm_vcpu_free(struct axvm_vcpu *vcpu)
{
	bitmap_free(vcpu->irq_pending);
	free_page((unsigned long)vcpu->run);
	free_cpumask_var(vcpu->affinity);
	axvm_pin_free(&vcpu->pin);
	kfree(vcpu);
}

static int axvm_vcpu_release(struct inode *inode, struct file *file)
{
	struct axvm_vcpu *vcpu = file->private_data;
	struct axvm_vm *vm = vcpu->vm;

	mutex_lock(&vm->lock);
	xa_erase(&vm->vcpus, vcpu->id);
	vm->nr_vcpus--;
	mutex_unlock(&vm->lock);

	axvm_arch_vcpu_destroy(vcpu);
	axvm_vcpu_free(vcpu);
	axvm_vm_put(vm);
	return 0;
}

static const struct file_operations axvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= axvm_vcpu_release,
	.unlocked_ioctl	= axvm_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= axvm_vcpu_mmap,
	.llseek		= noop_llseek,
};

/*
 * Turn the uAPI mask into a cpumask. Bits past nr_cpu_ids are an error;
 * an empty mask picks the default: the online CPU whose index is the
 * vCPU id modulo the number of online CPUs.
 */
static int axvm_vcpu_affinity(struct axvm_vcpu *vcpu,
			      const struct axvm_vcpu_create *cfg)
{
	unsigned int cpu, n, i;
	bool empty = true;

	for (i = 0; i < AXVM_AFFINITY_WORDS * 64; i++) {
		if (!(cfg->affinity[i / 64] & BIT_ULL(i % 64)))
			continue;
		if (i >= nr_cpu_ids)
			return -EINVAL;
		cpumask_set_cpu(i, vcpu->affinity);
		empty = false;
	}

	cpus_read_lock();
	if (empty) {
		n = cfg->id % num_online_cpus();
		for_each_online_cpu(cpu)
			if (n-- == 0)
				break;
		cpumask_set_cpu(cpu, vcpu->affinity);
	}
	empty = !cpumask_intersects(vcpu->affinity, cpu_online_mask);
	cpus_read_unlock();
	return empty ? -EINVAL : 0;
}

static bool axvm_arch_id_taken(struct axvm_vm *vm, u64 arch_id)
{
	struct axvm_vcpu *other;
	unsigned long idx;

	xa_for_each(&vm->vcpus, idx, other)
		if (other->arch_id == arch_id)
			return true;
	return false;
}

int axvm_vcpu_create(struct axvm_vm *vm, const struct axvm_vcpu_create *cfg)
{
	struct axvm_vcpu *vcpu;
	int ret, fd;

	if (cfg->flags & ~axvm_info.vcpu_flags ||
	    cfg->id >= AXVM_MAX_VCPU_ID)
		return -EINVAL;

	/*
	 * Count the vCPU before the backend sees it, so that an irqchip
	 * created meanwhile fails with EBUSY instead of missing this vCPU.
	 */
	mutex_lock(&vm->lock);
	if (vm->nr_vcpus >= AXVM_MAX_VCPUS) {
		mutex_unlock(&vm->lock);
		return -ENOSPC;
	}
	vm->nr_vcpus++;
	mutex_unlock(&vm->lock);

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu) {
		ret = -ENOMEM;
		goto err_uncount;
	}
	vcpu->vm = vm;
	vcpu->id = cfg->id;
	vcpu->arch_id = cfg->arch_id;
	vcpu->setup = cfg->flags;
	mutex_init(&vcpu->mutex);
	spin_lock_init(&vcpu->irq_lock);
	init_waitqueue_head(&vcpu->wq);
	vcpu->run = (struct axvm_run *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->irq_pending = bitmap_zalloc(axvm_info.nr_irqs, GFP_KERNEL_ACCOUNT);
	if (!vcpu->run || !vcpu->irq_pending ||
	    !zalloc_cpumask_var(&vcpu->affinity, GFP_KERNEL_ACCOUNT)) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = axvm_pin_init(&vcpu->pin);
	if (ret)
		goto err_free;
	ret = axvm_vcpu_affinity(vcpu, cfg);
	if (ret)
		goto err_free;
	ret = axvm_arch_vcpu_create(vcpu, cfg->arch_id);
	if (ret)
		goto err_free;

	mutex_lock(&vm->lock);
	if (axvm_arch_id_taken(vm, cfg->arch_id)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = xa_insert(&vm->vcpus, cfg->id, vcpu, GFP_KERNEL_ACCOUNT);
	if (ret) {
		ret = ret == -EBUSY ? -EEXIST : ret;
		goto err_unlock;
	}
	kref_get(&vm->ref);
	mutex_unlock(&vm->lock);

	/* Set before the fd exists: its release may come at once. */
	set_bit(AXVM_VCPU_CREATED, &vcpu->flags);
	fd = anon_inode_getfd("axvm-vcpu", &axvm_vcpu_fops, vcpu,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		/* The backend undoes this creation as if it never was. */
		clear_bit(AXVM_VCPU_CREATED, &vcpu->flags);
		mutex_lock(&vm->lock);
		xa_erase(&vm->vcpus, vcpu->id);
		mutex_unlock(&vm->lock);
		/* Not the last reference: the caller's VM fd holds one. */
		axvm_vm_put(vm);
		ret = fd;
		goto err_arch;
	}
	return fd;

err_unlock:
	mutex_unlock(&vm->lock);
err_arch:
	axvm_arch_vcpu_destroy(vcpu);
err_free:
	axvm_vcpu_free(vcpu);
err_uncount:
	mutex_lock(&vm->lock);
	vm->nr_vcpus--;
	mutex_unlock(&vm->lock);
	return ret;
}
