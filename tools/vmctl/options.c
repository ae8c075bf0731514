// SPDX-License-Identifier: GPL-2.0
/*
 * "vmctl run" arguments. Everything that can be checked without the
 * module is checked here, so that a typo costs no VM: sizes, counts, CPU
 * numbers, that files exist and can be read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/axvm.h>

#include "options.h"

enum {
	OPT_LOAD = 0x100,
	OPT_ENTRY,
	OPT_DTB,
	OPT_CONSOLE,
	OPT_DISK,
	OPT_RNG,
	OPT_VCONSOLE,
	OPT_VTRANSPORT,
	OPT_TRACE,
	OPT_STATS,
	OPT_DEVICE,
	OPT_PTIMER,
	OPT_IPI,
};

static const struct option run_options[] = {
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "pin", required_argument, NULL, 'p' },
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "append", required_argument, NULL, 'a' },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "entry", required_argument, NULL, OPT_ENTRY },
	{ "dtb", required_argument, NULL, OPT_DTB },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "virtio-console", no_argument, NULL, OPT_VCONSOLE },
	{ "virtio-transport", required_argument, NULL, OPT_VTRANSPORT },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "passthrough-timer", no_argument, NULL, OPT_PTIMER },
	{ "ipi", required_argument, NULL, OPT_IPI },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void vm_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: vmctl run [options] --kernel FILE\n"
		"\n"
		"  -k, --kernel FILE     guest image: a Linux Image (arm64, riscv64),\n"
		"                        a bzImage (x86-64), an ELF, or with --load a\n"
		"                        raw binary\n"
		"      --load ADDR       raw binary: guest physical load address\n"
		"      --entry ADDR      raw binary: where to start (default --load)\n"
		"  -i, --initrd FILE     initial ramdisk\n"
		"  -a, --append LINE     kernel command line (x86: up to 2047\n"
		"                        bytes)\n"
		"  -m, --memory SIZE     guest RAM, K/M/G suffixes (default 256M)\n"
		"  -c, --cpus N          vCPUs (default 1, at most %d)\n"
		"  -p, --pin LIST        host CPU of each vCPU, e.g. 0,1; default:\n"
		"                        the module's default affinity\n"
		"      --dtb FILE        device tree to give the guest (arm64,\n"
		"                        riscv64) instead of the generated one\n"
		"      --console FILE    console output to FILE, no input (default:\n"
		"                        standard input and output); FILE is\n"
		"                        emptied only once the guest is to run\n"
		"      --disk FILE[,ro]  virtio block device on FILE, read-only with\n"
		"                        ,ro (up to %d)\n"
		"      --rng             virtio entropy device\n"
		"      --virtio-console  virtio console (hvc0) besides the UART\n"
		"      --virtio-transport pci|mmio\n"
		"                        how virtio devices appear: PCI functions\n"
		"                        (x86-64's default) or virtio-mmio (the\n"
		"                        default, and the only one, of arm64 and\n"
		"                        riscv64)\n"
		"      --passthrough-timer\n"
		"                        arm64: every vCPU owns the EL1 physical\n"
		"                        timer, its accesses do not trap\n"
		"      --ipi kernel|user where IPIs between vCPUs go: the module's\n"
		"                        irqchip or SBI (kernel, the default), or\n"
		"                        vmctl, without an in-kernel irqchip (user)\n"
		"      --trace           print every exit that reaches vmctl\n"
		"      --stats           at the end, the module's exit counts of\n"
		"                        all vCPUs by reason and the share that\n"
		"                        reached vmctl, on standard error\n"
		"      --device PATH     the axvm device (default /dev/axvm, or the\n"
		"                        --device before run)\n"
		"  -h, --help            this text\n"
		"\n"
		"exit status: 0 guest powered off, 1 vmctl error, 2 guest reset,\n"
		"3 guest crashed, 4 unhandled guest exit, 128+N stopped by signal N;\n"
		"a reset or a crash is also said on standard error\n",
		VMCTL_MAX_VCPUS, VMCTL_MAX_DISKS);
}

static int bad(const char *what, const char *arg, const char *why)
{
	fprintf(stderr, "vmctl: %s '%s': %s\n", what, arg, why);
	return VMCTL_ERROR;
}

/* A number with an optional K/M/G/T suffix, no overflow. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return -1;
	}
	if (shift && end[1])
		return -1;
	if (shift && v > (~0ULL >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_addr(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_pin(struct vm_opts *o, const char *arg, unsigned int *n)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	const char *p = arg;
	char *end;
	long v;

	*n = 0;
	for (;;) {
		if (*p < '0' || *p > '9')
			return bad("--pin", arg, "expected CPU numbers like 0,1");
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || v >= cpus)
			return bad("--pin", arg, "no such host CPU");
		if (*n == VMCTL_MAX_VCPUS)
			return bad("--pin", arg, "more CPUs than vCPUs allowed");
		o->pin[(*n)++] = v;
		if (!*end)
			return 0;
		if (*end != ',')
			return bad("--pin", arg, "expected CPU numbers like 0,1");
		p = end + 1;
	}
}

static int readable(const char *what, const char *path)
{
	if (access(path, R_OK))
		return bad(what, path, strerror(errno));
	return 0;
}

static int parse_disk(struct vm_opts *o, char *arg)
{
	char *comma = strrchr(arg, ',');
	struct vm_disk *d;

	if (o->ndisks == VMCTL_MAX_DISKS)
		return bad("--disk", arg, "too many disks");
	d = &o->disks[o->ndisks];
	d->readonly = false;
	if (comma && !strcmp(comma, ",ro")) {
		*comma = '\0';
		d->readonly = true;
	}
	if (!*arg)
		return bad("--disk", arg, "no file");
	if (access(arg, d->readonly ? R_OK : R_OK | W_OK))
		return bad("--disk", arg, strerror(errno));
	d->path = arg;
	o->ndisks++;
	return 0;
}

int vm_opts_parse(struct vm_opts *o, int argc, char **argv,
		  const char *device, bool *help)
{
	unsigned int npin = 0, i;
	uint64_t v;
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->device = device;
	o->mem_size = 256ULL << 20;
	o->ncpus = 1;
	o->load_addr = VMCTL_NO_ADDR;
	o->entry = VMCTL_NO_ADDR;
	for (i = 0; i < VMCTL_MAX_VCPUS; i++)
		o->pin[i] = -1;
	*help = false;
	/* 0, not 1: glibc then forgets main()'s "+" (stop at the command). */
	optind = 0;
	opterr = 0;

	while ((c = getopt_long(argc, argv, ":m:c:p:k:i:a:h", run_options,
				NULL)) != -1) {
		ret = 0;
		switch (c) {
		case 'm':
			if (parse_size(optarg, &o->mem_size) ||
			    o->mem_size < (1ULL << 20) ||
			    o->mem_size % 4096)
				return bad("--memory", optarg,
					   "expected a size of at least 1M, in pages (e.g. 256M)");
			break;
		case 'c':
			if (parse_size(optarg, &v) || !v ||
			    v > VMCTL_MAX_VCPUS)
				return bad("--cpus", optarg,
					   "expected 1 to 64");
			o->ncpus = v;
			break;
		case 'p':
			ret = parse_pin(o, optarg, &npin);
			break;
		case 'k':
			o->kernel = optarg;
			ret = readable("--kernel", optarg);
			break;
		case 'i':
			o->initrd = optarg;
			ret = readable("--initrd", optarg);
			break;
		case 'a':
			o->cmdline = optarg;
			break;
		case OPT_LOAD:
			if (parse_addr(optarg, &o->load_addr))
				return bad("--load", optarg, "expected an address");
			break;
		case OPT_ENTRY:
			if (parse_addr(optarg, &o->entry))
				return bad("--entry", optarg, "expected an address");
			break;
		case OPT_DTB:
			o->dtb = optarg;
			ret = readable("--dtb", optarg);
			break;
		case OPT_CONSOLE:
			o->console = optarg;
			break;
		case OPT_DISK:
			ret = parse_disk(o, optarg);
			break;
		case OPT_RNG:
			o->rng = true;
			break;
		case OPT_VCONSOLE:
			o->virtio_console = true;
			break;
		case OPT_VTRANSPORT:
			if (!strcmp(optarg, "pci"))
				o->virtio_transport = VIRTIO_TRANSPORT_PCI;
			else if (!strcmp(optarg, "mmio"))
				o->virtio_transport = VIRTIO_TRANSPORT_MMIO;
			else
				ret = bad("--virtio-transport", optarg,
					  "not pci or mmio");
			break;
		case OPT_TRACE:
			o->trace = true;
			break;
		case OPT_STATS:
			o->stats = true;
			break;
		case OPT_DEVICE:
			o->device = optarg;
			break;
		case OPT_PTIMER:
			o->vcpu_flags |= AXVM_VCPU_PASSTHROUGH_TIMER;
			break;
		case OPT_IPI:
			if (!strcmp(optarg, "user"))
				o->user_ipi = true;
			else if (!strcmp(optarg, "kernel"))
				o->user_ipi = false;
			else
				ret = bad("--ipi", optarg, "not kernel or user");
			break;
		case 'h':
			*help = true;
			return 0;
		case ':':
			fprintf(stderr, "vmctl: option '%s' needs a value\n",
				argv[optind - 1]);
			return VMCTL_ERROR;
		default:
			fprintf(stderr, "vmctl: unknown option '%s' (see vmctl run --help)\n",
				argv[optind - 1]);
			return VMCTL_ERROR;
		}
		if (ret)
			return ret;
	}
	if (optind < argc)
		return bad("run", argv[optind], "unexpected argument");
	if (!o->kernel) {
		fprintf(stderr, "vmctl: run needs --kernel (see vmctl run --help)\n");
		return VMCTL_ERROR;
	}
	if (npin && npin != o->ncpus) {
		fprintf(stderr, "vmctl: --pin names %u CPUs for %u vCPUs\n",
			npin, o->ncpus);
		return VMCTL_ERROR;
	}
	if (o->entry != VMCTL_NO_ADDR && o->load_addr == VMCTL_NO_ADDR) {
		fprintf(stderr, "vmctl: --entry is for raw images: give --load too\n");
		return VMCTL_ERROR;
	}
	if (o->entry == VMCTL_NO_ADDR)
		o->entry = o->load_addr;
	return 0;
}
