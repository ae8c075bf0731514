// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.x, section 5.2) on a file or block device. Data
 * goes straight between the file and guest memory with pread/pwrite, one
 * call per buffer of the chain.
 *
 * A request is a 16-byte header in the device-readable bytes, then for a
 * write the data; the device-writable bytes end with the status byte,
 * preceded for a read by the data. No framing is assumed (any layout is
 * part of virtio 1.x). A request that does not fit this format is failed
 * with VIRTIO_BLK_S_IOERR; one without even a writable byte for the
 * status cannot be answered and goes back with used length 0.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio.h"

#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_FLUSH	9

#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8

#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_BLK_ID_BYTES	20
#define SECTOR_SIZE		512

/* Config space offsets. */
#define VIRTIO_BLK_CFG_CAPACITY	0
#define VIRTIO_BLK_CFG_SEG_MAX	12

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct virtio_blk {
	struct virtio_dev vdev;
	int fd;
	bool readonly;
	uint64_t capacity;		/* in 512-byte sectors */
	struct vq_chain chain;		/* the request at hand, under lock */
};

static const char blk_id[VIRTIO_BLK_ID_BYTES] = "axvm-vblk";

static struct virtio_blk *to_blk(struct virtio_dev *vdev)
{
	return container_of(vdev, struct virtio_blk, vdev);
}

/* All of one buffer, or -1: an error, or the file ended early. */
static int xfer(int fd, uint8_t *p, uint64_t n, uint64_t pos, bool write)
{
	ssize_t r;

	while (n) {
		if (write)
			r = pwrite(fd, p, n, pos);
		else
			r = pread(fd, p, n, pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= r;
		pos += r;
	}
	return 0;
}

/*
 * Move @len bytes between the file at @pos and the chain's readable
 * (@write) or writable bytes, skipping the first @skip of them.
 */
static int blk_rw(struct virtio_blk *blk, const struct vq_chain *c,
		  bool write, uint64_t pos, uint64_t skip, uint64_t len)
{
	unsigned int i = write ? 0 : c->nr_readable;
	unsigned int end = write ? c->nr_readable : c->nr;
	uint64_t n;

	for (; i < end && len; i++) {
		n = c->seg[i].len;
		if (skip >= n) {
			skip -= n;
			continue;
		}
		n -= skip;
		if (n > len)
			n = len;
		if (xfer(blk->fd, c->seg[i].p + skip, n, pos, write))
			return -1;
		pos += n;
		len -= n;
		skip = 0;
	}
	return len ? -1 : 0;
}

static uint8_t blk_io(struct virtio_blk *blk, const struct vq_chain *c,
		      bool write, uint64_t sector, uint64_t len)
{
	uint64_t nsect = len / SECTOR_SIZE;

	/* Whole sectors, and a used length that fits its 32 bits. */
	if (len % SECTOR_SIZE || len >= UINT32_MAX)
		return VIRTIO_BLK_S_IOERR;
	if (sector > blk->capacity || nsect > blk->capacity - sector)
		return VIRTIO_BLK_S_IOERR;
	if (write && blk->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (blk_rw(blk, c, write, sector * SECTOR_SIZE,
		   write ? sizeof(struct virtio_blk_req_hdr) : 0, len))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/* Carry out one request; returns the used length. */
static uint32_t blk_request(struct virtio_blk *blk, const struct vq_chain *c)
{
	struct virtio_blk_req_hdr hdr;
	uint64_t dlen = 0;
	uint8_t status;
	uint32_t used;

	if (!c->writable_len)
		return 0;
	/* Data before the status byte, which is the last writable one. */
	if (c->writable_len > 1)
		dlen = c->writable_len - 1;
	used = 1;
	if (vq_copy_from(c, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		status = VIRTIO_BLK_S_IOERR;
		goto out;
	}
	switch (le32toh(hdr.type)) {
	case VIRTIO_BLK_T_IN:
		status = blk_io(blk, c, false, le64toh(hdr.sector), dlen);
		if (status == VIRTIO_BLK_S_OK)
			used += dlen;
		break;
	case VIRTIO_BLK_T_OUT:
		status = blk_io(blk, c, true, le64toh(hdr.sector),
				c->readable_len - sizeof(hdr));
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = fdatasync(blk->fd) ? VIRTIO_BLK_S_IOERR :
					      VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (dlen > sizeof(blk_id))
			dlen = sizeof(blk_id);
		used += vq_copy_to(c, 0, blk_id, dlen);
		status = VIRTIO_BLK_S_OK;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
out:
	vq_copy_to(c, c->writable_len - 1, &status, 1);
	return used;
}

static void blk_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct virtio_blk *blk = to_blk(vdev);
	struct virtqueue *vq = &vdev->vq[q];

	while (vq_pop(vq, &blk->chain) > 0)
		vq_push(vq, blk->chain.head, blk_request(blk, &blk->chain));
}

static void blk_destroy(struct virtio_dev *vdev)
{
	free(to_blk(vdev));
}

static const struct virtio_dev_ops blk_ops = {
	.notify = blk_notify,
	.destroy = blk_destroy,
};

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

struct virtio_dev *virtio_blk_create(struct guest_mem *mem, int fd,
				     bool readonly)
{
	uint64_t features = 1ULL << VIRTIO_BLK_F_SEG_MAX |
			    1ULL << VIRTIO_BLK_F_FLUSH;
	struct virtio_blk *blk;
	off_t size;

	/* lseek rather than fstat: it sizes block devices too. */
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return NULL;
	blk = calloc(1, sizeof(*blk));
	if (!blk)
		return NULL;
	if (readonly)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	virtio_dev_init(&blk->vdev, "virtio-blk", mem, VIRTIO_ID_BLOCK,
			features, 1, &blk_ops);
	blk->fd = fd;
	blk->readonly = readonly;
	blk->capacity = (uint64_t)size / SECTOR_SIZE;
	put_le64(blk->vdev.config + VIRTIO_BLK_CFG_CAPACITY, blk->capacity);
	/*
	 * Data pieces per request, leaving room for header and status in a
	 * chain no longer than the largest queue.
	 */
	put_le32(blk->vdev.config + VIRTIO_BLK_CFG_SEG_MAX, VIRTQ_MAX_SIZE - 2);
	return &blk->vdev;
}
