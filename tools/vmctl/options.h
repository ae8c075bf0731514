/* SPDX-License-Identifier: GPL-2.0 */
/* "vmctl run" options: parsed and checked before any VM exists. */
#ifndef VMCTL_OPTIONS_H
#define VMCTL_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VMCTL_MAX_VCPUS		64
#define VMCTL_MAX_DISKS		4
#define VMCTL_NO_ADDR		(~0ULL)

/* vmctl's exit status: what became of the guest. */
enum vmctl_status {
	VMCTL_POWEROFF = 0,
	VMCTL_ERROR = 1,	/* vmctl, its arguments or the module */
	VMCTL_RESET = 2,
	VMCTL_CRASH = 3,	/* triple fault, failed entry, crash report */
	VMCTL_UNHANDLED = 4,	/* an exit vmctl cannot handle */
	VMCTL_SIGNALLED = 128,	/* + the signal's number */
};

/* How virtio devices reach the guest; the default is the machine's. */
enum virtio_transport_opt {
	VIRTIO_TRANSPORT_DEFAULT,	/* x86: PCI; arm64, riscv64: MMIO */
	VIRTIO_TRANSPORT_MMIO,
	VIRTIO_TRANSPORT_PCI,
};

struct vm_disk {
	const char *path;
	bool readonly;
};

struct vm_opts {
	const char *device;		/* /dev/axvm */
	uint64_t mem_size;
	unsigned int ncpus;
	int pin[VMCTL_MAX_VCPUS];	/* host CPU per vCPU, -1: default */
	const char *kernel;		/* Linux Image/bzImage, ELF or raw */
	uint64_t load_addr;		/* raw images: where, VMCTL_NO_ADDR */
	uint64_t entry;			/* raw images: where to start */
	const char *initrd;
	const char *cmdline;
	const char *dtb;		/* use this tree instead of ours */
	const char *console;		/* NULL: stdio, else a file */
	struct vm_disk disks[VMCTL_MAX_DISKS];
	unsigned int ndisks;
	bool rng;
	bool virtio_console;
	enum virtio_transport_opt virtio_transport;
	bool trace;
	bool stats;			/* exit counts on stderr at the end */
	uint32_t vcpu_flags;		/* AXVM_VCPU_* of every vCPU */
	bool user_ipi;			/* --ipi user: IPIs exit to vmctl */
};

/*
 * 0, or VMCTL_ERROR with one line on stderr; *help set for --help.
 * @device: the axvm device unless --device names another.
 */
int vm_opts_parse(struct vm_opts *o, int argc, char **argv,
		  const char *device, bool *help);
void vm_opts_usage(FILE *f);

#endif /* VMCTL_OPTIONS_H */
