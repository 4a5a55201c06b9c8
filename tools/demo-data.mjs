// Synthetic data for `make demo` where the real fixtures have none: Telraam
// reports for the fixture's real segments (its snapshot was taken at night,
// with empty counts) and heat-station observations (no public fixture).
// Deterministic: the same output on every run.
//   node tools/demo-data.mjs telraam SEGMENTS.geojson FROM_DAY DAYS  > reports.json
//   node tools/demo-data.mjs heat FROM_DAY DAYS                      > observations.json
//   node tools/demo-data.mjs stations                                 > stations (tab-separated)
//   node tools/demo-data.mjs beleving MONTH                           > sheets.json
import { readFileSync } from 'node:fs';

let seed = 20241111;
function random() { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
// Traffic over the day: a morning and an evening peak.
const dayCurve = (h) => 0.15 + Math.exp(-((h - 8) ** 2) / 3) + 0.9 * Math.exp(-((h - 17) ** 2) / 4);

// Heat stations: id, participant, lat, lon, exact-position consent.
export const STATIONS = [
  ['hitte-dom', 'bewoner-1', 52.0907, 5.1214, true],
  ['hitte-lombok', 'bewoner-2', 52.0921, 5.0985, false],
  ['hitte-overvecht', 'bewoner-3', 52.1167, 5.1114, false],
  ['hitte-leidsche-rijn', 'bewoner-4', 52.0995, 5.0567, false],
  ['hitte-zuilen', 'bewoner-5', 52.1098, 5.0923, false],
  ['hitte-tuindorp', 'bewoner-6', 52.1052, 5.1302, true],
];

function telraam(path, fromDay, days) {
  const fc = JSON.parse(readFileSync(path, 'utf8'));
  const report = [];
  for (const f of fc.features) {
    const id = f.properties.segment_id;
    const size = 0.3 + 1.7 * random();
    for (let d = 0; d < days; d++) {
      for (let h = 0; h < 24; h++) {
        const date = new Date(Date.parse(`${fromDay}T00:00:00Z`) + (d * 24 + h) * 3600e3);
        const k = size * dayCurve((h + 1) % 24) * (0.8 + 0.4 * random());
        const car = round(120 * k), bike = round(90 * k), pedestrian = round(25 * k), heavy = round(6 * k);
        const split = (x) => { const l = round(x * (0.4 + 0.2 * random())); return [l, round(x - l)]; };
        const [carL, carR] = split(car), [bikeL, bikeR] = split(bike);
        const [pedL, pedR] = split(pedestrian), [heavyL, heavyR] = split(heavy);
        report.push({
          instance_id: -1, segment_id: id, date: date.toISOString().replace('.000Z', 'Z'), interval: 'hourly',
          uptime: round(h < 6 || h > 21 ? 0.3 + 0.2 * random() : 0.7 + 0.25 * random()),
          car, bike, pedestrian, heavy, car_lft: carL, car_rgt: carR, bike_lft: bikeL, bike_rgt: bikeR,
          pedestrian_lft: pedL, pedestrian_rgt: pedR, heavy_lft: heavyL, heavy_rgt: heavyR,
          v85: round(30 + 25 * random(), 1), direction: 1, timezone: 'Europe/Amsterdam',
        });
      }
    }
  }
  return { report };
}

function heat(fromDay, days) {
  const out = [];
  STATIONS.forEach(([station], s) => {
    for (let d = 0; d < days; d++) {
      const warm = 24 + 3 * d + s;
      for (let m = 0; m < 24 * 60; m += 15) {
        const h = m / 60;
        const temperature = round(warm + 8 * Math.sin(((h - 9) / 24) * 2 * Math.PI) + random(), 1);
        const humidity = round(Math.min(95, Math.max(25, 70 - 25 * Math.sin(((h - 9) / 24) * 2 * Math.PI) + 5 * random())), 1);
        const time = new Date(Date.parse(`${fromDay}T00:00:00Z`) + (d * 1440 + m) * 60e3);
        out.push({ station, time: time.toISOString().replace('.000Z', 'Z'), temperature, humidity });
      }
    }
  });
  return out;
}

// Leefplekmeter sheets: eight residents around each station's neighbourhood,
// two sheets each in MONTH (YYYY-MM), scoring all 14 themes; no remarks.
const THEMES = ['moving_around', 'public_transport', 'traffic_and_parking', 'streets_and_spaces',
  'natural_space', 'play_and_recreation', 'facilities_and_services', 'work_and_economy', 'housing',
  'social_contact', 'identity_and_belonging', 'feeling_safe', 'care_and_maintenance',
  'influence_and_control'];
function beleving(month) {
  const out = [];
  STATIONS.forEach(([, , lat, lon], s) => {
    for (let r = 0; r < 8; r++) {
      const device = `leefplek-${s}-${r}`;
      const home = [lat + (random() - 0.5) * 0.012, lon + (random() - 0.5) * 0.02];
      for (let sheet = 0; sheet < 2; sheet++) {
        const scores = {};
        for (const theme of THEMES) scores[theme] = 1 + Math.floor(random() * 7);
        const day = String(1 + Math.floor(random() * 27)).padStart(2, '0');
        out.push({ device, time: `${month}-${day}T1${sheet}:00:00Z`, lat: round(home[0], 5),
          lon: round(home[1], 5), scores });
      }
    }
  });
  return out;
}

const [what, ...args] = process.argv.slice(2);
if (what === 'telraam') process.stdout.write(JSON.stringify(telraam(args[0], args[1], +args[2])));
else if (what === 'heat') process.stdout.write(JSON.stringify(heat(args[0], +args[1])));
else if (what === 'beleving') process.stdout.write(JSON.stringify(beleving(args[0])));
else if (what === 'stations') {
  for (const s of STATIONS) process.stdout.write(JSON.stringify({ external_id: s[0], participant: s[1],
    lat: s[2], lon: s[3], exact_position_consent: s[4] }) + '\n');
} else {
  process.stderr.write('usage: demo-data.mjs telraam FILE DAY DAYS | heat DAY DAYS | stations | beleving MONTH\n');
  process.exit(2);
}
