// SPDX-License-Identifier: GPL-2.0
/*
 * The x86-64 machine: RAM from 0, a 16550 at port 0x3f8 (IRQ 4), the
 * CMOS RTC at 0x70, power-off at port 0x604 (ACPI PM1a control, as QEMU
 * has it) and reset at 0xcf9. Virtio devices are PCI functions, as
 * kvmtool and QEMU give them to x86 guests: a host bridge with ECAM at
 * 0xe0000000 (bus 0, in the MCFG table) and the 0xcf8/0xcfc ports, BARs
 * from 0xe1000000, MSI-X through the in-kernel irqchip, INTx on GSIs
 * 16-23 by the DSDT's _PRT. Stock kernels find them without help
 * (distribution kernels build virtio-mmio without its command-line
 * devices). --virtio-transport mmio puts them at 0xd0000000 instead,
 * named on the kernel command line.
 *
 * With the module's irqchip (local APICs, I/O APIC at 0xfec00000 with 24
 * GSIs, 8259s, PIT) every vCPU thread enters RUN at once: the first vCPU
 * boots, the others wait in the kernel for INIT/SIPI from it. Linux then
 * gets ACPI tables (acpi.c) for SMP, interrupt routing and power-off.
 *
 * Guests start as their image asks: a bzImage through the Linux 64-bit
 * boot protocol (zero page, e820 map, identity-mapped long mode), an ELF
 * (32- or 64-bit) in 32-bit protected mode with flat segments and paging
 * off, with the Multiboot information when it carries a Multiboot header
 * (multiboot.c), a raw binary in real mode at its entry (below 1 MiB).
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "acpi.h"
#include "devices.h"
#include "loader.h"
#include "multiboot.h"
#include "pci.h"
#include "vm.h"

#define X86_VIRTIO_BASE		0xd0000000ULL	/* also the top of RAM */
#define X86_VIRTIO_IRQ		5
#define X86_IRQ_VECTOR_BASE	0x20	/* ISA IRQ n is vector 0x20 + n */

/* Linux boot protocol places, below 1 MiB; ACPI where Linux scans. */
#define BOOT_ACPI		0xe0000ULL
#define BOOT_GDT		0x6000ULL
#define BOOT_ZERO_PAGE		0x7000ULL
#define BOOT_PML4		0x9000ULL
#define BOOT_PDPT		0xa000ULL
#define BOOT_PD			0xb000ULL	/* 4 pages: 4 GiB of 2 MiB */
#define BOOT_CMDLINE		0x20000ULL
#define BOOT_CMDLINE_MAX	2048
#define BOOT_KERNEL		0x100000ULL

/* struct boot_params and setup_header offsets (Documentation/x86/boot.rst). */
#define BP_ACPI_RSDP_ADDR	0x070
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_HDR			0x1f1
#define BP_SETUP_SECTS		0x1f1
#define BP_HEADER_MAGIC		0x202
#define BP_VERSION		0x206
#define BP_TYPE_OF_LOADER	0x210
#define BP_LOADFLAGS		0x211
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_CMD_LINE_PTR		0x228
#define BP_INITRD_ADDR_MAX	0x22c
#define BP_XLOADFLAGS		0x236
#define BP_CMDLINE_SIZE		0x238
#define BP_E820_TABLE		0x2d0
#define BP_HDR_END_JUMP		0x201	/* header length: 0x202 + byte here */

#define XLF_KERNEL_64		0x1
#define LOADED_HIGH		0x1
#define E820_RAM		1
#define E820_RESERVED		2

/* Segment attributes, VMX access-rights layout (api.rst). */
#define AR_CODE16		0x009bULL
#define AR_DATA16		0x0093ULL
#define AR_CODE32		0xc09bULL
#define AR_DATA32		0xc093ULL
#define AR_CODE64		0xa09bULL

#define SEG_ES	0
#define SEG_CS	1
#define SEG_SS	2
#define SEG_DS	3
#define SEG_FS	4
#define SEG_GS	5

#define X86_CR0_PE		0x1ULL
#define X86_CR0_ET		0x10ULL
#define X86_CR0_PG		0x80000000ULL
#define X86_CR4_PAE		0x20ULL
#define X86_EFER_LME		0x100ULL
#define X86_EFER_LMA		0x400ULL

enum x86_boot {
	X86_BOOT_REAL,
	X86_BOOT_FLAT32,
	X86_BOOT_LINUX64,
};

static enum x86_boot x86_boot_mode;
/* X86_BOOT_FLAT32 of a Multiboot image: its information's address. */
static uint32_t x86_multiboot_info;

static uint64_t x86_arch_id(unsigned int vcpu)
{
	return vcpu;		/* the APIC id */
}

static int set_seg(struct vcpu *v, int seg, uint64_t sel, uint64_t base,
		   uint64_t limit, uint64_t attr)
{
	return vcpu_set_sysreg(v, AXVM_SYSREG_X86_SEG_SEL(seg), sel) ||
	       vcpu_set_sysreg(v, AXVM_SYSREG_X86_SEG_BASE(seg), base) ||
	       vcpu_set_sysreg(v, AXVM_SYSREG_X86_SEG_LIMIT(seg), limit) ||
	       vcpu_set_sysreg(v, AXVM_SYSREG_X86_SEG_ATTR(seg), attr);
}

static int set_data_segs(struct vcpu *v, uint64_t sel, uint64_t base,
			 uint64_t limit, uint64_t attr)
{
	static const int segs[] = { SEG_ES, SEG_SS, SEG_DS, SEG_FS, SEG_GS };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(segs); i++)
		if (set_seg(v, segs[i], sel, base, limit, attr))
			return -1;
	return 0;
}

static int x86_boot_regs(struct vcpu *v, uint64_t entry, uint64_t arg,
			 bool first)
{
	struct axvm_regs regs;
	uint64_t base;

	if (!first) {
		fprintf(stderr,
			"vmctl: x86 vCPUs other than the first start with INIT/SIPI, in the kernel\n");
		return -1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.pstate = 0x2;
	switch (x86_boot_mode) {
	case X86_BOOT_REAL:
		base = entry & ~0xffffULL;
		if (set_seg(v, SEG_CS, base >> 4, base, 0xffff, AR_CODE16) ||
		    set_data_segs(v, base >> 4, base, 0xffff, AR_DATA16))
			return -1;
		regs.pc = entry & 0xffff;
		break;
	case X86_BOOT_FLAT32:
		if (vcpu_set_sysreg(v, AXVM_SYSREG_X86_CR0,
				    X86_CR0_PE | X86_CR0_ET) ||
		    set_seg(v, SEG_CS, 0x08, 0, 0xffffffff, AR_CODE32) ||
		    set_data_segs(v, 0x10, 0, 0xffffffff, AR_DATA32))
			return -1;
		/* Multiboot 3.2: EAX the magic, EBX the information. */
		if (x86_multiboot_info) {
			regs.gpr[0] = MULTIBOOT_BOOT_MAGIC;
			regs.gpr[3] = x86_multiboot_info;
		}
		regs.pc = entry;
		break;
	case X86_BOOT_LINUX64:
		if (vcpu_set_sysreg(v, AXVM_SYSREG_X86_GDTR_BASE, BOOT_GDT) ||
		    vcpu_set_sysreg(v, AXVM_SYSREG_X86_GDTR_LIMIT, 4 * 8 - 1) ||
		    vcpu_set_sysreg(v, AXVM_SYSREG_X86_CR3, BOOT_PML4) ||
		    vcpu_set_sysreg(v, AXVM_SYSREG_X86_CR4, X86_CR4_PAE) ||
		    vcpu_set_sysreg(v, AXVM_SYSREG_X86_EFER,
				    X86_EFER_LME | X86_EFER_LMA) ||
		    vcpu_set_sysreg(v, AXVM_SYSREG_X86_CR0,
				    X86_CR0_PE | X86_CR0_ET | X86_CR0_PG) ||
		    set_seg(v, SEG_CS, 0x10, 0, 0xffffffff, AR_CODE64) ||
		    set_data_segs(v, 0x18, 0, 0xffffffff, AR_DATA32))
			return -1;
		regs.gpr[6] = v->vm->boot.zero_page;	/* RSI */
		regs.pc = entry;
		break;
	}
	(void)arg;
	return vcpu_set_regs(v, &regs);
}

/* GDT and identity-mapped page tables for the 64-bit entry. */
static int x86_long_mode_tables(struct vm *vm)
{
	uint8_t *gdt = vm_ram(vm, BOOT_GDT, 4 * 8, "boot GDT");
	uint8_t *pml4 = vm_ram(vm, BOOT_PML4, 4096, "page tables");
	uint8_t *pdpt = vm_ram(vm, BOOT_PDPT, 4096, "page tables");
	uint8_t *pd = vm_ram(vm, BOOT_PD, 4 * 4096, "page tables");
	unsigned int i;

	if (!gdt || !pml4 || !pdpt || !pd)
		return -1;
	memset(gdt, 0, 4 * 8);
	put_le(gdt + 0x10, 8, 0x00af9b000000ffffULL);	/* 64-bit code */
	put_le(gdt + 0x18, 8, 0x00cf93000000ffffULL);	/* data */
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	put_le(pml4, 8, BOOT_PDPT | 0x3);
	for (i = 0; i < 4; i++)
		put_le(pdpt + 8 * i, 8, (BOOT_PD + 4096 * i) | 0x3);
	for (i = 0; i < 4 * 512; i++)	/* present, writable, 2 MiB */
		put_le(pd + 8 * i, 8, ((uint64_t)i << 21) | 0x83);
	return 0;
}

static bool is_bzimage(const struct file_buf *f)
{
	return f->size > 0x1000 &&
	       !memcmp(f->data + BP_HEADER_MAGIC, "HdrS", 4);
}

/* The VM gets the module's irqchip: --ipi user leaves it out. */
static bool x86_has_irqchip(struct vm *vm)
{
	int types = ioctl(vm->sys_fd, AXVM_CHECK_CAP, AXVM_CAP_IRQCHIP);

	return !vm->opts->user_ipi && types > 0 &&
	       (types & (1 << AXVM_IRQCHIP_X86));
}

/*
 * The user's command line, then a virtio_mmio.device=<size>@<base>:<irq>
 * for each virtio device (x86 has no device tree to list them).
 */
static int x86_cmdline(struct vm *vm, char *buf, size_t room)
{
	const char *user = vm->opts->cmdline ?: "";
	const struct placed_device *p;
	size_t len = snprintf(buf, room, "%s", user);
	unsigned int i;

	for (i = 0; i < vm->nplaced && len < room; i++) {
		p = &vm->placed[i];
		if (p->kind != PLACED_VIRTIO)
			continue;
		len += snprintf(buf + len, room - len,
				"%svirtio_mmio.device=%#llx@%#llx:%u",
				len ? " " : "", (unsigned long long)p->size,
				(unsigned long long)p->base, p->irq);
	}
	return len < room ? 0 : -1;
}

/*
 * The machine's memory map, for e820 and Multiboot alike: RAM below 640
 * KiB, the legacy video and BIOS hole, RAM from 1 MiB; with PCI, ECAM
 * reserved as firmware does it (Linux uses the MCFG region only where
 * E820 or ACPI marks it so: pci_mmcfg_check_reserved()). Returns how
 * many ranges @map got.
 */
static unsigned int x86_memory_map(const struct vm *vm,
				   struct x86_mem_range map[X86_MEM_RANGES_MAX])
{
	uint64_t ram_end = vm->mem.base + vm->mem.size;
	unsigned int n = 0;

	map[n++] = (struct x86_mem_range){ 0, 0xa0000, true };
	map[n++] = (struct x86_mem_range){ 0xa0000, 0x60000, false };
	map[n++] = (struct x86_mem_range){ BOOT_KERNEL, ram_end - BOOT_KERNEL,
					   true };
	if (vm->pci)
		map[n++] = (struct x86_mem_range){ X86_PCI_ECAM,
						   PCI_ECAM_BUS_SIZE, false };
	return n;
}

/* The real-mode setup code's size: the kernel proper follows it. */
static size_t bz_setup_size(const struct file_buf *f)
{
	unsigned int setup_sects = f->data[BP_SETUP_SECTS] ?: 4;

	return (setup_sects + 1) * 512ULL;
}

/* The setup header's length, which its jump at 0x200 gives. */
static size_t bz_hdr_len(const struct file_buf *f)
{
	return 0x202 + f->data[BP_HDR_END_JUMP] - BP_HDR;
}

/* A bzImage this loader can start: its headers, before any VM. */
static int x86_check_bzimage(const struct file_buf *f)
{
	if (get_le(f->data + BP_VERSION, 2) < 0x20c ||
	    !(get_le(f->data + BP_XLOADFLAGS, 2) & XLF_KERNEL_64)) {
		fprintf(stderr,
			"vmctl: %s: bzImage without the 64-bit entry (boot protocol 2.12)\n",
			f->path);
		return -1;
	}
	if (bz_setup_size(f) >= f->size) {
		fprintf(stderr, "vmctl: %s: truncated bzImage\n", f->path);
		return -1;
	}
	if (BP_HDR + bz_hdr_len(f) > 4096 || BP_HDR + bz_hdr_len(f) > f->size) {
		fprintf(stderr, "vmctl: %s: bad setup header length\n", f->path);
		return -1;
	}
	return 0;
}

/* The Linux/x86 64-bit boot protocol (Documentation/x86/boot.rst). */
static int x86_load_bzimage(struct vm *vm, const struct file_buf *f)
{
	size_t setup = bz_setup_size(f), hdr_len = bz_hdr_len(f);
	struct x86_mem_range map[X86_MEM_RANGES_MAX];
	char cmdline[BOOT_CMDLINE_MAX];
	uint64_t ram_end = vm->mem.base + vm->mem.size, initrd_max;
	uint8_t *zp, *e820;
	unsigned int n, i;
	size_t len;

	if (x86_cmdline(vm, cmdline, sizeof(cmdline))) {
		fprintf(stderr,
			"vmctl: --append: command line too long (at most %d bytes on x86)\n",
			BOOT_CMDLINE_MAX - 1);
		return -1;
	}
	len = strlen(cmdline) + 1;
	if (len > get_le(f->data + BP_CMDLINE_SIZE, 4) + 1) {
		fprintf(stderr, "vmctl: --append: command line longer than the kernel takes\n");
		return -1;
	}
	if (load_bytes(vm, f, setup, f->size - setup, BOOT_KERNEL) ||
	    x86_long_mode_tables(vm))
		return -1;
	zp = vm_ram(vm, BOOT_ZERO_PAGE, 4096, "zero page");
	if (!zp || !vm_ram(vm, BOOT_CMDLINE, len, "command line"))
		return -1;
	memcpy(vm_ram(vm, BOOT_CMDLINE, len, "command line"), cmdline, len);

	/* The zero page: the image's setup header, then what we fill in. */
	memset(zp, 0, 4096);
	memcpy(zp + BP_HDR, f->data + BP_HDR, hdr_len);
	zp[BP_TYPE_OF_LOADER] = 0xff;
	zp[BP_LOADFLAGS] |= LOADED_HIGH;
	put_le(zp + BP_CMD_LINE_PTR, 4, BOOT_CMDLINE);
	put_le(zp + BP_EXT_CMD_LINE_PTR, 4, 0);

	initrd_max = get_le(f->data + BP_INITRD_ADDR_MAX, 4) + 1ULL;
	if (load_initrd(vm, BOOT_KERNEL + f->size - setup,
			ram_end < initrd_max ? ram_end : initrd_max))
		return -1;
	if (vm->boot.initrd_end) {
		uint64_t start = vm->boot.initrd_start;
		uint64_t size = vm->boot.initrd_end - start;

		put_le(zp + BP_RAMDISK_IMAGE, 4, start);
		put_le(zp + BP_RAMDISK_SIZE, 4, size);
		put_le(zp + BP_EXT_RAMDISK_IMAGE, 4, start >> 32);
		put_le(zp + BP_EXT_RAMDISK_SIZE, 4, size >> 32);
	}

	e820 = zp + BP_E820_TABLE;
	n = x86_memory_map(vm, map);
	for (i = 0; i < n; i++) {
		put_le(e820 + 20 * i, 8, map[i].base);
		put_le(e820 + 20 * i + 8, 8, map[i].size);
		put_le(e820 + 20 * i + 16, 4,
		       map[i].ram ? E820_RAM : E820_RESERVED);
	}
	zp[BP_E820_ENTRIES] = n;

	/* ACPI (MADT, FADT) only describes what the irqchip provides. */
	if (x86_has_irqchip(vm)) {
		if (x86_acpi_build(vm, BOOT_ACPI))
			return -1;
		put_le(zp + BP_ACPI_RSDP_ADDR, 8, BOOT_ACPI);
	}

	x86_boot_mode = X86_BOOT_LINUX64;
	vm->boot.is_linux = true;
	vm->boot.zero_page = BOOT_ZERO_PAGE;
	vm->boot.entry = BOOT_KERNEL + 0x200;
	vm->boot.kernel_start = BOOT_KERNEL;
	vm->boot.kernel_end = BOOT_KERNEL + f->size - setup;
	return 0;
}

/*
 * An ELF image with a Multiboot header gets what the specification
 * gives: its module (--initrd) page-aligned at the top of the RAM below
 * 4 GiB, the information structure, EAX and EBX at entry.
 */
static int x86_load_multiboot(struct vm *vm, const struct file_buf *f)
{
	struct x86_mem_range map[X86_MEM_RANGES_MAX];
	uint64_t ram_end = vm->mem.base + vm->mem.size;
	char cmdline[BOOT_CMDLINE_MAX];
	unsigned int n;
	uint32_t flags;
	int mb;

	mb = multiboot_header(f, &flags);
	if (mb <= 0)
		return mb;
	if (x86_cmdline(vm, cmdline, sizeof(cmdline))) {
		fprintf(stderr,
			"vmctl: --append: command line too long (at most %d bytes on x86)\n",
			BOOT_CMDLINE_MAX - 1);
		return -1;
	}
	if (load_initrd(vm, vm->boot.kernel_end, ram_end))
		return -1;
	n = x86_memory_map(vm, map);
	x86_multiboot_info = multiboot_info(vm, cmdline, map, n);
	return x86_multiboot_info ? 0 : -1;
}

/* What the image is, from its headers: all known before a VM exists. */
static int x86_check_kernel(struct vm *vm)
{
	const struct vm_opts *o = vm->opts;
	const struct file_buf *f = &vm->kernel;
	uint32_t flags;

	if (o->load_addr != VMCTL_NO_ADDR) {
		vm->kernel_kind = KERNEL_RAW;
	} else if (is_elf(f)) {
		/* A Multiboot header that asks for a video mode fails. */
		if (elf_check(f, EM_X86_64) || multiboot_header(f, &flags) < 0)
			return -1;
		vm->kernel_kind = KERNEL_ELF;
	} else if (is_bzimage(f)) {
		if (x86_check_bzimage(f))
			return -1;
		vm->kernel_kind = KERNEL_LINUX;
	} else {
		fprintf(stderr,
			"vmctl: %s: neither a bzImage nor an ELF; give --load for a raw binary\n",
			f->path);
		return -1;
	}
	return 0;
}

static int x86_load(struct vm *vm)
{
	const struct vm_opts *o = vm->opts;
	const struct file_buf *f = &vm->kernel;
	int ret = -1;

	if (vm->mem.size < (16ULL << 20)) {
		fprintf(stderr, "vmctl: x86 guests need at least 16M of RAM\n");
		return -1;
	}
	/* RAM is one range from 0: it must end below the device holes. */
	if (vm->mem.base + vm->mem.size > X86_VIRTIO_BASE) {
		fprintf(stderr, "vmctl: x86 guests have at most %lluM of RAM\n",
			X86_VIRTIO_BASE >> 20);
		return -1;
	}
	switch (vm->kernel_kind) {
	case KERNEL_RAW:
		ret = load_bytes(vm, f, 0, f->size, o->load_addr);
		if (!ret && o->entry >= 0x100000) {
			fprintf(stderr,
				"vmctl: --entry %#llx: x86 raw images start in real mode, below 1 MiB\n",
				(unsigned long long)o->entry);
			ret = -1;
		}
		x86_boot_mode = X86_BOOT_REAL;
		vm->boot.entry = o->entry;
		vm->boot.kernel_start = o->load_addr;
		vm->boot.kernel_end = o->load_addr + f->size;
		break;
	case KERNEL_ELF:
		/* A position-independent one at 1 MiB, as Multiboot loads. */
		ret = load_elf(vm, f, EM_X86_64, 0x100000, &vm->boot.entry,
			       &vm->boot.kernel_start, &vm->boot.kernel_end);
		x86_boot_mode = X86_BOOT_FLAT32;
		vm->boot.elf = true;
		if (!ret && vm->boot.entry > 0xffffffffULL) {
			fprintf(stderr,
				"vmctl: %s: entry above 4 GiB; x86 ELF images start in 32-bit mode\n",
				f->path);
			ret = -1;
		}
		if (!ret)
			ret = x86_load_multiboot(vm, f);
		break;
	case KERNEL_LINUX:
		ret = x86_load_bzimage(vm, f);
		break;
	}
	if (!ret && o->initrd && !vm->boot.is_linux && !x86_multiboot_info) {
		fprintf(stderr,
			"vmctl: --initrd is for Linux and Multiboot kernels\n");
		ret = -1;
	}
	return ret;
}

static int x86_create_irqchip(struct vm *vm)
{
	struct axvm_irqchip chip = {
		.type = AXVM_IRQCHIP_X86,
		.nr_irqs = X86_NR_GSIS,
		.base = { X86_IOAPIC_BASE },
		.size = { 0x1000 },
	};

	return vm_create_irqchip(vm, &chip);
}

/*
 * With the irqchip: the line is GSI n (and ISA IRQ n). Without: ISA IRQ
 * n as vector 0x20 + n, edge-like: a raise queues it once.
 */
static void x86_irq_set(struct irq_line *line, int level)
{
	struct vm *vm = line->opaque;
	struct axvm_irq irq = {
		.irq = X86_IRQ_VECTOR_BASE + line->nr,
		.flags = AXVM_IRQ_LEVEL_HIGH,
	};

	if (vm->irqchip) {
		vm_irqchip_line(vm, line->nr, level);
		return;
	}
	if (!level)
		return;
	ioctl(vm->vcpus[0].fd, AXVM_INJECT_IRQ, &irq);
	vm_kick_halted(vm);
}

static void x86_hypercall(struct vcpu *v)
{
	v->run->hypercall.ret = -1000;	/* no such call (KVM's -KVM_ENOSYS) */
}

/*
 * Power control ports: the ACPI PM1a event block at 0x600 (status reads
 * 0, enable bits stick), PM1a_CNT at 0x604 (SCI_EN reads set: ACPI mode
 * only), the 24-bit PM timer at 0x608, and the 0xcf9 reset.
 */
struct x86_power {
	struct device pm, rst;
	struct vm *vm;
	uint16_t pm1_en;
};

#define PM1_EN_OFF		2
#define PM1_CNT_OFF		4
#define PM1_CNT_SCI_EN		0x1
#define PM_TMR_OFF		8
#define PM_TMR_HZ		3579545ULL

static uint64_t x86_pm_read(struct device *d, uint64_t off, unsigned int len)
{
	struct x86_power *p = container_of(d, struct x86_power, pm);
	struct timespec ts;
	uint64_t ns;

	switch (off) {
	case PM1_EN_OFF:
		return p->pm1_en;
	case PM1_CNT_OFF:
		return PM1_CNT_SCI_EN;
	case PM_TMR_OFF:
		/* The timer Linux calibrates the TSC against, from the host's. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
		return (ns / 1000 * PM_TMR_HZ / 1000000) & 0xffffff;
	default:
		return 0;
	}
}

static void x86_pm_write(struct device *d, uint64_t off, unsigned int len,
			 uint64_t val)
{
	struct x86_power *p = container_of(d, struct x86_power, pm);

	if (off == PM1_EN_OFF && len == 2)
		p->pm1_en = val;
	/* PM1a_CNT: SLP_EN (bit 13) with SLP_TYP 0 is S5, off. */
	if (off == PM1_CNT_OFF && len == 2 && (val & 0x2000) &&
	    !(val & 0x1c00))
		vm_stop(p->vm, VMCTL_POWEROFF);
}

static void x86_rst_write(struct device *d, uint64_t off, unsigned int len,
			  uint64_t val)
{
	struct x86_power *p = container_of(d, struct x86_power, rst);

	if (val & 0x4)	/* RST_CPU */
		vm_stop(p->vm, VMCTL_RESET);
}

static const struct device_ops x86_pm_ops = {
	.read = x86_pm_read,
	.write = x86_pm_write,
};

static const struct device_ops x86_rst_ops = { .write = x86_rst_write };

static void x86_pci_reset(void *opaque)
{
	vm_stop(opaque, VMCTL_RESET);
}

/*
 * The host bridge at 00:00.0, as on PCs: Red Hat's generic PCIe host
 * bridge ID (QEMU's), class host bridge; nothing of it is writable.
 */
static int x86_add_pci(struct vm *vm, struct machine_devices *md)
{
	static pthread_mutex_t bridge_lock = PTHREAD_MUTEX_INITIALIZER;
	static struct pci_host host;
	static struct pci_func bridge;

	pci_func_init(&bridge, 0x1b36, 0x0008, 0, 0x060000, 0x1af4, 0x1100, 0);
	memset(bridge.wmask, 0, sizeof(bridge.wmask));
	bridge.lock = &bridge_lock;
	if (pci_host_init(&host, &vm->bus, X86_PCI_ECAM, X86_PCI_MEM,
			  X86_PCI_MEM_END) ||
	    pci_host_add(&host, &bridge, 0, 0, NULL) < 0) {
		perror("vmctl: PCI host bridge");
		return -1;
	}
	host.reset = x86_pci_reset;
	host.opaque = vm;
	vm->pci = &host;
	md->pci = &host;
	md->pci_intx = x86_pci_intx;
	return 0;
}

static int x86_add_devices(struct vm *vm)
{
	static struct x86_power power;
	struct machine_devices md = {
		.uart = UART_16550_ISA, .uart_base = 0x3f8, .uart_irq = 4,
		.rtc = RTC_CMOS, .rtc_base = 0x70,
		.virtio_base = X86_VIRTIO_BASE, .virtio_stride = 0x200,
		.virtio_irq = X86_VIRTIO_IRQ,
	};
	bool pci = vm->opts->virtio_transport != VIRTIO_TRANSPORT_MMIO;

	/* MSI-X and the ACPI tables that describe the bridge need it. */
	if (pci && !x86_has_irqchip(vm)) {
		if (vm->opts->virtio_transport == VIRTIO_TRANSPORT_PCI) {
			fprintf(stderr,
				"vmctl: --virtio-transport pci: MSI-X needs the module's x86 irqchip (absent, or --ipi user)\n");
			return -1;
		}
		pci = false;
	}
	power.vm = vm;
	device_init(&power.pm, "pm", IO_PIO, 0x600, 0x10, &x86_pm_ops);
	if (bus_add(&vm->bus, &power.pm))
		return -1;
	/* With PCI, 0xcf9 is inside the conf1 ports, which handle it. */
	if (pci) {
		if (x86_add_pci(vm, &md))
			return -1;
	} else {
		device_init(&power.rst, "reset", IO_PIO, 0xcf9, 1,
			    &x86_rst_ops);
		if (bus_add(&vm->bus, &power.rst))
			return -1;
	}
	return devices_add(vm, &md);
}

/* The xAPIC's ICR low half (SDM 10.6.1), as the module gives it. */
#define ICR_DELIVERY(icr)	(((icr) >> 8) & 7)
#define ICR_FIXED		0
#define ICR_LOWEST		1
#define ICR_SMI			2
#define ICR_NMI			4
#define ICR_INIT		5
#define ICR_STARTUP		6
#define ICR_LOGICAL		(1U << 11)
#define APIC_ID_BROADCAST	0xff

/*
 * A write of the ICR low half. Fixed and lowest-priority IPIs are the
 * vector on each target, NMIs an NMI. vmctl has no local APIC: INIT and
 * STARTUP, which would reset and start a vCPU, SMIs and the logical
 * destination mode (whose match needs the targets' LDR and DFR) are
 * beyond it. In physical mode the destination is an APIC id, 0xff all
 * of them (SDM 10.6.2.1); lowest priority goes to one target, the first
 * (vmctl keeps no TPR to arbitrate by).
 */
static enum vm_ipi x86_ipi_targets(struct vcpu *v, uint64_t *targets,
				   const char **why)
{
	const struct axvm_run *r = v->run;
	uint32_t icr = r->ipi.target_cpu_aux;

	switch (ICR_DELIVERY(icr)) {
	case ICR_FIXED:
	case ICR_LOWEST:
	case ICR_NMI:
		break;
	case ICR_INIT:
		*why = "an INIT IPI, which needs a local APIC vmctl does not have";
		return VM_IPI_CANNOT;
	case ICR_STARTUP:
		*why = "a STARTUP IPI, which needs a local APIC vmctl does not have";
		return VM_IPI_CANNOT;
	case ICR_SMI:
		*why = "an SMI IPI, and vmctl has no SMM";
		return VM_IPI_CANNOT;
	default:
		*why = "an IPI of a reserved delivery mode";
		return VM_IPI_CANNOT;
	}
	if (!r->ipi.send_to_all && !r->ipi.send_to_self) {
		if (icr & ICR_LOGICAL) {
			*why = "a logical-destination IPI, and vmctl keeps no LDR to match";
			return VM_IPI_CANNOT;
		}
		if (r->ipi.target_cpu == APIC_ID_BROADCAST)
			*targets = vm_all_vcpus(v->vm);
		else
			*targets |= vm_vcpus_at(v->vm, r->ipi.target_cpu, 1);
	}
	if (ICR_DELIVERY(icr) == ICR_LOWEST)
		*targets &= -*targets;
	return ICR_DELIVERY(icr) == ICR_NMI ? VM_IPI_NMI : VM_IPI_IRQ;
}

const struct arch arch_x86 = {
	.name = "x86-64",
	.arch = AXVM_ARCH_X86_VMX,
	.ram_base = 0,
	.arch_id = x86_arch_id,
	.add_devices = x86_add_devices,
	.check_kernel = x86_check_kernel,
	.load = x86_load,
	.boot_regs = x86_boot_regs,
	.hypercall = x86_hypercall,
	.create_irqchip = x86_create_irqchip,
	.aps_in_kernel = true,
	.irq_set = x86_irq_set,
	.system_down = vm_down_status,
	.ipi_targets = x86_ipi_targets,
};
