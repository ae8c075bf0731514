// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl: the userspace controller of /dev/axvm. "vmctl info" reports what
 * the module offers; "vmctl run" boots a guest and emulates its devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/axvm.h>

#include "axvm_dev.h"
#include "options.h"
#include "vm.h"

/* dkms.conf's PACKAGE_VERSION, which the Makefile passes. */
#ifndef VMCTL_VERSION
#error "build vmctl with -DVMCTL_VERSION (the Makefile does)"
#endif

#define DEFAULT_DEVICE	"/dev/axvm"

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

/* Every AXVM_CAP_* of the uAPI, by number: info lists them all. */
static const char *const cap_names[] = {
	[AXVM_CAP_ARCH] = "arch",
	[AXVM_CAP_RUN] = "run",
	[AXVM_CAP_MAX_VCPUS] = "max-vcpus",
	[AXVM_CAP_MAX_VCPU_ID] = "max-vcpu-id",
	[AXVM_CAP_NR_MEM_REGIONS] = "mem-regions",
	[AXVM_CAP_READONLY_MEM] = "readonly-mem",
	[AXVM_CAP_GUEST_PHYS_BITS] = "guest-phys-bits",
	[AXVM_CAP_EXIT_STATS] = "exit-stats",
	[AXVM_CAP_NR_IRQS] = "irqs",
	[AXVM_CAP_IMMEDIATE_EXIT] = "immediate-exit",
	[AXVM_CAP_CPUID] = "cpuid",
	[AXVM_CAP_IRQCHIP] = "irqchip",
	[AXVM_CAP_HYPERCALL_FILTER] = "hypercall-filter",
	[AXVM_CAP_DIRTY_LOG] = "dirty-log",
	[AXVM_CAP_USER_FAULT] = "user-fault",
	[AXVM_CAP_VCPU_FLAGS] = "vcpu-flags",
	[AXVM_CAP_USER_IPI] = "user-ipi",
};

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: vmctl [--device PATH] info [--device PATH]\n"
		"       vmctl [--device PATH] run [options] --kernel FILE\n"
		"       vmctl version | --version | --help\n"
		"\n"
		"commands:\n"
		"  info      print the module's API version, architecture,\n"
		"            CPUs and capabilities\n"
		"  run       boot a guest (vmctl run --help for its options)\n"
		"  version   print vmctl's version\n"
		"\n"
		"options:\n"
		"  --device PATH   the axvm device (default " DEFAULT_DEVICE "),\n"
		"                  before or after the command\n"
		"  --version       vmctl's version\n"
		"  --help          this text\n");
}

static int print_version(void)
{
	printf("vmctl %s\n", VMCTL_VERSION);
	return 0;
}

/* One line for a command-line error, as "run" says them. */
static int arg_error(char **argv, int c)
{
	if (c == ':')
		fprintf(stderr, "vmctl: option '%s' needs a value\n",
			argv[optind - 1]);
	else
		fprintf(stderr, "vmctl: unknown option '%s' (see vmctl --help)\n",
			argv[optind - 1]);
	return VMCTL_ERROR;
}

static int extra_arg(const char *cmd, const char *arg)
{
	fprintf(stderr, "vmctl: %s '%s': unexpected argument\n", cmd, arg);
	return VMCTL_ERROR;
}

static const struct option info_options[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* "info" and its arguments (argv[0] is "info"). */
static int cmd_info(int argc, char **argv, const char *dev)
{
	size_t i;
	int fd, c;

	/* 0, not 1: glibc then forgets main()'s "+" (stop at the command). */
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", info_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'h':
			print_help(stdout);
			return 0;
		default:
			return arg_error(argv, c);
		}
	}
	if (optind < argc)
		return extra_arg("info", argv[optind]);
	fd = axvm_dev_open(dev);
	if (fd < 0)
		return VMCTL_ERROR;
	printf("api-version: %d\n", AXVM_API_VERSION);
	printf("arch: %s\n", arch_name(ioctl(fd, AXVM_CHECK_CAP, AXVM_CAP_ARCH)));
	printf("cpus: %ld online, %ld configured\n",
	       sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF));
	for (i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (cap_names[i])
			printf("cap %s: %d\n", cap_names[i],
			       ioctl(fd, AXVM_CHECK_CAP, i));
	close(fd);
	return 0;
}

static int cmd_run(int argc, char **argv, const char *dev)
{
	struct vm_opts o;
	bool help;
	int ret;

	ret = vm_opts_parse(&o, argc, argv, dev, &help);
	if (ret)
		return ret;
	if (help) {
		vm_opts_usage(stdout);
		return 0;
	}
	return vm_run(&o);
}

static const struct option main_options[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	const char *dev = DEFAULT_DEVICE;
	const char *cmd;
	int c;

	setvbuf(stderr, NULL, _IOLBF, 0);
	/* "+": options up to the command; the command parses the rest. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", main_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'V':
			return print_version();
		case 'h':
			print_help(stdout);
			return 0;
		default:
			return arg_error(argv, c);
		}
	}
	if (optind == argc) {
		print_help(stderr);
		return VMCTL_ERROR;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "info"))
		return cmd_info(argc, argv, dev);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc, argv, dev);
	if (!strcmp(cmd, "version"))
		return argc > 1 ? extra_arg("version", argv[1]) :
				  print_version();
	fprintf(stderr, "vmctl: unknown argument '%s' (see vmctl --help)\n",
		cmd);
	return VMCTL_ERROR;
}
