// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the Linux guest that vmctl_test boots under vmctl on x86: it
 * reports how many CPUs came online and whether the I/O APIC and the
 * local APIC timers delivered interrupts, then powers the machine off
 * (ACPI S5). One line, for the host test to match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

/* The sum of the per-CPU counts on the /proc/interrupts line @tag. */
static unsigned long irq_total(const char *tag, int ioapic)
{
	char line[512], *p, *end;
	unsigned long sum = 0, v;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (ioapic ? !strstr(line, "IO-APIC") :
			     strncmp(line + strspn(line, " "), tag, strlen(tag)))
			continue;
		p = strchr(line, ':');
		if (!p)
			continue;
		for (p++;; p = end) {
			v = strtoul(p, &end, 10);
			if (end == p)
				break;
			sum += v;
		}
	}
	fclose(f);
	return sum;
}

int main(void)
{
	long cpus;

	mount("proc", "/proc", "proc", 0, NULL);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("axvm-linux-guest: cpus %ld ioapic-irqs %s apic-timer %s\n",
	       cpus, irq_total(NULL, 1) ? "yes" : "no",
	       irq_total("LOC:", 0) ? "yes" : "no");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
