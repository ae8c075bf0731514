/* SPDX-License-Identifier: GPL-2.0 */
/* The Multiboot Specification 0.6.96 for x86 images that carry its header. */
#ifndef VMCTL_MULTIBOOT_H
#define VMCTL_MULTIBOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "loader.h"

struct vm;

/*
 * One range of the x86 machine's memory map, as the boot protocols hand
 * it on: the bzImage's e820 table and Multiboot's memory map are both
 * built from arch_x86.c's one list.
 */
struct x86_mem_range {
	uint64_t base;
	uint64_t size;
	bool ram;		/* else reserved */
};

#define X86_MEM_RANGES_MAX	4

/* EAX at the kernel's entry, telling it a Multiboot loader ran. */
#define MULTIBOOT_BOOT_MAGIC	0x2badb002

/*
 * Whether @f carries a Multiboot header (in its first 8192 bytes, 32-bit
 * aligned, magic + flags + checksum = 0): 1 with its flags, 0 without,
 * -1 when it asks for what vmctl cannot give (a video mode), said on
 * stderr.
 */
int multiboot_header(const struct file_buf *f, uint32_t *flags);

/*
 * The Multiboot information structure, in low memory: memory sizes, the
 * memory map from @map (@n ranges, at most X86_MEM_RANGES_MAX), @cmdline,
 * the --initrd file as the one module, the boot loader's name. Returns
 * its guest physical address (EBX), 0 on error.
 */
uint32_t multiboot_info(struct vm *vm, const char *cmdline,
			const struct x86_mem_range *map, unsigned int n);

#endif /* VMCTL_MULTIBOOT_H */
