/* SPDX-License-Identifier: GPL-2.0 */
/* ACPI tables for x86 guests (acpi.c). */
#ifndef VMCTL_ACPI_H
#define VMCTL_ACPI_H

#include <stdint.h>

#define X86_LAPIC_BASE		0xfee00000ULL
#define X86_IOAPIC_BASE		0xfec00000ULL
#define X86_NR_GSIS		24
#define ACPI_SCI_IRQ		9
#define ACPI_PM1A_EVT		0x600
#define ACPI_PM1A_CNT		0x604
#define ACPI_PM_TMR		0x608

/* The PCI host: ECAM for bus 0, the BAR window, INTx on GSIs 16-23. */
#define X86_PCI_ECAM		0xe0000000ULL
#define X86_PCI_MEM		0xe1000000ULL
#define X86_PCI_MEM_END		0xf0000000ULL
#define X86_PCI_INTX_GSI	16
#define X86_PCI_INTX_LINES	8

/* INTx @pin (0: INTA#) of @slot, swizzled as the DSDT's _PRT says. */
static inline unsigned int x86_pci_intx(unsigned int slot, unsigned int pin)
{
	return X86_PCI_INTX_GSI + (slot + pin) % X86_PCI_INTX_LINES;
}

struct vm;

/* RSDP at @base, the other tables in the same 4 KiB of guest RAM. */
int x86_acpi_build(struct vm *vm, uint64_t base);

#endif /* VMCTL_ACPI_H */
