/* SPDX-License-Identifier: GPL-2.0 */
/* Generic axvm objects: the module, a VM, a vCPU, a memory region. */
#ifndef AXVM_H
#define AXVM_H

#include <linux/cpumask.h>
#include <linux/kref.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/axvm.h>

#include "axvm_arch.h"
#include "compat.h"

#define AXVM_MAX_VCPUS		64
#define AXVM_MAX_VCPU_ID	256
#define AXVM_MAX_MEM_REGIONS	32
#define AXVM_MAX_IRQS		1024

extern struct axvm_arch_info axvm_info;

/* kmod/cpu.c: virtualization on every online CPU. */
int axvm_cpus_take_over(void);
void axvm_cpus_give_back(void);
int axvm_cpus_reboot_notifier_register(void);
void axvm_cpus_reboot_notifier_unregister(void);
bool axvm_cpus_rebooting(void);

/*
 * One guest-physical range of the VM process's memory. Published under
 * SRCU and never changed after: a move or a flags change publishes a
 * copy.
 */
struct axvm_mem_region {
	u32 slot;
	u32 flags;		/* AXVM_MEM_* */
	u64 gpa;
	u64 size;
	u64 uaddr;
	unsigned long npages;
	/* AXVM_MEM_LOG_DIRTY: a bit per page the guest wrote, else NULL. */
	unsigned long *dirty;
	/* AXVM_MEM_USER_FAULT: a bit per page AXVM_POPULATE made ready. */
	unsigned long *populated;
};

/* kmod/stage2.c: a stage-2 table in a backend's format. */
struct axvm_s2 {
	const struct axvm_s2_format *fmt;
	u64 *root;
};

/* Table pages for one walk under mmu_lock, allocated before it. */
#define AXVM_S2_CACHE_PAGES	4	/* five-level NPT: four below the root */
struct axvm_s2_cache {
	unsigned int n;
	void *pages[AXVM_S2_CACHE_PAGES];
};

int axvm_s2_init(struct axvm_s2 *s2, const struct axvm_s2_format *fmt);
void axvm_s2_destroy(struct axvm_s2 *s2);
int axvm_s2_cache_topup(struct axvm_s2_cache *cache);
void axvm_s2_cache_free(struct axvm_s2_cache *cache);
/*
 * Map @pa at @gpa, a page or with @block a 2 MiB block. 0 (an entry that
 * is there stays, gaining write when asked: *@flush then set); -ENOSPC
 * when a table is missing and @cache is empty; -EEXIST for a block over
 * tables, or where the format has none.
 */
int axvm_s2_map(struct axvm_s2 *s2, struct axvm_s2_cache *cache, u64 gpa,
		phys_addr_t pa, bool writable, bool block, bool *flush);
int axvm_s2_map_device(struct axvm_s2 *s2, struct axvm_s2_cache *cache,
		       u64 gpa, phys_addr_t pa);
/*
 * Leaves in [start, end), blocks that reach into it whole: true when one
 * was there (the caller flushes the TLBs). unmap() removes them, and
 * with @freed takes out the tables it leaves empty, to be freed after
 * the flush; wrprotect() clears write and removes blocks (dirty
 * logging is 4 KiB); mapped() changes nothing.
 */
bool axvm_s2_unmap(struct axvm_s2 *s2, u64 start, u64 end,
		   struct list_head *freed);
bool axvm_s2_wrprotect(struct axvm_s2 *s2, u64 start, u64 end);
bool axvm_s2_mapped(struct axvm_s2 *s2, u64 start, u64 end);
void axvm_s2_free_tables(struct list_head *freed);

struct axvm_vm {
	struct kref ref;
	struct mm_struct *mm;		/* owner; grabbed, not pinned */

	struct mutex lock;		/* vCPU creation, arch_id, vCPUs' pin */
	struct xarray vcpus;		/* id -> struct axvm_vcpu */
	unsigned int nr_vcpus;		/* created and being created */

	/* Region changes; readers use srcu (kmod/memory.c). */
	struct mutex mem_lock;
	struct srcu_struct srcu;
	struct axvm_mem_region __rcu *regions[AXVM_MAX_MEM_REGIONS];

	/*
	 * mmu_lock: s2 and the invalidation state. The notifier counts an
	 * invalidation in progress from its start to its end and bumps the
	 * sequence at the end; a fault that saw either change retries.
	 */
	spinlock_t mmu_lock;
	struct axvm_s2 s2;		/* fmt NULL: no stage 2 */
	unsigned long mmu_seq;
	unsigned int mmu_inval;
	struct mmu_notifier mn;		/* on mm (kmod/mmu_notifier.c) */

	/* AXVM_IRQCHIP_* once created (under lock), 0: none. */
	u32 irqchip;
	u32 irqchip_lines;

	/*
	 * AXVM_CAP_USER_IPI enabled (under lock, before any vCPU): the
	 * backend turns the IPIs vCPUs send into AXVM_EXIT_IPI.
	 */
	bool user_ipi;

	/* AXVM_SET_HYPERCALL_FILTER's ranges, sorted; fixed once vCPUs exist. */
	struct axvm_hypercall_filter *hc_ranges;
	unsigned int hc_nr;

	void *arch;			/* owned by kmod/arch */
};

enum axvm_vcpu_flag_bits {
	AXVM_VCPU_RUNNING,		/* a thread is inside RUN */
	/* Its fd is being handed out: a destroy is no rollback any more. */
	AXVM_VCPU_CREATED,
};

/* axvm_vcpu.mode: whether a kick needs an IPI to reach the vCPU. */
enum axvm_vcpu_mode {
	AXVM_VCPU_OUTSIDE_GUEST,
	AXVM_VCPU_IN_GUEST,		/* between guest_enter and guest_exit */
};

/* What RUN last did to a thread's CPU mask (kmod/pin.c), under vm->lock. */
struct axvm_vcpu_pin {
	pid_t pid;			/* the thread, 0: none yet */
	u64 start_time;
	pid_t tgid;			/* its process */
	u64 leader_start_time;
	cpumask_var_t base;		/* its mask before RUN narrowed it */
	cpumask_var_t set;		/* the mask RUN gave it */
};

struct axvm_vcpu {
	struct axvm_vm *vm;		/* holds a reference */
	u32 id;
	u64 arch_id;
	u32 setup;			/* AXVM_VCPU_* creation flags */
	cpumask_var_t affinity;
	struct axvm_vcpu_pin pin;

	unsigned long flags;		/* enum axvm_vcpu_flag_bits */
	struct mutex mutex;		/* state below, arch state */
	struct axvm_run *run;		/* the page shared with userspace */
	struct axvm_exit_stats stats;

	spinlock_t irq_lock;		/* irq_pending */
	unsigned long *irq_pending;	/* axvm_info.nr_irqs bits */

	int mode;			/* enum axvm_vcpu_mode */
	bool blocked;			/* asleep in axvm_vcpu_block() */
	int cpu;			/* where it last entered the guest */
	wait_queue_head_t wq;		/* a halted vCPU sleeps here */

	void *arch;			/* owned by kmod/arch */
};

/* kmod/vm.c */
int axvm_vm_create(unsigned long flags);
void axvm_vm_put(struct axvm_vm *vm);
int axvm_vm_check_owner(struct axvm_vm *vm);

/* kmod/irqchip.c: the VM ioctls of the in-kernel interrupt controller. */
int axvm_irqchip_create(struct axvm_vm *vm, void __user *argp);
int axvm_irqchip_line(struct axvm_vm *vm, void __user *argp);
int axvm_irqchip_msi(struct axvm_vm *vm, void __user *argp);

/* kmod/enable_cap.c: AXVM_ENABLE_CAP. */
int axvm_vm_enable_cap(struct axvm_vm *vm, void __user *argp);

/* kmod/hypercall.c: AXVM_SET_HYPERCALL_FILTER, at most this many ranges. */
#define AXVM_HYPERCALL_MAX_RANGES	128
int axvm_hypercall_set_filter(struct axvm_vm *vm, void __user *argp);
void axvm_hypercall_free(struct axvm_vm *vm);

/* kmod/vcpu.c */
int axvm_vcpu_create(struct axvm_vm *vm, const struct axvm_vcpu_create *cfg);
int axvm_vcpu_lock(struct axvm_vcpu *vcpu);

/* kmod/vcpu_state.c: AXVM_GET_VCPU_STATE, AXVM_SET_VCPU_STATE. */
int axvm_vcpu_get_state(struct axvm_vcpu *vcpu, void __user *argp);
int axvm_vcpu_set_state(struct axvm_vcpu *vcpu, void __user *argp);

/* kmod/translate.c: AXVM_TRANSLATE. */
int axvm_vcpu_translate(struct axvm_vcpu *vcpu, void __user *argp);

/* kmod/pin.c: the RUN thread's CPU mask, inside its cpuset. */
int axvm_pin_init(struct axvm_vcpu_pin *pin);
void axvm_pin_free(struct axvm_vcpu_pin *pin);
int axvm_vcpu_pin(struct axvm_vcpu *vcpu);
bool axvm_vcpu_bound(struct axvm_vcpu *vcpu, bool *pinned);

/* kmod/memory.c */
int axvm_mem_init(struct axvm_vm *vm);
int axvm_mem_set_region(struct axvm_vm *vm,
			const struct axvm_memory_region *req);
void axvm_mem_free_all(struct axvm_vm *vm);
struct axvm_mem_region *axvm_mem_find(struct axvm_vm *vm, u64 gpa);
struct axvm_mem_region *axvm_mem_slot(struct axvm_vm *vm, u32 i);
/*
 * Under mmu_lock: stage-2 entries of [start, end) removed and flushed;
 * true when there were any.
 */
bool axvm_mem_zap(struct axvm_vm *vm, u64 start, u64 end);

/* kmod/dirty_log.c: AXVM_GET_DIRTY_LOG. */
int axvm_dirty_log_get(struct axvm_vm *vm, void __user *argp);

/* kmod/populate.c: AXVM_POPULATE, for AXVM_MEM_USER_FAULT regions. */
int axvm_mem_populate(struct axvm_vm *vm, void __user *argp);

/* kmod/mmu_notifier.c: the VM's stage 2 follows its process's mm. */
int axvm_mmu_notifier_register(struct axvm_vm *vm);
void axvm_mmu_notifier_unregister(struct axvm_vm *vm);

#if !IS_ENABLED(CONFIG_MMU_NOTIFIER)
#error "axvm needs CONFIG_MMU_NOTIFIER (KVM selects it)"
#endif

#endif /* AXVM_H */
