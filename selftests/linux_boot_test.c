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
 *
 * debian_guest (issue 17, item 5) boots Debian 12's own kernel instead,
 * as a distribution ships it, on arm64 and x86-64. The rule it checks:
 * Debian's kernel finds its disk only through a transport vmctl offers
 * in a way that kernel can discover by itself: virtio over PCI (virtio
 * 1.x, 4.1: a PCI function with the virtio vendor capabilities, found by
 * enumerating the bus) or virtio-mmio (4.2: registers at an address the
 * platform names, here the device tree). It builds virtio_mmio without
 * VIRTIO_MMIO_CMDLINE_DEVICES, so devices named only on the command line
 * stay invisible to it. Its initramfs (selftests/linux_guest/debian_init.c)
 * loads Debian's own modules for both transports, virtio-blk and ext4,
 * mounts /dev/vda and runs /sbin/init from it, which prints one line:
 * kernel, root device and type, the disk's transport (virtio-mmio on
 * arm64, pci with MSI-X on x86), and the seed build-lane.sh baked into
 * the disk; it appends a line with a nonce of this run to a file on the
 * disk, found afterwards in the image file. Asserted besides: power-off
 * (status 0) and no splat on the guest's console. Figures on a
 * "# debian_guest:" line.
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
#include "axvm_harness.h"
#include "linux_guest/disk.h"

#define VMCTL		"/vmctl"
#define GUEST_INITRD	"/linux/initramfs.cpio.gz"
#define DISK_FILE	"/tmp/linux_boot.disk"
#define ERR_FILE	"/tmp/linux_boot.err"

/* What build-lane.sh packs for debian_guest, and the lines it prints. */
#define DEBIAN_INITRD	"/debian/initramfs.cpio.gz"
#define DEBIAN_IMAGE	"/debian/root.img"
#define DEBIAN_KVER	"/debian/kver"
#define DEBIAN_SEED	"/debian/seed"
#define DEBIAN_DISK	"/tmp/debian_root.img"
#define DG_MARKER	"DEBIAN_GUEST_INITRAMFS"
#define DG_RESULT	"DEBIAN_GUEST:"
#define DG_FAIL		"DEBIAN_GUEST: FAIL"

/*
 * The early console too, so that a guest stuck before its UART driver
 * probes still says where.
 */
#if defined(__aarch64__)
#define GUEST_KERNEL	"/linux/Image"
#define GUEST_CONSOLE	"console=ttyAMA0 earlycon=pl011,0x09000000"
#define DEBIAN_KERNEL	"/debian/Image"
#define DEBIAN_BUS	"virtio-mmio"
#elif defined(__riscv)
#define GUEST_KERNEL	"/linux/Image"
#define GUEST_CONSOLE	"console=ttyS0 earlycon=sbi"
#else
#define GUEST_KERNEL	"/linux/bzImage"
#define GUEST_CONSOLE	"console=ttyS0 earlyprintk=serial,ttyS0,115200"
#define DEBIAN_KERNEL	"/debian/vmlinuz"
#define DEBIAN_BUS	"pci"
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

/*
 * Whether @p starts its line of @console, or follows only a printk time
 * stamp ("[    1.234567] "): Debian's kernel has CONFIG_PRINTK_TIME.
 */
static bool line_start(const char *console, const char *p)
{
	const char *q = p;

	if (q == console || q[-1] == '\n')
		return true;
	if (q - console < 3 || q[-1] != ' ' || q[-2] != ']')
		return false;
	for (q -= 3; q > console && q[-1] != '\n'; q--)
		if (!strchr(" .0123456789", *q))
			return false;
	return *q == '[';
}

static const char *find_splat(const char *console, const char *word)
{
	bool at_start = word[0] == '^';
	const char *p = console;

	word += at_start;
	while ((p = strstr(p, word))) {
		if (!at_start || line_start(console, p))
			return p;
		p++;
	}
	return NULL;
}

/*
 * The vmctl line of one guest, and the console lines that tell where it
 * got: a marker from its first userspace, a result line ok or failed.
 */
struct guest {
	const char *kernel;
	const char *initrd;
	const char *disk;
	const char *memory;
	const char *marker;
	const char *result_ok;
	const char *result_fail;
};

static const struct guest lane_guest = {
	.kernel = GUEST_KERNEL,
	.initrd = GUEST_INITRD,
	.disk = DISK_FILE,
	.memory = "256M",
	.marker = LG_MARKER " ",
	.result_ok = LG_RESULT_OK " ",
	.result_fail = LG_RESULT_FAIL " ",
};

struct boot {
	const struct guest *g;
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

/* /init's limit covers the whole binary: both guests' boots. */
static long binary_start_ms;

static void __attribute__((constructor)) note_start(void)
{
	binary_start_ms = now_ms();
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
	    find_line(b->console, b->g->marker, b->marker, sizeof(b->marker)))
		b->marker_ms = t;
	if (b->result_ms < 0 &&
	    (find_line(b->console, b->g->result_ok, b->result,
		       sizeof(b->result)) ||
	     find_line(b->console, b->g->result_fail, b->result,
		       sizeof(b->result))))
		b->result_ms = t;
}

/*
 * Run vmctl on the guest and collect its console until it exits, the
 * console has been silent for @stall_s or @limit_s have passed; then it
 * gets SIGTERM (it still prints its stats), and SIGKILL 20 s later.
 */
static void boot_guest(struct boot *b, const struct guest *g,
		       const char *append, long limit_s, long stall_s, bool echo)
{
	const char *const argv[] = {
		VMCTL, "run", "--kernel", g->kernel, "--initrd", g->initrd,
		"--cpus", "2", "--memory", g->memory, "--disk", g->disk,
		"--stats", "--append", append, NULL
	};
	long start, last, t, killed = -1;
	struct pollfd p;
	char buf[4096];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	b->g = g;
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

/*
 * Seconds a guest may run: axvm.linux_timeout=, within what is left of
 * /init's limit for this binary (axvm.test_timeout=, less 30 s for the
 * report) and of the harness's for the test.
 */
static long guest_limit(void)
{
	long test_timeout = cmdline_value("axvm.test_timeout=", 300);
	/* Scaled on the debug lanes: a KASAN host took 224 s to initramfs. */
	long limit = cmdline_value("axvm.linux_timeout=", 240) * axvm_timeout_scale();
	long left = test_timeout - 30 - (now_ms() - binary_start_ms) / 1000;

	if (limit > left)
		limit = left;
	if (limit > TEST_LIMIT - 60)
		limit = TEST_LIMIT - 60;
	return limit;
}

/*
 * Splats on the guest's console, each said with its line. The words
 * themselves only on "# guest| " lines: anywhere else in the lane's log
 * parse.awk would take them for a host splat.
 */
static bool guest_splat(struct __test_metadata *_metadata,
			const struct boot *b)
{
	bool splat = false;
	const char *p;
	unsigned int i;

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
	return splat;
}

/* Why vmctl was stopped, its status and stderr, the console's tail. */
static void report_failure(struct __test_metadata *_metadata,
			   const struct boot *b, long limit, long stall)
{
	if (b->timed_out)
		TH_LOG("%s %ld s: vmctl stopped with SIGTERM",
		       b->stalled ? "no guest console output for" :
		       "the guest did not power off within",
		       b->stalled ? stall : limit);
	TH_LOG("vmctl status %d; its stderr:\n%s", b->status, b->err);
	TH_LOG("the guest console's last lines:");
	print_tail(b, TAIL_LINES);
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

/*
 * The guest crashed (vmctl's 3) or ended on an exit it cannot take (4)
 * because the CPU broke the architecture under it: not a result.
 */
static bool cpu_broke_guest(const struct boot *b, int kmsg)
{
	return axvm_kmsg_says(kmsg, AXVM_CPU_DEFECT) &&
	       (b->status == 3 || b->status == 4);
}

FIXTURE(linux_boot) {
	struct boot b;
	long refcnt;
	const char *lane;
};

/*
 * The lane's name, or NULL where it runs no guests; -1 in *@err when
 * /dev/axvm cannot be opened. Also makes /tmp (the test initramfs has
 * none) for the guests' disks.
 */
static const char *guest_lane(int *err)
{
	int sys = axvm_open();
	const char *lane = NULL;

	*err = sys < 0 ? -1 : 0;
	if (sys < 0)
		return NULL;
	if (axvm_cap(sys, AXVM_CAP_RUN) > 0)
		lane = lane_name(sys);
	close(sys);
	mkdir("/tmp", 0777);
	return lane;
}

FIXTURE_SETUP(linux_boot)
{
	int err;

	self->lane = guest_lane(&err);
	ASSERT_EQ(0, err);
	if (!self->lane)
		SKIP(return, "no guest entry on this lane");
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
	long limit = guest_limit();
	long stall = cmdline_value("axvm.linux_stall=", 60) * axvm_timeout_scale();
	char wrote[LG_SECTOR], want[LG_SECTOR], append[512];
	long long exits, to_user, vcpus, ext_irq;
	uint32_t seed = 0, sum;
	bool splat;
	int fd, kmsg;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed) || !seed)
		seed = (uint32_t)now_ms() | 1;
	ASSERT_EQ(0, make_disk(seed, &sum));

	guest_append(append, sizeof(append));
	if (strcmp(append, GUEST_APPEND))
		printf("# linux_boot: guest command line \"%s\"\n", append);
	kmsg = axvm_kmsg_from_now();
	boot_guest(b, &lane_guest, append, limit, stall,
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
	if (cpu_broke_guest(b, kmsg))
		SKIP(return, "the CPU broke the architecture under the guest (%s)",
		     AXVM_CPU_DEFECT);

	splat = guest_splat(_metadata, b);
	if (b->timed_out || b->status || !b->result[0] || splat ||
	    strncmp(b->result, LG_RESULT_OK " ", strlen(LG_RESULT_OK) + 1))
		report_failure(_metadata, b, limit, stall);

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
	 * The disk is a virtio-pci function (1af4:1042, virtio 4.1.2) the
	 * guest found on the host bridge of the DSDT, its config space
	 * through the MCFG's ECAM, which Linux takes only where E820
	 * reserves it (PCI Firmware 3.x, 4.1.2).
	 */
	EXPECT_NE(NULL, strstr(b->console, "ACPI: PCI Root Bridge [PCI0]"));
	EXPECT_NE(NULL, strstr(b->console,
			       "MMCONFIG at [mem 0xe0000000-0xe00fffff] reserved in E820"));
	EXPECT_NE(NULL, strstr(b->console, "pci 0000:00:01.0: [1af4:1042]"));
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

#ifdef DEBIAN_KERNEL
/* The image build-lane.sh made, copied: the lane's rootfs is RAM. */
static int copy_file(const char *from, const char *to)
{
	static char buf[1 << 16];
	int in = open(from, O_RDONLY), out;
	int ret = -1;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		goto out_in;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			goto out_out;
	if (!n && !fsync(out))
		ret = 0;
out_out:
	close(out);
out_in:
	close(in);
	return ret;
}

/* Whether @file holds @text anywhere. */
static bool file_holds(const char *file, const char *text)
{
	struct stat st;
	bool found = false;
	char *buf;
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		return false;
	if (!fstat(fd, &st) && st.st_size > 0) {
		buf = malloc(st.st_size);
		if (buf && read(fd, buf, st.st_size) == st.st_size)
			found = memmem(buf, st.st_size, text, strlen(text));
		free(buf);
	}
	close(fd);
	return found;
}

/* The value of " key=" in @line into @out, up to a space; "" if none. */
static void line_field(const char *line, const char *key, char *out,
		       size_t size)
{
	char k[32];
	const char *p;
	size_t n;

	snprintf(k, sizeof(k), " %s=", key);
	out[0] = '\0';
	p = strstr(line, k);
	if (!p)
		return;
	p += strlen(k);
	n = strcspn(p, " ");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static const struct guest debian_guest = {
	.kernel = DEBIAN_KERNEL,
	.initrd = DEBIAN_INITRD,
	.disk = DEBIAN_DISK,
	.memory = "512M",
	.marker = DG_MARKER " kernel=",
	.result_ok = DG_RESULT " kernel=",
	.result_fail = DG_FAIL " ",
};

FIXTURE(debian_guest) {
	struct boot b;
	long refcnt;
	const char *lane;
	char kver[128];
	char seed[64];
};

FIXTURE_SETUP(debian_guest)
{
	int err;

	self->lane = guest_lane(&err);
	ASSERT_EQ(0, err);
	if (!self->lane)
		SKIP(return, "no guest entry on this lane");
	/*
	 * Bochs (x86-vmx) runs it for about six minutes; the lane's own
	 * Linux guest above covers VMX, and the x86 SVM lanes this guest.
	 */
	if (getenv("AXVM_DEBIAN_GUEST") && !strcmp(getenv("AXVM_DEBIAN_GUEST"), "0"))
		SKIP(return, "the lane leaves the Debian guest out (axvm.debian_guest=0)");
	ASSERT_EQ(0, access(DEBIAN_KERNEL, R_OK))
		TH_LOG("no " DEBIAN_KERNEL ": build-lane.sh could not fetch Debian's kernel");
	ASSERT_EQ(0, access(DEBIAN_INITRD, R_OK)) TH_LOG("no " DEBIAN_INITRD);
	axvm_slurp(DEBIAN_KVER, self->kver, sizeof(self->kver));
	self->kver[strcspn(self->kver, "\n")] = '\0';
	axvm_slurp(DEBIAN_SEED, self->seed, sizeof(self->seed));
	self->seed[strcspn(self->seed, "\n")] = '\0';
	ASSERT_NE(0, self->kver[0]) TH_LOG("no " DEBIAN_KVER);
	ASSERT_NE(0, self->seed[0]) TH_LOG("no " DEBIAN_SEED);
	ASSERT_EQ(0, copy_file(DEBIAN_IMAGE, DEBIAN_DISK))
		TH_LOG(DEBIAN_IMAGE " to " DEBIAN_DISK ": %s", strerror(errno));
	self->b.console = calloc(1, CONSOLE_MAX);
	ASSERT_NE(NULL, self->b.console);
	self->refcnt = axvm_module_refcnt();
}

FIXTURE_TEARDOWN(debian_guest)
{
	free(self->b.console);
	unlink(DEBIAN_DISK);
	EXPECT_EQ(self->refcnt, axvm_module_refcnt());
}

TEST_F_TIMEOUT(debian_guest, boots_debian_kernel_mounts_virtio_root,
	       TEST_LIMIT)
{
	struct boot *b = &self->b;
	long limit = guest_limit();
	long stall = cmdline_value("axvm.linux_stall=", 60) * axvm_timeout_scale();
	char append[512], written[256], field[128];
	long long exits, to_user, ext_irq;
	uint32_t nonce = 0;
	long msix = -1;
	bool splat;
	int kmsg;

	/* A SKIP in the setup still runs the body (6.1's harness). */
	if (!b->console)
		return;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint32_t)now_ms();
	guest_append(append, sizeof(append));
	snprintf(append + strlen(append), sizeof(append) - strlen(append),
		 " debian_guest.nonce=%08x", nonce);
	kmsg = axvm_kmsg_from_now();
	boot_guest(b, &debian_guest, append, limit, stall,
		   cmdline_value("axvm.linux_echo=", 0) == 1);

	ext_irq = exit_count(b->err, "external-interrupt");
	exits = stat_value(b->err, "exits=");
	to_user = stat_value(b->err, "to-user=");
	printf("# debian_guest: arch=%s kernel=%s status=%d ", self->lane,
	       self->kver, b->status);
	printf("initramfs_after_ms=%ld first_output_ms=%ld ", b->marker_ms,
	       b->first_ms);
	printf("result_after_ms=%ld end_ms=%ld ", b->result_ms, b->end_ms);
	printf("exits_total=%lld exits_to_user=%lld ext_irq_exits=%lld\n",
	       exits, to_user, ext_irq);
	if (b->result[0])
		printf("# debian_guest: %s\n", b->result);
	fflush(stdout);
	if (cpu_broke_guest(b, kmsg))
		SKIP(return, "the CPU broke the architecture under the guest (%s)",
		     AXVM_CPU_DEFECT);

	splat = guest_splat(_metadata, b);
	if (b->timed_out || b->status || splat || !b->result[0] ||
	    !strncmp(b->result, DG_FAIL, strlen(DG_FAIL))) {
		if (strstr(b->console, DG_MARKER " still no /dev/vda") ||
		    strstr(b->console, DG_FAIL " no-/dev/vda"))
			TH_LOG("Debian's kernel found no /dev/vda: %s",
			       "no transport it can discover offered the disk");
		report_failure(_metadata, b, limit, stall);
	}

	EXPECT_FALSE(b->timed_out);
	EXPECT_EQ(0, b->status);
	EXPECT_LE(0, b->marker_ms) TH_LOG("no \"" DG_MARKER "\" line");
	EXPECT_FALSE(splat);
	ASSERT_NE(0, b->result[0]) TH_LOG("no \"" DG_RESULT "\" line");
	ASSERT_NE(0, strncmp(b->result, DG_FAIL, strlen(DG_FAIL)));

	line_field(b->result, "kernel", field, sizeof(field));
	EXPECT_STREQ(self->kver, field);
	line_field(b->result, "root", field, sizeof(field));
	EXPECT_STREQ("/dev/vda", field);
	line_field(b->result, "fs", field, sizeof(field));
	EXPECT_STREQ("ext4", field);
	line_field(b->result, "bus", field, sizeof(field));
	EXPECT_STREQ(DEBIAN_BUS, field);
	line_field(b->result, "msix", field, sizeof(field));
	if (field[0])
		msix = strtol(field, NULL, 10);
#ifdef __x86_64__
	EXPECT_LT(0, msix);		/* virtio-pci's vectors */
#else
	EXPECT_EQ(0, msix);		/* virtio-mmio: GIC lines */
#endif
	line_field(b->result, "seed", field, sizeof(field));
	EXPECT_STREQ(self->seed, field);

	/* The line /sbin/init appended, through ext4 and virtio-blk. */
	snprintf(written, sizeof(written),
		 "DEBIAN_GUEST_WRITTEN nonce=%08x seed=%s kernel=%s\n", nonce,
		 self->seed, self->kver);
	EXPECT_TRUE(file_holds(DEBIAN_DISK, written))
		TH_LOG("no \"%.*s\" in " DEBIAN_DISK, (int)strlen(written) - 1,
		       written);
}
#endif

TEST_HARNESS_MAIN
