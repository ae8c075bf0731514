/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit names and the --stats report: the module's exit counters summed
 * over the vCPUs, and how many of those exits came back to vmctl.
 */
#ifndef VMCTL_STATS_H
#define VMCTL_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <linux/axvm.h>

struct vm_stats {
	uint64_t count[AXVM_EXIT_REASONS];	/* the module's, all vCPUs */
	uint64_t runs;				/* RUN calls the module ran */
	uint64_t to_user;			/* RUN returns vmctl saw */
	unsigned int vcpus;			/* vCPUs summed */
	unsigned int unread;			/* vCPUs whose counters failed */
};

/* "mmio", "halt", ...; "unknown" past the last reason. */
const char *exit_name(uint32_t reason);

/* Add one vCPU's counters. */
void vm_stats_add(struct vm_stats *s, const struct axvm_exit_stats *e);

/* Every exit the module counted, absorbed ones included. */
uint64_t vm_stats_total(const struct vm_stats *s);

/*
 * The share of @part in @whole in hundredths of a percent, rounded to
 * nearest; 0 when @whole is 0.
 */
uint64_t vm_stats_share(uint64_t part, uint64_t whole);

/*
 * The report, one line each, every reason always and in uapi order:
 *   vmctl: stats: exits=N to-user=N share=P.PP% runs=N vcpus=N
 *   vmctl: stats: exit NAME=N
 * and "vmctl: stats: unread=N" when some vCPU's counters could not be
 * read (the totals then leave them out).
 */
void vm_stats_print(FILE *f, const struct vm_stats *s);

#endif /* VMCTL_STATS_H */
