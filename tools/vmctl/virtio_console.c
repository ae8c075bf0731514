// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio 1.x, section 5.3) with one port and no
 * features: queue 0 carries input to the guest, queue 1 its output.
 *
 * Input comes from another thread (the terminal reader). It goes into
 * whatever receive buffers the guest has posted, after any older input
 * still waiting; what finds no buffer waits in a small ring here, and what
 * does not fit in that is dropped, so a guest that never reads cannot make
 * vmctl grow. The ring survives a device reset, so what was typed while
 * the guest's driver (re)started still reaches it.
 */
#include <stdlib.h>
#include <string.h>

#include "virtio.h"

#define CONSOLE_RX	0
#define CONSOLE_TX	1

struct virtio_console {
	struct virtio_dev vdev;
	int out_fd;
	struct vq_chain chain;		/* under lock */
	uint8_t in[VIRTIO_CONSOLE_INBUF];
	size_t in_head;			/* first byte waiting */
	size_t in_len;			/* bytes waiting */
};

static struct virtio_console *to_console(struct virtio_dev *vdev)
{
	return container_of(vdev, struct virtio_console, vdev);
}

static size_t in_put(struct virtio_console *con, const uint8_t *buf,
		     size_t n)
{
	size_t done = 0, tail, chunk;

	while (done < n && con->in_len < sizeof(con->in)) {
		tail = (con->in_head + con->in_len) % sizeof(con->in);
		chunk = sizeof(con->in) - con->in_len;
		if (chunk > sizeof(con->in) - tail)
			chunk = sizeof(con->in) - tail;
		if (chunk > n - done)
			chunk = n - done;
		memcpy(con->in + tail, buf + done, chunk);
		con->in_len += chunk;
		done += chunk;
	}
	return done;
}

static size_t in_take(struct virtio_console *con, uint8_t *dst, size_t n)
{
	size_t done = 0, chunk;

	while (done < n && con->in_len) {
		chunk = con->in_len;
		if (chunk > sizeof(con->in) - con->in_head)
			chunk = sizeof(con->in) - con->in_head;
		if (chunk > n - done)
			chunk = n - done;
		memcpy(dst + done, con->in + con->in_head, chunk);
		con->in_head = (con->in_head + chunk) % sizeof(con->in);
		con->in_len -= chunk;
		done += chunk;
	}
	return done;
}

/*
 * Fill the receive buffers the guest posted, first with the input
 * waiting here, then with the caller's @*buf; what of that finds no
 * buffer is left in @*buf and @*n.
 */
static void console_fill_rx(struct virtio_console *con, const uint8_t **buf,
			    size_t *n)
{
	struct virtqueue *vq = &con->vdev.vq[CONSOLE_RX];
	struct vq_chain *c = &con->chain;
	uint32_t len, room, k;
	unsigned int i;
	uint8_t *p;

	if (!virtio_live(&con->vdev))
		return;
	while ((con->in_len || *n) && vq_pop(vq, c) > 0) {
		len = 0;
		/* Readable pieces in a receive chain are of no use: skip. */
		for (i = c->nr_readable; i < c->nr; i++) {
			p = c->seg[i].p;
			/* The used length is 32 bits. */
			room = c->seg[i].len;
			if (room > UINT32_MAX - len)
				room = UINT32_MAX - len;
			k = in_take(con, p, room);
			p += k;
			room -= k;
			len += k;
			k = room < *n ? room : *n;
			if (k) {
				memcpy(p, *buf, k);
				*buf += k;
				*n -= k;
				len += k;
			}
			if (!con->in_len && !*n)
				break;
		}
		vq_push(vq, c->head, len);
	}
}

static void console_tx(struct virtio_console *con)
{
	struct virtqueue *vq = &con->vdev.vq[CONSOLE_TX];
	struct vq_chain *c = &con->chain;
	unsigned int i;

	while (vq_pop(vq, c) > 0) {
		/*
		 * An output error cannot be reported to the guest (the queue
		 * has no status); its bytes are lost, the guest goes on.
		 */
		for (i = 0; i < c->nr_readable; i++)
			if (write_all(con->out_fd, c->seg[i].p, c->seg[i].len))
				break;
		vq_push(vq, c->head, 0);
	}
}

static void console_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct virtio_console *con = to_console(vdev);
	const uint8_t *none = NULL;
	size_t zero = 0;

	if (q == CONSOLE_TX)
		console_tx(con);
	else
		console_fill_rx(con, &none, &zero);
}

void virtio_console_input(struct virtio_dev *vdev, const uint8_t *buf,
			  size_t n)
{
	struct virtio_console *con = to_console(vdev);

	pthread_mutex_lock(&vdev->dev.lock);
	console_fill_rx(con, &buf, &n);
	in_put(con, buf, n);
	virtio_update(vdev);
	pthread_mutex_unlock(&vdev->dev.lock);
}

static void console_destroy(struct virtio_dev *vdev)
{
	free(to_console(vdev));
}

static const struct virtio_dev_ops console_ops = {
	.notify = console_notify,
	.destroy = console_destroy,
};

struct virtio_dev *virtio_console_create(struct guest_mem *mem, int out_fd)
{
	struct virtio_console *con = calloc(1, sizeof(*con));

	if (!con)
		return NULL;
	/* Config (cols, rows, max_nr_ports) is meaningless without features. */
	virtio_dev_init(&con->vdev, "virtio-console", mem, VIRTIO_ID_CONSOLE,
			0, 2, &console_ops);
	con->out_fd = out_fd;
	return &con->vdev;
}
