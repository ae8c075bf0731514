// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's device tree, written in one pass with libfdt's sequential
 * write functions: each node's properties, then its subnodes.
 *
 * The bindings followed are Linux's: arm,gic-v3, arm,armv8-timer,
 * arm,psci, arm,pl011, arm,pl031 and fixed-clock on arm64; riscv cpus,
 * riscv,cpu-intc, sifive,plic-1.0.0, ns16550a and google,goldfish-rtc
 * on riscv64; virtio,mmio on both. Interrupts are level-triggered, as
 * the devices drive their struct irq_line: a virtio-mmio line stays up
 * while InterruptStatus is not zero.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "fdt.h"
#include "vmctl.h"

/* The GIC's interrupt specifier: type, number, flags. */
#define GIC_SPI			0
#define GIC_PPI			1
#define IRQ_TYPE_LEVEL_HIGH	4
#define IRQ_TYPE_LEVEL_LOW	8
#define GIC_MAX_SPI		988	/* INTIDs 32 to 1019 */

/* Generic timer PPIs: secure, non-secure, virtual and hypervisor. */
#define PPI_SEC_PHYS		13
#define PPI_PHYS		14
#define PPI_VIRT		11
#define PPI_HYP			10

/* MPIDR_EL1's affinity fields: Aff3 in 39:32, Aff2 to Aff0 in 23:0. */
#define MPIDR_AFFINITY		0xff00ffffffULL

#define APB_PCLK_HZ		24000000
#define NS16550_CLOCK_HZ	3686400	/* what 8250 divisors assume */

/* The riscv local interrupts the PLIC's contexts reach. */
#define RV_IRQ_S_EXT		9
#define RV_IRQ_M_EXT		11
#define PLIC_MAX_NDEV		1023

#define PHANDLE_INTC		1	/* the GIC or the PLIC */
#define PHANDLE_CLK		2
#define PHANDLE_CPU_INTC(i)	(3 + (i))

#define NAME_MAX_LEN		64
/* The longest property: the PLIC's interrupts-extended, 4 cells a hart. */
#define MAX_CELLS		(4 * FDT_MAX_CPUS)

/*
 * libfdt with a sticky error: after a call fails, the rest do nothing,
 * so that the first failure is what fdt_build() reports.
 */
struct writer {
	void *fdt;
	int err;
};

static void begin_node(struct writer *w, const char *name)
{
	if (!w->err)
		w->err = fdt_begin_node(w->fdt, name);
}

/* A node with a unit address: "name@addr", the address in hex. */
static void begin_node_at(struct writer *w, const char *name, uint64_t addr)
{
	char buf[NAME_MAX_LEN];

	snprintf(buf, sizeof(buf), "%s@%llx", name, (unsigned long long)addr);
	begin_node(w, buf);
}

static void end_node(struct writer *w)
{
	if (!w->err)
		w->err = fdt_end_node(w->fdt);
}

static void prop(struct writer *w, const char *name, const void *val,
		 size_t len)
{
	if (!w->err)
		w->err = fdt_property(w->fdt, name, val, len);
}

/* A string, or with embedded NULs a string list, given as a literal. */
#define prop_strs(w, name, lit)	prop(w, name, lit, sizeof(lit))

static void prop_str(struct writer *w, const char *name, const char *s)
{
	prop(w, name, s, strlen(s) + 1);
}

static void prop_u32(struct writer *w, const char *name, uint32_t val)
{
	if (!w->err)
		w->err = fdt_property_u32(w->fdt, name, val);
}

static void prop_u64(struct writer *w, const char *name, uint64_t val)
{
	if (!w->err)
		w->err = fdt_property_u64(w->fdt, name, val);
}

static void prop_cells(struct writer *w, const char *name,
		       const uint32_t *cells, unsigned int n)
{
	fdt32_t be[MAX_CELLS];
	unsigned int i;

	if (n > ARRAY_SIZE(be)) {
		w->err = w->err ? w->err : -FDT_ERR_INTERNAL;
		return;
	}
	for (i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	prop(w, name, be, n * sizeof(be[0]));
}

static void prop_empty(struct writer *w, const char *name)
{
	prop(w, name, "", 0);
}

#define MAX_REG_PAIRS	2

/* A reg of (address, size) pairs, two cells each: the root's format. */
static void prop_reg(struct writer *w, const uint64_t *pairs, unsigned int n)
{
	uint32_t cells[4 * MAX_REG_PAIRS];
	unsigned int i;

	for (i = 0; i < 2 * n && i < 2 * MAX_REG_PAIRS; i++) {
		cells[2 * i] = pairs[i] >> 32;
		cells[2 * i + 1] = (uint32_t)pairs[i];
	}
	prop_cells(w, "reg", cells, 2 * i);
}

static void prop_reg1(struct writer *w, uint64_t base, uint64_t size)
{
	const uint64_t pair[2] = { base, size };

	prop_reg(w, pair, 1);
}

static bool is_arm(const struct fdt_machine *m)
{
	return m->arch == FDT_ARM64;
}

static const char *dev_name(const struct fdt_dev *d)
{
	switch (d->kind) {
	case FDT_DEV_UART:
		return "serial";
	case FDT_DEV_RTC:
		return "rtc";
	default:
		return "virtio_mmio";
	}
}

/* The console: the flagged UART, or the first. */
static const struct fdt_dev *stdout_dev(const struct fdt_machine *m)
{
	const struct fdt_dev *first = NULL;
	unsigned int i;

	for (i = 0; i < m->ndevs; i++) {
		if (m->devs[i].kind != FDT_DEV_UART)
			continue;
		if (m->devs[i].stdout)
			return &m->devs[i];
		if (!first)
			first = &m->devs[i];
	}
	return first;
}

/*
 * CPU @i's reg: on arm64 the affinity fields of its MPIDR, which is all
 * Linux accepts there (the rest of MPIDR_EL1, such as RES1 bit 31, may
 * come along in cpu_ids).
 */
static uint64_t cpu_reg(const struct fdt_machine *m, unsigned int i)
{
	return is_arm(m) ? m->cpu_ids[i] & MPIDR_AFFINITY : m->cpu_ids[i];
}

/* Cells a CPU's reg needs: two when some id does not fit in one. */
static unsigned int cpu_cells(const struct fdt_machine *m)
{
	unsigned int i;

	for (i = 0; i < m->ncpus; i++)
		if (cpu_reg(m, i) >> 32)
			return 2;
	return 1;
}

static void write_chosen(struct writer *w, const struct fdt_machine *m)
{
	const struct fdt_dev *con = stdout_dev(m);
	char path[NAME_MAX_LEN];

	begin_node(w, "chosen");
	if (m->bootargs)
		prop_str(w, "bootargs", m->bootargs);
	if (con) {
		snprintf(path, sizeof(path), "/%s@%llx", dev_name(con),
			 (unsigned long long)con->base);
		prop_str(w, "stdout-path", path);
	}
	if (m->initrd_start || m->initrd_end) {
		prop_u64(w, "linux,initrd-start", m->initrd_start);
		prop_u64(w, "linux,initrd-end", m->initrd_end);
	}
	end_node(w);
}

static void write_riscv_cpu(struct writer *w, const struct fdt_machine *m,
			    unsigned int i, unsigned int cells)
{
	uint64_t id = cpu_reg(m, i);
	uint32_t reg[2] = { id >> 32, (uint32_t)id };

	begin_node_at(w, "cpu", id);
	prop_strs(w, "device_type", "cpu");
	prop_cells(w, "reg", reg + 2 - cells, cells);
	prop_strs(w, "compatible", "riscv");
	prop_str(w, "riscv,isa", m->isa ? m->isa : "rv64imafdc");
	prop_str(w, "mmu-type", m->mmu_type ? m->mmu_type : "riscv,sv39");
	prop_strs(w, "status", "okay");
	/* The hart's local interrupts, which the PLIC's contexts reach. */
	begin_node(w, "interrupt-controller");
	prop_strs(w, "compatible", "riscv,cpu-intc");
	prop_u32(w, "#interrupt-cells", 1);
	prop_u32(w, "#address-cells", 0);
	prop_empty(w, "interrupt-controller");
	prop_u32(w, "phandle", PHANDLE_CPU_INTC(i));
	end_node(w);
	end_node(w);
}

static void write_arm_cpu(struct writer *w, const struct fdt_machine *m,
			  unsigned int i, unsigned int cells)
{
	uint64_t id = cpu_reg(m, i);
	uint32_t reg[2] = { id >> 32, (uint32_t)id };

	begin_node_at(w, "cpu", id);
	prop_strs(w, "device_type", "cpu");
	prop_strs(w, "compatible", "arm,armv8");
	prop_cells(w, "reg", reg + 2 - cells, cells);
	prop_strs(w, "enable-method", "psci");
	end_node(w);
}

static void write_cpus(struct writer *w, const struct fdt_machine *m)
{
	unsigned int cells = cpu_cells(m), i;

	begin_node(w, "cpus");
	prop_u32(w, "#address-cells", cells);
	prop_u32(w, "#size-cells", 0);
	if (!is_arm(m))
		prop_u32(w, "timebase-frequency", m->timebase_freq);
	for (i = 0; i < m->ncpus; i++) {
		if (is_arm(m))
			write_arm_cpu(w, m, i, cells);
		else
			write_riscv_cpu(w, m, i, cells);
	}
	end_node(w);
}

static void write_memory(struct writer *w, const struct fdt_machine *m)
{
	begin_node_at(w, "memory", m->mem_base);
	prop_strs(w, "device_type", "memory");
	prop_reg1(w, m->mem_base, m->mem_size);
	end_node(w);
}

static void write_arm_core(struct writer *w, const struct fdt_machine *m)
{
	const uint64_t gic_reg[4] = {
		m->gicd_base, m->gicd_size, m->gicr_base, m->gicr_size
	};
	/*
	 * Level, active low: what the arch timer's binding documents. A
	 * GICv2 PPI's specifier also names its CPUs (bits 15:8, one each).
	 */
	uint32_t ppi = IRQ_TYPE_LEVEL_LOW |
		       (m->gic_v2 ? ((1U << m->ncpus) - 1) << 8 : 0);
	const uint32_t timer_irqs[] = {
		GIC_PPI, PPI_SEC_PHYS, ppi,
		GIC_PPI, PPI_PHYS, ppi,
		GIC_PPI, PPI_VIRT, ppi,
		GIC_PPI, PPI_HYP, ppi,
	};

	/* PSCI 0.2 and later have fixed function ids: no cpu_on needed. */
	begin_node(w, "psci");
	prop_strs(w, "compatible", "arm,psci-1.0\0arm,psci-0.2");
	prop_strs(w, "method", "hvc");
	end_node(w);

	begin_node_at(w, "intc", m->gicd_base);
	/* GICv2: distributor then CPU interface, as QEMU's virt has them. */
	if (m->gic_v2)
		prop_strs(w, "compatible", "arm,cortex-a15-gic");
	else
		prop_strs(w, "compatible", "arm,gic-v3");
	prop_u32(w, "#interrupt-cells", 3);
	prop_u32(w, "#address-cells", 0);
	prop_empty(w, "interrupt-controller");
	prop_reg(w, gic_reg, 2);
	if (!m->gic_v2)
		prop_u32(w, "#redistributor-regions", 1);
	prop_u32(w, "phandle", PHANDLE_INTC);
	end_node(w);

	begin_node(w, "timer");
	prop_strs(w, "compatible", "arm,armv8-timer");
	prop_cells(w, "interrupts", timer_irqs, ARRAY_SIZE(timer_irqs));
	prop_empty(w, "always-on");
	end_node(w);

	/* The PrimeCells' bus and reference clock. */
	begin_node(w, "apb-pclk");
	prop_strs(w, "compatible", "fixed-clock");
	prop_u32(w, "#clock-cells", 0);
	prop_u32(w, "clock-frequency", APB_PCLK_HZ);
	prop_strs(w, "clock-output-names", "clk24mhz");
	prop_u32(w, "phandle", PHANDLE_CLK);
	end_node(w);
}

static void write_plic(struct writer *w, const struct fdt_machine *m)
{
	uint32_t ext[4 * FDT_MAX_CPUS];
	unsigned int i;

	/* Hart i's contexts: 2i for M mode, 2i + 1 for S mode. */
	for (i = 0; i < m->ncpus; i++) {
		ext[4 * i] = PHANDLE_CPU_INTC(i);
		ext[4 * i + 1] = RV_IRQ_M_EXT;
		ext[4 * i + 2] = PHANDLE_CPU_INTC(i);
		ext[4 * i + 3] = RV_IRQ_S_EXT;
	}
	begin_node_at(w, "interrupt-controller", m->plic_base);
	prop_strs(w, "compatible", "sifive,plic-1.0.0\0riscv,plic0");
	prop_reg1(w, m->plic_base, m->plic_size);
	prop_cells(w, "interrupts-extended", ext, 4 * m->ncpus);
	prop_u32(w, "riscv,ndev", m->plic_ndev);
	prop_u32(w, "#interrupt-cells", 1);
	prop_u32(w, "#address-cells", 0);
	prop_empty(w, "interrupt-controller");
	prop_u32(w, "phandle", PHANDLE_INTC);
	end_node(w);
}

static void write_dev(struct writer *w, const struct fdt_machine *m,
		      const struct fdt_dev *d)
{
	const uint32_t spi[3] = { GIC_SPI, d->irq, IRQ_TYPE_LEVEL_HIGH };
	const uint32_t clks[2] = { PHANDLE_CLK, PHANDLE_CLK };

	begin_node_at(w, dev_name(d), d->base);
	switch (d->kind) {
	case FDT_DEV_UART:
		if (is_arm(m))
			prop_strs(w, "compatible", "arm,pl011\0arm,primecell");
		else
			prop_strs(w, "compatible", "ns16550a");
		break;
	case FDT_DEV_RTC:
		if (is_arm(m))
			prop_strs(w, "compatible", "arm,pl031\0arm,primecell");
		else
			prop_strs(w, "compatible", "google,goldfish-rtc");
		break;
	case FDT_DEV_VIRTIO:
		prop_strs(w, "compatible", "virtio,mmio");
		break;
	}
	prop_reg1(w, d->base, d->size);
	if (is_arm(m)) {
		prop_cells(w, "interrupts", spi, 3);
	} else {
		prop_u32(w, "interrupt-parent", PHANDLE_INTC);
		prop_u32(w, "interrupts", d->irq);
	}
	if (d->kind == FDT_DEV_VIRTIO)
		prop_empty(w, "dma-coherent");
	if (d->kind == FDT_DEV_UART && !is_arm(m))
		prop_u32(w, "clock-frequency", NS16550_CLOCK_HZ);
	/* PrimeCells: the UART's reference clock, and everyone's bus clock. */
	if (d->kind == FDT_DEV_UART && is_arm(m)) {
		prop_cells(w, "clocks", clks, 2);
		prop_strs(w, "clock-names", "uartclk\0apb_pclk");
	}
	if (d->kind == FDT_DEV_RTC && is_arm(m)) {
		prop_cells(w, "clocks", clks, 1);
		prop_strs(w, "clock-names", "apb_pclk");
	}
	end_node(w);
}

static void write_tree(struct writer *w, const struct fdt_machine *m)
{
	unsigned int i;

	begin_node(w, "");
	if (is_arm(m))
		prop_strs(w, "compatible", "linux,dummy-virt");
	else
		prop_strs(w, "compatible", "axvm,virt");
	prop_strs(w, "model", "axvm");
	prop_u32(w, "#address-cells", 2);
	prop_u32(w, "#size-cells", 2);
	/*
	 * riscv: not at the root, where the harts' cpu-intc nodes would
	 * inherit the PLIC as their parent and Linux would find no root
	 * interrupt controller; each device names it instead.
	 */
	if (is_arm(m))
		prop_u32(w, "interrupt-parent", PHANDLE_INTC);
	write_chosen(w, m);
	write_cpus(w, m);
	write_memory(w, m);
	if (is_arm(m))
		write_arm_core(w, m);
	else
		write_plic(w, m);
	for (i = 0; i < m->ndevs; i++)
		write_dev(w, m, &m->devs[i]);
	end_node(w);
}

/* [base, base + size) is not empty and does not wrap. */
static bool range_ok(uint64_t base, uint64_t size)
{
	return size && base + (size - 1) >= base;
}

static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a <= b + (bs - 1) && b <= a + (as - 1);
}

/* The machine's address ranges, none empty, wrapping or overlapping. */
static bool ranges_ok(const struct fdt_machine *m)
{
	uint64_t r[2 * (FDT_MAX_DEVS + 3)];
	unsigned int n = 0, i, j;

	r[n++] = m->mem_base;
	r[n++] = m->mem_size;
	if (is_arm(m)) {
		r[n++] = m->gicd_base;
		r[n++] = m->gicd_size;
		r[n++] = m->gicr_base;
		r[n++] = m->gicr_size;
	} else {
		r[n++] = m->plic_base;
		r[n++] = m->plic_size;
	}
	for (i = 0; i < m->ndevs; i++) {
		r[n++] = m->devs[i].base;
		r[n++] = m->devs[i].size;
	}
	for (i = 0; i < n; i += 2) {
		if (!range_ok(r[i], r[i + 1]))
			return false;
		for (j = 0; j < i; j += 2)
			if (overlap(r[i], r[i + 1], r[j], r[j + 1]))
				return false;
	}
	return true;
}

static bool cpus_ok(const struct fdt_machine *m)
{
	unsigned int i, j;

	if (!m->ncpus || m->ncpus > FDT_MAX_CPUS)
		return false;
	for (i = 0; i < m->ncpus; i++)
		for (j = 0; j < i; j++)
			if (cpu_reg(m, i) == cpu_reg(m, j))
				return false;
	return true;
}

static bool devs_ok(const struct fdt_machine *m)
{
	unsigned int i, consoles = 0;
	const struct fdt_dev *d;

	if (m->ndevs > FDT_MAX_DEVS)
		return false;
	for (i = 0; i < m->ndevs; i++) {
		d = &m->devs[i];
		if (d->kind != FDT_DEV_UART && d->kind != FDT_DEV_RTC &&
		    d->kind != FDT_DEV_VIRTIO)
			return false;
		if (is_arm(m) && d->irq >= GIC_MAX_SPI)
			return false;
		if (!is_arm(m) && (!d->irq || d->irq > m->plic_ndev))
			return false;
		if (d->stdout && (d->kind != FDT_DEV_UART || consoles++))
			return false;
	}
	return true;
}

static bool machine_ok(const struct fdt_machine *m)
{
	if (m->arch != FDT_ARM64 && m->arch != FDT_RISCV64)
		return false;
	if (!cpus_ok(m) || !devs_ok(m) || !ranges_ok(m))
		return false;
	if (is_arm(m) && !m->gic_v2 &&
	    m->gicr_size < (uint64_t)m->ncpus * FDT_GICR_STRIDE)
		return false;
	if (is_arm(m) && m->gic_v2 && m->ncpus > 8)
		return false;
	if (!is_arm(m) && (!m->plic_ndev || m->plic_ndev > PLIC_MAX_NDEV ||
			   !m->timebase_freq))
		return false;
	/* An initrd lies in RAM, if there is one. */
	if (m->initrd_start || m->initrd_end) {
		if (m->initrd_end <= m->initrd_start ||
		    m->initrd_start < m->mem_base ||
		    m->initrd_end - m->mem_base > m->mem_size)
			return false;
	}
	return true;
}

int fdt_build(const struct fdt_machine *m, void *buf, size_t size)
{
	struct writer w = { .fdt = buf };

	if (!machine_ok(m))
		return -EINVAL;
	w.err = fdt_create(buf, size > INT_MAX ? INT_MAX : (int)size);
	if (!w.err)
		w.err = fdt_finish_reservemap(buf);
	write_tree(&w, m);
	if (!w.err)
		w.err = fdt_finish(buf);
	if (w.err == -FDT_ERR_NOSPACE)
		return -ENOSPC;
	return w.err ? -EINVAL : 0;
}
