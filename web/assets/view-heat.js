// Heat stress: stations with their latest WBGT or heat-index category, and a
// station's series and hours per category.
import { getJSON, query } from './api.js';
import { t, fmt } from './i18n.js';
import { categorical, categoryLegend } from './scale.js';
import { drawFeatures, setState, showBackdrop, highlight, drawnCount } from './mapview.js';
import { timeChart, barTable } from './chart.js';
import { selectControl, permalink, message, heading, pickList, facts } from './controls.js';
import { rfc3339 } from './period.js';

const CATEGORIES = {
  wbgt: ['low', 'moderate', 'high', 'very-high', 'extreme'],
  heat_index: ['none', 'caution', 'extreme-caution', 'danger', 'extreme-danger'],
};

export async function render(ctx) {
  const p = ctx.params;
  const index = p.get('index') === 'heat_index' ? 'heat_index' : 'wbgt';
  const station = p.get('station') || '';
  const project = p.get('project') || '';
  const c = ctx.controls;
  c.replaceChildren();
  selectControl(c, { name: 'index', label: t('category'), value: index,
    options: [['wbgt', t('wbgt')], ['heat_index', t('heat_index')]],
    onChange: (v) => ctx.set({ index: v }) });
  const projects = ctx.cat.projects.filter((x) => x.kind === 'heat');
  if (projects.length > 1) {
    selectControl(c, { name: 'project', label: t('project'), value: project,
      options: [['', t('all')], ...projects.map((x) => [x.slug, x.name])],
      onChange: (v) => ctx.set({ project: v, station: null }) });
  }
  permalink(c);
  const layers = ctx.cat.layers.map((l) => l.layer);
  showBackdrop(layers.includes('wijken') ? 'wijken' : layers[0]);
  setState('loading');
  const fc = await getJSON(query('/v1/heat/stations', { project }));
  const features = (fc.features || []).filter((f) => f && f.geometry);
  const names = CATEGORIES[index];
  const colour = categorical(names);
  const catOf = (f) => {
    const l = f.properties && f.properties.latest;
    return l ? l[`${index}_category`] : null;
  };
  categoryLegend(ctx.legend, t(index), names, colour);
  drawFeatures(features, {
    className: 'smu-station',
    style: () => ({}),
    point: (f) => ({ color: '#1f2d3d', weight: 1, smuWeight: 1, fillColor: colour(catOf(f)), fillOpacity: 0.9 }),
    onPick: (f) => ctx.set({ station: f.properties.id }),
    fit: true,
  });
  highlight((f) => f && f.properties && f.properties.id === station);
  ctx.status.textContent = `${drawnCount()} ${t('stations')} ${t('items')}`;
  const panel = ctx.panel;
  panel.replaceChildren();
  const chosen = features.find((f) => f.properties.id === station);
  if (chosen) {
    const pr = chosen.properties;
    const l = pr.latest || {};
    heading(panel, `${t('station')} ${pr.id}`);
    facts(panel, [
      [t('latest'), l.observed_at || '–'],
      [t('temperature'), `${fmt(l.temperature_c)} °C`],
      [t('wbgt'), `${fmt(l.wbgt_c)} °C (${l.wbgt_category || '–'})`],
      [t('heat_index'), `${fmt(l.heat_index_c)} °C (${l.heat_index_category || '–'})`],
      [t('observations'), fmt(pr.observations, 0)],
      ...(pr.position_blurred ? [['', t('blurred')]] : []),
    ]);
    const end = l.observed_at ? Date.parse(l.observed_at) + 3600e3 : Date.now();
    const detail = await getJSON(query(`/v1/heat/stations/${encodeURIComponent(pr.id)}`, {
      from: rfc3339(end - 7 * 86400e3), to: rfc3339(end), bucket: 'hour' }));
    const dp = detail.properties || {};
    const hours = (dp.hours_per_category || {})[index] || {};
    const table = barTable(panel, t('hours.per.category'), names.map((n) => [n, hours[n] || 0]), colour);
    table.id = 'hours-per-category';
    const items = dp.items || [];
    const chartHost = document.createElement('div');
    chartHost.id = 'series';
    panel.append(chartHost);
    if (items.length) {
      timeChart(chartHost, { times: items.map((i) => i.start), unit: '°C', range: [end - 7 * 86400e3, end], series: [
        { label: `${t('wbgt')} ${t('mean')}`, values: items.map((i) => i.wbgt_c && i.wbgt_c.mean), colour: '#31688e' },
        { label: `${t('heat_index')} ${t('mean')}`, values: items.map((i) => i.heat_index_c && i.heat_index_c.mean), colour: '#35b779' },
      ] });
    }
    chartHost.dataset.items = String(items.length);
  } else {
    message(panel, features.length ? t('choose') : t('none'));
  }
  if (features.length) {
    pickList(panel, t('stations'), features.slice(0, 50).map((f) => ({ id: f.properties.id,
      label: `${f.properties.id}: ${catOf(f) || '–'}` })), (id) => ctx.set({ station: id }));
  }
  setState('ready', { view: 'heat', cells: drawnCount() });
}
