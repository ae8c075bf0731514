/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kselftest_harness.h with one change to TEST_HARNESS_MAIN: every test's
 * time limit is multiplied by AXVM_TIMEOUT_SCALE when it is set. The
 * debug lanes set it (KASAN, lockdep and kmemleak make the same work
 * take several times as long there); a limit is a bound on a hang,
 * never a measure of speed.
 */
#ifndef AXVM_SELFTEST_HARNESS_H
#define AXVM_SELFTEST_HARNESS_H

#include <errno.h>
#include <stdlib.h>

#include "kselftest_harness.h"

/* @call fails with errno @err: -1, and that errno (0 before it). */
#define EXPECT_ERRNO(err, call) do {					\
		errno = 0;						\
		EXPECT_EQ(-1, (long)(call));				\
		EXPECT_EQ(err, errno) TH_LOG("%s", #call);		\
	} while (0)

/* AXVM_TIMEOUT_SCALE, at least 1: tests scale their own limits by it. */
static inline long axvm_timeout_scale(void)
{
	const char *env = getenv("AXVM_TIMEOUT_SCALE");
	long scale = env ? strtol(env, NULL, 10) : 1;

	return scale > 1 ? scale : 1;
}

static inline void axvm_scale_timeouts(void)
{
	long scale = axvm_timeout_scale();
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	if (scale == 1)
		return;
	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout *= scale;
}

/* What kselftest's own TEST_HARNESS_MAIN does, and the scaling. */
static inline void axvm_constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

static inline int axvm_harness_main(int argc, char **argv)
{
	axvm_scale_timeouts();
	return test_harness_run(argc, argv);
}

#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN \
	static void __attribute__((constructor)) \
	__constructor_order_last(void) \
	{ \
		axvm_constructor_order_last(); \
	} \
	int main(int argc, char **argv) \
	{ \
		exit(axvm_harness_main(argc, argv)); \
	}

#endif /* AXVM_SELFTEST_HARNESS_H */
