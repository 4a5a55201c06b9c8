// The dashboard: one view at a time (air, heat, traffic, beleving,
// downloads), its whole state in the URL hash (#/air?q=pm25&space=grid:250),
// so every view is a permalink.
import { loadCatalogue } from './api.js';
import { setLang, getLang, t } from './i18n.js';
import { initMap, invalidate, setState } from './mapview.js';
import * as air from './view-air.js';
import * as heat from './view-heat.js';
import * as traffic from './view-traffic.js';
import * as beleving from './view-beleving.js';
import * as downloads from './view-downloads.js';

const views = { air, heat, traffic, beleving, downloads };

function readHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const i = h.indexOf('?');
  const view = (i < 0 ? h : h.slice(0, i)) || 'air';
  return { view: views[view] ? view : 'air', params: new URLSearchParams(i < 0 ? '' : h.slice(i + 1)) };
}

function writeHash(view, params) {
  const qs = params.toString();
  location.hash = `#/${view}${qs ? '?' + qs : ''}`;
}

let current = { view: null, params: null };

async function render() {
  const { view, params } = readHash();
  setLang(params.get('lang') || 'nl');
  const langButton = document.getElementById('lang');
  langButton.textContent = getLang() === 'nl' ? 'EN' : 'NL';
  langButton.setAttribute('aria-label', getLang() === 'nl' ? 'English' : 'Nederlands');
  for (const a of document.querySelectorAll('#tabs a')) {
    const q = new URLSearchParams();
    if (params.get('lang')) q.set('lang', params.get('lang'));
    a.href = `#/${a.dataset.view}${q.toString() ? '?' + q : ''}`;
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.body.dataset.view = view;
  // A view whose URL names everything its map needs asks for the data while
  // the catalogue loads.
  if (views[view].prefetch) views[view].prefetch(params);
  const previous = current.view === view ? current.params : null;
  current = { view, params };
  const ctx = {
    params,
    previous,
    cat: await loadCatalogue(),
    controls: document.getElementById('controls'),
    panel: document.getElementById('panel'),
    legend: document.getElementById('legend'),
    status: document.getElementById('status'),
    // Changes the state: null or '' removes a key.
    set(patch) {
      const next = new URLSearchParams(params);
      for (const [k, v] of Object.entries(patch)) {
        if (v === null || v === undefined || v === '') next.delete(k);
        else next.set(k, v);
      }
      writeHash(view, next);
    },
  };
  document.getElementById('map').hidden = view === 'downloads';
  invalidate();
  try {
    await views[view].render(ctx);
  } catch (e) {
    ctx.status.textContent = `${t('error')}: ${e.message}`;
    setState('error');
  }
}

function start() {
  initMap();
  document.getElementById('lang').addEventListener('click', () => {
    const { view, params } = readHash();
    params.set('lang', getLang() === 'nl' ? 'en' : 'nl');
    writeHash(view, params);
  });
  window.addEventListener('hashchange', render);
  render();
}

start();
