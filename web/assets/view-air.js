// Air: a quantity per grid cell, hexagon or area for the latest hour or a
// chosen period (mean, days above the WHO 24 h guideline, or coverage);
// a cell's series by hour, day or week with the guideline as a line.
import { getAllPages, query } from './api.js';
import { t, fmt } from './i18n.js';
import { viridis, legend } from './scale.js';
import { drawFeatures, setState, showBackdrop, highlight, drawnCount } from './mapview.js';
import { timeChart } from './chart.js';
import { selectControl, inputControl, permalink, message, heading, pickList, facts } from './controls.js';
import { periodRange, seriesWindow, lastHourEnd, rfc3339, isoDay, bbox } from './period.js';
import { lastData } from './api.js';

const SPACES = ['grid:100', 'grid:250', 'grid:500', 'grid:1000', 'hex:250', 'hex:500'];
let drawn = { key: null, items: [], byId: new Map(), value: null };

function reference24h(q) {
  return (q && (q.references || []).find((r) => r.averaging === '24h')) || null;
}

// The view's settings from the URL, with defaults from the catalogue.
function settings(ctx) {
  const p = ctx.params;
  const airQ = ctx.cat.quantities.filter((q) => q.family === 'air');
  const qname = p.get('q') || (airQ.find((q) => q.name === 'pm25') || airQ[0] || {}).name || 'pm25';
  const last = lastData(ctx.cat.projects, 'air');
  const date = p.get('date') || (last ? last.slice(0, 10) : isoDay(Date.now()));
  const period = p.get('period') || 'day';
  const show = p.get('show') || 'mean';
  const layers = ctx.cat.layers.map((l) => l.layer);
  return {
    airQ, qname, quantity: airQ.find((q) => q.name === qname), date, period, show, layers,
    hour: p.get('hour') || '8',
    space: p.get('space') || 'grid:250',
    project: p.get('project') || '',
    cell: p.get('cell') || '',
    bucket: p.get('bucket') || (['week', 'month'].includes(period) ? 'day' : 'hour'),
  };
}

// Starts the map's request when the URL names quantity, date and the rest
// (a permalink): getAllPages shares it with drawMap.
export function prefetch(params) {
  const s = { qname: params.get('q'), date: params.get('date'), period: params.get('period') || 'day',
    show: params.get('show') || 'mean', hour: params.get('hour') || '8',
    space: params.get('space') || 'grid:250', project: params.get('project') || '' };
  if (!s.qname || !s.date || s.show !== 'mean' || s.period === 'latest') return;
  getAllPages(mapRequest(s).url).catch(() => {});
}

// The API request of the map, and how to read an item's value.
function mapRequest(s) {
  const common = { space: s.space, project: s.project, limit: 10000 };
  if (s.show === 'coverage') {
    const r = periodRange(s.period === 'latest' ? 'day' : s.period, s.date, s.hour);
    return { url: query('/v1/coverage', { ...common, from: rfc3339(r.from), to: rfc3339(r.to) }),
      value: (i) => i.hours, unit: t('hours'), title: t('show.coverage'), end: r.to };
  }
  if (s.show === 'exceedances') {
    const ref = reference24h(s.quantity);
    const r = periodRange(s.period === 'latest' || s.period === 'hour' ? 'day' : s.period, s.date, s.hour);
    return { url: ref && query('/v1/exceedances', { ...common, quantity: s.qname, reference: ref.name,
      from: rfc3339(r.from), to: rfc3339(r.to) }),
    value: (i) => i.above, unit: t('above'), title: `${t('show.exceedances')} (${ref ? ref.value : '–'})`,
    end: r.to };
  }
  const stat = 'count,mean,max';
  if (s.period === 'latest') {
    return { url: query('/v1/latest', { ...common, quantity: s.qname, stat }), value: (i) => i.mean,
      unit: s.quantity ? s.quantity.unit : '', title: `${s.qname} ${t('mean')}`, end: lastHourEnd() };
  }
  const r = periodRange(s.period, s.date, s.hour);
  return { url: query('/v1/aggregates', { ...common, quantity: s.qname, stat, bucket: r.bucket,
    from: rfc3339(r.from), to: rfc3339(r.to) }), value: (i) => i.mean,
  unit: s.quantity ? s.quantity.unit : '', title: `${s.qname} ${t('mean')}`, end: r.to };
}

function controls(ctx, s) {
  const c = ctx.controls;
  c.replaceChildren();
  selectControl(c, { name: 'q', label: t('quantity'), value: s.qname,
    options: s.airQ.map((q) => [q.name, `${q.name} (${q.unit})`]),
    onChange: (v) => ctx.set({ q: v, cell: null }) });
  selectControl(c, { name: 'show', label: t('show'), value: s.show,
    options: ['mean', 'exceedances', 'coverage'].map((v) => [v, t(`show.${v}`)]),
    onChange: (v) => ctx.set({ show: v, cell: null }) });
  const spaces = [...SPACES.map((v) => [v, `${t(v.split(':')[0])} ${v.split(':')[1]} m`]),
    ...s.layers.map((l) => [`area:${l}`, `${t('area')}: ${l}`])];
  selectControl(c, { name: 'space', label: t('space'), value: s.space, options: spaces,
    onChange: (v) => ctx.set({ space: v, cell: null }) });
  selectControl(c, { name: 'period', label: t('period'), value: s.period,
    options: ['latest', 'hour', 'day', 'week', 'month'].map((v) => [v, t(`period.${v}`)]),
    onChange: (v) => ctx.set({ period: v, cell: null }) });
  if (s.period !== 'latest') {
    inputControl(c, { name: 'date', label: t('date'), type: 'date', value: s.date,
      onChange: (v) => ctx.set({ date: v, cell: null }) });
  }
  if (s.period === 'hour') {
    inputControl(c, { name: 'hour', label: t('hour'), type: 'number', min: 0, max: 23, value: s.hour,
      onChange: (v) => ctx.set({ hour: v, cell: null }) });
  }
  const projects = ctx.cat.projects.filter((p) => p.kind === 'air');
  if (projects.length > 1) {
    selectControl(c, { name: 'project', label: t('project'), value: s.project,
      options: [['', t('all')], ...projects.map((p) => [p.slug, p.name])],
      onChange: (v) => ctx.set({ project: v, cell: null }) });
  }
  permalink(c);
}

async function drawMap(ctx, s, req) {
  const key = JSON.stringify([s.qname, s.space, s.show, s.period, s.date, s.hour, s.project,
    ctx.params.get('lang')]);
  if (drawn.key === key) return drawn;
  setState('loading');
  ctx.status.textContent = t('loading');
  if (!req.url) {
    drawn = { key, items: [], byId: new Map(), value: req.value };
    drawFeatures([], { style: () => ({}) });
    return drawn;
  }
  const answer = await getAllPages(req.url);
  const items = answer.items.filter((i) => i && i.cell && i.cell.geometry);
  const values = items.map(req.value).filter((v) => v !== null && v !== undefined);
  const ref = reference24h(s.quantity);
  let lo = 0, hi = Math.max(1, ...values);
  if (s.show === 'mean' && ref) hi = Math.max(2 * ref.value, 1);
  const colour = viridis(lo, hi);
  legend(ctx.legend, { lo, hi, unit: req.unit, title: req.title,
    ref: s.show === 'mean' && ref ? ref.value : undefined, refLabel: ref ? `WHO ${ref.value}` : '' });
  const features = items.map((i) => ({ type: 'Feature', id: i.cell.id, geometry: i.cell.geometry,
    properties: i }));
  drawFeatures(features, {
    className: 'smu-cell',
    style: (f) => ({ color: '#1f2d3d', weight: 0.4, smuWeight: 0.4, fillOpacity: 0.8,
      fillColor: colour(req.value(f.properties)) }),
    onPick: (f) => ctx.set({ cell: f.id }),
    fit: true,
  });
  drawn = { key, items, byId: new Map(items.map((i) => [i.cell.id, i])), value: req.value,
    answer };
  const extra = [];
  if (answer.suppressed) extra.push(`${answer.suppressed} ${t('suppressed')}`);
  ctx.status.textContent = `${drawnCount()} ${t('cells')} ${t('items')}` +
    (extra.length ? `; ${extra.join('; ')}` : '');
  return drawn;
}

async function series(ctx, s, req, host) {
  const item = drawn.byId.get(s.cell);
  const box = item && bbox(item.cell.geometry);
  host.dataset.state = 'loading';
  if (!box) {
    message(host, t('none'));
    host.dataset.state = 'ready';
    return;
  }
  selectControl(host, { name: 'bucket', label: t('bucket'), value: s.bucket,
    options: ['hour', 'day', 'week'].map((v) => [v, t(`bucket.${v}`)]),
    onChange: (v) => ctx.set({ bucket: v }) });
  const w = seriesWindow(s.bucket, req.end);
  const url = query('/v1/aggregates', { quantity: s.qname, space: s.space, project: s.project,
    bucket: s.bucket, from: rfc3339(w.from), to: rfc3339(w.to), stat: 'count,mean', limit: 10000,
    bbox: box.map((v) => v.toFixed(6)).join(',') });
  const answer = await getAllPages(url);
  const mine = answer.items.filter((i) => i.cell && i.cell.id === s.cell);
  const chartHost = document.createElement('div');
  chartHost.id = 'series';
  host.append(chartHost);
  if (!mine.length) {
    message(chartHost, t('none'));
  } else {
    const ref = reference24h(s.quantity);
    timeChart(chartHost, { times: mine.map((i) => i.start), unit: s.quantity ? s.quantity.unit : '',
      range: [w.from, w.to],
      series: [{ label: `${s.qname} ${t('mean')}`, values: mine.map((i) => i.mean) }],
      ref: ref ? { value: ref.value, label: t('reference') } : null });
  }
  chartHost.dataset.items = String(mine.length);
  chartHost.dataset.series = JSON.stringify(mine.map((i) => [i.start, i.mean]));
  host.dataset.state = 'ready';
}

export async function render(ctx) {
  if (!ctx.previous) drawn.key = null; // another view drew on the map since
  const s = settings(ctx);
  controls(ctx, s);
  showBackdrop(s.layers.includes('wijken') ? 'wijken' : s.layers[0]);
  const req = mapRequest(s);
  const panel = ctx.panel;
  panel.replaceChildren();
  if (s.show === 'exceedances' && !req.url) message(panel, t('none'));
  const d = await drawMap(ctx, s, req);
  highlight((f) => f && f.id === s.cell);
  if (s.cell && d.byId.has(s.cell)) {
    const item = d.byId.get(s.cell);
    heading(panel, `${t('cell')} ${s.cell}`);
    const rows = s.show === 'exceedances'
      ? [[t('above'), fmt(item.above, 0)], [t('periods'), fmt(item.periods, 0)], [t('worst'), fmt(item.worst_mean)]]
      : s.show === 'coverage'
        ? [[t('hours'), fmt(item.hours, 0)], [t('count'), fmt(item.count, 0)]]
        : [[t('mean'), `${fmt(item.mean)} ${s.quantity ? s.quantity.unit : ''}`], [t('max'), fmt(item.max)],
          [t('count'), fmt(item.count, 0)]];
    // participants may be a coarse lower bound, or absent: shown only as given
    if (typeof item.participants === 'number') rows.push([t('participants'), `≥ ${fmt(item.participants, 0)}`]);
    facts(panel, rows);
    heading(panel, t('series'), 3);
    const host = document.createElement('div');
    host.id = 'series-panel';
    panel.append(host);
    await series(ctx, s, req, host);
  } else {
    message(panel, d.items.length ? t('choose') : t('none'));
  }
  const top = [...d.items].sort((a, b) => (d.value(b) ?? -1) - (d.value(a) ?? -1)).slice(0, 15);
  if (top.length) {
    pickList(panel, t('top'), top.map((i) => ({ id: i.cell.id, label: `${i.cell.id}: ${fmt(d.value(i))}` })),
      (id) => ctx.set({ cell: id }));
  }
  setState('ready', { view: 'air', quantity: s.qname, space: s.space, show: s.show,
    cells: drawnCount() });
}
