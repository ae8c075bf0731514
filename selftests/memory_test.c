// SPDX-License-Identifier: GPL-2.0
/*
 * Memory regions: add, move, delete, read-only, dirty logging's flag and
 * ioctl, every refusal, nothing pinned or locked, the caller's data
 * untouched. What a guest sees of them is guest_memory_test's.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "axvm_util.h"
#include "axvm_harness.h"

#define MB	(1UL << 20)

FIXTURE(mem) {
	int sys;
	int vm;
	long psz;
	uint64_t gpa_limit;
	char *buf;
	size_t buf_size;
};

FIXTURE_SETUP(mem)
{
	self->sys = axvm_open();
	ASSERT_GE(self->sys, 0);
	self->vm = ioctl(self->sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(self->vm, 0);
	self->psz = sysconf(_SC_PAGESIZE);
	self->gpa_limit = 1ULL << axvm_cap(self->sys, AXVM_CAP_GUEST_PHYS_BITS);
	self->buf_size = 4 * MB;
	self->buf = axvm_alloc(self->buf_size);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(mem)
{
	close(self->vm);
	close(self->sys);
	munmap(self->buf, self->buf_size);
}

TEST_F(mem, add_and_delete)
{
	EXPECT_EQ(0, axvm_set_region(self->vm, 0, 0, 0x80000000, MB, self->buf));
	EXPECT_EQ(0, axvm_set_region(self->vm, 1, AXVM_MEM_READONLY,
				     0x90000000, MB, self->buf + MB));
	EXPECT_EQ(0, axvm_set_region(self->vm, 0, 0, 0x80000000, 0, NULL));
	EXPECT_EQ(0, axvm_set_region(self->vm, 1, 0, 0, 0, NULL));
	/* Deleting an empty slot. */
	EXPECT_EQ(-1, axvm_set_region(self->vm, 1, 0, 0, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	/* Slots are reusable after delete. */
	EXPECT_EQ(0, axvm_set_region(self->vm, 1, 0, 0, MB, self->buf));
}

TEST_F(mem, all_slots)
{
	int n = axvm_cap(self->sys, AXVM_CAP_NR_MEM_REGIONS), i;

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, axvm_set_region(self->vm, i, 0,
					     (uint64_t)i * self->psz, self->psz,
					     self->buf + i * self->psz));
	EXPECT_EQ(-1, axvm_set_region(self->vm, n, 0, 1ULL << 32, self->psz,
				      self->buf));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mem, overlap)
{
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, 0x100000, MB, self->buf));
	/* Overlapping at the start, the end, inside, around. */
	EXPECT_EQ(-1, axvm_set_region(self->vm, 1, 0, 0x100000 - self->psz,
				      2 * self->psz, self->buf + MB));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, axvm_set_region(self->vm, 1, 0, 0x200000 - self->psz,
				      2 * self->psz, self->buf + MB));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, axvm_set_region(self->vm, 1, 0, 0x180000, self->psz,
				      self->buf + MB));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, axvm_set_region(self->vm, 1, 0, 0, 3 * MB,
				      self->buf + MB));
	EXPECT_EQ(EEXIST, errno);
	/* Adjacent is fine. */
	EXPECT_EQ(0, axvm_set_region(self->vm, 1, 0, 0x200000, MB,
				     self->buf + MB));
	EXPECT_EQ(0, axvm_set_region(self->vm, 2, 0, 0x100000 - MB, MB,
				     self->buf + 2 * MB));
}

TEST_F(mem, misaligned)
{
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 0, 0x1001, MB, self->buf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 0, 0, MB - 1, self->buf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 0, 0, MB, self->buf + 8));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mem, out_of_range)
{
	uint64_t lim = self->gpa_limit;

	/* Ends exactly at the limit: fine; one page past: refused. */
	EXPECT_EQ(0, axvm_set_region(self->vm, 0, 0, lim - MB, MB, self->buf));
	EXPECT_EQ(-1, axvm_set_region(self->vm, 1, 0, lim - self->psz,
				      2 * self->psz, self->buf + MB));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, axvm_set_region(self->vm, 1, 0, lim, self->psz,
				      self->buf + MB));
	EXPECT_EQ(EINVAL, errno);
	/* Wrapping around 2^64. */
	EXPECT_EQ(-1, axvm_set_region(self->vm, 1, 0, -(uint64_t)self->psz,
				      2 * self->psz, self->buf + MB));
	EXPECT_EQ(EINVAL, errno);
	/* Larger than the guest physical space. */
	EXPECT_EQ(-1, axvm_set_region(self->vm, 1, 0, 0, lim * 2,
				      self->buf + MB));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mem, bad_flags_and_slot)
{
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 1U << 31, 0, MB, self->buf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, axvm_set_region(self->vm, -1U, 0, 0, MB, self->buf));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mem, bad_memory)
{
	char *ro = mmap(NULL, MB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *hole = mmap(NULL, 2 * MB, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long locked = axvm_status_kb("VmLck");

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, hole);
	/* Unmapped, inaccessible, kernel addresses. */
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 0, 0, MB, hole));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 0, 0, MB,
				      (void *)(uintptr_t)-(1UL << 40)));
	EXPECT_EQ(EFAULT, errno);
	/* Partly mapped: refused whole. */
	munmap(hole + MB, MB);
	ASSERT_NE(MAP_FAILED, mmap(hole, MB, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				   -1, 0));
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 0, 0, 2 * MB, hole));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(locked, axvm_status_kb("VmLck"));
	/* A read-only mapping can back only a read-only region. */
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 0, 0, MB, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, axvm_set_region(self->vm, 0, AXVM_MEM_READONLY, 0, MB, ro));
	munmap(ro, MB);
	munmap(hole, MB);
}

TEST_F(mem, move)
{
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, 0x100000, MB, self->buf));
	ASSERT_EQ(0, axvm_set_region(self->vm, 1, 0, 0x400000, MB,
				     self->buf + MB));
	/* Move, and move onto its own old range overlapping itself. */
	EXPECT_EQ(0, axvm_set_region(self->vm, 0, 0, 0x200000, MB, self->buf));
	EXPECT_EQ(0, axvm_set_region(self->vm, 0, 0, 0x280000, MB, self->buf));
	/* Onto another region. */
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 0, 0x400000, MB, self->buf));
	EXPECT_EQ(EEXIST, errno);
	/* Resize, other memory, other flags: refused. */
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 0, 0x280000, 2 * MB,
				      self->buf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, 0, 0x280000, MB,
				      self->buf + 2 * MB));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, AXVM_MEM_READONLY, 0x280000,
				      MB, self->buf));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * Regions are not pinned (api.rst): registering locks nothing (VmLck)
 * and faults nothing in, whatever the VM's size, for the VM's life.
 */
TEST_F(mem, nothing_locked_or_faulted_in)
{
	long base = axvm_status_kb("VmLck");
	unsigned char vec[4 * MB / 4096];
	size_t i, n = 4 * MB / self->psz;
	char *fresh;
	int vm2;

	ASSERT_GE(base, 0);
	fresh = mmap(NULL, 4 * MB, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fresh);
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, 0, 4 * MB, fresh));
	EXPECT_EQ(base, axvm_status_kb("VmLck"));
	ASSERT_EQ(0, mincore(fresh, 4 * MB, vec));
	for (i = 0; i < n && i < sizeof(vec); i++)
		EXPECT_EQ(0, vec[i] & 1) TH_LOG("page %zu resident", i);
	vm2 = ioctl(self->sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(vm2, 0);
	ASSERT_EQ(0, axvm_set_region(vm2, 3, AXVM_MEM_READONLY, 0, 4 * MB,
				     fresh));
	EXPECT_EQ(base, axvm_status_kb("VmLck"));
	close(vm2);
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, 0, 0, NULL));
	EXPECT_EQ(base, axvm_status_kb("VmLck"));
	munmap(fresh, 4 * MB);
}

/* Drop CAP_IPC_LOCK and set RLIMIT_MEMLOCK; an exit code on failure. */
static int limit_memlock(rlim_t bytes)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	struct rlimit rl = { bytes, bytes };

	if (syscall(SYS_capget, &hdr, data))
		return 10;
	data[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &hdr, data))
		return 11;
	return setrlimit(RLIMIT_MEMLOCK, &rl) ? 12 : 0;
}

/*
 * Guest memory is charged to the VMM's memory cgroup like the rest of
 * its memory, not to RLIMIT_MEMLOCK: an unprivileged VMM with a 256 KiB
 * limit registers far more than that (the pinning design refused it).
 */
TEST_F(mem, memlock_limit_does_not_apply)
{
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int sys = axvm_open(), vm = ioctl(sys, AXVM_CREATE_VM, 0);
		int err = limit_memlock(256 << 10);

		if (vm < 0)
			_exit(13);
		if (err)
			_exit(err);
		if (axvm_set_region(vm, 0, 0, 0, MB, self->buf))
			_exit(3);
		if (axvm_set_region(vm, 1, 0, MB, self->buf_size - MB,
				    self->buf + MB))
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

static int get_log(int vm, uint32_t slot, uint32_t flags, void *bits)
{
	struct axvm_dirty_log log = {
		.slot = slot,
		.flags = flags,
		.bitmap = (uintptr_t)bits,
	};

	return ioctl(vm, AXVM_GET_DIRTY_LOG, &log);
}

/*
 * AXVM_MEM_LOG_DIRTY and AXVM_GET_DIRTY_LOG without a guest: the flag
 * with READONLY is EINVAL; an existing slot may turn logging on and off
 * and nothing else; the call's errnos (api.rst); a fresh log is empty
 * and fills exactly DIV_ROUND_UP(pages, 64) words.
 */
TEST_F(mem, dirty_log_flag_and_errors)
{
	uint64_t bits[4], size = 100 * self->psz;	/* two words */

	EXPECT_EQ(1, axvm_cap(self->sys, AXVM_CAP_DIRTY_LOG));
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, AXVM_MEM_READONLY |
				      AXVM_MEM_LOG_DIRTY, 0, size, self->buf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, get_log(self->vm, 0, 0, bits));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, 0, size, self->buf));
	EXPECT_EQ(-1, get_log(self->vm, 0, 0, bits));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, AXVM_MEM_LOG_DIRTY, 0, size,
				     self->buf));
	/* Logging on a live slot, but not READONLY with it. */
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, AXVM_MEM_READONLY, 0, size,
				      self->buf));
	EXPECT_EQ(EINVAL, errno);

	memset(bits, 0x5a, sizeof(bits));
	ASSERT_EQ(0, get_log(self->vm, 0, 0, bits));
	EXPECT_EQ(0, bits[0]);
	EXPECT_EQ(0, bits[1]);
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aULL, bits[2]);

	EXPECT_EQ(-1, get_log(self->vm, 0, 1, bits));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, get_log(self->vm, 1000, 0,
			      bits));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, get_log(self->vm, 0, 0, NULL));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, 0, size, self->buf));
	EXPECT_EQ(-1, get_log(self->vm, 0, 0, bits));
	EXPECT_EQ(EINVAL, errno);
}

static int populate(int vm, uint32_t slot, uint32_t flags, uint64_t offset,
		    uint64_t size)
{
	struct axvm_populate p = {
		.slot = slot, .flags = flags, .offset = offset, .size = size,
	};

	return ioctl(vm, AXVM_POPULATE, &p);
}

/*
 * AXVM_MEM_USER_FAULT's flag rules and AXVM_POPULATE's errnos (api.rst):
 * the flag may not change on a live slot; the call wants a slot with it,
 * page-aligned offset and size, at least a page, inside the region.
 */
TEST_F(mem, populate_errors)
{
	uint64_t size = 8 * self->psz, p = self->psz;

	EXPECT_EQ(1, axvm_cap(self->sys, AXVM_CAP_USER_FAULT));
	EXPECT_EQ(-1, populate(self->vm, 0, 0, 0, p));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, 0, size, self->buf));
	EXPECT_EQ(-1, populate(self->vm, 0, 0, 0, p));
	EXPECT_EQ(EINVAL, errno);
	/* Not on a live slot, either way. */
	EXPECT_EQ(-1, axvm_set_region(self->vm, 0, AXVM_MEM_USER_FAULT, 0,
				      size, self->buf));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, axvm_set_region(self->vm, 1, AXVM_MEM_USER_FAULT |
				     AXVM_MEM_LOG_DIRTY, MB, size,
				     self->buf + MB));
	EXPECT_EQ(-1, axvm_set_region(self->vm, 1, AXVM_MEM_LOG_DIRTY, MB,
				      size, self->buf + MB));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(0, populate(self->vm, 1, 0, 0, size));
	EXPECT_EQ(0, populate(self->vm, 1, 0, size - p, p));
	EXPECT_EQ(-1, populate(self->vm, 1, 1, 0, p));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, populate(self->vm, 1000, 0, 0, p));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, populate(self->vm, 1, 0, 1, p));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, populate(self->vm, 1, 0, 0, p + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, populate(self->vm, 1, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, populate(self->vm, 1, 0, size, p));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, populate(self->vm, 1, 0, p, size));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, populate(self->vm, 1, 0, -p, 2 * p));
	EXPECT_EQ(EINVAL, errno);
	/* A move keeps the flag and what was populated. */
	EXPECT_EQ(0, axvm_set_region(self->vm, 1, AXVM_MEM_USER_FAULT |
				     AXVM_MEM_LOG_DIRTY, 2 * MB, size,
				     self->buf + MB));
	EXPECT_EQ(0, populate(self->vm, 1, 0, 0, p));
}

/* Registering, moving and deleting never changes the memory's data. */
TEST_F(mem, data_untouched)
{
	size_t i;

	for (i = 0; i < self->buf_size; i++)
		self->buf[i] = (char)(i * 7 + 3);
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, 0, self->buf_size,
				     self->buf));
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, 1ULL << 30,
				     self->buf_size, self->buf));
	for (i = 0; i < self->buf_size; i += 4096)
		self->buf[i] ^= 0x5a;
	ASSERT_EQ(0, axvm_set_region(self->vm, 0, 0, 0, 0, NULL));
	for (i = 0; i < self->buf_size; i++) {
		char want = (char)(i * 7 + 3) ^ (i % 4096 ? 0 : 0x5a);

		if (self->buf[i] != want) {
			EXPECT_EQ(want, self->buf[i]) TH_LOG("byte %zu", i);
			break;
		}
	}
}

TEST_HARNESS_MAIN
