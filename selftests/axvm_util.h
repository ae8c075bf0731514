/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the axvm selftests. */
#ifndef AXVM_SELFTEST_UTIL_H
#define AXVM_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>
#include <linux/axvm.h>

#define AXVM_DEV	"/dev/axvm"

static inline int axvm_open(void)
{
	return open(AXVM_DEV, O_RDWR | O_CLOEXEC);
}

static inline int axvm_cap(int sys, int cap)
{
	return ioctl(sys, AXVM_CHECK_CAP, cap);
}

static inline int axvm_create_vcpu(int vm, uint32_t id, uint64_t arch_id)
{
	struct axvm_vcpu_create c;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.arch_id = arch_id;
	return ioctl(vm, AXVM_CREATE_VCPU, &c);
}

/* A distinct, valid CPU identity for vCPU @id on this architecture. */
static inline uint64_t axvm_arch_id(uint32_t id)
{
#if defined(__aarch64__)
	return ((uint64_t)(id / 16) << 8) | (id % 16);	/* Aff1.Aff0 */
#else
	return id;
#endif
}

/* An invalid CPU identity, or 0 when every value is valid (riscv). */
static inline uint64_t axvm_bad_arch_id(void)
{
#if defined(__aarch64__)
	return 1ULL << 31;		/* MPIDR_EL1.RES1, not affinity */
#elif defined(__x86_64__)
	return 1ULL << 32;		/* wider than an x2APIC id */
#else
	return 0;
#endif
}

/* A system register every vCPU carries and userspace may write. */
static inline uint64_t axvm_test_sysreg(void)
{
#if defined(__aarch64__)
	return AXVM_SYSREG_ARM64(3, 0, 12, 0, 0);	/* VBAR_EL1 */
#elif defined(__riscv)
	return AXVM_SYSREG_RISCV_CSR(0x105);		/* stvec */
#else
	return AXVM_SYSREG_X86_MSR(0xc0000082);		/* LSTAR */
#endif
}

/* Nanoseconds of clock @id (CLOCK_MONOTONIC, CLOCK_REALTIME, ...). */
static inline uint64_t axvm_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* AXVM_SET_SYSREG of one register: 0, or -1 with errno. */
static inline int axvm_set_sysreg(int vcpu, uint64_t id, uint64_t value)
{
	struct axvm_sysreg r = { .id = id, .value = value };

	return ioctl(vcpu, AXVM_SET_SYSREG, &r);
}

/* AXVM_GET_SYSREG of one register: its value, or ~0 when it fails. */
static inline uint64_t axvm_get_sysreg(int vcpu, uint64_t id)
{
	struct axvm_sysreg r = { .id = id };

	return ioctl(vcpu, AXVM_GET_SYSREG, &r) ? ~0ULL : r.value;
}

/* CPU @cpu online (@on 1) or offline (0) through sysfs: 0 or -errno. */
static inline int axvm_cpu_online(int cpu, int on)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, on ? "1" : "0", 1) == 1 ? 0 : -errno;
	close(fd);
	return ret;
}

/*
 * Online @cpu, trying again when the lane kernel's own bring-up deadline
 * ran out: riscv waits 1 s for a new hart ("CPU1: failed to come
 * online"), arm64 5 s, and a loaded TCG host overruns them; the CPU then
 * stays offline and a later try starts it. 0, or the last -errno after
 * 20 tries. *@retries, when given, counts the tries that failed.
 */
static inline int axvm_cpu_online_retry(int cpu, int *retries)
{
	int i, ret = 0;

	for (i = 0; i < 20; i++) {
		ret = axvm_cpu_online(cpu, 1);
		if (!ret)
			return 0;
		if (retries)
			(*retries)++;
		usleep(100 * 1000);
	}
	return ret;
}

/* A vCPU's count of exits for @reason so far, or -1. */
static inline long long axvm_exit_count(int vcpu, unsigned int reason)
{
	struct axvm_exit_stats st;

	if (ioctl(vcpu, AXVM_GET_EXIT_STATS, &st) ||
	    reason >= AXVM_EXIT_REASONS)
		return -1;
	return st.count[reason];
}

static inline void *axvm_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline int axvm_set_region(int vm, uint32_t slot, uint32_t flags,
				  uint64_t gpa, uint64_t size, void *hva)
{
	struct axvm_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm, AXVM_SET_MEMORY_REGION, &r);
}

/* The module's reference count, or -1 when it cannot be read. */
static inline long axvm_module_refcnt(void)
{
	FILE *f = fopen("/sys/module/axvm/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* A number from the environment (any base strtoull takes), else @def. */
static inline uint64_t axvm_env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

/* A module parameter of axvm as a number; -1 when it cannot be read. */
static inline long axvm_param(const char *name)
{
	char path[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/axvm/parameters/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Set a writable module parameter of axvm: 0 or -errno. */
static inline int axvm_set_param(const char *name, long value)
{
	char path[128];
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/axvm/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", value) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* Up to @size - 1 bytes of the file at @path, NUL ended; "" if unreadable. */
static inline void axvm_slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* A field of /proc/self/status, in kB; -1 when absent. */
static inline long axvm_status_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

/* finit_module() of the file at @path: 0 or -errno. */
static inline int axvm_load_module(const char *path, const char *params)
{
	int fd, ret;

	if (!path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static inline int axvm_unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/*
 * CLOCK_MONOTONIC made to run 10% ahead of the hardware counter, as NTP
 * may (adjtimex ADJ_TICK, the most it allows: 1.1 times the nominal
 * tick). The host's hrtimers then expire before the guest's deadlines
 * by the counter. Returns the old tick for axvm_clock_unslew(), or
 * -errno. The timekeeper takes the new tick within one of its ticks.
 */
static inline long axvm_clock_slew(void)
{
	struct timex tx = { .modes = 0 };
	long old;

	if (adjtimex(&tx) < 0)
		return -errno;
	old = tx.tick;
	tx.modes = ADJ_TICK;
	tx.tick = old + old / 10;
	if (adjtimex(&tx) < 0)
		return -errno;
	usleep(50000);
	return old;
}

static inline void axvm_clock_unslew(long tick)
{
	struct timex tx = { .modes = ADJ_TICK, .tick = tick };

	if (tick > 0)
		adjtimex(&tx);
}

static inline void axvm_alarm_handler(int sig)
{
}

/*
 * SIGALRM in @secs, without SA_RESTART: a RUN still waiting then ends
 * with EINTR rather than at the harness's timeout.
 */
static inline void axvm_alarm_eintr(unsigned int secs)
{
	struct sigaction sa = { .sa_handler = axvm_alarm_handler };

	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
}

/*
 * What axvm logs when the CPU reports a state no CPU can (see
 * axvm_svm_check_cpu()): QEMU 7.2's multi-threaded TCG now and then
 * runs an SVM guest with nested paging off or with the host's state.
 */
#define AXVM_CPU_DEFECT	"a CPU (emulator) defect, not architectural"

/* The kernel log from now on, or -1 where it cannot be read. */
static inline int axvm_kmsg_from_now(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Whether a record since axvm_kmsg_from_now() holds @needle; closes @fd. */
static inline int axvm_kmsg_says(int fd, const char *needle)
{
	char rec[8192];
	int found = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* records overwritten */
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, needle))
			found = 1;
	}
	close(fd);
	return found;
}

#endif /* AXVM_SELFTEST_UTIL_H */
