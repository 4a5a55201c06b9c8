#include "telraam.h"

#include "jsonin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAR_FUTURE (24 * 3600 * USEC_PER_SEC)
#define EARLIEST INT64_C(946684800000000) /* 2000-01-01T00:00:00Z */
#define MAX_COUNT 1e6                     /* road users in one interval */

static const char *const count_names[TC_NCOUNTS] = {
    "heavy", "heavy_lft", "heavy_rgt", "car",        "car_lft",        "car_rgt",
    "bike",  "bike_lft",  "bike_rgt",  "pedestrian", "pedestrian_lft", "pedestrian_rgt",
};

const char *traffic_count_name(enum traffic_count c)
{
	return count_names[c];
}

void traffic_batch_init(struct traffic_batch *b)
{
	b->rows = NULL;
	b->n = 0;
	rowerr_init(&b->errors);
}

void traffic_batch_cleanup(struct traffic_batch *b)
{
	free(b->rows);
	rowerr_cleanup(&b->errors);
	traffic_batch_init(b);
}

/* A number given as a JSON number or a numeric string; "" and null are
 * absent (*present false). False when it is something else. */
static bool number_member(json_t *obj, const char *name, double *out, bool *present)
{
	json_t *v = json_object_get(obj, name);
	*present = false;
	if (!v || json_is_null(v))
		return true;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		*present = true;
		return isfinite(*out);
	}
	if (json_is_string(v)) {
		if (json_string_length(v) == 0)
			return true;
		*present = true;
		return scalar_double(json_string_value(v), json_string_length(v), out);
	}
	return false;
}

static bool histogram(json_t *obj, const char *name, double *bins, size_t want, size_t *n,
                      const char **reason)
{
	json_t *v = json_object_get(obj, name);
	*n = 0;
	if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
		return true;
	if (!json_is_array(v) || json_array_size(v) != want) {
		*reason = want == TELRAAM_HIST70 ? "must be an array of 8 numbers"
		                                 : "must be an array of 25 numbers";
		return false;
	}
	for (size_t i = 0; i < want; i++) {
		json_t *x = json_array_get(v, i);
		if (!json_is_number(x) || !isfinite(json_number_value(x)) ||
		    json_number_value(x) < 0 || json_number_value(x) > 100.0001) {
			*reason = "bins must be percentages from 0 to 100";
			return false;
		}
		bins[i] = json_number_value(x);
	}
	*n = want;
	return true;
}

/* One report into r; false (with the error listed) when it is refused. */
static bool parse_report(json_t *o, usec_t now, struct traffic_report *r, struct row_errors *errs)
{
	bool present;
	double d;
	char why[96];
	const char *reason = NULL;
#define REFUSE(field, ...)                                                                         \
	do {                                                                                       \
		rowerr_add(errs, r->index, field, __VA_ARGS__);                                    \
		return false;                                                                      \
	} while (0)

	if (!json_is_object(o))
		REFUSE("", "a report must be a JSON object");
	if (!number_member(o, "segment_id", &d, &present) || !present || d != floor(d) || d <= 0 ||
	    d > 9.2e18)
		REFUSE("segment_id", "must be a positive integer");
	r->segment_id = (int64_t)d;

	if (!number_member(o, "instance_id", &d, &present) ||
	    (present && (d != floor(d) || fabs(d) > 9.2e18)))
		REFUSE("instance_id", "must be an integer");
	if (present && d > 0)
		snprintf(r->instance_ref, sizeof(r->instance_ref), "%.0f", d);

	json_t *date = json_object_get(o, "date");
	if (!json_is_string(date))
		REFUSE("date", "is required: the start of the interval, RFC 3339 in UTC");
	/* The Telraam API documents its dates as UTC. */
	if (scalar_time(json_string_value(date), json_string_length(date), true, &r->period_start,
	                why, sizeof(why)) != SM_OK)
		REFUSE("date", "%s", why);
	if (r->period_start < EARLIEST || r->period_start > now + FAR_FUTURE)
		REFUSE("date", "is before 2000 or more than a day in the future");

	json_t *interval = json_object_get(o, "interval");
	const char *iv = !jsonin_absent(interval) ? jsonin_string(interval) : "hourly";
	if (!iv)
		REFUSE("interval", "must be \"hourly\" or \"quarterly\"");
	if (strcmp(iv, "hourly") == 0)
		r->quarterly = false;
	else if (strcmp(iv, "quarterly") == 0)
		r->quarterly = true;
	else
		REFUSE("interval", "must be \"hourly\" or \"quarterly\"");
	usec_t step = (r->quarterly ? 900 : 3600) * USEC_PER_SEC;
	if (r->period_start % step != 0)
		REFUSE("date", "must be the start of a whole %s interval",
		       r->quarterly ? "quarter-hour" : "hour");

	r->uptime = NAN;
	if (!number_member(o, "uptime", &d, &present) || (present && (d < 0 || d > 1)))
		REFUSE("uptime", "must be a number from 0 to 1");
	if (present)
		r->uptime = d;
	if (present && d < 0.5)
		r->quality |= 1u << 8; /* uptime_low */

	for (size_t c = 0; c < TC_NCOUNTS; c++) {
		r->count[c] = NAN;
		if (!number_member(o, count_names[c], &d, &present))
			REFUSE(count_names[c], "must be a number");
		if (present && (d < 0 || d > MAX_COUNT))
			REFUSE(count_names[c], "must be from 0 to %.0f", MAX_COUNT);
		/* A report without uptime carries no counts. */
		if (present && !(r->uptime == 0))
			r->count[c] = d;
	}

	r->v85 = NAN;
	if (!number_member(o, "v85", &d, &present) || (present && (d < 0 || d > 300)))
		REFUSE("v85", "must be a speed from 0 to 300 km/h");
	if (present)
		r->v85 = d;

	r->direction = -1;
	if (!number_member(o, "direction", &d, &present) ||
	    (present && (d != floor(d) || d < 0 || d > 32767)))
		REFUSE("direction", "must be a small integer");
	if (present)
		r->direction = (int)d;

	json_t *tz = json_object_get(o, "timezone");
	if (!jsonin_absent(tz)) {
		const char *name = jsonin_string(tz);
		if (!name || strlen(name) >= sizeof(r->timezone))
			REFUSE("timezone", "must be a time zone name such as Europe/Amsterdam");
		for (const char *p = name; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '/' ||
			      *p == '_' || *p == '-' || *p == '+' || (*p >= '0' && *p <= '9')))
				REFUSE("timezone",
				       "must be a time zone name such as Europe/Amsterdam");
		snprintf(r->timezone, sizeof(r->timezone), "%s", name);
	}

	if (!histogram(o, "car_speed_hist_0to70plus", r->hist70, TELRAAM_HIST70, &r->nhist70,
	               &reason))
		REFUSE("car_speed_hist_0to70plus", "%s", reason);
	if (!histogram(o, "car_speed_hist_0to120plus", r->hist120, TELRAAM_HIST120, &r->nhist120,
	               &reason))
		REFUSE("car_speed_hist_0to120plus", "%s", reason);
#undef REFUSE
	return true;
}

sm_err telraam_parse(json_t *root, size_t max_rows, usec_t now, struct traffic_batch *b, char *why,
                     size_t whylen)
{
	json_t *list = json_is_object(root) ? json_object_get(root, "report") : NULL;
	if (!json_is_array(list)) {
		snprintf(why, whylen, "expected the Telraam report envelope {\"report\": [...]}");
		return SM_ERR_INVALID;
	}
	size_t n = json_array_size(list);
	if (n > max_rows) {
		snprintf(why, whylen, "more than %zu reports", max_rows);
		return SM_ERR_TOO_LARGE;
	}
	b->rows = calloc(n ? n : 1, sizeof(*b->rows));
	if (!b->rows)
		return SM_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		struct traffic_report *r = &b->rows[b->n];
		memset(r, 0, sizeof(*r));
		r->index = i;
		if (parse_report(json_array_get(list, i), now, r, &b->errors))
			b->n++;
	}
	return SM_OK;
}
