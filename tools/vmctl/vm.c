// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's life: create it, map RAM, create pinned vCPUs, start a thread
 * per vCPU that runs RUN in a loop and dispatches exits, and stop it all
 * on power-off, reset, crash, an exit vmctl cannot handle, or a signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "axvm_dev.h"
#include "stats.h"
#include "vm.h"

#define RAM_ALIGN	(2ULL << 20)	/* GPA = HVA modulo 2 MiB */
#define CTRL_A		0x01

/* vm_stop(), and for a crash what the guest did, said when vmctl ends. */
static void vm_stop_why(struct vm *vm, int status, const char *why)
{
	unsigned int i;

	pthread_mutex_lock(&vm->lock);
	if (vm->stopping) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	vm->stopping = true;
	vm->status = status;
	vm->crash_why = why;
	pthread_cond_broadcast(&vm->cond);
	/*
	 * immediate_exit covers a vCPU about to enter RUN, the signal one
	 * inside. Under the lock: the main thread joins the vCPU threads
	 * only after it saw stopping, so none is gone yet.
	 */
	for (i = 0; i < vm->nvcpus; i++) {
		vm->vcpus[i].run->immediate_exit = 1;
		if (vm->vcpus[i].thread_started)
			pthread_kill(vm->vcpus[i].thread, SIGUSR1);
	}
	pthread_kill(vm->main_thread, SIGUSR2);
	pthread_mutex_unlock(&vm->lock);
}

void vm_stop(struct vm *vm, int status)
{
	vm_stop_why(vm, status, NULL);
}

void vm_own(struct vm *vm, void (*destroy)(void *), void *dev)
{
	if (vm->ndestroy < VMCTL_MAX_DEVICES) {
		vm->destroy[vm->ndestroy] = destroy;
		vm->destroy_dev[vm->ndestroy++] = dev;
	}
}

struct irq_line *vm_irq_line(struct vm *vm, unsigned int nr)
{
	struct irq_line *l;

	if (vm->nirqs == VMCTL_MAX_DEVICES)
		return NULL;
	l = &vm->irqs[vm->nirqs++];
	l->set = vm->arch->irq_set;
	l->nr = nr;
	l->opaque = vm;
	return l;
}

int vm_create_irqchip(struct vm *vm, const struct axvm_irqchip *chip)
{
	int types = ioctl(vm->sys_fd, AXVM_CHECK_CAP, AXVM_CAP_IRQCHIP);

	if (types <= 0 || !(types & (1 << chip->type)))
		return 1;
	if (ioctl(vm->fd, AXVM_CREATE_IRQCHIP, chip)) {
		fprintf(stderr, "vmctl: AXVM_CREATE_IRQCHIP: %s\n",
			strerror(errno));
		return -1;
	}
	vm->irqchip = true;
	return 0;
}

void vm_irqchip_line(struct vm *vm, unsigned int irq, int level)
{
	struct axvm_irq_line l = { .irq = irq, .level = !!level };

	if (ioctl(vm->fd, AXVM_IRQ_LINE, &l))
		fprintf(stderr, "vmctl: AXVM_IRQ_LINE %u: %s\n", irq,
			strerror(errno));
}

void vm_signal_msi(struct vm *vm, uint64_t address, uint32_t data)
{
	struct axvm_msi msi = { .address = address, .data = data };

	/* A message the irqchip refuses (not 0xfeeXXXXX): the guest's bug. */
	if (ioctl(vm->fd, AXVM_SIGNAL_MSI, &msi) && errno != EINVAL)
		fprintf(stderr, "vmctl: AXVM_SIGNAL_MSI: %s\n",
			strerror(errno));
}

void vm_kick_halted(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->irq_gen++;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

uint64_t vm_vcpus_at(const struct vm *vm, uint64_t base, uint64_t mask)
{
	uint64_t set = 0, n;
	unsigned int i;

	for (i = 0; i < vm->nvcpus; i++) {
		n = vm->vcpus[i].arch_id - base;
		if (vm->vcpus[i].arch_id >= base && n < 64 && (mask >> n & 1))
			set |= 1ULL << i;
	}
	return set;
}

uint64_t vm_all_vcpus(const struct vm *vm)
{
	return vm->nvcpus >= 64 ? ~0ULL : (1ULL << vm->nvcpus) - 1;
}

void *vm_ram(struct vm *vm, uint64_t gpa, uint64_t len, const char *what)
{
	void *p = guest_ptr(&vm->mem, gpa, len);

	if (!p)
		fprintf(stderr,
			"vmctl: %s (%#llx, %llu bytes) does not fit in guest RAM [%#llx, %#llx)\n",
			what, (unsigned long long)gpa, (unsigned long long)len,
			(unsigned long long)vm->mem.base,
			(unsigned long long)(vm->mem.base + vm->mem.size));
	return p;
}

int vcpu_set_sysreg(struct vcpu *v, uint64_t id, uint64_t value)
{
	struct axvm_sysreg r = { .id = id, .value = value };

	if (ioctl(v->fd, AXVM_SET_SYSREG, &r)) {
		fprintf(stderr, "vmctl: vCPU %u: AXVM_SET_SYSREG %#llx: %s\n",
			v->id, (unsigned long long)id, strerror(errno));
		return -1;
	}
	return 0;
}

int vcpu_set_regs(struct vcpu *v, const struct axvm_regs *regs)
{
	if (ioctl(v->fd, AXVM_SET_REGS, regs)) {
		fprintf(stderr, "vmctl: vCPU %u: AXVM_SET_REGS: %s\n", v->id,
			strerror(errno));
		return -1;
	}
	return 0;
}

int vm_down_status(struct vcpu *v)
{
	switch (v->run->system_down.type) {
	case AXVM_SYSTEM_DOWN_POWEROFF:
		return VMCTL_POWEROFF;
	case AXVM_SYSTEM_DOWN_RESET:
		return VMCTL_RESET;
	}
	return VMCTL_CRASH;
}

/*
 * A system register id as its architecture writes it: arm64's generic
 * S<op0>_<op1>_C<n>_C<m>_<op2> (what MRS and MSR accept), a riscv CSR
 * number, an x86 MSR index.
 */
static void sysreg_name(uint64_t id, char *buf, size_t len)
{
	uint64_t cls = id & ~((1ULL << AXVM_SYSREG_CLASS_SHIFT) - 1);
	uint64_t low = id & ((1ULL << AXVM_SYSREG_CLASS_SHIFT) - 1);

	switch (cls) {
	case AXVM_SYSREG_CLASS_ARM64:
		snprintf(buf, len, "S%u_%u_C%u_C%u_%u",
			 (unsigned int)(low >> 14) & 3,
			 (unsigned int)(low >> 11) & 7,
			 (unsigned int)(low >> 7) & 15,
			 (unsigned int)(low >> 3) & 15, (unsigned int)low & 7);
		break;
	case AXVM_SYSREG_CLASS_RISCV_CSR:
		snprintf(buf, len, "csr %#llx", (unsigned long long)low);
		break;
	case AXVM_SYSREG_CLASS_X86_MSR:
		snprintf(buf, len, "msr %#llx", (unsigned long long)low);
		break;
	default:
		snprintf(buf, len, "id %#llx", (unsigned long long)id);
		break;
	}
}

/* --trace of a system register exit, once vmctl has answered a read. */
static void trace_sysreg(struct vcpu *v)
{
	struct axvm_run *r = v->run;
	char name[48];

	if (!v->vm->opts->trace)
		return;
	sysreg_name(r->sysreg.id, name, sizeof(name));
	fprintf(stderr, "vmctl: vcpu %u: sysreg %s %s r%u %s %#llx\n", v->id,
		name, r->sysreg.is_write ? "write" : "read", r->sysreg.reg,
		r->sysreg.is_write ? "=" : "->",
		(unsigned long long)r->sysreg.value);
}

static void trace_exit(struct vcpu *v)
{
	struct axvm_run *r = v->run;

	if (!v->vm->opts->trace)
		return;
	switch (r->exit_reason) {
	case AXVM_EXIT_MMIO:
		fprintf(stderr, "vmctl: vcpu %u: mmio %s %#llx len %u data %#llx\n",
			v->id, r->mmio.is_write ? "write" : "read",
			(unsigned long long)r->mmio.phys_addr, r->mmio.len,
			(unsigned long long)r->mmio.data);
		break;
	case AXVM_EXIT_IO:
		fprintf(stderr, "vmctl: vcpu %u: io %s %#x size %u data %#llx\n",
			v->id, r->io.is_write ? "out" : "in", r->io.port,
			r->io.size, (unsigned long long)r->io.data);
		break;
	case AXVM_EXIT_HYPERCALL:
		fprintf(stderr, "vmctl: vcpu %u: hypercall %#llx (%#llx %#llx %#llx)\n",
			v->id, (unsigned long long)r->hypercall.nr,
			(unsigned long long)r->hypercall.args[0],
			(unsigned long long)r->hypercall.args[1],
			(unsigned long long)r->hypercall.args[2]);
		break;
	case AXVM_EXIT_SYSREG:
		/* trace_sysreg(), with the value vmctl answers. */
		break;
	case AXVM_EXIT_IPI:
		fprintf(stderr,
			"vmctl: vcpu %u: ipi vector %u target %#llx aux %#llx all %u self %u\n",
			v->id, r->ipi.vector,
			(unsigned long long)r->ipi.target_cpu,
			(unsigned long long)r->ipi.target_cpu_aux,
			r->ipi.send_to_all, r->ipi.send_to_self);
		break;
	default:
		fprintf(stderr, "vmctl: vcpu %u: %s\n", v->id,
			exit_name(r->exit_reason));
	}
}

/* Print an exit vmctl cannot go on from, with all its data. */
static void report_exit(struct vcpu *v, const char *what)
{
	struct axvm_run *r = v->run;
	unsigned int i, n;

	fprintf(stderr, "vmctl: vCPU %u: %s: exit %s (%u)", v->id, what,
		exit_name(r->exit_reason), r->exit_reason);
	switch (r->exit_reason) {
	case AXVM_EXIT_INTERNAL_ERROR:
		n = r->internal.ndata < 16 ? r->internal.ndata : 16;
		fprintf(stderr, " suberror %u data", r->internal.suberror);
		for (i = 0; i < n; i++)
			fprintf(stderr, " %#llx",
				(unsigned long long)r->internal.data[i]);
		break;
	case AXVM_EXIT_FAIL_ENTRY:
		fprintf(stderr, " hardware reason %#llx data %#llx",
			(unsigned long long)r->fail_entry.hardware_reason,
			(unsigned long long)r->fail_entry.data);
		break;
	case AXVM_EXIT_SYSTEM_DOWN:
		fprintf(stderr, " type %u data %#llx", r->system_down.type,
			(unsigned long long)r->system_down.data);
		break;
	case AXVM_EXIT_NESTED_PAGE_FAULT:
		fprintf(stderr, " gpa %#llx flags %#llx",
			(unsigned long long)r->npf.gpa,
			(unsigned long long)r->npf.flags);
		break;
	case AXVM_EXIT_IPI:
		fprintf(stderr, " target %#llx aux %#llx all %u self %u vector %u",
			(unsigned long long)r->ipi.target_cpu,
			(unsigned long long)r->ipi.target_cpu_aux,
			r->ipi.send_to_all, r->ipi.send_to_self, r->ipi.vector);
		break;
	}
	fputc('\n', stderr);
}

/* A halted vCPU waits here for an interrupt from a device, or 10 ms. */
static void vcpu_halt(struct vcpu *v)
{
	struct vm *vm = v->vm;
	unsigned int gen;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 10 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&vm->lock);
	gen = vm->irq_gen;
	while (!vm->stopping && gen == vm->irq_gen)
		if (pthread_cond_timedwait(&vm->cond, &vm->lock, &ts))
			break;
	pthread_mutex_unlock(&vm->lock);
}

static struct vcpu *vcpu_by_arch_id(struct vm *vm, uint64_t arch_id)
{
	unsigned int i;

	for (i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].arch_id == arch_id)
			return &vm->vcpus[i];
	return NULL;
}

static void vcpu_cpu_up(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct vcpu *t = vcpu_by_arch_id(vm, v->run->cpu_up.target);
	bool riscv = vm->arch->arch == AXVM_ARCH_RISCV64;

	if (!t) {
		/* PSCI INVALID_PARAMETERS, SBI ERR_INVALID_PARAM. */
		v->run->cpu_up.ret = riscv ? (uint64_t)-3 : (uint64_t)-2;
		return;
	}
	/*
	 * The kernel has checked that the target is off (PSCI, SBI HSM) and
	 * holds it as starting: its thread may not have handled its own
	 * CPU_DOWN exit yet (t->on), and starts it once it has. Only a
	 * start still pending here is refused.
	 */
	pthread_mutex_lock(&vm->lock);
	if (t->start_pending) {
		/* PSCI ALREADY_ON, SBI ERR_ALREADY_AVAILABLE. */
		v->run->cpu_up.ret = riscv ? (uint64_t)-6 : (uint64_t)-4;
	} else {
		t->start_pending = true;
		t->start_entry = v->run->cpu_up.entry;
		t->start_arg = v->run->cpu_up.arg;
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
}

/*
 * An IPI the module left to vmctl (--ipi user): its interrupt on every
 * target that exists, as hardware drops one to a CPU that is not there.
 * A target that is off gets it too, pending in the kernel until it
 * runs; one inside RUN is kicked by the module, one halted in vmctl is
 * woken here.
 */
static void vcpu_ipi(struct vcpu *v)
{
	struct axvm_run *r = v->run;
	struct vm *vm = v->vm;
	struct axvm_irq irq = {
		.irq = r->ipi.vector,
		.flags = AXVM_IRQ_LEVEL_HIGH,
	};
	uint64_t targets = 0;
	const char *why = "an IPI vmctl cannot deliver";
	enum vm_ipi how;
	unsigned int i;
	int ret;

	if (r->ipi.send_to_all)
		targets |= vm_all_vcpus(vm) & ~(1ULL << v->id);
	if (r->ipi.send_to_self)
		targets |= 1ULL << v->id;
	how = vm->arch->ipi_targets(v, &targets, &why);
	if (how == VM_IPI_CANNOT) {
		report_exit(v, why);
		vm_stop(vm, VMCTL_UNHANDLED);
		return;
	}
	for (i = 0; i < vm->nvcpus; i++) {
		if (!(targets >> i & 1))
			continue;
		if (how == VM_IPI_NMI)
			ret = ioctl(vm->vcpus[i].fd, AXVM_NMI, 0);
		else
			ret = ioctl(vm->vcpus[i].fd, AXVM_INJECT_IRQ, &irq);
		if (ret) {
			fprintf(stderr, "vmctl: vCPU %u: %s of vCPU %u's IPI: %s\n",
				i, how == VM_IPI_NMI ? "AXVM_NMI" :
				"AXVM_INJECT_IRQ", v->id, strerror(errno));
			vm_stop(vm, VMCTL_ERROR);
			return;
		}
	}
	if (targets)
		vm_kick_halted(vm);
}

/*
 * A crashed guest's registers, for its bug report: the PC, the flags
 * (PSTATE, RFLAGS, the privilege mode) and the general registers in the
 * uAPI's order (Documentation/api.rst, AXVM_GET_REGS).
 */
static void report_regs(struct vcpu *v)
{
	struct axvm_regs regs;
	unsigned int i;

	if (ioctl(v->fd, AXVM_GET_REGS, &regs)) {
		fprintf(stderr, "vmctl: vCPU %u: AXVM_GET_REGS: %s\n", v->id,
			strerror(errno));
		return;
	}
	fprintf(stderr, "vmctl: vCPU %u: pc %#llx flags %#llx", v->id,
		(unsigned long long)regs.pc, (unsigned long long)regs.pstate);
	for (i = 0; i < 32; i++)
		fprintf(stderr, "%s r%u=%#llx", i % 4 ? "" : "\nvmctl:  ", i,
			(unsigned long long)regs.gpr[i]);
	fputc('\n', stderr);
}

/* One exit, handled; the ones that end the guest stop the VM. */
static void vcpu_exit(struct vcpu *v)
{
	struct axvm_run *r = v->run;
	struct vm *vm = v->vm;
	uint64_t val;
	int status;

	trace_exit(v);
	switch (r->exit_reason) {
	case AXVM_EXIT_MMIO:
		val = r->mmio.data;
		bus_access(&vm->bus, IO_MMIO, r->mmio.phys_addr, r->mmio.len,
			   r->mmio.is_write, &val);
		if (!r->mmio.is_write)
			r->mmio.data = io_bytes(val, r->mmio.len);
		break;
	case AXVM_EXIT_IO:
		val = r->io.data;
		bus_access(&vm->bus, IO_PIO, r->io.port, r->io.size,
			   r->io.is_write, &val);
		if (!r->io.is_write)
			r->io.data = io_bytes(val, r->io.size);
		break;
	case AXVM_EXIT_SYSREG:
		/* Registers the kernel leaves to us read 0, writes go nowhere. */
		if (!r->sysreg.is_write)
			r->sysreg.value = 0;
		trace_sysreg(v);
		break;
	case AXVM_EXIT_HYPERCALL:
		vm->arch->hypercall(v);
		break;
	case AXVM_EXIT_HALT:
		vcpu_halt(v);
		break;
	case AXVM_EXIT_CPU_UP:
		vcpu_cpu_up(v);
		break;
	case AXVM_EXIT_IPI:
		vcpu_ipi(v);
		break;
	case AXVM_EXIT_CPU_DOWN:
		pthread_mutex_lock(&vm->lock);
		v->on = false;
		pthread_mutex_unlock(&vm->lock);
		break;
	case AXVM_EXIT_SYSTEM_DOWN:
		status = vm->arch->system_down(v);
		if (vm->opts->trace || status == VMCTL_CRASH)
			report_exit(v, "system down");
		if (status == VMCTL_CRASH)
			report_regs(v);
		/*
		 * The module's crash is x86's: a triple fault, or an
		 * exception raised again in its own delivery, which would
		 * end in one. riscv64's is the guest's own SRST.
		 */
		vm_stop_why(vm, status,
			    r->system_down.type == AXVM_SYSTEM_DOWN_CRASH ?
			    "a triple fault" : "it reported a system failure");
		break;
	case AXVM_EXIT_INTR:
		break;
	case AXVM_EXIT_FAIL_ENTRY:
		report_exit(v, "the CPU refused to enter the guest");
		vm_stop_why(vm, VMCTL_CRASH, "the CPU refused to enter it");
		break;
	default:
		report_exit(v, "exit vmctl cannot handle");
		vm_stop(vm, VMCTL_UNHANDLED);
		break;
	}
}

static void sig_nothing(int sig)
{
	(void)sig;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t set;
	int stopping;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	for (;;) {
		pthread_mutex_lock(&vm->lock);
		while (!vm->stopping && !v->on && !v->start_pending)
			pthread_cond_wait(&vm->cond, &vm->lock);
		stopping = vm->stopping;
		if (!stopping && v->start_pending) {
			v->start_pending = false;
			v->on = true;
			pthread_mutex_unlock(&vm->lock);
			if (vm->arch->boot_regs(v, v->start_entry,
						v->start_arg, false)) {
				vm_stop(vm, VMCTL_ERROR);
				break;
			}
			continue;
		}
		pthread_mutex_unlock(&vm->lock);
		if (stopping)
			break;
		if (ioctl(v->fd, AXVM_RUN, 0)) {
			if (errno == EINTR) {
				/* An exit to userspace too (AXVM_EXIT_INTR). */
				v->user_exits++;
				continue;
			}
			fprintf(stderr, "vmctl: vCPU %u: AXVM_RUN: %s\n", v->id,
				strerror(errno));
			vm_stop(vm, VMCTL_ERROR);
			break;
		}
		v->user_exits++;
		vcpu_exit(v);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */

static struct termios saved_tty;
static bool tty_raw;

static void tty_restore(void)
{
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	tty_raw = false;
}

/* Keys go to the guest as typed; Ctrl-A x leaves vmctl. */
static void tty_make_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty))
		return;
	t = saved_tty;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
		       ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (!tcsetattr(STDIN_FILENO, TCSANOW, &t)) {
		tty_raw = true;
		atexit(tty_restore);
	}
}

struct input_ctx {
	struct vm *vm;
	int wake[2];
	uint8_t q[4096];	/* read, not yet taken by the UART */
	size_t qlen;
	bool escape;		/* the last byte read was Ctrl-A */
};

/* Whether Ctrl-A x ends in @buf (its Ctrl-A perhaps the read before). */
static bool input_escape(struct input_ctx *c, const uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c->escape && buf[i] == 'x')
			return true;
		c->escape = buf[i] == CTRL_A;
	}
	return false;
}

/* As much of the queue as the UART's FIFO has room for. */
static void input_feed(struct input_ctx *c)
{
	struct vm *vm = c->vm;
	size_t n = vm->con_room ? vm->con_room(vm->con_dev) : c->qlen;

	if (n > c->qlen)
		n = c->qlen;
	if (!n)
		return;
	if (vm->con_input)
		vm->con_input(vm->con_dev, c->q, n);
	if (vm->vcon_input)
		vm->vcon_input(vm->vcon_dev, c->q, n);
	c->qlen -= n;
	memmove(c->q, c->q + n, c->qlen);
	vm_kick_halted(vm);
}

/*
 * Console input: queued here and given to the UART as its FIFO has room,
 * so that a paste is not lost while the guest drains it; the virtio
 * console gets the same bytes. A terminal is read even with the queue
 * full (what does not fit is dropped), so that Ctrl-A x works while the
 * guest does not read its console; a pipe or file then waits.
 */
static void *input_thread(void *arg)
{
	struct input_ctx *c = arg;
	struct vm *vm = c->vm;
	struct pollfd p[2] = {
		{ .events = POLLIN },
		{ .fd = c->wake[0], .events = POLLIN },
	};
	bool eof = false;
	uint8_t drop[256], *dst;
	size_t max;
	ssize_t n;

	for (;;) {
		input_feed(c);
		if (eof && !c->qlen)
			break;
		/* A negative fd is left out: no POLLHUP while not reading. */
		p[0].fd = !eof && (c->qlen < sizeof(c->q) || tty_raw) ?
			  vm->con_in : -1;
		/* Bytes the FIFO has no room for: look again in 10 ms. */
		if (poll(p, 2, c->qlen ? 10 : -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		dst = c->q + c->qlen;
		max = sizeof(c->q) - c->qlen;
		if (!max) {
			dst = drop;
			max = sizeof(drop);
		}
		n = read(vm->con_in, dst, max);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			eof = true;
			continue;
		}
		if (tty_raw && input_escape(c, dst, n)) {
			vm_stop(vm, VMCTL_SIGNALLED + SIGINT);
			break;
		}
		if (dst != drop)
			c->qlen += n;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */

/* vmctl runs guests of the architecture it was built for. */
#if defined(__aarch64__)
#define HOST_ARCH	(&arch_arm64)
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH	(&arch_riscv64)
#elif defined(__x86_64__)
#define HOST_ARCH	(&arch_x86)
#else
#error "vmctl runs on arm64, riscv64 and x86-64 hosts"
#endif

static const struct arch *arch_of(int sys_fd)
{
	switch (ioctl(sys_fd, AXVM_CHECK_CAP, AXVM_CAP_ARCH)) {
	case AXVM_ARCH_ARM64:
		return &arch_arm64;
	case AXVM_ARCH_RISCV64:
		return &arch_riscv64;
	case AXVM_ARCH_X86_VMX:
	case AXVM_ARCH_X86_SVM:
		return &arch_x86;
	}
	return NULL;
}

/* Guest RAM in vmctl first: images are placed before any VM exists. */
static int vm_alloc_ram(struct vm *vm)
{
	uint64_t size = vm->opts->mem_size;
	uintptr_t host;
	void *p;

	vm->mem_map_size = size + RAM_ALIGN;
	p = mmap(NULL, vm->mem_map_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "vmctl: guest RAM of %llu bytes: %s\n",
			(unsigned long long)size, strerror(errno));
		return -1;
	}
	vm->mem_map = p;
	host = (uintptr_t)p;
	host += (vm->arch->ram_base - host) & (RAM_ALIGN - 1);
	vm->mem.host = (uint8_t *)host;
	vm->mem.base = vm->arch->ram_base;
	vm->mem.size = size;
	/*
	 * Transparent huge pages where the host allows them: guest and host
	 * addresses agree modulo RAM_ALIGN, so axvm maps 2 MiB stage-2
	 * blocks (api.rst, "Guest memory"), as QEMU asks for its RAM too.
	 * Advice only: a kernel without THP just says EINVAL.
	 */
	madvise(vm->mem.host, size, MADV_HUGEPAGE);
	return 0;
}

static void vm_prepare_vcpus(struct vm *vm)
{
	struct vcpu *v;
	unsigned int i;

	for (i = 0; i < vm->opts->ncpus; i++) {
		v = &vm->vcpus[i];
		v->vm = vm;
		v->id = i;
		v->fd = -1;
		v->arch_id = vm->arch->arch_id(i);
	}
	vm->nvcpus = vm->opts->ncpus;
}

/*
 * --ipi user: the module leaves the guest's IPIs to vmctl, in a VM that
 * then has no in-kernel irqchip (api.rst, AXVM_ENABLE_CAP).
 */
static int vm_enable_user_ipi(struct vm *vm)
{
	struct axvm_enable_cap cap = { .cap = AXVM_CAP_USER_IPI };

	if (ioctl(vm->sys_fd, AXVM_CHECK_CAP, AXVM_CAP_USER_IPI) != 1) {
		fprintf(stderr,
			"vmctl: --ipi user: the module cannot leave IPIs to vmctl here (AXVM_CAP_USER_IPI is not 1)\n");
		return -1;
	}
	if (ioctl(vm->fd, AXVM_ENABLE_CAP, &cap)) {
		fprintf(stderr, "vmctl: --ipi user: AXVM_ENABLE_CAP: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* The VM itself, its RAM and its vCPUs, once everything is in place. */
static int vm_create(struct vm *vm)
{
	struct axvm_memory_region r = {
		.slot = 0,
		.guest_phys_addr = vm->mem.base,
		.size = vm->mem.size,
		.userspace_addr = (uintptr_t)vm->mem.host,
	};
	const struct vm_opts *o = vm->opts;
	struct axvm_vcpu_create c;
	struct vcpu *v;
	unsigned int i;
	int flags;

	/* EINTR: a signal came while the module read the address space. */
	do
		vm->fd = ioctl(vm->sys_fd, AXVM_CREATE_VM, 0);
	while (vm->fd < 0 && errno == EINTR);
	if (vm->fd < 0) {
		fprintf(stderr, "vmctl: AXVM_CREATE_VM: %s\n", strerror(errno));
		return -1;
	}
	if (ioctl(vm->fd, AXVM_SET_MEMORY_REGION, &r)) {
		fprintf(stderr,
			"vmctl: guest RAM at %#llx: AXVM_SET_MEMORY_REGION: %s\n",
			(unsigned long long)r.guest_phys_addr, strerror(errno));
		return -1;
	}
	if (o->user_ipi) {
		if (vm_enable_user_ipi(vm))
			return -1;
	} else if (vm->arch->create_irqchip &&
		   vm->arch->create_irqchip(vm) < 0) {
		return -1;
	}
	flags = ioctl(vm->sys_fd, AXVM_CHECK_CAP, AXVM_CAP_VCPU_FLAGS);
	if (o->vcpu_flags & ~(flags < 0 ? 0 : (uint32_t)flags)) {
		fprintf(stderr,
			"vmctl: --passthrough-timer: the module does not offer AXVM_VCPU_PASSTHROUGH_TIMER here (arm64 only)\n");
		return -1;
	}
	for (i = 0; i < vm->nvcpus; i++) {
		v = &vm->vcpus[i];
		memset(&c, 0, sizeof(c));
		c.id = i;
		c.flags = o->vcpu_flags;
		c.arch_id = v->arch_id;
		if (o->pin[i] >= 0)
			c.affinity[o->pin[i] / 64] = 1ULL << (o->pin[i] % 64);
		v->fd = ioctl(vm->fd, AXVM_CREATE_VCPU, &c);
		if (v->fd < 0) {
			fprintf(stderr, "vmctl: vCPU %u: AXVM_CREATE_VCPU: %s\n",
				i, strerror(errno));
			return -1;
		}
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			fprintf(stderr, "vmctl: vCPU %u: run page: %s\n", i,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int vm_open(struct vm *vm)
{
	const char *dev = vm->opts->device;

	vm->sys_fd = axvm_dev_open(dev);
	if (vm->sys_fd < 0)
		return -1;
	if (arch_of(vm->sys_fd) != vm->arch) {
		fprintf(stderr, "vmctl: %s: not a module for %s guests (AXVM_CAP_ARCH %d)\n",
			dev, vm->arch->name,
			ioctl(vm->sys_fd, AXVM_CHECK_CAP, AXVM_CAP_ARCH));
		return -1;
	}
	if (ioctl(vm->sys_fd, AXVM_CHECK_CAP, AXVM_CAP_RUN) <= 0) {
		fprintf(stderr, "vmctl: %s: this CPU cannot run guests (AXVM_CAP_RUN is 0)\n",
			dev);
		return -1;
	}
	if (vm->opts->ncpus >
	    (unsigned int)ioctl(vm->sys_fd, AXVM_CHECK_CAP, AXVM_CAP_MAX_VCPUS)) {
		fprintf(stderr, "vmctl: %u vCPUs: the module allows %d\n",
			vm->opts->ncpus,
			ioctl(vm->sys_fd, AXVM_CHECK_CAP, AXVM_CAP_MAX_VCPUS));
		return -1;
	}
	vm->run_size = ioctl(vm->sys_fd, AXVM_GET_VCPU_MMAP_SIZE, 0);
	return 0;
}

/*
 * The console's fd, which the UART models keep. A file is not truncated
 * here: vm_console_empty() does that once the guest is about to run.
 */
static int vm_console(struct vm *vm)
{
	if (!vm->opts->console) {
		vm->con_out = STDOUT_FILENO;
		vm->con_in = STDIN_FILENO;
		return 0;
	}
	vm->con_in = -1;
	vm->con_out = open(vm->opts->console,
			   O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (vm->con_out < 0) {
		fprintf(stderr, "vmctl: --console '%s': %s\n",
			vm->opts->console, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Empty a console file only when nothing can fail any more but the guest:
 * a typo in an image or an option leaves the last run's log as it was.
 * A FIFO or a terminal is not a file to truncate.
 */
static int vm_console_empty(struct vm *vm)
{
	struct stat st;

	if (!vm->opts->console || fstat(vm->con_out, &st) ||
	    !S_ISREG(st.st_mode))
		return 0;
	if (ftruncate(vm->con_out, 0)) {
		fprintf(stderr, "vmctl: --console '%s': %s\n",
			vm->opts->console, strerror(errno));
		return -1;
	}
	return 0;
}

static void vm_free(struct vm *vm)
{
	unsigned int i;

	for (i = vm->ndestroy; i-- > 0;)
		vm->destroy[i](vm->destroy_dev[i]);
	for (i = 0; i < vm->nvcpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	file_free(&vm->kernel);
	if (vm->mem_map)
		munmap(vm->mem_map, vm->mem_map_size);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	if (vm->opts->console && vm->con_out >= 0)
		close(vm->con_out);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

/* Signals: INT/TERM stop the VM, USR2 says it stopped, USR1 kicks RUN. */
static void vm_signals(sigset_t *wait)
{
	struct sigaction sa = { .sa_handler = sig_nothing };

	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: RUN gets EINTR */
	/* A console pipe whose reader left is a write error, not death. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(wait);
	sigaddset(wait, SIGINT);
	sigaddset(wait, SIGTERM);
	sigaddset(wait, SIGUSR2);
	sigaddset(wait, SIGUSR1);
	/* Threads inherit this: only the main thread takes INT and TERM. */
	pthread_sigmask(SIG_BLOCK, wait, NULL);
	sigdelset(wait, SIGUSR1);
}

static int vm_start(struct vm *vm, sigset_t *wait)
{
	struct input_ctx in = { .vm = vm, .wake = { -1, -1 } };
	pthread_t input;
	bool input_started = false;
	unsigned int i;
	int sig;

	if (vm->con_in >= 0 && (vm->con_input || vm->vcon_input) &&
	    !pipe(in.wake)) {
		tty_make_raw();
		input_started = !pthread_create(&input, NULL, input_thread,
						&in);
	}
	vm->vcpus[0].on = true;
	/* The kernel holds the APs until the guest starts them. */
	if (vm->irqchip && vm->arch->aps_in_kernel)
		for (i = 1; i < vm->nvcpus; i++)
			vm->vcpus[i].on = true;
	for (i = 0; i < vm->nvcpus; i++) {
		if (pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				   &vm->vcpus[i])) {
			fprintf(stderr, "vmctl: cannot start vCPU %u's thread\n",
				i);
			vm_stop(vm, VMCTL_ERROR);
			break;
		}
		vm->vcpus[i].thread_started = true;
	}
	for (;;) {
		if (sigwait(wait, &sig))
			continue;
		if (sig == SIGINT || sig == SIGTERM)
			vm_stop(vm, VMCTL_SIGNALLED + sig);
		pthread_mutex_lock(&vm->lock);
		if (vm->stopping) {
			pthread_mutex_unlock(&vm->lock);
			break;
		}
		pthread_mutex_unlock(&vm->lock);
	}
	for (i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
	if (input_started) {
		if (write(in.wake[1], "", 1) < 0)
			pthread_cancel(input);
		pthread_join(input, NULL);
	}
	if (in.wake[0] >= 0) {
		close(in.wake[0]);
		close(in.wake[1]);
	}
	tty_restore();
	return vm->status;
}

/* --stats: the module's counters of every vCPU and the RUN returns. */
static void vm_print_stats(struct vm *vm)
{
	struct axvm_exit_stats e;
	struct vm_stats s;
	unsigned int i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < vm->nvcpus; i++) {
		if (ioctl(vm->vcpus[i].fd, AXVM_GET_EXIT_STATS, &e)) {
			fprintf(stderr, "vmctl: vCPU %u: AXVM_GET_EXIT_STATS: %s\n",
				i, strerror(errno));
			s.unread++;
			continue;
		}
		vm_stats_add(&s, &e);
		s.to_user += vm->vcpus[i].user_exits;
	}
	vm_stats_print(stderr, &s);
}

/* Reset and crash end vmctl as power-off does: say which it was. */
static void vm_say_end(struct vm *vm)
{
	if (vm->status == VMCTL_RESET)
		fprintf(stderr, "vmctl: the guest reset\n");
	else if (vm->status == VMCTL_CRASH)
		fprintf(stderr, "vmctl: the guest crashed (%s)\n",
			vm->crash_why ?: "a crash report");
}

int vm_run(const struct vm_opts *opts)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	sigset_t wait;
	int ret = VMCTL_ERROR;

	if (!vm) {
		fprintf(stderr, "vmctl: out of memory\n");
		return VMCTL_ERROR;
	}
	vm->opts = opts;
	vm->sys_fd = -1;
	vm->fd = -1;
	vm->con_out = -1;
	vm->con_in = -1;
	vm->main_thread = pthread_self();
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm_signals(&wait);

	/* The image first: its errors do not depend on the module. */
	vm->arch = HOST_ARCH;
	if (file_read(opts->kernel, &vm->kernel) ||
	    vm->arch->check_kernel(vm) || vm_open(vm) || vm_console(vm) ||
	    vm_alloc_ram(vm))
		goto out;
	vm_prepare_vcpus(vm);
	if (vm->arch->add_devices(vm) || vm->arch->load(vm))
		goto out;
	file_free(&vm->kernel);
	if (vm_create(vm) ||
	    vm->arch->boot_regs(&vm->vcpus[0], vm->boot.entry, 0, true) ||
	    vm_console_empty(vm))
		goto out;
	ret = vm_start(vm, &wait);
	vm_say_end(vm);
	if (opts->stats)
		vm_print_stats(vm);
out:
	vm_free(vm);
	return ret;
}
