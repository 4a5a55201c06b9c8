#include "scalar.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

sm_err scalar_time(const char *s, size_t len, bool bare_is_utc, usec_t *out, char *why,
                   size_t whylen)
{
	int y, mo, d, h, mi, sec;
	if (len < 19 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec)) {
		snprintf(why, whylen, "expected a time like 2024-11-11T08:48:51Z");
		return SM_ERR_INVALID;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
	    sec > 59) {
		snprintf(why, whylen, "not a calendar date and time");
		return SM_ERR_INVALID;
	}
	size_t i = 19;
	int64_t frac_us = 0;
	if (i < len && s[i] == '.') {
		i++;
		size_t start = i;
		int64_t scale = 100000;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			frac_us += (s[i] - '0') * scale; /* digits past microseconds are cut */
			scale /= 10;
			i++;
		}
		if (i == start || i - start > 9) {
			snprintf(why, whylen, "bad fraction of a second");
			return SM_ERR_INVALID;
		}
	}
	int64_t offset_s = 0;
	if (i == len) {
		if (!bare_is_utc) {
			snprintf(why, whylen, "the time has no UTC offset; add Z or +01:00");
			return SM_ERR_INVALID;
		}
	} else if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		int oh = 0, om = 0;
		size_t rest = len - i - 1;
		const char *p = s + i + 1;
		bool ok = (rest == 2 && digits(p, 2, &oh)) ||
		          (rest == 4 && digits(p, 2, &oh) && digits(p + 2, 2, &om)) ||
		          (rest == 5 && digits(p, 2, &oh) && p[2] == ':' && digits(p + 3, 2, &om));
		if (!ok || oh > 23 || om > 59) {
			snprintf(why, whylen, "bad UTC offset");
			return SM_ERR_INVALID;
		}
		offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
	} else {
		snprintf(why, whylen, "unexpected text after the time");
		return SM_ERR_INVALID;
	}
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
	if (secs < SCALAR_TIME_MIN / USEC_PER_SEC || secs >= SCALAR_TIME_END / USEC_PER_SEC) {
		snprintf(why, whylen, "must lie in the years 1970 to 9999 (UTC)");
		return SM_ERR_INVALID;
	}
	*out = secs * USEC_PER_SEC + frac_us;
	return SM_OK;
}

void scalar_time_format(usec_t t, char out[SCALAR_TIME_LEN])
{
	int64_t secs = t / USEC_PER_SEC, us = t % USEC_PER_SEC;
	if (us < 0) {
		us += USEC_PER_SEC;
		secs--;
	}
	time_t tt = (time_t)secs;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(out, SCALAR_TIME_LEN, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)us);
}

usec_t scalar_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

bool scalar_double(const char *s, size_t len, double *out)
{
	char tmp[64];
	if (len == 0 || len >= sizeof(tmp))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' ||
		      c == 'E'))
			return false;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	char *end;
	errno = 0;
	double v = strtod(tmp, &end);
	if (end != tmp + len || errno == ERANGE || !isfinite(v))
		return false;
	*out = v;
	return true;
}

bool scalar_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	char tmp[32];
	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (!((tmp[0] >= '0' && tmp[0] <= '9') || tmp[0] == '-'))
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(tmp, &end, 10);
	if (end != tmp + len || errno == ERANGE || v < min || v > max)
		return false;
	*out = v;
	return true;
}
