/* The times one upload may write: not before the ingest horizon (readings
 * older than ingest_horizon_days), and within ingest_max_months calendar
 * months (UTC) ending with the upload's latest reading. Every month an upload
 * spans gets a partition of its own (ensure_month_partitions creates every
 * month from the earliest to the latest, each under an exclusive lock): the
 * span bounds how many one upload can make. Times in the future are the
 * parsers' business. Pure: no database. */
#ifndef SAMENMETEN_TIMEWINDOW_H
#define SAMENMETEN_TIMEWINDOW_H

#include <stdbool.h>
#include <stddef.h>

#include "scalar.h"

struct time_window {
	int horizon_days, max_months;
	usec_t horizon;            /* the earliest time the horizon allows */
	int retention_months;      /* 0: no retention */
	const char *retention_key; /* the configuration key that set it (static) */
	usec_t kept_from;          /* the earliest time retention keeps */
	usec_t latest;             /* the latest time noted; 0 before any */
	usec_t earliest;           /* the earliest time allowed: set by timewindow_close */
};

void timewindow_init(struct time_window *w, usec_t now, int horizon_days, int max_months);

/* Raw readings are kept `months` months (0: forever), as configuration key
 * `key` (a static string) says: times before the start of the UTC month
 * `months` months before now's are refused, as the refresher drops those
 * months (server/retention.c). */
void timewindow_retain(struct time_window *w, usec_t now, int months, const char *key);

/* The start of the UTC month `back` months before the month of t. */
usec_t timewindow_month_start(usec_t t, int back);

/* Notes one time of the upload (for its latest). */
void timewindow_note(struct time_window *w, usec_t t);

/* Sets the earliest allowed time once every time is noted. */
void timewindow_close(struct time_window *w);

/* Whether `t` lies before the window; then `why` says why (a row error
 * reason naming the configuration key). */
bool timewindow_refuses(const struct time_window *w, usec_t t, char *why, size_t whylen);

#endif
