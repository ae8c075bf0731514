// SPDX-License-Identifier: GPL-2.0
/*
 * The riscv64 machine, laid out like QEMU's "virt": PLIC at 0x0c000000,
 * a 16550 at 0x10000000 (source 10), the goldfish RTC at 0x101000
 * (source 11), virtio-mmio from 0x10001000 (sources 1 on), RAM from
 * 0x80000000. Harts start in S-mode (VS) with a0 the hart id and a1 the
 * device tree (the boot hart) or the HSM opaque value.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "boot_dt.h"
#include "vm.h"

#define RISCV_PLIC_BASE		0x0c000000ULL
#define RISCV_PLIC_SIZE		0x4000000ULL
#define RISCV_PLIC_NDEV		31	/* sources 1-31 */
#define RISCV_UART_BASE		0x10000000ULL
#define RISCV_RTC_BASE		0x00101000ULL
#define RISCV_VIRTIO_BASE	0x10001000ULL
#define RISCV_IRQ_VSEIP		10	/* hvip bit of the external interrupt */

#define SBI_EXT_BASE		0x10
#define SBI_BASE_PROBE_EXT	3
#define SBI_EXT_LEGACY_PUTCHAR	0x01
#define SBI_EXT_LEGACY_GETCHAR	0x02
#define SBI_EXT_DBCN		0x4442434eULL
#define SBI_DBCN_WRITE		0
#define SBI_DBCN_READ		1
#define SBI_DBCN_WRITE_BYTE	2
#define SBI_ERR_FAILED		(-1ULL)
#define SBI_ERR_NOT_SUPPORTED	(-2ULL)
#define SBI_ERR_INVALID_PARAM	(-3ULL)
#define SBI_SRST_REASON_FAILURE	1

static const struct machine_devices riscv64_devices = {
	.uart = UART_16550_MMIO, .uart_base = RISCV_UART_BASE,
	.uart_irq = 10,
	.rtc = RTC_GOLDFISH, .rtc_base = RISCV_RTC_BASE, .rtc_irq = 11,
	.virtio_base = RISCV_VIRTIO_BASE, .virtio_stride = 0x1000,
	.virtio_irq = 1,
};

static const struct image_header riscv64_image = {
	.what = "a riscv64 Image",
	.magic_off = 0x38,
	.magic = "RSC\x05",
	.magic_len = 4,
	.default_text_offset = 0x200000,
	.elf_machine = EM_RISCV,
};

static uint64_t riscv64_arch_id(unsigned int vcpu)
{
	return vcpu;		/* the hart id */
}

static int riscv64_add_devices(struct vm *vm)
{
	return devices_add(vm, &riscv64_devices);
}

/*
 * Multi-letter extensions the module does not give a guest: henvcfg
 * leaves their enables (STCE, PBMTE, CBIE/CBCFE, CBZE) off, so a guest
 * using them would trap. Without Sstc the guest's timer is SBI set_timer,
 * which the kernel handles.
 */
static const char *const riscv64_hidden_exts[] = {
	"sstc", "svpbmt", "zicbom", "zicboz",
};

static bool riscv64_ext_hidden(const char *ext, size_t len)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(riscv64_hidden_exts); i++)
		if (len == strlen(riscv64_hidden_exts[i]) &&
		    !strncasecmp(ext, riscv64_hidden_exts[i], len))
			return true;
	return false;
}

/* Drop "_<ext>" of the hidden extensions from the ISA string @isa. */
static void riscv64_hide_exts(char *isa)
{
	char *p = strchr(isa, '_');
	size_t len;

	/* p is at the '_' of an extension, or at the end of the string. */
	while (p && *p) {
		len = strcspn(p + 1, "_");
		if (riscv64_ext_hidden(p + 1, len))
			memmove(p, p + 1 + len, strlen(p + 1 + len) + 1);
		else
			p += 1 + len;
	}
}

/*
 * The guest's harts are the host's: ISA (less H and what the module
 * does not virtualize) and MMU from the first hart in /proc/cpuinfo,
 * time at the host's timebase (htimedelta 0).
 */
static void riscv64_host_hart(char *isa, size_t isa_len, char *mmu,
			      size_t mmu_len, uint32_t *timebase)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512], *v, *h;
	unsigned char be[4];

	snprintf(isa, isa_len, "rv64imafdc");
	snprintf(mmu, mmu_len, "riscv,sv39");
	*timebase = 10000000;
	while (f && fgets(line, sizeof(line), f)) {
		v = strchr(line, ':');
		if (!v)
			continue;
		v += 2;
		v[strcspn(v, "\n")] = '\0';
		if (!strncmp(line, "isa", 3) && !strncmp(v, "rv64", 4)) {
			snprintf(isa, isa_len, "%s", v);
			/* Single-letter extensions end at the first '_'. */
			h = strchr(isa + 4, 'h');
			if (h && (!strchr(isa, '_') || h < strchr(isa, '_')))
				memmove(h, h + 1, strlen(h));
			riscv64_hide_exts(isa);
		} else if (!strncmp(line, "mmu", 3) && !strncmp(v, "sv", 2)) {
			snprintf(mmu, mmu_len, "riscv,%s", v);
			break;
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/device-tree/cpus/timebase-frequency", "rb");
	if (f) {
		if (fread(be, 1, 4, f) == 4)
			*timebase = (uint32_t)be[0] << 24 | be[1] << 16 |
				    be[2] << 8 | be[3];
		fclose(f);
	}
}

static char riscv64_isa[128], riscv64_mmu[32];

static void riscv64_fill_dt(struct vm *vm, struct fdt_machine *m)
{
	unsigned int i;
	uint32_t timebase;

	riscv64_host_hart(riscv64_isa, sizeof(riscv64_isa), riscv64_mmu,
			  sizeof(riscv64_mmu), &timebase);
	m->arch = FDT_RISCV64;
	m->mem_base = vm->mem.base;
	m->mem_size = vm->mem.size;
	m->ncpus = vm->nvcpus;
	for (i = 0; i < vm->nvcpus; i++)
		m->cpu_ids[i] = vm->vcpus[i].arch_id;
	m->plic_base = RISCV_PLIC_BASE;
	m->plic_size = RISCV_PLIC_SIZE;
	m->plic_ndev = RISCV_PLIC_NDEV;
	m->timebase_freq = timebase;
	m->isa = riscv64_isa;
	m->mmu_type = riscv64_mmu;
	boot_dt_fill_common(vm, m);
}

static int riscv64_check_kernel(struct vm *vm)
{
	return boot_dt_check(vm, &riscv64_image);
}

static int riscv64_load(struct vm *vm)
{
	return boot_dt_load(vm, &riscv64_image, riscv64_fill_dt);
}

static int riscv64_boot_regs(struct vcpu *v, uint64_t entry, uint64_t arg,
			     bool first)
{
	struct axvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.gpr[10] = v->arch_id;
	regs.gpr[11] = first ? v->vm->boot.dtb : arg;
	regs.pc = entry;
	return vcpu_set_regs(v, &regs);
}

/*
 * The debug console (SBI 2.0, 12), on the console UART as firmware has
 * it. console_write and console_read name a buffer by its physical
 * address, XLEN bits in base_addr_lo and the upper ones in base_addr_hi:
 * it must lie in guest RAM (INVALID_PARAM otherwise). Neither blocks:
 * read takes what the UART has received, 0 bytes when nothing; both
 * return the count. write_byte writes its byte.
 */
static void riscv64_dbcn(struct vcpu *v)
{
	struct axvm_run *r = v->run;
	struct vm *vm = v->vm;
	uint64_t n = r->hypercall.args[0];
	uint8_t c, *buf = NULL;

	if (r->hypercall.fid == SBI_DBCN_WRITE_BYTE) {
		c = r->hypercall.args[0];
		r->hypercall.ret = write_all(vm->con_out, &c, 1) ?
				   SBI_ERR_FAILED : 0;
		return;
	}
	if (r->hypercall.fid != SBI_DBCN_WRITE &&
	    r->hypercall.fid != SBI_DBCN_READ)
		return;
	if (n)
		buf = r->hypercall.args[2] ? NULL :
		      guest_ptr(&vm->mem, r->hypercall.args[1], n);
	if (n && !buf) {
		r->hypercall.ret = SBI_ERR_INVALID_PARAM;
		return;
	}
	r->hypercall.ret = 0;
	if (r->hypercall.fid == SBI_DBCN_READ) {
		r->hypercall.ret2 = n && vm->con_take ?
				    vm->con_take(vm->con_dev, buf, n) : 0;
	} else if (n && write_all(vm->con_out, buf, n)) {
		r->hypercall.ret = SBI_ERR_FAILED;
	} else {
		r->hypercall.ret2 = n;
	}
}

/*
 * SBI calls the kernel passes on: the probe of an extension it does not
 * implement (present: the legacy console putchar and getchar, each all
 * of its extension, and DBCN; absent: the others), the consoles, else
 * NOT_SUPPORTED.
 */
static void riscv64_hypercall(struct vcpu *v)
{
	struct axvm_run *r = v->run;
	uint8_t c;

	r->hypercall.ret = SBI_ERR_NOT_SUPPORTED;
	r->hypercall.ret2 = 0;
	if (r->hypercall.nr == SBI_EXT_BASE &&
	    r->hypercall.fid == SBI_BASE_PROBE_EXT) {
		/* No error return (SBI 2.0, 4.8): 0 is "not available". */
		r->hypercall.ret = 0;
		r->hypercall.ret2 =
			r->hypercall.args[0] == SBI_EXT_LEGACY_PUTCHAR ||
			r->hypercall.args[0] == SBI_EXT_LEGACY_GETCHAR ||
			r->hypercall.args[0] == SBI_EXT_DBCN;
	} else if (r->hypercall.nr == SBI_EXT_LEGACY_PUTCHAR) {
		c = r->hypercall.args[0];
		write_all(v->vm->con_out, &c, 1);
		r->hypercall.ret = 0;
	} else if (r->hypercall.nr == SBI_EXT_LEGACY_GETCHAR) {
		/* SBI 5.3: the byte, or -1 when there is none. */
		r->hypercall.ret = -1;
		if (v->vm->con_take && v->vm->con_take(v->vm->con_dev, &c, 1))
			r->hypercall.ret = c;
	} else if (r->hypercall.nr == SBI_EXT_DBCN) {
		riscv64_dbcn(v);
	}
}

/* The PLIC in the module, with the DT's layout; 1 when it has none. */
static int riscv64_create_irqchip(struct vm *vm)
{
	struct axvm_irqchip chip = {
		.type = AXVM_IRQCHIP_PLIC,
		.nr_irqs = RISCV_PLIC_NDEV + 1,
		.base = { RISCV_PLIC_BASE },
		.size = { RISCV_PLIC_SIZE },
	};

	return vm_create_irqchip(vm, &chip);
}

/*
 * A device line is PLIC source line->nr. Without the module's PLIC,
 * every line drives the boot hart's VSEIP instead.
 */
static void riscv64_irq_set(struct irq_line *line, int level)
{
	struct vm *vm = line->opaque;
	struct axvm_irq irq = { .irq = RISCV_IRQ_VSEIP };
	uint64_t levels;

	if (vm->irqchip) {
		vm_irqchip_line(vm, line->nr, level);
		return;
	}
	pthread_mutex_lock(&vm->lock);
	if (level)
		vm->irq_levels |= 1ULL << line->nr;
	else
		vm->irq_levels &= ~(1ULL << line->nr);
	levels = vm->irq_levels;
	pthread_mutex_unlock(&vm->lock);
	irq.flags = levels ? AXVM_IRQ_LEVEL_HIGH : 0;
	ioctl(vm->vcpus[0].fd, AXVM_INJECT_IRQ, &irq);
	if (level)
		vm_kick_halted(vm);
}

/* SRST: shutdown with reason "system failure" is a crash. */
static int riscv64_system_down(struct vcpu *v)
{
	if (v->run->system_down.type == AXVM_SYSTEM_DOWN_POWEROFF &&
	    (uint32_t)v->run->system_down.data == SBI_SRST_REASON_FAILURE)
		return VMCTL_CRASH;
	return vm_down_status(v);
}

/*
 * SBI sPI send_ipi (SBI 2.0, 7.1): hart hart_mask_base + n for each bit
 * n of hart_mask; a base of -1 (every hart, the sender included) comes
 * as send_to_all and send_to_self, set already. The module has checked
 * that each hart exists.
 */
static enum vm_ipi riscv64_ipi_targets(struct vcpu *v, uint64_t *targets,
				       const char **why)
{
	const struct axvm_run *r = v->run;

	if (!r->ipi.send_to_all && !r->ipi.send_to_self)
		*targets |= vm_vcpus_at(v->vm, r->ipi.target_cpu,
					r->ipi.target_cpu_aux);
	return VM_IPI_IRQ;
}

const struct arch arch_riscv64 = {
	.name = "riscv64",
	.arch = AXVM_ARCH_RISCV64,
	.ram_base = 0x80000000ULL,
	.arch_id = riscv64_arch_id,
	.add_devices = riscv64_add_devices,
	.check_kernel = riscv64_check_kernel,
	.load = riscv64_load,
	.boot_regs = riscv64_boot_regs,
	.hypercall = riscv64_hypercall,
	.create_irqchip = riscv64_create_irqchip,
	.irq_set = riscv64_irq_set,
	.system_down = riscv64_system_down,
	.ipi_targets = riscv64_ipi_targets,
};
