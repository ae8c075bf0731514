// SPDX-License-Identifier: GPL-2.0
/*
 * The lane's own kernel as a guest under vmctl (issue 8's acceptance
 * test): two vCPUs, 256M, the guest initramfs of selftests/linux_guest
 * and a virtio disk holding a pattern. The guest's /init prints a marker
 * from userspace, checks that CPUs 0-1 are online and the disk's
 * contents, writes a line back to the disk and powers off. Asserted:
 * vmctl's exit status 0 (power-off), the marker, the result line, no
 * panic, oops or warning on the guest's console, the line written back,
 * sane exit counts from --stats, and the module's reference count.
 *
 * Figures, on a "# linux_boot:" line the harness log keeps: the time
 * from starting vmctl to the marker, and of the module's exits during
 * the boot, how many reached userspace.
 *
 * A guest that stops printing (no timer interrupt without an irqchip,
 * for one) fails after axvm.linux_stall= seconds of silence, any guest
 * after axvm.linux_timeout= seconds (both on the lane's command line),
 * with the last lines of its console.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "axvm_util.h"
#include "kselftest_harness.h"
#include "linux_guest/disk.h"

#define VMCTL		"/vmctl"
#define GUEST_INITRD	"/linux/initramfs.cpio.gz"
#define DISK_FILE	"/tmp/linux_boot.disk"
#define ERR_FILE	"/tmp/linux_boot.err"

/*
 * The early console too, so that a guest stuck before its UART driver
 * probes still says where.
 */
#if defined(__aarch64__)
#define GUEST_KERNEL	"/linux/Image"
#define GUEST_CONSOLE	"console=ttyAMA0 earlycon=pl011,0x09000000"
#elif defined(__riscv)
#define GUEST_KERNEL	"/linux/Image"
#define GUEST_CONSOLE	"console=ttyS0 earlycon=sbi"
#else
#define GUEST_KERNEL	"/linux/bzImage"
#define GUEST_CONSOLE	"console=ttyS0 earlyprintk=serial,ttyS0,115200"
#endif

/* panic=-1: a panicking guest resets at once (status 2), no wait. */
#define GUEST_APPEND	GUEST_CONSOLE " panic=-1"

#define CONSOLE_MAX	(1 << 20)	/* bytes of guest console kept */
#define TAIL_LINES	60		/* printed when the test fails */
#define TEST_LIMIT	1800		/* the harness's own limit, seconds */

/*
 * Words of a kernel splat on the guest's console; "^" ones only at the
 * start of a line: WARN() and lockdep begin their report with
 * "WARNING:", and a message such as "RETBleed: WARNING: ..." about the
 * CPU model is none.
 */
static const char *const splats[] = {
	"Kernel panic", "Oops", "BUG:", "^WARNING:", "Unable to handle kernel",
	"general protection fault", "Call trace:", "Call Trace:",
	"kernel BUG at", "soft lockup", "hard LOCKUP", "rcu_sched detected stall",
	"rcu: INFO:",
};

static const char *find_splat(const char *console, const char *word)
{
	bool line_start = word[0] == '^';
	const char *p = console;

	word += line_start;
	while ((p = strstr(p, word))) {
		if (!line_start || p == console || p[-1] == '\n')
			return p;
		p++;
	}
	return NULL;
}

struct boot {
	int status;			/* vmctl's, or 128 + signal */
	bool timed_out;
	bool stalled;
	long first_ms;			/* vmctl start to console output, -1 */
	long marker_ms;			/* vmctl start to marker, -1 */
	long result_ms;			/* vmctl start to result line, -1 */
	long end_ms;			/* vmctl start to its end */
	char *console;			/* guest console, NUL ended */
	size_t len;
	char marker[128];		/* the marker line */
	char result[256];		/* the result line */
	char err[16384];		/* vmctl's standard error */
};

static long now_ms(void)
{
	return axvm_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

/*
 * The guest's command line: ours, then the lane's axvm.linux_append=
 * with commas for spaces (axvm.linux_append=quiet,loglevel=1).
 */
static void guest_append(char *buf, size_t size)
{
	char line[1024], extra[256] = "", *p;
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (fgets(line, sizeof(line), f)) {
			p = strstr(line, "axvm.linux_append=");
			if (p && sscanf(p + strlen("axvm.linux_append="),
					"%255s", extra) != 1)
				extra[0] = '\0';
		}
		fclose(f);
	}
	for (p = extra; *p; p++)
		if (*p == ',')
			*p = ' ';
	snprintf(buf, size, "%s%s%s", GUEST_APPEND, extra[0] ? " " : "",
		 extra);
}

/* A number from the lane's kernel command line, or @def. */
static long cmdline_value(const char *key, long def)
{
	char buf[1024], *p;
	FILE *f = fopen("/proc/cmdline", "r");
	long v = def;

	if (!f)
		return def;
	if (fgets(buf, sizeof(buf), f)) {
		p = strstr(buf, key);
		if (p)
			v = strtol(p + strlen(key), NULL, 10);
	}
	fclose(f);
	return v;
}

/*
 * The first whole line of @text starting with @prefix into @out; false
 * when none (a line still without its newline is not one yet).
 */
static bool find_line(const char *text, const char *prefix, char *out,
		      size_t size)
{
	const char *p = text;
	size_t n;

	while (p && *p) {
		if (!strncmp(p, prefix, strlen(prefix))) {
			n = strcspn(p, "\n");
			if (p[n] != '\n')
				return false;
			if (n >= size)
				n = size - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/*
 * Keep the guest's output in b->console without carriage returns, and
 * note when the marker and the result line first show.
 */
static void take_output(struct boot *b, const char *buf, size_t n, long t)
{
	size_t i;

	if (b->first_ms < 0)
		b->first_ms = t;
	for (i = 0; i < n && b->len < CONSOLE_MAX - 1; i++)
		if (buf[i] != '\r')
			b->console[b->len++] = buf[i];
	b->console[b->len] = '\0';
	if (b->marker_ms < 0 &&
	    find_line(b->console, LG_MARKER " ", b->marker, sizeof(b->marker)))
		b->marker_ms = t;
	if (b->result_ms < 0 &&
	    (find_line(b->console, LG_RESULT_OK " ", b->result,
		       sizeof(b->result)) ||
	     find_line(b->console, LG_RESULT_FAIL " ", b->result,
		       sizeof(b->result))))
		b->result_ms = t;
}

/*
 * Run vmctl on the guest and collect its console until it exits, the
 * console has been silent for @stall_s or @limit_s have passed; then it
 * gets SIGTERM (it still prints its stats), and SIGKILL 20 s later.
 */
static void boot_guest(struct boot *b, const char *append, long limit_s,
		       long stall_s, bool echo)
{
	const char *const argv[] = {
		VMCTL, "run", "--kernel", GUEST_KERNEL, "--initrd", GUEST_INITRD,
		"--cpus", "2", "--memory", "256M", "--disk", DISK_FILE,
		"--stats", "--append", append, NULL
	};
	long start, last, t, killed = -1;
	struct pollfd p;
	char buf[4096];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	b->status = -1;
	b->first_ms = -1;
	b->marker_ms = -1;
	b->result_ms = -1;
	if (pipe2(fds, O_CLOEXEC))
		return;
	start = now_ms();
	pid = fork();
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int err = open(ERR_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(in, 0);
		dup2(fds[1], 1);
		dup2(err, 2);
		execv(VMCTL, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return;
	}
	last = start;
	p.fd = fds[0];
	p.events = POLLIN;
	for (;;) {
		t = now_ms();
		if (killed < 0 && (t - start > limit_s * 1000 ||
				   t - last > stall_s * 1000)) {
			b->timed_out = true;
			b->stalled = t - last > stall_s * 1000;
			kill(pid, SIGTERM);
			killed = t;
		}
		if (killed >= 0 && t - killed > 20000) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, 500) < 0)
			continue;
		if (!p.revents)
			continue;
		n = read(fds[0], buf, sizeof(buf));
		if (n <= 0)
			break;		/* vmctl is gone */
		last = now_ms();
		take_output(b, buf, n, last - start);
		if (echo)	/* axvm.linux_echo=1: watch a slow boot live */
			fwrite(buf, 1, n, stderr);
	}
	close(fds[0]);
	if (waitpid(pid, &status, 0) == pid)
		b->status = WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
	b->end_ms = now_ms() - start;
	axvm_slurp(ERR_FILE, b->err, sizeof(b->err));
}

/* The guest console's last @lines lines, each as "# guest| ...". */
static void print_tail(const struct boot *b, int lines)
{
	const char *p = b->console + b->len;
	const char *end;
	int n = 0;

	while (p > b->console && n <= lines)
		if (*--p == '\n')
			n++;
	if (*p == '\n')
		p++;
	while (*p) {
		end = strchrnul(p, '\n');
		printf("# guest| %.*s\n", (int)(end - p), p);
		p = *end ? end + 1 : end;
	}
	fflush(stdout);
}

/* A value "key=N" of vmctl's stats summary line, or -1. */
static long long stat_value(const char *err, const char *key)
{
	char line[256];
	const char *p;

	if (!find_line(err, "vmctl: stats: exits=", line, sizeof(line)))
		return -1;
	p = strstr(line, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* The count of one exit reason in vmctl's stats, or -1. */
static long long exit_count(const char *err, const char *reason)
{
	char prefix[64], line[256];

	snprintf(prefix, sizeof(prefix), "vmctl: stats: exit %s=", reason);
	if (!find_line(err, prefix, line, sizeof(line)))
		return -1;
	return strtoll(line + strlen(prefix), NULL, 10);
}

static const char *lane_name(int sys)
{
	switch (axvm_cap(sys, AXVM_CAP_ARCH)) {
	case AXVM_ARCH_ARM64:
		return "arm64";
	case AXVM_ARCH_RISCV64:
		return "riscv64";
	case AXVM_ARCH_X86_SVM:
		return "x86-svm";
	case AXVM_ARCH_X86_VMX:
		return "x86-vmx";
	}
	return "unknown";
}

/* The disk for @seed, written where vmctl will find it. */
static int make_disk(uint32_t seed, uint32_t *sum)
{
	static uint8_t disk[LG_DISK_SIZE];
	int fd = open(DISK_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ret = 0;

	if (fd < 0)
		return -1;
	lg_make_disk(disk, seed, sum);
	if (write(fd, disk, sizeof(disk)) != sizeof(disk) || fsync(fd))
		ret = -1;
	close(fd);
	return ret;
}

FIXTURE(linux_boot) {
	struct boot b;
	long refcnt;
	const char *lane;
};

FIXTURE_SETUP(linux_boot)
{
	int sys = axvm_open();

	ASSERT_GE(sys, 0);
	if (axvm_cap(sys, AXVM_CAP_RUN) <= 0) {
		close(sys);
		SKIP(return, "no guest entry on this lane");
	}
	self->lane = lane_name(sys);
	close(sys);
	mkdir("/tmp", 0777);	/* the test initramfs has none */
	ASSERT_EQ(0, access(GUEST_KERNEL, R_OK)) TH_LOG("no " GUEST_KERNEL);
	ASSERT_EQ(0, access(GUEST_INITRD, R_OK)) TH_LOG("no " GUEST_INITRD);
	self->b.console = calloc(1, CONSOLE_MAX);
	ASSERT_NE(NULL, self->b.console);
	self->refcnt = axvm_module_refcnt();
}

FIXTURE_TEARDOWN(linux_boot)
{
	free(self->b.console);
	unlink(DISK_FILE);
	/* Whatever became of the guest, vmctl left no VM or vCPU behind. */
	EXPECT_EQ(self->refcnt, axvm_module_refcnt());
}

TEST_F_TIMEOUT(linux_boot, boots_two_cpus_reads_disk_powers_off, TEST_LIMIT)
{
	struct boot *b = &self->b;
	long test_timeout = cmdline_value("axvm.test_timeout=", 300);
	long limit = cmdline_value("axvm.linux_timeout=", 240);
	long stall = cmdline_value("axvm.linux_stall=", 60);
	char wrote[LG_SECTOR], want[LG_SECTOR], append[512];
	long long exits, to_user, vcpus, ext_irq;
	uint32_t seed = 0, sum;
	unsigned int i;
	bool splat = false;
	const char *p;
	int fd;

	/* Leave /init's per-binary limit time to report. */
	if (limit > test_timeout - 30)
		limit = test_timeout - 30;
	if (limit > TEST_LIMIT - 60)
		limit = TEST_LIMIT - 60;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed) || !seed)
		seed = (uint32_t)now_ms() | 1;
	ASSERT_EQ(0, make_disk(seed, &sum));

	guest_append(append, sizeof(append));
	if (strcmp(append, GUEST_APPEND))
		printf("# linux_boot: guest command line \"%s\"\n", append);
	boot_guest(b, append, limit, stall,
		   cmdline_value("axvm.linux_echo=", 0) == 1);

	ext_irq = exit_count(b->err, "external-interrupt");
	exits = stat_value(b->err, "exits=");
	to_user = stat_value(b->err, "to-user=");
	vcpus = stat_value(b->err, "vcpus=");
	/* One line, printed in three parts. */
	printf("# linux_boot: arch=%s status=%d marker_after_ms=%ld ",
	       self->lane, b->status, b->marker_ms);
	printf("first_output_ms=%ld result_after_ms=%ld end_ms=%ld ",
	       b->first_ms, b->result_ms, b->end_ms);
	printf("exits_total=%lld exits_to_user=%lld share=%.2f%% ", exits,
	       to_user, exits > 0 ? 100.0 * to_user / exits : 0.0);
	printf("ext_irq_exits=%lld\n", ext_irq);
	if (b->marker[0])
		printf("# linux_boot: %s\n", b->marker);
	if (b->result[0])
		printf("# linux_boot: %s\n", b->result);
	fflush(stdout);

	/*
	 * The words themselves only on "# guest| " lines: anywhere else in
	 * the lane's log parse.awk would take them for a host splat.
	 */
	for (i = 0; i < ARRAY_SIZE(splats); i++) {
		p = find_splat(b->console, splats[i]);
		if (!p)
			continue;
		while (p > b->console && p[-1] != '\n')
			p--;
		TH_LOG("a kernel splat on the guest's console, first at:");
		printf("# guest| %.*s\n", (int)strcspn(p, "\n"), p);
		splat = true;
	}
	if (b->timed_out || b->status || !b->result[0] || splat ||
	    strncmp(b->result, LG_RESULT_OK " ", strlen(LG_RESULT_OK) + 1)) {
		if (b->timed_out)
			TH_LOG("%s %ld s: vmctl stopped with SIGTERM",
			       b->stalled ? "no guest console output for" :
			       "the guest did not power off within",
			       b->stalled ? stall : limit);
		TH_LOG("vmctl status %d; its stderr:\n%s", b->status, b->err);
		TH_LOG("the guest console's last lines:");
		print_tail(b, TAIL_LINES);
	}

	EXPECT_FALSE(b->timed_out);
	EXPECT_EQ(0, b->status);
	EXPECT_LE(0, b->marker_ms) TH_LOG("no \"" LG_MARKER "\" line");
	EXPECT_STREQ(LG_RESULT_OK " cpus=0-1 disk=ok write=ok", b->result);
	EXPECT_FALSE(splat);

	/* What the guest wrote back, through virtio-blk to the file. */
	memset(want, 0, sizeof(want));
	snprintf(want, sizeof(want), LG_WROTE_FMT, seed, sum);
	memset(wrote, 0xff, sizeof(wrote));
	fd = open(DISK_FILE, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(sizeof(wrote), pread(fd, wrote, sizeof(wrote), LG_WRITE_OFF));
	close(fd);
	EXPECT_EQ(0, memcmp(want, wrote, sizeof(want)))
		TH_LOG("last sector: \"%.60s\"", wrote);

#ifdef __x86_64__
	/*
	 * The TSC's rate from axvm's kvmclock leaves: calibrating it against
	 * the PIT and the PM timer fails under axvm (each read an exit), and
	 * the guest then reads its clock through the PM timer's port.
	 */
	EXPECT_NE(NULL, strstr(b->console, "kvm-clock: Using msrs"));
	EXPECT_EQ(NULL, strstr(b->console, "calibration failed"));
	EXPECT_EQ(NULL, strstr(b->console, "Unable to calibrate"));
	EXPECT_EQ(NULL, strstr(b->console, "Marking TSC unstable due to could not"));
#endif

	/* --stats: both vCPUs counted, some exits absorbed, some not. */
	EXPECT_EQ(2, vcpus) TH_LOG("stderr:\n%s", b->err);
	EXPECT_LT(0, to_user);
	EXPECT_LT(to_user, exits);
}

TEST_HARNESS_MAIN
