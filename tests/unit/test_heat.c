/* Unit tests for server/heat.c: the published worked examples of each
 * index, the NWS heat index branches, the category bounds, and what
 * heat_derive accepts and reports. Expected values come either from a
 * source's own example (with a tolerance matching its rounding) or from the
 * source's formula and constants written out again here. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heat.h"
#include "unit.h"

static bool close_to(double got, double want, double tol)
{
	return fabs(got - want) <= tol;
}

/* The formulas again, from the papers' constants, for expected values. */
static double rothfusz_f(double t, double rh)
{
	return -42.379 + 2.04901523 * t + 10.14333127 * rh - 0.22475541 * t * rh -
	       0.00683783 * t * t - 0.05481717 * rh * rh + 0.00122874 * t * t * rh +
	       0.00085282 * t * rh * rh - 0.00000199 * t * t * rh * rh;
}

static double stull(double t, double rh)
{
	return t * atan(0.151977 * pow(rh + 8.313659, 0.5)) + atan(t + rh) - atan(rh - 1.676331) +
	       0.00391838 * pow(rh, 1.5) * atan(0.023101 * rh) - 4.686035;
}

static double bom_e(double ta, double rh)
{
	return rh / 100.0 * 6.105 * exp(17.27 * ta / (237.7 + ta));
}

static double canada_e(double td)
{
	return 6.11 * exp(5417.7530 * (1.0 / 273.16 - 1.0 / (273.15 + td)));
}

/* RH giving dew point td at air temperature t by Magnus (Alduchov and
 * Eskridge 1996: a = 17.625, b = 243.04 C). */
static double magnus_rh(double t, double td)
{
	const double a = 17.625, b = 243.04;
	return 100.0 * exp(a * td / (b + td) - a * t / (b + t));
}

static void test_convert(void **state)
{
	static const struct {
		const char *name;
		double c, f;
	} cases[] = {
	    {"freezing", 0.0, 32.0},
	    {"boiling", 100.0, 212.0},
	    {"minus forty", -40.0, -40.0},
	    {"body", 37.0, 98.6},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		EXPECT(run, cases[i].name, close_to(heat_c_to_f(cases[i].c), cases[i].f, 1e-9));
		EXPECT(run, cases[i].name, close_to(heat_f_to_c(cases[i].f), cases[i].c, 1e-9));
	}
	TABLE_DONE(run);
}

/* Stull (2011): the paper's worked example, and the edges of its range. */
static void test_wet_bulb(void **state)
{
	static const struct {
		const char *name;
		double t, rh;
		bool in_range;
	} cases[] = {
	    {"worked example", 20.0, 50.0, true},       {"rh 5 is in", 20.0, 5.0, true},
	    {"rh below 5 is out", 20.0, 4.9, false},    {"rh 99 is in", 20.0, 99.0, true},
	    {"rh above 99 is out", 20.0, 99.1, false},  {"rh 100 is out", 20.0, 100.0, false},
	    {"rh 0 is out", 20.0, 0.0, false},          {"t -20 is in", -20.0, 50.0, true},
	    {"t below -20 is out", -20.1, 50.0, false}, {"t 50 is in", 50.0, 50.0, true},
	    {"t above 50 is out", 50.1, 50.0, false},
	};
	(void)state;
	struct table_run run = {0};
	EXPECT(run, "worked example 13.7", close_to(heat_wet_bulb_stull(20.0, 50.0), 13.7, 0.05));
	for (size_t i = 0; i < NELEMS(cases); i++) {
		EXPECT(run, cases[i].name,
		       heat_wet_bulb_stull_in_range(cases[i].t, cases[i].rh) == cases[i].in_range);
		/* The paper's formula, and out of range the value is still
		 * there. */
		EXPECT(run, cases[i].name,
		       close_to(heat_wet_bulb_stull(cases[i].t, cases[i].rh),
		                stull(cases[i].t, cases[i].rh), 1e-9));
	}
	TABLE_DONE(run);
}

static void test_wbgt_formulas(void **state)
{
	(void)state;
	struct table_run run = {0};
	EXPECT(run, "iso7243 weights", close_to(heat_wbgt_iso7243(25.0, 40.0, 30.0), 28.5, 1e-9));
	EXPECT(run, "iso7243 all equal", close_to(heat_wbgt_iso7243(20.0, 20.0, 20.0), 20.0, 1e-9));

	/* BoM worked example: Ta 30 C, RH 50 % -> e about 21.1 hPa, WBGT
	 * about 29.3 C. No BoM table value was at hand to cross-check, so
	 * only the formula is checked. */
	double e = bom_e(30.0, 50.0);
	double want = 0.567 * 30.0 + 0.393 * e + 3.94;
	EXPECT(run, "bom e formula", close_to(heat_vapour_pressure_bom(30.0, 50.0), e, 1e-9));
	EXPECT(run, "bom e about 21.1",
	       close_to(heat_vapour_pressure_bom(30.0, 50.0), 21.14, 0.01));
	EXPECT(run, "bom wbgt formula", close_to(heat_wbgt_bom(30.0, 50.0), want, 0.05));
	EXPECT(run, "bom wbgt about 29.3", close_to(heat_wbgt_bom(30.0, 50.0), 29.3, 0.05));
	EXPECT(run, "bom dry air", close_to(heat_wbgt_bom(30.0, 0.0), 0.567 * 30.0 + 3.94, 1e-9));
	TABLE_DONE(run);
}

static void test_globe_standard(void **state)
{
	static const struct {
		const char *name;
		double d;
		bool want;
	} cases[] = {
	    {"150 mm", 150.0, true},    {"145 mm", 145.0, true},    {"155 mm", 155.0, true},
	    {"144.9 mm", 144.9, false}, {"155.1 mm", 155.1, false}, {"50 mm", 50.0, false},
	    {"38 mm", 38.0, false},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++)
		EXPECT(run, cases[i].name, heat_globe_standard(cases[i].d) == cases[i].want);
	TABLE_DONE(run);
}

/* NWS heat index in F, each row also run through the C function. */
static void test_heat_index(void **state)
{
	const struct {
		const char *name;
		double t_f, rh;
		double want_f, tol_f;
		const char *method;
	} cases[] = {
	    /* NWS heat index chart (values rounded to 1 F). */
	    {"chart 90 F 70 %", 90.0, 70.0, 106.0, 1.0, "nws-rothfusz"},
	    {"chart 96 F 65 %", 96.0, 65.0, 121.0, 1.0, "nws-rothfusz"},
	    {"chart 80 F 40 %", 80.0, 40.0, 80.0, 1.0, "nws-simple"},
	    {"chart 86 F 90 %", 86.0, 90.0, 105.0, 1.0, "nws-rothfusz-high-rh"},
	    /* The simple formula, by hand. */
	    {"simple 70 F 50 %", 70.0, 50.0, 0.5 * (70.0 + 61.0 + 2.0 * 1.2 + 50.0 * 0.094), 1e-9,
	     "nws-simple"},
	    /* The simple result averaged with T crosses 80 F between RH 48 and
	     * 49 at 80 F. */
	    {"80 F 48 % simple", 80.0, 48.0, 0.5 * (80.0 + 61.0 + 12.0 * 1.2 + 48.0 * 0.094), 1e-9,
	     "nws-simple"},
	    {"80 F 49 % regression", 80.0, 49.0, rothfusz_f(80.0, 49.0), 1e-9, "nws-rothfusz"},
	    /* The switch is on the mean of the simple result and T, not on the
	     * simple result alone: here that is 80.2 F but the mean 79.1 F. */
	    {"78 F 100 % simple", 78.0, 100.0, 0.5 * (78.0 + 61.0 + 10.0 * 1.2 + 100.0 * 0.094),
	     1e-9, "nws-simple"},
	    /* The low-humidity adjustment. */
	    {"low rh 100 F 10 %", 100.0, 10.0,
	     rothfusz_f(100.0, 10.0) - (13.0 - 10.0) / 4.0 * sqrt((17.0 - 5.0) / 17.0), 1e-9,
	     "nws-rothfusz-low-rh"},
	    {"low rh 112 F 5 %", 112.0, 5.0, rothfusz_f(112.0, 5.0), 1e-9, "nws-rothfusz-low-rh"},
	    {"rh 13 no adjustment", 100.0, 13.0, rothfusz_f(100.0, 13.0), 1e-9, "nws-rothfusz"},
	    {"113 F no adjustment", 113.0, 10.0, rothfusz_f(113.0, 10.0), 1e-9, "nws-rothfusz"},
	    /* The high-humidity adjustment. */
	    {"high rh 85 F 90 %", 85.0, 90.0,
	     rothfusz_f(85.0, 90.0) + (90.0 - 85.0) / 10.0 * ((87.0 - 85.0) / 5.0), 1e-9,
	     "nws-rothfusz-high-rh"},
	    {"high rh 80 F 100 %", 80.0, 100.0,
	     rothfusz_f(80.0, 100.0) + (100.0 - 85.0) / 10.0 * ((87.0 - 80.0) / 5.0), 1e-9,
	     "nws-rothfusz-high-rh"},
	    {"rh 85 no adjustment", 85.0, 85.0, rothfusz_f(85.0, 85.0), 1e-9, "nws-rothfusz"},
	    {"88 F no adjustment", 88.0, 90.0, rothfusz_f(88.0, 90.0), 1e-9, "nws-rothfusz"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		const char *method = NULL;
		double f = heat_index_f(cases[i].t_f, cases[i].rh, &method);
		EXPECT(run, cases[i].name, close_to(f, cases[i].want_f, cases[i].tol_f));
		EXPECT_STR(run, cases[i].name, method, cases[i].method);

		method = NULL;
		double c = heat_index_c(heat_f_to_c(cases[i].t_f), cases[i].rh, &method);
		EXPECT(
		    run, cases[i].name,
		    close_to(c, heat_f_to_c(cases[i].want_f), cases[i].tol_f * 5.0 / 9.0 + 1e-9));
		EXPECT_STR(run, cases[i].name, method, cases[i].method);
	}
	/* The method pointer is optional. */
	EXPECT(run, "method NULL", close_to(heat_index_f(70.0, 50.0, NULL), 69.05, 1e-9));
	TABLE_DONE(run);
}

static void test_humidex(void **state)
{
	(void)state;
	struct table_run run = {0};
	double want = 30.0 + 0.5555 * (canada_e(15.0) - 10.0);

	/* Environment Canada: 30 C with dew point 15 C -> humidex 34. */
	EXPECT(run, "dew point example 34",
	       close_to(heat_humidex_from_dew_point(30.0, 15.0), 34.0, 0.5));
	EXPECT(run, "dew point formula",
	       close_to(heat_humidex_from_dew_point(30.0, 15.0), want, 1e-9));

	/* The same air by RH. With the RH that gives dew point 15 C under
	 * Environment Canada's own vapour-pressure expression the two routes
	 * agree exactly; with a Magnus RH they agree to the example's
	 * rounding. */
	double rh_canada = 100.0 * canada_e(15.0) / canada_e(30.0);
	EXPECT(run, "rh route, same expression",
	       close_to(heat_humidex(30.0, rh_canada), want, 1e-9));
	EXPECT(run, "rh route, magnus rh",
	       close_to(heat_humidex(30.0, magnus_rh(30.0, 15.0)), 34.0, 0.5));

	/* Saturated air: dew point = air temperature. */
	EXPECT(run, "saturated",
	       close_to(heat_humidex(25.0, 100.0), heat_humidex_from_dew_point(25.0, 25.0), 1e-9));
	/* Dry air: e = 0. */
	EXPECT(run, "dry air", close_to(heat_humidex(30.0, 0.0), 30.0 - 5.555, 1e-9));
	TABLE_DONE(run);
}

struct category_case {
	const char *name;
	double x;
	const char *want;
};

static void check_categories(struct table_run *run, const char *(*fn)(double),
                             const struct category_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		EXPECT_STR(*run, cases[i].name, fn(cases[i].x), cases[i].want);
}

/* Just below, and at, each bound. */
#define BELOW(x) nextafter((x), -INFINITY)

static void test_categories(void **state)
{
	const double hi80 = heat_f_to_c(80.0), hi90 = heat_f_to_c(90.0), hi103 = heat_f_to_c(103.0),
	             hi125 = heat_f_to_c(125.0);
	const struct category_case hi[] = {
	    {"hi -inf", -INFINITY, "none"},
	    {"hi 20 C", 20.0, "none"},
	    {"hi below 80 F", BELOW(hi80), "none"},
	    {"hi 26.6 C", 26.6, "none"},
	    {"hi 80 F", hi80, "caution"},
	    {"hi 26.7 C", 26.7, "caution"},
	    {"hi below 90 F", BELOW(hi90), "caution"},
	    {"hi 90 F", hi90, "extreme-caution"},
	    {"hi below 103 F", BELOW(hi103), "extreme-caution"},
	    {"hi 103 F", hi103, "danger"},
	    {"hi below 125 F", BELOW(hi125), "danger"},
	    {"hi 125 F", hi125, "extreme-danger"},
	    {"hi 60 C", 60.0, "extreme-danger"},
	    {"hi +inf", INFINITY, "extreme-danger"},
	    {"hi nan", NAN, "unknown"},
	};
	const struct category_case hx[] = {
	    {"humidex 20", 20.0, "none"},
	    {"humidex below 30", BELOW(30.0), "none"},
	    {"humidex 30", 30.0, "some-discomfort"},
	    {"humidex 39.9", 39.9, "some-discomfort"},
	    {"humidex below 40", BELOW(40.0), "some-discomfort"},
	    {"humidex 40", 40.0, "great-discomfort"},
	    {"humidex 45.9", 45.9, "great-discomfort"},
	    {"humidex below 46", BELOW(46.0), "great-discomfort"},
	    {"humidex 46", 46.0, "dangerous"},
	    {"humidex below 54", BELOW(54.0), "dangerous"},
	    {"humidex 54", 54.0, "heat-stroke-imminent"},
	    {"humidex nan", NAN, "unknown"},
	};
	const struct category_case wb[] = {
	    {"wbgt 10", 10.0, "low"},       {"wbgt below 18", BELOW(18.0), "low"},
	    {"wbgt 18", 18.0, "moderate"},  {"wbgt below 23", BELOW(23.0), "moderate"},
	    {"wbgt 23", 23.0, "high"},      {"wbgt below 28", BELOW(28.0), "high"},
	    {"wbgt 28", 28.0, "very-high"}, {"wbgt below 32", BELOW(32.0), "very-high"},
	    {"wbgt 32", 32.0, "extreme"},   {"wbgt 40", 40.0, "extreme"},
	    {"wbgt nan", NAN, "unknown"},
	};
	(void)state;
	struct table_run run = {0};
	check_categories(&run, heat_index_category, hi, NELEMS(hi));
	check_categories(&run, heat_humidex_category, hx, NELEMS(hx));
	check_categories(&run, heat_wbgt_category, wb, NELEMS(wb));
	TABLE_DONE(run);
}

/* A valid reading: 30 C, 50 %, no globe. */
static struct heat_input plain_input(void)
{
	struct heat_input in = {0};
	in.air_c = 30.0;
	in.rh_pct = 50.0;
	return in;
}

static void test_derive_rejects(void **state)
{
	const struct {
		const char *name;
		double air, rh;
		bool has_globe;
		double globe, diameter;
		bool has_nwb;
		double nwb;
	} cases[] = {
	    {"air nan", NAN, 50.0, false, 0.0, 0.0, false, 0.0},
	    {"air +inf", INFINITY, 50.0, false, 0.0, 0.0, false, 0.0},
	    {"air -inf", -INFINITY, 50.0, false, 0.0, 0.0, false, 0.0},
	    {"air below range", -100.5, 50.0, false, 0.0, 0.0, false, 0.0},
	    {"air above range", 100.5, 50.0, false, 0.0, 0.0, false, 0.0},
	    {"rh nan", 30.0, NAN, false, 0.0, 0.0, false, 0.0},
	    {"rh 101", 30.0, 101.0, false, 0.0, 0.0, false, 0.0},
	    {"rh -1", 30.0, -1.0, false, 0.0, 0.0, false, 0.0},
	    {"rh just over 100", 30.0, nextafter(100.0, INFINITY), false, 0.0, 0.0, false, 0.0},
	    {"rh +inf", 30.0, INFINITY, false, 0.0, 0.0, false, 0.0},
	    {"globe nan", 30.0, 50.0, true, NAN, 150.0, false, 0.0},
	    {"globe above range", 30.0, 50.0, true, 150.0, 150.0, false, 0.0},
	    {"diameter nan", 30.0, 50.0, true, 40.0, NAN, false, 0.0},
	    {"diameter 0", 30.0, 50.0, true, 40.0, 0.0, false, 0.0},
	    {"diameter negative", 30.0, 50.0, true, 40.0, -150.0, false, 0.0},
	    {"diameter inf", 30.0, 50.0, true, 40.0, INFINITY, false, 0.0},
	    {"wet bulb nan", 30.0, 50.0, true, 40.0, 150.0, true, NAN},
	    {"wet bulb nan without globe", 30.0, 50.0, false, 0.0, 0.0, true, NAN},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct heat_input in = {
		    .air_c = cases[i].air,
		    .rh_pct = cases[i].rh,
		    .has_globe = cases[i].has_globe,
		    .globe_c = cases[i].globe,
		    .globe_diameter_mm = cases[i].diameter,
		    .has_natural_wet_bulb = cases[i].has_nwb,
		    .natural_wet_bulb_c = cases[i].nwb,
		};
		struct heat_result out, before;
		memset(&out, 0xa5, sizeof(out));
		memcpy(&before, &out, sizeof(out));
		EXPECT(run, cases[i].name, !heat_derive(&in, &out));
		EXPECT(run, cases[i].name, memcmp(&out, &before, sizeof(out)) == 0);
	}

	struct heat_input in = plain_input();
	struct heat_result out;
	EXPECT(run, "in NULL", !heat_derive(NULL, &out));
	EXPECT(run, "out NULL", !heat_derive(&in, NULL));
	TABLE_DONE(run);
}

static void test_derive_accepts(void **state)
{
	static const struct {
		const char *name;
		double air, rh;
		bool has_globe;
		double globe;
	} cases[] = {
	    {"rh 0", 30.0, 0.0, false, 0.0},
	    {"rh 100", 30.0, 100.0, false, 0.0},
	    {"air at minimum", -100.0, 50.0, false, 0.0},
	    {"air at maximum", 100.0, 50.0, false, 0.0},
	    {"globe at maximum", 30.0, 50.0, true, 100.0},
	    /* Fields behind a false has_ flag are not looked at. */
	    {"globe nan unused", 30.0, 50.0, false, NAN},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct heat_input in = {
		    .air_c = cases[i].air,
		    .rh_pct = cases[i].rh,
		    .has_globe = cases[i].has_globe,
		    .globe_c = cases[i].globe,
		    .globe_diameter_mm = 150.0,
		};
		struct heat_result out = {0};
		bool ok = heat_derive(&in, &out);
		EXPECT(run, cases[i].name, ok);
		if (!ok)
			continue;
		EXPECT(run, cases[i].name, isfinite(out.wet_bulb_c));
		EXPECT(run, cases[i].name, isfinite(out.wbgt_c));
		EXPECT(run, cases[i].name, isfinite(out.heat_index_c));
		EXPECT(run, cases[i].name, isfinite(out.humidex));
		EXPECT(run, cases[i].name, out.wbgt_method && out.wbgt_category);
		EXPECT(run, cases[i].name, out.heat_index_method && out.heat_index_category);
		EXPECT(run, cases[i].name, out.humidex_category);
	}
	TABLE_DONE(run);
}

/* Which WBGT method heat_derive picks, and whether it is approximate. */
static void test_derive_wbgt(void **state)
{
	const double stull = heat_wet_bulb_stull(30.0, 50.0);
	const double bom = heat_wbgt_bom(30.0, 50.0);
	const struct {
		const char *name;
		bool has_globe;
		double diameter;
		bool has_nwb;
		const char *method;
		bool approximate;
		double wbgt;
	} cases[] = {
	    {"globe, wet bulb, 150 mm", true, 150.0, true, "iso7243", false, 28.5},
	    {"globe, wet bulb, 155 mm", true, 155.0, true, "iso7243", false, 28.5},
	    {"globe, wet bulb, 145 mm", true, 145.0, true, "iso7243", false, 28.5},
	    {"globe, wet bulb, 156 mm", true, 156.0, true, "iso7243", true, 28.5},
	    {"globe, wet bulb, 50 mm", true, 50.0, true, "iso7243", true, 28.5},
	    {"globe, no wet bulb, 150 mm", true, 150.0, false, "iso7243-stull", true,
	     0.7 * stull + 0.2 * 40.0 + 0.1 * 30.0},
	    {"globe, no wet bulb, 50 mm", true, 50.0, false, "iso7243-stull", true,
	     0.7 * stull + 0.2 * 40.0 + 0.1 * 30.0},
	    {"no globe", false, 0.0, false, "bom", true, bom},
	    {"no globe, wet bulb", false, 0.0, true, "bom", true, bom},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct heat_input in = plain_input();
		in.has_globe = cases[i].has_globe;
		in.globe_c = 40.0;
		in.globe_diameter_mm = cases[i].diameter;
		in.has_natural_wet_bulb = cases[i].has_nwb;
		in.natural_wet_bulb_c = 25.0;
		struct heat_result out = {0};
		EXPECT(run, cases[i].name, heat_derive(&in, &out));
		EXPECT_STR(run, cases[i].name, out.wbgt_method, cases[i].method);
		EXPECT(run, cases[i].name, out.wbgt_approximate == cases[i].approximate);
		EXPECT(run, cases[i].name, close_to(out.wbgt_c, cases[i].wbgt, 1e-9));
		EXPECT_STR(run, cases[i].name, out.wbgt_category, heat_wbgt_category(out.wbgt_c));
	}
	TABLE_DONE(run);
}

/* Every field for a warm afternoon: 30 C, 50 %, no globe. */
static void test_derive_fields(void **state)
{
	(void)state;
	struct table_run run = {0};
	struct heat_input in = plain_input();
	struct heat_result out = {0};
	const char *method = NULL;
	double hi = heat_index_c(30.0, 50.0, &method);

	EXPECT(run, "ok", heat_derive(&in, &out));
	EXPECT(run, "wet bulb", close_to(out.wet_bulb_c, heat_wet_bulb_stull(30.0, 50.0), 1e-12));
	EXPECT(run, "wet bulb in range", out.wet_bulb_in_range);
	EXPECT(run, "wbgt", close_to(out.wbgt_c, heat_wbgt_bom(30.0, 50.0), 1e-12));
	EXPECT_STR(run, "wbgt category", out.wbgt_category, "very-high");
	EXPECT(run, "heat index", close_to(out.heat_index_c, hi, 1e-12));
	EXPECT_STR(run, "heat index method", out.heat_index_method, method);
	EXPECT_STR(run, "heat index method is regression", out.heat_index_method, "nws-rothfusz");
	EXPECT_STR(run, "heat index category", out.heat_index_category, "caution");
	EXPECT(run, "humidex", close_to(out.humidex, heat_humidex(30.0, 50.0), 1e-12));
	EXPECT_STR(run, "humidex category", out.humidex_category, "some-discomfort");

	/* Outside Stull's range the wet bulb is still given, flagged. */
	in.rh_pct = 100.0;
	EXPECT(run, "rh 100 ok", heat_derive(&in, &out));
	EXPECT(run, "rh 100 out of range", !out.wet_bulb_in_range);
	EXPECT(run, "rh 100 wet bulb given",
	       close_to(out.wet_bulb_c, heat_wet_bulb_stull(30.0, 100.0), 1e-12));
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_convert),        cmocka_unit_test(test_wet_bulb),
	    cmocka_unit_test(test_wbgt_formulas),  cmocka_unit_test(test_globe_standard),
	    cmocka_unit_test(test_heat_index),     cmocka_unit_test(test_humidex),
	    cmocka_unit_test(test_categories),     cmocka_unit_test(test_derive_rejects),
	    cmocka_unit_test(test_derive_accepts), cmocka_unit_test(test_derive_wbgt),
	    cmocka_unit_test(test_derive_fields),
	};
	return cmocka_run_group_tests_name("heat", tests, NULL, NULL);
}
