// SPDX-License-Identifier: GPL-2.0
/*
 * Loading what the user names into guest RAM. Every offset and size comes
 * from a file vmctl does not trust: each is checked against the file and
 * against guest RAM before a byte is copied.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "vm.h"

#define PAGE_SIZE	4096ULL

int file_read(const char *path, struct file_buf *f)
{
	struct stat st;
	size_t done = 0;
	ssize_t n;
	int fd;

	f->path = path;
	f->data = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "vmctl: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		fprintf(stderr, "vmctl: %s: not a regular file with data\n",
			path);
		goto fail;
	}
	f->size = st.st_size;
	f->data = malloc(f->size);
	if (!f->data) {
		fprintf(stderr, "vmctl: %s: out of memory\n", path);
		goto fail;
	}
	while (done < f->size) {
		n = read(fd, f->data + done, f->size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "vmctl: %s: read: %s\n", path,
				n ? strerror(errno) : "file shrank");
			goto fail;
		}
		done += n;
	}
	close(fd);
	return 0;
fail:
	free(f->data);
	f->data = NULL;
	if (fd >= 0)
		close(fd);
	return -1;
}

void file_free(struct file_buf *f)
{
	free(f->data);
	f->data = NULL;
}

int load_bytes(struct vm *vm, const struct file_buf *f, size_t off,
	       size_t len, uint64_t gpa)
{
	void *dst;

	if (off > f->size || len > f->size - off) {
		fprintf(stderr, "vmctl: %s: truncated (needs %zu bytes at %zu)\n",
			f->path, len, off);
		return -1;
	}
	dst = vm_ram(vm, gpa, len, f->path);
	if (!dst)
		return -1;
	memcpy(dst, f->data + off, len);
	return 0;
}

bool is_elf(const struct file_buf *f)
{
	return f->size >= EI_NIDENT && !memcmp(f->data, ELFMAG, SELFMAG);
}

static int elf_bad(const struct file_buf *f, const char *why)
{
	fprintf(stderr, "vmctl: %s: bad ELF: %s\n", f->path, why);
	return -1;
}

int load_elf(struct vm *vm, const struct file_buf *f, uint16_t machine,
	     uint64_t *entry, uint64_t *start, uint64_t *end)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->data;
	Elf64_Phdr ph;
	uint64_t lo = ~0ULL, hi = 0, off;
	unsigned int i, loaded = 0;
	uint8_t *dst;

	if (f->size < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return elf_bad(f, "not a little-endian 64-bit ELF");
	if (eh->e_machine != machine)
		return elf_bad(f, "built for another architecture");
	if (eh->e_type != ET_EXEC)
		return elf_bad(f, "not an executable (ET_EXEC)");
	if (eh->e_phentsize != sizeof(ph) || eh->e_phoff > f->size ||
	    (uint64_t)eh->e_phnum * sizeof(ph) > f->size - eh->e_phoff)
		return elf_bad(f, "program headers outside the file");
	for (i = 0; i < eh->e_phnum; i++) {
		off = eh->e_phoff + (uint64_t)i * sizeof(ph);
		memcpy(&ph, f->data + off, sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return elf_bad(f, "segment larger in the file than in memory");
		if (ph.p_offset > f->size || ph.p_filesz > f->size - ph.p_offset)
			return elf_bad(f, "segment outside the file");
		dst = vm_ram(vm, ph.p_paddr, ph.p_memsz, f->path);
		if (!dst)
			return -1;
		memcpy(dst, f->data + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		if (ph.p_paddr < lo)
			lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > hi)
			hi = ph.p_paddr + ph.p_memsz;
		loaded++;
	}
	if (!loaded)
		return elf_bad(f, "nothing to load");
	if (eh->e_entry < lo || eh->e_entry >= hi)
		return elf_bad(f, "entry point outside the loaded segments");
	*entry = eh->e_entry;
	*start = lo;
	*end = hi;
	return 0;
}

int load_initrd(struct vm *vm, uint64_t above, uint64_t below)
{
	struct file_buf f;
	uint64_t at;
	int ret;

	if (!vm->opts->initrd)
		return 0;
	if (file_read(vm->opts->initrd, &f))
		return -1;
	at = (below - f.size) & ~(PAGE_SIZE - 1);
	if (f.size > below || at < above) {
		fprintf(stderr,
			"vmctl: %s: %zu bytes do not fit in guest RAM between the kernel and %#llx\n",
			f.path, f.size, (unsigned long long)below);
		file_free(&f);
		return -1;
	}
	ret = load_bytes(vm, &f, 0, f.size, at);
	if (!ret) {
		vm->boot.initrd_start = at;
		vm->boot.initrd_end = at + f.size;
	}
	file_free(&f);
	return ret;
}
