// SPDX-License-Identifier: GPL-2.0
/* The MMIO and port I/O bus: which device model an exit's address hits. */
#include <errno.h>
#include <unistd.h>

#include "vmctl.h"

static bool overlaps(const struct device *a, const struct device *b)
{
	return a->base <= b->base + (b->size - 1) &&
	       b->base <= a->base + (a->size - 1);
}

int bus_add(struct bus *bus, struct device *dev)
{
	struct device **pp, *d;

	if (dev->space >= IO_SPACES || !dev->size ||
	    dev->base + (dev->size - 1) < dev->base)
		return -EINVAL;
	for (d = bus->head[dev->space]; d; d = d->next)
		if (overlaps(d, dev))
			return -EEXIST;
	/* Kept sorted by address: the device tree lists them in order. */
	for (pp = &bus->head[dev->space]; *pp && (*pp)->base < dev->base;
	     pp = &(*pp)->next)
		;
	dev->next = *pp;
	*pp = dev;
	return 0;
}

bool bus_access(struct bus *bus, enum io_space space, uint64_t addr,
		unsigned int len, bool write, uint64_t *val)
{
	struct device *d;

	if (space >= IO_SPACES || !len || len > 8)
		goto none;
	for (d = bus->head[space]; d; d = d->next) {
		if (addr < d->base || addr - d->base > d->size - len ||
		    len > d->size)
			continue;
		pthread_mutex_lock(&d->lock);
		if (write) {
			if (d->ops->write)
				d->ops->write(d, addr - d->base, len, *val);
		} else {
			*val = d->ops->read ? d->ops->read(d, addr - d->base,
							   len) : 0;
		}
		pthread_mutex_unlock(&d->lock);
		return true;
	}
none:
	if (!write)
		*val = ~0ULL;
	return false;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}
