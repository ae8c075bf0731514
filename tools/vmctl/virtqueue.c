// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues, device side. The guest is not trusted: it may hand us
 * chains that loop, point outside its RAM, or rewrite the rings while we
 * read them. Each descriptor is copied out of guest memory once and
 * checked before any of its buffer is touched.
 *
 * What happens to a bad guest (the choice the spec leaves to devices):
 *  - A bad chain (loops, `next` out of range, buffer outside RAM or
 *    wrapping, nested or malformed indirect table, readable after
 *    writable, longer than the queue) is refused on its own: it goes back
 *    to the used ring with length 0 and the queue carries on. Its head was
 *    a valid index, so the driver can still account for it.
 *  - A corrupt avail ring (idx more than the queue size ahead of us, or a
 *    head index out of range) leaves no way to tell which buffers the
 *    driver meant: the queue is marked broken and the transport puts the
 *    whole device into DEVICE_NEEDS_RESET.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtqueue.h"

static bool is_pow2(uint32_t n)
{
	return n && !(n & (n - 1));
}

bool vq_enable(struct virtqueue *vq, struct guest_mem *mem)
{
	uint64_t n = vq->num;
	void *desc, *avail, *used;

	if (!is_pow2(vq->num) || vq->num > VIRTQ_MAX_SIZE)
		return false;
	/* Section 2.7: descriptor table 16, avail ring 2, used ring 4. */
	if (vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4)
		return false;
	desc = guest_ptr(mem, vq->desc_gpa, n * sizeof(struct virtq_desc));
	avail = guest_ptr(mem, vq->avail_gpa,
			  sizeof(struct virtq_avail) + n * sizeof(uint16_t));
	used = guest_ptr(mem, vq->used_gpa, sizeof(struct virtq_used) +
			 n * sizeof(struct virtq_used_elem));
	if (!desc || !avail || !used)
		return false;
	/*
	 * The idx and flags fields are accessed atomically, which needs host
	 * alignment too; it follows from the guest's unless guest RAM is
	 * mapped at an odd host address.
	 */
	if ((uintptr_t)avail % 2 || (uintptr_t)used % 4)
		return false;
	vq->mem = mem;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->pushed = false;
	vq->broken = false;
	vq->ready = true;
	return true;
}

void vq_reset(struct virtqueue *vq)
{
	memset(vq, 0, sizeof(*vq));
}

/*
 * Map the chain starting at c->head into c->seg[]. 0 when it is well
 * formed, else a negative errno saying what was wrong with it.
 */
static int vq_walk(struct virtqueue *vq, struct vq_chain *c)
{
	const struct virtq_desc *table = vq->desc;
	uint32_t size = vq->num, visits = 0, descs = 0;
	bool indirect = false, writable = false;
	uint32_t i = c->head;
	struct virtq_desc d;
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint8_t *p;

	c->nr = 0;
	c->nr_readable = 0;
	c->readable_len = 0;
	c->writable_len = 0;
	for (;;) {
		/* A chain that loops comes back within @size steps. */
		if (++visits > size)
			return -ELOOP;
		/* One copy: the guest may change the table under us. */
		memcpy(&d, &table[i], sizeof(d));
		addr = le64toh(d.addr);
		len = le32toh(d.len);
		flags = le16toh(d.flags);

		if (flags & VIRTQ_DESC_F_INDIRECT) {
			/*
			 * Only one level of table, only when negotiated, and
			 * the spec forbids INDIRECT together with NEXT. A table
			 * holds at most the queue size of descriptors.
			 */
			if (indirect || !vq->indirect ||
			    (flags & VIRTQ_DESC_F_NEXT))
				return -EINVAL;
			if (!len || len % sizeof(d) ||
			    len / sizeof(d) > vq->num)
				return -EINVAL;
			table = guest_ptr(vq->mem, addr, len);
			if (!table)
				return -EFAULT;
			indirect = true;
			size = len / sizeof(d);
			visits = 0;
			i = 0;
			continue;
		}

		/*
		 * The spec limits a chain, indirect table included, to the
		 * queue size; it also bounds c->seg[].
		 */
		if (++descs > vq->num)
			return -E2BIG;
		if (flags & VIRTQ_DESC_F_WRITE)
			writable = true;
		else if (writable)
			return -EINVAL;
		p = guest_ptr(vq->mem, addr, len);
		if (!p)
			return -EFAULT;
		if (len) {
			c->seg[c->nr].p = p;
			c->seg[c->nr].len = len;
			c->nr++;
			if (writable) {
				c->writable_len += len;
			} else {
				c->nr_readable++;
				c->readable_len += len;
			}
		}

		if (!(flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = le16toh(d.next);
		if (i >= size)
			return -EINVAL;
	}
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	uint16_t idx, head;

	if (vq->broken)
		return -1;
	if (!vq->ready)
		return 0;
	for (;;) {
		/*
		 * Acquire: the ring entries and descriptors the driver wrote
		 * before bumping idx are read only after idx.
		 */
		idx = le16toh(__atomic_load_n(&vq->avail->idx,
					      __ATOMIC_ACQUIRE));
		if (idx == vq->last_avail)
			return 0;
		if ((uint16_t)(idx - vq->last_avail) > vq->num)
			goto broken;
		head = le16toh(__atomic_load_n(&vq->avail->ring[vq->last_avail %
							       vq->num],
					       __ATOMIC_RELAXED));
		if (head >= vq->num)
			goto broken;
		vq->last_avail++;
		c->head = head;
		if (!vq_walk(vq, c))
			return 1;
		vq_push(vq, head, 0);
	}
broken:
	vq->broken = true;
	return -1;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct virtq_used_elem *e = &vq->used->ring[vq->used_idx % vq->num];

	__atomic_store_n(&e->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, htole32(len), __ATOMIC_RELAXED);
	vq->used_idx++;
	/*
	 * Release: the element, and the data written into the buffers, are
	 * visible before the driver can see the new idx.
	 */
	__atomic_store_n(&vq->used->idx, htole16(vq->used_idx),
			 __ATOMIC_RELEASE);
	vq->pushed = true;
}

bool vq_want_signal(struct virtqueue *vq)
{
	uint16_t flags;

	/*
	 * Full barrier: the used idx store must be ordered before the flags
	 * load, or a driver that re-enables interrupts and then checks the
	 * used ring could miss both the entry and the interrupt.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = le16toh(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED));
	return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

size_t vq_copy_from(const struct vq_chain *c, uint64_t off, void *buf,
		    size_t len)
{
	uint8_t *dst = buf;
	size_t done = 0, n;
	unsigned int i;

	for (i = 0; i < c->nr_readable && done < len; i++) {
		if (off >= c->seg[i].len) {
			off -= c->seg[i].len;
			continue;
		}
		n = c->seg[i].len - off;
		if (n > len - done)
			n = len - done;
		memcpy(dst + done, c->seg[i].p + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vq_copy_to(const struct vq_chain *c, uint64_t off, const void *buf,
		  size_t len)
{
	const uint8_t *src = buf;
	size_t done = 0, n;
	unsigned int i;

	for (i = c->nr_readable; i < c->nr && done < len; i++) {
		if (off >= c->seg[i].len) {
			off -= c->seg[i].len;
			continue;
		}
		n = c->seg[i].len - off;
		if (n > len - done)
			n = len - done;
		memcpy(c->seg[i].p + off, src + done, n);
		done += n;
		off = 0;
	}
	return done;
}
