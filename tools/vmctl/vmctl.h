/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vmctl's parts share: guest memory as device models see it,
 * interrupt lines, and the bus that routes MMIO and port I/O exits to
 * device models. Device models include only this (and their own header),
 * so that host unit tests build them without a VM.
 */
#ifndef VMCTL_H
#define VMCTL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Guest RAM: one range of guest physical addresses, mapped at @host. */
struct guest_mem {
	uint8_t *host;
	uint64_t base;
	uint64_t size;
};

/*
 * The host address of [gpa, gpa + len) when all of it is guest RAM, else
 * NULL. Device models reach guest memory only through this: whatever
 * addresses and lengths a guest hands them, nothing outside its RAM.
 */
static inline void *guest_ptr(const struct guest_mem *m, uint64_t gpa,
			      uint64_t len)
{
	if (gpa < m->base || len > m->size || gpa - m->base > m->size - len)
		return NULL;
	return m->host + (gpa - m->base);
}

/*
 * An interrupt line from a device into the VM. @nr is the line's number
 * on the machine's interrupt controller (an SPI number on arm64, a PLIC
 * source on riscv64, an ISA IRQ on x86), as the device tree or the
 * firmware tables give it to the guest.
 */
struct irq_line {
	void (*set)(struct irq_line *line, int level);
	unsigned int nr;
	void *opaque;
};

static inline void irq_set(struct irq_line *line, int level)
{
	if (line && line->set)
		line->set(line, level);
}

enum io_space {
	IO_MMIO,
	IO_PIO,		/* x86 ports */
	IO_SPACES
};

struct device;

/*
 * Register accesses: @off from the device's base, @len 1, 2, 4 or 8,
 * values in the low @len bytes. Called with the device's lock held.
 */
struct device_ops {
	uint64_t (*read)(struct device *dev, uint64_t off, unsigned int len);
	void (*write)(struct device *dev, uint64_t off, unsigned int len,
		      uint64_t val);
};

struct device {
	const char *name;
	enum io_space space;
	uint64_t base;
	uint64_t size;
	const struct device_ops *ops;
	/* Serialises register accesses with the device's other threads. */
	pthread_mutex_t lock;
	struct device *next;	/* on the bus */
};

/* @n bytes at @p, little-endian (guest tables, registers, headers). */
static inline uint64_t get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static inline void put_le(uint8_t *p, unsigned int n, uint64_t v)
{
	while (n--) {
		*p++ = v;
		v >>= 8;
	}
}

/* The low @len bytes of @val: what an access of that width carries. */
static inline uint64_t io_bytes(uint64_t val, unsigned int len)
{
	return len < 8 ? val & ((1ULL << (8 * len)) - 1) : val;
}

/* A device's place, handlers and lock, before bus_add() or any input. */
static inline void device_init(struct device *dev, const char *name,
			       enum io_space space, uint64_t base,
			       uint64_t size, const struct device_ops *ops)
{
	dev->name = name;
	dev->space = space;
	dev->base = base;
	dev->size = size;
	dev->ops = ops;
	dev->next = NULL;
	pthread_mutex_init(&dev->lock, NULL);
}

struct bus {
	struct device *head[IO_SPACES];
};

/*
 * @dev, set up with device_init(): -EINVAL for an empty or wrapping
 * range, -EEXIST on overlap.
 */
int bus_add(struct bus *bus, struct device *dev);
/*
 * One access, wholly inside one device, under its lock. False when no
 * device covers it; a read then gives all ones.
 */
bool bus_access(struct bus *bus, enum io_space space, uint64_t addr,
		unsigned int len, bool write, uint64_t *val);

/* write(2) all of @buf, retrying short writes and EINTR; -1 on error. */
int write_all(int fd, const void *buf, size_t len);

#endif /* VMCTL_H */
