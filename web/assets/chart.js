// Time series with uPlot: one line per series, and a dashed reference line.
/* global uPlot */

// Draws into `host` a chart of `times` (ISO strings) and `series`
// ([{label, values, colour}]); `ref` ({value, label}) adds a dashed line.
// `range` ([from, to] in ms) fixes the time axis.
export function timeChart(host, { times, series, ref, unit, range }) {
  host.replaceChildren();
  const xs = times.map((t) => Date.parse(t) / 1000);
  const data = [xs, ...series.map((s) => s.values)];
  const opts = {
    width: Math.max(260, Math.min(host.clientWidth || 320, 560)),
    height: 200,
    scales: { x: range ? { time: true, range: () => [range[0] / 1000, range[1] / 1000] } : { time: true } },
    axes: [{}, { label: unit || '', size: 50 }],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.colour || '#31688e', width: 2,
      points: { show: xs.length < 60 } }))],
    legend: { live: false },
  };
  if (ref && ref.value !== undefined && ref.value !== null) {
    data.push(xs.map(() => ref.value));
    opts.series.push({ label: ref.label, stroke: '#d62728', dash: [6, 4], width: 1.5,
      points: { show: false } });
  }
  const chart = new uPlot(opts, data, host);
  host.dataset.points = String(xs.length);
  return chart;
}

// A horizontal bar per name ({name: value}) as an accessible table.
export function barTable(host, title, entries, colour, label = (n) => n) {
  const table = document.createElement('table');
  table.className = 'bars';
  const cap = document.createElement('caption');
  cap.textContent = title;
  table.append(cap);
  const max = Math.max(1e-9, ...entries.map(([, v]) => v || 0));
  for (const [name, v] of entries) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = label(name);
    const td = document.createElement('td');
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('width', '120');
    svg.setAttribute('height', '12');
    svg.setAttribute('aria-hidden', 'true');
    const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    rect.setAttribute('width', String(Math.round((120 * (v || 0)) / max)));
    rect.setAttribute('height', '12');
    rect.setAttribute('fill', colour(name));
    svg.append(rect);
    const num = document.createElement('span');
    num.textContent = ' ' + v;
    td.append(svg, num);
    tr.append(th, td);
    table.append(tr);
  }
  host.append(table);
  return table;
}
