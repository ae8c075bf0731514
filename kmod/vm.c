// SPDX-License-Identifier: GPL-2.0
/*
 * A VM: an anonymous-inode fd holding a refcounted struct axvm_vm. Each
 * vCPU fd holds a reference too, so the VM outlives every vCPU whatever
 * the order the fds are closed in.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "axvm.h"

static void axvm_vm_release_ref(struct kref *ref)
{
	struct axvm_vm *vm = container_of(ref, struct axvm_vm, ref);

	WARN_ON(!xa_empty(&vm->vcpus));
	/* No callback may run on what is freed below. */
	axvm_mmu_notifier_unregister(vm);
	axvm_mem_free_all(vm);
	axvm_arch_vm_destroy(vm);
	axvm_s2_destroy(&vm->s2);
	axvm_hypercall_free(vm);
	xa_destroy(&vm->vcpus);
	mmdrop(vm->mm);
	kfree(vm);
}

void axvm_vm_put(struct axvm_vm *vm)
{
	kref_put(&vm->ref, axvm_vm_release_ref);
}

/*
 * Only the process that created the VM drives it: its memory regions are
 * that process's pages. A forked child (or any other mm) gets -EIO.
 */
int axvm_vm_check_owner(struct axvm_vm *vm)
{
	return current->mm == vm->mm ? 0 : -EIO;
}

int axvm_vm_with_vcpu(struct axvm_vm *vm, u64 arch_id,
		      int (*fn)(struct axvm_vcpu *vcpu, void *data),
		      void *data)
{
	struct axvm_vcpu *vcpu;
	unsigned long idx;
	int ret = -ENOENT;

	mutex_lock(&vm->lock);
	xa_for_each(&vm->vcpus, idx, vcpu) {
		if (vcpu->arch_id == arch_id) {
			ret = fn ? fn(vcpu, data) : 0;
			break;
		}
	}
	mutex_unlock(&vm->lock);
	return ret;
}

int axvm_vm_visit_vcpus(struct axvm_vm *vm,
			int (*fn)(struct axvm_vcpu *vcpu, void *data),
			void *data)
{
	struct axvm_vcpu *vcpu;
	unsigned long idx;
	int ret = 0;

	mutex_lock(&vm->lock);
	xa_for_each(&vm->vcpus, idx, vcpu) {
		ret = fn(vcpu, data);
		if (ret)
			break;
	}
	mutex_unlock(&vm->lock);
	return ret;
}

struct axvm_vm_marks {
	const unsigned long *bits;
	unsigned int nbits;
	bool by_arch_id;
};

static int axvm_vm_kick_one(struct axvm_vcpu *vcpu, void *data)
{
	const struct axvm_vm_marks *m = data;
	u64 key = m->by_arch_id ? vcpu->arch_id : vcpu->id;

	if (key < m->nbits && test_bit(key, m->bits))
		axvm_vcpu_kick(vcpu);
	return 0;
}

void axvm_vm_kick_marked(struct axvm_vm *vm, const unsigned long *marks,
			 unsigned int nbits, bool by_arch_id)
{
	struct axvm_vm_marks m = {
		.bits = marks, .nbits = nbits, .by_arch_id = by_arch_id,
	};

	if (!bitmap_empty(marks, nbits))
		axvm_vm_visit_vcpus(vm, axvm_vm_kick_one, &m);
}

static long axvm_vm_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct axvm_vm *vm = file->private_data;
	void __user *argp = (void __user *)arg;
	int ret;

	ret = axvm_vm_check_owner(vm);
	if (ret)
		return ret;

	switch (cmd) {
	case AXVM_SET_MEMORY_REGION: {
		struct axvm_memory_region req;

		if (copy_from_user(&req, argp, sizeof(req)))
			return -EFAULT;
		return axvm_mem_set_region(vm, &req);
	}
	case AXVM_CREATE_VCPU: {
		struct axvm_vcpu_create cfg;

		if (copy_from_user(&cfg, argp, sizeof(cfg)))
			return -EFAULT;
		return axvm_vcpu_create(vm, &cfg);
	}
	case AXVM_CREATE_IRQCHIP:
		return axvm_irqchip_create(vm, argp);
	case AXVM_IRQ_LINE:
		return axvm_irqchip_line(vm, argp);
	case AXVM_SIGNAL_MSI:
		return axvm_irqchip_msi(vm, argp);
	case AXVM_SET_HYPERCALL_FILTER:
		return axvm_hypercall_set_filter(vm, argp);
	case AXVM_GET_DIRTY_LOG:
		return axvm_dirty_log_get(vm, argp);
	case AXVM_POPULATE:
		return axvm_mem_populate(vm, argp);
	case AXVM_ENABLE_CAP:
		return axvm_vm_enable_cap(vm, argp);
	default:
		return -ENOTTY;
	}
}

static int axvm_vm_release(struct inode *inode, struct file *file)
{
	axvm_vm_put(file->private_data);
	return 0;
}

static const struct file_operations axvm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= axvm_vm_release,
	.unlocked_ioctl	= axvm_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

int axvm_vm_create(unsigned long flags)
{
	struct axvm_vm *vm;
	int ret, fd;

	if (flags)
		return -EINVAL;
	if (axvm_cpus_rebooting())
		return -EBUSY;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	xa_init(&vm->vcpus);
	vm->mm = current->mm;
	mmgrab(vm->mm);

	ret = axvm_mem_init(vm);
	if (ret)
		goto err_mm;
	ret = axvm_info.s2_format ? axvm_s2_init(&vm->s2, axvm_info.s2_format) : 0;
	if (ret)
		goto err_srcu;
	ret = axvm_arch_vm_init(vm);
	if (ret)
		goto err_s2;
	/* Last: its callbacks use the stage 2 and the backend's flush. */
	ret = axvm_mmu_notifier_register(vm);
	if (ret)
		goto err_arch;

	fd = anon_inode_getfd("axvm-vm", &axvm_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		axvm_vm_put(vm);
	return fd;

err_arch:
	axvm_arch_vm_destroy(vm);
err_s2:
	axvm_s2_destroy(&vm->s2);
err_srcu:
	cleanup_srcu_struct(&vm->srcu);
err_mm:
	mmdrop(vm->mm);
	kfree(vm);
	return ret;
}
