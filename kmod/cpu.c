// SPDX-License-Identifier: GPL-2.0
/*
 * Virtualization on every CPU: taken over on load and on CPU online, given
 * back on unload, CPU offline and reboot (which also covers kexec). Either
 * every online CPU is enabled or none is: cpuhp rolls back the CPUs it
 * already brought up when one fails.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/reboot.h>

#include "axvm.h"

static DEFINE_PER_CPU(bool, axvm_cpu_enabled);
static enum cpuhp_state axvm_cpuhp_state;
static bool axvm_rebooting;

/* Test hook: make enabling fail on this CPU to exercise the rollback. */
static int fail_cpu_enable = -1;
module_param(fail_cpu_enable, int, 0444);
MODULE_PARM_DESC(fail_cpu_enable,
		 "test only: fail taking over this CPU (default -1: none)");

bool axvm_cpus_rebooting(void)
{
	return READ_ONCE(axvm_rebooting);
}

/*
 * Whether this CPU is in VMX/SVM operation. With interrupts off, the
 * answer holds until they are back: only the CPU itself turns it off,
 * from its hotplug callback or the reboot IPI.
 */
bool axvm_cpu_virt_on(void)
{
	lockdep_assert_irqs_disabled();
	return this_cpu_read(axvm_cpu_enabled);
}

/* Interrupts off: the reboot IPI must not run in the middle of this. */
static void axvm_cpu_disable_local(void)
{
	unsigned long flags;

	local_irq_save(flags);
	if (this_cpu_read(axvm_cpu_enabled)) {
		axvm_arch_cpu_disable();
		this_cpu_write(axvm_cpu_enabled, false);
	}
	local_irq_restore(flags);
}

static int axvm_cpu_online(unsigned int cpu)
{
	unsigned long flags;
	int ret = 0;

	if ((int)cpu == fail_cpu_enable) {
		pr_err("CPU %u: failing take-over as fail_cpu_enable asks\n",
		       cpu);
		return -EIO;
	}

	local_irq_save(flags);
	if (!axvm_rebooting && !this_cpu_read(axvm_cpu_enabled)) {
		ret = axvm_arch_cpu_enable();
		if (!ret)
			this_cpu_write(axvm_cpu_enabled, true);
	}
	local_irq_restore(flags);
	if (ret)
		pr_err("CPU %u: cannot enable %s virtualization: %d\n", cpu,
		       axvm_info.name, ret);
	return ret;
}

static int axvm_cpu_offline(unsigned int cpu)
{
	axvm_cpu_disable_local();
	return 0;
}

int axvm_cpus_take_over(void)
{
	int ret;

	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "axvm/cpu:online",
				axvm_cpu_online, axvm_cpu_offline);
	if (ret < 0) {
		pr_err("virtualization not enabled on every CPU (%d); none left enabled\n",
		       ret);
		return ret;
	}
	axvm_cpuhp_state = ret;
	return 0;
}

void axvm_cpus_give_back(void)
{
	cpuhp_remove_state(axvm_cpuhp_state);
}

static void axvm_cpu_disable_ipi(void *unused)
{
	axvm_cpu_disable_local();
}

/*
 * Reboot, power-off and kexec all pass through the reboot notifiers; leave
 * every CPU as the next kernel or the firmware expects it.
 */
static int axvm_reboot(struct notifier_block *nb, unsigned long code,
		       void *unused)
{
	WRITE_ONCE(axvm_rebooting, true);
	on_each_cpu(axvm_cpu_disable_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block axvm_reboot_nb = {
	.notifier_call = axvm_reboot,
	.priority = 0,
};

int axvm_cpus_reboot_notifier_register(void)
{
	return register_reboot_notifier(&axvm_reboot_nb);
}

void axvm_cpus_reboot_notifier_unregister(void)
{
	unregister_reboot_notifier(&axvm_reboot_nb);
}
