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

/* R_<arch>_RELATIVE: *(base + offset) = base + addend. */
static uint32_t elf_relative_type(uint16_t machine)
{
	switch (machine) {
	case EM_AARCH64:
		return R_AARCH64_RELATIVE;
	case EM_RISCV:
		return R_RISCV_RELATIVE;
	default:
		return R_X86_64_RELATIVE;
	}
}

/*
 * A position-independent image (ET_DYN, a static PIE) placed @bias away
 * from its link addresses: apply its dynamic relocations, which for a
 * static PIE are all R_<arch>_RELATIVE (the ELF ABI supplements), as
 * the program's own startup would if it relocated itself. Read from the
 * file's PT_DYNAMIC; the table itself is in a loaded segment.
 */
static int elf_relocate(struct vm *vm, const struct file_buf *f,
			const Elf64_Phdr *dyn, uint16_t machine,
			uint64_t bias)
{
	uint64_t rela = 0, relasz = 0, relaent = sizeof(Elf64_Rela), i;
	Elf64_Dyn d;
	Elf64_Rela r;
	uint64_t off;
	void *p;

	for (off = 0; off + sizeof(d) <= dyn->p_filesz; off += sizeof(d)) {
		if (dyn->p_offset > f->size ||
		    dyn->p_offset + off + sizeof(d) > f->size)
			return elf_bad(f, "dynamic section outside the file");
		memcpy(&d, f->data + dyn->p_offset + off, sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_RELA)
			rela = d.d_un.d_ptr;
		else if (d.d_tag == DT_RELASZ)
			relasz = d.d_un.d_val;
		else if (d.d_tag == DT_RELAENT)
			relaent = d.d_un.d_val;
		else if (d.d_tag == DT_REL || d.d_tag == DT_RELR ||
			 d.d_tag == DT_NEEDED)
			return elf_bad(f, "needs a dynamic loader (REL, RELR or libraries)");
	}
	if (!relasz)
		return 0;
	if (relaent != sizeof(r))
		return elf_bad(f, "unknown relocation entry size");
	for (i = 0; i < relasz / sizeof(r); i++) {
		p = vm_ram(vm, bias + rela + i * sizeof(r), sizeof(r), f->path);
		if (!p)
			return -1;
		memcpy(&r, p, sizeof(r));
		if (ELF64_R_TYPE(r.r_info) != elf_relative_type(machine))
			return elf_bad(f, "a relocation other than RELATIVE");
		p = vm_ram(vm, bias + r.r_offset, 8, f->path);
		if (!p)
			return -1;
		put_le(p, 8, bias + r.r_addend);
	}
	return 0;
}

/* An ELF header of either class, widened: what load_elf() reads. */
struct elf_image {
	bool elf32;
	uint16_t type, machine;
	uint64_t entry, phoff;
	unsigned int phnum;
};

static int elf_header(const struct file_buf *f, struct elf_image *im)
{
	const Elf64_Ehdr *e64 = (const Elf64_Ehdr *)f->data;
	const Elf32_Ehdr *e32 = (const Elf32_Ehdr *)f->data;
	bool phent_ok;
	size_t phsize;

	if (f->size < EI_NIDENT || f->data[EI_DATA] != ELFDATA2LSB ||
	    (f->data[EI_CLASS] != ELFCLASS64 && f->data[EI_CLASS] != ELFCLASS32))
		return elf_bad(f, "not a little-endian 32- or 64-bit ELF");
	im->elf32 = f->data[EI_CLASS] == ELFCLASS32;
	if (im->elf32) {
		if (f->size < sizeof(*e32))
			return elf_bad(f, "truncated header");
		im->type = e32->e_type;
		im->machine = e32->e_machine;
		im->entry = e32->e_entry;
		im->phoff = e32->e_phoff;
		im->phnum = e32->e_phnum;
		phent_ok = e32->e_phentsize == sizeof(Elf32_Phdr);
	} else {
		if (f->size < sizeof(*e64))
			return elf_bad(f, "truncated header");
		im->type = e64->e_type;
		im->machine = e64->e_machine;
		im->entry = e64->e_entry;
		im->phoff = e64->e_phoff;
		im->phnum = e64->e_phnum;
		phent_ok = e64->e_phentsize == sizeof(Elf64_Phdr);
	}
	if (!phent_ok)
		return elf_bad(f, "unknown program header size");
	phsize = im->elf32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr);
	if (im->phoff > f->size ||
	    (uint64_t)im->phnum * phsize > f->size - im->phoff)
		return elf_bad(f, "program headers outside the file");
	return 0;
}

/* The header, and that it is an executable that @machine runs. */
static int elf_check_header(const struct file_buf *f, uint16_t machine,
			    struct elf_image *im)
{
	if (elf_header(f, im))
		return -1;
	/* x86 also takes 32-bit (EM_386) images, as Multiboot loaders do. */
	if (im->elf32 ? !(machine == EM_X86_64 && im->machine == EM_386) :
			im->machine != machine)
		return elf_bad(f, "built for another architecture");
	if (im->type != ET_EXEC && (im->type != ET_DYN || im->elf32))
		return elf_bad(f, "not an executable (ET_EXEC, or ET_DYN for 64-bit)");
	return 0;
}

int elf_check(const struct file_buf *f, uint16_t machine)
{
	struct elf_image im;

	return elf_check_header(f, machine, &im);
}

/* Program header @i, widened to the 64-bit layout. */
static void elf_phdr(const struct file_buf *f, const struct elf_image *im,
		     unsigned int i, Elf64_Phdr *ph)
{
	Elf32_Phdr p32;

	if (!im->elf32) {
		memcpy(ph, f->data + im->phoff + (uint64_t)i * sizeof(*ph),
		       sizeof(*ph));
		return;
	}
	memcpy(&p32, f->data + im->phoff + (uint64_t)i * sizeof(p32),
	       sizeof(p32));
	ph->p_type = p32.p_type;
	ph->p_flags = p32.p_flags;
	ph->p_offset = p32.p_offset;
	ph->p_vaddr = p32.p_vaddr;
	ph->p_paddr = p32.p_paddr;
	ph->p_filesz = p32.p_filesz;
	ph->p_memsz = p32.p_memsz;
	ph->p_align = p32.p_align;
}

int load_elf(struct vm *vm, const struct file_buf *f, uint16_t machine,
	     uint64_t dyn_base, uint64_t *entry, uint64_t *start,
	     uint64_t *end)
{
	Elf64_Phdr ph, dyn = { .p_type = PT_NULL };
	uint64_t lo = ~0ULL, hi = 0, bias = 0, at;
	unsigned int i, loaded = 0;
	struct elf_image im;
	bool pie;
	uint8_t *dst;

	if (elf_check_header(f, machine, &im))
		return -1;
	pie = im.type == ET_DYN;
	/*
	 * A position-independent image goes to @dyn_base: its lowest
	 * segment's page there, every link address moved by the same bias.
	 */
	if (pie) {
		for (i = 0; i < im.phnum; i++) {
			elf_phdr(f, &im, i, &ph);
			if (ph.p_type == PT_LOAD && ph.p_memsz && ph.p_vaddr < lo)
				lo = ph.p_vaddr;
		}
		if (lo == ~0ULL)
			return elf_bad(f, "nothing to load");
		bias = dyn_base - (lo & ~0xfffULL);
		lo = ~0ULL;
	}
	for (i = 0; i < im.phnum; i++) {
		elf_phdr(f, &im, i, &ph);
		if (ph.p_type == PT_DYNAMIC)
			dyn = ph;
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return elf_bad(f, "segment larger in the file than in memory");
		if (ph.p_offset > f->size || ph.p_filesz > f->size - ph.p_offset)
			return elf_bad(f, "segment outside the file");
		at = pie ? ph.p_vaddr + bias : ph.p_paddr;
		dst = vm_ram(vm, at, ph.p_memsz, f->path);
		if (!dst)
			return -1;
		memcpy(dst, f->data + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		if (at < lo)
			lo = at;
		if (at + ph.p_memsz > hi)
			hi = at + ph.p_memsz;
		loaded++;
	}
	if (!loaded)
		return elf_bad(f, "nothing to load");
	if (im.entry + bias < lo || im.entry + bias >= hi)
		return elf_bad(f, "entry point outside the loaded segments");
	if (pie && dyn.p_type == PT_DYNAMIC &&
	    elf_relocate(vm, f, &dyn, machine, bias))
		return -1;
	*entry = im.entry + bias;
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
