// Drives the dashboard in headless Chromium (Debian's /usr/bin/chromium,
// through playwright-core) and prints what it saw as one JSON object; the
// assertions live in tests/e2e/test_dashboard.py, which compares it with the
// API's own answers.
//   node tests/browser/dashboard.mjs scenario BASE_URL SCREENSHOT_DIR
//   node tests/browser/dashboard.mjs bench URL        (time to a drawn map)
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TIMEOUT = 30000;

async function launch(viewport) {
  const profile = mkdtempSync(join(tmpdir(), 'smu-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport, timeout: TIMEOUT,
  });
  context.setDefaultTimeout(TIMEOUT);
  return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

// Every console error, page error, failed request and request to another
// origin of a page.
function watch(page, origin, log) {
  page.on('console', (m) => { if (m.type() === 'error') log.console.push(m.text()); });
  page.on('pageerror', (e) => log.console.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) log.foreign.push(u);
    log.requests += 1;
  });
  page.on('requestfailed', (r) => log.failed.push(`${r.url()} ${r.failure() && r.failure().errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) log.failed.push(`${r.url()} ${r.status()}`); });
}

async function ready(page) {
  await page.waitForSelector('#map[data-state="ready"]', { state: 'attached' });
}

// Waits until the map has been drawn anew (after a change of state).
async function redrawn(page, change) {
  await page.evaluate(() => { document.getElementById('map').dataset.state = 'stale'; });
  await change();
  await ready(page);
}

async function mapInfo(page) {
  return page.evaluate(() => {
    const m = document.getElementById('map');
    return {
      hash: location.hash, href: location.href, lang: document.documentElement.lang,
      tab: document.querySelector('#tabs a[aria-current="page"]').textContent,
      data: { ...m.dataset },
      cells: document.querySelectorAll('#map path.smu-cell').length,
      stations: document.querySelectorAll('#map path.smu-station').length,
      segments: document.querySelectorAll('#map path.smu-segment').length,
      areas: document.querySelectorAll('#map path.smu-area').length,
      legendRef: document.querySelectorAll('#legend .ref-mark').length,
      status: document.getElementById('status').textContent,
    };
  });
}

// The series of the cell the URL names, once drawn.
async function seriesInfo(page) {
  await page.waitForFunction(() => {
    const cell = new URLSearchParams(location.hash.split('?')[1]).get('cell');
    const h = document.querySelector('#panel h2');
    const s = document.querySelector('#series-panel[data-state="ready"]');
    return cell && h && h.textContent.endsWith(cell) && s;
  });
  return page.evaluate(() => {
    const s = document.getElementById('series');
    return {
      items: s ? Number(s.dataset.items) : null,
      points: s && s.dataset.series ? JSON.parse(s.dataset.series) : null,
      charts: document.querySelectorAll('#panel .uplot').length,
      labels: [...document.querySelectorAll('#panel .u-legend .u-label')].map((e) => e.textContent),
      hash: location.hash,
    };
  });
}

async function shot(page, dir, name) {
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`) });
}

async function scenario(base, dir) {
  const origin = new URL(base).origin;
  if (dir) mkdirSync(dir, { recursive: true });
  const log = { console: [], foreign: [], failed: [], requests: 0 };
  const out = { log };
  const { context, close } = await launch({ width: 1280, height: 820 });
  try {
    const page = await context.newPage();
    watch(page, origin, log);

    // The default view.
    await page.goto(`${base}/`);
    await ready(page);
    out.home = await mapInfo(page);

    // An air view named in full, as a permalink would name it.
    const air = '#/air?q=pm25&space=grid:250&show=mean&period=day&date=2024-11-11';
    await redrawn(page, () => page.goto(`${base}/${air}`));
    out.air = await mapInfo(page);

    // A click on a cell draws its series.
    await page.locator('#map path.smu-cell').first().dispatchEvent('click');
    await page.waitForFunction(() => location.hash.includes('cell='));
    out.series = await seriesInfo(page);
    out.series.mapAfterClick = await mapInfo(page);
    await shot(page, dir, 'air');

    // Keyboard: the list of highest values, Enter on its second entry.
    const current = new URLSearchParams(page.url().split('?')[1]).get('cell');
    const second = page.locator(`.picklist button:not([data-id="${current}"])`).first();
    const wanted = await second.getAttribute('data-id');
    await second.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => decodeURIComponent(location.hash).includes(`cell=${id}`), wanted);
    out.keyboard = { wanted, series: await seriesInfo(page) };

    // Another quantity redraws.
    await redrawn(page, () => page.selectOption('#ctl-q', 'pm10'));
    out.pm10 = await mapInfo(page);

    // A permalink reproduces the view: a new page at the same URL.
    const link = await page.locator('#permalink').getAttribute('href');
    const again = await context.newPage();
    watch(again, origin, log);
    await again.goto(link);
    await ready(again);
    out.permalink = { link, before: await mapInfo(page), after: await mapInfo(again) };
    await again.close();

    // Days above the WHO guideline per wijk, over the month.
    await redrawn(page, () => page.goto(`${base}/#/air?q=pm25&show=exceedances&space=area:wijken&period=month&date=2024-11-11`));
    out.exceedances = await mapInfo(page);
    await shot(page, dir, 'air-exceedances');

    // Heat.
    await redrawn(page, () => page.goto(`${base}/#/heat`));
    out.heat = await mapInfo(page);
    await page.locator('#map path.smu-station').first().dispatchEvent('click');
    await page.waitForSelector('#hours-per-category');
    await page.waitForSelector('#panel #series[data-items]', { state: 'attached' });
    out.heatStation = await page.evaluate(() => ({
      hash: location.hash,
      hours: Object.fromEntries([...document.querySelectorAll('#hours-per-category tr')].map((tr) =>
        [tr.querySelector('th').textContent, Number(tr.querySelector('td span').textContent)])),
      series: Number((document.getElementById('series') || { dataset: {} }).dataset.items),
    }));
    await shot(page, dir, 'heat');

    // Traffic.
    await redrawn(page, () => page.goto(`${base}/#/traffic`));
    out.traffic = await mapInfo(page);
    await page.locator('#map path.smu-segment').first().dispatchEvent('click');
    await page.waitForSelector('#modal-split');
    await page.waitForSelector('#panel #series[data-items]', { state: 'attached' });
    out.segment = await page.evaluate(() => ({
      hash: location.hash,
      split: Object.fromEntries([...document.querySelectorAll('#modal-split tr')].map((tr) =>
        [tr.querySelector('th').textContent, Number(tr.querySelector('td span').textContent)])),
      series: Number((document.getElementById('series') || { dataset: {} }).dataset.items),
    }));
    await shot(page, dir, 'traffic');

    // Beleving.
    await redrawn(page, () => page.goto(`${base}/#/beleving`));
    out.beleving = { ...(await mapInfo(page)),
      none: await page.locator('#beleving-none').count(),
      text: await page.locator('#panel').textContent() };
    await shot(page, dir, 'beleving');

    // Downloads, in English.
    await redrawn(page, () => page.goto(`${base}/#/downloads?lang=en`));
    out.downloads = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      tab: document.querySelector('#tabs a[data-view="downloads"]').textContent,
      rows: [...document.querySelectorAll('#downloads tr[data-slug]')].map((tr) => ({
        slug: tr.dataset.slug,
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
        links: [...tr.querySelectorAll('a')].map((a) => a.getAttribute('href')),
      })),
    }));
    await shot(page, dir, 'downloads');

    // The language switch.
    await redrawn(page, () => page.goto(`${base}/#/air?lang=nl`));
    await redrawn(page, () => page.click('#lang'));
    out.lang = await page.evaluate(() => ({ lang: document.documentElement.lang,
      tab: document.querySelector('#tabs a[data-view="air"]').textContent, hash: location.hash }));

    // A phone.
    const phone = await context.newPage();
    watch(phone, origin, log);
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${base}/${air}`);
    await ready(phone);
    out.phone = await phone.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth, cells: document.querySelectorAll('#map path.smu-cell').length }));
    await phone.waitForTimeout(400); // Leaflet's fade-in of the drawn shapes
    await shot(phone, dir, 'phone');
    await phone.close();

    // The API docs.
    const docs = await context.newPage();
    watch(docs, origin, log);
    await docs.goto(`${base}/docs`);
    await docs.waitForSelector('body[data-state="ready"]', { state: 'attached' });
    await docs.waitForSelector('.opblock');
    out.docs = await docs.evaluate(() => [...document.querySelectorAll('.opblock')].map((b) => ({
      method: (b.querySelector('.opblock-summary-method') || {}).textContent,
      path: (b.querySelector('.opblock-summary-path') || {}).getAttribute('data-path'),
    })));
    await shot(docs, dir, 'docs');
    await docs.close();
  } finally {
    await close();
  }
  return out;
}

async function bench(url) {
  const { context, close } = await launch({ width: 1280, height: 820 });
  try {
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(url);
    await ready(page);
    const wall = Date.now() - t0;
    const info = await page.evaluate(() => {
      const data = performance.getEntriesByType('resource')
        .filter((e) => /\/v1\/(aggregates|latest|coverage|exceedances)/.test(e.name));
      const last = data.length ? data[data.length - 1] : null;
      return { cells: Number(document.getElementById('map').dataset.cells),
        sinceNavigation: Math.round(performance.now()),
        dataRequested: last ? Math.round(last.requestStart) : null,
        dataReceived: last ? Math.round(last.responseEnd) : null };
    });
    return { url, ...info, wallMs: wall };
  } finally {
    await close();
  }
}

const [mode, target, dir] = process.argv.slice(2);
const result = mode === 'bench' ? await bench(target) : await scenario(target, dir);
process.stdout.write(JSON.stringify(result) + '\n');
