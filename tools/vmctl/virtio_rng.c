// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (virtio 1.x, section 5.4): one queue whose device-writable
 * buffers are filled from the host's getrandom().
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "virtio.h"

/*
 * At most this much per request, so a guest asking for all of its RAM
 * does not hold the device for long; the used length says how much.
 */
#define RNG_MAX_PER_REQ		65536

struct virtio_rng {
	struct virtio_dev vdev;
	struct vq_chain chain;		/* under lock */
};

static struct virtio_rng *to_rng(struct virtio_dev *vdev)
{
	return container_of(vdev, struct virtio_rng, vdev);
}

/* Bytes of randomness put at @p, fewer than @n only on error. */
static size_t fill_random(uint8_t *p, size_t n)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = getrandom(p + done, n - done, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += r;
	}
	return done;
}

static void rng_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct virtio_rng *rng = to_rng(vdev);
	struct virtqueue *vq = &vdev->vq[q];
	struct vq_chain *c = &rng->chain;
	size_t len, n, got;
	unsigned int i;

	while (vq_pop(vq, c) > 0) {
		len = 0;
		for (i = c->nr_readable; i < c->nr && len < RNG_MAX_PER_REQ;
		     i++) {
			n = c->seg[i].len;
			if (n > RNG_MAX_PER_REQ - len)
				n = RNG_MAX_PER_REQ - len;
			got = fill_random(c->seg[i].p, n);
			len += got;
			if (got < n)
				break;
		}
		vq_push(vq, c->head, len);
	}
}

static void rng_destroy(struct virtio_dev *vdev)
{
	free(to_rng(vdev));
}

static const struct virtio_dev_ops rng_ops = {
	.notify = rng_notify,
	.destroy = rng_destroy,
};

struct virtio_dev *virtio_rng_create(struct guest_mem *mem)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		return NULL;
	virtio_dev_init(&rng->vdev, "virtio-rng", mem, VIRTIO_ID_RNG, 0, 1,
			&rng_ops);
	return &rng->vdev;
}
