// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the test guests: load axvm.ko, run every binary in /selftests
 * (kselftest TAP on the console, framed by AXVM-BEGIN/AXVM-END lines the
 * host parses), unload the module, dump the kernel log and power off
 * (or reboot: axvm.end=reboot) with vCPUs running. Debug lanes
 * (axvm.debug=1) also check kmemleak after the suite and after rmmod.
 * Static, no libc beyond what glibc's static build gives.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../linux_guest/disk.h"
#include "init_util.h"

#define MODULE_PATH	"/axvm.ko"
#define DEMO_DISK	"/tmp/demo.disk"
#if defined(__aarch64__)
#define DEMO_KERNEL	"/linux/Image"
#define DEMO_APPEND	"console=ttyAMA0 panic=-1"
#elif defined(__riscv)
#define DEMO_KERNEL	"/linux/Image"
#define DEMO_APPEND	"console=ttyS0 panic=-1"
#else
#define DEMO_KERNEL	"/linux/bzImage"
#define DEMO_APPEND	"console=ttyS0 panic=-1"
#endif
#define TEST_DIR	"/selftests"
#define BENCH_DIR	"/bench"

static unsigned int test_timeout = 300;	/* seconds per test binary */
static int demo;			/* axvm.demo=1: run vmctl, no tests */
static int refuse;			/* axvm.refuse=1: the load must fail */
static char only[256];			/* axvm.only=A,B: run only these */
static char modparams[256];		/* axvm.modparams=a=1,b=2 for insmod */
static int debug_lane;			/* axvm.debug=1: a debug kernel */
static int end_reboot;			/* axvm.end=reboot: reboot, not power off */

/* axvm.NAME=VALUE from the kernel command line to the tests as ENV. */
static void pass_env(const char *cmdline, const char *name, const char *env)
{
	char key[64], val[64];
	const char *p;

	snprintf(key, sizeof(key), "axvm.%s=", name);
	p = strstr(cmdline, key);
	if (p && sscanf(p + strlen(key), "%63s", val) == 1)
		setenv(env, val, 1);
}

static void read_cmdline(void)
{
	char buf[1024], *p;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f)) {
		demo = !!strstr(buf, "axvm.demo=1");
		refuse = !!strstr(buf, "axvm.refuse=1");
		p = strstr(buf, "axvm.only=");
		if (p)
			sscanf(p + strlen("axvm.only="), "%255s", only);
		p = strstr(buf, "axvm.modparams=");
		/* finit_module() takes them separated by spaces. */
		if (p && sscanf(p + strlen("axvm.modparams="), "%255s",
				modparams) == 1)
			for (p = modparams; *p; p++)
				if (*p == ',')
					*p = ' ';
		p = strstr(buf, "axvm.test_timeout=");
		if (p)
			test_timeout = strtoul(p + strlen("axvm.test_timeout="),
					       NULL, 10);
		debug_lane = !!strstr(buf, "axvm.debug=1");
		end_reboot = !!strstr(buf, "axvm.end=reboot");
		if (debug_lane)
			setenv("AXVM_DEBUG_LANE", "1", 1);
		pass_env(buf, "fuzz_calls", "AXVM_FUZZ_CALLS");
		pass_env(buf, "fuzz_seed", "AXVM_FUZZ_SEED");
		pass_env(buf, "guest_fuzz_vms", "AXVM_GUEST_FUZZ_VMS");
		pass_env(buf, "guest_fuzz_vm_seed", "AXVM_GUEST_FUZZ_VM_SEED");
		pass_env(buf, "timeout_scale", "AXVM_TIMEOUT_SCALE");
		pass_env(buf, "hotplug_cycles", "AXVM_HOTPLUG_CYCLES");
		pass_env(buf, "module_reloads", "AXVM_MODULE_RELOADS");
		pass_env(buf, "debian_guest", "AXVM_DEBIAN_GUEST");
	}
	fclose(f);
}

static int insmod(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static int load_module(const char *params)
{
	return insmod(MODULE_PATH, params);
}

/*
 * A distribution kernel builds as modules what the test kernels build
 * in: build-lane.sh lists them in /modules/order (the msr driver the x86
 * tests read MSRs through, what KVM's modules need), loaded here first.
 */
static void load_boot_modules(void)
{
	char name[256], path[300];
	FILE *f = fopen("/modules/order", "r");
	int ret;

	if (!f)
		return;
	while (fscanf(f, "%255s", name) == 1) {
		snprintf(path, sizeof(path), "/modules/%s", name);
		ret = insmod(path, "");
		if (ret && ret != -EEXIST)
			say("AXVM-INIT cannot load %s: %s\n", path, strerror(-ret));
	}
	fclose(f);
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, "axvm", O_NONBLOCK) ? -errno : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run one test binary in its own process group, killed on timeout. */
static void run_test(const char *name)
{
	char path[512];
	double start = now();
	int status = 0;
	pid_t pid, w;

	snprintf(path, sizeof(path), "%s/%s", TEST_DIR, name);
	say("AXVM-BEGIN %s\n", name);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		setenv("AXVM_MODULE", MODULE_PATH, 1);
		execl(path, path, (char *)NULL);
		say("exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		say("AXVM-END %s fork-failed\n", name);
		return;
	}
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (now() - start > test_timeout) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			say("AXVM-END %s timeout %.1fs\n", name, now() - start);
			return;
		}
		usleep(20000);
	}
	if (WIFEXITED(status))
		say("AXVM-END %s exit=%d %.1fs\n", name, WEXITSTATUS(status),
		    now() - start);
	else
		say("AXVM-END %s signal=%d %.1fs\n", name, WTERMSIG(status),
		    now() - start);
}

static int run_wait(const char *const *argv)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The demo guest's disk: the pattern its /init checks. */
static int make_demo_disk(void)
{
	static uint8_t disk[LG_DISK_SIZE];
	uint32_t sum;
	int fd, ret = 0;

	mkdir("/tmp", 0777);
	fd = open(DEMO_DISK, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	lg_make_disk(disk, (uint32_t)time(NULL) | 1, &sum);
	if (write(fd, disk, sizeof(disk)) != sizeof(disk))
		ret = -1;
	close(fd);
	return ret;
}

/*
 * Run @argv with its output copied to ours as it comes; *@ok set when a
 * line of it starts with @want. Its exit status, or -1.
 */
static int run_tee(const char *const *argv, const char *want, int *ok)
{
	size_t wlen = strlen(want), col = 0;
	int fds[2], status = -1;
	char buf[512];
	ssize_t n, i;
	pid_t pid;

	*ok = 0;
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while (pid > 0 && (n = read(fds[0], buf, sizeof(buf))) > 0) {
		if (write(STDOUT_FILENO, buf, n) < 0)
			break;
		/* Match @want at the start of a line, across reads. */
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || buf[i] == '\r') {
				col = 0;
				continue;
			}
			if (col < wlen && buf[i] == want[col]) {
				if (++col == wlen)
					*ok = 1;
			} else {
				col = wlen + 1;	/* not this line */
			}
		}
	}
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * The demo: what vmctl sees of the module in this machine, then this
 * machine's own kernel as a two-vCPU guest (linux_boot_test's) whose
 * console is shown here; OK when the guest's /init printed its result
 * line and vmctl saw it power off.
 */
static void run_demo(void)
{
	static const char *const info[] = { "/vmctl", "info", NULL };
	static const char *const run[] = {
		"/vmctl", "run", "--kernel", DEMO_KERNEL,
		"--initrd", "/linux/initramfs.cpio.gz", "--cpus", "2",
		"--memory", "256M", "--disk", DEMO_DISK, "--stats",
		"--append", DEMO_APPEND, NULL
	};
	int a, b = -1, ok = 0, i;

	say("AXVM-DEMO vmctl info\n");
	a = run_wait(info);
	if (make_demo_disk()) {
		say("AXVM-DEMO-FAILED cannot write %s: %s\n", DEMO_DISK,
		    strerror(errno));
		return;
	}
	say("AXVM-DEMO");
	for (i = 0; run[i]; i++)
		say(strchr(run[i], ' ') ? " \"%s\"" : " %s", run[i]);
	say("\n");
	b = run_tee(run, LG_RESULT_OK " ", &ok);
	if (!a && !b && ok)
		say("AXVM-DEMO-OK\n");
	else
		say("AXVM-DEMO-FAILED info %d run %d guest result %s\n", a, b,
		    ok ? "ok" : "missing");
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Call @fn with the name of each program in @dir, in name order. */
static void run_each_program(const char *dir, void (*fn)(const char *name))
{
	struct dirent **list;
	int n, i;

	n = scandir(dir, &list, NULL, by_name);
	for (i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.')
			fn(list[i]->d_name);
		free(list[i]);
	}
	if (n > 0)
		free(list);
}

static void run_selected_test(const char *name)
{
	if (!only[0] || strstr(only, name))
		run_test(name);
}

/* Benchmarks print "bench:" lines; their status is no test result. */
static void run_bench(const char *name)
{
	char path[512];
	int status;
	pid_t pid;

	/* axvm.only= names tests, or a benchmark to run alone. */
	if (only[0] && !strstr(only, name))
		return;
	snprintf(path, sizeof(path), "%s/%s", BENCH_DIR, name);
	say("AXVM-BENCH %s\n", name);
	pid = fork();
	if (pid == 0) {
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

/* The whole kernel log, after the tests, so nothing interleaves. */
static void dump_kmsg(void)
{
	int size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *line, *next;
	int n;

	buf = size > 0 ? malloc(size + 1) : NULL;
	if (!buf) {
		say("AXVM-INIT kernel log size: %s\n", strerror(errno));
		return;
	}
	n = klogctl(3, buf, size);		/* SYSLOG_ACTION_READ_ALL */
	if (n < 0) {
		say("AXVM-INIT reading the kernel log: %s\n", strerror(errno));
		free(buf);
		return;
	}
	buf[n] = 0;
	say("AXVM-DMESG-BEGIN\n");
	for (line = buf; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = 0;
		/* Drop the "<level>" prefix. */
		if (line[0] == '<' && strchr(line, '>'))
			line = strchr(line, '>') + 1;
		say("dmesg: %s\n", line);
	}
	say("AXVM-DMESG-END\n");
	free(buf);
}

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

static int kmemleak_cmd(const char *cmd)
{
	int fd = open(KMEMLEAK, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, cmd, strlen(cmd)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * Debug lanes: kmemleak reports only objects older than its minimum age
 * (5 s), so the start waits until what boot allocated is that old, scans
 * and forgets what it found: boot's own leaks are not axvm's.
 */
static void kmemleak_start(void)
{
	struct timespec ts;

	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) &&
	    errno != EBUSY) {
		say("AXVM-INIT mount debugfs: %s\n", strerror(errno));
		return;
	}
	if (access(KMEMLEAK, W_OK))
		return;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	if (ts.tv_sec < 6)
		sleep(6 - ts.tv_sec);
	if (kmemleak_cmd("scan") || kmemleak_cmd("clear"))
		say("AXVM-INIT kmemleak: %s\n", strerror(errno));
}

/*
 * A scan at @phase: "AXVM-KMEMLEAK <phase> <objects>" and the report,
 * each line prefixed "kmemleak: ", for the host's check. Objects younger
 * than 5 s are not reported yet, hence the wait before the scan.
 */
static void kmemleak_check(const char *phase)
{
	char line[512];
	int n = 0, ret;
	FILE *f;

	if (access(KMEMLEAK, W_OK)) {
		say("AXVM-KMEMLEAK %s unavailable\n", phase);
		return;
	}
	sleep(6);
	ret = kmemleak_cmd("scan");
	f = ret ? NULL : fopen(KMEMLEAK, "r");
	if (!f) {
		say("AXVM-KMEMLEAK %s unavailable\n", phase);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "unreferenced object"))
			n++;
		say("kmemleak: %s", line);
	}
	fclose(f);
	say("AXVM-KMEMLEAK %s %d\n", phase, n);
	kmemleak_cmd("clear");
}

/*
 * The last act of a lane: axvm loaded again, vCPUs running on every CPU
 * (/reboot_spin), and the power-off or reboot that /init does next takes
 * virtualization back from under them. Everything the kernel prints on
 * the way down reaches the console, for the lane's health check.
 */
static void spin_vcpus_for_the_end(void)
{
	int ret = load_module(modparams), fds[2];
	char fd[16], c;
	pid_t pid;

	if (ret || pipe(fds)) {
		say("AXVM-SPIN failed: insmod %d\n", ret);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		snprintf(fd, sizeof(fd), "%d", fds[1]);
		execl("/reboot_spin", "/reboot_spin", fd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* Waits as long as the vCPUs take to start; EOF if it died. */
	ret = pid > 0 ? read(fds[0], &c, 1) : -1;
	close(fds[0]);
	say("AXVM-SPIN %s\n", ret == 1 ? "running" : "failed");
	klogctl(8, NULL, 8);	/* SYSLOG_ACTION_CONSOLE_LEVEL: all */
}

/*
 * The kernel's request_module() runs /proc/sys/kernel/modprobe as
 * "modprobe -q -- NAME". module_test points it at /init while it opens a
 * node of axvm's number with the module unloaded: this stand-in appends
 * NAME to MODPROBE_LOG and loads axvm.ko, whatever NAME is. That
 * NAME leads to axvm through depmod is checked on the host
 * (dkms-check.sh).
 */
#define MODPROBE_LOG	"/tmp/axvm-modprobe.log"

static int modprobe_stand_in(int argc, char **argv)
{
	FILE *f = fopen(MODPROBE_LOG, "a");

	if (f) {
		fprintf(f, "%s\n", argv[argc - 1]);
		fclose(f);
	}
	return load_module("") ? 1 : 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (getpid() != 1 && argc >= 3 && !strcmp(argv[1], "-q"))
		return modprobe_stand_in(argc, argv);
	mount_basics("AXVM-INIT");
	setenv("PATH", "/", 1);
	read_cmdline();

	say("AXVM-INIT start, %ld CPUs online\n", sysconf(_SC_NPROCESSORS_ONLN));
	if (debug_lane)
		kmemleak_start();
	load_boot_modules();
	ret = load_module(modparams);
	if (refuse) {
		/* A machine without usable virtualization: report, stop. */
		say("AXVM-REFUSE %d %s\n", ret, ret ? strerror(-ret) : "ok");
		if (!ret)
			unload_module();
		dump_kmsg();
		say("AXVM-DONE\n");
		tcdrain(STDOUT_FILENO);
		sync();
		reboot(RB_POWER_OFF);
	}
	say("AXVM-INSMOD %d %s\n", ret, ret ? strerror(-ret) : "ok");

	if (!ret && demo) {
		run_demo();
		ret = unload_module();
		say("AXVM-RMMOD %d %s\n", ret, ret ? strerror(-ret) : "ok");
	} else if (!ret) {
		run_each_program(TEST_DIR, run_selected_test);
		run_each_program(BENCH_DIR, run_bench);
		if (debug_lane)
			kmemleak_check("suite");
		ret = unload_module();
		say("AXVM-RMMOD %d %s\n", ret, ret ? strerror(-ret) : "ok");
		if (!ret && debug_lane)
			kmemleak_check("rmmod");
		if (!ret)
			spin_vcpus_for_the_end();
	}

	if (!demo)
		dump_kmsg();
	say("AXVM-DONE\n");
	/*
	 * tcdrain() returns once the UART has sent everything. No sleep:
	 * one second of the lane's time is two minutes of Bochs's.
	 */
	tcdrain(STDOUT_FILENO);
	sync();
	reboot(end_reboot ? RB_AUTOBOOT : RB_POWER_OFF);
	for (;;)
		pause();
}
