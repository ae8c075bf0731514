/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the /init programs share: the lane's (init/init.c) and those of
 * linux_boot_test's Linux guests (linux_guest/init.c, debian_init.c).
 */
#ifndef AXVM_INIT_UTIL_H
#define AXVM_INIT_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

/* A console line at once: the host reads it while /init still runs. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* The first line of @path without its newline; "" when unreadable. */
static inline void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* proc, sysfs and devtmpfs; a failure is said, tagged @tag, not fatal. */
static void mount_basics(const char *tag)
{
	static const char *const fs[][3] = {
		{ "proc", "/proc", "proc" },
		{ "sysfs", "/sys", "sysfs" },
		{ "devtmpfs", "/dev", "devtmpfs" },
		{ NULL },
	};
	unsigned int i;

	for (i = 0; fs[i][0]; i++) {
		mkdir(fs[i][1], 0755);
		if (mount(fs[i][0], fs[i][1], fs[i][2], 0, NULL) &&
		    errno != EBUSY)
			say("%s mount %s: %s\n", tag, fs[i][1],
			    strerror(errno));
	}
}

#endif
