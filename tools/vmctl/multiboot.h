/* SPDX-License-Identifier: GPL-2.0 */
/* The Multiboot Specification 0.6.96 for x86 images that carry its header. */
#ifndef VMCTL_MULTIBOOT_H
#define VMCTL_MULTIBOOT_H

#include <stdint.h>

#include "loader.h"

struct vm;

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
 * The Multiboot information structure, in low memory: memory sizes and
 * map (e820-like: @reserved_base/@reserved_size an extra reserved range,
 * 0 for none), @cmdline, the --initrd file as the one module, the boot
 * loader's name. Returns its guest physical address (EBX), 0 on error.
 */
uint32_t multiboot_info(struct vm *vm, const char *cmdline,
			uint64_t reserved_base, uint64_t reserved_size);

#endif /* VMCTL_MULTIBOOT_H */
