// Dutch (the default) and English texts.

const texts = {
  nl: {
    title: 'Samen Meten Utrecht',
    skip: 'Naar de gegevens',
    docs: 'API',
    'tab.air': 'Lucht', 'tab.heat': 'Hitte', 'tab.traffic': 'Verkeer',
    'tab.beleving': 'Beleving', 'tab.downloads': 'Downloads',
    quantity: 'Grootheid', space: 'Gebied', show: 'Toon', period: 'Periode', date: 'Datum',
    hour: 'Uur (UTC)', project: 'Project', all: 'alle', bucket: 'Reeks per',
    'show.mean': 'gemiddelde', 'show.exceedances': 'dagen boven WHO-advieswaarde',
    'show.coverage': 'dekking (uren met metingen)',
    'period.latest': 'laatste uur', 'period.hour': 'uur', 'period.day': 'dag',
    'period.week': 'week', 'period.month': 'maand',
    'bucket.hour': 'uur', 'bucket.day': 'dag', 'bucket.week': 'week',
    grid: 'vierkanten', hex: 'zeshoeken', area: 'gebieden',
    cells: 'vakken', cell: 'Vak', items: 'op de kaart', none: 'Geen gegevens voor deze keuze.',
    suppressed: 'weggelaten (te weinig deelnemers)', excluded: 'afgekeurde metingen',
    loading: 'Laden…', error: 'Fout', mean: 'gemiddelde', max: 'maximum', count: 'metingen',
    participants: 'deelnemers', hours: 'uren', above: 'dagen boven', periods: 'dagen gemeten',
    worst: 'hoogste daggemiddelde', reference: 'WHO 2021 (24 uur)', series: 'Verloop',
    top: 'Hoogste waarden', choose: 'Kies een vak op de kaart of in de lijst.',
    permalink: 'Link naar deze weergave',
    stations: 'stations', station: 'Station', latest: 'Laatste meting', category: 'Categorie',
    'hours.per.category': 'Uren per categorie', wbgt: 'WBGT', heat_index: 'Hitte-index',
    humidex: 'Humidex', temperature: 'Temperatuur', observations: 'waarnemingen',
    blurred: 'positie afgerond op 100 m',
    segments: 'wegvakken', segment: 'Wegvak', volume: 'Totaal geteld', modal: 'Verdeling',
    car: 'auto', bike: 'fiets', pedestrian: 'voetganger', heavy: 'vrachtverkeer',
    v85: 'v85 (km/u)', reports: 'rapporten', uptime: 'gem. uptime',
    'beleving.none': 'Nog geen belevingsgegevens gepubliceerd.', theme: 'Thema',
    score: 'score (1–7)',
    'downloads.intro': 'De open gegevens van elk project, per regel, met de licentie. Luchtdata worden geaggregeerd gepubliceerd; metingen per punt vragen straks een onderzoekerstoken.',
    licence: 'Licentie', kind: 'Soort', coverage: 'Periode', readings: 'metingen',
    'kind.air': 'lucht', 'kind.traffic': 'verkeer', 'kind.heat': 'hitte',
    'kind.experience': 'beleving', nodataset: 'geen download',
    units: 'eenheid',
  },
  en: {
    title: 'Samen Meten Utrecht',
    skip: 'Skip to the data',
    docs: 'API',
    'tab.air': 'Air', 'tab.heat': 'Heat', 'tab.traffic': 'Traffic',
    'tab.beleving': 'Experience', 'tab.downloads': 'Downloads',
    quantity: 'Quantity', space: 'Cells', show: 'Show', period: 'Period', date: 'Date',
    hour: 'Hour (UTC)', project: 'Project', all: 'all', bucket: 'Series by',
    'show.mean': 'mean', 'show.exceedances': 'days above WHO guideline',
    'show.coverage': 'coverage (hours with readings)',
    'period.latest': 'latest hour', 'period.hour': 'hour', 'period.day': 'day',
    'period.week': 'week', 'period.month': 'month',
    'bucket.hour': 'hour', 'bucket.day': 'day', 'bucket.week': 'week',
    grid: 'squares', hex: 'hexagons', area: 'areas',
    cells: 'cells', cell: 'Cell', items: 'on the map', none: 'No data for this choice.',
    suppressed: 'left out (too few participants)', excluded: 'flagged readings',
    loading: 'Loading…', error: 'Error', mean: 'mean', max: 'maximum', count: 'readings',
    participants: 'participants', hours: 'hours', above: 'days above', periods: 'days measured',
    worst: 'highest daily mean', reference: 'WHO 2021 (24 h)', series: 'Series',
    top: 'Highest values', choose: 'Choose a cell on the map or in the list.',
    permalink: 'Link to this view',
    stations: 'stations', station: 'Station', latest: 'Latest observation', category: 'Category',
    'hours.per.category': 'Hours per category', wbgt: 'WBGT', heat_index: 'Heat index',
    humidex: 'Humidex', temperature: 'Temperature', observations: 'observations',
    blurred: 'position rounded to 100 m',
    segments: 'segments', segment: 'Segment', volume: 'Total counted', modal: 'Modal split',
    car: 'car', bike: 'bike', pedestrian: 'pedestrian', heavy: 'heavy',
    v85: 'v85 (km/h)', reports: 'reports', uptime: 'mean uptime',
    'beleving.none': 'No beleving data published yet.', theme: 'Theme',
    score: 'score (1–7)',
    'downloads.intro': "Each project's open data, row by row, with its licence. Air data are published aggregated; point-level readings will need a researcher token.",
    licence: 'Licence', kind: 'Kind', coverage: 'Period', readings: 'readings',
    'kind.air': 'air', 'kind.traffic': 'traffic', 'kind.heat': 'heat',
    'kind.experience': 'experience', nodataset: 'no download',
    units: 'unit',
  },
};

let lang = 'nl';

export function setLang(l) {
  lang = texts[l] ? l : 'nl';
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
}

export function getLang() {
  return lang;
}

export function t(key) {
  return (texts[lang] && texts[lang][key]) || texts.en[key] || key;
}

export function fmt(x, digits = 1) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  return Number(x).toLocaleString(lang === 'nl' ? 'nl-NL' : 'en-GB', {
    maximumFractionDigits: digits,
  });
}
