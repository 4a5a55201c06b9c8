/* Heat-stress indices for garden weather stations: wet-bulb temperature,
 * WBGT, the NWS heat index and the Canadian humidex, each with a category
 * for the public. Pure arithmetic: no allocation, no global state, nothing
 * rounded. Every string returned is static.
 *
 * Units: temperatures in degrees Celsius unless a name ends in _f
 * (Fahrenheit); relative humidity in percent (0..100); vapour pressure in
 * hPa; globe diameter in mm.
 *
 * Sources of the constants:
 *   - Wet bulb: R. Stull (2011), "Wet-Bulb Temperature from Relative
 *     Humidity and Air Temperature", J. Appl. Meteor. Climatol. 50,
 *     2267-2269. An empirical fit at standard sea-level pressure
 *     (101.325 kPa); worked example 20 C, 50 % -> 13.7 C. Valid for
 *     RH 5..99 % and T -20..50 C; the paper also excludes cases that are
 *     both cold and dry (a region drawn in a figure, not given as a bound,
 *     so it is not tested here).
 *   - WBGT, measured: ISO 7243 (2017) outdoor (solar load) formula
 *     WBGT = 0.7 Tnw + 0.2 Tg + 0.1 Ta, for a natural wet bulb and a
 *     150 mm black globe.
 *   - WBGT, estimated: Australian Bureau of Meteorology, thermal comfort
 *     observations page (bom.gov.au/info/thermal_stress):
 *     WBGT = 0.567 Ta + 0.393 e + 3.94,
 *     e = (RH / 100) 6.105 exp(17.27 Ta / (237.7 + Ta)). It ignores sun and
 *     wind (the BoM describes it as representative of moderately high
 *     radiation and light wind), so it is always approximate.
 *   - Heat index: NWS Weather Prediction Center, "The Heat Index Equation"
 *     (Rothfusz 1990, NWS Technical Attachment SR 90-23, with the NWS
 *     simple formula and the low- and high-humidity adjustments).
 *   - Humidex: Environment and Climate Change Canada (Masterton and
 *     Richardson 1979, "Humidex, a method of quantifying human discomfort
 *     due to excessive heat and humidity", AES CLI 1-79):
 *     H = T + 0.5555 (e - 10), e = 6.11 exp(5417.7530 (1/273.16 - 1/Td))
 *     with Td the dew point in kelvin (273.15 + Td in C).
 */
#ifndef SAMENMETEN_HEAT_H
#define SAMENMETEN_HEAT_H

#include <stdbool.h>

#include "err.h"

/* heat_derive rejects any temperature outside this range (degrees C). Wide
 * enough for any air or black-globe reading on Earth, narrow enough that
 * every formula stays finite. */
#define HEAT_TEMP_MIN_C (-100.0)
#define HEAT_TEMP_MAX_C 100.0

/* The ISO 7243 standard globe: 150 mm, accepted within +-5 mm. */
#define HEAT_GLOBE_STANDARD_MM 150.0
#define HEAT_GLOBE_TOLERANCE_MM 5.0

struct heat_input {
	double air_c;  /* required */
	double rh_pct; /* required, 0..100 */
	bool has_globe;
	double globe_c;           /* black-globe temperature, when has_globe */
	double globe_diameter_mm; /* when has_globe; 150 is the standard globe */
	bool has_natural_wet_bulb;
	double natural_wet_bulb_c; /* measured natural wet bulb; used only with a globe */
};

struct heat_result {
	double wet_bulb_c;      /* Stull (2011); method always "stull2011" */
	bool wet_bulb_in_range; /* the inputs lie where Stull's fit is valid */
	double wbgt_c;
	const char *wbgt_method; /* "iso7243", "iso7243-stull" or "bom" */
	bool wbgt_approximate;
	const char *wbgt_category;
	double heat_index_c;
	const char *heat_index_method; /* see heat_index_f */
	const char *heat_index_category;
	double humidex;
	const char *humidex_category;
};

/* Fills out from in. Inputs must be finite with 0 <= rh_pct <= 100, every
 * temperature given (air, and globe or natural wet bulb when their has_
 * flag is set) within HEAT_TEMP_MIN_C..HEAT_TEMP_MAX_C, and a globe
 * diameter above 0. Returns false (out untouched) otherwise, or when either
 * pointer is NULL.
 *
 * WBGT method:
 *   - a globe and a measured natural wet bulb: "iso7243";
 *   - a globe without one: "iso7243-stull", Stull's psychrometric wet bulb
 *     standing in for the natural wet bulb, always approximate;
 *   - no globe: "bom", always approximate (a measured natural wet bulb is
 *     then not used);
 *   - with a globe, a diameter other than 150 +- 5 mm also makes the result
 *     approximate; no correction is applied. */
MUST_CHECK bool heat_derive(const struct heat_input *in, struct heat_result *out);

/* Temperature conversions, exact to double precision. */
double heat_c_to_f(double c);
double heat_f_to_c(double f);

/* Wet-bulb temperature (C) from air temperature and RH by Stull (2011),
 * angles in radians. Returns the value even outside the fit's range. */
double heat_wet_bulb_stull(double air_c, double rh_pct);
/* True when 5 <= rh_pct <= 99 and -20 <= air_c <= 50 (both inclusive). */
bool heat_wet_bulb_stull_in_range(double air_c, double rh_pct);

/* ISO 7243 outdoor WBGT (C) from natural wet bulb, globe and air
 * temperatures. */
double heat_wbgt_iso7243(double natural_wet_bulb_c, double globe_c, double air_c);
/* True when a globe of this diameter counts as the ISO 7243 standard one. */
bool heat_globe_standard(double diameter_mm);

/* Water vapour pressure (hPa) as the BoM computes it for its WBGT
 * approximation. */
double heat_vapour_pressure_bom(double air_c, double rh_pct);
/* The BoM WBGT approximation (C). */
double heat_wbgt_bom(double air_c, double rh_pct);

/* NWS heat index in F from air temperature in F. The simple formula
 * 0.5 (T + 61 + 1.2 (T - 68) + 0.094 RH) is used while its mean with T is
 * below 80 F; otherwise the Rothfusz regression, with the NWS adjustment
 * subtracted when RH < 13 and 80 <= T <= 112, or added when RH > 85 and
 * 80 <= T <= 87. When method is not NULL, *method is set to the branch:
 * "nws-simple", "nws-rothfusz", "nws-rothfusz-low-rh" or
 * "nws-rothfusz-high-rh". */
double heat_index_f(double air_f, double rh_pct, const char **method);
/* heat_index_f with air temperature and result in C. */
double heat_index_c(double air_c, double rh_pct, const char **method);

/* Humidex from air temperature and dew point (C). */
double heat_humidex_from_dew_point(double air_c, double dew_point_c);
/* Humidex from air temperature and RH. The vapour pressure is computed
 * directly as RH / 100 times the saturation pressure at air_c by the same
 * Environment Canada expression (6.11 exp(5417.7530 (1/273.16 - 1/T))),
 * which is the same as finding the dew point by inverting that expression;
 * no Magnus dew point is involved, and RH 0 is fine. */
double heat_humidex(double air_c, double rh_pct);

/* Categories. Each returns a short, stable, lower-case ASCII string, or
 * "unknown" for NaN. A lower bound belongs to the band it opens.
 *
 * Heat index (C), NWS bounds set in F (80, 90, 103, 125 F) and converted
 * exactly with heat_f_to_c, i.e. about 26.7, 32.2, 39.4, 51.7 C:
 *   HI < 80 F           "none"
 *   80 F <= HI < 90 F   "caution"
 *   90 F <= HI < 103 F  "extreme-caution"
 *   103 F <= HI < 125 F "danger"
 *   HI >= 125 F         "extreme-danger"
 * Source: NWS "What is the heat index?" chart (weather.gov/ama/heatindex). */
const char *heat_index_category(double hi_c);

/* Humidex, Environment and Climate Change Canada comfort ranges: little or
 * no discomfort below 30; some discomfort 30-39; great discomfort 40-45;
 * dangerous 46 and over. The "heat stroke imminent" band from 54 up appears
 * in older versions of the table; it was not checked against a current
 * Environment Canada document. Integer bands read as:
 *   H < 30        "none"
 *   30 <= H < 40  "some-discomfort"
 *   40 <= H < 46  "great-discomfort"
 *   46 <= H < 54  "dangerous"
 *   H >= 54       "heat-stroke-imminent" */
const char *heat_humidex_category(double humidex);

/* WBGT (C), a sport and outdoor-activity risk scale for the public, not the
 * ISO 7243 work reference values:
 *   WBGT < 18        "low"
 *   18 <= WBGT < 23  "moderate"
 *   23 <= WBGT < 28  "high"
 *   28 <= WBGT < 32  "very-high"
 *   WBGT >= 32       "extreme"
 * The 18/23/28 bounds are the ACSM flag scale for distance running
 * (Armstrong et al. 1996, ACSM position stand "Heat and cold illnesses
 * during distance running", Med. Sci. Sports Exerc. 28(12)): green, amber,
 * red, black. The split at 32 is the project's choice; it lies near the
 * ACSM 2007 position stand's "cancel exercise" level (WBGT >= 32.3 C,
 * Armstrong et al. 2007, Med. Sci. Sports Exerc. 39(3)) but is not taken
 * from a published table. */
const char *heat_wbgt_category(double wbgt_c);

#endif
