// Colour scales that colour-blind readers can tell apart: viridis (values)
// and its discrete steps (categories); the legend marks a reference value.

const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89',
  '#35b779', '#6ece58', '#b5de2b', '#fde725'];

function hexToRgb(h) {
  return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
}

function mix(a, b, f) {
  const x = hexToRgb(a), y = hexToRgb(b);
  return '#' + x.map((v, i) => Math.round(v + (y[i] - v) * f).toString(16).padStart(2, '0')).join('');
}

// A function from a value to a colour over [lo, hi] (clamped).
export function viridis(lo, hi) {
  const span = hi > lo ? hi - lo : 1;
  return (v) => {
    if (v === null || v === undefined || Number.isNaN(v)) return '#9e9e9e';
    const f = Math.min(1, Math.max(0, (v - lo) / span)) * (VIRIDIS.length - 1);
    const i = Math.min(VIRIDIS.length - 2, Math.floor(f));
    return mix(VIRIDIS[i], VIRIDIS[i + 1], f - i);
  };
}

// Categories in rising order get evenly spaced viridis colours.
export function categorical(names) {
  const c = viridis(0, Math.max(1, names.length - 1));
  const map = new Map(names.map((n, i) => [n, c(i)]));
  return (name) => map.get(name) || '#9e9e9e';
}

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

// Draws a continuous legend into `host`: lo..hi with an optional reference
// mark (value and label).
export function legend(host, { lo, hi, unit, title, ref, refLabel }) {
  host.replaceChildren();
  const w = 240, h = 44, steps = 40, colour = viridis(lo, hi);
  const svg = svgEl('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: 'img',
    'aria-label': `${title}: ${lo} – ${hi} ${unit}` });
  for (let i = 0; i < steps; i++) {
    const v = lo + ((hi - lo) * (i + 0.5)) / steps;
    svg.append(svgEl('rect', { x: 10 + (i * (w - 20)) / steps, y: 14, width: (w - 20) / steps + 0.5,
      height: 12, fill: colour(v) }));
  }
  const label = (x, text, anchor) => {
    const el = svgEl('text', { x, y: 40, 'font-size': 11, 'text-anchor': anchor, fill: 'currentColor' });
    el.textContent = text;
    svg.append(el);
  };
  label(10, `${+lo.toFixed(1)}`, 'start');
  label(w - 10, `${+hi.toFixed(1)} ${unit || ''}`, 'end');
  const t = svgEl('text', { x: 10, y: 10, 'font-size': 11, fill: 'currentColor' });
  t.textContent = title;
  svg.append(t);
  if (ref !== undefined && ref !== null && hi > lo) {
    const x = 10 + ((Math.min(hi, Math.max(lo, ref)) - lo) / (hi - lo)) * (w - 20);
    svg.append(svgEl('line', { x1: x, x2: x, y1: 11, y2: 29, stroke: '#d62728', 'stroke-width': 2,
      class: 'ref-mark' }));
    label(x, refLabel || `${ref}`, x > w / 2 ? 'end' : 'start');
  }
  host.append(svg);
}

// A legend of categories with their colours.
export function categoryLegend(host, title, names, colour, labels = {}) {
  host.replaceChildren();
  const wrap = document.createElement('span');
  wrap.className = 'cat-legend';
  const head = document.createElement('strong');
  head.textContent = title + ' ';
  wrap.append(head);
  for (const n of names) {
    const item = document.createElement('span');
    const sw = svgEl('svg', { width: 12, height: 12, 'aria-hidden': 'true' });
    sw.append(svgEl('rect', { width: 12, height: 12, fill: colour(n) }));
    item.append(sw, document.createTextNode(' ' + (labels[n] || n) + ' '));
    wrap.append(item);
  }
  host.append(wrap);
}
