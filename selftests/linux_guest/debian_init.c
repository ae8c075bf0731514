// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the Debian guest that linux_boot_test boots under vmctl:
 * Debian's own kernel, which builds its virtio transports, virtio-blk
 * and ext4 as modules. One static binary, two stages:
 *
 * Stage 1, /init of the initramfs: mount proc, sysfs and devtmpfs, load
 * the modules /modules/order names (dependencies first, as build-lane.sh
 * wrote them), wait for /dev/vda, mount it as ext4 and switch to it.
 *
 * Stage 2, /sbin/init on the disk: print one result line naming the
 * kernel, the root's device and file system, the transport the disk
 * came through and its MSI-X interrupts, and the seed baked into the
 * disk; append a line with the host's nonce to /written and power off.
 *
 * Every failure prints "DEBIAN_GUEST: FAIL <what> <errno text>" and
 * powers off.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../init/init_util.h"

#define DG_MARKER	"DEBIAN_GUEST_INITRAMFS"
#define DG_RESULT	"DEBIAN_GUEST:"
#define DISK		"/dev/vda"
#define NEWROOT		"/newroot"
#define STAGE2		"/sbin/init"
#define MODULES		"/modules"
#define NONCE_KEY	"debian_guest.nonce="

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static void power_off(void)
{
	tcdrain(STDOUT_FILENO);
	sync();
	reboot(RB_POWER_OFF);
	say(DG_RESULT " FAIL power-off %s\n", strerror(errno));
	for (;;)
		pause();
}

static void fail(const char *what)
{
	say(DG_RESULT " FAIL %s %s\n", what, strerror(errno));
	power_off();
}

static double uptime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* finit_module(2) has no glibc wrapper. */
static int load_module(const char *name)
{
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), MODULES "/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	if (ret && errno == EEXIST)	/* built in, or loaded already */
		ret = 0;
	close(fd);
	return ret;
}

static void load_modules(void)
{
	char name[256], what[300];
	FILE *f = fopen(MODULES "/order", "r");
	int n = 0;

	if (!f)
		fail("open " MODULES "/order");
	while (fgets(name, sizeof(name), f)) {
		name[strcspn(name, "\n")] = '\0';
		if (!name[0])
			continue;
		if (load_module(name)) {
			snprintf(what, sizeof(what), "load-module %s", name);
			fail(what);
		}
		say(DG_MARKER " module %s loaded\n", name);
		n++;
	}
	fclose(f);
	say(DG_MARKER " %d modules loaded at %.2fs\n", n, uptime());
}

/* Whether @path's first bytes hold @text: a sysfs attribute, small. */
static bool file_has(const char *path, const char *text)
{
	char buf[512];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, text);
}

/* Devices in sysfs directory @dir whose attribute @attr holds @text. */
static int count_devices(const char *dir, const char *attr, const char *text)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", dir, d->d_name, attr);
		n += file_has(path, text);
	}
	closedir(dp);
	return n;
}

/*
 * The disk shows once its transport's driver has probed it, which may
 * be after finit_module() returns. No cap here: the host's test bounds
 * the wait; a line every 10 s keeps its stall check from firing first.
 * Only where no transport offers a virtio device at all can no disk
 * ever come: PCI functions (vendor 0x1af4) and device tree platform
 * devices (virtio,mmio) are there before /init, probed or not, and
 * vmctl plugs nothing in later.
 */
static void wait_for_disk(void)
{
	struct stat st;
	double start = uptime(), next = start + 10;
	int pci, mmio;

	pci = count_devices("/sys/bus/pci/devices", "vendor", "0x1af4");
	mmio = count_devices("/sys/bus/platform/devices", "modalias",
			     "virtio,mmio");
	say(DG_MARKER " virtio transports: pci-functions=%d mmio-devices=%d\n",
	    pci, mmio);
	if (!pci && !mmio) {
		errno = ENODEV;
		fail("no-" DISK ":no-virtio-pci-or-virtio-mmio-device");
	}
	while (stat(DISK, &st)) {
		if (errno != ENOENT)
			fail("stat " DISK);
		if (uptime() >= next) {
			say(DG_MARKER " still no " DISK " after %.0fs\n",
			    uptime() - start);
			next += 10;
		}
		usleep(50000);
	}
	say(DG_MARKER " " DISK " after %.2fs\n", uptime() - start);
}

/* As switch_root does, without freeing the initramfs: it is small. */
static void stage1(void)
{
	static const char *const moved[] = { "/dev", "/proc", "/sys" };
	char target[64];
	struct utsname u;
	unsigned int i;

	mount_basics(DG_MARKER);
	uname(&u);
	say(DG_MARKER " kernel=%s pid=%d uptime=%.2f\n", u.release,
	    (int)getpid(), uptime());
	load_modules();
	wait_for_disk();

	mkdir(NEWROOT, 0755);
	if (mount(DISK, NEWROOT, "ext4", 0, NULL))
		fail("mount " DISK);
	for (i = 0; i < ARRAY_SIZE(moved); i++) {
		snprintf(target, sizeof(target), NEWROOT "%s", moved[i]);
		if (mount(moved[i], target, NULL, MS_MOVE, NULL))
			fail(target);
	}
	if (chdir(NEWROOT))
		fail("chdir " NEWROOT);
	if (mount(".", "/", NULL, MS_MOVE, NULL))
		fail("move-root");
	if (chroot("."))
		fail("chroot");
	if (chdir("/"))
		fail("chdir /");
	execl(STAGE2, STAGE2, (char *)NULL);
	fail("exec " STAGE2);
}

/*
 * The device and type of the mount on / as this process sees it: the
 * last "/" line of mountinfo is the top one (the initramfs's rootfs
 * lies under it, outside the chroot, and is not listed).
 */
static void root_mount(char *dev, size_t dev_size, char *fs, size_t fs_size)
{
	char line[1024], mnt[PATH_MAX], type[64], src[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	const char *sep;

	snprintf(dev, dev_size, "?");
	snprintf(fs, fs_size, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mount-point ... - type source ... */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    strcmp(mnt, "/"))
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s %4095s", type, src) != 2)
			continue;
		snprintf(dev, dev_size, "%s", src);
		snprintf(fs, fs_size, "%s", type);
	}
	fclose(f);
}

/* basename of the link @dir/@name points to; "" when there is none. */
static void link_name(const char *dir, const char *name, char *buf,
		      size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, target, sizeof(target) - 1);
	buf[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	n = strnlen(base, size - 1);
	memcpy(buf, base, n);
	buf[n] = '\0';
}

/*
 * The transport of vda: its device is a virtio device whose parent is
 * the transport's: a PCI function (virtio-pci), or a platform device
 * bound to virtio-mmio.
 */
static void disk_bus(char *bus, size_t size)
{
	char dev[PATH_MAX], parent[PATH_MAX], subsys[64], driver[64];

	snprintf(bus, size, "?");
	if (!realpath("/sys/block/vda/device", dev))
		return;
	say(DG_MARKER " vda device %s\n", dev);
	snprintf(parent, sizeof(parent), "%s", dev);
	*strrchr(parent, '/') = '\0';
	link_name(parent, "subsystem", subsys, sizeof(subsys));
	link_name(parent, "driver", driver, sizeof(driver));
	if (!strcmp(subsys, "pci"))
		snprintf(bus, size, "pci");
	else if (!strcmp(driver, "virtio-mmio"))
		snprintf(bus, size, "virtio-mmio");
	else
		snprintf(bus, size, "other:%.24s/%.24s", subsys[0] ? subsys : "-",
			 driver[0] ? driver : "-");
}

/*
 * Interrupt lines of virtio devices through MSI: virtio-pci asks for
 * MSI-X vectors only, and 6.1 names the chip "PCI-MSI" for MSI-X too
 * (later kernels "PCI-MSIX-<device>"). The lines are printed.
 */
static int msix_lines(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[1024];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "virtio"))
			continue;
		line[strcspn(line, "\n")] = '\0';
		say(DG_MARKER " irq %s\n", line);
		if (strstr(line, "MSI"))
			n++;
	}
	fclose(f);
	return n;
}

/* The host's nonce from the kernel command line; "none" without one. */
static void nonce(char *buf, size_t size)
{
	char line[2048];
	const char *p;

	snprintf(buf, size, "none");
	read_line("/proc/cmdline", line, sizeof(line));
	p = strstr(line, NONCE_KEY);
	if (p)
		snprintf(buf, size, "%.*s", (int)strcspn(p + strlen(NONCE_KEY),
							 " "),
			 p + strlen(NONCE_KEY));
}

static void stage2(void)
{
	char dev[PATH_MAX], fs[64], bus[64], seed[64], n[64];
	struct utsname u;
	int fd, len, msix;
	char line[256];

	uname(&u);
	root_mount(dev, sizeof(dev), fs, sizeof(fs));
	disk_bus(bus, sizeof(bus));
	msix = msix_lines();
	read_line("/seed", seed, sizeof(seed));
	if (!seed[0])
		fail("read /seed");
	nonce(n, sizeof(n));

	/* Through ext4 and virtio-blk to the host's image file. */
	len = snprintf(line, sizeof(line),
		       "DEBIAN_GUEST_WRITTEN nonce=%s seed=%s kernel=%s\n", n,
		       seed, u.release);
	fd = open("/written", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		fail("open /written");
	if (write(fd, line, len) != len)
		fail("write /written");
	if (fsync(fd))
		fail("fsync /written");
	close(fd);
	sync();

	say(DG_RESULT " kernel=%s root=%s fs=%s bus=%s msix=%d seed=%s\n",
	    u.release, dev, fs, bus, msix, seed);
	power_off();
}

int main(int argc, char **argv)
{
	if (argc > 0 && !strcmp(argv[0], STAGE2))
		stage2();
	else
		stage1();
	return 1;
}
