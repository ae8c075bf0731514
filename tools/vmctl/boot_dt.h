/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What arm64 and riscv64 share: Linux Image headers, where the device
 * tree goes, and the device tree itself (generated, or the user's).
 */
#ifndef VMCTL_BOOT_DT_H
#define VMCTL_BOOT_DT_H

#include <stdint.h>

#include "fdt.h"

struct vm;

/* Linux "Image" headers (arm64 booting.rst, riscv boot-image-header.rst). */
struct image_header {
	const char *what;		/* "an arm64 Image" */
	unsigned int magic_off;
	const char *magic;
	unsigned int magic_len;
	uint64_t default_text_offset;	/* when image_size is 0 */
	uint16_t elf_machine;
};

/*
 * What vm->kernel is: an Image of @ih, an ELF for its machine, or raw
 * with --load. Sets vm->kernel_kind; -1 with a message when none.
 */
int boot_dt_check(struct vm *vm, const struct image_header *ih);

/*
 * The guest image (Image, ELF, or raw with --load) into RAM, then the
 * initrd, then the device tree at the top of the low 512 MiB. Fills
 * vm->boot; @fill describes the machine for the generated tree.
 */
int boot_dt_load(struct vm *vm, const struct image_header *ih,
		 void (*fill)(struct vm *vm, struct fdt_machine *m));

/* Devices, command line and initrd, as placed, into @m. */
void boot_dt_fill_common(struct vm *vm, struct fdt_machine *m);

#endif /* VMCTL_BOOT_DT_H */
