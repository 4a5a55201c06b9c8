// The one Leaflet map of the page: an optional base map (only when the
// server is configured with a tile URL), an area layer as backdrop, and the
// current view's vector layer.
/* global L */

import { getJSON } from './api.js';

let map = null;
let dataLayer = null;
let backdrop = null;
let backdropName = null;
const el = () => document.getElementById('map');

// Above this many shapes the map draws on a canvas (fast); below, as SVG
// paths, which tests and assistive technology can see one by one.
const CANVAS_FROM = 3000;

function meta(name) {
  const m = document.querySelector(`meta[name="${name}"]`);
  const v = m ? m.getAttribute('content') : '';
  return v && !v.startsWith('{{') ? v : '';
}

export function initMap() {
  if (map) return map;
  map = L.map(el(), { center: [52.09, 5.12], zoom: 12, zoomSnap: 0.5, keyboard: true });
  map.attributionControl.setPrefix(false);
  // The area backdrop lies in a pane of its own under the data (overlayPane,
  // z-index 400), whichever of the two arrives first.
  map.createPane('backdrop').style.zIndex = 350;
  const tiles = meta('smu-tile-url');
  if (tiles) {
    L.tileLayer(tiles, { attribution: meta('smu-tile-attribution'), maxZoom: 19 }).addTo(map);
  }
  return map;
}

// Draws the areas of `layer` (from /v1/areas/{layer}) as thin outlines under
// everything else; once per layer.
export async function showBackdrop(layer) {
  initMap();
  if (!layer || layer === backdropName) return;
  backdropName = layer;
  try {
    const fc = await getJSON(`/v1/areas/${encodeURIComponent(layer)}`);
    if (backdrop) backdrop.remove();
    backdrop = L.geoJSON(fc, {
      interactive: false,
      pane: 'backdrop',
      renderer: L.svg({ pane: 'backdrop' }),
      style: { color: '#5f6b7a', weight: 1.2, fill: true, fillColor: '#eef1f4', fillOpacity: 0.6,
        className: 'smu-area' },
    }).addTo(map);
    backdrop.bringToBack();
    if (!dataLayer && backdrop.getBounds().isValid()) map.fitBounds(backdrop.getBounds());
  } catch (e) {
    backdropName = null; // no such layer: no backdrop
  }
}

// The map's data-* attributes say what it shows (tests and benchmarks read
// them): state (loading, ready, error), view, and the view's own.
export function setState(state, extra = {}) {
  const m = el();
  if (state === 'ready') for (const k of Object.keys(m.dataset)) delete m.dataset[k];
  m.dataset.state = state;
  for (const [k, v] of Object.entries(extra)) m.dataset[k] = String(v);
}

export function clearData() {
  initMap();
  if (dataLayer) dataLayer.remove();
  dataLayer = null;
}

// Draws GeoJSON features (polygons, lines or points) with `style(feature)`;
// `onPick(feature)` on click or Enter. Returns the layer.
export function drawFeatures(features, { style, onPick, className, point, fit }) {
  clearData();
  const renderer = features.length > CANVAS_FROM ? L.canvas({ padding: 0.2 }) : L.svg();
  const layer = L.geoJSON({ type: 'FeatureCollection', features }, {
    renderer,
    // On a canvas, no outlines: thousands of strokes cost as much as the fills.
    style: (f) => ({ renderer, className, ...style(f), ...(features.length > CANVAS_FROM ? { stroke: false } : {}) }),
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { renderer, className, radius: 8,
      ...(point ? point(f) : {}) }),
    onEachFeature: (f, l) => {
      if (onPick) l.on('click', () => onPick(f));
    },
  });
  // The view first, then the shapes: they are projected and drawn once.
  const bounds = fit && layer.getBounds();
  if (bounds && bounds.isValid()) map.fitBounds(bounds, { maxZoom: 15, animate: false });
  dataLayer = layer.addTo(map);
  return dataLayer;
}

export function drawnCount() {
  return dataLayer ? dataLayer.getLayers().length : 0;
}

export function highlight(match) {
  if (!dataLayer) return;
  dataLayer.eachLayer((l) => {
    const on = match(l.feature);
    if (l.setStyle) l.setStyle({ weight: on ? 3 : (l.options.smuWeight ?? 1) });
    if (on && l.bringToFront) l.bringToFront();
  });
}

export function invalidate() {
  if (map) map.invalidateSize();
}
