/* Synthetic Snuffelfiets readings for bench/bench_ingest.sh, written twice:
 *
 *   CSV_OUT   the device v3 CSV layout, as a bike uploads it (header
 *             created_at,imei,lat,lon,sat_no,battery,uptime,temperature,
 *             humidity,pm_1,pm_2_5,pm_10; times in UTC with Z);
 *   COPY_OUT  the same readings already converted to the columns of
 *             air_reading, in COPY text format (device_id uuid, recorded_at,
 *             received_at, position as hex EWKB, values, quality, raw), for
 *             the psql COPY baseline.
 *
 * DEVICES bikes (IMEIs) ride trips of 10-s readings (15 to 65 minutes each,
 * 4 hours to 2 days apart) inside Utrecht (52.05-52.12 N, 5.05-5.18 E) from
 * August 2025 on; each trip starts with a few readings without a GPS fix
 * (lat = lon = 0). Rows are written device by device, in time order.
 * Deterministic: the same arguments give the same files.
 *
 * Built by bench/bench_ingest.sh:
 *   cc -std=c17 -O2 -o ingest_gen bench/ingest_gen.c -lm
 *   ingest_gen ROWS DEVICES CSV_OUT COPY_OUT
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LAT_MIN 52.05
#define LAT_MAX 52.12
#define LON_MIN 5.05
#define LON_MAX 5.18
#define M_PER_DEG_LAT 111320.0

static uint64_t rng_state = 0x5eed5eed12345678ULL;

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(double lo, double hi)
{
	return lo + (hi - lo) * (double)(splitmix64(&rng_state) >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
	double u = uniform(1e-12, 1), v = uniform(0, 1);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static double clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* Little-endian EWKB of POINT(lon lat) with SRID 4326, in hex. */
static void ewkb_hex(double lon, double lat, char out[51])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char b[25] = {0x01, 0x01, 0x00, 0x00, 0x20, 0xE6, 0x10, 0x00, 0x00};
	memcpy(b + 9, &lon, 8); /* x86-64 and arm64 are little-endian */
	memcpy(b + 17, &lat, 8);
	for (int i = 0; i < 25; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[50] = '\0';
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s ROWS DEVICES CSV_OUT COPY_OUT\n", argv[0]);
		return 2;
	}
	long rows = strtol(argv[1], NULL, 10), devices = strtol(argv[2], NULL, 10);
	if (rows < 1 || devices < 1 || devices > rows) {
		fprintf(stderr, "ROWS and DEVICES must be positive, DEVICES <= ROWS\n");
		return 2;
	}
	FILE *csv = fopen(argv[3], "w"), *copy = fopen(argv[4], "w");
	if (!csv || !copy) {
		perror("open");
		return 1;
	}
	static char csvbuf[1 << 20], copybuf[1 << 20];
	setvbuf(csv, csvbuf, _IOFBF, sizeof(csvbuf));
	setvbuf(copy, copybuf, _IOFBF, sizeof(copybuf));
	fputs("created_at,imei,lat,lon,sat_no,battery,uptime,temperature,humidity,pm_1,pm_2_5,"
	      "pm_10\n",
	      csv);

	const time_t epoch = 1754006400; /* 2025-08-01T00:00:00Z */
	const double m_per_deg_lon = M_PER_DEG_LAT * cos(52.085 * M_PI / 180);
	for (long d = 0; d < devices; d++) {
		long n = rows / devices + (d < rows % devices ? 1 : 0);
		char imei[24], uuid[37];
		snprintf(imei, sizeof(imei), "%llu",
		         353471100000000ULL + (unsigned long long)d * 7919);
		uint64_t s = (uint64_t)d * 0x2545F4914F6CDD1DULL, h1 = splitmix64(&s),
		         h2 = splitmix64(&s);
		snprintf(uuid, sizeof(uuid), "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h1 >> 32),
		         (unsigned)(h1 >> 16) & 0xffff, (unsigned)h1 & 0xfff,
		         0x8000 | ((unsigned)(h2 >> 48) & 0x3fff),
		         (unsigned long long)(h2 & 0xffffffffffffULL));

		time_t t = epoch + (time_t)uniform(0, 75 * 86400);
		double lat = uniform(LAT_MIN, LAT_MAX), lon = uniform(LON_MIN, LON_MAX);
		double battery = uniform(60, 100), pm_base = uniform(4, 20);
		long trip_left = 0, no_fix = 0, uptime = 0;
		double heading = 0, temp = 0, hum = 0, pm25 = 0;
		for (long i = 0; i < n; i++) {
			if (trip_left == 0) { /* a new trip */
				if (i > 0)
					t += (time_t)uniform(4 * 3600, 48 * 3600);
				trip_left = (long)uniform(90, 390);
				no_fix = (long)uniform(0, 6);
				uptime = (long)uniform(5, 60);
				heading = uniform(0, 2 * M_PI);
				temp = uniform(4, 18);
				hum = uniform(55, 92);
				pm25 = pm_base * uniform(0.6, 1.6);
				if (battery < 25)
					battery = uniform(85, 100);
			} else {
				t += 10;
				uptime += 10;
			}
			trip_left--;
			/* Ride on: 3.5-6.5 m/s, turning now and then, kept inside the box. */
			double step = uniform(35, 65);
			heading += gauss() * 0.25;
			lat += step * cos(heading) / M_PER_DEG_LAT;
			lon += step * sin(heading) / m_per_deg_lon;
			if (lat < LAT_MIN || lat > LAT_MAX) {
				heading = M_PI - heading;
				lat = clamp(lat, LAT_MIN, LAT_MAX);
			}
			if (lon < LON_MIN || lon > LON_MAX) {
				heading = -heading;
				lon = clamp(lon, LON_MIN, LON_MAX);
			}
			temp = clamp(temp + gauss() * 0.05, -5, 30);
			hum = clamp(hum + gauss() * 0.3, 30, 99);
			pm25 = clamp(pm25 + gauss() * 0.4, 1, 80);
			battery = clamp(battery - uniform(0, 0.02), 0, 100);
			bool fix = no_fix == 0;
			if (no_fix > 0)
				no_fix--;

			char when[32], pos[40], v_temp[16], v_hum[16], v_pm1[16], v_pm25[16],
			    v_pm10[16];
			char v_bat[16];
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			if (fix)
				snprintf(pos, sizeof(pos), "%.6f,%.6f", lat, lon);
			else
				snprintf(pos, sizeof(pos), "0,0");
			int sats = fix ? (int)uniform(5, 15) : 0;
			snprintf(v_temp, sizeof(v_temp), "%.1f", temp);
			snprintf(v_hum, sizeof(v_hum), "%.1f", hum);
			snprintf(v_pm25, sizeof(v_pm25), "%.1f", pm25);
			snprintf(v_pm1, sizeof(v_pm1), "%.1f", pm25 * uniform(0.62, 0.72));
			snprintf(v_pm10, sizeof(v_pm10), "%.1f", pm25 * uniform(1.2, 1.5));
			snprintf(v_bat, sizeof(v_bat), "%.0f", battery);
			fprintf(csv, "%s,%s,%s,%d,%s,%ld,%s,%s,%s,%s,%s\n", when, imei, pos, sats,
			        v_bat, uptime, v_temp, v_hum, v_pm1, v_pm25, v_pm10);

			/* The same reading as the server stores it: plain units need no
			 * conversion; no fix = no position (gps_missing, bit 1);
			 * humidity above 85% = humidity_high (bit 4). */
			char geom[51] = "\\N";
			if (fix) {
				char la[16], lo[16];
				snprintf(la, sizeof(la), "%.6f", lat);
				snprintf(lo, sizeof(lo), "%.6f", lon);
				ewkb_hex(strtod(lo, NULL), strtod(la, NULL), geom);
			}
			int quality = (fix ? 0 : 2) | (strtod(v_hum, NULL) > 85 ? 16 : 0);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S+00", &tm);
			/* device_id recorded_at received_at position temperature_c humidity_pct
			 * pressure_pa voltage_v battery pm1 pm25 pm10 no2 voc acc_max hacc vacc
			 * satellites uptime_s error_code firmware quality raw */
			fprintf(copy,
			        "%s\t%s\t\\N\t%s\t%s\t%s\t\\N\t\\N\t%s\t%s\t%s\t%"
			        "s\t\\N\t\\N\t\\N\t\\N\t\\N\t"
			        "%d\t%ld\t\\N\t\\N\t%d\t\\N\n",
			        uuid, when, geom, v_temp, v_hum, v_bat, v_pm1, v_pm25, v_pm10, sats,
			        uptime, quality);
		}
	}
	if (fclose(csv) != 0 || fclose(copy) != 0) {
		perror("write");
		return 1;
	}
	return 0;
}
