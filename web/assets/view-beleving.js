// Beleving (residents' experience): a theme's mean score per area. Until the
// service publishes an experience family in /v1/quantities, says so.
import { getAllPages, query, lastData } from './api.js';
import { t, fmt } from './i18n.js';
import { viridis, legend } from './scale.js';
import { drawFeatures, clearData, setState, showBackdrop, drawnCount } from './mapview.js';
import { selectControl, permalink, message, pickList } from './controls.js';
import { rfc3339 } from './period.js';

export async function render(ctx) {
  const themes = ctx.cat.quantities.filter((q) => q.family === 'experience');
  const layers = ctx.cat.layers.map((l) => l.layer);
  const c = ctx.controls;
  const panel = ctx.panel;
  c.replaceChildren();
  panel.replaceChildren();
  ctx.legend.replaceChildren();
  showBackdrop(layers.includes('wijken') ? 'wijken' : layers[0]);
  clearData();
  if (!themes.length || !layers.length) {
    const m = message(panel, t('beleving.none'));
    m.id = 'beleving-none';
    ctx.status.textContent = '';
    setState('ready', { view: 'beleving', cells: 0 });
    return;
  }
  const p = ctx.params;
  const theme = p.get('theme') || themes[0].name;
  const layer = p.get('layer') || (layers.includes('wijken') ? 'wijken' : layers[0]);
  selectControl(c, { name: 'theme', label: t('theme'), value: theme,
    options: themes.map((q) => [q.name, q.description || q.name]), onChange: (v) => ctx.set({ theme: v }) });
  selectControl(c, { name: 'layer', label: t('space'), value: layer, options: layers.map((l) => [l, l]),
    onChange: (v) => ctx.set({ layer: v }) });
  permalink(c);
  setState('loading');
  const last = lastData(ctx.cat.projects, 'experience');
  const to = last ? Date.parse(last) + 1000 : Date.now();
  let answer;
  try {
    answer = await getAllPages(query('/v1/aggregates', { quantity: theme, space: `area:${layer}`,
      bucket: 'month', from: rfc3339(to - 365 * 86400e3), to: rfc3339(to), stat: 'count,mean',
      limit: 10000 }));
  } catch (e) {
    message(panel, `${t('beleving.none')} (${e.message})`);
    setState('ready', { view: 'beleving', cells: 0 });
    return;
  }
  // The latest month per area.
  const byArea = new Map();
  for (const i of answer.items) {
    if (i.cell && i.cell.geometry && (!byArea.has(i.cell.id) || byArea.get(i.cell.id).start < i.start)) {
      byArea.set(i.cell.id, i);
    }
  }
  const items = [...byArea.values()];
  const colour = viridis(1, 7);
  legend(ctx.legend, { lo: 1, hi: 7, unit: '', title: `${theme}: ${t('score')}` });
  drawFeatures(items.map((i) => ({ type: 'Feature', id: i.cell.id, geometry: i.cell.geometry, properties: i })), {
    className: 'smu-cell',
    style: (f) => ({ color: '#1f2d3d', weight: 1, smuWeight: 1, fillOpacity: 0.8, fillColor: colour(f.properties.mean) }),
    fit: true,
  });
  if (items.length) {
    pickList(panel, theme, items.map((i) => ({ id: i.cell.id, label: `${i.cell.id}: ${fmt(i.mean)}` })), () => {});
  } else {
    message(panel, t('none'));
  }
  ctx.status.textContent = `${drawnCount()} ${t('items')}`;
  setState('ready', { view: 'beleving', cells: drawnCount() });
}
