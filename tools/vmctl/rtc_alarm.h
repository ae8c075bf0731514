/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The alarm thread that the PL031 and the goldfish RTC share: started
 * by the first rtc_alarm_arm(), it runs the device's @fire under the
 * device's lock on every wake-up, then sleeps until the deadline that
 * @fire left armed, or until the next rtc_alarm_arm() or disarm.
 */
#ifndef VMCTL_RTC_ALARM_H
#define VMCTL_RTC_ALARM_H

#include <stdbool.h>
#include <time.h>

#include "vmctl.h"

struct rtc_alarm {
	struct device *dev;
	/*
	 * Brings the device up to date, raising or lowering its line, and
	 * arms or disarms for its next alarm. Called under dev->lock.
	 */
	void (*fire)(struct rtc_alarm *alarm);

	/* All under dev->lock. */
	struct timespec at;	/* CLOCK_REALTIME deadline, when armed */
	bool armed;
	pthread_t thread;
	pthread_cond_t wake;
	bool running, stop;
};

/*
 * Before the device's first access, after device_init() of @dev. Zero,
 * or an errno when the condition variable could not be made.
 */
int rtc_alarm_init(struct rtc_alarm *alarm, struct device *dev,
		   void (*fire)(struct rtc_alarm *alarm));
/*
 * Under dev->lock: the thread is to run @fire at host time @at, and
 * again on each wake-up; the first arming starts the thread.
 */
void rtc_alarm_arm(struct rtc_alarm *alarm, const struct timespec *at);
/* Under dev->lock: no deadline, the thread sleeps until armed again. */
void rtc_alarm_disarm(struct rtc_alarm *alarm);
/* Without dev->lock: stops and joins the thread, if any. */
void rtc_alarm_destroy(struct rtc_alarm *alarm);

#endif /* VMCTL_RTC_ALARM_H */
