/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A PCI host bridge with one bus (pci.c): configuration space through
 * ECAM (PCI Firmware 3.x, the MCFG region) and through the PC's
 * configuration mechanism #1 (ports 0xcf8/0xcfc), functions with 32-bit
 * memory BARs and MSI-X. vmctl plays firmware: it gives every BAR its
 * address before the guest runs.
 */
#ifndef VMCTL_PCI_H
#define VMCTL_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmctl.h"

#define PCI_CFG_SIZE		4096	/* PCIe extended config space */
#define PCI_ECAM_BUS_SIZE	(32 * 8 * PCI_CFG_SIZE)	/* one bus */
#define PCI_MAX_SLOTS		32
#define PCI_NUM_BARS		6

/* Type 0 header offsets (PCI Local Bus 3.0, 6.1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT	0x0008
#define PCI_STATUS_CAP_LIST	0x0010

#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11

/* MSI-X (PCI Local Bus 3.0, 6.8.2). */
#define PCI_MSIX_FLAGS		2	/* from the capability */
#define PCI_MSIX_TABLE		4
#define PCI_MSIX_PBA		8
#define PCI_MSIX_CAP_LEN	12
#define PCI_MSIX_FLAGS_QSIZE	0x07ff
#define PCI_MSIX_FLAGS_MASKALL	0x4000
#define PCI_MSIX_FLAGS_ENABLE	0x8000
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1
#define PCI_MSIX_MAX		32	/* entries vmctl gives a function */

struct pci_func;

/* What a function's owner hears of. Called with the function's lock. */
struct pci_func_ops {
	/* Config bytes [@off, @off + @len) were written. */
	void (*cfg_written)(struct pci_func *f, unsigned int off,
			    unsigned int len);
	/* A read of a config byte the function computes (NULL: stored). */
	uint32_t (*cfg_read)(struct pci_func *f, unsigned int off,
			     unsigned int len, uint32_t stored);
};

/* Where an MSI goes: the VM's MSI path (AXVM_SIGNAL_MSI on x86). */
typedef void (*pci_msi_fn)(void *opaque, uint64_t address, uint32_t data);

struct pci_msix {
	unsigned int cap;		/* config offset, 0: none */
	unsigned int nr;		/* table entries */
	uint8_t table[PCI_MSIX_MAX * PCI_MSIX_ENTRY_SIZE];
	uint32_t pba;			/* pending bits */
	pci_msi_fn send;
	void *opaque;
};

struct pci_func {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];	/* bits the driver may write */
	uint32_t bar_size[PCI_NUM_BARS];	/* 0: none */
	uint8_t cap_end;		/* next free byte for a capability */
	uint8_t cap_last;		/* offset of the last one's next ptr */
	/* The lock of the function's registers (its BAR's device). */
	pthread_mutex_t *lock;
	const struct pci_func_ops *ops;
	struct pci_msix msix;
	void *owner;
};

struct pci_host {
	struct device ecam;		/* MMIO, PCI_ECAM_BUS_SIZE */
	struct device conf1;		/* ports 0xcf8-0xcff */
	uint32_t conf1_addr;
	struct pci_func *slot[PCI_MAX_SLOTS];
	/* The 0xcf9 reset control byte, inside the conf1 ports. */
	void (*reset)(void *opaque);
	void *opaque;
	/* 32-bit memory window BARs are placed in, bottom up. */
	uint64_t mem_next, mem_end;
};

/* A function's header: IDs, class, interrupt pin (0: none). */
void pci_func_init(struct pci_func *f, uint16_t vendor, uint16_t device,
		   uint8_t revision, uint32_t class, uint16_t subsys_vendor,
		   uint16_t subsys, uint8_t int_pin);
/* A capability of @len bytes; its config offset, 0 if out of room. */
unsigned int pci_add_cap(struct pci_func *f, uint8_t id, unsigned int len);
/* MSI-X with @nr entries, table and PBA in BAR @bar at those offsets. */
int pci_add_msix(struct pci_func *f, unsigned int nr, unsigned int bar,
		 uint32_t table_off, uint32_t pba_off, pci_msi_fn send,
		 void *opaque);
/* Whether memory BAR @bar decodes at @base now (command and address). */
bool pci_bar_decodes(const struct pci_func *f, unsigned int bar,
		     uint64_t base);
/* The MSI-X table and PBA, as a BAR maps them; off from the table. */
uint64_t pci_msix_table_read(struct pci_func *f, uint64_t off,
			     unsigned int len);
void pci_msix_table_write(struct pci_func *f, uint64_t off,
			  unsigned int len, uint64_t val);
uint64_t pci_msix_pba_read(struct pci_func *f, uint64_t off,
			   unsigned int len);
/* The Command register. */
uint16_t pci_command(const struct pci_func *f);
/* Whether the driver set Bus Master Enable: the function may DMA. */
bool pci_bus_master(const struct pci_func *f);
/* Whether MSI-X is on (enabled by the driver); then interrupts go by it. */
bool pci_msix_enabled(const struct pci_func *f);
/* Send entry @vec, or keep it pending while masked. */
void pci_msix_notify(struct pci_func *f, unsigned int vec);

/*
 * The host bridge: ECAM at @ecam_base (bus 0 only), conf1 ports, BARs
 * placed in [mem_base, mem_end). Both devices go on @bus; -1 on error.
 */
int pci_host_init(struct pci_host *h, struct bus *bus, uint64_t ecam_base,
		  uint64_t mem_base, uint64_t mem_end);
/*
 * @f at the first free slot, memory BAR @bar of @size bytes (a power of
 * two, at least 4 KiB) placed in the window: its address in *@base.
 * Returns the slot, or -1.
 */
int pci_host_add(struct pci_host *h, struct pci_func *f, unsigned int bar,
		 uint32_t size, uint64_t *base);

/* Config space accesses, as both mechanisms decode them. */
uint32_t pci_cfg_read(struct pci_host *h, unsigned int devfn,
		      unsigned int off, unsigned int len);
void pci_cfg_write(struct pci_host *h, unsigned int devfn, unsigned int off,
		   unsigned int len, uint32_t val);

#endif /* VMCTL_PCI_H */
