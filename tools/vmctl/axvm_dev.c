// SPDX-License-Identifier: GPL-2.0
/*
 * Opening /dev/axvm, and telling a user who cannot what to do about it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/axvm.h>

#include "axvm_dev.h"

/*
 * Whether the group exists. fgetgrent() reads /etc/group itself, where
 * getgrnam() would need NSS's shared libraries in this static binary.
 */
static bool group_exists(const char *name)
{
	FILE *f = fopen("/etc/group", "r");
	struct group *g;
	bool found = false;

	if (!f)
		return false;
	while (!found && (g = fgetgrent(f)))
		found = !strcmp(g->gr_name, name);
	fclose(f);
	return found;
}

/* Kernel lockdown (Secure Boot) refuses modules not signed by a known key. */
static bool locked_down(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/security/lockdown", "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strstr(buf, "[integrity]") || strstr(buf, "[confidentiality]");
}

static const char *open_hint(int err)
{
	const char *sb = locked_down() ?
		"; kernel locked down (Secure Boot): enroll the DKMS key, see README" :
		"";
	static char hint[256];

	switch (err) {
	case ENOENT:
		snprintf(hint, sizeof(hint),
			 ": the axvm module is not loaded (sudo modprobe axvm)%s",
			 sb);
		return hint;
	case ENODEV:
	case ENXIO:
		/* The static node is there but its open could not load axvm. */
		snprintf(hint, sizeof(hint),
			 ": the axvm module could not be loaded (see dmesg)%s",
			 sb);
		return hint;
	case EACCES:
	case EPERM:
		if (group_exists("axvm"))
			return ": join the axvm group (usermod -aG axvm $USER, log in again)";
		return ": no axvm group: 'sudo make install' adds it and its udev rule";
	default:
		return "";
	}
}

int axvm_dev_open(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	int version;

	if (fd < 0) {
		int err = errno;

		fprintf(stderr, "vmctl: %s: %s%s\n", dev, strerror(err),
			open_hint(err));
		return -1;
	}
	version = ioctl(fd, AXVM_GET_API_VERSION, 0);
	/* Any node opens: one that refuses axvm's first ioctl is not ours. */
	if (version < 0) {
		fprintf(stderr,
			"vmctl: %s: not an axvm device (AXVM_GET_API_VERSION: %s)\n",
			dev, strerror(errno));
		close(fd);
		return -1;
	}
	if (version != AXVM_API_VERSION) {
		fprintf(stderr,
			"vmctl: %s: API version %d, vmctl speaks %d: use vmctl and axvm.ko of one release\n",
			dev, version, AXVM_API_VERSION);
		close(fd);
		return -1;
	}
	return fd;
}
