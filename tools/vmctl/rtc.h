/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The real-time clocks: the x86 MC146818 CMOS RTC, the arm64 PL031 and
 * the riscv64 goldfish RTC. Each runs on the host's CLOCK_REALTIME plus
 * an offset, which the guest's writes of the time set.
 */
#ifndef VMCTL_RTC_H
#define VMCTL_RTC_H

#include <stdint.h>

#include "vmctl.h"

/* Ports 0x70 (index) and 0x71 (data) on PCs, ISA IRQ 8. */
#define CMOS_RTC_BASE	0x70
#define CMOS_RTC_SIZE	2
#define PL031_SIZE	0x1000
#define GOLDFISH_RTC_SIZE	0x1000

struct cmos_rtc;
struct pl031;
struct goldfish_rtc;

/*
 * The CMOS RTC and its 128 bytes of CMOS RAM at port @base. Its flags in
 * register C are kept, but nothing raises its interrupt: there is no
 * timer behind the periodic, alarm and update-ended interrupts.
 */
struct cmos_rtc *cmos_rtc_create(uint64_t base);
struct device *cmos_rtc_device(struct cmos_rtc *rtc);
void cmos_rtc_destroy(struct cmos_rtc *rtc);

/*
 * A PL031 at MMIO @base interrupting on @irq (may be NULL) when its
 * counter reaches the match register, by a thread that the first
 * match to come with the interrupt unmasked starts.
 */
struct pl031 *pl031_create(uint64_t base, struct irq_line *irq);
struct device *pl031_device(struct pl031 *rtc);
void pl031_destroy(struct pl031 *rtc);

/*
 * A goldfish RTC at MMIO @base interrupting on @irq (may be NULL) when
 * its alarm comes, by a thread that the guest's first alarm starts.
 */
struct goldfish_rtc *goldfish_rtc_create(uint64_t base, struct irq_line *irq);
struct device *goldfish_rtc_device(struct goldfish_rtc *rtc);
void goldfish_rtc_destroy(struct goldfish_rtc *rtc);

#endif /* VMCTL_RTC_H */
