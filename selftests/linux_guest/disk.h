/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The disk the Linux guest test boots with: its layout, the pattern the
 * host side writes and the guest's /init checks through virtio-blk, and
 * the line the guest writes back. Shared by linux_boot_test (writer and
 * final reader), the lane's /init (the demo) and the guest's /init.
 *
 *   sector 0        "AXVM-LINUX-DISK seed=XXXXXXXX sectors=N sum=XXXXXXXX\n",
 *                   zero padded
 *   sectors 1..N-2  LG_DATA_SECTORS of pattern bytes from the seed; sum is
 *                   their FNV-1a hash
 *   sector N-1      zeros; the guest writes
 *                   "AXVM-LINUX-WROTE seed=XXXXXXXX sum=XXXXXXXX\n" there
 */
#ifndef AXVM_LINUX_GUEST_DISK_H
#define AXVM_LINUX_GUEST_DISK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LG_SECTOR		512
#define LG_SECTORS		2048			/* 1 MiB */
#define LG_DATA_SECTORS		(LG_SECTORS - 2)
#define LG_DISK_SIZE		(LG_SECTORS * LG_SECTOR)
#define LG_DATA_OFF		LG_SECTOR
#define LG_DATA_SIZE		(LG_DATA_SECTORS * LG_SECTOR)
#define LG_WRITE_OFF		((LG_SECTORS - 1) * LG_SECTOR)

#define LG_HEADER_FMT		"AXVM-LINUX-DISK seed=%08x sectors=%u sum=%08x\n"
#define LG_WROTE_FMT		"AXVM-LINUX-WROTE seed=%08x sum=%08x\n"

/* The lines the guest's /init prints on its console. */
#define LG_MARKER		"AXVM-LINUX-USERSPACE"
#define LG_RESULT_OK		"AXVM-LINUX-OK"
#define LG_RESULT_FAIL		"AXVM-LINUX-FAIL"

/* xorshift32: any seed but 0 gives a long, cheap sequence. */
static inline uint32_t lg_next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* The pattern of the data sectors, from @seed. */
static inline void lg_fill(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed ? seed : 0x2545f491;
	uint32_t v;
	size_t i;

	for (i = 0; i < len; i += 4) {
		v = lg_next(&x);
		memcpy(buf + i, &v, len - i < 4 ? len - i : 4);
	}
}

/* 32-bit FNV-1a. */
static inline uint32_t lg_sum(const uint8_t *buf, size_t len)
{
	uint32_t h = 0x811c9dc5;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= buf[i];
		h *= 0x01000193;
	}
	return h;
}

/*
 * The whole disk image for @seed into @disk (LG_DISK_SIZE bytes); the
 * data sectors' sum in *@sum.
 */
static inline void lg_make_disk(uint8_t *disk, uint32_t seed, uint32_t *sum)
{
	memset(disk, 0, LG_DISK_SIZE);
	lg_fill(disk + LG_DATA_OFF, LG_DATA_SIZE, seed);
	*sum = lg_sum(disk + LG_DATA_OFF, LG_DATA_SIZE);
	snprintf((char *)disk, LG_SECTOR, LG_HEADER_FMT, seed,
		 (unsigned int)LG_SECTORS, *sum);
}

#endif /* AXVM_LINUX_GUEST_DISK_H */
