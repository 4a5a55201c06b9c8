// Form controls of a view, each labelled, changing the view's state (and so
// its URL) when changed.
import { t } from './i18n.js';

export function selectControl(host, { name, label, options, value, onChange }) {
  const wrap = document.createElement('label');
  wrap.textContent = label + ' ';
  const sel = document.createElement('select');
  sel.name = name;
  sel.id = `ctl-${name}`;
  for (const [v, text] of options) {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = text;
    if (String(v) === String(value)) o.selected = true;
    sel.append(o);
  }
  sel.addEventListener('change', () => onChange(sel.value));
  wrap.append(sel);
  host.append(wrap);
  return sel;
}

export function inputControl(host, { name, label, type, value, min, max, onChange }) {
  const wrap = document.createElement('label');
  wrap.textContent = label + ' ';
  const input = document.createElement('input');
  input.type = type;
  input.name = name;
  input.id = `ctl-${name}`;
  if (min !== undefined) input.min = min;
  if (max !== undefined) input.max = max;
  input.value = value ?? '';
  input.addEventListener('change', () => { if (input.value !== '') onChange(input.value); });
  wrap.append(input);
  host.append(wrap);
  return input;
}

export function permalink(host) {
  const a = document.createElement('a');
  a.href = location.href;
  a.id = 'permalink';
  a.textContent = t('permalink');
  host.append(a);
}

export function message(host, text, cls = 'note') {
  const p = document.createElement('p');
  p.className = cls;
  p.textContent = text;
  host.append(p);
  return p;
}

export function heading(host, text, level = 2) {
  const h = document.createElement(`h${level}`);
  h.textContent = text;
  host.append(h);
  return h;
}

// A list of buttons (keyboard users pick cells, stations or segments here).
export function pickList(host, title, rows, onPick) {
  heading(host, title, 3);
  const ol = document.createElement('ol');
  ol.className = 'picklist';
  for (const row of rows) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = row.label;
    b.dataset.id = row.id;
    b.addEventListener('click', () => onPick(row.id));
    li.append(b);
    ol.append(li);
  }
  host.append(ol);
  return ol;
}

// Key/value rows as a description list.
export function facts(host, rows) {
  const dl = document.createElement('dl');
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  host.append(dl);
  return dl;
}
