// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal ACPI tables for x86 Linux guests with the in-kernel irqchip:
 * RSDP, XSDT, FADT (+FACS), a DSDT holding only \_S5 and a MADT with a
 * local APIC per vCPU, the I/O APIC and the usual ISA overrides. Enough
 * for SMP bring-up, I/O APIC routing and ACPI power-off through
 * PM1a_CNT, and the PM timer that Linux calibrates the TSC against; no
 * SCI source, no AML devices.
 */
#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "devices.h"
#include "loader.h"
#include "vm.h"

#define ACPI_RSDP	0x00
#define ACPI_XSDT	0x40
#define ACPI_FADT	0x100
#define ACPI_FACS	0x200		/* 64-byte aligned */
#define ACPI_DSDT	0x280
#define ACPI_MADT	0x300
#define ACPI_SIZE	0x1000

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

/* Name (_S5, Package () { 0, 0, 0, 0 }): SLP_TYP 0 is off (vmctl's PM). */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
};

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
	uint8_t *rsdp, *xsdt, *facs, *dsdt;

	if (!a)
		return -1;
	memset(a, 0, ACPI_SIZE);

	fadt(a + ACPI_FADT, base);
	madt(vm, a + ACPI_MADT, ACPI_SIZE - ACPI_MADT);

	facs = a + ACPI_FACS;
	memcpy(facs, "FACS", 4);
	put(facs + 4, 4, FACS_LEN);

	dsdt = a + ACPI_DSDT;
	header(dsdt, "DSDT", HDR_LEN + sizeof(dsdt_aml), 2);
	memcpy(dsdt + HDR_LEN, dsdt_aml, sizeof(dsdt_aml));
	seal(dsdt);

	xsdt = a + ACPI_XSDT;
	header(xsdt, "XSDT", HDR_LEN + 2 * 8, 1);
	put(xsdt + HDR_LEN, 8, base + ACPI_FADT);
	put(xsdt + HDR_LEN + 8, 8, base + ACPI_MADT);
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
