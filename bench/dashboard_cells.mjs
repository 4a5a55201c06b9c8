// Synthetic readings for bench/bench_dashboard.sh: one reading at the centre
// of each of N x N RD New 100 m cells (default 100 x 100 = 10,000) south-west
// of Utrecht's centre, ridden by 4 bikes in serpentines (100 m every 10 s),
// as a device-v3 CSV. RD to WGS84 by the Schreutelkamp and Strang van Hees
// approximation (about 1 m: well inside a cell).
const n = Number(process.argv[2] || 100);
const day = process.argv[3] || '2025-03-04';
const K = [[0, 1, 3235.65389], [2, 0, -32.58297], [0, 2, -0.2475], [2, 1, -0.84978], [0, 3, -0.0655],
  [2, 2, -0.01709], [1, 0, -0.00738], [4, 0, 0.0053], [2, 3, -0.00039], [4, 1, 0.00033], [1, 1, -0.00012]];
const L = [[1, 0, 5260.52916], [1, 1, 105.94684], [1, 2, 2.45656], [3, 0, -0.81885], [1, 3, 0.05594],
  [3, 1, -0.05607], [0, 1, 0.01199], [3, 2, -0.00256], [1, 4, 0.00128], [0, 2, 0.00022], [2, 0, -0.00022],
  [5, 0, 0.00026]];
function wgs84(x, y) {
  const dx = (x - 155000) * 1e-5, dy = (y - 463000) * 1e-5;
  const sum = (t) => t.reduce((s, [p, q, c]) => s + c * dx ** p * dy ** q, 0);
  return [52.1551744 + sum(K) / 3600, 5.38720621 + sum(L) / 3600];
}
const bikes = 4, rowsPerBike = Math.ceil(n / bikes);
const x0 = 131000, y0 = 450000;
const out = ['created_at,imei,lat,lon,sat_no,battery,uptime,temperature,humidity,pm_1,pm_2_5,pm_10'];
for (let b = 0; b < bikes; b++) {
  const imei = `86123456789${String(b).padStart(4, '0')}`;
  let t = Date.parse(`${day}T05:00:00Z`);
  for (let r = b * rowsPerBike; r < Math.min(n, (b + 1) * rowsPerBike); r++) {
    for (let c = 0; c < n; c++) {
      const col = r % 2 ? n - 1 - c : c;
      const [lat, lon] = wgs84(x0 + 100 * col + 50, y0 + 100 * r + 50);
      const pm = 4 + ((col * 7 + r * 3) % 25) + (c % 3) * 0.5;
      const time = new Date(t).toISOString().replace('.000Z', 'Z');
      out.push(`${time},${imei},${lat.toFixed(7)},${lon.toFixed(7)},8,3.9,120,12.5,70,${(pm / 2).toFixed(1)},${pm.toFixed(1)},${(pm * 1.5).toFixed(1)}`);
      t += 10000;
    }
  }
}
process.stdout.write(out.join('\n') + '\n');
