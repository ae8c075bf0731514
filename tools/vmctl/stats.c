// SPDX-License-Identifier: GPL-2.0
/*
 * Exit names, and the --stats report printed when vmctl ends: what the
 * module counted in AXVM_GET_EXIT_STATS over every vCPU, against the
 * RUN returns vmctl itself saw, i.e. the exits that reached userspace.
 */
#include <inttypes.h>

#include "stats.h"

static const char *const exit_names[AXVM_EXIT_REASONS] = {
	[AXVM_EXIT_NONE] = "none",
	[AXVM_EXIT_MMIO] = "mmio",
	[AXVM_EXIT_IO] = "io",
	[AXVM_EXIT_SYSREG] = "sysreg",
	[AXVM_EXIT_HYPERCALL] = "hypercall",
	[AXVM_EXIT_HALT] = "halt",
	[AXVM_EXIT_CPU_UP] = "cpu-up",
	[AXVM_EXIT_CPU_DOWN] = "cpu-down",
	[AXVM_EXIT_SYSTEM_DOWN] = "system-down",
	[AXVM_EXIT_NESTED_PAGE_FAULT] = "nested-page-fault",
	[AXVM_EXIT_FAIL_ENTRY] = "fail-entry",
	[AXVM_EXIT_IPI] = "ipi",
	[AXVM_EXIT_INTR] = "intr",
	[AXVM_EXIT_INTERNAL_ERROR] = "internal-error",
	[AXVM_EXIT_EXTERNAL_INTERRUPT] = "external-interrupt",
	[AXVM_EXIT_STAGE2_FAULT] = "stage2-fault",
};

const char *exit_name(uint32_t reason)
{
	if (reason >= AXVM_EXIT_REASONS || !exit_names[reason])
		return "unknown";
	return exit_names[reason];
}

void vm_stats_add(struct vm_stats *s, const struct axvm_exit_stats *e)
{
	unsigned int i;

	for (i = 0; i < AXVM_EXIT_REASONS; i++)
		s->count[i] += e->count[i];
	s->runs += e->runs;
	s->vcpus++;
}

uint64_t vm_stats_total(const struct vm_stats *s)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < AXVM_EXIT_REASONS; i++)
		n += s->count[i];
	return n;
}

uint64_t vm_stats_share(uint64_t part, uint64_t whole)
{
	unsigned __int128 v;

	if (!whole)
		return 0;
	v = (unsigned __int128)part * 10000 + whole / 2;
	return (uint64_t)(v / whole);
}

void vm_stats_print(FILE *f, const struct vm_stats *s)
{
	uint64_t total = vm_stats_total(s);
	uint64_t share = vm_stats_share(s->to_user, total);
	unsigned int i;

	fprintf(f, "vmctl: stats: exits=%" PRIu64 " to-user=%" PRIu64
		" share=%" PRIu64 ".%02" PRIu64 "%% runs=%" PRIu64
		" vcpus=%u\n", total, s->to_user, share / 100, share % 100,
		s->runs, s->vcpus);
	for (i = 0; i < AXVM_EXIT_REASONS; i++)
		fprintf(f, "vmctl: stats: exit %s=%" PRIu64 "\n",
			exit_name(i), s->count[i]);
	if (s->unread)
		fprintf(f, "vmctl: stats: unread=%u\n", s->unread);
}
