/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device tree that arm64 and riscv64 guests boot with, built from a
 * description of the machine. (libfdt has a header of this name too:
 * the guard and the names here stay clear of it.)
 */
#ifndef VMCTL_FDT_H
#define VMCTL_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAX_CPUS	64
#define FDT_MAX_DEVS	32
/* Each CPU's GICv3 redistributor: RD_base and SGI_base frames. */
#define FDT_GICR_STRIDE	0x20000

enum fdt_arch {
	FDT_ARM64,
	FDT_RISCV64,
};

enum fdt_dev_kind {
	FDT_DEV_UART,	/* arm64: PL011; riscv64: ns16550a */
	FDT_DEV_RTC,	/* arm64: PL031; riscv64: goldfish RTC */
	FDT_DEV_VIRTIO,	/* virtio-mmio */
};

struct fdt_dev {
	enum fdt_dev_kind kind;
	uint64_t base, size;
	/* arm64: SPI number (GIC INTID - 32); riscv64: PLIC source, >= 1. */
	unsigned int irq;
	/* The console, /chosen's stdout-path; none flagged: the first UART. */
	bool stdout;
};

struct fdt_machine {
	enum fdt_arch arch;
	uint64_t mem_base, mem_size;
	unsigned int ncpus;
	/* arm64: MPIDR, of which reg takes the affinity; riscv64: hart id. */
	uint64_t cpu_ids[FDT_MAX_CPUS];

	/*
	 * arm64: GICv3 distributor, and one redistributor region for all;
	 * with gic_v2 a GICv2 (at most 8 CPUs), gicr_* its CPU interface.
	 */
	uint64_t gicd_base, gicd_size;
	uint64_t gicr_base, gicr_size;	/* >= ncpus * FDT_GICR_STRIDE */
	bool gic_v2;

	/*
	 * riscv64: a PLIC with contexts 2h and 2h + 1 for hart h's M and S
	 * modes, in the order of cpu_ids; sources 1 to plic_ndev.
	 */
	uint64_t plic_base, plic_size;
	unsigned int plic_ndev;
	uint32_t timebase_freq;
	const char *isa;	/* NULL: "rv64imafdc" */
	const char *mmu_type;	/* NULL: "riscv,sv39" */

	struct fdt_dev devs[FDT_MAX_DEVS];
	unsigned int ndevs;

	const char *bootargs;	/* NULL: none */
	uint64_t initrd_start, initrd_end;	/* both 0: no initrd */
};

/*
 * Writes @m's device tree into @buf, @size bytes: fdt_totalsize(buf)
 * then says how much of it the tree took. 0, -ENOSPC when it does not
 * fit, -EINVAL when @m is not a machine this can describe (no CPUs or
 * more than FDT_MAX_CPUS, duplicate CPU ids, too many devices, empty or
 * overlapping ranges, interrupts the controller does not have, more
 * than one stdout device or a stdout that is no UART...).
 */
int fdt_build(const struct fdt_machine *m, void *buf, size_t size);

#endif /* VMCTL_FDT_H */
