// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the Linux guest that linux_boot_test and the demo boot under
 * vmctl: print a marker from userspace, check that CPUs 0 and 1 are
 * online, read the virtio block device /dev/vda and check the pattern
 * the host wrote (disk.h), write a line back to its last sector, print
 * one result line and power off. Static, built per arch with the lane's
 * cross compiler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "disk.h"
#include "../init/init_util.h"

#define DISK		"/dev/vda"
#define CPUS_ONLINE	"/sys/devices/system/cpu/online"

/* CPUs in a list like "0-1,3"; -1 when it does not parse. */
static int count_cpus(const char *list)
{
	const char *p = list;
	unsigned long a, b;
	char *end;
	int n = 0;

	if (!*p)
		return -1;
	for (;;) {
		a = strtoul(p, &end, 10);
		if (end == p)
			return -1;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return -1;
		}
		n += b - a + 1;
		if (!*end)
			return n;
		if (*end != ',')
			return -1;
		p = end + 1;
	}
}

static int check_cpus(char *online, size_t size)
{
	int n;

	read_line(CPUS_ONLINE, online, size);
	n = count_cpus(online);
	say("AXVM-LINUX-CPUS online=%s count=%d sysconf=%ld\n",
	    online[0] ? online : "?", n, sysconf(_SC_NPROCESSORS_ONLN));
	return !strcmp(online, "0-1") && n == 2 ? 0 : -1;
}

/* The disk node can follow /init by a moment: wait up to 5 s. */
static int open_disk(int flags)
{
	int fd, i;

	for (i = 0; i < 50; i++) {
		fd = open(DISK, flags | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			return fd;
		usleep(100000);
	}
	return -1;
}

static int read_all(int fd, uint8_t *buf, size_t len, off_t off)
{
	ssize_t n;
	size_t done = 0;

	while (done < len) {
		n = pread(fd, buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

/*
 * Read the whole disk and check it against its header and the pattern;
 * *why says what failed. The header's seed and sum in *seed and *sum.
 */
static int check_disk(int fd, uint32_t *seed, uint32_t *sum,
		      const char **why)
{
	static uint8_t disk[LG_DISK_SIZE], want[LG_DATA_SIZE];
	unsigned int sectors, seed_hdr, sum_hdr;
	unsigned long long size = 0;
	uint32_t got;
	size_t i;

	if (ioctl(fd, BLKGETSIZE64, &size) || size != LG_DISK_SIZE) {
		say("AXVM-LINUX-DISK size %llu, want %u\n", size,
		    (unsigned int)LG_DISK_SIZE);
		*why = "size";
		return -1;
	}
	if (read_all(fd, disk, sizeof(disk), 0)) {
		say("AXVM-LINUX-DISK read: %s\n", strerror(errno));
		*why = "read-error";
		return -1;
	}
	disk[LG_SECTOR - 1] = '\0';
	if (sscanf((char *)disk, LG_HEADER_FMT, &seed_hdr, &sectors,
		   &sum_hdr) != 3 || sectors != LG_SECTORS) {
		say("AXVM-LINUX-DISK no header: \"%.60s\"\n", (char *)disk);
		*why = "header";
		return -1;
	}
	*seed = seed_hdr;
	*sum = sum_hdr;
	got = lg_sum(disk + LG_DATA_OFF, LG_DATA_SIZE);
	say("AXVM-LINUX-DISK seed=%08x sum=%08x read-sum=%08x\n", seed_hdr,
	    sum_hdr, got);
	if (got != sum_hdr) {
		lg_fill(want, sizeof(want), seed_hdr);
		for (i = 0; i < sizeof(want); i++)
			if (disk[LG_DATA_OFF + i] != want[i])
				break;
		say("AXVM-LINUX-DISK first difference at byte %zu (sector %zu)\n",
		    LG_DATA_OFF + i, (LG_DATA_OFF + i) / LG_SECTOR);
		*why = "checksum";
		return -1;
	}
	return 0;
}

/* The write-back line into the last sector, flushed to the host's file. */
static int write_back(uint32_t seed, uint32_t sum)
{
	static uint8_t sector[LG_SECTOR];
	int fd = open_disk(O_RDWR | O_SYNC);
	int ret = -1;

	if (fd < 0) {
		say("AXVM-LINUX-WRITE open: %s\n", strerror(errno));
		return -1;
	}
	memset(sector, 0, sizeof(sector));
	snprintf((char *)sector, sizeof(sector), LG_WROTE_FMT, seed, sum);
	if (pwrite(fd, sector, sizeof(sector), LG_WRITE_OFF) !=
	    sizeof(sector))
		say("AXVM-LINUX-WRITE pwrite: %s\n", strerror(errno));
	else if (fsync(fd))
		say("AXVM-LINUX-WRITE fsync: %s\n", strerror(errno));
	else
		ret = 0;
	close(fd);
	return ret;
}

int main(void)
{
	const char *disk_why = "ok", *write_why = "skipped";
	uint32_t seed = 0, sum = 0;
	char online[64], uptime[64];
	int cpus_ok, disk_ok = -1, write_ok = -1;
	int fd;

	mount_basics("AXVM-LINUX-INIT");
	read_line("/proc/uptime", uptime, sizeof(uptime));
	uptime[strcspn(uptime, " ")] = '\0';
	say(LG_MARKER " pid=%d uptime=%s\n", (int)getpid(), uptime);

	cpus_ok = check_cpus(online, sizeof(online));

	fd = open_disk(O_RDONLY);
	if (fd < 0) {
		say("AXVM-LINUX-DISK open " DISK ": %s\n", strerror(errno));
		disk_why = "no-" DISK;
	} else {
		disk_ok = check_disk(fd, &seed, &sum, &disk_why);
		close(fd);
	}
	if (!disk_ok) {
		write_ok = write_back(seed, sum);
		write_why = write_ok ? "error" : "ok";
	}

	if (!cpus_ok && !disk_ok && !write_ok)
		say(LG_RESULT_OK " cpus=%s disk=ok write=ok\n", online);
	else
		say(LG_RESULT_FAIL " cpus=%s%s disk=%s write=%s\n",
		    online[0] ? online : "?", cpus_ok ? "(want-0-1)" : "",
		    disk_why, write_why);

	tcdrain(STDOUT_FILENO);
	sync();
	reboot(RB_POWER_OFF);
	say("AXVM-LINUX-INIT power-off: %s\n", strerror(errno));
	for (;;)
		pause();
}
