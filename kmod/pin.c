// SPDX-License-Identifier: GPL-2.0
/*
 * Which CPUs the thread inside RUN may use: the vCPU's affinity, but
 * only inside the thread's own mask. A thread's own mask is what its
 * cpuset, isolcpus and sched_setaffinity() left it: the cpuset code
 * rewrites it when the set changes and sched_setaffinity() keeps it
 * inside the set. set_cpus_allowed_ptr() checks neither, so RUN never
 * widens a mask, only narrows it, as sched_setaffinity() intersects
 * with the cpuset.
 *
 * RUN's narrowing stays after it returns (the vCPU thread stays on its
 * CPUs), and threads created afterwards inherit it, so the mask a thread
 * has may be one a vCPU gave. Each vCPU remembers the thread it last
 * pinned, the mask that thread had before (base) and the mask it got
 * (set). A thread of the same process whose mask is one some vCPU of
 * this VM set is narrowed again from that base: one thread may run
 * several vCPUs in turn, and a thread started by a pinned one is not
 * stuck on its parent's CPUs. Any other mask was set by someone else
 * (the VMM, the administrator, a cpuset change, the scheduler after
 * hotplug) and is the thread's own from now on. (A mask set by someone
 * else to exactly one a vCPU gave cannot be told apart.)
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/cpumask.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "axvm.h"

/* On a zeroed pin; axvm_pin_free() undoes a failed one too. */
int axvm_pin_init(struct axvm_vcpu_pin *pin)
{
	if (!zalloc_cpumask_var(&pin->base, GFP_KERNEL_ACCOUNT) ||
	    !zalloc_cpumask_var(&pin->set, GFP_KERNEL_ACCOUNT))
		return -ENOMEM;
	return 0;
}

void axvm_pin_free(struct axvm_vcpu_pin *pin)
{
	free_cpumask_var(pin->set);
	free_cpumask_var(pin->base);
}

/* pid and start time: a pid alone may belong to a new thread by now. */
static bool axvm_pin_is_current(const struct axvm_vcpu_pin *pin)
{
	return pin->pid == current->pid &&
	       pin->start_time == current->start_time;
}

static bool axvm_pin_same_process(const struct axvm_vcpu_pin *pin)
{
	return pin->pid && pin->tgid == current->tgid &&
	       pin->leader_start_time == current->group_leader->start_time;
}

/* Under vm->lock: the mask the calling thread had before axvm's. */
static const struct cpumask *axvm_pin_base(struct axvm_vm *vm)
{
	struct axvm_vcpu *other;
	unsigned long idx;

	xa_for_each(&vm->vcpus, idx, other) {
		if (axvm_pin_same_process(&other->pin) &&
		    cpumask_equal(current->cpus_ptr, other->pin.set))
			return other->pin.base;
	}
	return current->cpus_ptr;
}

/*
 * Whether the thread RUN last pinned still exists and still has the CPUs
 * it got (no one re-pinned it): the vCPU is bound to it. *@pinned: a RUN
 * ever pinned a thread. A snapshot, for AXVM_GET_VCPU_STATE.
 */
bool axvm_vcpu_bound(struct axvm_vcpu *vcpu, bool *pinned)
{
	struct axvm_vcpu_pin *pin = &vcpu->pin;
	struct task_struct *t;
	bool bound = false;

	mutex_lock(&vcpu->vm->lock);
	*pinned = pin->pid;
	if (pin->pid) {
		rcu_read_lock();
		/* task->pid is the init namespace's, as pin->pid. */
		t = pid_task(find_pid_ns(pin->pid, &init_pid_ns), PIDTYPE_PID);
		/* PF_EXITING: set before the exit wakes pthread_join(). */
		bound = t && t->start_time == pin->start_time &&
			!(t->flags & PF_EXITING) &&
			cpumask_equal(t->cpus_ptr, pin->set);
		rcu_read_unlock();
	}
	mutex_unlock(&vcpu->vm->lock);
	return bound;
}

/*
 * Called at every RUN. The fast path is a thread still on the mask this
 * vCPU gave it. EINVAL when the vCPU's affinity and the thread's own
 * mask have no online CPU in common (sched_setaffinity()'s errno for a
 * mask outside the cpuset).
 */
int axvm_vcpu_pin(struct axvm_vcpu *vcpu)
{
	struct axvm_vcpu_pin *pin = &vcpu->pin;
	struct axvm_vm *vm = vcpu->vm;
	cpumask_var_t base, want;
	int ret;

	if (axvm_pin_is_current(pin) &&
	    cpumask_equal(current->cpus_ptr, pin->set))
		return 0;
	if (!alloc_cpumask_var(&base, GFP_KERNEL))
		return -ENOMEM;
	if (!alloc_cpumask_var(&want, GFP_KERNEL)) {
		free_cpumask_var(base);
		return -ENOMEM;
	}

	mutex_lock(&vm->lock);
	cpumask_copy(base, axvm_pin_base(vm));
	if (!cpumask_and(want, base, vcpu->affinity) ||
	    !cpumask_intersects(want, cpu_online_mask)) {
		ret = -EINVAL;
		goto out;
	}
	ret = set_cpus_allowed_ptr(current, want);
	if (ret)
		goto out;
	pin->pid = current->pid;
	pin->start_time = current->start_time;
	pin->tgid = current->tgid;
	pin->leader_start_time = current->group_leader->start_time;
	cpumask_copy(pin->base, base);
	cpumask_copy(pin->set, want);
out:
	mutex_unlock(&vm->lock);
	free_cpumask_var(want);
	free_cpumask_var(base);
	return ret;
}
