#include "heat.h"

#include <math.h>
#include <stddef.h>

double heat_c_to_f(double c)
{
	return c * 9.0 / 5.0 + 32.0;
}

double heat_f_to_c(double f)
{
	return (f - 32.0) * 5.0 / 9.0;
}

double heat_wet_bulb_stull(double air_c, double rh_pct)
{
	double t = air_c, rh = rh_pct;
	return t * atan(0.151977 * sqrt(rh + 8.313659)) + atan(t + rh) - atan(rh - 1.676331) +
	       0.00391838 * pow(rh, 1.5) * atan(0.023101 * rh) - 4.686035;
}

bool heat_wet_bulb_stull_in_range(double air_c, double rh_pct)
{
	return rh_pct >= 5.0 && rh_pct <= 99.0 && air_c >= -20.0 && air_c <= 50.0;
}

double heat_wbgt_iso7243(double natural_wet_bulb_c, double globe_c, double air_c)
{
	return 0.7 * natural_wet_bulb_c + 0.2 * globe_c + 0.1 * air_c;
}

bool heat_globe_standard(double diameter_mm)
{
	return fabs(diameter_mm - HEAT_GLOBE_STANDARD_MM) <= HEAT_GLOBE_TOLERANCE_MM;
}

double heat_vapour_pressure_bom(double air_c, double rh_pct)
{
	return rh_pct / 100.0 * 6.105 * exp(17.27 * air_c / (237.7 + air_c));
}

double heat_wbgt_bom(double air_c, double rh_pct)
{
	return 0.567 * air_c + 0.393 * heat_vapour_pressure_bom(air_c, rh_pct) + 3.94;
}

/* The Rothfusz (1990) regression, in F. */
static double heat_rothfusz(double t, double rh)
{
	return -42.379 + 2.04901523 * t + 10.14333127 * rh - 0.22475541 * t * rh -
	       0.00683783 * t * t - 0.05481717 * rh * rh + 0.00122874 * t * t * rh +
	       0.00085282 * t * rh * rh - 0.00000199 * t * t * rh * rh;
}

double heat_index_f(double air_f, double rh_pct, const char **method)
{
	double t = air_f, rh = rh_pct;
	const char *m = "nws-simple";
	double hi = 0.5 * (t + 61.0 + (t - 68.0) * 1.2 + rh * 0.094);

	if ((hi + t) / 2.0 >= 80.0) {
		hi = heat_rothfusz(t, rh);
		m = "nws-rothfusz";
		if (rh < 13.0 && t >= 80.0 && t <= 112.0) {
			hi -= (13.0 - rh) / 4.0 * sqrt((17.0 - fabs(t - 95.0)) / 17.0);
			m = "nws-rothfusz-low-rh";
		} else if (rh > 85.0 && t >= 80.0 && t <= 87.0) {
			hi += (rh - 85.0) / 10.0 * ((87.0 - t) / 5.0);
			m = "nws-rothfusz-high-rh";
		}
	}
	if (method)
		*method = m;
	return hi;
}

double heat_index_c(double air_c, double rh_pct, const char **method)
{
	return heat_f_to_c(heat_index_f(heat_c_to_f(air_c), rh_pct, method));
}

/* Saturation vapour pressure (hPa) over water at t_c, in the form
 * Environment Canada uses for the humidex. */
static double heat_humidex_es(double t_c)
{
	return 6.11 * exp(5417.7530 * (1.0 / 273.16 - 1.0 / (273.15 + t_c)));
}

/* Humidex from air temperature and vapour pressure (hPa). */
static double heat_humidex_e(double air_c, double e_hpa)
{
	return air_c + 0.5555 * (e_hpa - 10.0);
}

double heat_humidex_from_dew_point(double air_c, double dew_point_c)
{
	return heat_humidex_e(air_c, heat_humidex_es(dew_point_c));
}

double heat_humidex(double air_c, double rh_pct)
{
	return heat_humidex_e(air_c, rh_pct / 100.0 * heat_humidex_es(air_c));
}

/* A category from a table of lower bounds in rising order: names[i] for
 * bounds[i - 1] <= x < bounds[i], names[0] below bounds[0], names[n] from
 * bounds[n - 1] up. */
static const char *heat_band(double x, const double *bounds, const char *const *names, size_t n)
{
	if (isnan(x))
		return "unknown";
	size_t i = 0;
	while (i < n && x >= bounds[i])
		i++;
	return names[i];
}

const char *heat_index_category(double hi_c)
{
	const double bounds[] = {heat_f_to_c(80.0), heat_f_to_c(90.0), heat_f_to_c(103.0),
	                         heat_f_to_c(125.0)};
	static const char *const names[] = {"none", "caution", "extreme-caution", "danger",
	                                    "extreme-danger"};
	return heat_band(hi_c, bounds, names, sizeof(bounds) / sizeof(bounds[0]));
}

const char *heat_humidex_category(double humidex)
{
	static const double bounds[] = {30.0, 40.0, 46.0, 54.0};
	static const char *const names[] = {"none", "some-discomfort", "great-discomfort",
	                                    "dangerous", "heat-stroke-imminent"};
	return heat_band(humidex, bounds, names, sizeof(bounds) / sizeof(bounds[0]));
}

const char *heat_wbgt_category(double wbgt_c)
{
	static const double bounds[] = {18.0, 23.0, 28.0, 32.0};
	static const char *const names[] = {"low", "moderate", "high", "very-high", "extreme"};
	return heat_band(wbgt_c, bounds, names, sizeof(bounds) / sizeof(bounds[0]));
}

/* A finite temperature within the range heat_derive accepts. */
static bool heat_temp_ok(double c)
{
	return isfinite(c) && c >= HEAT_TEMP_MIN_C && c <= HEAT_TEMP_MAX_C;
}

static bool heat_input_ok(const struct heat_input *in)
{
	if (!heat_temp_ok(in->air_c))
		return false;
	if (!isfinite(in->rh_pct) || in->rh_pct < 0.0 || in->rh_pct > 100.0)
		return false;
	if (in->has_globe) {
		if (!heat_temp_ok(in->globe_c))
			return false;
		if (!isfinite(in->globe_diameter_mm) || in->globe_diameter_mm <= 0.0)
			return false;
	}
	if (in->has_natural_wet_bulb && !heat_temp_ok(in->natural_wet_bulb_c))
		return false;
	return true;
}

bool heat_derive(const struct heat_input *in, struct heat_result *out)
{
	if (!in || !out || !heat_input_ok(in))
		return false;

	struct heat_result r = {0};
	r.wet_bulb_c = heat_wet_bulb_stull(in->air_c, in->rh_pct);
	r.wet_bulb_in_range = heat_wet_bulb_stull_in_range(in->air_c, in->rh_pct);

	if (in->has_globe) {
		bool measured = in->has_natural_wet_bulb;
		double tnw = measured ? in->natural_wet_bulb_c : r.wet_bulb_c;
		r.wbgt_c = heat_wbgt_iso7243(tnw, in->globe_c, in->air_c);
		r.wbgt_method = measured ? "iso7243" : "iso7243-stull";
		r.wbgt_approximate = !measured || !heat_globe_standard(in->globe_diameter_mm);
	} else {
		r.wbgt_c = heat_wbgt_bom(in->air_c, in->rh_pct);
		r.wbgt_method = "bom";
		r.wbgt_approximate = true;
	}
	r.wbgt_category = heat_wbgt_category(r.wbgt_c);

	r.heat_index_c = heat_index_c(in->air_c, in->rh_pct, &r.heat_index_method);
	r.heat_index_category = heat_index_category(r.heat_index_c);

	r.humidex = heat_humidex(in->air_c, in->rh_pct);
	r.humidex_category = heat_humidex_category(r.humidex);

	*out = r;
	return true;
}
