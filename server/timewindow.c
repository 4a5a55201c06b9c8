#include "timewindow.h"

#include <stdio.h>
#include <time.h>

#define DAY (86400 * USEC_PER_SEC)

usec_t timewindow_month_start(usec_t t, int back)
{
	time_t secs = (time_t)(t / USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&secs, &tm);
	int months = tm.tm_year * 12 + tm.tm_mon - back;
	struct tm start = {.tm_year = months / 12, .tm_mon = months % 12, .tm_mday = 1};
	return (usec_t)timegm(&start) * USEC_PER_SEC;
}

static void utc_date(usec_t t, char out[40])
{
	time_t secs = (time_t)(t / USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(out, 40, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void timewindow_init(struct time_window *w, usec_t now, int horizon_days, int max_months)
{
	w->horizon_days = horizon_days;
	w->max_months = max_months;
	w->horizon = now - (usec_t)horizon_days * DAY;
	w->retention_months = 0;
	w->retention_key = "";
	w->kept_from = 0;
	w->latest = 0;
	w->earliest = w->horizon;
}

void timewindow_retain(struct time_window *w, usec_t now, int months, const char *key)
{
	w->retention_months = months;
	w->retention_key = key;
	w->kept_from = months > 0 ? timewindow_month_start(now, months) : 0;
}

void timewindow_note(struct time_window *w, usec_t t)
{
	if (t > w->latest)
		w->latest = t;
}

void timewindow_close(struct time_window *w)
{
	w->earliest = w->horizon;
	if (w->kept_from > w->earliest)
		w->earliest = w->kept_from;
	if (w->latest > 0) {
		usec_t span = timewindow_month_start(w->latest, w->max_months - 1);
		if (span > w->earliest)
			w->earliest = span;
	}
}

bool timewindow_refuses(const struct time_window *w, usec_t t, char *why, size_t whylen)
{
	if (t >= w->earliest)
		return false;
	char date[40], latest[40];
	if (t < w->horizon) {
		utc_date(w->horizon, date);
		snprintf(why, whylen,
		         "is before %s, the ingest horizon of %d days (ingest_horizon_days)", date,
		         w->horizon_days);
		return true;
	}
	if (t < w->kept_from) {
		utc_date(w->kept_from, date);
		snprintf(why, whylen, "is before %s: raw readings are kept %d months (%s)", date,
		         w->retention_months, w->retention_key);
		return true;
	}
	utc_date(w->latest, latest);
	snprintf(why, whylen,
	         "lies outside the %d calendar months that end with this upload's latest reading "
	         "(%.7s): send it in an upload of its own (ingest_max_months)",
	         w->max_months, latest);
	return true;
}
