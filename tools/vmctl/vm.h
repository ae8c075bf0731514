/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A running VM: the axvm fds, guest RAM, the device bus, one thread per
 * vCPU, and the per-architecture machine (struct arch) that lays it out.
 */
#ifndef VMCTL_VM_H
#define VMCTL_VM_H

#include <pthread.h>
#include <signal.h>
#include <linux/axvm.h>

#include "devices.h"
#include "loader.h"
#include "options.h"
#include "vmctl.h"

struct pci_host;
struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	uint64_t arch_id;
	int fd;
	struct axvm_run *run;
	pthread_t thread;
	bool thread_started;
	/* Guarded by vm->lock: powered on, and where CPU_UP starts it. */
	bool on;
	bool start_pending;
	uint64_t start_entry, start_arg;
	/* RUN returns this vCPU's thread saw: exits that reached vmctl. */
	uint64_t user_exits;
};

/* Where the loader put things, for the boot registers and the DT. */
struct boot_info {
	uint64_t entry;
	uint64_t kernel_start, kernel_end;
	uint64_t initrd_start, initrd_end;	/* 0, 0: none */
	uint64_t dtb;				/* 0: none */
	uint64_t zero_page;			/* x86 boot_params, 0: none */
	bool is_linux;				/* Linux boot protocol */
	bool elf;
};

/* How the targets of an AXVM_EXIT_IPI (--ipi user) get it. */
enum vm_ipi {
	VM_IPI_IRQ,		/* AXVM_INJECT_IRQ of ipi.vector */
	VM_IPI_NMI,		/* x86: AXVM_NMI */
	VM_IPI_CANNOT,		/* not one vmctl can deliver: stop */
};

/* An architecture's machine: addresses, devices, boot and exits. */
struct arch {
	const char *name;
	int arch;			/* AXVM_ARCH_* */
	uint64_t ram_base;
	uint64_t (*arch_id)(unsigned int vcpu);
	/*
	 * What vm->kernel is, from its headers (sets vm->kernel_kind): an
	 * image this machine cannot start fails before the module is
	 * opened, so vmctl says so where axvm is not loaded too.
	 */
	int (*check_kernel)(struct vm *vm);
	/* Add the console, RTC and virtio devices to vm->bus. */
	int (*add_devices)(struct vm *vm);
	/* Kernel, initrd and DT into RAM; fills vm->boot. */
	int (*load)(struct vm *vm);
	/* A vCPU's registers for a start at @entry with @arg. */
	int (*boot_regs)(struct vcpu *v, uint64_t entry, uint64_t arg,
			 bool first);
	/* A hypercall the kernel left to userspace. */
	void (*hypercall)(struct vcpu *v);
	/*
	 * The in-kernel interrupt controller for this machine, or NULL;
	 * called after RAM is registered, before the vCPUs exist. Returns
	 * 1 when the module has none of this type (irq_set falls back).
	 */
	int (*create_irqchip)(struct vm *vm);
	/* With the irqchip, APs start in the kernel: every vCPU runs. */
	bool aps_in_kernel;
	/* A device's interrupt line changed. */
	void (*irq_set)(struct irq_line *line, int level);
	/* The status a SYSTEM_DOWN exit means. */
	int (*system_down)(struct vcpu *v);
	/*
	 * An AXVM_EXIT_IPI: *targets (bit i for vcpus[i]) holds the vCPUs
	 * send_to_all and send_to_self name; add those target_cpu and
	 * target_cpu_aux name and say how they get it. For VM_IPI_CANNOT,
	 * *why names the IPI vmctl cannot deliver.
	 */
	enum vm_ipi (*ipi_targets)(struct vcpu *v, uint64_t *targets,
				   const char **why);
};

extern const struct arch arch_arm64, arch_riscv64, arch_x86;

#define VMCTL_MAX_DEVICES	16

struct vm {
	const struct vm_opts *opts;
	const struct arch *arch;
	int sys_fd;
	int fd;
	size_t run_size;
	struct guest_mem mem;
	void *mem_map;			/* the mmap behind mem.host */
	size_t mem_map_size;
	struct bus bus;
	struct vcpu vcpus[VMCTL_MAX_VCPUS];
	unsigned int nvcpus;
	struct boot_info boot;
	struct file_buf kernel;		/* --kernel, until it is loaded */
	enum kernel_kind kernel_kind;

	/* Console: output fd, input fd (-1: none). */
	int con_out;
	int con_in;
	/* Devices that take console input, and the devices to free. */
	void (*con_input)(void *dev, const uint8_t *buf, size_t n);
	size_t (*con_room)(void *dev);
	/* Received bytes taken by firmware (SBI DBCN); NULL: none. */
	size_t (*con_take)(void *dev, uint8_t *buf, size_t n);
	void *con_dev;
	void (*vcon_input)(void *dev, const uint8_t *buf, size_t n);
	void *vcon_dev;

	void (*destroy[VMCTL_MAX_DEVICES])(void *dev);
	void *destroy_dev[VMCTL_MAX_DEVICES];
	unsigned int ndestroy;
	struct irq_line irqs[VMCTL_MAX_DEVICES];
	unsigned int nirqs;
	struct placed_device placed[VMCTL_MAX_PLACED];
	unsigned int nplaced;
	unsigned int nvirtio;
	struct pci_host *pci;		/* x86's, for the ACPI tables */
	uint64_t irq_levels;		/* riscv64: the lines now raised */
	bool irqchip;			/* the module emulates the irqchip */

	pthread_mutex_t lock;
	pthread_cond_t cond;		/* vCPU on/off, stop, interrupts */
	bool stopping;
	int status;			/* enum vmctl_status, once stopping */
	const char *crash_why;		/* VMCTL_CRASH: what the guest did */
	unsigned int irq_gen;		/* bumped on every raise: HALT wakes */
	pthread_t main_thread;
};

/* Set up everything, run until the guest stops; the vmctl exit status. */
int vm_run(const struct vm_opts *opts);

/* First caller wins: record @status, make every vCPU leave RUN. */
void vm_stop(struct vm *vm, int status);

/* Devices: remember a destructor, hand out an irq_line numbered @nr. */
void vm_own(struct vm *vm, void (*destroy)(void *), void *dev);
struct irq_line *vm_irq_line(struct vm *vm, unsigned int nr);
/*
 * Create the in-kernel irqchip @chip: 0 done, 1 the module has no such
 * type (the caller falls back), -1 error (printed).
 */
int vm_create_irqchip(struct vm *vm, const struct axvm_irqchip *chip);
/* Drive line @irq of the in-kernel irqchip. */
void vm_irqchip_line(struct vm *vm, unsigned int irq, int level);
/* An MSI to the in-kernel irqchip (x86: address 0xfeeXXXXX). */
void vm_signal_msi(struct vm *vm, uint64_t address, uint32_t data);
/* Wake vCPUs halted in vmctl: an interrupt was raised. */
void vm_kick_halted(struct vm *vm);
/*
 * The vCPUs (bit i for vcpus[i]) whose arch_id is @base + n for a bit n
 * set in @mask; ids without a vCPU are left out.
 */
uint64_t vm_vcpus_at(const struct vm *vm, uint64_t base, uint64_t mask);
/* Every vCPU of the VM, as a vm_vcpus_at() set. */
uint64_t vm_all_vcpus(const struct vm *vm);

/* Host pointer into guest RAM or NULL, with a message naming @what. */
void *vm_ram(struct vm *vm, uint64_t gpa, uint64_t len, const char *what);

int vcpu_set_sysreg(struct vcpu *v, uint64_t id, uint64_t value);
int vcpu_set_regs(struct vcpu *v, const struct axvm_regs *regs);
/* What a system-down exit's type means for vmctl's exit status. */
int vm_down_status(struct vcpu *v);

#endif /* VMCTL_VM_H */
