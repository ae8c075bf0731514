// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl against the module: bare-metal guests (selftests/guests, packed
 * in /guests) print through the machine's UART and power off, reset,
 * crash, spin or make an exit vmctl cannot handle; vmctl's exit status
 * and output are checked, as are its argument errors, Ctrl-C, Ctrl-A x
 * on a terminal while the guest does not read it, the console file,
 * exit tracing, SMP start-up and IPIs that vmctl delivers (--ipi user);
 * and what a new user meets first: --version, info's capabilities,
 * --device on either side of the command, image errors without the
 * module, and a log that a typo leaves alone.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "axvm_util.h"
#include "axvm_harness.h"

#define VMCTL		"/vmctl"
#define OUT_FILE	"/tmp/vmctl.out"
#define ERR_FILE	"/tmp/vmctl.err"
#define CON_FILE	"/tmp/vmctl.console"

#if defined(__aarch64__)
#define ARCH_NAME	"arm64"
#define RAW_LOAD	"0x80000000"
#elif defined(__riscv)
#define ARCH_NAME	"riscv64"
#define RAW_LOAD	"0x80000000"
#else
#define ARCH_NAME	"x86"
#define RAW_LOAD	"0x10000"
#endif

#define HELLO		"axvm-guest: hello from " ARCH_NAME "\n"

struct result {
	int status;		/* exit status, or 128 + signal */
	int pinned_to_1;	/* threads of vmctl allowed on CPU 1 only */
	char out[8192];
	char err[16384];	/* --trace lines of a few hundred exits */
};

/* Wait up to 20 s for the guest's greeting on vmctl's output. */
static void wait_hello(struct result *r)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	for (i = 0; i < 400; i++) {
		axvm_slurp(OUT_FILE, r->out, sizeof(r->out));
		if (strstr(r->out, HELLO))
			return;
		nanosleep(&ts, NULL);
	}
}

/* How many of @pid's threads may run on CPU 1 only. */
static int count_pinned_to_1(pid_t pid)
{
	char path[64], line[256];
	int tid, n = 0;
	FILE *f;

	/* vmctl's thread ids follow its pid; a few hundred is plenty. */
	for (tid = pid; tid < pid + 256; tid++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid,
			 tid);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strcmp(line, "Cpus_allowed_list:\t1\n"))
				n++;
		fclose(f);
	}
	return n;
}

/* The user vmctl runs as; 0 keeps the test's (root). */
static uid_t run_as;
/* What vmctl reads on its standard input; NULL: /dev/null. */
static const char *stdin_file;
/* An open file for vmctl's standard input instead, when not -1. */
static int stdin_fd = -1;

/* Start vmctl with @argv (NULL-ended, without "vmctl"). */
static pid_t spawn_vmctl(const char *const *argv)
{
	const char *args[32] = { "vmctl" };
	int i, n = 1;
	pid_t pid;

	/* 32M of guest RAM is plenty and quick to pin in an emulator. */
	for (i = 0; argv[i] && n < 29; i++) {
		args[n++] = argv[i];
		if (i == 0 && !strcmp(argv[0], "run")) {
			args[n++] = "--memory";
			args[n++] = "32M";
		}
	}
	args[n] = NULL;
	unlink(OUT_FILE);	/* no greeting from the run before */
	pid = fork();
	if (pid == 0) {
		int in = stdin_fd >= 0 ? stdin_fd :
			 open(stdin_file ? stdin_file : "/dev/null", O_RDONLY);
		int out = open(OUT_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(ERR_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(in, 0);
		dup2(out, 1);
		dup2(err, 2);
		if (run_as && (setgroups(0, NULL) || setgid(run_as) ||
			       setuid(run_as)))
			_exit(126);
		execv(VMCTL, (char *const *)args);
		_exit(127);
	}
	return pid;
}

/* Wait for vmctl to exit, however long: the harness's timeout bounds it. */
static void reap_vmctl(struct result *r, pid_t pid)
{
	int status;

	r->status = -1;
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
	axvm_slurp(OUT_FILE, r->out, sizeof(r->out));
	axvm_slurp(ERR_FILE, r->err, sizeof(r->err));
}

/*
 * Run vmctl with @argv; if @sig, send it @sig_ms after the guest said
 * hello. Stdin is stdin_file.
 */
static void run_vmctl(struct result *r, int sig, int sig_ms,
		      const char *const *argv)
{
	struct timespec ts = { sig_ms / 1000, (sig_ms % 1000) * 1000000L };
	pid_t pid = spawn_vmctl(argv);

	if (sig) {
		wait_hello(r);
		r->pinned_to_1 = count_pinned_to_1(pid);
		nanosleep(&ts, NULL);
		kill(pid, sig);
	}
	reap_vmctl(r, pid);
}

#define VMCTL_RUN(r, ...)						\
	run_vmctl(r, 0, 0, (const char *const []){ __VA_ARGS__, NULL })

/* AXVM_CHECK_CAP(AXVM_CAP_USER_IPI): 1 where --ipi user can work. */
static int user_ipi_cap(void)
{
	int sys = axvm_open(), cap;

	if (sys < 0)
		return 0;
	cap = axvm_cap(sys, AXVM_CAP_USER_IPI);
	close(sys);
	return cap;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int count_prefixed(const char *s, const char *prefix)
{
	int n = 0;

	while (*s) {
		n += !strncmp(s, prefix, strlen(prefix));
		s = strchrnul(s, '\n');
		if (*s)
			s++;
	}
	return n;
}

FIXTURE(vmctl) {
	struct result r;
	long refcnt;
};

FIXTURE_SETUP(vmctl)
{
	int sys = axvm_open();

	ASSERT_GE(sys, 0);
	if (axvm_cap(sys, AXVM_CAP_RUN) <= 0) {
		close(sys);
		SKIP(return, "no guest entry on this lane");
	}
	close(sys);
	mkdir("/tmp", 0777);	/* the test initramfs has none */
	self->refcnt = axvm_module_refcnt();
}

FIXTURE_TEARDOWN(vmctl)
{
	/* Whatever vmctl did, it left no VM or vCPU behind. */
	EXPECT_EQ(self->refcnt, axvm_module_refcnt());
}

TEST_F(vmctl, info)
{
	VMCTL_RUN(&self->r, "info");
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "api-version: "));
	EXPECT_NE(NULL, strstr(self->r.out, "cap run: 1"));
}

/* "vmctl <dkms.conf's PACKAGE_VERSION>", as an option and a command. */
TEST_F(vmctl, version)
{
	static const char *const ways[][2] = {
		{ "--version", NULL },
		{ "version", NULL },
	};
	unsigned int i;

	ASSERT_LT(0, strlen(AXVM_PACKAGE_VERSION));
	for (i = 0; i < ARRAY_SIZE(ways); i++) {
		run_vmctl(&self->r, 0, 0, ways[i]);
		EXPECT_EQ(0, self->r.status) TH_LOG("%s", ways[i][0]);
		EXPECT_STREQ("vmctl " AXVM_PACKAGE_VERSION "\n", self->r.out);
		EXPECT_STREQ("", self->r.err);
	}
}

/*
 * Every AXVM_CAP_* of the uAPI, each once, with what AXVM_CHECK_CAP
 * says of it: a line "cap NAME: VALUE".
 */
TEST_F(vmctl, info_lists_every_capability)
{
	static const struct {
		int cap;
		const char *name;
	} caps[] = {
		{ AXVM_CAP_ARCH, "arch" },
		{ AXVM_CAP_RUN, "run" },
		{ AXVM_CAP_MAX_VCPUS, "max-vcpus" },
		{ AXVM_CAP_MAX_VCPU_ID, "max-vcpu-id" },
		{ AXVM_CAP_NR_MEM_REGIONS, "mem-regions" },
		{ AXVM_CAP_READONLY_MEM, "readonly-mem" },
		{ AXVM_CAP_GUEST_PHYS_BITS, "guest-phys-bits" },
		{ AXVM_CAP_EXIT_STATS, "exit-stats" },
		{ AXVM_CAP_NR_IRQS, "irqs" },
		{ AXVM_CAP_IMMEDIATE_EXIT, "immediate-exit" },
		{ AXVM_CAP_CPUID, "cpuid" },
		{ AXVM_CAP_IRQCHIP, "irqchip" },
		{ AXVM_CAP_HYPERCALL_FILTER, "hypercall-filter" },
		{ AXVM_CAP_DIRTY_LOG, "dirty-log" },
		{ AXVM_CAP_USER_FAULT, "user-fault" },
		{ AXVM_CAP_VCPU_FLAGS, "vcpu-flags" },
		{ AXVM_CAP_USER_IPI, "user-ipi" },
	};
	char line[64], name[32];
	unsigned int i;
	int sys;

	/* Numbered from 1 on: the table has each up to the last. */
	ASSERT_EQ(AXVM_CAP_USER_IPI, (int)ARRAY_SIZE(caps));
	VMCTL_RUN(&self->r, "info");
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	sys = axvm_open();
	ASSERT_GE(sys, 0);
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		snprintf(name, sizeof(name), "cap %s: ", caps[i].name);
		snprintf(line, sizeof(line), "\n%s%d\n", name,
			 axvm_cap(sys, caps[i].cap));
		EXPECT_NE(NULL, strstr(self->r.out, line))
			TH_LOG("%s not in:\n%s", line + 1, self->r.out);
		EXPECT_EQ(1, count_prefixed(self->r.out, name))
			TH_LOG("%s", name);
	}
	close(sys);
	EXPECT_EQ((int)ARRAY_SIZE(caps), count_prefixed(self->r.out, "cap "));
}

/* A raw binary at a load address prints and powers off: status 0. */
TEST_F(vmctl, raw_image_powers_off)
{
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.bin",
		  "--load", RAW_LOAD);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
}

TEST_F(vmctl, elf_image_powers_off)
{
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
}

/*
 * --passthrough-timer reaches AXVM_CREATE_VCPU on arm64 (what the guest
 * then sees is arm64_test's ptimer_passthrough_*); elsewhere vmctl says
 * no before any guest runs.
 */
TEST_F(vmctl, passthrough_timer)
{
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf",
		  "--passthrough-timer");
#ifdef __aarch64__
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
#else
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ("", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.err, "vmctl: --passthrough-timer: "))
		TH_LOG("stderr: %s", self->r.err);
#endif
}

/* A reset is status 2 and one line saying so. */
TEST_F(vmctl, reset_is_status_2)
{
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/RESET.elf");
	EXPECT_EQ(2, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
	EXPECT_STREQ("vmctl: the guest reset\n", self->r.err);
}

#if !defined(__aarch64__)
#ifdef __x86_64__
#define CRASH_LINE	"vmctl: the guest crashed (a triple fault)\n"
#else
#define CRASH_LINE	"vmctl: the guest crashed (it reported a system failure)\n"
#endif

/*
 * x86: a triple fault; riscv64: SBI SRST with "system failure". The exit
 * and the registers are printed, and last a line saying what happened.
 */
TEST_F(vmctl, crash_is_status_3)
{
	size_t len, line = strlen(CRASH_LINE);

	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/CRASH.elf");
	EXPECT_EQ(3, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
	len = strlen(self->r.err);
	ASSERT_LE(line, len) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(CRASH_LINE, self->r.err + len - line)
		TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "system down: exit system-down"));
}
#endif

/* An exit vmctl cannot handle: status 4 and the exit's data on stderr. */
TEST_F(vmctl, unhandled_exit_is_reported)
{
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/UNHANDLED.elf");
	EXPECT_EQ(4, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "exit vmctl cannot handle: exit internal-error"))
		TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "data "));
}

/* Ctrl-C (SIGINT) and SIGTERM stop a spinning guest: 128 + signal. */
TEST_F(vmctl, signals_stop_the_guest)
{
	static const char *const argv[] = {
		"run", "--kernel", "/guests/SPIN.elf", "--cpus", "2", NULL
	};

	run_vmctl(&self->r, SIGINT, 500, argv);
	EXPECT_EQ(128 + SIGINT, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
	run_vmctl(&self->r, SIGTERM, 500, argv);
	EXPECT_EQ(128 + SIGTERM, self->r.status);
}

/* --pin: the vCPU's thread runs on the CPU named, and only there. */
TEST_F(vmctl, pin_sets_the_vcpu_thread_affinity)
{
	static const char *const argv[] = {
		"run", "--kernel", "/guests/SPIN.elf", "--pin", "1", NULL
	};

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	run_vmctl(&self->r, SIGTERM, 100, argv);
	EXPECT_EQ(128 + SIGTERM, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(1, self->r.pinned_to_1);
}

/*
 * Ctrl-A x on a terminal stops a guest that never reads its UART, after
 * more keys than the UART's FIFO holds: status 130, as for Ctrl-C. The
 * terminal's settings, raw while vmctl ran, are as they were.
 */
TEST_F(vmctl, escape_while_the_guest_does_not_read)
{
	static const char *const argv[] = {
		"run", "--kernel", "/guests/SPIN.elf", NULL
	};
	struct termios before, after;
	char keys[100 + 2];	/* more than a FIFO of 16 or 32, then Ctrl-A x */
	int master, slave;
	pid_t pid;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0) {
		/* The test initramfs mounts no devpts, which /dev/ptmx needs. */
		mkdir("/dev/pts", 0755);
		mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666");
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	ASSERT_LE(0, master) TH_LOG("posix_openpt: %s", strerror(errno));
	ASSERT_EQ(0, grantpt(master));
	ASSERT_EQ(0, unlockpt(master));
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	ASSERT_LE(0, slave);
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	ASSERT_EQ(0, tcgetattr(slave, &before));

	stdin_fd = slave;
	pid = spawn_vmctl(argv);
	stdin_fd = -1;
	ASSERT_LT(0, pid);
	/* vmctl made the terminal raw before the guest could say hello. */
	wait_hello(&self->r);
	memset(keys, 'a', sizeof(keys) - 2);
	keys[sizeof(keys) - 2] = 0x01;	/* Ctrl-A */
	keys[sizeof(keys) - 1] = 'x';
	EXPECT_EQ((ssize_t)sizeof(keys), write(master, keys, sizeof(keys)));
	reap_vmctl(&self->r, pid);
	EXPECT_EQ(128 + SIGINT, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
	ASSERT_EQ(0, tcgetattr(slave, &after));
	EXPECT_EQ(before.c_iflag, after.c_iflag);
	EXPECT_EQ(before.c_oflag, after.c_oflag);
	EXPECT_EQ(before.c_cflag, after.c_cflag);
	EXPECT_EQ(before.c_lflag, after.c_lflag);
	EXPECT_EQ(0, memcmp(before.c_cc, after.c_cc, sizeof(before.c_cc)));
	close(slave);
	close(master);
}

#define CON_KEPT	"the log of the run before\n"

/* The console in a file, which a run that boots empties first. */
TEST_F(vmctl, console_to_file)
{
	int fd = open(CON_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(strlen(CON_KEPT), write(fd, CON_KEPT, strlen(CON_KEPT)));
	close(fd);
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf",
		  "--console", CON_FILE);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ("", self->r.out);
	axvm_slurp(CON_FILE, self->r.out, sizeof(self->r.out));
	EXPECT_STREQ(HELLO, self->r.out);
}

/* --trace: every exit that reaches vmctl, one line each. */
TEST_F(vmctl, trace_lists_exits)
{
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf",
		  "--trace");
	EXPECT_EQ(0, self->r.status);
#ifdef __x86_64__
	EXPECT_NE(NULL, strstr(self->r.err, "io out 0x3f8 size 1 data 0x61"));
#else
	EXPECT_NE(NULL, strstr(self->r.err, "mmio write"));
#endif
	EXPECT_GE(lines(self->r.err), (int)strlen(HELLO));
}

#ifdef __aarch64__
/*
 * --trace shows a system register exit decoded: the register by its
 * generic name (PMCR_EL0 is S3_3_C9_C12_0), the direction, the general
 * register and the value vmctl answered.
 */
TEST_F(vmctl, trace_decodes_sysregs)
{
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/UNHANDLED.elf",
		  "--trace");
	EXPECT_EQ(4, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err,
			       "sysreg S3_3_C9_C12_0 read r2 -> 0\n"))
		TH_LOG("stderr: %s", self->r.err);
}
#endif

#define STATS_FMT \
	"vmctl: stats: exits=%llu to-user=%llu share=%*u.%*u%% runs=%llu vcpus=%u"

/*
 * --stats: the module's counters and the exits that reached vmctl, which
 * --trace lists one by one; the PSCI or SBI power-off is a system-down
 * exit.
 */
TEST_F(vmctl, stats_count_exits)
{
	unsigned long long exits = 0, to_user = 0, runs = 0;
	unsigned int vcpus = 0;
	const char *sum;
	int traced, n;

	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf",
		  "--trace", "--stats");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	sum = strstr(self->r.err, "vmctl: stats: exits=");
	ASSERT_NE(NULL, sum) TH_LOG("stderr: %s", self->r.err);
	n = sscanf(sum, STATS_FMT, &exits, &to_user, &runs, &vcpus);
	ASSERT_EQ(4, n) TH_LOG("stderr: %s", self->r.err);
	traced = count_prefixed(self->r.err, "vmctl: vcpu ");
	EXPECT_EQ(1, vcpus);
	EXPECT_EQ(traced, to_user);
	EXPECT_GE(exits, to_user);
	EXPECT_EQ(to_user, runs);
	EXPECT_GE(to_user, strlen(HELLO));
#ifdef __x86_64__
	/* Power-off is a port write to the ACPI PM1a control register. */
	EXPECT_NE(NULL, strstr(self->r.err, "\nvmctl: stats: exit system-down=0\n"));
#else
	EXPECT_NE(NULL, strstr(self->r.err, "\nvmctl: stats: exit system-down=1\n"));
#endif
	EXPECT_EQ(AXVM_EXIT_REASONS,
		  count_prefixed(self->r.err, "vmctl: stats: exit "));
	/* Nothing of it without --stats. */
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf");
	EXPECT_EQ(NULL, strstr(self->r.err, "stats"));
}

#if !defined(__x86_64__)
/*
 * CPU 0 starts CPU 1 (PSCI CPU_ON, SBI HSM), pinned to host CPUs 1 and 0.
 * (x86 application processors start with INIT/SIPI from the local APIC.)
 */
TEST_F(vmctl, smp_cpu_up)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/SMP.elf", "--cpus",
		  "2", "--pin", "1,0");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO "axvm-guest: cpu 1 up\naxvm-guest: both cpus ran\n",
		     self->r.out);
}

/*
 * The same start-up with --ipi user: the VM has no in-kernel irqchip
 * (api.rst, AXVM_ENABLE_CAP: "the VM then has no in-kernel irqchip"),
 * and PSCI CPU_ON / SBI HSM hart_start do not need one: they remain
 * CPU-up exits that vmctl answers.
 */
TEST_F(vmctl, smp_cpu_up_user_ipi)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	if (user_ipi_cap() != 1)
		SKIP(return, "AXVM_CAP_USER_IPI is 0 here");
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/SMP.elf", "--cpus",
		  "2", "--pin", "1,0", "--ipi", "user");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO "axvm-guest: cpu 1 up\naxvm-guest: both cpus ran\n",
		     self->r.out);
}

#define IPI_OUT	HELLO "axvm-guest: cpu 1 got ipi\naxvm-guest: cpu 0 got ipi\n"
#ifdef __aarch64__
#define IPI_TRACE0 "vmctl: vcpu 0: ipi vector 3 target 0 aux 0x2 all 0 self 0\n"
#define IPI_TRACE1 "vmctl: vcpu 1: ipi vector 5 target 0 aux 0 all 1 self 0\n"
#else
#define IPI_TRACE0 "vmctl: vcpu 0: ipi vector 2 target 0x1 aux 0x1 all 0 self 0\n"
#define IPI_TRACE1 "vmctl: vcpu 1: ipi vector 2 target 0 aux 0x1 all 0 self 0\n"
#endif

/*
 * --ipi user: every IPI the guest sends is an AXVM_EXIT_IPI that vmctl
 * delivers with AXVM_INJECT_IRQ, two here. CPU 0 sends CPU 1 one, CPU 1
 * answers from its handler, and each handler checks what it took.
 * arm64: ICC_SGI1R_EL1 (GICv3 12.2.22) with IRM 0 targets "the PEs
 * specified by Aff3.Aff2.Aff1.<target list>" (SGI 3, TargetList bit 1:
 * CPU 1); with IRM 1 "all PEs in the system, excluding self" (SGI 5 from
 * CPU 1: CPU 0); ICC_IAR1_EL1 gives the INTID. riscv64: SBI sPI send_ipi
 * (SBI 2.0, 7.1) to hart_mask_base + each bit of hart_mask (mask 1 base
 * 1, then mask 1 base 0), a supervisor software interrupt (scause
 * interrupt | 1). --trace shows each exit's fields (api.rst,
 * AXVM_EXIT_IPI): the SGI's INTID, Aff3.Aff2.Aff1.RS*16 as target and
 * the TargetList; VSSIP (2), hart_mask_base and hart_mask.
 */
TEST_F(vmctl, ipis_through_vmctl)
{
	if (user_ipi_cap() != 1)
		SKIP(return, "AXVM_CAP_USER_IPI is 0 here");
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/IPI.elf", "--cpus",
		  "2", "--ipi", "user", "--stats", "--trace");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(IPI_OUT, self->r.out);
	EXPECT_NE(NULL, strstr(self->r.err, "\nvmctl: stats: exit ipi=2\n"))
		TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, IPI_TRACE0))
		TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, IPI_TRACE1))
		TH_LOG("stderr: %s", self->r.err);
}
#endif

#if defined(__riscv)
/*
 * Without --ipi the same guest's SBI send_ipi calls are the kernel's
 * (api.rst, riscv64 SBI: "IPI send_ipi (mask, base ...): VSSIP on each
 * target"), and none reaches vmctl.
 */
TEST_F(vmctl, ipis_in_kernel)
{
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/IPI.elf", "--cpus",
		  "2", "--stats");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(IPI_OUT, self->r.out);
	EXPECT_NE(NULL, strstr(self->r.err, "\nvmctl: stats: exit ipi=0\n"))
		TH_LOG("stderr: %s", self->r.err);
}
#endif

#ifdef __x86_64__
/*
 * x86 has no SMP guest here (its APs need INIT/SIPI from an APIC, which
 * --ipi user leaves out): a guest still boots and powers off without
 * the in-kernel irqchip, and a value that is neither kernel nor user is
 * an argument error.
 */
TEST_F(vmctl, user_ipi_option)
{
	if (user_ipi_cap() != 1)
		SKIP(return, "AXVM_CAP_USER_IPI is 0 here");
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf",
		  "--ipi", "user");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf",
		  "--ipi", "bogus");
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ("vmctl: --ipi 'bogus': not kernel or user\n",
		     self->r.err);
}

/*
 * An IPI to itself (SDM 10.6.1, ICR shorthand 01 "Self", fixed, vector
 * 0x40): the module's exit, vmctl's x86 decode and INJECT_IRQ of the
 * vector, which the guest takes through its IDT before it powers off.
 */
TEST_F(vmctl, ipi_to_self_through_vmctl)
{
	if (user_ipi_cap() != 1)
		SKIP(return, "AXVM_CAP_USER_IPI is 0 here");
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/IPI.elf", "--ipi",
		  "user", "--stats", "--trace");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO "axvm-guest: got ipi\n", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.err, "\nvmctl: stats: exit ipi=1\n"))
		TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err,
			       "vmctl: vcpu 0: ipi vector 64 target 0 aux 0x40040 all 0 self 1\n"))
		TH_LOG("stderr: %s", self->r.err);
}
#endif

/*
 * Where the module cannot leave IPIs to vmctl (an arm64 GICv2 host,
 * whose guests take interrupts only through the irqchip's CPU
 * interface), --ipi user is one error line before any guest runs.
 */
TEST_F(vmctl, user_ipi_refused_without_the_cap)
{
	if (user_ipi_cap() == 1)
		SKIP(return, "AXVM_CAP_USER_IPI is 1 here");
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf",
		  "--ipi", "user");
	EXPECT_EQ(1, self->r.status);
	EXPECT_EQ(1, lines(self->r.err)) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "vmctl: --ipi user: "));
	EXPECT_STREQ("", self->r.out);
}

#if defined(__riscv)
#define IN_FILE		"/tmp/vmctl.in"

/*
 * The SBI debug console (SBI 2.0, 12) on vmctl's console: probed
 * present, console_write and console_write_byte print, a buffer not in
 * RAM or above 2^64 is INVALID_PARAM, and console_read returns what
 * came in on the console's input (the guest polls it, echoing each
 * piece, until a newline). Before that the legacy console_getchar
 * (5.3), probed present, gives -1 until the first byte comes.
 */
TEST_F(vmctl, sbi_debug_console)
{
	int fd = open(IN_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ASSERT_LE(0, fd);
	ASSERT_EQ(6, write(fd, "gping\n", 6));
	close(fd);
	stdin_file = IN_FILE;
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/DBCN.elf");
	stdin_file = NULL;
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	/* "g" by the legacy getchar and putchar, "ping" by DBCN. */
	EXPECT_STREQ(HELLO "axvm-guest: dbcn write\ngping\n!\n",
		     self->r.out);
}
#endif

#define DISK_FILE	"/tmp/vmctl.disk"
#define DISK_TEXT	"axvm disk, sector zero"

static int make_disk(void)
{
	char sector[1024] = DISK_TEXT "\n";
	int fd = open(DISK_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok = fd >= 0 && write(fd, sector, sizeof(sector)) == sizeof(sector);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * A bare-metal virtio-blk driver (selftests/guests/vblk.c) reads sector 0
 * through vmctl's virtio-mmio device, with its interrupt status, then
 * writes sector 1: refused on a read-only disk, on the file otherwise.
 */
TEST_F(vmctl, virtio_blk_read_and_write)
{
	char back[64] = "";
	int fd;

	ASSERT_EQ(0, make_disk());
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/VBLK.elf", "--disk",
		  DISK_FILE ",ro", "--virtio-transport", "mmio");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ("axvm-guest: disk says: " DISK_TEXT "\n"
		     "axvm-guest: write refused\n", self->r.out);

	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/VBLK.elf", "--disk",
		  DISK_FILE, "--rng", "--virtio-transport", "mmio");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ("axvm-guest: disk says: " DISK_TEXT "\n"
		     "axvm-guest: write done\n", self->r.out);
	/* The guest wrote what it read into sector 1. */
	fd = open(DISK_FILE, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ((ssize_t)sizeof(back) - 1, pread(fd, back, sizeof(back) - 1, 512));
	close(fd);
	EXPECT_EQ(0, strncmp(back, DISK_TEXT "\n", strlen(DISK_TEXT) + 1));
}

#ifndef __x86_64__
/*
 * A position-independent image (ELF ET_DYN, a static PIE linked at 0):
 * loaded at the start of RAM with its R_*_RELATIVE relocations applied.
 * Its greeting is printed through an absolute pointer that only the
 * relocation makes right (the ELF ABI: RELATIVE is base + addend).
 */
TEST_F(vmctl, pie_image_is_placed_and_relocated)
{
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/PIE.elf");
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
}

#define INITRD_FILE	"/tmp/vmctl-initrd"

/*
 * --initrd with an image that is not Linux: the device tree names it
 * (/chosen linux,initrd-start and -end) and the guest reads it there.
 */
TEST_F(vmctl, initrd_for_any_image_with_a_device_tree)
{
	int fd;

	ASSERT_EQ(0, make_disk());
	fd = open(INITRD_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(13, write(fd, "hello initrd\nrest", 13));
	close(fd);
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/VBLK.elf", "--disk",
		  DISK_FILE ",ro", "--virtio-transport", "mmio", "--initrd",
		  INITRD_FILE);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ("axvm-guest: initrd says: hello initrd\n"
		     "axvm-guest: disk says: " DISK_TEXT "\n"
		     "axvm-guest: write refused\n", self->r.out);
	unlink(INITRD_FILE);
}
#endif

#ifdef __x86_64__
#define MB_MODULE	"/tmp/vmctl-module"

/*
 * A Multiboot kernel (a 32-bit ELF with the header of the Multiboot
 * Specification 0.6.96): EAX = 0x2BADB002 and EBX = the information
 * structure at entry (3.2), which names the loader, lower and upper
 * memory (in KiB), the command line, the module (--initrd, page-aligned
 * as the header's flag 0 asks, with its string) and the memory map (RAM
 * from 1 MiB to the end). The guest prints what it found.
 */
TEST_F(vmctl, multiboot_kernel_gets_its_information)
{
	int fd;

	fd = open(MB_MODULE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(12, write(fd, "module text\n", 12));
	close(fd);
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/MULTIBOOT.elf",
		  "--memory", "64M", "--append", "mb test", "--initrd",
		  MB_MODULE);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ("multiboot: loader vmctl\n"
		     "multiboot: mem_lower 640\n"
		     "multiboot: cmdline mb test\n"
		     "multiboot: module vmctl-module page-aligned: module text\n"
		     "multiboot: RAM from 1 MiB, 0x03f00000 bytes, mem_upper 0x03f00000\n",
		     self->r.out);
	unlink(MB_MODULE);
}
#endif

/* Bad arguments: status 1, one line, before any VM exists. */
TEST_F(vmctl, argument_errors)
{
	static const char *const bad[][8] = {
		{ "run", NULL },
		{ "run", "--kernel", "/nonexistent", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "--cpus", "0", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "--cpus", "65", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "--memory", "12Q", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "--pin", "0,x", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "--pin", "4096", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "--cpus", "2",
		  "--pin", "0", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "--bogus", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "--disk",
		  "/nonexistent", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "--entry", "0x1000",
		  NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "extra", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf",
		  "--virtio-transport", "usb", NULL },
		{ "run", "--kernel", "/guests/POWEROFF.elf", "--ipi", "bogus",
		  NULL },
#ifndef __x86_64__
		/* virtio-pci is x86's: these machines have no PCI host. */
		{ "run", "--kernel", "/guests/POWEROFF.elf",
		  "--virtio-transport", "pci", NULL },
#endif
		{ "frobnicate", NULL },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		run_vmctl(&self->r, 0, 0, bad[i]);
		EXPECT_EQ(1, self->r.status) TH_LOG("case %u: %s", i, self->r.err);
		EXPECT_EQ(1, lines(self->r.err)) TH_LOG("case %u: %s", i, self->r.err);
		EXPECT_EQ(0, strncmp(self->r.err, "vmctl: ", 7));
		EXPECT_STREQ("", self->r.out);
	}
}

/*
 * A device vmctl cannot open: one line, status 1, saying what to do.
 * open(2): ENOENT, no such file (the module is not loaded); EACCES, no
 * permission (not in the group udev gives the node to); ENODEV/ENXIO, a
 * node no driver answers (the module could not be loaded on open).
 */
TEST_F(vmctl, device_errors)
{
	const char *node = "/tmp/axvm-node", *nodrv = "/tmp/axvm-nodrv";
	bool made_etc;
	struct stat st;
	int fd;

	VMCTL_RUN(&self->r, "--device", "/nonexistent", "info");
	EXPECT_EQ(1, self->r.status);
	EXPECT_EQ(1, lines(self->r.err)) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "module is not loaded"))
		TH_LOG("%s", self->r.err);

	/* The node of /dev/axvm, 0600 root, opened by nobody. */
	ASSERT_EQ(0, stat(AXVM_DEV, &st));
	unlink(node);
	ASSERT_EQ(0, mknod(node, S_IFCHR | 0600, st.st_rdev));
	run_as = 65534;
	VMCTL_RUN(&self->r, "--device", node, "info");
	EXPECT_EQ(1, self->r.status);
	EXPECT_EQ(1, lines(self->r.err)) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "Permission denied"));
	if (!access("/etc/group", F_OK))
		goto out;	/* a real system's groups: leave them alone */
	EXPECT_NE(NULL, strstr(self->r.err, "no axvm group"))
		TH_LOG("%s", self->r.err);
	/* With the group there, joining it is the answer. */
	made_etc = !mkdir("/etc", 0755);
	fd = open("/etc/group", O_WRONLY | O_CREAT | O_EXCL, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(12, write(fd, "axvm:x:990:\n", 12));
	close(fd);
	VMCTL_RUN(&self->r, "--device", node, "info");
	EXPECT_NE(NULL, strstr(self->r.err, "join the axvm group"))
		TH_LOG("%s", self->r.err);
	unlink("/etc/group");
	if (made_etc)
		rmdir("/etc");
out:
	run_as = 0;
	unlink(node);

	/* Misc minor 253 is for local use (devices.txt); nothing has it. */
	unlink(nodrv);
	ASSERT_EQ(0, mknod(nodrv, S_IFCHR | 0600, makedev(10, 253)));
	VMCTL_RUN(&self->r, "--device", nodrv, "info");
	EXPECT_EQ(1, self->r.status);
	EXPECT_EQ(1, lines(self->r.err)) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "could not be loaded"))
		TH_LOG("%s", self->r.err);
	unlink(nodrv);
}

/* Images vmctl cannot place: one line, status 1. */
TEST_F(vmctl, image_errors)
{
	/* Not an ELF or a kernel, and no --load: what would it be? */
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.bin");
	EXPECT_EQ(1, self->r.status);
	EXPECT_EQ(1, lines(self->r.err)) TH_LOG("%s", self->r.err);
	/* Loaded where there is no RAM. */
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.bin", "--load",
		  "0xfffffffffff00000");
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "does not fit in guest RAM"));
	/* Too large for the RAM given. */
	VMCTL_RUN(&self->r, "run", "--kernel", "/vmctl", "--load", RAW_LOAD,
		  "--memory", "1M");
	EXPECT_EQ(1, self->r.status) TH_LOG("%s", self->r.err);
}

/*
 * --console FILE is emptied only when the guest is about to run: an
 * image that does not exist, that vmctl cannot start (refused before the
 * module is opened) or that does not fit in RAM (refused as it is
 * loaded, the file open) is one error line, and the file keeps what it
 * had.
 */
TEST_F(vmctl, console_file_kept_on_errors)
{
	static const char *const bad[][10] = {
		{ "run", "--console", CON_FILE, "--kernel", "/nonexistent",
		  NULL },
		{ "run", "--console", CON_FILE, "--kernel",
		  "/guests/POWEROFF.bin", NULL },
		{ "run", "--console", CON_FILE, "--kernel",
		  "/guests/POWEROFF.bin", "--load", "0xfffffffffff00000", NULL },
		{ "run", "--console", CON_FILE, "--kernel", "/vmctl", "--load",
		  RAW_LOAD, "--memory", "1M", NULL },
	};
	char con[128];
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		fd = open(CON_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(strlen(CON_KEPT), write(fd, CON_KEPT, strlen(CON_KEPT)));
		close(fd);
		run_vmctl(&self->r, 0, 0, bad[i]);
		EXPECT_EQ(1, self->r.status) TH_LOG("case %u: %s", i, self->r.err);
		EXPECT_EQ(1, lines(self->r.err)) TH_LOG("case %u: %s", i, self->r.err);
		EXPECT_EQ(0, strncmp(self->r.err, "vmctl: ", 7));
		axvm_slurp(CON_FILE, con, sizeof(con));
		EXPECT_STREQ(CON_KEPT, con) TH_LOG("case %u", i);
	}
	unlink(CON_FILE);
}

#ifdef __x86_64__
#define NOT_AN_IMAGE	"/guests/POWEROFF.bin: neither a bzImage nor an ELF; give --load for a raw binary\n"
#elif defined(__aarch64__)
#define NOT_AN_IMAGE	"/guests/POWEROFF.bin: neither an ELF nor an arm64 Image; give --load for a raw binary\n"
#else
#define NOT_AN_IMAGE	"/guests/POWEROFF.bin: neither an ELF nor a riscv64 Image; give --load for a raw binary\n"
#endif

/*
 * Where the module is not loaded, an image vmctl cannot start is still
 * named as such: images are read and recognised before the device is
 * opened, with --device before or after the command. A good image gets
 * as far as the device.
 */
TEST_F(vmctl, image_checked_before_the_device)
{
	VMCTL_RUN(&self->r, "--device", "/nonexistent/axvm", "run", "--kernel",
		  "/guests/POWEROFF.bin");
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ("vmctl: " NOT_AN_IMAGE, self->r.err);
	VMCTL_RUN(&self->r, "run", "--device", "/nonexistent/axvm", "--kernel",
		  "/guests/POWEROFF.bin");
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ("vmctl: " NOT_AN_IMAGE, self->r.err);
	VMCTL_RUN(&self->r, "--device", "/nonexistent/axvm", "run", "--kernel",
		  "/nonexistent.img");
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ("vmctl: --kernel '/nonexistent.img': No such file or directory\n",
		     self->r.err);
	VMCTL_RUN(&self->r, "--device", "/nonexistent/axvm", "run", "--kernel",
		  "/guests/POWEROFF.elf");
	EXPECT_EQ(1, self->r.status);
	EXPECT_EQ(1, lines(self->r.err)) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "vmctl: /nonexistent/axvm: "))
		TH_LOG("%s", self->r.err);
}

/*
 * --device before the command or after it; after "run" it is one of
 * run's options, and the last one given wins.
 */
TEST_F(vmctl, device_option_on_either_side)
{
	VMCTL_RUN(&self->r, "info", "--device", AXVM_DEV);
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "cap run: 1"));
	VMCTL_RUN(&self->r, "info", "--device", "/nonexistent");
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "module is not loaded"))
		TH_LOG("%s", self->r.err);
	VMCTL_RUN(&self->r, "--device", AXVM_DEV, "run", "--memory", "32M",
		  "--kernel", "/guests/POWEROFF.elf");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
	VMCTL_RUN(&self->r, "--device", "/nonexistent", "run", "--memory",
		  "32M", "--kernel", "/guests/POWEROFF.elf", "--device",
		  AXVM_DEV);
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ(HELLO, self->r.out);
	VMCTL_RUN(&self->r, "info", "--device");
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ("vmctl: option '--device' needs a value\n", self->r.err);
}

#define NOT_AXVM \
	"vmctl: /dev/null: not an axvm device (AXVM_GET_API_VERSION: Inappropriate ioctl for device)\n"

/* A node that opens but is not axvm's: one line with the ioctl's errno. */
TEST_F(vmctl, not_an_axvm_device)
{
	VMCTL_RUN(&self->r, "--device", "/dev/null", "info");
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ(NOT_AXVM, self->r.err);
	EXPECT_STREQ("", self->r.out);
	VMCTL_RUN(&self->r, "info", "--device", "/dev/null");
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ(NOT_AXVM, self->r.err);
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf",
		  "--device", "/dev/null");
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ(NOT_AXVM, self->r.err);
}

/* A command line of @len characters: "x=aaa...a". */
static char *long_line(size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memset(s, 'a', len);
		memcpy(s, "x=", 2);
		s[len] = '\0';
	}
	return s;
}

#ifndef __x86_64__
/*
 * A long --append: the device tree grows with its bootargs, here to
 * more than the 64 KiB it has without them (an argument can be 128 KiB,
 * MAX_ARG_STRLEN).
 */
TEST_F(vmctl, long_append_grows_the_device_tree)
{
	static const size_t lens[] = { 3000, 100000 };
	unsigned int i;
	char *line;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		line = long_line(lens[i]);
		ASSERT_NE(NULL, line);
		VMCTL_RUN(&self->r, "run", "--kernel", "/guests/POWEROFF.elf",
			  "--append", line);
		free(line);
		EXPECT_EQ(0, self->r.status)
			TH_LOG("%zu: %s", lens[i], self->r.err);
		EXPECT_STREQ(HELLO, self->r.out);
	}
}
#else
/*
 * x86 command lines have a hard limit, Linux's 2048 bytes: a longer one
 * is one line naming --append (a Multiboot kernel takes it; other ELF
 * images get no command line).
 */
TEST_F(vmctl, long_append_is_refused_in_one_line)
{
	char *line = long_line(3000);

	ASSERT_NE(NULL, line);
	VMCTL_RUN(&self->r, "run", "--kernel", "/guests/MULTIBOOT.elf",
		  "--append", line);
	free(line);
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ("vmctl: --append: command line too long (at most 2047 bytes on x86)\n",
		     self->r.err);
}
#endif

TEST_HARNESS_MAIN
