// SPDX-License-Identifier: GPL-2.0
/*
 * A Multiboot kernel (a 32-bit ELF) for vmctl's x86 test: it checks the
 * machine state the specification (0.6.96, 3.2) gives it and prints what
 * the information structure (3.3) says, then powers off (ACPI S5).
 */
#include <stdint.h>

#define MB_BOOT_MAGIC	0x2badb002
#define MBI_MEMORY	(1U << 0)
#define MBI_CMDLINE	(1U << 2)
#define MBI_MODS	(1U << 3)
#define MBI_MMAP	(1U << 6)
#define MBI_LOADER_NAME	(1U << 9)

static void port_out8(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a" (v), "Nd" (port));
}

static void putc(char c)
{
	port_out8(0x3f8, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void putdec(uint32_t v)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i)
		putc(buf[--i]);
}

static void puthex(uint32_t v)
{
	int i;

	puts("0x");
	for (i = 28; i >= 0; i -= 4)
		putc("0123456789abcdef"[(v >> i) & 15]);
}

static void poweroff(void)
{
	asm volatile("outw %0, %1" : : "a" ((uint16_t)0x2000),
		     "Nd" ((uint16_t)0x604));
	for (;;)
		asm volatile("hlt");
}

/* Called from multiboot_start.S only. */
void mb_main(uint32_t magic, const uint32_t *mbi)
{
	const uint32_t *mod, *e;
	uint32_t flags, off, ram = 0;
	const char *c;

	if (magic != MB_BOOT_MAGIC) {
		puts("multiboot: EAX is not the boot magic\n");
		poweroff();
	}
	flags = mbi[0];
	if (flags & MBI_LOADER_NAME) {
		puts("multiboot: loader ");
		puts((const char *)mbi[16]);
		putc('\n');
	}
	if (flags & MBI_MEMORY) {
		puts("multiboot: mem_lower ");
		putdec(mbi[1]);
		putc('\n');
	}
	if (flags & MBI_CMDLINE) {
		puts("multiboot: cmdline ");
		puts((const char *)mbi[4]);
		putc('\n');
	}
	if ((flags & MBI_MODS) && mbi[5]) {
		mod = (const uint32_t *)mbi[6];
		puts("multiboot: module ");
		puts((const char *)mod[2]);
		puts(mod[0] & 0xfff ? " unaligned: " : " page-aligned: ");
		for (c = (const char *)mod[0];
		     c < (const char *)mod[1] && *c != '\n'; c++)
			putc(*c);
		putc('\n');
	}
	if (flags & MBI_MMAP) {
		/* Entries: size (not counting itself), base, length, type. */
		for (off = 0; off < mbi[11]; off += e[0] + 4) {
			e = (const uint32_t *)(mbi[12] + off);
			if (e[5] == 1 && e[1] == 0x100000 && !e[2])
				ram = e[3];
		}
		puts("multiboot: RAM from 1 MiB, ");
		puthex(ram);
		puts(" bytes, mem_upper ");
		puthex(mbi[2] << 10);
		putc('\n');
	}
	poweroff();
}
