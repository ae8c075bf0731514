// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of vmctl's device tree generator: the arm64 and riscv64
 * trees read back with libfdt, and decompiled by dtc, which must take
 * them without a warning; and the machines it must refuse.
 * Links: tools/vmctl/fdt.c libfdt
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include "fdt.h"

#include "kselftest_harness.h"

#define TREE_SIZE	(64 * 1024)

#define DEV(k, b, s, i) \
	((struct fdt_dev){ .kind = (k), .base = (b), .size = (s), .irq = (i) })

static void arm64_machine(struct fdt_machine *m, unsigned int ncpus)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->arch = FDT_ARM64;
	m->mem_base = 0x40000000;
	m->mem_size = 0x20000000;
	m->ncpus = ncpus;
	/* Four CPUs a cluster, as Aff1.Aff0. */
	for (i = 0; i < ncpus; i++)
		m->cpu_ids[i] = (i / 4) << 8 | i % 4;
	m->gicd_base = 0x08000000;
	m->gicd_size = 0x10000;
	m->gicr_base = 0x080a0000;
	m->gicr_size = ncpus * FDT_GICR_STRIDE;
	m->devs[0] = DEV(FDT_DEV_UART, 0x09000000, 0x1000, 1);
	m->devs[1] = DEV(FDT_DEV_RTC, 0x09010000, 0x1000, 2);
	m->devs[2] = DEV(FDT_DEV_VIRTIO, 0x0a000000, 0x200, 16);
	m->devs[3] = DEV(FDT_DEV_VIRTIO, 0x0a000200, 0x200, 17);
	m->ndevs = 4;
	m->bootargs = "console=ttyAMA0 earlycon root=/dev/vda";
	m->initrd_start = 0x48000000;
	m->initrd_end = 0x48123456;
}

static void riscv64_machine(struct fdt_machine *m, unsigned int ncpus)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->arch = FDT_RISCV64;
	m->mem_base = 0x80000000;
	m->mem_size = 0x40000000;
	m->ncpus = ncpus;
	for (i = 0; i < ncpus; i++)
		m->cpu_ids[i] = i;
	m->plic_base = 0x0c000000;
	m->plic_size = 0x4000000;
	m->plic_ndev = 63;
	m->timebase_freq = 10000000;
	m->isa = "rv64imafdc_zicsr_zifencei";
	m->mmu_type = "riscv,sv48";
	m->devs[0] = DEV(FDT_DEV_RTC, 0x00101000, 0x1000, 11);
	m->devs[1] = DEV(FDT_DEV_UART, 0x10000000, 0x100, 10);
	m->devs[2] = DEV(FDT_DEV_UART, 0x10000100, 0x100, 12);
	m->devs[2].stdout = true;
	m->devs[3] = DEV(FDT_DEV_VIRTIO, 0x10001000, 0x1000, 1);
	m->ndevs = 4;
	m->bootargs = "console=ttyS1";
}

/* A property's value, checked for its length, or NULL. */
static const void *getprop(const void *fdt, const char *path,
			   const char *name, int len)
{
	int node = fdt_path_offset(fdt, path), got;
	const void *val;

	if (node < 0)
		return NULL;
	val = fdt_getprop(fdt, node, name, &got);
	if (!val || (len >= 0 && got != len))
		return NULL;
	return val;
}

static long long cell(const void *val, int i)
{
	return fdt32_to_cpu(((const fdt32_t *)val)[i]);
}

static bool has_compatible(const void *fdt, const char *path,
			   const char *compat)
{
	int node = fdt_path_offset(fdt, path);

	return node >= 0 &&
	       fdt_node_check_compatible(fdt, node, compat) == 0;
}

/*
 * dtc's decompilation of @fdt into @dts, and anything it said on
 * stderr into @err. False when there is no dtc.
 */
static bool run_dtc(const void *fdt, char *dts, size_t dts_size,
		    char *err, size_t err_size)
{
	char in[] = "/tmp/vmctl_fdt_XXXXXX", cmd[256], errf[64];
	FILE *p, *e;
	size_t n;
	int fd;

	if (system("command -v dtc >/dev/null 2>&1"))
		return false;
	fd = mkstemp(in);
	if (fd < 0)
		return false;
	if (write(fd, fdt, fdt_totalsize(fdt)) != (ssize_t)fdt_totalsize(fdt))
		dts[0] = 0;
	close(fd);
	snprintf(errf, sizeof(errf), "%s.err", in);
	snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts %s 2>%s", in, errf);
	p = popen(cmd, "r");
	n = p ? fread(dts, 1, dts_size - 1, p) : 0;
	dts[n] = 0;
	if (p)
		pclose(p);
	e = fopen(errf, "r");
	n = e ? fread(err, 1, err_size - 1, e) : 0;
	err[n] = 0;
	if (e)
		fclose(e);
	unlink(in);
	unlink(errf);
	return true;
}

TEST(arm64_tree)
{
	static char fdt[TREE_SIZE];
	struct fdt_machine m;
	const void *v;
	char path[64];
	unsigned int i;

	arm64_machine(&m, 6);
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	ASSERT_EQ(0, fdt_check_header(fdt));
	EXPECT_GT(sizeof(fdt), fdt_totalsize(fdt));
	EXPECT_TRUE(has_compatible(fdt, "/", "linux,dummy-virt"));
	v = getprop(fdt, "/", "#address-cells", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(2, cell(v, 0));
	v = getprop(fdt, "/", "interrupt-parent", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(fdt_get_phandle(fdt, fdt_path_offset(fdt, "/intc@8000000")),
		  cell(v, 0));

	/* Memory. */
	v = getprop(fdt, "/memory@40000000", "reg", 16);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0, cell(v, 0));
	EXPECT_EQ(0x40000000, cell(v, 1));
	EXPECT_EQ(0, cell(v, 2));
	EXPECT_EQ(0x20000000, cell(v, 3));
	EXPECT_STREQ("memory", getprop(fdt, "/memory@40000000",
				       "device_type", -1));

	/* CPUs, by MPIDR, started by PSCI over HVC. */
	v = getprop(fdt, "/cpus", "#address-cells", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(1, cell(v, 0));
	for (i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "/cpus/cpu@%x",
			 (unsigned int)m.cpu_ids[i]);
		v = getprop(fdt, path, "reg", 4);
		ASSERT_NE(NULL, v) TH_LOG("%s", path);
		EXPECT_EQ((long long)m.cpu_ids[i], cell(v, 0));
		EXPECT_TRUE(has_compatible(fdt, path, "arm,armv8"));
		EXPECT_STREQ("psci", getprop(fdt, path, "enable-method", -1));
		EXPECT_STREQ("cpu", getprop(fdt, path, "device_type", -1));
	}
	EXPECT_GT(0, fdt_path_offset(fdt, "/cpus/cpu@6"));
	EXPECT_TRUE(has_compatible(fdt, "/psci", "arm,psci-1.0"));
	EXPECT_TRUE(has_compatible(fdt, "/psci", "arm,psci-0.2"));
	EXPECT_STREQ("hvc", getprop(fdt, "/psci", "method", -1));

	/* GICv3: distributor, then all redistributors in one region. */
	EXPECT_TRUE(has_compatible(fdt, "/intc@8000000", "arm,gic-v3"));
	EXPECT_NE(NULL, getprop(fdt, "/intc@8000000", "interrupt-controller",
				0));
	v = getprop(fdt, "/intc@8000000", "#interrupt-cells", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(3, cell(v, 0));
	v = getprop(fdt, "/intc@8000000", "reg", 32);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0x08000000, cell(v, 1));
	EXPECT_EQ(0x10000, cell(v, 3));
	EXPECT_EQ(0x080a0000, cell(v, 5));
	EXPECT_EQ(6 * 0x20000, cell(v, 7));
	v = getprop(fdt, "/intc@8000000", "#redistributor-regions", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(1, cell(v, 0));

	/* Timer PPIs 13, 14, 11, 10, level low. */
	v = getprop(fdt, "/timer", "interrupts", 48);
	ASSERT_NE(NULL, v);
	EXPECT_TRUE(has_compatible(fdt, "/timer", "arm,armv8-timer"));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(1, cell(v, 3 * i));
		EXPECT_EQ(8, cell(v, 3 * i + 2));
	}
	EXPECT_EQ(13, cell(v, 1));
	EXPECT_EQ(14, cell(v, 4));
	EXPECT_EQ(11, cell(v, 7));
	EXPECT_EQ(10, cell(v, 10));
	EXPECT_NE(NULL, getprop(fdt, "/timer", "always-on", 0));

	/* PrimeCells with their clock. */
	v = getprop(fdt, "/apb-pclk", "clock-frequency", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(24000000, cell(v, 0));
	EXPECT_TRUE(has_compatible(fdt, "/serial@9000000", "arm,pl011"));
	EXPECT_TRUE(has_compatible(fdt, "/serial@9000000", "arm,primecell"));
	v = getprop(fdt, "/serial@9000000", "interrupts", 12);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0, cell(v, 0));	/* SPI */
	EXPECT_EQ(1, cell(v, 1));
	EXPECT_EQ(4, cell(v, 2));	/* level high */
	v = getprop(fdt, "/serial@9000000", "clocks", 8);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(fdt_get_phandle(fdt, fdt_path_offset(fdt, "/apb-pclk")),
		  cell(v, 0));
	EXPECT_EQ(0, memcmp(getprop(fdt, "/serial@9000000", "clock-names",
				    17), "uartclk\0apb_pclk", 17));
	EXPECT_TRUE(has_compatible(fdt, "/rtc@9010000", "arm,pl031"));
	EXPECT_STREQ("apb_pclk", getprop(fdt, "/rtc@9010000", "clock-names",
					 -1));

	/* virtio-mmio. */
	EXPECT_TRUE(has_compatible(fdt, "/virtio_mmio@a000200",
				   "virtio,mmio"));
	v = getprop(fdt, "/virtio_mmio@a000200", "interrupts", 12);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(17, cell(v, 1));
	v = getprop(fdt, "/virtio_mmio@a000200", "reg", 16);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0x0a000200, cell(v, 1));
	EXPECT_EQ(0x200, cell(v, 3));
	EXPECT_NE(NULL, getprop(fdt, "/virtio_mmio@a000000", "dma-coherent",
				0));

	/* /chosen. */
	EXPECT_STREQ(m.bootargs, getprop(fdt, "/chosen", "bootargs", -1));
	EXPECT_STREQ("/serial@9000000", getprop(fdt, "/chosen",
						"stdout-path", -1));
	v = getprop(fdt, "/chosen", "linux,initrd-start", 8);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0x48000000, cell(v, 1));
	v = getprop(fdt, "/chosen", "linux,initrd-end", 8);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0x48123456, cell(v, 1));
}

TEST(riscv64_tree)
{
	static char fdt[TREE_SIZE];
	struct fdt_machine m;
	int node, intc[4], i;
	const void *v;
	char path[64];

	riscv64_machine(&m, 4);
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	ASSERT_EQ(0, fdt_check_header(fdt));

	v = getprop(fdt, "/cpus", "timebase-frequency", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(10000000, cell(v, 0));
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/cpus/cpu@%d", i);
		v = getprop(fdt, path, "reg", 4);
		ASSERT_NE(NULL, v);
		EXPECT_EQ(i, cell(v, 0));
		EXPECT_TRUE(has_compatible(fdt, path, "riscv"));
		EXPECT_STREQ(m.isa, getprop(fdt, path, "riscv,isa", -1));
		EXPECT_STREQ("riscv,sv48", getprop(fdt, path, "mmu-type", -1));
		EXPECT_STREQ("okay", getprop(fdt, path, "status", -1));
		EXPECT_EQ(NULL, getprop(fdt, path, "enable-method", -1));
		snprintf(path, sizeof(path),
			 "/cpus/cpu@%d/interrupt-controller", i);
		EXPECT_TRUE(has_compatible(fdt, path, "riscv,cpu-intc"));
		v = getprop(fdt, path, "#interrupt-cells", 4);
		ASSERT_NE(NULL, v);
		EXPECT_EQ(1, cell(v, 0));
		intc[i] = fdt_get_phandle(fdt, fdt_path_offset(fdt, path));
		EXPECT_NE(0, intc[i]);
	}
	v = getprop(fdt, "/memory@80000000", "reg", 16);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0x80000000, cell(v, 1));
	EXPECT_EQ(0x40000000, cell(v, 3));

	/* The PLIC: M and S external interrupts of each hart in turn. */
	node = fdt_path_offset(fdt, "/interrupt-controller@c000000");
	ASSERT_LE(0, node);
	EXPECT_EQ(0, fdt_node_check_compatible(fdt, node, "sifive,plic-1.0.0"));
	EXPECT_EQ(0, fdt_node_check_compatible(fdt, node, "riscv,plic0"));
	v = getprop(fdt, "/interrupt-controller@c000000",
		    "interrupts-extended", 4 * 4 * 4);
	ASSERT_NE(NULL, v);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(intc[i], cell(v, 4 * i));
		EXPECT_EQ(11, cell(v, 4 * i + 1));
		EXPECT_EQ(intc[i], cell(v, 4 * i + 2));
		EXPECT_EQ(9, cell(v, 4 * i + 3));
	}
	v = getprop(fdt, "/interrupt-controller@c000000", "riscv,ndev", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(63, cell(v, 0));
	/* Not at the root: the harts' cpu-intc nodes would inherit it. */
	EXPECT_EQ(NULL, getprop(fdt, "/", "interrupt-parent", -1));

	/* The UARTs, on the PLIC; the second is the console. */
	EXPECT_TRUE(has_compatible(fdt, "/serial@10000000", "ns16550a"));
	v = getprop(fdt, "/serial@10000100", "clock-frequency", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(3686400, cell(v, 0));
	v = getprop(fdt, "/serial@10000100", "interrupts", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(12, cell(v, 0));
	v = getprop(fdt, "/serial@10000100", "interrupt-parent", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(fdt_get_phandle(fdt, node), cell(v, 0));
	EXPECT_STREQ("/serial@10000100", getprop(fdt, "/chosen",
						 "stdout-path", -1));
	EXPECT_STREQ("console=ttyS1", getprop(fdt, "/chosen", "bootargs",
					      -1));
	EXPECT_EQ(NULL, getprop(fdt, "/chosen", "linux,initrd-start", -1));

	EXPECT_TRUE(has_compatible(fdt, "/rtc@101000", "google,goldfish-rtc"));
	v = getprop(fdt, "/rtc@101000", "interrupts", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(11, cell(v, 0));
	EXPECT_TRUE(has_compatible(fdt, "/virtio_mmio@10001000",
				   "virtio,mmio"));
	v = getprop(fdt, "/virtio_mmio@10001000", "interrupts", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(1, cell(v, 0));
	/* No GIC things here. */
	EXPECT_GT(0, fdt_path_offset(fdt, "/psci"));
	EXPECT_GT(0, fdt_path_offset(fdt, "/timer"));
}

/* What dtc must show of the arm64 machine. */
static const char *const arm64_dts[] = {
	"compatible = \"linux,dummy-virt\";",
	"memory@40000000 {",
	"reg = <0x00 0x40000000 0x00 0x20000000>;",
	"cpu@0 {",
	"cpu@101 {",
	"reg = <0x101>;",
	"enable-method = \"psci\";",
	"compatible = \"arm,psci-1.0\\0arm,psci-0.2\";",
	"method = \"hvc\";",
	"intc@8000000 {",
	"compatible = \"arm,gic-v3\";",
	"reg = <0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0xc0000>;",
	"#redistributor-regions = <0x01>;",
	"compatible = \"arm,armv8-timer\";",
	"interrupts = <0x01 0x0d 0x08 0x01 0x0e 0x08 0x01 0x0b 0x08 0x01",
	"0x0b 0x08 0x01 0x0a 0x08>;",
	"serial@9000000 {",
	"compatible = \"arm,pl011\\0arm,primecell\";",
	"clock-names = \"uartclk\\0apb_pclk\";",
	"rtc@9010000 {",
	"compatible = \"arm,pl031\\0arm,primecell\";",
	"virtio_mmio@a000200 {",
	"interrupts = <0x00 0x11 0x04>;",
	"dma-coherent;",
	"bootargs = \"console=ttyAMA0 earlycon root=/dev/vda\";",
	"stdout-path = \"/serial@9000000\";",
	"linux,initrd-start = <0x00 0x48000000>;",
	"linux,initrd-end = <0x00 0x48123456>;",
};

/* And of the riscv64 one. */
static const char *const riscv64_dts[] = {
	"timebase-frequency = <0x989680>;",
	"cpu@3 {",
	"riscv,isa = \"rv64imafdc_zicsr_zifencei\";",
	"mmu-type = \"riscv,sv48\";",
	"compatible = \"riscv,cpu-intc\";",
	"memory@80000000 {",
	"interrupt-controller@c000000 {",
	"compatible = \"sifive,plic-1.0.0\\0riscv,plic0\";",
	"riscv,ndev = <0x3f>;",
	"interrupts-extended = <",
	"serial@10000100 {",
	"compatible = \"ns16550a\";",
	"clock-frequency = ",
	"compatible = \"google,goldfish-rtc\";",
	"virtio_mmio@10001000 {",
	"compatible = \"virtio,mmio\";",
	"stdout-path = \"/serial@10000100\";",
	"bootargs = \"console=ttyS1\";",
};

/* The first of @want not in @dts, or "". */
static const char *missing(const char *dts, const char *const *want,
			   size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strstr(dts, want[i]))
			return want[i];
	return "";
}

TEST(arm64_dtc)
{
	static char fdt[TREE_SIZE], dts[TREE_SIZE], err[4096];
	struct fdt_machine m;

	arm64_machine(&m, 6);
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	if (!run_dtc(fdt, dts, sizeof(dts), err, sizeof(err)))
		SKIP(return, "no dtc (Debian: device-tree-compiler)");
	EXPECT_STREQ("", err);
	EXPECT_STREQ("", missing(dts, arm64_dts, ARRAY_SIZE(arm64_dts)));
}

TEST(riscv64_dtc)
{
	static char fdt[TREE_SIZE], dts[TREE_SIZE], err[4096];
	struct fdt_machine m;

	riscv64_machine(&m, 4);
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	if (!run_dtc(fdt, dts, sizeof(dts), err, sizeof(err)))
		SKIP(return, "no dtc (Debian: device-tree-compiler)");
	EXPECT_STREQ("", err);
	EXPECT_STREQ("", missing(dts, riscv64_dts, ARRAY_SIZE(riscv64_dts)));
	EXPECT_EQ(NULL, strstr(dts, "linux,initrd-start"));
	EXPECT_EQ(NULL, strstr(dts, "psci"));
	EXPECT_EQ(NULL, strstr(dts, "gic"));
}

TEST(wide_ids)
{
	static char fdt[TREE_SIZE], dts[TREE_SIZE], err[4096];
	struct fdt_machine m;
	const void *v;

	/* An Aff3 field: two cells of reg for every CPU. */
	arm64_machine(&m, 2);
	m.cpu_ids[1] = 0x100000000ULL;
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	v = getprop(fdt, "/cpus", "#address-cells", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(2, cell(v, 0));
	v = getprop(fdt, "/cpus/cpu@100000000", "reg", 8);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(1, cell(v, 0));
	EXPECT_EQ(0, cell(v, 1));
	v = getprop(fdt, "/cpus/cpu@0", "reg", 8);
	ASSERT_NE(NULL, v);
	/* A raw MPIDR_EL1, RES1 bit 31 and all: reg has the affinity. */
	arm64_machine(&m, 2);
	m.cpu_ids[1] = 0x80000101;
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	v = getprop(fdt, "/cpus/cpu@101", "reg", 4);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0x101, cell(v, 0));
	arm64_machine(&m, 2);
	m.cpu_ids[1] = 0x100000000ULL;
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	if (!run_dtc(fdt, dts, sizeof(dts), err, sizeof(err)))
		SKIP(return, "no dtc (Debian: device-tree-compiler)");
	EXPECT_STREQ("", err);
	EXPECT_NE(NULL, strstr(dts, "reg = <0x01 0x00>;"));
}

TEST(minimal_machine)
{
	static char fdt[TREE_SIZE];
	struct fdt_machine m;
	int chosen;

	/* No console, no bootargs, no initrd: an empty /chosen. */
	arm64_machine(&m, 1);
	m.ndevs = 0;
	m.bootargs = NULL;
	m.initrd_start = 0;
	m.initrd_end = 0;
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	chosen = fdt_path_offset(fdt, "/chosen");
	ASSERT_LE(0, chosen);
	EXPECT_EQ(-FDT_ERR_NOTFOUND, fdt_first_property_offset(fdt, chosen));
	EXPECT_LE(0, fdt_path_offset(fdt, "/cpus/cpu@0"));
	/* riscv64 with its defaults for the ISA and MMU. */
	riscv64_machine(&m, 1);
	m.isa = NULL;
	m.mmu_type = NULL;
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	EXPECT_STREQ("rv64imafdc", getprop(fdt, "/cpus/cpu@0", "riscv,isa",
					   -1));
	EXPECT_STREQ("riscv,sv39", getprop(fdt, "/cpus/cpu@0", "mmu-type",
					   -1));
}

TEST(max_cpus)
{
	static char fdt[TREE_SIZE];
	struct fdt_machine m;

	arm64_machine(&m, FDT_MAX_CPUS);
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	EXPECT_LE(0, fdt_path_offset(fdt, "/cpus/cpu@f03"));
	riscv64_machine(&m, FDT_MAX_CPUS);
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	EXPECT_NE(NULL, getprop(fdt, "/interrupt-controller@c000000",
				"interrupts-extended",
				4 * 4 * FDT_MAX_CPUS));
}

TEST(buffer_too_small)
{
	static char fdt[TREE_SIZE], small[TREE_SIZE];
	struct fdt_machine m;
	int size;

	riscv64_machine(&m, 4);
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));
	size = fdt_totalsize(fdt);
	/* Exactly its size is enough, a byte less is not. */
	EXPECT_EQ(0, fdt_build(&m, small, size));
	EXPECT_EQ(0, memcmp(fdt, small, size));
	EXPECT_EQ(-ENOSPC, fdt_build(&m, small, size - 1));
	EXPECT_EQ(-ENOSPC, fdt_build(&m, small, 256));
	EXPECT_EQ(-ENOSPC, fdt_build(&m, small, 16));
	EXPECT_EQ(-ENOSPC, fdt_build(&m, small, 0));
}

TEST(bad_machines)
{
	static char fdt[TREE_SIZE];
	struct fdt_machine m;

	arm64_machine(&m, 2);
	ASSERT_EQ(0, fdt_build(&m, fdt, sizeof(fdt)));

	arm64_machine(&m, 2);
	m.ncpus = 0;
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, FDT_MAX_CPUS);
	m.ncpus = FDT_MAX_CPUS + 1;
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.cpu_ids[1] = 0;		/* duplicate */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.cpu_ids[1] = 1ULL << 31;	/* MPIDR's RES1 bit: cpu 0 again */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.gicr_size = FDT_GICR_STRIDE;	/* one redistributor for two */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.devs[0].irq = 988;		/* past the last SPI */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.devs[1].base = 0x09000800;	/* overlaps the UART */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.devs[2].size = 0;
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.devs[2].base = 0x50000000;	/* in RAM */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.ndevs = FDT_MAX_DEVS + 1;
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.devs[1].stdout = true;	/* an RTC as the console */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.initrd_end = 0x70000000;	/* past RAM */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.initrd_end = m.initrd_start;
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	arm64_machine(&m, 2);
	m.arch = 7;
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));

	riscv64_machine(&m, 2);
	m.devs[0].irq = 0;		/* PLIC source 0 is no source */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	riscv64_machine(&m, 2);
	m.devs[0].irq = 64;		/* past riscv,ndev */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	riscv64_machine(&m, 2);
	m.devs[1].stdout = true;	/* two consoles */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	riscv64_machine(&m, 2);
	m.timebase_freq = 0;
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	riscv64_machine(&m, 2);
	m.plic_base = 0x80000000;	/* on RAM */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
	riscv64_machine(&m, 2);
	m.mem_base = ~0ULL - 0x1000;	/* wraps */
	EXPECT_EQ(-EINVAL, fdt_build(&m, fdt, sizeof(fdt)));
}

TEST_HARNESS_MAIN
