// Traffic: Telraam segments coloured by the volume counted over a period;
// a segment's modal split, v85 and series.
import { getJSON, query, lastData } from './api.js';
import { t, fmt } from './i18n.js';
import { viridis, legend, categorical } from './scale.js';
import { drawFeatures, setState, showBackdrop, highlight, drawnCount } from './mapview.js';
import { timeChart, barTable } from './chart.js';
import { selectControl, inputControl, permalink, message, heading, pickList, facts } from './controls.js';
import { rfc3339, isoDay } from './period.js';

const MODES = ['car', 'bike', 'pedestrian', 'heavy'];

function volume(f) {
  const c = f.properties && f.properties.totals && f.properties.totals.counts;
  if (!c) return null;
  return MODES.reduce((s, m) => s + (Number(c[m]) || 0), 0);
}

export async function render(ctx) {
  const p = ctx.params;
  const last = lastData(ctx.cat.projects, 'traffic');
  const date = p.get('date') || (last ? last.slice(0, 10) : isoDay(Date.now()));
  const days = Math.min(366, Math.max(1, parseInt(p.get('days') || '7', 10) || 7));
  const segment = p.get('segment') || '';
  const bucket = p.get('bucket') === 'day' ? 'day' : 'hour';
  const project = p.get('project') || '';
  const c = ctx.controls;
  c.replaceChildren();
  inputControl(c, { name: 'date', label: t('date'), type: 'date', value: date,
    onChange: (v) => ctx.set({ date: v }) });
  selectControl(c, { name: 'days', label: t('period'), value: String(days),
    options: [['1', t('period.day')], ['7', t('period.week')], ['31', t('period.month')]],
    onChange: (v) => ctx.set({ days: v }) });
  const projects = ctx.cat.projects.filter((x) => x.kind === 'traffic');
  if (projects.length > 1) {
    selectControl(c, { name: 'project', label: t('project'), value: project,
      options: [['', t('all')], ...projects.map((x) => [x.slug, x.name])],
      onChange: (v) => ctx.set({ project: v, segment: null }) });
  }
  permalink(c);
  const layers = ctx.cat.layers.map((l) => l.layer);
  showBackdrop(layers.includes('wijken') ? 'wijken' : layers[0]);
  setState('loading');
  // The period ends with the chosen day.
  const to = Date.parse(`${date}T00:00:00Z`) + 86400e3;
  const from = to - days * 86400e3;
  const fc = await getJSON(query('/v1/traffic/segments', { project, from: rfc3339(from), to: rfc3339(to) }));
  const features = (fc.features || []).filter((f) => f && f.geometry);
  const values = features.map(volume).filter((v) => v !== null);
  const hi = Math.max(1, ...values);
  const colour = viridis(0, hi);
  legend(ctx.legend, { lo: 0, hi, unit: '', title: t('volume') });
  drawFeatures(features, {
    className: 'smu-segment',
    style: (f) => ({ color: volume(f) === null ? '#9e9e9e' : colour(volume(f)), weight: 5, smuWeight: 5,
      opacity: 0.9 }),
    onPick: (f) => ctx.set({ segment: String(f.properties.segment_id) }),
    fit: true,
  });
  highlight((f) => f && String(f.properties.segment_id) === segment);
  ctx.status.textContent = `${drawnCount()} ${t('segments')} ${t('items')}`;
  const panel = ctx.panel;
  panel.replaceChildren();
  const chosen = features.find((f) => String(f.properties.segment_id) === segment);
  if (chosen) {
    const tot = chosen.properties.totals || {};
    heading(panel, `${t('segment')} ${segment}`);
    facts(panel, [[t('volume'), fmt(volume(chosen), 0)], [t('v85'), fmt(tot.v85)],
      [t('reports'), fmt(tot.reports, 0)], [t('uptime'), fmt(tot.uptime, 2)]]);
    const split = tot.modal_split || {};
    const table = barTable(panel, t('modal'), MODES.map((m) => [m, split[m] === undefined || split[m] === null
      ? 0 : Math.round(split[m] * 1000) / 10]), categorical(MODES), (m) => `${t(m)} (%)`);
    table.id = 'modal-split';
    selectControl(panel, { name: 'bucket', label: t('bucket'), value: bucket,
      options: [['hour', t('bucket.hour')], ['day', t('bucket.day')]],
      onChange: (v) => ctx.set({ bucket: v }) });
    const detail = await getJSON(query(`/v1/traffic/segments/${encodeURIComponent(segment)}`, {
      bucket, from: rfc3339(from), to: rfc3339(to) }));
    const items = (detail.properties && detail.properties.items) || [];
    const chartHost = document.createElement('div');
    chartHost.id = 'series';
    panel.append(chartHost);
    const count = (i, m) => (i.counts ? i.counts[m] : i[m]) ?? null;
    if (items.length) {
      const colours = categorical(MODES);
      timeChart(chartHost, { times: items.map((i) => i.start), unit: '', range: [from, to],
        series: MODES.map((m) => ({ label: t(m), values: items.map((i) => count(i, m)), colour: colours(m) })) });
    }
    chartHost.dataset.items = String(items.length);
  } else {
    message(panel, features.length ? t('choose') : t('none'));
  }
  const ranked = [...features].sort((a, b) => (volume(b) ?? -1) - (volume(a) ?? -1)).slice(0, 20);
  if (ranked.length) {
    pickList(panel, t('segments'), ranked.map((f) => ({ id: String(f.properties.segment_id),
      label: `${f.properties.segment_id}: ${fmt(volume(f), 0)}` })), (id) => ctx.set({ segment: id }));
  }
  setState('ready', { view: 'traffic', cells: drawnCount() });
}
