// SPDX-License-Identifier: GPL-2.0
/*
 * Booting a device-tree machine (arm64, riscv64) the way kvmtool does:
 * the kernel at RAM + text_offset, the device tree near the top of the
 * first 512 MiB, the initrd just below it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>

#include "boot_dt.h"
#include "loader.h"
#include "vm.h"

#define SZ_2M		(2ULL << 20)
#define DT_MAX		(2ULL << 20)	/* arm64 booting.rst: at most 2 MiB */
#define DT_BUF		(64 << 10)	/* all but bootargs, 64 vCPUs */

static bool is_image(const struct file_buf *f, const struct image_header *ih)
{
	return f->size >= 64 &&
	       !memcmp(f->data + ih->magic_off, ih->magic, ih->magic_len);
}

/* Room for the device tree: the one part without a bound is bootargs. */
static size_t dt_room(const struct vm_opts *o)
{
	if (o->dtb || !o->cmdline)
		return DT_BUF;
	return DT_BUF + strlen(o->cmdline) + 1;
}

int boot_dt_check(struct vm *vm, const struct image_header *ih)
{
	const struct file_buf *f = &vm->kernel;

	if (dt_room(vm->opts) > DT_MAX) {
		fprintf(stderr,
			"vmctl: --append: %zu bytes do not fit in a device tree of at most 2 MiB\n",
			strlen(vm->opts->cmdline));
		return -1;
	}
	if (vm->opts->load_addr != VMCTL_NO_ADDR) {
		vm->kernel_kind = KERNEL_RAW;
	} else if (is_elf(f)) {
		if (elf_check(f, ih->elf_machine))
			return -1;
		vm->kernel_kind = KERNEL_ELF;
	} else if (is_image(f, ih)) {
		vm->kernel_kind = KERNEL_LINUX;
	} else {
		fprintf(stderr,
			"vmctl: %s: neither an ELF nor %s; give --load for a raw binary\n",
			f->path, ih->what);
		return -1;
	}
	return 0;
}

static int load_kernel(struct vm *vm, const struct image_header *ih)
{
	const struct vm_opts *o = vm->opts;
	const struct file_buf *f = &vm->kernel;
	struct boot_info *b = &vm->boot;
	uint64_t text_offset, image_size;
	int ret = -1;

	switch (vm->kernel_kind) {
	case KERNEL_RAW:
		ret = load_bytes(vm, f, 0, f->size, o->load_addr);
		if (!ret && !guest_ptr(&vm->mem, o->entry, 4)) {
			fprintf(stderr, "vmctl: --entry %#llx is not in guest RAM\n",
				(unsigned long long)o->entry);
			ret = -1;
		}
		b->entry = o->entry;
		b->kernel_start = o->load_addr;
		b->kernel_end = o->load_addr + f->size;
		break;
	case KERNEL_ELF:
		/* A position-independent one at the start of RAM. */
		ret = load_elf(vm, f, ih->elf_machine, vm->mem.base,
			       &b->entry, &b->kernel_start, &b->kernel_end);
		b->elf = true;
		break;
	case KERNEL_LINUX:
		text_offset = get_le(f->data + 8, 8);
		image_size = get_le(f->data + 16, 8);
		if (!image_size)
			text_offset = ih->default_text_offset;
		if (text_offset >= vm->mem.size) {
			fprintf(stderr, "vmctl: %s: text_offset %#llx is past the end of RAM\n",
				f->path, (unsigned long long)text_offset);
			return -1;
		}
		b->kernel_start = vm->mem.base + text_offset;
		ret = load_bytes(vm, f, 0, f->size, b->kernel_start);
		/* The kernel's BSS and early data run past the file. */
		b->kernel_end = b->kernel_start +
				(image_size > f->size ? image_size : f->size);
		b->entry = b->kernel_start;
		b->is_linux = true;
		break;
	}
	return ret;
}

void boot_dt_fill_common(struct vm *vm, struct fdt_machine *m)
{
	static const enum fdt_dev_kind kinds[] = {
		[PLACED_UART] = FDT_DEV_UART,
		[PLACED_RTC] = FDT_DEV_RTC,
		[PLACED_VIRTIO] = FDT_DEV_VIRTIO,
	};
	const struct placed_device *p;
	unsigned int i, n = 0;

	for (i = 0; i < vm->nplaced && n < FDT_MAX_DEVS; i++) {
		p = &vm->placed[i];
		/* PCI functions are found by probing, not listed. */
		if (p->kind == PLACED_VIRTIO_PCI)
			continue;
		m->devs[n].kind = kinds[p->kind];
		m->devs[n].base = p->base;
		m->devs[n].size = p->size;
		m->devs[n].irq = p->irq;
		m->devs[n].stdout = p->kind == PLACED_UART;
		n++;
	}
	m->ndevs = n;
	m->bootargs = vm->opts->cmdline;
	m->initrd_start = vm->boot.initrd_start;
	m->initrd_end = vm->boot.initrd_end;
}

static int load_user_dtb(struct vm *vm, uint64_t at)
{
	struct file_buf f;
	int ret;

	if (file_read(vm->opts->dtb, &f))
		return -1;
	if (f.size > DT_MAX || fdt_check_header(f.data) ||
	    fdt_totalsize(f.data) > f.size) {
		fprintf(stderr, "vmctl: %s: not a flattened device tree of at most 2 MiB\n",
			f.path);
		file_free(&f);
		return -1;
	}
	ret = load_bytes(vm, &f, 0, f.size, at);
	file_free(&f);
	return ret;
}

int boot_dt_load(struct vm *vm, const struct image_header *ih,
		 void (*fill)(struct vm *vm, struct fdt_machine *m))
{
	uint64_t ram_end = vm->mem.base + vm->mem.size;
	uint64_t top = vm->mem.base + (512ULL << 20);
	size_t dt_size = dt_room(vm->opts);
	struct fdt_machine m;
	uint64_t dtb;
	void *buf;
	int ret;

	if (load_kernel(vm, ih))
		return -1;
	if (top > ram_end)
		top = ram_end;
	dtb = (top - dt_size) & ~(SZ_2M - 1);
	if (dtb < vm->boot.kernel_end) {
		fprintf(stderr,
			"vmctl: no room for the device tree above the kernel (%#llx) in %llu MiB of RAM\n",
			(unsigned long long)vm->boot.kernel_end,
			(unsigned long long)(vm->mem.size >> 20));
		return -1;
	}
	/*
	 * Any image gets it, where the device tree says (chosen's
	 * linux,initrd-start and -end): bare-metal kernels and test
	 * payloads take their environment from there as Linux does.
	 */
	if (load_initrd(vm, vm->boot.kernel_end, dtb))
		return -1;
	vm->boot.dtb = dtb;
	if (vm->opts->dtb)
		return load_user_dtb(vm, dtb);

	memset(&m, 0, sizeof(m));
	fill(vm, &m);
	buf = vm_ram(vm, dtb, dt_size, "device tree");
	if (!buf)
		return -1;
	ret = fdt_build(&m, buf, dt_size);
	if (ret) {
		fprintf(stderr, "vmctl: device tree: %s\n", strerror(-ret));
		return -1;
	}
	return 0;
}
