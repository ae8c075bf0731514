// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory the KVM way, seen from a guest (api.rst, "Guest memory"):
 * regions are not pinned, so the guest sees what the VMM's mapping holds
 * at each access, after munmap/mmap, MADV_DONTNEED, mremap and file
 * truncation; only the pages the guest touches are faulted in; a region
 * over transparent or hugetlbfs huge pages is mapped with 2 MiB stage-2
 * blocks; pages moved by compaction stay coherent, and so do the VMM's
 * pages across its forks and under MADV_DONTNEED racing two vCPUs'
 * faults; a guest outgrows RLIMIT_MEMLOCK; deleting or moving a region
 * frees its stage-2 tables; a user-fault region exits on each page's
 * first access until AXVM_POPULATE; and
 * AXVM_GET_DIRTY_LOG reports each page the guest wrote once.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "axvm_util.h"
#include "axvm_harness.h"
#include "test_vm.h"

#define MB		(1UL << 20)
#define PAGE		4096UL
#define MBOX_SLOT	20
#define MBOX_GPA	0x180000000ULL		/* 6 GiB */
#define A_SLOT		21
#define A_GPA		0x200000000ULL		/* 8 GiB */
#define B_SLOT		22
#define B_GPA		0x400000000ULL		/* 16 GiB */

/* What the host asks the mailbox guest to do next. */
enum { OP_SYNC, OP_READ, OP_WRITE, OP_TOUCH, OP_CALL, OP_STOP };

struct mbox {
	uint64_t op;
	uint64_t addr;		/* guest-physical */
	uint64_t val;		/* the value to write; pages to touch */
};

/*
 * Do what the host put in the mailbox, then report: a read's value, a
 * write's address. OP_TOUCH reads one word of each of val pages.
 */
GUEST_CODE static void guest_mbox(uint64_t mbox_gpa)
{
	volatile struct mbox *m = (volatile struct mbox *)mbox_gpa;
	uint64_t i, sum;

	for (;;) {
		switch (m->op) {
		case OP_READ:
			GUEST_SYNC(*(volatile uint64_t *)m->addr);
			break;
		case OP_WRITE:
			*(volatile uint64_t *)m->addr = m->val;
			GUEST_SYNC(m->addr);
			break;
		case OP_TOUCH:
			for (i = 0, sum = 0; i < m->val; i++)
				sum += *(volatile uint64_t *)(m->addr + i * PAGE);
			GUEST_SYNC(sum);
			break;
		case OP_CALL:
			((void (*)(void))m->addr)();
			GUEST_SYNC(m->addr);
			break;
		case OP_STOP:
			return;
		default:
			GUEST_SYNC(0);
		}
	}
}

FIXTURE(gmem) {
	struct test_vm *vm;
	struct test_vcpu *v;
	struct mbox *mbox;
	long hugepages;		/* nr_hugepages to restore, or -1 */
};

FIXTURE_SETUP(gmem)
{
	int sys = axvm_open(), can_run;

	self->hugepages = -1;
	ASSERT_GE(sys, 0);
	can_run = axvm_cap(sys, AXVM_CAP_RUN);
	close(sys);
	if (can_run <= 0)
		SKIP(return, "RUN not supported on this lane");
	self->vm = test_vm_create();
	if (!self->vm && errno == EOPNOTSUPP)
		SKIP(return, "no guest library for this arch");
	ASSERT_NE(NULL, self->vm);
	self->mbox = test_vm_add_region(self->vm, MBOX_SLOT, 0, MBOX_GPA,
					PAGE);
	ASSERT_NE(NULL, self->mbox);
	self->v = test_vcpu_add_default(self->vm, 0, guest_mbox, 1, MBOX_GPA);
	ASSERT_NE(NULL, self->v);
}

FIXTURE_TEARDOWN(gmem)
{
	char buf[32];
	int fd;

	test_vm_free(self->vm);
	if (self->hugepages < 0)
		return;
	fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY);
	if (fd >= 0) {
		snprintf(buf, sizeof(buf), "%ld", self->hugepages);
		if (write(fd, buf, strlen(buf)) < 0)
			perror("nr_hugepages");
		close(fd);
	}
}

/* One mailbox request: the value the guest reports for it. */
static uint64_t guest_op(struct __test_metadata *_metadata,
			 struct test_vcpu *v, struct mbox *m, uint64_t op,
			 uint64_t addr, uint64_t val)
{
	struct ucall uc;

	m->op = op;
	m->addr = addr;
	m->val = val;
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	return uc.args[0];
}

#define GREAD(gpa)		guest_op(_metadata, self->v, self->mbox, \
					 OP_READ, (gpa), 0)
#define GWRITE(gpa, val)	guest_op(_metadata, self->v, self->mbox, \
					 OP_WRITE, (gpa), (val))
#define GTOUCH(gpa, n)		guest_op(_metadata, self->v, self->mbox, \
					 OP_TOUCH, (gpa), (n))

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Anonymous memory of 4 KiB host pages only (a THP would fault in, and
 * be mapped as, its 2 MiB at once), or NULL.
 */
static void *map_small(size_t size)
{
	void *p = map_anon(size);

	if (p && madvise(p, size, MADV_NOHUGEPAGE)) {
		munmap(p, size);
		p = NULL;
	}
	return p;
}

/*
 * The issue this answers: with pinned regions "after munmap,
 * MADV_DONTNEED, mremap or truncation of a file the guest keeps the old
 * pages". Each step changes what backs the region's address and checks
 * that the guest reads the new content and its writes land there.
 */
TEST_F(gmem, guest_follows_the_vmm_mapping)
{
	uint64_t *hva, *other;
	int fd;

	if (!self->vm)
		return;
	hva = map_anon(2 * PAGE);
	ASSERT_NE(NULL, hva);
	hva[0] = 0x1111;
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, A_GPA,
				     2 * PAGE, hva));
	EXPECT_EQ(0x1111, GREAD(A_GPA));
	EXPECT_EQ(A_GPA + 8, GWRITE(A_GPA + 8, 0xaaaa));
	EXPECT_EQ(0xaaaa, hva[1]);

	/* munmap + mmap at the same address: fresh zero pages. */
	ASSERT_EQ(hva, mmap(hva, 2 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	EXPECT_EQ(0, hva[1]);
	hva[0] = 0x2222;
	EXPECT_EQ(0x2222, GREAD(A_GPA));
	EXPECT_EQ(0, GREAD(A_GPA + 8));
	GWRITE(A_GPA + 8, 0xbbbb);
	EXPECT_EQ(0xbbbb, hva[1]);

	/* MADV_DONTNEED drops the pages: both sides read zero. */
	ASSERT_EQ(0, madvise(hva, 2 * PAGE, MADV_DONTNEED));
	EXPECT_EQ(0, GREAD(A_GPA + 8));
	EXPECT_EQ(0, GREAD(A_GPA));
	GWRITE(A_GPA, 0xcccc);
	EXPECT_EQ(0xcccc, hva[0]);

	/* mremap moves other pages onto the region's address. */
	other = map_anon(2 * PAGE);
	ASSERT_NE(NULL, other);
	other[0] = 0x3333;
	ASSERT_EQ(hva, mremap(other, 2 * PAGE, 2 * PAGE,
			      MREMAP_MAYMOVE | MREMAP_FIXED, hva));
	EXPECT_EQ(0x3333, GREAD(A_GPA));
	GWRITE(A_GPA + 8, 0xdddd);
	EXPECT_EQ(0xdddd, hva[1]);

	/* A shared file mapping, truncated and grown again: zeros. */
	fd = memfd_create("axvm-gmem", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 2 * PAGE));
	ASSERT_EQ(hva, mmap(hva, 2 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_FIXED, fd, 0));
	/* A second view of the file (a lane kernel's shmem has no write()). */
	other = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, other);
	other[0] = 0x4444;
	EXPECT_EQ(0x4444, GREAD(A_GPA));
	GWRITE(A_GPA + 8, 0xeeee);
	EXPECT_EQ(0xeeee, other[1]);
	ASSERT_EQ(0, ftruncate(fd, 0));
	ASSERT_EQ(0, ftruncate(fd, 2 * PAGE));
	EXPECT_EQ(0, other[1]);
	EXPECT_EQ(0, GREAD(A_GPA));
	EXPECT_EQ(0, GREAD(A_GPA + 8));
	close(fd);
	munmap(other, 2 * PAGE);
	munmap(hva, 2 * PAGE);
}

/* Resident pages of [p, p + n pages), by mincore(). */
static int resident(void *p, size_t n)
{
	unsigned char vec[64];
	size_t i;
	int count = 0;

	if (n > sizeof(vec) || mincore(p, n * PAGE, vec))
		return -1;
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	return count;
}

/*
 * "Regions are not pinned": registering faults nothing in and locks
 * nothing; the guest's accesses fault in the pages it touches, no more.
 */
TEST_F(gmem, only_touched_pages_are_faulted_in)
{
	long vmlck = axvm_status_kb("VmLck");
	char *hva;

	if (!self->vm)
		return;
	hva = map_small(64 * PAGE);
	ASSERT_NE(NULL, hva);
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, A_GPA,
				     64 * PAGE, hva));
	EXPECT_EQ(0, resident(hva, 64));
	EXPECT_EQ(vmlck, axvm_status_kb("VmLck"));
	GWRITE(A_GPA + 3 * PAGE, 1);
	GREAD(A_GPA + 40 * PAGE);
	/* Those two (the read's, the zero page), and no other. */
	EXPECT_EQ(2, resident(hva, 64));
	EXPECT_EQ(1, resident(hva + 3 * PAGE, 1));
	EXPECT_EQ(1, resident(hva + 40 * PAGE, 1));
	EXPECT_EQ(vmlck, axvm_status_kb("VmLck"));
}

/* The kB of AnonHugePages of the mapping holding @p, from smaps. */
static long anon_huge_kb(void *p)
{
	unsigned long lo, hi, at = (unsigned long)p;
	char line[256];
	long kb = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = at >= lo && at < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/*
 * Guest touches every page of region A (2 MiB at A_GPA, backed by one
 * huge host page), then every page of region B (2 MiB of 4 KiB host
 * pages at B_GPA): A needs one stage-2 fault and one table less than B,
 * whose 512 pages fault one by one into a last-level table. Both sit
 * alone in their 1 GiB, so the tables above are alike.
 */
/* FIXTURE_DATA(gmem), spelt out for checkpatch. */
static void check_blocks(struct __test_metadata *_metadata,
			 struct _test_data_gmem *self, void *huge)
{
	long s0, s1, s2, b0, b1, b2;
	long long f0, f1, f2;
	void *small;

	small = map_small(2 * MB);
	ASSERT_NE(NULL, small);
	memset(small, 1, 2 * MB);
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, A_GPA, 2 * MB,
				     huge));
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, B_SLOT, 0, B_GPA, 2 * MB,
				     small));

	GREAD(MBOX_GPA);	/* the guest's code and stack are mapped */
	b0 = axvm_param("stage2_blocks");
	s0 = axvm_param("stage2_pages");
	f0 = axvm_exit_count(self->v->fd, AXVM_EXIT_STAGE2_FAULT);
	EXPECT_EQ(512 * 0x0101010101010101ULL, GTOUCH(A_GPA, 512));
	b1 = axvm_param("stage2_blocks");
	s1 = axvm_param("stage2_pages");
	f1 = axvm_exit_count(self->v->fd, AXVM_EXIT_STAGE2_FAULT);
	EXPECT_EQ(512 * 0x0101010101010101ULL, GTOUCH(B_GPA, 512));
	b2 = axvm_param("stage2_blocks");
	s2 = axvm_param("stage2_pages");
	f2 = axvm_exit_count(self->v->fd, AXVM_EXIT_STAGE2_FAULT);
	TH_LOG("huge: %lld faults, %ld table pages; small: %lld faults, %ld table pages",
	       f1 - f0, s1 - s0, f2 - f1, s2 - s1);
	/* One block: a fault (a retry or two if the host moved under it). */
	EXPECT_GE(f1 - f0, 1);
	EXPECT_LT(f1 - f0, 8);
	EXPECT_GE(f2 - f1, 512);
	EXPECT_EQ(s2 - s1 - 1, s1 - s0);
	/* The module's count: one block for A, none for B. */
	EXPECT_EQ(b0 + 1, b1);
	EXPECT_EQ(b1, b2);
	/* Deleting A takes its block out. */
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, A_GPA, 0, huge));
	EXPECT_EQ(b0, axvm_param("stage2_blocks"));
	munmap(small, 2 * MB);
}

TEST_F(gmem, thp_region_maps_2m_blocks)
{
	char mode[128] = "";
	char *p, *huge;

	if (!self->vm)
		return;
	axvm_slurp("/sys/kernel/mm/transparent_hugepage/enabled", mode,
		   sizeof(mode));
	if (!strstr(mode, "[always]") && !strstr(mode, "[madvise]"))
		SKIP(return, "transparent huge pages off: %s", mode);
	p = map_anon(4 * MB);
	ASSERT_NE(NULL, p);
	huge = (char *)(((uintptr_t)p + 2 * MB - 1) & ~(2 * MB - 1));
	ASSERT_EQ(0, madvise(huge, 2 * MB, MADV_HUGEPAGE));
	memset(huge, 1, 2 * MB);
	if (anon_huge_kb(huge) < 2048)
		SKIP(return, "the host gave no transparent huge page");
	check_blocks(_metadata, self, huge);
	munmap(p, 4 * MB);
}

TEST_F(gmem, hugetlbfs_region_maps_2m_blocks)
{
	char buf[32] = "";
	void *huge;
	int fd;

	if (!self->vm)
		return;
	fd = open("/proc/sys/vm/nr_hugepages", O_RDWR);
	if (fd < 0)
		SKIP(return, "no hugetlbfs in this kernel");
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		self->hugepages = atol(buf);
	snprintf(buf, sizeof(buf), "%ld", self->hugepages + 1);
	ASSERT_LT(0, pwrite(fd, buf, strlen(buf), 0));
	close(fd);
	huge = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (huge == MAP_FAILED)
		SKIP(return, "no 2 MiB huge page to be had: %s",
		     strerror(errno));
	memset(huge, 1, 2 * MB);
	check_blocks(_metadata, self, huge);
	munmap(huge, 2 * MB);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/*
 * 4 KiB pages the guest mapped, then collapsed into a huge page by the
 * host (MADV_COLLAPSE, as khugepaged does): the next access maps one
 * 2 MiB block where the 4 KiB entries and their table were, and the
 * data is what it was.
 */
TEST_F(gmem, collapsed_host_pages_become_a_block)
{
	long blocks, tables;
	long long f0;
	char *p, *mem;

	if (!self->vm)
		return;
	p = map_anon(4 * MB);
	ASSERT_NE(NULL, p);
	mem = (char *)(((uintptr_t)p + 2 * MB - 1) & ~(2 * MB - 1));
	/* 4 KiB pages first, also where THP is "always" (distro kernels). */
	ASSERT_EQ(0, madvise(mem, 2 * MB, MADV_NOHUGEPAGE));
	memset(mem, 1, 2 * MB);
	ASSERT_EQ(0, madvise(mem, 2 * MB, MADV_HUGEPAGE));
	ASSERT_EQ(0, anon_huge_kb(mem));
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, A_GPA, 2 * MB,
				     mem));
	EXPECT_EQ(512 * 0x0101010101010101ULL, GTOUCH(A_GPA, 512));
	blocks = axvm_param("stage2_blocks");
	tables = axvm_param("stage2_pages");
	if (madvise(mem, 2 * MB, MADV_COLLAPSE) || anon_huge_kb(mem) < 2048)
		SKIP(return, "MADV_COLLAPSE made no huge page: %s",
		     strerror(errno));
	f0 = axvm_exit_count(self->v->fd, AXVM_EXIT_STAGE2_FAULT);
	EXPECT_EQ(512 * 0x0101010101010101ULL, GTOUCH(A_GPA, 512));
	EXPECT_GE(axvm_exit_count(self->v->fd, AXVM_EXIT_STAGE2_FAULT) - f0, 1);
	EXPECT_LT(axvm_exit_count(self->v->fd, AXVM_EXIT_STAGE2_FAULT) - f0, 8);
	EXPECT_EQ(blocks + 1, axvm_param("stage2_blocks"));
	EXPECT_EQ(tables - 1, axvm_param("stage2_pages"));
	munmap(p, 4 * MB);
}

/*
 * "Stage-2 table pages are freed when regions are deleted or moved, not
 * only at VM destruction": a region alone in its 1 GiB, touched in three
 * 2 MiB blocks, gives its tables back when deleted, and a move leaves
 * only the tables of where it is now.
 */
TEST_F(gmem, region_delete_and_move_free_tables)
{
	long base, touched, moved;
	char *hva;

	if (!self->vm)
		return;
	hva = map_small(8 * MB);
	ASSERT_NE(NULL, hva);
	GREAD(MBOX_GPA);
	base = axvm_param("stage2_pages");
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, A_GPA, 8 * MB,
				     hva));
	GWRITE(A_GPA, 1);
	GWRITE(A_GPA + 2 * MB, 2);
	GWRITE(A_GPA + 6 * MB, 3);
	touched = axvm_param("stage2_pages");
	EXPECT_LE(base + 4, touched);	/* a 2 MiB-level table, three below */

	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, B_GPA, 8 * MB,
				     hva));
	EXPECT_EQ(base, axvm_param("stage2_pages"));
	EXPECT_EQ(1, GREAD(B_GPA));
	EXPECT_EQ(2, GREAD(B_GPA + 2 * MB));
	EXPECT_EQ(3, GREAD(B_GPA + 6 * MB));
	moved = axvm_param("stage2_pages");
	EXPECT_EQ(touched, moved);

	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, B_GPA, 0, hva));
	EXPECT_EQ(base, axvm_param("stage2_pages"));
	munmap(hva, 8 * MB);
}

/* The frame behind @p from /proc/self/pagemap (root), or 0. */
static uint64_t pfn_of(void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)p / PAGE * sizeof(e)) !=
	    sizeof(e))
		e = 0;
	close(fd);
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

#define MIGRATE_PAGES	256

/*
 * Page migration (here by compaction, which moves movable pages and
 * skipped pinned ones) must not leave the guest on the old frames: the
 * guest's data is where the host's is after the move, both ways. The
 * test says how many pages moved; it checks coherence either way.
 */
TEST_F(gmem, pages_moved_by_compaction_stay_coherent)
{
	uint64_t before[MIGRATE_PAGES], i, sum, want = 0;
	int fd, moved = 0;
	char *hva;

	if (!self->vm)
		return;
	fd = open("/proc/sys/vm/compact_memory", O_WRONLY);
	if (fd < 0)
		SKIP(return, "no compaction in this kernel");
	hva = map_small(MIGRATE_PAGES * PAGE);
	ASSERT_NE(NULL, hva);
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, A_GPA,
				     MIGRATE_PAGES * PAGE, hva));
	for (i = 0; i < MIGRATE_PAGES; i++) {
		GWRITE(A_GPA + i * PAGE, i * 3 + 1);
		want += i * 3 + 1;
		before[i] = pfn_of(hva + i * PAGE);
	}
	ASSERT_EQ(1, write(fd, "1", 1));
	close(fd);
	for (i = 0; i < MIGRATE_PAGES; i++)
		moved += before[i] && pfn_of(hva + i * PAGE) != before[i];
	TH_LOG("%d of %d pages moved", moved, MIGRATE_PAGES);

	EXPECT_EQ(want, GTOUCH(A_GPA, MIGRATE_PAGES));
	for (i = 0, sum = 0; i < MIGRATE_PAGES; i++) {
		GWRITE(A_GPA + i * PAGE + 8, i);
		sum += *(uint64_t *)(hva + i * PAGE + 8) == i;
	}
	EXPECT_EQ(MIGRATE_PAGES, sum);
	munmap(hva, MIGRATE_PAGES * PAGE);
}

/* Count in the word at @addr, checking each step stuck; a sync each 256. */
GUEST_CODE static void guest_count(uint64_t addr)
{
	volatile uint64_t *c = (volatile uint64_t *)addr;
	uint64_t i;

	for (i = 1;; i++) {
		*c = i;
		GUEST_ASSERT(*c == i, *c, i);
		if (!(i % 256))
			GUEST_SYNC(i);
	}
}

static atomic_int fork_stop, forks, fork_err;

/* Children that write their copy of the page, then check they did. */
static void *fork_thread(void *hva)
{
	uint64_t *w = hva;
	int status;
	pid_t pid;

	while (!atomic_load(&fork_stop)) {
		pid = fork();
		if (pid == 0) {
			w[0] = 0xdead;
			_exit(w[0] == 0xdead ? 0 : 1);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			atomic_store(&fork_err, 1);
			break;
		}
		atomic_fetch_add(&forks, 1);
	}
	return NULL;
}

/*
 * A fork makes the VMM's private pages copy-on-write: its page tables
 * lose write and its next write copies. The guest must go on in the
 * VMM's own pages (it sees each step it wrote, the VMM sees them too)
 * and never in a child's (no 0xdead), however the forks fall between
 * its writes.
 */
TEST_F(gmem, fork_of_the_vmm_changes_nothing_for_the_guest)
{
	struct test_vcpu *v;
	struct ucall uc;
	uint64_t *hva;
	pthread_t t;
	int syncs = 0;

	if (!self->vm)
		return;
	hva = map_anon(PAGE);
	ASSERT_NE(NULL, hva);
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, A_GPA, PAGE,
				     hva));
	v = test_vcpu_add_default(self->vm, 1, guest_count, 1, A_GPA);
	ASSERT_NE(NULL, v);
	atomic_store(&fork_stop, 0);
	atomic_store(&forks, 0);
	atomic_store(&fork_err, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, fork_thread, hva));
	/* Until eight forks fell somewhere in at least 64 syncs' steps. */
	while (syncs < 64 || atomic_load(&forks) < 8) {
		int cmd = test_vcpu_run_ucall(v, &uc);
		char desc[512];

		if (cmd != UCALL_SYNC) {
			atomic_store(&fork_stop, 1);
			pthread_join(t, NULL);
			ASSERT_EQ(UCALL_SYNC, cmd)
				TH_LOG("%s", test_vcpu_describe(v, &uc, desc,
								sizeof(desc)));
		}
		/* The guest's last step is in the VMM's page. */
		ASSERT_EQ(uc.args[0], hva[0]);
		/* A child saw its own copy written. */
		ASSERT_EQ(0, atomic_load(&fork_err));
		syncs++;
	}
	atomic_store(&fork_stop, 1);
	pthread_join(t, NULL);
	TH_LOG("%d forks in %d syncs", atomic_load(&forks), syncs);
}

/*
 * Regions are not pinned, so RLIMIT_MEMLOCK does not bound a guest: a
 * process without CAP_IPC_LOCK and a 256 KiB limit runs one that
 * writes 4 MiB.
 */
TEST_F(gmem, guest_larger_than_memlock_runs)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	int status;
	pid_t pid;

	if (!self->vm)
		return;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit rl = { 256 << 10, 256 << 10 };
		struct test_vcpu *v;
		struct test_vm *vm;
		struct ucall uc;
		char *mem;

		if (syscall(SYS_capget, &hdr, data))
			_exit(10);
		data[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
		if (syscall(SYS_capset, &hdr, data) ||
		    setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(11);
		vm = test_vm_create();
		mem = vm ? test_vm_add_region(vm, A_SLOT, 0, A_GPA, 4 * MB) :
			   NULL;
		if (!mem)
			_exit(12);
		memset(mem, 1, 4 * MB);
		v = test_vcpu_add_default(vm, 1, guest_mbox, 1, MBOX_GPA);
		if (!v || !test_vm_add_region(vm, MBOX_SLOT, 0, MBOX_GPA, PAGE))
			_exit(13);
		*(struct mbox *)test_gpa2hva(vm, MBOX_GPA) = (struct mbox){
			.op = OP_TOUCH, .addr = A_GPA, .val = 4 * MB / PAGE,
		};
		if (test_vcpu_run_ucall(v, &uc) != UCALL_SYNC ||
		    uc.args[0] != 1024 * 0x0101010101010101ULL)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

#define CHURN_PAGES	32
#define CHURN_DROPS	200

/*
 * Write then read back a word of each page, round after round, until
 * the host says stop; the word is this vCPU's (@tag). Between the two
 * the VMM may have dropped the page (then zero); any other value is a
 * page the guest should no longer reach. @progress: this vCPU's step
 * count at [tag], the host's stop flag at [2], outside the dropped pages.
 */
GUEST_CODE static void guest_churn(uint64_t base, uint64_t tag,
				   uint64_t progress)
{
	volatile uint64_t *steps = (volatile uint64_t *)progress + tag;
	volatile uint64_t *stop = (volatile uint64_t *)progress + 2;
	uint64_t r, p, v, got;

	for (r = 0; !*stop; r++) {
		for (p = 0; p < CHURN_PAGES; p++) {
			volatile uint64_t *w = (volatile uint64_t *)
				(base + p * PAGE + tag * 8);

			v = r << 32 | p << 8 | tag << 1 | 1;
			*w = v;
			got = *w;
			GUEST_ASSERT(got == v || got == 0, got, v);
			*steps += 1;
		}
	}
}

struct churn {
	struct test_vcpu *v;
	int cmd;
	struct ucall uc;
	atomic_int finished;
};

static void *churn_vcpu(void *arg)
{
	struct churn *c = arg;

	c->cmd = test_vcpu_run_ucall(c->v, &c->uc);
	atomic_store(&c->finished, 1);
	return NULL;
}

/* How one churn ended: each vCPU's ucall and exit, drops, steps. */
struct churn_result {
	int cmd[2];
	char desc[2][512];
	int drops;
	uint64_t steps[2];
};

/*
 * Two vCPUs fault the same pages in while another thread drops them
 * with MADV_DONTNEED, CHURN_DROPS times: faults race invalidations all
 * along. The dropper waits for both vCPUs to make a step between two
 * drops: back-to-back drops keep an invalidation in progress nearly all
 * the time, and a fault that meets one only retries, so on a loaded
 * machine the guests could starve. A VM of its own each time.
 */
static void churn_once(struct __test_metadata *_metadata,
		       struct churn_result *res)
{
	struct churn c[2] = { 0 };
	volatile uint64_t *progress;
	struct test_vm *vm;
	uint64_t seen[2];
	pthread_t t[2];
	char *hva, *mbox;
	int i, drops;

	vm = test_vm_create();
	ASSERT_NE(NULL, vm);
	mbox = test_vm_add_region(vm, MBOX_SLOT, 0, MBOX_GPA, PAGE);
	ASSERT_NE(NULL, mbox);
	progress = (volatile uint64_t *)(mbox + 256);
	hva = map_small(CHURN_PAGES * PAGE);
	ASSERT_NE(NULL, hva);
	ASSERT_EQ(0, axvm_set_region(vm->fd, A_SLOT, 0, A_GPA,
				     CHURN_PAGES * PAGE, hva));
	for (i = 0; i < 2; i++) {
		uint64_t mask[AXVM_AFFINITY_WORDS] = { 1ULL << i };

		c[i].v = test_vcpu_add(vm, i, TEST_ARCH_ID_DEFAULT, mask,
				       guest_churn, 3, A_GPA, i,
				       MBOX_GPA + 256);
		ASSERT_NE(NULL, c[i].v);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn_vcpu, &c[i]));
	}
	for (drops = 0; drops < CHURN_DROPS; drops++) {
		seen[0] = progress[0];
		seen[1] = progress[1];
		ASSERT_EQ(0, madvise(hva, CHURN_PAGES * PAGE, MADV_DONTNEED));
		/* A vCPU that stopped early (an assert) ends the wait too. */
		while ((progress[0] == seen[0] || progress[1] == seen[1]) &&
		       !atomic_load(&c[0].finished) &&
		       !atomic_load(&c[1].finished))
			sched_yield();
		if (progress[0] == seen[0] || progress[1] == seen[1])
			break;
	}
	progress[2] = 1;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++) {
		res->cmd[i] = c[i].cmd;
		test_vcpu_describe(c[i].v, &c[i].uc, res->desc[i],
				   sizeof(res->desc[i]));
		res->steps[i] = progress[i];
	}
	res->drops = drops;
	test_vm_free(vm);
	munmap(hva, CHURN_PAGES * PAGE);
}

/*
 * The churn must end with both vCPUs done and every drop made: neither
 * may see a stale page; the debug lanes' KASAN and lockdep watch the
 * locking. QEMU 7.2's multi-threaded TCG now and then runs an SVM guest
 * with the host's state when the other CPU is busy (testing.rst), which
 * this test's IPIs make likely: a churn that axvm's kernel log names
 * so ("a CPU (emulator) defect") is not a result and runs again.
 */
#define CHURN_ATTEMPTS	3

TEST_F(gmem, two_vcpus_fault_while_the_vmm_drops_the_pages)
{
	struct churn_result res;
	int i, attempt, kmsg;
	bool broke;

	if (!self->vm)
		return;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	for (attempt = 1;; attempt++) {
		memset(&res, 0, sizeof(res));
		kmsg = axvm_kmsg_from_now();
		churn_once(_metadata, &res);
		/* Reads (and closes) the log whatever the outcome. */
		broke = axvm_kmsg_says(kmsg, AXVM_CPU_DEFECT);
		if (!broke || (res.cmd[0] == UCALL_DONE &&
			       res.cmd[1] == UCALL_DONE))
			break;
		TH_LOG("attempt %d: the CPU broke the architecture under a vCPU (%s): again",
		       attempt, AXVM_CPU_DEFECT);
		if (attempt == CHURN_ATTEMPTS)
			SKIP(return, "the CPU broke the architecture under the vCPUs %d times (%s)",
			     attempt, AXVM_CPU_DEFECT);
	}
	for (i = 0; i < 2; i++)
		EXPECT_EQ(UCALL_DONE, res.cmd[i])
			TH_LOG("vCPU %d ended: %s", i, res.desc[i]);
	TH_LOG("%d drops, %llu and %llu steps", res.drops,
	       (unsigned long long)res.steps[0],
	       (unsigned long long)res.steps[1]);
	EXPECT_EQ(CHURN_DROPS, res.drops);
}

/* A function that only returns, as the guest's CPU encodes it. */
#ifdef __aarch64__
static const uint8_t ret_insn[] = { 0xc0, 0x03, 0x5f, 0xd6 };	/* ret */
#elif defined(__riscv)
static const uint8_t ret_insn[] = { 0x67, 0x80, 0x00, 0x00 };	/* jr ra */
#else
static const uint8_t ret_insn[] = { 0xc3 };			/* ret */
#endif

/* Run until an exit that is not a ucall: that exit's reason. */
static int run_to_exit(struct test_vcpu *v, struct mbox *m, uint64_t op,
		       uint64_t addr, uint64_t val)
{
	m->op = op;
	m->addr = addr;
	m->val = val;
	return test_vcpu_run_exit(v);
}

static int populate(int vm, uint32_t slot, uint32_t flags, uint64_t offset,
		    uint64_t size)
{
	struct axvm_populate p = {
		.slot = slot, .flags = flags, .offset = offset, .size = size,
	};

	return ioctl(vm, AXVM_POPULATE, &p);
}

#define EXPECT_NPF(want_gpa, want_access)				\
do {									\
	EXPECT_EQ(AXVM_EXIT_NESTED_PAGE_FAULT, ret);			\
	EXPECT_EQ((want_gpa), self->v->run->npf.gpa);			\
	EXPECT_EQ((want_access), self->v->run->npf.flags);		\
} while (0)

/*
 * AXVM_MEM_USER_FAULT and AXVM_POPULATE (api.rst): "a guest access to a
 * page that is not [ready] makes AXVM_RUN return
 * AXVM_EXIT_NESTED_PAGE_FAULT with npf.gpa the address accessed and
 * npf.flags the access"; "running again without populating exits
 * again"; after AXVM_POPULATE the access completes, in the kernel, with
 * what userspace wrote, and so do later ones.
 */
TEST_F(gmem, user_fault_exits_until_populated)
{
	uint64_t page = getpagesize();
	long long npf0;
	char *hva;
	int ret;

	if (!self->vm)
		return;
	hva = map_anon(16 * page);
	ASSERT_NE(NULL, hva);
	ASSERT_EQ(1, axvm_cap(self->vm->sys_fd, AXVM_CAP_USER_FAULT));
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, AXVM_MEM_USER_FAULT,
				     A_GPA, 16 * page, hva));
	npf0 = axvm_exit_count(self->v->fd, AXVM_EXIT_NESTED_PAGE_FAULT);

	/* A read: exits, again and again until populated. */
	ret = run_to_exit(self->v, self->mbox, OP_READ, A_GPA + 3 * page + 8, 0);
	EXPECT_NPF(A_GPA + 3 * page + 8, AXVM_NPF_READ);
	ret = test_vcpu_run_exit(self->v);
	EXPECT_NPF(A_GPA + 3 * page + 8, AXVM_NPF_READ);
	*(uint64_t *)(hva + 3 * page + 8) = 0x77;
	ASSERT_EQ(0, populate(self->vm->fd, A_SLOT, 0, 3 * page, page));
	ret = test_vcpu_run_exit(self->v);
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, ret);
	EXPECT_EQ(0x77, GREAD(A_GPA + 3 * page + 8));

	/* A write, to a page beside it: the neighbour is not populated. */
	ret = run_to_exit(self->v, self->mbox, OP_WRITE, A_GPA + 4 * page, 5);
	EXPECT_NPF(A_GPA + 4 * page, AXVM_NPF_WRITE);
	ASSERT_EQ(0, populate(self->vm->fd, A_SLOT, 0, 4 * page, 2 * page));
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, test_vcpu_run_exit(self->v));
	EXPECT_EQ(5, *(uint64_t *)(hva + 4 * page));
	EXPECT_EQ(A_GPA + 5 * page, GWRITE(A_GPA + 5 * page, 6));
	EXPECT_EQ(6, *(uint64_t *)(hva + 5 * page));

	/* An instruction fetch: the code comes with the populate. */
	ret = run_to_exit(self->v, self->mbox, OP_CALL, A_GPA + 7 * page, 0);
	EXPECT_NPF(A_GPA + 7 * page, AXVM_NPF_EXEC);
	memcpy(hva + 7 * page, ret_insn, sizeof(ret_insn));
	ASSERT_EQ(0, populate(self->vm->fd, A_SLOT, 0, 7 * page, page));
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, test_vcpu_run_exit(self->v));

	/* Four exits in all: two reads, a write, a fetch; none since. */
	EXPECT_EQ(0x77, GREAD(A_GPA + 3 * page + 8));
	EXPECT_EQ(npf0 + 4,
		  axvm_exit_count(self->v->fd, AXVM_EXIT_NESTED_PAGE_FAULT));
	munmap(hva, 16 * page);
}

#define LOG_PAGES	100	/* two bitmap words, the second partly used */

static int get_log(int vm, uint32_t slot, uint64_t *bits)
{
	struct axvm_dirty_log log = {
		.slot = slot,
		.bitmap = (uintptr_t)bits,
	};

	return ioctl(vm, AXVM_GET_DIRTY_LOG, &log);
}

/* The pages set in a bitmap, as "1 5 64" for messages and checks. */
static const char *pages_of(const uint64_t *bits, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < 128 && len < size; i++)
		if (bits[i / 64] >> (i % 64) & 1)
			len += snprintf(buf + len, size - len, "%s%d",
					len ? " " : "", i);
	return buf;
}

#define EXPECT_LOG(want)						\
do {									\
	uint64_t __bits[3] = { 0, 0, 0x5a5a5a5a5a5a5a5aULL };		\
	char __got[256];						\
									\
	ASSERT_EQ(0, get_log(self->vm->fd, A_SLOT, __bits));		\
	EXPECT_STREQ(want, pages_of(__bits, __got, sizeof(__got)));	\
	/* Two words for 100 pages, not a byte more. */			\
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aULL, __bits[2]);			\
} while (0)

/*
 * AXVM_GET_DIRTY_LOG (api.rst): "bit n set when page n of the region was
 * written since the previous call (or since logging began); the call
 * clears what it reports". Reads are not writes; the VMM's own writes
 * are not logged; a page written before logging began, and mapped
 * writable then, is reported when the guest writes it again.
 */
TEST_F(gmem, dirty_log_reports_each_write_once)
{
	uint64_t bits[2];
	char *hva;

	if (!self->vm)
		return;
	hva = map_anon(LOG_PAGES * PAGE);
	ASSERT_NE(NULL, hva);
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, A_GPA,
				     LOG_PAGES * PAGE, hva));
	/* Not logging yet: the call says so. */
	EXPECT_EQ(-1, get_log(self->vm->fd, A_SLOT, bits));
	EXPECT_EQ(EINVAL, errno);
	GWRITE(A_GPA + 20 * PAGE, 1);	/* mapped writable, unlogged */

	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, AXVM_MEM_LOG_DIRTY,
				     A_GPA, LOG_PAGES * PAGE, hva));
	EXPECT_LOG("");
	GWRITE(A_GPA + 1 * PAGE, 1);
	GWRITE(A_GPA + 5 * PAGE + 8, 1);
	GWRITE(A_GPA + 20 * PAGE, 2);
	GWRITE(A_GPA + 64 * PAGE, 1);
	GWRITE(A_GPA + 99 * PAGE + PAGE - 8, 1);
	GREAD(A_GPA + 2 * PAGE);
	hva[10 * PAGE] = 1;		/* the VMM's write */
	EXPECT_LOG("1 5 20 64 99");
	EXPECT_LOG("");

	/* Written again after the call: reported again, alone. */
	GREAD(A_GPA + 5 * PAGE);
	GWRITE(A_GPA + 5 * PAGE, 7);
	GWRITE(A_GPA + 5 * PAGE + 16, 8);
	EXPECT_LOG("5");
	EXPECT_EQ(7, *(uint64_t *)(hva + 5 * PAGE));

	/* Logging off and on again: nothing from before it restarted. */
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, 0, A_GPA,
				     LOG_PAGES * PAGE, hva));
	GWRITE(A_GPA + 30 * PAGE, 1);
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, AXVM_MEM_LOG_DIRTY,
				     A_GPA, LOG_PAGES * PAGE, hva));
	EXPECT_LOG("");
	GWRITE(A_GPA + 30 * PAGE, 2);
	EXPECT_LOG("30");

	/* A move keeps the log: pages count from the region's start. */
	GWRITE(A_GPA + 3 * PAGE, 1);
	ASSERT_EQ(0, axvm_set_region(self->vm->fd, A_SLOT, AXVM_MEM_LOG_DIRTY,
				     B_GPA, LOG_PAGES * PAGE, hva));
	GWRITE(B_GPA + 4 * PAGE, 1);
	EXPECT_LOG("3 4");
	munmap(hva, LOG_PAGES * PAGE);
}

TEST_HARNESS_MAIN
