// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 machine, laid out like QEMU's "virt": GICv3 distributor at
 * 0x08000000 and redistributors at 0x080a0000, PL011 at 0x09000000
 * (SPI 1), PL031 at 0x09010000 (SPI 2), virtio-mmio from 0x0a000000
 * (SPI 16 on), RAM from 0x80000000. vCPUs start at EL1h with DAIF
 * masked, x0 the device tree (the boot CPU) or the PSCI context id.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "boot_dt.h"
#include "vm.h"

#define ARM64_GICD_BASE		0x08000000ULL
#define ARM64_GICD_SIZE		0x10000ULL
#define ARM64_GICR_BASE		0x080a0000ULL
#define ARM64_GICR_STRIDE	0x20000ULL
/* A GICv2 host's guests: a GICv2, its CPU interface where QEMU has it. */
#define ARM64_GICC_BASE		0x08010000ULL
#define ARM64_GICC_SIZE		0x2000ULL
#define ARM64_UART_BASE		0x09000000ULL
#define ARM64_RTC_BASE		0x09010000ULL
#define ARM64_VIRTIO_BASE	0x0a000000ULL
#define ARM64_SPI_BASE		32	/* INTID of SPI 0 */
#define ARM64_NR_SPIS		64

#define PSTATE_EL1H_MASKED	0x3c5ULL	/* EL1h, D, A, I, F */
#define PSCI_NOT_SUPPORTED	(-1ULL)

static const struct machine_devices arm64_devices = {
	.uart = UART_PL011, .uart_base = ARM64_UART_BASE, .uart_irq = 1,
	.rtc = RTC_PL031, .rtc_base = ARM64_RTC_BASE, .rtc_irq = 2,
	.virtio_base = ARM64_VIRTIO_BASE, .virtio_stride = 0x200,
	.virtio_irq = 16,
};

static const struct image_header arm64_image = {
	.what = "an arm64 Image",
	.magic_off = 0x38,
	.magic = "ARM\x64",
	.magic_len = 4,
	.default_text_offset = 0x80000,
	.elf_machine = EM_AARCH64,
};

/* MPIDR: Aff0 up to 16 CPUs per cluster, as GICv3 target lists want. */
static uint64_t arm64_arch_id(unsigned int vcpu)
{
	return (vcpu & 15) | (uint64_t)(vcpu >> 4) << 8;
}

static int arm64_add_devices(struct vm *vm)
{
	return devices_add(vm, &arm64_devices);
}

/* The module offers a GICv2 (the host has one) instead of a GICv3. */
static bool arm64_gic_v2(struct vm *vm)
{
	int types = ioctl(vm->sys_fd, AXVM_CHECK_CAP, AXVM_CAP_IRQCHIP);

	return types > 0 && types & (1 << AXVM_IRQCHIP_GICV2);
}

static void arm64_fill_dt(struct vm *vm, struct fdt_machine *m)
{
	unsigned int i;

	m->arch = FDT_ARM64;
	m->mem_base = vm->mem.base;
	m->mem_size = vm->mem.size;
	m->ncpus = vm->nvcpus;
	for (i = 0; i < vm->nvcpus; i++)
		m->cpu_ids[i] = vm->vcpus[i].arch_id;
	m->gicd_base = ARM64_GICD_BASE;
	m->gicd_size = ARM64_GICD_SIZE;
	m->gicr_base = ARM64_GICR_BASE;
	m->gicr_size = ARM64_GICR_STRIDE * vm->nvcpus;
	if (arm64_gic_v2(vm)) {
		m->gic_v2 = true;
		m->gicr_base = ARM64_GICC_BASE;
		m->gicr_size = ARM64_GICC_SIZE;
	}
	boot_dt_fill_common(vm, m);
}

static int arm64_check_kernel(struct vm *vm)
{
	return boot_dt_check(vm, &arm64_image);
}

static int arm64_load(struct vm *vm)
{
	return boot_dt_load(vm, &arm64_image, arm64_fill_dt);
}

static int arm64_boot_regs(struct vcpu *v, uint64_t entry, uint64_t arg,
			   bool first)
{
	struct axvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.gpr[0] = first ? v->vm->boot.dtb : arg;
	regs.pc = entry;
	regs.pstate = PSTATE_EL1H_MASKED;
	return vcpu_set_regs(v, &regs);
}

/* SMCCC calls the kernel does not answer: NOT_SUPPORTED. */
static void arm64_hypercall(struct vcpu *v)
{
	v->run->hypercall.ret = PSCI_NOT_SUPPORTED;
}

/*
 * The module's GICv3, with a redistributor frame per vCPU; on a GICv2
 * host its GICv2, whose CPU interface is the host's GICV frame.
 */
static int arm64_create_irqchip(struct vm *vm)
{
	struct axvm_irqchip chip = {
		.type = AXVM_IRQCHIP_GICV3,
		.nr_irqs = ARM64_NR_SPIS,
		.base = { ARM64_GICD_BASE, ARM64_GICR_BASE },
		.size = { ARM64_GICD_SIZE, ARM64_GICR_STRIDE * vm->nvcpus },
	};

	if (arm64_gic_v2(vm)) {
		chip.type = AXVM_IRQCHIP_GICV2;
		chip.base[1] = ARM64_GICC_BASE;
		chip.size[1] = ARM64_GICC_SIZE;
	}
	return vm_create_irqchip(vm, &chip);
}

/*
 * SPIs go to the in-kernel distributor; without one, they are level
 * lines on the boot vCPU's virtual CPU interface.
 */
static void arm64_irq_set(struct irq_line *line, int level)
{
	struct vm *vm = line->opaque;
	struct axvm_irq irq = {
		.irq = ARM64_SPI_BASE + line->nr,
		.flags = level ? AXVM_IRQ_LEVEL_HIGH : 0,
	};

	if (vm->irqchip) {
		vm_irqchip_line(vm, line->nr, level);
		return;
	}
	ioctl(vm->vcpus[0].fd, AXVM_INJECT_IRQ, &irq);
	if (level)
		vm_kick_halted(vm);
}

/*
 * A write of ICC_SGI1R_EL1 (GICv3 12.2.22): IRM 1 is every PE but the
 * sender (send_to_all, set already); else the PEs Aff3.Aff2.Aff1.n for
 * n = RS * 16 + each bit of the 16-bit TargetList, which the module
 * gives as the base target_cpu and the list in target_cpu_aux.
 */
static enum vm_ipi arm64_ipi_targets(struct vcpu *v, uint64_t *targets,
				     const char **why)
{
	const struct axvm_run *r = v->run;

	if (!r->ipi.send_to_all)
		*targets |= vm_vcpus_at(v->vm, r->ipi.target_cpu,
					r->ipi.target_cpu_aux & 0xffff);
	return VM_IPI_IRQ;
}

const struct arch arch_arm64 = {
	.name = "arm64",
	.arch = AXVM_ARCH_ARM64,
	.ram_base = 0x80000000ULL,
	.arch_id = arm64_arch_id,
	.add_devices = arm64_add_devices,
	.check_kernel = arm64_check_kernel,
	.load = arm64_load,
	.boot_regs = arm64_boot_regs,
	.hypercall = arm64_hypercall,
	.create_irqchip = arm64_create_irqchip,
	.irq_set = arm64_irq_set,
	.system_down = vm_down_status,
	.ipi_targets = arm64_ipi_targets,
};
