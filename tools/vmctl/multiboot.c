// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot (version 0.6.96 of the specification) for x86 ELF images
 * that carry a Multiboot header: the kernel starts in 32-bit protected
 * mode with flat segments and paging off (as vmctl starts every x86
 * ELF), EAX = 0x2BADB002 and EBX = the physical address of the Multiboot
 * information structure, which gives the memory sizes and map, the
 * command line (--append), the modules (--initrd) and vmctl's name.
 * The kernel is loaded from its ELF program headers; the header's
 * a.out-kludge addresses (flag 16) are for non-ELF images and are not
 * used.
 */
#include <stdio.h>
#include <string.h>

#include "multiboot.h"
#include "vm.h"
#include "vmctl.h"

#define MB_HEADER_MAGIC		0x1badb002
#define MB_SEARCH		8192
/* Header flags vmctl honours: modules page-aligned, memory info. */
#define MB_HDR_PAGE_ALIGN	(1U << 0)
#define MB_HDR_MEMORY_INFO	(1U << 1)
#define MB_HDR_VIDEO_MODE	(1U << 2)
#define MB_HDR_REQUIRED		0xffffU	/* bits a loader must understand */

/* Information structure flags (section 3.3). */
#define MBI_MEMORY		(1U << 0)
#define MBI_CMDLINE		(1U << 2)
#define MBI_MODS		(1U << 3)
#define MBI_MMAP		(1U << 6)
#define MBI_LOADER_NAME		(1U << 9)

/* Offsets in the information structure. */
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE_PTR		16
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_LOADER_NAME_PTR	64
#define MBI_SIZE		120

/* Where vmctl puts them: below the Linux-only 0x6000-0xbfff tables. */
#define MB_INFO_AT		0x1000ULL
#define MB_MODS_AT		0x1100ULL	/* 16 bytes per module */
#define MB_MMAP_AT		0x1200ULL	/* 24 bytes per entry */
#define MB_STRINGS_AT		0x1400ULL
#define MB_STRINGS_MAX		0x2c00ULL	/* up to 0x4000 */
#define MB_MMAP_RAM		1
#define MB_MMAP_RESERVED	2

int multiboot_header(const struct file_buf *f, uint32_t *flags)
{
	size_t off, end = f->size < MB_SEARCH ? f->size : MB_SEARCH;
	uint32_t magic, fl, sum;

	for (off = 0; off + 12 <= end; off += 4) {
		magic = get_le(f->data + off, 4);
		fl = get_le(f->data + off + 4, 4);
		sum = get_le(f->data + off + 8, 4);
		if (magic != MB_HEADER_MAGIC || (uint32_t)(magic + fl + sum))
			continue;
		/* 3.1.2: a required bit the loader cannot honour must fail. */
		if (fl & MB_HDR_REQUIRED &
		    ~(MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO)) {
			fprintf(stderr,
				"vmctl: %s: the Multiboot header asks for %s (flags %#x)\n",
				f->path, fl & MB_HDR_VIDEO_MODE ?
				"a video mode" : "what vmctl cannot give", fl);
			return -1;
		}
		*flags = fl;
		return 1;
	}
	return 0;
}

/* A string in the strings area; its address, 0 when full. */
static uint32_t mb_string(struct vm *vm, uint64_t *next, const char *s)
{
	size_t len = strlen(s) + 1;
	uint64_t at = *next;
	char *p;

	if (at + len > MB_STRINGS_AT + MB_STRINGS_MAX)
		return 0;
	p = vm_ram(vm, at, len, "Multiboot strings");
	if (!p)
		return 0;
	memcpy(p, s, len);
	*next = at + len;
	return at;
}

static void mb_mmap_entry(uint8_t *e, uint64_t base, uint64_t len,
			  uint32_t type)
{
	put_le(e, 4, 20);	/* size of the entry, without this field */
	put_le(e + 4, 8, base);
	put_le(e + 12, 8, len);
	put_le(e + 20, 4, type);
}

uint32_t multiboot_info(struct vm *vm, const char *cmdline,
			const struct x86_mem_range *map, unsigned int n)
{
	uint64_t ram_end = vm->mem.base + vm->mem.size;
	uint64_t strings = MB_STRINGS_AT;
	uint32_t flags = MBI_MEMORY | MBI_MMAP | MBI_LOADER_NAME;
	uint32_t cmd, name, mod_name;
	uint8_t *mbi, *mmap, *mod;
	const char *base;
	unsigned int i;

	mbi = vm_ram(vm, MB_INFO_AT, MBI_SIZE, "Multiboot information");
	mmap = vm_ram(vm, MB_MMAP_AT, X86_MEM_RANGES_MAX * 24,
		      "Multiboot memory map");
	if (!mbi || !mmap)
		return 0;
	memset(mbi, 0, MBI_SIZE);
	/* 3.3: KiB of lower memory (below 640 KiB) and of upper from 1 MiB. */
	put_le(mbi + MBI_MEM_LOWER, 4, 640);
	put_le(mbi + MBI_MEM_UPPER, 4, (ram_end - 0x100000) >> 10);

	if (n > X86_MEM_RANGES_MAX)
		return 0;
	for (i = 0; i < n; i++)
		mb_mmap_entry(mmap + 24 * i, map[i].base, map[i].size,
			      map[i].ram ? MB_MMAP_RAM : MB_MMAP_RESERVED);
	put_le(mbi + MBI_MMAP_LENGTH, 4, 24 * n);
	put_le(mbi + MBI_MMAP_ADDR, 4, MB_MMAP_AT);

	name = mb_string(vm, &strings, "vmctl");
	cmd = mb_string(vm, &strings, cmdline);
	if (!name || !cmd) {
		fprintf(stderr, "vmctl: --append: command line too long for Multiboot\n");
		return 0;
	}
	put_le(mbi + MBI_LOADER_NAME_PTR, 4, name);
	put_le(mbi + MBI_CMDLINE_PTR, 4, cmd);
	flags |= MBI_CMDLINE;

	/* The --initrd file is the one module; its string, its file name. */
	if (vm->boot.initrd_end) {
		base = strrchr(vm->opts->initrd, '/');
		mod_name = mb_string(vm, &strings,
				     base ? base + 1 : vm->opts->initrd);
		mod = vm_ram(vm, MB_MODS_AT, 16, "Multiboot modules");
		if (!mod_name || !mod)
			return 0;
		put_le(mod, 4, vm->boot.initrd_start);
		put_le(mod + 4, 4, vm->boot.initrd_end);
		put_le(mod + 8, 4, mod_name);
		put_le(mod + 12, 4, 0);
		put_le(mbi + MBI_MODS_COUNT, 4, 1);
		put_le(mbi + MBI_MODS_ADDR, 4, MB_MODS_AT);
		flags |= MBI_MODS;
	}
	put_le(mbi + MBI_FLAGS, 4, flags);
	return MB_INFO_AT;
}
