// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl: the userspace controller of /dev/axvm. "vmctl info" reports what
 * the module offers; "vmctl run" boots a guest and emulates its devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/axvm.h>

#include "axvm_dev.h"
#include "options.h"
#include "vm.h"

static const char *arch_name(int arch)
{
	switch (arch) {
	case AXVM_ARCH_X86_VMX:
		return "x86-64 VMX";
	case AXVM_ARCH_X86_SVM:
		return "x86-64 SVM";
	case AXVM_ARCH_ARM64:
		return "arm64 VHE";
	case AXVM_ARCH_RISCV64:
		return "riscv64 H";
	default:
		return "unknown";
	}
}

static const struct {
	int cap;
	const char *name;
} caps[] = {
	{ AXVM_CAP_RUN, "run" },
	{ AXVM_CAP_MAX_VCPUS, "max-vcpus" },
	{ AXVM_CAP_MAX_VCPU_ID, "max-vcpu-id" },
	{ AXVM_CAP_NR_MEM_REGIONS, "mem-regions" },
	{ AXVM_CAP_READONLY_MEM, "readonly-mem" },
	{ AXVM_CAP_GUEST_PHYS_BITS, "guest-phys-bits" },
	{ AXVM_CAP_EXIT_STATS, "exit-stats" },
	{ AXVM_CAP_NR_IRQS, "irqs" },
	{ AXVM_CAP_IMMEDIATE_EXIT, "immediate-exit" },
};

static int cmd_info(const char *dev)
{
	int fd = axvm_dev_open(dev);
	size_t i;

	if (fd < 0)
		return 1;
	printf("api-version: %d\n", AXVM_API_VERSION);
	printf("arch: %s\n", arch_name(ioctl(fd, AXVM_CHECK_CAP, AXVM_CAP_ARCH)));
	printf("cpus: %ld online, %ld configured\n",
	       sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF));
	for (i = 0; i < ARRAY_SIZE(caps); i++)
		printf("cap %s: %d\n", caps[i].name,
		       ioctl(fd, AXVM_CHECK_CAP, caps[i].cap));
	close(fd);
	return 0;
}

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: vmctl [--device PATH] info\n"
		"       vmctl run [options] --kernel FILE\n"
		"\n"
		"commands:\n"
		"  info      print the module's API version, architecture,\n"
		"            CPUs and capabilities\n"
		"  run       boot a guest (vmctl run --help for its options)\n"
		"\n"
		"options:\n"
		"  --device PATH   the axvm device (default /dev/axvm)\n"
		"  --help          this text\n");
}

static int cmd_run(int argc, char **argv)
{
	struct vm_opts o;
	bool help;
	int ret;

	ret = vm_opts_parse(&o, argc, argv, &help);
	if (ret)
		return ret;
	if (help) {
		vm_opts_usage(stdout);
		return 0;
	}
	return vm_run(&o);
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/axvm";
	int i;

	setvbuf(stderr, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_help(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			dev = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "info") && i == argc - 1)
			return cmd_info(dev);
		if (!strcmp(argv[i], "run") && i == 1)
			return cmd_run(argc - i, argv + i);
		fprintf(stderr, "vmctl: unknown argument '%s' (see vmctl --help)\n",
			argv[i]);
		return VMCTL_ERROR;
	}
	print_help(stderr);
	return VMCTL_ERROR;
}
