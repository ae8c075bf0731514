// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal ACPI tables for x86 Linux guests with the in-kernel irqchip:
 * RSDP, XSDT, FADT (+FACS), a MADT with a local APIC per vCPU, the I/O
 * APIC and the usual ISA overrides, and with PCI the MCFG and a DSDT
 * whose one device is the PCI host bridge. Enough for SMP bring-up, I/O
 * APIC routing, PCI and ACPI power-off through PM1a_CNT, and the PM
 * timer that Linux calibrates the TSC against; no SCI source.
 */
#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "devices.h"
#include "loader.h"
#include "pci.h"
#include "vm.h"

#define ACPI_RSDP	0x00
#define ACPI_XSDT	0x40
#define ACPI_FADT	0x100
#define ACPI_FACS	0x200		/* 64-byte aligned */
#define ACPI_MCFG	0x280
#define ACPI_MADT	0x300
#define ACPI_DSDT	0x800
#define ACPI_SIZE	0x1000

#define MCFG_LEN	(HDR_LEN + 8 + 16)

#define HDR_LEN		36
#define FADT_LEN	244		/* ACPI 3.0 layout */
#define FACS_LEN	64

/* FADT field offsets (ACPI 6.x table 5.9). */
#define FADT_FACS		36
#define FADT_DSDT		40
#define FADT_SCI_INT		46
#define FADT_PM1A_EVT		56
#define FADT_PM1A_CNT		64
#define FADT_PM_TMR		76
#define FADT_PM1_EVT_LEN	88
#define FADT_PM1_CNT_LEN	89
#define FADT_PM_TMR_LEN		91
#define FADT_IAPC_BOOT_ARCH	109
#define FADT_FLAGS		112
#define FADT_X_FACS		132
#define FADT_X_DSDT		140
#define FADT_X_PM1A_EVT		148
#define FADT_X_PM1A_CNT		172
#define FADT_X_PM_TMR		208

#define FADT_F_WBINVD		(1u << 0)
#define FADT_F_PWR_BUTTON	(1u << 4)	/* no fixed power button */
#define FADT_F_SLP_BUTTON	(1u << 5)	/* no fixed sleep button */

#define MADT_PCAT_COMPAT	1u
#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_OVERRIDE		2
/* Interrupt source override flags: active high, level triggered. */
#define MPS_LEVEL_HIGH		0x000d

static void put(uint8_t *p, unsigned int len, uint64_t v)
{
	put_le(p, len, v);
}

static uint8_t checksum(const uint8_t *p, unsigned int len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return -sum;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put(t + 4, 4, len);
	t[8] = rev;
	memcpy(t + 10, "AXVM  ", 6);		/* OEM id */
	memcpy(t + 16, "AXVMVMCT", 8);		/* OEM table id */
	put(t + 24, 4, 1);			/* OEM revision */
	memcpy(t + 28, "AXVM", 4);		/* creator */
	put(t + 32, 4, 1);
}

static void seal(uint8_t *t)
{
	uint32_t len = get_le(t + 4, 4);

	t[9] = 0;
	t[9] = checksum(t, len);
}

/* A Generic Address Structure for a system I/O register. */
static void gas_io(uint8_t *g, unsigned int bytes, uint64_t port)
{
	g[0] = 1;			/* system I/O */
	g[1] = bytes * 8;
	g[2] = 0;
	g[3] = bytes;			/* access size: 1 byte .. 8 bytes */
	put(g + 4, 8, port);
}

static void fadt(uint8_t *t, uint64_t base)
{
	header(t, "FACP", FADT_LEN, 4);
	put(t + FADT_DSDT, 4, base + ACPI_DSDT);
	put(t + FADT_SCI_INT, 2, ACPI_SCI_IRQ);
	put(t + FADT_PM1A_EVT, 4, ACPI_PM1A_EVT);
	put(t + FADT_PM1A_CNT, 4, ACPI_PM1A_CNT);
	t[FADT_PM1_EVT_LEN] = 4;
	t[FADT_PM1_CNT_LEN] = 2;
	put(t + FADT_PM_TMR, 4, ACPI_PM_TMR);
	t[FADT_PM_TMR_LEN] = 4;
	/* No legacy devices, no 8042: Linux probes neither. */
	put(t + FADT_IAPC_BOOT_ARCH, 2, 0);
	put(t + FADT_FLAGS, 4, FADT_F_WBINVD | FADT_F_PWR_BUTTON |
	    FADT_F_SLP_BUTTON);
	put(t + FADT_X_FACS, 8, base + ACPI_FACS);
	put(t + FADT_X_DSDT, 8, base + ACPI_DSDT);
	gas_io(t + FADT_X_PM1A_EVT, 4, ACPI_PM1A_EVT);
	gas_io(t + FADT_X_PM1A_CNT, 2, ACPI_PM1A_CNT);
	gas_io(t + FADT_X_PM_TMR, 4, ACPI_PM_TMR);
	seal(t);
}

/*
 * AML (ACPI 6.x, chapter 20), written out by hand: a byte buffer and the
 * few encodings the DSDT needs.
 */
#define AML_NAME	0x08
#define AML_BYTE	0x0a
#define AML_DWORD	0x0c
#define AML_SCOPE	0x10
#define AML_BUFFER	0x11
#define AML_PACKAGE	0x12
#define AML_EXT		0x5b
#define AML_DEVICE	0x82		/* after AML_EXT */

struct aml {
	uint8_t *p;
	unsigned int len, room;
	bool full;
};

static void aml_bytes(struct aml *a, const void *b, unsigned int n)
{
	if (a->len + n > a->room) {
		a->full = true;
		return;
	}
	memcpy(a->p + a->len, b, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

/* An integer: ZeroOp, OneOp, a ByteConst or a DWordConst. */
static void aml_int(struct aml *a, uint32_t v)
{
	uint8_t b[5] = { AML_DWORD, v, v >> 8, v >> 16, v >> 24 };

	if (v <= 1) {
		aml_byte(a, v);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE);
		aml_byte(a, v);
	} else {
		aml_bytes(a, b, 5);
	}
}

/*
 * Open a package-length construct: room for a 2-byte PkgLength, filled
 * in by aml_close() (20.2.4: bits 7-6 of the first byte count the bytes
 * that follow, its low nibble and the next byte hold the length).
 */
static unsigned int aml_open(struct aml *a)
{
	unsigned int at = a->len;

	aml_bytes(a, "\0\0", 2);
	return at;
}

static void aml_close(struct aml *a, unsigned int at)
{
	unsigned int n = a->len - at;

	if (a->full || n > 0xfff)
		return;
	a->p[at] = 0x40 | (n & 0xf);
	a->p[at + 1] = n >> 4;
}

static void aml_name(struct aml *a, const char *seg)
{
	aml_byte(a, AML_NAME);
	aml_bytes(a, seg, 4);
}

/* A 7-character EISA ID ("PNP0A08") in its compressed 32-bit form. */
static void aml_eisaid(struct aml *a, const char *id)
{
	uint16_t mfg = (id[0] - 0x40) << 10 | (id[1] - 0x40) << 5 |
		       (id[2] - 0x40);
	uint8_t b[5] = { AML_DWORD, mfg >> 8, mfg };
	unsigned int i;

	for (i = 0; i < 4; i++)
		b[3 + i / 2] |= (id[3 + i] <= '9' ? id[3 + i] - '0' :
				 id[3 + i] - 'A' + 10) << (i % 2 ? 0 : 4);
	aml_bytes(a, b, 5);
}

/* Word or DWord Address Space Descriptor (6.4.3.5), a producer range. */
static void res_addr(struct aml *a, uint8_t type, uint8_t tflags,
		     uint32_t min, uint32_t max, bool dword)
{
	unsigned int w = dword ? 4 : 2, i, f;
	uint32_t fields[5] = { 0, min, max, 0, max - min + 1 };
	uint8_t hdr[6] = { dword ? 0x87 : 0x88, 3 + 5 * w, 0, type,
			   0x0c /* min and max fixed */, tflags };

	aml_bytes(a, hdr, sizeof(hdr));
	for (f = 0; f < 5; f++)
		for (i = 0; i < w; i++)
			aml_byte(a, fields[f] >> (8 * i));
}

/*
 * Device (\_SB.PCI0): the host bridge (PNP0A08, PCIe, with PNP0A03 for
 * older OSes), segment 0, bus 0; _CRS gives bus 0, the conf1 ports it
 * decodes itself, the I/O ranges around them and the BAR window; _PRT
 * routes INTx of each populated slot to GSIs 16-23 (direct GSI entries:
 * level-triggered, active low, 6.2.13).
 */
static void dsdt_pci(struct aml *a, const struct pci_host *h)
{
	static const uint8_t conf1_io[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c,
					    0x01, 0x08 };
	unsigned int scope, dev, crs, buf, prt, ent, slot, pin, len, n = 0;

	aml_byte(a, AML_SCOPE);
	scope = aml_open(a);
	aml_bytes(a, "\\_SB_", 5);
	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	dev = aml_open(a);
	aml_bytes(a, "PCI0", 4);
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_SEG");
	aml_int(a, 0);
	aml_name(a, "_UID");
	aml_int(a, 0);
	aml_name(a, "_BBN");
	aml_int(a, 0);

	aml_name(a, "_CRS");
	aml_byte(a, AML_BUFFER);
	crs = aml_open(a);
	aml_byte(a, 0x0b);		/* WordConst: the buffer's size */
	buf = a->len;
	aml_bytes(a, "\0\0", 2);
	res_addr(a, 2, 0, 0, 0, false);			/* bus 0 */
	aml_bytes(a, conf1_io, sizeof(conf1_io));
	res_addr(a, 1, 3, 0, 0xcf7, false);
	res_addr(a, 1, 3, 0xd00, 0xffff, false);
	res_addr(a, 0, 1, X86_PCI_MEM, X86_PCI_MEM_END - 1, true);
	aml_bytes(a, "\x79\0", 2);	/* end tag, checksum 0: none */
	if (!a->full) {
		a->p[buf] = a->len - buf - 2;
		a->p[buf + 1] = (a->len - buf - 2) >> 8;
	}
	aml_close(a, crs);

	aml_name(a, "_PRT");
	aml_byte(a, AML_PACKAGE);
	prt = aml_open(a);
	ent = a->len;
	aml_byte(a, 0);			/* NumElements, below */
	for (slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		if (!h->slot[slot] || !h->slot[slot]->cfg[PCI_INTERRUPT_PIN])
			continue;
		for (pin = 0; pin < 4; pin++, n++) {
			aml_byte(a, AML_PACKAGE);
			len = a->len;
			aml_byte(a, 0);	/* one-byte PkgLength, set below */
			aml_byte(a, 4);
			aml_int(a, slot << 16 | 0xffff);
			aml_int(a, pin);
			aml_int(a, 0);		/* Source: a GSI */
			aml_int(a, x86_pci_intx(slot, pin));
			if (!a->full)
				a->p[len] = a->len - len;
		}
	}
	if (!a->full)
		a->p[ent] = n;
	aml_close(a, prt);
	aml_close(a, dev);
	aml_close(a, scope);
}

static uint32_t dsdt(struct vm *vm, uint8_t *t, unsigned int room)
{
	/* Name (_S5, Package () { 0, 0, 0, 0 }): SLP_TYP 0 is off. */
	static const uint8_t s5[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0,
	};
	struct aml a = { t + HDR_LEN, 0, room - HDR_LEN, false };

	aml_bytes(&a, s5, sizeof(s5));
	if (vm->pci)
		dsdt_pci(&a, vm->pci);
	if (a.full) {
		fprintf(stderr, "vmctl: ACPI: the DSDT does not fit\n");
		return 0;
	}
	header(t, "DSDT", HDR_LEN + a.len, 2);
	seal(t);
	return HDR_LEN + a.len;
}

/* MCFG (PCI Firmware 3.x, 4.1.2): ECAM of segment 0, bus 0 only. */
static void mcfg(uint8_t *t)
{
	uint8_t *e = t + HDR_LEN + 8;

	header(t, "MCFG", MCFG_LEN, 1);
	put(e, 8, X86_PCI_ECAM);
	put(e + 8, 2, 0);		/* segment */
	e[10] = 0;			/* start bus */
	e[11] = 0;			/* end bus */
	seal(t);
}

static unsigned int madt_override(uint8_t *e, uint8_t irq, uint32_t gsi,
				  uint16_t flags)
{
	e[0] = MADT_OVERRIDE;
	e[1] = 10;
	e[2] = 0;			/* ISA */
	e[3] = irq;
	put(e + 4, 4, gsi);
	put(e + 8, 2, flags);
	return 10;
}

static uint32_t madt(struct vm *vm, uint8_t *t, unsigned int room)
{
	uint32_t len = HDR_LEN + 8;
	unsigned int i;
	uint8_t *e;

	put(t + HDR_LEN, 4, X86_LAPIC_BASE);
	put(t + HDR_LEN + 4, 4, MADT_PCAT_COMPAT);
	for (i = 0; i < vm->nvcpus && len + 8 + 12 + 10 * 10 <= room; i++) {
		e = t + len;
		e[0] = MADT_LAPIC;
		e[1] = 8;
		e[2] = i;			/* ACPI processor UID */
		e[3] = vm->vcpus[i].arch_id;	/* APIC id */
		put(e + 4, 4, 1);		/* enabled */
		len += 8;
	}
	e = t + len;
	e[0] = MADT_IOAPIC;
	e[1] = 12;
	e[2] = 0;				/* I/O APIC id */
	e[3] = 0;
	put(e + 4, 4, X86_IOAPIC_BASE);
	put(e + 8, 4, 0);			/* GSI base */
	len += 12;
	/* The PIT's IRQ 0 is pin 2, as on every PC; the SCI is level. */
	len += madt_override(t + len, 0, 2, 0);
	len += madt_override(t + len, ACPI_SCI_IRQ, ACPI_SCI_IRQ,
			     MPS_LEVEL_HIGH);
	/* virtio-mmio lines are level-triggered, active high. */
	for (i = 0; i < vm->nplaced && len + 10 <= room; i++)
		if (vm->placed[i].kind == PLACED_VIRTIO &&
		    vm->placed[i].irq < 16 && vm->placed[i].irq != ACPI_SCI_IRQ)
			len += madt_override(t + len, vm->placed[i].irq,
					     vm->placed[i].irq,
					     MPS_LEVEL_HIGH);
	header(t, "APIC", len, 3);
	seal(t);
	return len;
}

int x86_acpi_build(struct vm *vm, uint64_t base)
{
	uint8_t *a = vm_ram(vm, base, ACPI_SIZE, "ACPI tables");
	unsigned int ntables = 2;
	uint8_t *rsdp, *xsdt, *facs;

	if (!a)
		return -1;
	memset(a, 0, ACPI_SIZE);

	fadt(a + ACPI_FADT, base);
	madt(vm, a + ACPI_MADT, ACPI_DSDT - ACPI_MADT);
	if (!dsdt(vm, a + ACPI_DSDT, ACPI_SIZE - ACPI_DSDT))
		return -1;

	facs = a + ACPI_FACS;
	memcpy(facs, "FACS", 4);
	put(facs + 4, 4, FACS_LEN);

	xsdt = a + ACPI_XSDT;
	put(xsdt + HDR_LEN, 8, base + ACPI_FADT);
	put(xsdt + HDR_LEN + 8, 8, base + ACPI_MADT);
	if (vm->pci) {
		mcfg(a + ACPI_MCFG);
		put(xsdt + HDR_LEN + 8 * ntables++, 8, base + ACPI_MCFG);
	}
	header(xsdt, "XSDT", HDR_LEN + ntables * 8, 1);
	seal(xsdt);

	/* RSDP 2.0: 20 bytes under the first checksum, 36 in all. */
	rsdp = a + ACPI_RSDP;
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "AXVM  ", 6);
	rsdp[15] = 2;
	put(rsdp + 20, 4, 36);
	put(rsdp + 24, 8, base + ACPI_XSDT);
	rsdp[8] = checksum(rsdp, 20);
	rsdp[32] = checksum(rsdp, 36);
	return 0;
}
