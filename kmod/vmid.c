// SPDX-License-Identifier: GPL-2.0
/*
 * VMIDs (ASIDs on x86) tagged with a generation. A VM takes the next free
 * number of the current generation on its first entry; when the numbers
 * run out, the generation moves on, every CPU forgets all tagged TLB
 * entries and each VM takes a fresh number on its next entry. Numbers are
 * never handed out twice in one generation, so a VM never meets another
 * VM's stale TLB entries.
 */
#include <linux/module.h>
#include <linux/smp.h>
#include <linux/spinlock.h>

#include "axvm.h"

static DEFINE_SPINLOCK(axvm_vmid_lock);
static atomic64_t axvm_vmid_generation = ATOMIC64_INIT(1);
static u64 axvm_vmid_next = 1;		/* 0 stays reserved for the host */
static unsigned int axvm_vmid_hw_bits;

/* A smaller space than the hardware's, so that tests reach a rollover. */
static unsigned int vmid_bits = 32;
module_param(vmid_bits, uint, 0644);
MODULE_PARM_DESC(vmid_bits, "use at most this many VMID/ASID bits");

static unsigned long vmid_rollovers;
module_param(vmid_rollovers, ulong, 0444);
MODULE_PARM_DESC(vmid_rollovers, "VMID/ASID generations used up so far");

/* Cleared when the backend runs every VM under one VMID instead. */
static bool vmid_alloc = true;
module_param(vmid_alloc, bool, 0444);
MODULE_PARM_DESC(vmid_alloc, "VMIDs/ASIDs handed out per VM (N: all VMs share one)");

void axvm_vmid_setup(unsigned int bits)
{
	axvm_vmid_hw_bits = bits;
}

void axvm_vmid_shared(void)
{
	vmid_alloc = false;
}

static u64 axvm_vmid_max(void)
{
	unsigned int bits = clamp(READ_ONCE(vmid_bits), 1U,
				  min(axvm_vmid_hw_bits, 32U));

	return BIT_ULL(bits) - 1;
}

bool axvm_vmid_current(const struct axvm_vmid *vmid)
{
	return (atomic64_read(&vmid->gen_id) >> 32) ==
	       atomic64_read(&axvm_vmid_generation);
}

static void axvm_vmid_forget_all(void *unused)
{
	axvm_arch_vmid_rollover();
}

u32 axvm_vmid_update(struct axvm_vmid *vmid)
{
	u64 gen, gen_id;

	if (axvm_vmid_current(vmid))
		return (u32)atomic64_read(&vmid->gen_id);

	spin_lock(&axvm_vmid_lock);
	gen = atomic64_read(&axvm_vmid_generation);
	gen_id = atomic64_read(&vmid->gen_id);
	/* Another vCPU of the VM may have been first. */
	if (gen_id >> 32 == gen)
		goto out;

	if (axvm_vmid_next > axvm_vmid_max()) {
		atomic64_set(&axvm_vmid_generation, ++gen);
		axvm_vmid_next = 1;
		vmid_rollovers++;
		/*
		 * A guest still running with an old number leaves the guest
		 * to take this IPI, and a CPU about to enter one sees the new
		 * generation with interrupts off: when this returns, nothing
		 * runs with an old number and no TLB holds one.
		 */
		on_each_cpu(axvm_vmid_forget_all, NULL, 1);
	}
	gen_id = gen << 32 | axvm_vmid_next++;
	atomic64_set(&vmid->gen_id, gen_id);
out:
	spin_unlock(&axvm_vmid_lock);
	return (u32)gen_id;
}
