// SPDX-License-Identifier: GPL-2.0
/*
 * axvm module entry: takes over virtualization on every CPU, registers
 * /dev/axvm and answers the system ioctls.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "axvm.h"

struct axvm_arch_info axvm_info;

static long axvm_check_cap(unsigned long cap)
{
	switch (cap) {
	case AXVM_CAP_ARCH:
		return axvm_info.arch;
	case AXVM_CAP_RUN:
		return axvm_info.can_run;
	case AXVM_CAP_MAX_VCPUS:
		return AXVM_MAX_VCPUS;
	case AXVM_CAP_MAX_VCPU_ID:
		return AXVM_MAX_VCPU_ID;
	case AXVM_CAP_NR_MEM_REGIONS:
		return AXVM_MAX_MEM_REGIONS;
	case AXVM_CAP_READONLY_MEM:
		return 1;
	case AXVM_CAP_GUEST_PHYS_BITS:
		return axvm_info.guest_phys_bits;
	case AXVM_CAP_EXIT_STATS:
		return AXVM_EXIT_REASONS;
	case AXVM_CAP_NR_IRQS:
		return axvm_info.nr_irqs;
	case AXVM_CAP_IMMEDIATE_EXIT:
		return 1;
	case AXVM_CAP_IRQCHIP:
		return axvm_info.irqchips;
	case AXVM_CAP_CPUID:
		return axvm_info.cpuid_entries;
	case AXVM_CAP_HYPERCALL_FILTER:
		return axvm_info.hypercall_filter ? AXVM_HYPERCALL_MAX_RANGES : 0;
	case AXVM_CAP_DIRTY_LOG:
	case AXVM_CAP_USER_FAULT:
		return 1;
	case AXVM_CAP_VCPU_FLAGS:
		return axvm_info.vcpu_flags;
	case AXVM_CAP_USER_IPI:
		return axvm_info.user_ipi;
	default:
		return 0;
	}
}

static long axvm_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	switch (cmd) {
	case AXVM_GET_API_VERSION:
		return arg ? -EINVAL : AXVM_API_VERSION;
	case AXVM_CHECK_CAP:
		return axvm_check_cap(arg);
	case AXVM_CREATE_VM:
		return axvm_vm_create(arg);
	case AXVM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : PAGE_SIZE;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations axvm_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= axvm_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * A fixed minor from the range devices.txt reserves for local use
 * (243-254), as KVM has 232: with it, depmod writes /dev/axvm into
 * modules.devname, "kmod static-nodes" creates the node at boot and its
 * first open loads the module (char-major-10-AXVM_MINOR). udev gives the
 * node to the axvm group (tools/install/60-axvm.rules).
 */
#define AXVM_MINOR	246

static struct miscdevice axvm_dev = {
	.minor	= AXVM_MINOR,
	.name	= "axvm",
	.fops	= &axvm_dev_fops,
	.mode	= 0600,
};

static int axvm_dev_register(void)
{
	int ret = misc_register(&axvm_dev);

	if (ret != -EBUSY)
		return ret;
	/* Another local driver holds the minor: work, without autoload. */
	pr_warn("misc minor %d is taken: /dev/axvm gets a dynamic minor and will not load the module on open\n",
		AXVM_MINOR);
	axvm_dev.minor = MISC_DYNAMIC_MINOR;
	return misc_register(&axvm_dev);
}

static int __init axvm_init(void)
{
	int ret;

	ret = axvm_arch_probe(&axvm_info);
	if (ret)
		return ret;

	ret = axvm_cpus_reboot_notifier_register();
	if (ret)
		goto err_arch;

	ret = axvm_cpus_take_over();
	if (ret)
		goto err_reboot;

	ret = axvm_dev_register();
	if (ret) {
		pr_err("cannot register /dev/axvm: %d\n", ret);
		goto err_cpus;
	}

	pr_info("%s virtualization enabled on %u CPUs%s\n", axvm_info.name,
		num_online_cpus(),
		axvm_info.can_run ? "" : " (guest entry off)");
	return 0;

err_cpus:
	axvm_cpus_give_back();
err_reboot:
	axvm_cpus_reboot_notifier_unregister();
err_arch:
	axvm_arch_release();
	return ret;
}

static void __exit axvm_exit(void)
{
	misc_deregister(&axvm_dev);
	axvm_cpus_give_back();
	axvm_cpus_reboot_notifier_unregister();
	axvm_arch_release();
	pr_info("virtualization given back on every CPU\n");
}

module_init(axvm_init);
module_exit(axvm_exit);

MODULE_DESCRIPTION("axvm: a hypervisor in a loadable module");
MODULE_LICENSE("GPL");
/* AXVM_VERSION is dkms.conf's PACKAGE_VERSION (kmod/Kbuild). */
MODULE_VERSION(AXVM_VERSION);
MODULE_ALIAS_MISCDEV(AXVM_MINOR);
MODULE_ALIAS("devname:axvm");
