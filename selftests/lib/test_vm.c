// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest library, host side, arch-neutral part: the VM, its memory, the
 * image copy, vCPUs and ucalls. The arch parts are in aarch64.c,
 * riscv64.c and x86_64.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../axvm_util.h"
#include "test_vm.h"

#define IMAGE_ALIGN	(64ULL << 10)	/* any host page size */

guest_handler_t guest_irq_handler;
guest_handler_t guest_sync_handler;

/*
 * Guest side: a ucall is a struct on the guest's stack, passed by address
 * in a hypercall. The stack is identity mapped, so the address is a GPA.
 */
GUEST_CODE void guest_ucall(uint64_t cmd, const char *expr, const char *file,
			    uint64_t line, uint64_t nargs, uint64_t a0,
			    uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct ucall uc;

	/* Field by field: a struct initializer may become a memset call. */
	uc.cmd = cmd;
	uc.args[0] = a0;
	uc.args[1] = a1;
	uc.args[2] = a2;
	uc.args[3] = a3;
	uc.args[4] = 0;
	uc.args[5] = 0;
	uc.expr = expr;
	uc.file = file;
	uc.line = line;
	uc.nargs = nargs;
	guest_ucall_hypercall(&uc);
}

GUEST_CODE void guest_ucall_final(uint64_t cmd, const char *expr,
				  const char *file, uint64_t line,
				  uint64_t nargs, uint64_t a0, uint64_t a1,
				  uint64_t a2, uint64_t a3)
{
	for (;;)
		guest_ucall(cmd, expr, file, line, nargs, a0, a1, a2, a3);
}

struct image {
	uint64_t start, end;	/* PT_LOAD segments, rounded to IMAGE_ALIGN */
	char *copy;		/* host address of start in guest memory */
};

/*
 * The span of @info's PT_LOAD segments, if they hold this code: the test
 * binary, not the vDSO.
 */
static int image_span(const struct dl_phdr_info *info, uint64_t *start,
		      uint64_t *end)
{
	uint64_t self = (uintptr_t)test_vm_create;
	int found = 0, i;

	*start = ~0ULL;
	*end = 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const Elf64_Phdr *ph = &info->dlpi_phdr[i];
		uint64_t va = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (va < *start)
			*start = va;
		if (va + ph->p_memsz > *end)
			*end = va + ph->p_memsz;
		if (self >= va && self < va + ph->p_memsz)
			found = 1;
	}
	*start &= ~(IMAGE_ALIGN - 1);
	*end = (*end + IMAGE_ALIGN - 1) & ~(IMAGE_ALIGN - 1);
	return found;
}

static int image_find(struct dl_phdr_info *info, size_t size, void *data)
{
	struct image *im = data;

	return image_span(info, &im->start, &im->end);
}

static int image_copy(struct dl_phdr_info *info, size_t size, void *data)
{
	struct image *im = data;
	uint64_t start, end;
	int i;

	if (!image_span(info, &start, &end))
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const Elf64_Phdr *ph = &info->dlpi_phdr[i];
		uint64_t va = info->dlpi_addr + ph->p_vaddr;

		/* bss too: it is mapped, and the guest wants its state. */
		if (ph->p_type == PT_LOAD)
			memcpy(im->copy + (va - im->start),
			       (const void *)(uintptr_t)va, ph->p_memsz);
	}
	return 1;
}

void *test_vm_add_region(struct test_vm *vm, uint32_t slot, uint32_t flags,
			 uint64_t gpa, uint64_t size)
{
	struct axvm_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.size = size,
	};
	struct test_region *tr;
	void *hva;

	if (vm->nr_regions == TEST_MAX_REGIONS || !size) {
		errno = vm->nr_regions == TEST_MAX_REGIONS ? ENOSPC : EINVAL;
		return NULL;
	}
	hva = axvm_alloc(size);
	if (!hva)
		return NULL;
	r.userspace_addr = (uintptr_t)hva;
	if (ioctl(vm->fd, AXVM_SET_MEMORY_REGION, &r)) {
		int err = errno;

		munmap(hva, size);
		errno = err;
		return NULL;
	}
	tr = &vm->regions[vm->nr_regions++];
	tr->slot = slot;
	tr->flags = flags;
	tr->gpa = gpa;
	tr->size = size;
	tr->hva = hva;
	return hva;
}

void *test_gpa2hva(struct test_vm *vm, uint64_t gpa)
{
	int i;

	for (i = 0; i < vm->nr_regions; i++) {
		struct test_region *r = &vm->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return (char *)r->hva + (gpa - r->gpa);
	}
	errno = EFAULT;
	return NULL;
}

/* Slot 0: a copy of the loaded binary, at GPAs equal to its addresses. */
static int add_image(struct test_vm *vm)
{
	struct image im = { 0 };
	uint64_t size;

	if (dl_iterate_phdr(image_find, &im) != 1) {
		errno = ENOEXEC;
		return -1;
	}
	size = im.end - im.start;
	im.copy = test_vm_add_region(vm, TEST_SLOT_IMAGE, 0, im.start, size);
	if (!im.copy)
		return -1;
	dl_iterate_phdr(image_copy, &im);
	/* The instructions were written as data: make them fetchable. */
	__builtin___clear_cache(im.copy, im.copy + size);
	return test_arch_vm_init(vm, im.start, im.end) ? -1 : 0;
}

int test_vm_user_hypercalls(struct test_vm *vm, uint32_t base, uint32_t nr)
{
#ifdef __aarch64__
	struct axvm_hypercall_filter f = {
		.base = base, .nr = nr, .action = AXVM_HYPERCALL_USER,
	};

	return ioctl(vm->fd, AXVM_SET_HYPERCALL_FILTER, &f) ? -errno : 0;
#else
	return 0;
#endif
}

struct test_vm *test_vm_create(void)
{
	struct test_vm *vm;
	int err;

	if (!TEST_HAVE_GUEST_LIB) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	vm->fd = -1;
	vm->sys_fd = axvm_open();
	if (vm->sys_fd < 0)
		goto fail;
	vm->run_size = ioctl(vm->sys_fd, AXVM_GET_VCPU_MMAP_SIZE, 0);
	if ((long)vm->run_size <= 0)
		goto fail;
	/* EINTR: a signal came while the module read the address space. */
	do
		vm->fd = ioctl(vm->sys_fd, AXVM_CREATE_VM, 0);
	while (vm->fd < 0 && errno == EINTR);
	if (vm->fd < 0)
		goto fail;
	/* arm64 answers unknown SMCCC calls itself: the ucalls are ours. */
	if (test_vm_user_hypercalls(vm, UCALL_HYPERCALL_NR, 1))
		goto fail;
	vm->scratch = test_vm_add_region(vm, TEST_SLOT_SCRATCH, 0,
					 TEST_SCRATCH_GPA, TEST_SCRATCH_SIZE);
	if (!vm->scratch || add_image(vm))
		goto fail;
	return vm;

fail:
	err = errno;
	test_vm_free(vm);
	errno = err;
	return NULL;
}

void test_vm_free(struct test_vm *vm)
{
	int i;

	if (!vm)
		return;
	for (i = 0; i < TEST_MAX_VCPUS; i++) {
		struct test_vcpu *v = vm->vcpus[i];

		if (!v)
			continue;
		munmap(v->run, vm->run_size);
		close(v->fd);
		free(v);
	}
	for (i = 0; i < vm->nr_regions; i++)
		munmap(vm->regions[i].hva, vm->regions[i].size);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	free(vm);
}

void test_sync_global(struct test_vm *vm, void *global, size_t size,
		      int to_guest)
{
	void *copy = test_gpa2hva(vm, (uintptr_t)global);

	if (to_guest)
		memcpy(copy, global, size);
	else
		memcpy(global, copy, size);
}

void test_vm_set_irq_handler(struct test_vm *vm, guest_handler_t fn)
{
	guest_handler_t *p = test_gpa2hva(vm, (uintptr_t)&guest_irq_handler);

	*p = fn;
}

void test_vm_set_sync_handler(struct test_vm *vm, guest_handler_t fn)
{
	guest_handler_t *p = test_gpa2hva(vm, (uintptr_t)&guest_sync_handler);

	*p = fn;
}

bool test_can_run_guests(void)
{
	int sys = axvm_open(), can_run;

	if (sys < 0)
		return false;
	can_run = axvm_cap(sys, AXVM_CAP_RUN);
	close(sys);
	return can_run > 0 && TEST_HAVE_GUEST_LIB;
}

struct test_vcpu *test_vcpu_add(struct test_vm *vm, uint32_t id,
				uint64_t arch_id, const uint64_t *affinity,
				void *guest_fn, int nargs, ...)
{
	struct axvm_vcpu_create c = { .id = id, .flags = vm->vcpu_flags };
	struct test_vcpu *v;
	uint64_t args[8];
	va_list ap;
	int i, err;

	if (id >= TEST_MAX_VCPUS || vm->vcpus[id] || nargs < 0 ||
	    nargs > 8) {
		errno = EINVAL;
		return NULL;
	}
	va_start(ap, nargs);
	for (i = 0; i < nargs; i++)
		args[i] = va_arg(ap, uint64_t);
	va_end(ap);

	if (arch_id == TEST_ARCH_ID_DEFAULT)
		arch_id = axvm_arch_id(id);
	c.arch_id = arch_id;
	if (affinity)
		memcpy(c.affinity, affinity, sizeof(c.affinity));

	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->vm = vm;
	v->id = id;
	v->arch_id = arch_id;
	v->stack_top = TEST_SCRATCH_GPA + (id + 2) * TEST_STACK_SIZE;
	v->run = MAP_FAILED;
	v->fd = ioctl(vm->fd, AXVM_CREATE_VCPU, &c);
	if (v->fd < 0)
		goto fail;
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED)
		goto fail;
	if (test_arch_vcpu_init(v) ||
	    test_arch_vcpu_entry(v, guest_fn, nargs, args))
		goto fail;
	vm->vcpus[id] = v;
	return v;

fail:
	err = errno;
	if (v->run != MAP_FAILED)
		munmap(v->run, vm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
	errno = err;
	return NULL;
}

int test_vcpu_set_entry(struct test_vcpu *vcpu, void *guest_fn, int nargs,
			...)
{
	uint64_t args[8];
	va_list ap;
	int i;

	if (nargs < 0 || nargs > 8) {
		errno = EINVAL;
		return -EINVAL;
	}
	va_start(ap, nargs);
	for (i = 0; i < nargs; i++)
		args[i] = va_arg(ap, uint64_t);
	va_end(ap);
	return test_arch_vcpu_entry(vcpu, guest_fn, nargs, args);
}

/*
 * RUN pins the thread to the vCPU's CPUs only inside the thread's own
 * mask (api.rst, AXVM_RUN): a thread a test pinned elsewhere, or that
 * inherited such a pin, gets EINVAL. As a VMM would, let the thread go
 * anywhere its cpuset allows (sched_setaffinity() intersects) and try
 * once more.
 */
int test_vcpu_run(struct test_vcpu *vcpu)
{
	cpu_set_t all;

	if (!ioctl(vcpu->fd, AXVM_RUN, 0))
		return 0;
	if (errno != EINVAL)
		return -errno;
	memset(&all, 0xff, sizeof(all));
	if (sched_setaffinity(0, sizeof(all), &all))
		return -EINVAL;
	return ioctl(vcpu->fd, AXVM_RUN, 0) ? -errno : 0;
}

uint64_t test_get_ucall(struct test_vcpu *vcpu, struct ucall *uc)
{
	struct axvm_run *run = vcpu->run;
	struct ucall *guest_uc;

	if (uc)
		memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != AXVM_EXIT_HYPERCALL ||
	    run->hypercall.nr != UCALL_HYPERCALL_NR)
		return UCALL_NONE;
	guest_uc = test_gpa2hva(vcpu->vm, run->hypercall.args[0]);
	if (!guest_uc || !test_gpa2hva(vcpu->vm, run->hypercall.args[0] +
				       sizeof(*guest_uc) - 1))
		return UCALL_NONE;
	if (uc)
		memcpy(uc, guest_uc, sizeof(*uc));
	return guest_uc->cmd;
}

int test_vcpu_run_ucall(struct test_vcpu *vcpu, struct ucall *uc)
{
	int ret = test_vcpu_run(vcpu);

	if (ret) {
		if (uc)
			memset(uc, 0, sizeof(*uc));
		return ret;
	}
	return test_get_ucall(vcpu, uc);
}

/* Append to @buf at *@len; snprintf truncates, never overflows. */
static void add(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += n;
}

static const char *ucall_name(uint64_t cmd)
{
	switch (cmd) {
	case UCALL_SYNC:
		return "sync";
	case UCALL_ASSERT:
		return "guest assert";
	case UCALL_DONE:
		return "done";
	default:
		return "unknown ucall";
	}
}

const char *test_vcpu_describe(struct test_vcpu *vcpu, const struct ucall *uc,
			       char *buf, size_t size)
{
	struct axvm_run *run = vcpu->run;
	struct ucall local;
	size_t len = 0;
	unsigned int i;

	if (!size)
		return buf;
	buf[0] = 0;
	if (!uc || uc->cmd == UCALL_NONE) {
		test_get_ucall(vcpu, &local);
		uc = &local;
	}
	if (uc->cmd != UCALL_NONE) {
		add(buf, size, &len, "%s: %s at %s:%llu", ucall_name(uc->cmd),
		    uc->expr ? uc->expr : "", uc->file ? uc->file : "?",
		    (unsigned long long)uc->line);
		for (i = 0; i < uc->nargs && i < UCALL_MAX_ARGS; i++)
			add(buf, size, &len, "%s%#llx", i ? ", " : " (values ",
			    (unsigned long long)uc->args[i]);
		if (i)
			add(buf, size, &len, ")");
		return buf;
	}

	add(buf, size, &len, "vCPU %u: exit reason %u", vcpu->id,
	    run->exit_reason);
	switch (run->exit_reason) {
	case AXVM_EXIT_MMIO:
		add(buf, size, &len, " (mmio %s %#llx len %u data %#llx)",
		    run->mmio.is_write ? "write" : "read",
		    (unsigned long long)run->mmio.phys_addr, run->mmio.len,
		    (unsigned long long)run->mmio.data);
		break;
	case AXVM_EXIT_HYPERCALL:
		add(buf, size, &len, " (hypercall %#llx, %#llx)",
		    (unsigned long long)run->hypercall.nr,
		    (unsigned long long)run->hypercall.args[0]);
		break;
	case AXVM_EXIT_INTERNAL_ERROR:
		add(buf, size, &len, " (internal error %u:",
		    run->internal.suberror);
		for (i = 0; i < run->internal.ndata && i < 16; i++)
			add(buf, size, &len, " %#llx",
			    (unsigned long long)run->internal.data[i]);
		add(buf, size, &len, ")");
		break;
	}
	return buf;
}

int test_vcpu_run_exit(struct test_vcpu *vcpu)
{
	int ret = test_vcpu_run(vcpu);

	return ret ? ret : (int)vcpu->run->exit_reason;
}

int test_vcpu_run_hypercalls(struct test_vcpu *vcpu, uint64_t nr,
			     void (*between)(int count))
{
	int count = 0, ret;

	for (;;) {
		ret = test_vcpu_run(vcpu);
		if (ret)
			return ret;
		if (vcpu->run->exit_reason != AXVM_EXIT_HYPERCALL ||
		    vcpu->run->hypercall.nr != nr)
			return count;
		count++;
		if (between)
			between(count);
	}
}

void test_pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

void test_affinity_of(uint64_t *mask, int cpu)
{
	memset(mask, 0, AXVM_AFFINITY_WORDS * sizeof(*mask));
	mask[cpu / 64] = 1ULL << (cpu % 64);
}

static void *test_host_fp_thread(void *p)
{
	struct test_host_fp *h = p;
	uint64_t seed = h->seed;

	test_pin_self(0);
	while (!h->stop) {
		if (h->roundtrip(seed) != seed)
			h->bad++;
		seed++;
		sched_yield();
	}
	return NULL;
}

int test_host_fp_start(struct test_host_fp *h)
{
	h->stop = 0;
	h->bad = 0;
	return pthread_create(&h->thread, NULL, test_host_fp_thread, h);
}

uint64_t test_host_fp_stop(struct test_host_fp *h)
{
	h->stop = 1;
	pthread_join(h->thread, NULL);
	return h->bad;
}

int test_vcpu_set_sysregs(struct test_vcpu *vcpu,
			  const struct test_sysreg *regs, unsigned int n)
{
	struct axvm_sysreg r;
	unsigned int i;

	for (i = 0; i < n; i++) {
		r.id = regs[i].id;
		r.value = regs[i].value;
		if (ioctl(vcpu->fd, AXVM_SET_SYSREG, &r))
			return -errno;
	}
	return 0;
}

int test_image_placed(uint64_t image_start, uint64_t image_end,
		      uint64_t map_end)
{
	if ((image_end > TEST_MMIO_BASE &&
	     image_start < TEST_SCRATCH_GPA + TEST_SCRATCH_SIZE) ||
	    image_end > map_end) {
		errno = ERANGE;
		return -ERANGE;
	}
	return 0;
}
