// Requests to the service's own API (the page's only origin).

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch (e) { /* not JSON */ }
    throw new ApiError(r.status, problem);
  }
  return r.json();
}

// A paged answer (/v1/aggregates, /v1/coverage, /v1/exceedances) with every
// page's items, following `next` until it is null. The answers of the last
// few URLs are kept (a prefetch, going back to a view): the same URL is
// fetched and parsed once.
const recent = new Map();
const RECENT_MAX = 6;
export function getAllPages(url, maxPages = 50) {
  if (!recent.has(url)) {
    const p = fetchAllPages(url, maxPages);
    recent.set(url, p);
    p.catch(() => recent.delete(url));
    while (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value);
  }
  return recent.get(url);
}

async function fetchAllPages(url, maxPages) {
  const first = await getJSON(url);
  const items = Array.isArray(first.items) ? first.items.slice() : [];
  let next = first.next;
  for (let i = 1; next && i < maxPages; i++) {
    const page = await getJSON(next);
    if (Array.isArray(page.items)) items.push(...page.items);
    next = page.next;
  }
  return { ...first, items, next: null };
}

export function query(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

// The catalogue the views share, fetched once per page load.
let catalogue = null;
export function loadCatalogue() {
  if (!catalogue) {
    catalogue = Promise.all([
      getJSON('/v1/quantities').catch(() => ({ items: [] })),
      getJSON('/v1/projects').catch(() => ({ items: [] })),
      getJSON('/v1/areas').catch(() => ({ items: [] })),
    ]).then(([quantities, projects, areas]) => ({
      quantities: quantities.items || [],
      projects: projects.items || [],
      layers: areas.items || [],
    }));
  }
  return catalogue;
}

// The last moment with data among projects of `kind` (coverage.to), or null.
export function lastData(projects, kind) {
  let last = null;
  for (const p of projects) {
    const to = p && p.kind === kind && p.coverage && p.coverage.to;
    if (to && (!last || to > last)) last = to;
  }
  return last;
}
