/* SPDX-License-Identifier: GPL-2.0 */
/* Guest images into guest RAM: files, ELF, raw binaries, initrds. */
#ifndef VMCTL_LOADER_H
#define VMCTL_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmctl.h"

struct vm;

struct file_buf {
	const char *path;
	uint8_t *data;
	size_t size;
};

/* The whole file in memory; -1 with a message. */
int file_read(const char *path, struct file_buf *f);
void file_free(struct file_buf *f);

/* What the --kernel file is, as the architecture's check_kernel found. */
enum kernel_kind {
	KERNEL_RAW,		/* --load: bytes at an address */
	KERNEL_ELF,
	KERNEL_LINUX,		/* arm64 or riscv64 Image, x86 bzImage */
};

bool is_elf(const struct file_buf *f);
/*
 * Whether @f's ELF header is one load_elf() takes for @machine: -1 with
 * a message when not. Needs no RAM, so images are checked before a VM.
 */
int elf_check(const struct file_buf *f, uint16_t machine);
/*
 * PT_LOAD segments at their physical addresses, which must lie in guest
 * RAM; @machine is the ELF e_machine the architecture runs. An ET_DYN
 * image (a static PIE) is placed with its lowest page at @dyn_base and
 * its RELATIVE relocations applied. Sets the entry and the lowest and
 * highest address loaded.
 */
int load_elf(struct vm *vm, const struct file_buf *f, uint16_t machine,
	     uint64_t dyn_base, uint64_t *entry, uint64_t *start,
	     uint64_t *end);
/* @len bytes of @f from @off at guest physical @gpa. */
int load_bytes(struct vm *vm, const struct file_buf *f, size_t off,
	       size_t len, uint64_t gpa);
/*
 * The initrd (vm->opts->initrd, if any) page-aligned just below @below
 * and above @above; records it in vm->boot.
 */
int load_initrd(struct vm *vm, uint64_t above, uint64_t below);

#endif /* VMCTL_LOADER_H */
