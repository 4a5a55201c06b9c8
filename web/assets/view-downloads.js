// Downloads: each project's open dataset in CSV, NDJSON and GeoJSON, with
// its licence.
import { t, fmt } from './i18n.js';
import { setState, clearData } from './mapview.js';
import { heading, message } from './controls.js';

const FORMATS = [['csv', 'CSV'], ['ndjson', 'NDJSON'], ['geojson', 'GeoJSON']];
const WITH_DATASET = new Set(['air', 'traffic', 'heat', 'experience']);

export async function render(ctx) {
  ctx.controls.replaceChildren();
  ctx.legend.replaceChildren();
  ctx.status.textContent = '';
  clearData();
  const panel = ctx.panel;
  panel.replaceChildren();
  heading(panel, t('tab.downloads'));
  message(panel, t('downloads.intro'));
  const table = document.createElement('table');
  table.id = 'downloads';
  const head = document.createElement('tr');
  for (const h of [t('project'), t('kind'), t('licence'), t('coverage'), t('readings'), 'Download']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.append(th);
  }
  table.append(head);
  for (const p of ctx.cat.projects) {
    const tr = document.createElement('tr');
    tr.dataset.slug = p.slug;
    const cov = p.coverage || {};
    const cells = [p.name || p.slug, t(`kind.${p.kind}`), p.licence || '–',
      cov.from ? `${cov.from.slice(0, 10)} – ${(cov.to || '').slice(0, 10)}` : '–',
      typeof p.readings === 'number' ? fmt(p.readings, 0) : '–'];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    const links = document.createElement('td');
    if (WITH_DATASET.has(p.kind)) {
      for (const [f, label] of FORMATS) {
        const a = document.createElement('a');
        a.href = `/v1/datasets/${encodeURIComponent(p.slug)}?format=${f}`;
        a.textContent = label;
        a.setAttribute('download', '');
        a.dataset.format = f;
        links.append(a, document.createTextNode(' '));
      }
    } else {
      links.textContent = t('nodataset');
    }
    tr.append(links);
    table.append(tr);
  }
  panel.append(table);
  setState('ready', { view: 'downloads', cells: 0, projects: ctx.cat.projects.length });
}
