// Periods of the views, in UTC: a chosen hour, day, ISO week or month, and
// the window of a series that ends with it.

const HOUR = 3600e3, DAY = 24 * HOUR;

export function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

export function rfc3339(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// {from, to, bucket} (ms) of `period` at date (YYYY-MM-DD) and hour.
export function periodRange(period, date, hour) {
  const day = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(day)) return null;
  switch (period) {
    case 'hour': {
      const h = Math.min(23, Math.max(0, parseInt(hour, 10) || 0));
      return { from: day + h * HOUR, to: day + (h + 1) * HOUR, bucket: 'hour' };
    }
    case 'week': {
      const dow = (new Date(day).getUTCDay() + 6) % 7; // Monday 0
      const from = day - dow * DAY;
      return { from, to: from + 7 * DAY, bucket: 'week' };
    }
    case 'month': {
      const d = new Date(day);
      const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      return { from, to, bucket: 'month' };
    }
    default:
      return { from: day, to: day + DAY, bucket: 'day' };
  }
}

// The series window of `bucket` that ends at `end` (ms).
export function seriesWindow(bucket, end) {
  const span = { hour: 2 * DAY, day: 31 * DAY, week: 182 * DAY }[bucket] || 2 * DAY;
  return { from: end - span, to: end };
}

// The last complete hour before now, as /v1/latest has it.
export function lastHourEnd() {
  return Math.floor(Date.now() / HOUR) * HOUR;
}

// The bounding box (min lon, min lat, max lon, max lat) of a GeoJSON geometry.
export function bbox(geometry) {
  let b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
    } else c.forEach(walk);
  };
  if (geometry && geometry.coordinates) walk(geometry.coordinates);
  return Number.isFinite(b[0]) ? b : null;
}
