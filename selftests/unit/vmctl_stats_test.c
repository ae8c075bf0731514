// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of vmctl's --stats report: counters summed over vCPUs,
 * the share of exits that reached userspace and its rounding, every
 * reason named once, and the exact lines the report is made of.
 * Links: tools/vmctl/stats.c
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#include "kselftest_harness.h"

/* The report of @s as a string the caller frees. */
static char *report(const struct vm_stats *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	vm_stats_print(f, s);
	fclose(f);
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

TEST(names_are_unique_and_known)
{
	unsigned int i, j;

	for (i = 0; i < AXVM_EXIT_REASONS; i++) {
		ASSERT_STRNE("unknown", exit_name(i)) TH_LOG("reason %u", i);
		/* key=value parsers split on '=' and spaces. */
		EXPECT_EQ(NULL, strpbrk(exit_name(i), "= \t"));
		for (j = 0; j < i; j++)
			EXPECT_STRNE(exit_name(i), exit_name(j));
	}
	EXPECT_STREQ("mmio", exit_name(AXVM_EXIT_MMIO));
	EXPECT_STREQ("stage2-fault", exit_name(AXVM_EXIT_STAGE2_FAULT));
	EXPECT_STREQ("unknown", exit_name(AXVM_EXIT_REASONS));
	EXPECT_STREQ("unknown", exit_name(~0U));
}

TEST(share_rounds_to_nearest_hundredth)
{
	EXPECT_EQ(0, vm_stats_share(0, 0));
	EXPECT_EQ(0, vm_stats_share(5, 0));
	EXPECT_EQ(10000, vm_stats_share(7, 7));
	EXPECT_EQ(5000, vm_stats_share(1, 2));
	EXPECT_EQ(3333, vm_stats_share(1, 3));
	EXPECT_EQ(6667, vm_stats_share(2, 3));
	EXPECT_EQ(1, vm_stats_share(1, 10000));
	EXPECT_EQ(1, vm_stats_share(1, 15000));	/* 0.0067% */
	EXPECT_EQ(0, vm_stats_share(1, 20001));	/* 0.0049% */
	/* No overflow with counters far beyond any boot. */
	EXPECT_EQ(5000, vm_stats_share(1ULL << 62, 1ULL << 63));
}

TEST(sums_over_vcpus)
{
	struct axvm_exit_stats a, b;
	struct vm_stats s;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&s, 0, sizeof(s));
	a.count[AXVM_EXIT_MMIO] = 10;
	a.count[AXVM_EXIT_STAGE2_FAULT] = 90;
	a.runs = 11;
	b.count[AXVM_EXIT_MMIO] = 5;
	b.count[AXVM_EXIT_HALT] = 3;
	b.count[AXVM_EXIT_EXTERNAL_INTERRUPT] = 2;
	b.runs = 8;
	vm_stats_add(&s, &a);
	vm_stats_add(&s, &b);
	EXPECT_EQ(2, s.vcpus);
	EXPECT_EQ(15, s.count[AXVM_EXIT_MMIO]);
	EXPECT_EQ(3, s.count[AXVM_EXIT_HALT]);
	EXPECT_EQ(90, s.count[AXVM_EXIT_STAGE2_FAULT]);
	EXPECT_EQ(2, s.count[AXVM_EXIT_EXTERNAL_INTERRUPT]);
	EXPECT_EQ(19, s.runs);
	EXPECT_EQ(110, vm_stats_total(&s));
}

TEST(report_lines)
{
	static const char head[] =
		"vmctl: stats: exits=1000 to-user=250 share=25.00% runs=251 vcpus=2\n";
	struct vm_stats s;
	char *r, *line;
	unsigned long long v;
	unsigned int i;
	char name[64];
	int n;

	memset(&s, 0, sizeof(s));
	s.count[AXVM_EXIT_MMIO] = 200;
	s.count[AXVM_EXIT_HALT] = 50;
	s.count[AXVM_EXIT_STAGE2_FAULT] = 700;
	s.count[AXVM_EXIT_EXTERNAL_INTERRUPT] = 50;
	s.to_user = 250;
	s.runs = 251;
	s.vcpus = 2;
	r = report(&s);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(0, strncmp(r, head, strlen(head))) TH_LOG("%s", r);
	EXPECT_EQ(1 + AXVM_EXIT_REASONS, count_lines(r));
	EXPECT_NE(NULL, strstr(r, "\nvmctl: stats: exit mmio=200\n"));
	EXPECT_NE(NULL, strstr(r, "\nvmctl: stats: exit halt=50\n"));
	EXPECT_NE(NULL, strstr(r, "\nvmctl: stats: exit stage2-fault=700\n"));
	EXPECT_NE(NULL, strstr(r, "\nvmctl: stats: exit io=0\n"));
	EXPECT_EQ(NULL, strstr(r, "unread"));

	/* Every reason once, in uapi order, each parseable as NAME=N. */
	line = strchr(r, '\n') + 1;
	for (i = 0; i < AXVM_EXIT_REASONS; i++) {
		n = sscanf(line, "vmctl: stats: exit %63[^=]=%llu", name, &v);
		ASSERT_EQ(2, n) TH_LOG("line: %s", line);
		EXPECT_STREQ(exit_name(i), name);
		EXPECT_EQ(s.count[i], v);
		line = strchr(line, '\n') + 1;
	}
	EXPECT_EQ('\0', *line);
	free(r);
}

TEST(report_of_nothing_and_unread_vcpus)
{
	static const char head[] =
		"vmctl: stats: exits=0 to-user=0 share=0.00% runs=0 vcpus=0\n";
	struct vm_stats s;
	char *r;

	memset(&s, 0, sizeof(s));
	s.unread = 1;
	r = report(&s);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(0, strncmp(r, head, strlen(head))) TH_LOG("%s", r);
	EXPECT_NE(NULL, strstr(r, "\nvmctl: stats: unread=1\n"));
	EXPECT_EQ(2 + AXVM_EXIT_REASONS, count_lines(r));
	free(r);
}

TEST(share_two_decimals)
{
	struct vm_stats s;
	char *r;

	memset(&s, 0, sizeof(s));
	s.count[AXVM_EXIT_MMIO] = 3;
	s.count[AXVM_EXIT_NONE] = 3;
	s.to_user = 1;
	r = report(&s);
	ASSERT_NE(NULL, r);
	EXPECT_NE(NULL, strstr(r, " share=16.67% ")) TH_LOG("%s", r);
	free(r);
}

TEST_HARNESS_MAIN
