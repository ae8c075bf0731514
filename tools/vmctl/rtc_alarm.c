// SPDX-License-Identifier: GPL-2.0
/*
 * The RTCs' alarm thread: one a device, started by its first alarm, that
 * looks at the device under its lock whenever it wakes, and wakes when
 * the alarm is due or the device changes it.
 */
#include "rtc_alarm.h"

static void *alarm_thread(void *arg)
{
	struct rtc_alarm *a = arg;

	pthread_mutex_lock(&a->dev->lock);
	while (!a->stop) {
		a->fire(a);
		if (!a->armed) {
			pthread_cond_wait(&a->wake, &a->dev->lock);
			continue;
		}
		pthread_cond_timedwait(&a->wake, &a->dev->lock, &a->at);
	}
	pthread_mutex_unlock(&a->dev->lock);
	return NULL;
}

int rtc_alarm_init(struct rtc_alarm *alarm, struct device *dev,
		   void (*fire)(struct rtc_alarm *alarm))
{
	alarm->dev = dev;
	alarm->fire = fire;
	alarm->armed = false;
	alarm->running = false;
	alarm->stop = false;
	return pthread_cond_init(&alarm->wake, NULL);
}

/* Tells the thread that the alarm changed. */
static void kick(struct rtc_alarm *alarm)
{
	if (alarm->running)
		pthread_cond_signal(&alarm->wake);
}

void rtc_alarm_arm(struct rtc_alarm *alarm, const struct timespec *at)
{
	alarm->at = *at;
	alarm->armed = true;
	if (!alarm->running)
		alarm->running = !pthread_create(&alarm->thread, NULL,
						 alarm_thread, alarm);
	kick(alarm);
}

void rtc_alarm_disarm(struct rtc_alarm *alarm)
{
	alarm->armed = false;
	kick(alarm);
}

void rtc_alarm_destroy(struct rtc_alarm *alarm)
{
	if (alarm->running) {
		pthread_mutex_lock(&alarm->dev->lock);
		alarm->stop = true;
		pthread_cond_signal(&alarm->wake);
		pthread_mutex_unlock(&alarm->dev->lock);
		pthread_join(alarm->thread, NULL);
	}
	pthread_cond_destroy(&alarm->wake);
}
