/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues (virtio 1.x, section 2.7) as a device sees them. The
 * rings live in guest RAM and the guest may rewrite any of it at any time,
 * so every index, address and length read from it is checked before use
 * and read only once.
 */
#ifndef VMCTL_VIRTQUEUE_H
#define VMCTL_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmctl.h"

/* The largest queue this device side offers (QueueNumMax). */
#define VIRTQ_MAX_SIZE		256

#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4

#define VIRTQ_AVAIL_F_NO_INTERRUPT	1

/* The guest's layout of the rings; all fields little-endian. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

struct virtqueue {
	/* Set by the transport while the queue is not ready. */
	uint32_t num;
	uint64_t desc_gpa;
	uint64_t avail_gpa;
	uint64_t used_gpa;
	bool indirect;		/* VIRTIO_RING_F_INDIRECT_DESC negotiated */

	/* Valid while ready. */
	bool ready;
	struct guest_mem *mem;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail;	/* the next avail ring entry to take */
	uint16_t used_idx;	/* what was last stored in used->idx */

	/* For the transport: something was put in the used ring. */
	bool pushed;
	/* The avail ring made no sense: the device must be reset. */
	bool broken;
};

/* One piece of a descriptor chain, mapped: host address and length. */
struct vq_seg {
	uint8_t *p;
	uint32_t len;
};

/*
 * A descriptor chain taken from the avail ring, every buffer of it checked
 * to lie in guest RAM. The device-readable pieces come first, then the
 * device-writable ones; pieces of length 0 are left out.
 */
struct vq_chain {
	uint16_t head;
	unsigned int nr;		/* pieces in seg[] */
	unsigned int nr_readable;	/* of which the first nr_readable */
	uint64_t readable_len;
	uint64_t writable_len;
	struct vq_seg seg[VIRTQ_MAX_SIZE];
};

/*
 * Map the rings and make the queue usable; false (queue left not ready)
 * when its size is not a power of two up to VIRTQ_MAX_SIZE or a ring is
 * not wholly in guest RAM or not aligned as the spec requires.
 */
bool vq_enable(struct virtqueue *vq, struct guest_mem *mem);
/* Back to the state after reset: not ready, nothing configured. */
void vq_reset(struct virtqueue *vq);

/*
 * Take the next available chain into @c. Returns 1 with a chain, 0 when
 * the ring is empty and -1 when the ring is corrupt (vq->broken is then
 * set and nothing more is taken). Chains that break the rules are
 * answered here with a used length of 0 and skipped, so callers only ever
 * see well-formed ones.
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *c);
/* Return a chain to the driver, @len bytes written into its buffers. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/* Whether the driver wants a used buffer notification now. */
bool vq_want_signal(struct virtqueue *vq);

/*
 * Copy bytes of the chain's readable (or writable) pieces, taken as one
 * byte stream, starting @off bytes into it; returns the bytes copied.
 */
size_t vq_copy_from(const struct vq_chain *c, uint64_t off, void *buf,
		    size_t len);
size_t vq_copy_to(const struct vq_chain *c, uint64_t off, const void *buf,
		  size_t len);

#endif /* VMCTL_VIRTQUEUE_H */
