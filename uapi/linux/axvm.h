/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * axvm: the /dev/axvm ioctl interface.
 *
 * Three kinds of file descriptor carry the API: /dev/axvm itself (system
 * ioctls), a VM fd (from AXVM_CREATE_VM) and a vCPU fd (from
 * AXVM_CREATE_VCPU). Documentation/api.rst describes every ioctl, struct
 * and errno.
 */
#ifndef _UAPI_LINUX_AXVM_H
#define _UAPI_LINUX_AXVM_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Bumped on every incompatible change; additions are announced by caps. */
#define AXVM_API_VERSION	1

#define AXVMIO			0xB8

/* Values of AXVM_CAP_ARCH. */
#define AXVM_ARCH_X86_VMX	1
#define AXVM_ARCH_X86_SVM	2
#define AXVM_ARCH_ARM64		3
#define AXVM_ARCH_RISCV64	4

/* Capabilities, queried with AXVM_CHECK_CAP; 0 means "not supported". */
#define AXVM_CAP_ARCH			1	/* an AXVM_ARCH_* value */
#define AXVM_CAP_RUN			2	/* 1 when this backend enters guests */
#define AXVM_CAP_MAX_VCPUS		3	/* vCPUs per VM */
#define AXVM_CAP_MAX_VCPU_ID		4	/* highest vCPU id + 1 */
#define AXVM_CAP_NR_MEM_REGIONS		5	/* memory region slots per VM */
#define AXVM_CAP_READONLY_MEM		6	/* AXVM_MEM_READONLY works */
#define AXVM_CAP_GUEST_PHYS_BITS	7	/* guest physical address bits */
#define AXVM_CAP_EXIT_STATS		8	/* counters in AXVM_GET_EXIT_STATS */
#define AXVM_CAP_NR_IRQS		9	/* INJECT_IRQ accepts irq < value */
#define AXVM_CAP_IMMEDIATE_EXIT		10	/* axvm_run.immediate_exit */
#define AXVM_CAP_CPUID			11	/* x86: entries of AXVM_SET_CPUID */
#define AXVM_CAP_IRQCHIP		12	/* bit 1 << AXVM_IRQCHIP_* per type */
#define AXVM_CAP_HYPERCALL_FILTER	13	/* AXVM_SET_HYPERCALL_FILTER: ranges */
#define AXVM_CAP_DIRTY_LOG		14	/* AXVM_MEM_LOG_DIRTY works */
#define AXVM_CAP_USER_FAULT		15	/* AXVM_MEM_USER_FAULT works */
#define AXVM_CAP_VCPU_FLAGS		16	/* axvm_vcpu_create.flags taken */
#define AXVM_CAP_USER_IPI		17	/* 1: AXVM_ENABLE_CAP takes it */

/* System ioctls, on the /dev/axvm fd. */
#define AXVM_GET_API_VERSION	_IO(AXVMIO, 0x00)
#define AXVM_CHECK_CAP		_IO(AXVMIO, 0x01)	/* arg: AXVM_CAP_* */
#define AXVM_CREATE_VM		_IO(AXVMIO, 0x02)	/* arg: 0 */
#define AXVM_GET_VCPU_MMAP_SIZE	_IO(AXVMIO, 0x03)

/*
 * A memory region maps [userspace_addr, userspace_addr + size) of the
 * calling process into guest physical memory at guest_phys_addr. All three
 * must be page aligned. size == 0 deletes the slot; an existing slot may
 * only be moved (new guest_phys_addr) and have AXVM_MEM_LOG_DIRTY turned
 * on or off: changing its size, memory or other flags is EINVAL (as KVM
 * refuses to flip KVM_MEM_READONLY on a live slot). The memory is not
 * pinned: the guest sees what the process's mapping holds at each access
 * (see Documentation/api.rst).
 */
#define AXVM_MEM_READONLY	0x1U	/* guest writes exit as MMIO */
#define AXVM_MEM_LOG_DIRTY	0x2U	/* AXVM_GET_DIRTY_LOG reports writes */
/* A page's first access exits (NESTED_PAGE_FAULT) until AXVM_POPULATE. */
#define AXVM_MEM_USER_FAULT	0x4U
#define AXVM_MEM_FLAGS		(AXVM_MEM_READONLY | AXVM_MEM_LOG_DIRTY | \
				 AXVM_MEM_USER_FAULT)

struct axvm_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 size;
	__u64 userspace_addr;
};

/**
 * struct axvm_dirty_log - AXVM_GET_DIRTY_LOG: the pages a region's guest wrote
 * @slot: a region with AXVM_MEM_LOG_DIRTY
 * @flags: must be 0
 * @bitmap: user address of the bitmap the call fills: 64-bit words, bit
 *	(n % 64) of word n / 64 set when page n of the region was written
 *	since the previous call (or since logging began); the call clears
 *	what it reports
 */
struct axvm_dirty_log {
	__u32 slot;
	__u32 flags;
	__u64 bitmap;
};

/**
 * struct axvm_populate - AXVM_POPULATE: pages of a user-fault region ready
 * @slot: a region with AXVM_MEM_USER_FAULT
 * @flags: must be 0
 * @offset: the first byte, from the region's start, page aligned
 * @size: bytes, page aligned, at least one page, within the region
 *
 * From the call on, guest accesses to those pages are handled in the
 * kernel (the memory is what the process's mapping holds) and no longer
 * exit with AXVM_EXIT_NESTED_PAGE_FAULT.
 */
struct axvm_populate {
	__u32 slot;
	__u32 flags;
	__u64 offset;
	__u64 size;
};

/* A physical-CPU affinity mask: bit n of mask[n / 64] is CPU n. */
#define AXVM_AFFINITY_WORDS	16

/*
 * axvm_vcpu_create.flags. AXVM_VCPU_PASSTHROUGH_TIMER, arm64: the guest
 * owns the EL1 physical timer (CNTP_*), its accesses do not trap.
 */
#define AXVM_VCPU_PASSTHROUGH_TIMER	0x1

struct axvm_vcpu_create {
	__u32 id;		/* unique in the VM, < AXVM_CAP_MAX_VCPU_ID */
	__u32 flags;		/* AXVM_VCPU_*, of AXVM_CAP_VCPU_FLAGS */
	/*
	 * The guest-visible CPU identity: MPIDR_EL1 affinity bits on arm64,
	 * the hart id on riscv64, the APIC id on x86.
	 */
	__u64 arch_id;
	/* All zero: the module's default (see Documentation/api.rst). */
	__u64 affinity[AXVM_AFFINITY_WORDS];
};

/* VM ioctls, on a VM fd. */
#define AXVM_SET_MEMORY_REGION	_IOW(AXVMIO, 0x10, struct axvm_memory_region)
#define AXVM_CREATE_VCPU	_IOW(AXVMIO, 0x11, struct axvm_vcpu_create)
#define AXVM_CREATE_IRQCHIP	_IOW(AXVMIO, 0x12, struct axvm_irqchip)
#define AXVM_IRQ_LINE		_IOW(AXVMIO, 0x13, struct axvm_irq_line)
#define AXVM_SIGNAL_MSI		_IOW(AXVMIO, 0x14, struct axvm_msi)
#define AXVM_SET_HYPERCALL_FILTER \
	_IOW(AXVMIO, 0x15, struct axvm_hypercall_filter)
#define AXVM_GET_DIRTY_LOG	_IOW(AXVMIO, 0x16, struct axvm_dirty_log)
#define AXVM_POPULATE		_IOW(AXVMIO, 0x17, struct axvm_populate)
#define AXVM_ENABLE_CAP		_IOW(AXVMIO, 0x18, struct axvm_enable_cap)

/**
 * struct axvm_enable_cap - turn on a VM capability (AXVM_ENABLE_CAP)
 * @cap: the AXVM_CAP_* to enable; those AXVM_CHECK_CAP reports as 1
 *	here and api.rst names as enabled per VM
 * @flags: must be 0
 * @args: the capability's arguments; unused ones must be 0
 *
 * AXVM_CAP_USER_IPI (no arguments): the IPIs a vCPU sends are
 * AXVM_EXIT_IPI exits that the VMM delivers with AXVM_INJECT_IRQ. Enabled
 * before the first vCPU, in a VM without an in-kernel irqchip.
 */
struct axvm_enable_cap {
	__u32 cap;
	__u32 flags;
	__u64 args[4];
};

/*
 * The VM's in-kernel interrupt controller, created once and before any
 * vCPU. Its registers, its timers and the IPIs between vCPUs are handled
 * in the module; devices drive its input lines with AXVM_IRQ_LINE.
 *  AXVM_IRQCHIP_GICV3: arm64 GICv3; base[0]/size[0] the distributor
 *      (64 KiB), base[1]/size[1] the redistributors, one 128 KiB frame
 *      per vCPU id; nr_irqs SPIs (INTID 32 + n for line n).
 *  AXVM_IRQCHIP_PLIC: riscv64 PLIC; base[0]/size[0] its registers (a
 *      context per hart: 2 * hart id M-mode, 2 * hart id + 1 S-mode);
 *      nr_irqs sources, line n is source n (source 0 does not exist).
 *  AXVM_IRQCHIP_X86: x86 local APIC per vCPU at 0xfee00000, I/O APIC at
 *      base[0] (size[0] 4 KiB), 8259 PICs and 8254 PIT; nr_irqs GSIs
 *      (I/O APIC pins; lines 0-15 also drive the PICs).
 *  AXVM_IRQCHIP_GICV2: arm64 GICv2, on hosts whose GIC is one; base[0]/
 *      size[0] the distributor (4 or 64 KiB), base[1]/size[1] the CPU
 *      interface (8 KiB, the host's GICV frame); vCPU ids 0-7 are its
 *      CPU interfaces; nr_irqs SPIs (INTID 32 + n for line n).
 * Unused base/size entries and reserved must be 0.
 */
#define AXVM_IRQCHIP_GICV3	1
#define AXVM_IRQCHIP_PLIC	2
#define AXVM_IRQCHIP_X86	3
#define AXVM_IRQCHIP_GICV2	4

struct axvm_irqchip {
	__u32 type;		/* AXVM_IRQCHIP_* */
	__u32 nr_irqs;		/* device input lines */
	__u64 base[2];		/* guest-physical addresses */
	__u64 size[2];
	__u64 reserved[4];
};

/* Drive an input line of the in-kernel irqchip: level 1 high, 0 low. */
struct axvm_irq_line {
	__u32 irq;
	__u32 level;
};

/* x86: a message-signalled interrupt, as a device writes it. */
struct axvm_msi {
	__u64 address;		/* 0xfeeXXXXX */
	__u32 data;
	__u32 flags;		/* must be 0 */
};

/**
 * struct axvm_hypercall_filter - who answers a range of hypercalls
 * @base: the first function id (arm64: SMCCC, the value of W0)
 * @nr: how many ids from @base, at least 1
 * @action: AXVM_HYPERCALL_KERNEL, _DENY or _USER
 * @flags: must be 0
 *
 * arm64 only (AXVM_CAP_HYPERCALL_FILTER). Without a range, a call is the
 * kernel's: answered where the kernel implements it, NOT_SUPPORTED (-1)
 * otherwise. DENY answers NOT_SUPPORTED without looking further; USER
 * makes it an AXVM_EXIT_HYPERCALL. Set before the VM's first vCPU.
 */
struct axvm_hypercall_filter {
	__u32 base;
	__u32 nr;
	__u32 action;
	__u32 flags;
};

#define AXVM_HYPERCALL_KERNEL	0
#define AXVM_HYPERCALL_DENY	1
#define AXVM_HYPERCALL_USER	2

/*
 * General registers and program counter. Layout by architecture:
 *  x86:     gpr[0..15] = RAX RCX RDX RBX RSP RBP RSI RDI R8..R15,
 *           pc = RIP, pstate = RFLAGS; gpr[16..31] must be 0.
 *  arm64:   gpr[0..30] = X0..X30, gpr[31] = SP_EL1 (the stack of the
 *           guest kernel; SP_EL0 is a system register), pc = PC,
 *           pstate = PSTATE (SPSR_EL2 format).
 *  riscv64: gpr[n] = x<n> (gpr[0] reads 0, writes must be 0), pc = sepc
 *           of the guest, pstate must be 0.
 */
struct axvm_regs {
	__u64 gpr[32];
	__u64 pc;
	__u64 pstate;
	__u64 reserved[6];	/* must be 0 */
};

/*
 * One system register, by id:
 *  arm64:   AXVM_SYSREG_ARM64(op0, op1, crn, crm, op2) (the MRS encoding)
 *  riscv64: AXVM_SYSREG_RISCV_CSR(csr number)
 *  x86:     AXVM_SYSREG_X86_MSR(msr index) or an AXVM_SYSREG_X86_* id.
 */
#define AXVM_SYSREG_CLASS_SHIFT		56
#define AXVM_SYSREG_CLASS_ARM64		(0x1ULL << AXVM_SYSREG_CLASS_SHIFT)
#define AXVM_SYSREG_CLASS_RISCV_CSR	(0x2ULL << AXVM_SYSREG_CLASS_SHIFT)
#define AXVM_SYSREG_CLASS_X86_MSR	(0x3ULL << AXVM_SYSREG_CLASS_SHIFT)
#define AXVM_SYSREG_CLASS_X86		(0x4ULL << AXVM_SYSREG_CLASS_SHIFT)
#define AXVM_SYSREG_CLASS_ARM64_FP	(0x5ULL << AXVM_SYSREG_CLASS_SHIFT)
#define AXVM_SYSREG_CLASS_RISCV_FP	(0x6ULL << AXVM_SYSREG_CLASS_SHIFT)

#define AXVM_SYSREG_ARM64(op0, op1, crn, crm, op2)			\
	(AXVM_SYSREG_CLASS_ARM64 | ((__u64)(op0) << 14) |		\
	 ((__u64)(op1) << 11) | ((__u64)(crn) << 7) |			\
	 ((__u64)(crm) << 3) | (__u64)(op2))
/* arm64 V<n>, 128 bits: @half 0 is bits 0-63, 1 bits 64-127. */
#define AXVM_SYSREG_ARM64_V(n, half)					\
	(AXVM_SYSREG_CLASS_ARM64_FP | (((__u64)(n) & 31) << 1) |	\
	 ((__u64)(half) & 1))
/* riscv64 f<n>, 64 bits (fcsr is AXVM_SYSREG_RISCV_CSR(3)). */
#define AXVM_SYSREG_RISCV_F(n)						\
	(AXVM_SYSREG_CLASS_RISCV_FP | ((__u64)(n) & 31))
#define AXVM_SYSREG_RISCV_CSR(csr)					\
	(AXVM_SYSREG_CLASS_RISCV_CSR | ((__u64)(csr) & 0xfff))
#define AXVM_SYSREG_X86_MSR(index)					\
	(AXVM_SYSREG_CLASS_X86_MSR | ((__u64)(index) & 0xffffffffULL))

/* x86 registers that are not MSRs. Segments pack as described in api.rst. */
#define AXVM_SYSREG_X86_CR0	(AXVM_SYSREG_CLASS_X86 | 0x00)
#define AXVM_SYSREG_X86_CR2	(AXVM_SYSREG_CLASS_X86 | 0x02)
#define AXVM_SYSREG_X86_CR3	(AXVM_SYSREG_CLASS_X86 | 0x03)
#define AXVM_SYSREG_X86_CR4	(AXVM_SYSREG_CLASS_X86 | 0x04)
#define AXVM_SYSREG_X86_CR8	(AXVM_SYSREG_CLASS_X86 | 0x08)
#define AXVM_SYSREG_X86_EFER	(AXVM_SYSREG_CLASS_X86 | 0x10)
#define AXVM_SYSREG_X86_GDTR_BASE	(AXVM_SYSREG_CLASS_X86 | 0x20)
#define AXVM_SYSREG_X86_GDTR_LIMIT	(AXVM_SYSREG_CLASS_X86 | 0x21)
#define AXVM_SYSREG_X86_IDTR_BASE	(AXVM_SYSREG_CLASS_X86 | 0x22)
#define AXVM_SYSREG_X86_IDTR_LIMIT	(AXVM_SYSREG_CLASS_X86 | 0x23)
/* Debug registers 0-3, 6 and 7 (4 and 5 are not ids). */
#define AXVM_SYSREG_X86_DR(n)	(AXVM_SYSREG_CLASS_X86 | 0x30 | ((n) & 7))
/* seg: 0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS, 6 LDTR, 7 TR */
#define AXVM_SYSREG_X86_SEG_SEL(seg)	(AXVM_SYSREG_CLASS_X86 | 0x100 | (seg))
#define AXVM_SYSREG_X86_SEG_BASE(seg)	(AXVM_SYSREG_CLASS_X86 | 0x110 | (seg))
#define AXVM_SYSREG_X86_SEG_LIMIT(seg)	(AXVM_SYSREG_CLASS_X86 | 0x120 | (seg))
#define AXVM_SYSREG_X86_SEG_ATTR(seg)	(AXVM_SYSREG_CLASS_X86 | 0x130 | (seg))

struct axvm_sysreg {
	__u64 id;
	__u64 value;
};

/*
 * Interrupt injection. irq is a GIC INTID on arm64, an x86 vector on x86,
 * an hvip bit on riscv64 (2 VSSIP, 6 VSTIP, 10 VSEIP). AXVM_IRQ_LEVEL_HIGH raises the
 * line, its absence lowers it (edge-style sources raise it only).
 */
#define AXVM_IRQ_LEVEL_HIGH	0x1U
#define AXVM_IRQ_FLAGS		AXVM_IRQ_LEVEL_HIGH

struct axvm_irq {
	__u32 irq;
	__u32 flags;
};

/* Exit reasons, in axvm_run.exit_reason and as AXVM_GET_EXIT_STATS index. */
#define AXVM_EXIT_NONE			0	/* nothing (absorbed) */
#define AXVM_EXIT_MMIO			1
#define AXVM_EXIT_IO			2	/* x86 port I/O */
#define AXVM_EXIT_SYSREG		3
#define AXVM_EXIT_HYPERCALL		4
#define AXVM_EXIT_HALT			5
#define AXVM_EXIT_CPU_UP		6
#define AXVM_EXIT_CPU_DOWN		7
#define AXVM_EXIT_SYSTEM_DOWN		8
#define AXVM_EXIT_NESTED_PAGE_FAULT	9
#define AXVM_EXIT_FAIL_ENTRY		10
#define AXVM_EXIT_IPI			11
#define AXVM_EXIT_INTR			12	/* signal or immediate_exit */
#define AXVM_EXIT_INTERNAL_ERROR	13
/* Absorbed by the kernel: counted, never seen in exit_reason. */
#define AXVM_EXIT_EXTERNAL_INTERRUPT	14
#define AXVM_EXIT_STAGE2_FAULT		15	/* on guest RAM, mapped in */
#define AXVM_EXIT_REASONS		16

/* axvm_run.npf.flags: the access that faulted. */
#define AXVM_NPF_READ			0x1
#define AXVM_NPF_WRITE			0x2
#define AXVM_NPF_EXEC			0x4

/* axvm_run.system_down.type */
#define AXVM_SYSTEM_DOWN_POWEROFF	1
#define AXVM_SYSTEM_DOWN_RESET		2
#define AXVM_SYSTEM_DOWN_CRASH		3

/*
 * x86 AXVM_EXIT_FAIL_ENTRY: fail_entry.data when the kernel refused a
 * state the architecture does not define before the CPU saw it
 * (hardware_reason is then the CPU's own code for an invalid state: SVM
 * VMEXIT_INVALID, -1; VMX exit reason 33).
 */
#define AXVM_X86_BAD_CR0		1	/* reserved, NW w/o CD, PG w/o PE */
#define AXVM_X86_BAD_CR4		2	/* a bit the CPU lacks */
#define AXVM_X86_BAD_EFER		3	/* a bit a guest cannot set */
#define AXVM_X86_BAD_LONG_MODE		4	/* LME+PG w/o PAE or LMA; CS L+D */
#define AXVM_X86_BAD_CR3		5	/* long mode: above MAXPHYADDR */
#define AXVM_X86_BAD_LEGACY_MODE	6	/* LMA, CS.L or PCIDE w/o LME+PG */

/* axvm_run.internal.suberror */
#define AXVM_INTERNAL_UNHANDLED_EXIT	1	/* data[]: raw arch exit */
#define AXVM_INTERNAL_DECODE_FAILED	2	/* data[]: insn bytes, addr */

/*
 * The run page, shared with userspace by mmap() of the vCPU fd (offset 0,
 * AXVM_GET_VCPU_MMAP_SIZE bytes). The kernel writes exit_reason and the
 * union member it names when RUN returns; userspace writes the results of
 * an MMIO/IO read, a system-register read or a hypercall before the next
 * RUN, which completes the exit.
 */
struct axvm_run {
	/* in */
	__u8 immediate_exit;	/* RUN returns AXVM_EXIT_INTR at once */
	__u8 padding1[7];
	/* out */
	__u32 exit_reason;
	__u32 padding2;
	__u64 reserved[6];

	union {
		/* AXVM_EXIT_MMIO */
		struct {
			__u64 phys_addr;
			__u64 data;	/* write: value; read: filled by user */
			__u32 len;	/* 1, 2, 4 or 8 */
			__u8 is_write;
			__u8 sign_extend;
			__u8 reg;	/* guest register, informational */
			__u8 padding;
		} mmio;
		/* AXVM_EXIT_IO */
		struct {
			__u16 port;
			__u8 size;	/* 1, 2 or 4 */
			__u8 is_write;
			__u32 count;	/* 1: INS/OUTS exit once per element */
			__u64 data;	/* write: value; read: filled by user */
		} io;
		/* AXVM_EXIT_SYSREG */
		struct {
			__u64 id;	/* AXVM_SYSREG_* encoding */
			__u64 value;	/* write: value; read: filled by user */
			__u8 is_write;
			__u8 reg;
			__u8 padding[6];
		} sysreg;
		/* AXVM_EXIT_HYPERCALL */
		struct {
			__u64 nr;	/* x86 RAX, arm64 x0, riscv64 a7 (EID) */
			__u64 args[6];
			__u64 ret;	/* filled by user */
			__u64 fid;	/* riscv64: a6, the SBI function id */
			__u64 ret2;	/* riscv64: a1 (SBI value), by user */
		} hypercall;
		/* AXVM_EXIT_CPU_UP */
		struct {
			__u64 target;	/* arch_id of the vCPU to start */
			__u64 entry;
			__u64 arg;
			__u64 ret;	/* guest's result: preset 0, user may set */
		} cpu_up;
		/* AXVM_EXIT_CPU_DOWN */
		struct {
			__u64 state;
		} cpu_down;
		/* AXVM_EXIT_SYSTEM_DOWN */
		struct {
			__u32 type;	/* AXVM_SYSTEM_DOWN_* */
			__u32 padding;
			__u64 data;
		} system_down;
		/* AXVM_EXIT_NESTED_PAGE_FAULT */
		struct {
			__u64 gpa;	/* the address the guest accessed */
			__u64 flags;	/* AXVM_NPF_READ, _WRITE or _EXEC */
		} npf;
		/* AXVM_EXIT_FAIL_ENTRY */
		struct {
			__u64 hardware_reason;
			__u64 data;
		} fail_entry;
		/* AXVM_EXIT_IPI (AXVM_CAP_USER_IPI); per arch in api.rst */
		struct {
			__u64 target_cpu;	/* arch_id, or its base */
			__u64 target_cpu_aux;	/* a target mask, or more */
			__u8 send_to_all;	/* every vCPU but the sender */
			__u8 send_to_self;	/* the sender */
			__u8 padding[2];
			__u32 vector;		/* the AXVM_INJECT_IRQ number */
		} ipi;
		/* AXVM_EXIT_INTERNAL_ERROR */
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[16];
		} internal;
		__u8 padding3[256];
	};
};

/* Counters of every exit by reason, including absorbed ones. */
struct axvm_exit_stats {
	__u64 count[AXVM_EXIT_REASONS];
	__u64 runs;		/* RUN calls that entered the run loop */
	__u64 reserved[7];
};

/*
 * x86: the CPUID table a vCPU answers from. An entry matches its function
 * (EAX) and, with AXVM_CPUID_FLAG_INDEX, only that index (ECX).
 */
#define AXVM_CPUID_FLAG_INDEX	0x1U

struct axvm_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;		/* AXVM_CPUID_FLAG_* */
	__u32 eax;
	__u32 ebx;
	__u32 ecx;
	__u32 edx;
	__u32 padding;		/* must be 0 */
};

struct axvm_cpuid {
	__u32 nent;		/* entries (get: room, then how many) */
	__u32 flags;		/* must be 0 */
	__u64 entries;		/* user address of struct axvm_cpuid_entry[] */
};

/*
 * AXVM_GET_VCPU_STATE / AXVM_SET_VCPU_STATE. @state is the seed's vCPU
 * state (read only: SET ignores it); @power the architectural power
 * state, which SET changes (a restore), of those the arch has.
 */
#define AXVM_VCPU_STATE_CREATED		1	/* no RUN has bound a thread */
#define AXVM_VCPU_STATE_FREE		2	/* outside RUN, bound to none */
#define AXVM_VCPU_STATE_READY		3	/* outside RUN, a thread bound */
#define AXVM_VCPU_STATE_RUNNING		4	/* inside RUN */
#define AXVM_VCPU_STATE_BLOCKED		5	/* inside RUN, asleep */

#define AXVM_POWER_ON			0	/* runs: every arch */
#define AXVM_POWER_OFF			1	/* PSCI OFF, SBI HSM STOPPED */
#define AXVM_POWER_ON_PENDING		2	/* CPU_ON / hart_start made */
#define AXVM_POWER_HALTED		3	/* x86 irqchip: HLT */
#define AXVM_POWER_WAIT_SIPI		4	/* x86 irqchip: INIT received */
#define AXVM_POWER_SUSPENDED		5	/* SBI HSM SUSPENDED */

struct axvm_vcpu_state {
	__u32 state;		/* AXVM_VCPU_STATE_* */
	__u32 power;		/* AXVM_POWER_* */
	__u32 flags;		/* must be 0 */
	__u32 reserved;		/* must be 0 */
};

/*
 * AXVM_TRANSLATE: a guest virtual address through the vCPU's current
 * page tables. @flags (out) says what every level of the walk allows.
 */
#define AXVM_TRANSLATE_WRITE		0x1	/* writable by the kernel */
#define AXVM_TRANSLATE_USER		0x2	/* user mode reaches it */
#define AXVM_TRANSLATE_EXEC		0x4	/* kernel may execute it */

struct axvm_translation {
	__u64 gva;		/* in */
	__u64 gpa;		/* out */
	__u32 flags;		/* out: AXVM_TRANSLATE_* */
	__u32 reserved;		/* must be 0 */
};

/* vCPU ioctls, on a vCPU fd. */
#define AXVM_RUN		_IO(AXVMIO, 0x20)
#define AXVM_GET_REGS		_IOR(AXVMIO, 0x21, struct axvm_regs)
#define AXVM_SET_REGS		_IOW(AXVMIO, 0x22, struct axvm_regs)
#define AXVM_GET_SYSREG		_IOWR(AXVMIO, 0x23, struct axvm_sysreg)
#define AXVM_SET_SYSREG		_IOW(AXVMIO, 0x24, struct axvm_sysreg)
#define AXVM_INJECT_IRQ		_IOW(AXVMIO, 0x25, struct axvm_irq)
#define AXVM_GET_EXIT_STATS	_IOR(AXVMIO, 0x26, struct axvm_exit_stats)
#define AXVM_SET_CPUID		_IOW(AXVMIO, 0x27, struct axvm_cpuid)
#define AXVM_GET_CPUID		_IOWR(AXVMIO, 0x28, struct axvm_cpuid)
#define AXVM_NMI		_IO(AXVMIO, 0x29)	/* arg: 0; x86 */
#define AXVM_GET_VCPU_STATE	_IOR(AXVMIO, 0x2a, struct axvm_vcpu_state)
#define AXVM_SET_VCPU_STATE	_IOW(AXVMIO, 0x2b, struct axvm_vcpu_state)
#define AXVM_TRANSLATE		_IOWR(AXVMIO, 0x2c, struct axvm_translation)

#endif /* _UAPI_LINUX_AXVM_H */
