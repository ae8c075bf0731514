// SPDX-License-Identifier: GPL-2.0
/*
 * PCI configuration space for one bus, behind ECAM and the PC's
 * mechanism #1, and MSI-X. Registers behave as the PCI Local Bus 3.0
 * specification has them: a write changes only the bits the header or
 * capability defines as read-write (the function's write mask), BARs
 * read back their size after all ones are written (6.2.5.1), absent
 * functions read all ones. Status bits are not write-one-to-clear:
 * no function here ever sets an error bit.
 *
 * Locking: the ECAM and conf1 devices' locks are held by the bus; a
 * function's own lock (its BAR device's) is taken inside them, never
 * the other way round.
 */
#include <errno.h>
#include <string.h>

#include "pci.h"

#define CONF1_PORT		0xcf8
#define CONF1_ADDR_ENABLE	0x80000000u
#define CONF1_RESET_OFF		1	/* 0xcf9 */
#define RST_CPU			0x4

void pci_func_init(struct pci_func *f, uint16_t vendor, uint16_t device,
		   uint8_t revision, uint32_t class, uint16_t subsys_vendor,
		   uint16_t subsys, uint8_t int_pin)
{
	memset(f->cfg, 0, sizeof(f->cfg));
	memset(f->wmask, 0, sizeof(f->wmask));
	memset(f->bar_size, 0, sizeof(f->bar_size));
	memset(&f->msix, 0, sizeof(f->msix));
	put_le(f->cfg + PCI_VENDOR_ID, 2, vendor);
	put_le(f->cfg + PCI_DEVICE_ID, 2, device);
	f->cfg[PCI_REVISION_ID] = revision;
	put_le(f->cfg + PCI_CLASS_PROG, 3, class);
	put_le(f->cfg + PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor);
	put_le(f->cfg + PCI_SUBSYSTEM_ID, 2, subsys);
	f->cfg[PCI_INTERRUPT_PIN] = int_pin;
	put_le(f->wmask + PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
	       PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	f->wmask[PCI_INTERRUPT_LINE] = 0xff;
	f->cap_end = 0x40;		/* after the type 0 header */
	f->cap_last = PCI_CAPABILITY_LIST;
}

unsigned int pci_add_cap(struct pci_func *f, uint8_t id, unsigned int len)
{
	unsigned int off = (f->cap_end + 3) & ~3u;

	/* The capability list lives in the first 256 bytes. */
	if (len < 2 || off + len > 0x100)
		return 0;
	f->cfg[off] = id;
	f->cfg[off + 1] = 0;
	f->cfg[f->cap_last] = off;
	f->cap_last = off + 1;
	f->cap_end = off + len;
	put_le(f->cfg + PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	return off;
}

int pci_add_msix(struct pci_func *f, unsigned int nr, unsigned int bar,
		 uint32_t table_off, uint32_t pba_off, pci_msi_fn send,
		 void *opaque)
{
	struct pci_msix *m = &f->msix;
	unsigned int cap, i;

	if (!nr || nr > PCI_MSIX_MAX || bar >= PCI_NUM_BARS ||
	    (table_off | pba_off) & 7)
		return -1;
	cap = pci_add_cap(f, PCI_CAP_ID_MSIX, PCI_MSIX_CAP_LEN);
	if (!cap)
		return -1;
	put_le(f->cfg + cap + PCI_MSIX_FLAGS, 2, nr - 1);
	/* Enable and Function Mask are the only writable bits. */
	f->wmask[cap + PCI_MSIX_FLAGS + 1] = 0xc0;
	put_le(f->cfg + cap + PCI_MSIX_TABLE, 4, table_off | bar);
	put_le(f->cfg + cap + PCI_MSIX_PBA, 4, pba_off | bar);
	m->cap = cap;
	m->nr = nr;
	/* Entries come out of reset masked (6.8.2.9). */
	for (i = 0; i < nr; i++)
		m->table[i * PCI_MSIX_ENTRY_SIZE + 12] =
			PCI_MSIX_ENTRY_CTRL_MASKBIT;
	m->send = send;
	m->opaque = opaque;
	return 0;
}

uint16_t pci_command(const struct pci_func *f)
{
	return get_le(f->cfg + PCI_COMMAND, 2);
}

bool pci_bar_decodes(const struct pci_func *f, unsigned int bar,
		     uint64_t base)
{
	return bar < PCI_NUM_BARS && f->bar_size[bar] &&
	       (pci_command(f) & PCI_COMMAND_MEMORY) &&
	       (get_le(f->cfg + PCI_BAR0 + 4 * bar, 4) & ~0xfu) == base;
}

static uint16_t msix_flags(const struct pci_func *f)
{
	return get_le(f->cfg + f->msix.cap + PCI_MSIX_FLAGS, 2);
}

bool pci_msix_enabled(const struct pci_func *f)
{
	return f->msix.cap && (msix_flags(f) & PCI_MSIX_FLAGS_ENABLE);
}

bool pci_bus_master(const struct pci_func *f)
{
	return pci_command(f) & PCI_COMMAND_MASTER;
}

/*
 * Held back: masked by the entry or the function, or Bus Master Enable
 * clear, without which a function may not send MSI-X (PCI 3.0, 6.8.1.3).
 */
static bool msix_masked(const struct pci_func *f, unsigned int vec)
{
	return !pci_bus_master(f) ||
	       (msix_flags(f) & PCI_MSIX_FLAGS_MASKALL) ||
	       (f->msix.table[vec * PCI_MSIX_ENTRY_SIZE + 12] &
		PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void msix_send(struct pci_func *f, unsigned int vec)
{
	const uint8_t *e = f->msix.table + vec * PCI_MSIX_ENTRY_SIZE;

	f->msix.send(f->msix.opaque, get_le(e, 8), get_le(e + 8, 4));
}

void pci_msix_notify(struct pci_func *f, unsigned int vec)
{
	if (vec >= f->msix.nr || !pci_msix_enabled(f))
		return;
	/* A masked vector's message waits in the PBA (6.8.2.9). */
	if (msix_masked(f, vec)) {
		f->msix.pba |= 1u << vec;
		return;
	}
	msix_send(f, vec);
}

/* After a mask was cleared: send what became deliverable. */
static void msix_flush_pending(struct pci_func *f)
{
	unsigned int vec;

	if (!pci_msix_enabled(f))
		return;
	for (vec = 0; vec < f->msix.nr; vec++) {
		if (!(f->msix.pba & 1u << vec) || msix_masked(f, vec))
			continue;
		f->msix.pba &= ~(1u << vec);
		msix_send(f, vec);
	}
}

/* Software uses aligned DWORD or QWORD accesses only (6.8.2). */
static bool msix_access_ok(uint64_t off, unsigned int len, uint64_t size)
{
	return (len == 4 || len == 8) && !(off % len) && off + len <= size;
}

uint64_t pci_msix_table_read(struct pci_func *f, uint64_t off,
			     unsigned int len)
{
	uint64_t size = f->msix.nr * PCI_MSIX_ENTRY_SIZE;

	if (!msix_access_ok(off, len, size))
		return 0;
	return get_le(f->msix.table + off, len);
}

void pci_msix_table_write(struct pci_func *f, uint64_t off,
			  unsigned int len, uint64_t val)
{
	uint64_t size = f->msix.nr * PCI_MSIX_ENTRY_SIZE;
	unsigned int i;

	if (!msix_access_ok(off, len, size))
		return;
	for (i = 0; i < len; i += 4, off += 4, val >>= 32) {
		/* Vector Control: only the mask bit is defined. */
		if (off % PCI_MSIX_ENTRY_SIZE == 12)
			val = (val & ~0xffffffffULL) |
			      (val & PCI_MSIX_ENTRY_CTRL_MASKBIT);
		put_le(f->msix.table + off, 4, val);
	}
	msix_flush_pending(f);
}

uint64_t pci_msix_pba_read(struct pci_func *f, uint64_t off,
			   unsigned int len)
{
	if (!msix_access_ok(off, len, 8))
		return 0;
	return off ? 0 : f->msix.pba;
}

static struct pci_func *func_at(struct pci_host *h, unsigned int devfn)
{
	/* Single-function devices: function 0 of each slot only. */
	if (devfn & 7 || (devfn >> 3) >= PCI_MAX_SLOTS)
		return NULL;
	return h->slot[devfn >> 3];
}

/* Accesses within one aligned dword of config space (3.2.2.3.2). */
static bool cfg_access_ok(unsigned int off, unsigned int len)
{
	return (len == 1 || len == 2 || len == 4) && !(off % len) &&
	       off + len <= PCI_CFG_SIZE;
}

uint32_t pci_cfg_read(struct pci_host *h, unsigned int devfn,
		      unsigned int off, unsigned int len)
{
	struct pci_func *f = func_at(h, devfn);
	uint32_t val = 0;
	unsigned int i;

	if (!cfg_access_ok(off, len))
		return ~0u;
	if (!f)
		return len == 4 ? ~0u : (1u << (8 * len)) - 1;
	pthread_mutex_lock(f->lock);
	for (i = 0; i < len; i++)
		val |= (uint32_t)f->cfg[off + i] << (8 * i);
	if (f->ops && f->ops->cfg_read)
		val = f->ops->cfg_read(f, off, len, val);
	pthread_mutex_unlock(f->lock);
	return val;
}

void pci_cfg_write(struct pci_host *h, unsigned int devfn, unsigned int off,
		   unsigned int len, uint32_t val)
{
	struct pci_func *f = func_at(h, devfn);
	unsigned int i;
	uint8_t m;

	if (!f || !cfg_access_ok(off, len))
		return;
	pthread_mutex_lock(f->lock);
	for (i = 0; i < len; i++, val >>= 8) {
		m = f->wmask[off + i];
		f->cfg[off + i] = (f->cfg[off + i] & ~m) | (val & m);
	}
	if (f->msix.cap && ((off <= f->msix.cap + PCI_MSIX_FLAGS + 1 &&
			     off + len > f->msix.cap + PCI_MSIX_FLAGS) ||
			    off == PCI_COMMAND))
		msix_flush_pending(f);
	if (f->ops && f->ops->cfg_written)
		f->ops->cfg_written(f, off, len);
	pthread_mutex_unlock(f->lock);
}

static struct pci_host *ecam_host(struct device *d)
{
	return container_of(d, struct pci_host, ecam);
}

static struct pci_host *conf1_host(struct device *d)
{
	return container_of(d, struct pci_host, conf1);
}

/* ECAM: bus 0, address bits 19:15 device, 14:12 function, 11:0 register. */
static uint64_t ecam_read(struct device *d, uint64_t off, unsigned int len)
{
	return pci_cfg_read(ecam_host(d), off >> 12, off & 0xfff, len);
}

static void ecam_write(struct device *d, uint64_t off, unsigned int len,
		       uint64_t val)
{
	pci_cfg_write(ecam_host(d), off >> 12, off & 0xfff, len, val);
}

/*
 * Mechanism #1: CONFIG_ADDRESS is a dword at 0xcf8 (bit 31 enable, bus
 * 23:16, device 15:11, function 10:8, register 7:2), CONFIG_DATA the
 * dword at 0xcfc. Byte accesses to 0xcf9 are the reset control
 * register, as on the PC chipsets that put it there.
 */
static bool conf1_target(struct pci_host *h, uint64_t off,
			 unsigned int *devfn, unsigned int *reg)
{
	uint32_t a = h->conf1_addr;

	if (off < 4 || !(a & CONF1_ADDR_ENABLE) || (a >> 16 & 0xff))
		return false;
	*devfn = a >> 8 & 0xff;
	*reg = (a & 0xfc) + (off - 4);
	return true;
}

static uint64_t conf1_read(struct device *d, uint64_t off, unsigned int len)
{
	struct pci_host *h = conf1_host(d);
	unsigned int devfn, reg;

	if (off == 0 && len == 4)
		return h->conf1_addr;
	if (off + len > 8 || !conf1_target(h, off, &devfn, &reg))
		return off < 4 ? 0 : ~0ULL;
	return pci_cfg_read(h, devfn, reg, len);
}

static void conf1_write(struct device *d, uint64_t off, unsigned int len,
			uint64_t val)
{
	struct pci_host *h = conf1_host(d);
	unsigned int devfn, reg;

	if (off == 0 && len == 4) {
		h->conf1_addr = val & 0x80fffffc;
		return;
	}
	if (off == CONF1_RESET_OFF && len == 1) {
		if ((val & RST_CPU) && h->reset)
			h->reset(h->opaque);
		return;
	}
	if (off + len <= 8 && conf1_target(h, off, &devfn, &reg))
		pci_cfg_write(h, devfn, reg, len, val);
}

static const struct device_ops ecam_ops = {
	.read = ecam_read,
	.write = ecam_write,
};

static const struct device_ops conf1_ops = {
	.read = conf1_read,
	.write = conf1_write,
};

int pci_host_init(struct pci_host *h, struct bus *bus, uint64_t ecam_base,
		  uint64_t mem_base, uint64_t mem_end)
{
	int ret;

	device_init(&h->ecam, "pci-ecam", IO_MMIO, ecam_base,
		    PCI_ECAM_BUS_SIZE, &ecam_ops);
	device_init(&h->conf1, "pci-conf1", IO_PIO, CONF1_PORT, 8, &conf1_ops);
	h->conf1_addr = 0;
	memset(h->slot, 0, sizeof(h->slot));
	h->mem_next = mem_base;
	h->mem_end = mem_end;
	ret = bus_add(bus, &h->ecam);
	if (!ret)
		ret = bus_add(bus, &h->conf1);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

int pci_host_add(struct pci_host *h, struct pci_func *f, unsigned int bar,
		 uint32_t size, uint64_t *base)
{
	unsigned int slot;
	uint64_t at;

	for (slot = 0; slot < PCI_MAX_SLOTS && h->slot[slot]; slot++)
		;
	if (slot == PCI_MAX_SLOTS || bar >= PCI_NUM_BARS) {
		errno = ENOSPC;
		return -1;
	}
	if (size) {
		if (size < 4096 || (size & (size - 1))) {
			errno = EINVAL;
			return -1;
		}
		/* Naturally aligned, as BAR sizing implies. */
		at = (h->mem_next + size - 1) & ~(uint64_t)(size - 1);
		if (at + size > h->mem_end) {
			errno = ENOSPC;
			return -1;
		}
		h->mem_next = at + size;
		/* 32-bit, non-prefetchable memory: type bits all zero. */
		put_le(f->cfg + PCI_BAR0 + 4 * bar, 4, at);
		put_le(f->wmask + PCI_BAR0 + 4 * bar, 4, ~(size - 1));
		f->bar_size[bar] = size;
		*base = at;
	}
	h->slot[slot] = f;
	return slot;
}
