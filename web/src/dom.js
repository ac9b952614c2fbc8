// Small DOM helpers and formatters shared by the views.

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function appendAll(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** An HTML element: h('a', {href: '#/'}, 'text', child, ...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  appendAll(el, children);
  return el;
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  appendAll(el, children);
  return el;
}

/**
 * A table: columns are {title, cell: row => node|string, cls?}; rows an array.
 * `empty` is shown when there are no rows.
 */
export function table(columns, rows, { empty = 'Nothing yet.', testid, rowAttrs } = {}) {
  if (!rows || rows.length === 0) return h('p', { class: 'empty', 'data-testid': testid }, empty);
  return h('table', { class: 'grid', 'data-testid': testid },
    h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.cls }, c.title)))),
    h('tbody', null, rows.map((r) => h('tr', rowAttrs?.(r),
      columns.map((c) => h('td', { class: c.cls }, c.cell(r)))))));
}

/** Key/value pairs as a definition list. */
export function facts(pairs, testid) {
  return h('dl', { class: 'facts', 'data-testid': testid },
    pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

export function badge(state) {
  const st = String(state ?? 'UNKNOWN');
  return h('span', { class: `badge state-${st.toLowerCase()}` }, st);
}

export function fmtNum(n, digits = 1) {
  if (n == null || Number.isNaN(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(digits)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(digits)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(digits)}k`;
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(a < 10 ? 1 : 0);
}

export function fmtBytes(n) {
  if (n == null || n < 0 || Number.isNaN(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function fmtDuration(ms) {
  if (ms == null || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  let sec = Math.floor(ms / 1000);
  const d = Math.floor(sec / 86400); sec %= 86400;
  const hr = Math.floor(sec / 3600); sec %= 3600;
  const m = Math.floor(sec / 60); sec %= 60;
  if (d) return `${d}d ${hr}h ${m}m`;
  if (hr) return `${hr}h ${m}m ${sec}s`;
  if (m) return `${m}m ${sec}s`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
}

export function fmtTime(ts) {
  if (ts == null || ts <= 0) return '–';
  const d = new Date(ts);
  const pad = (x, n = 2) => String(x).padStart(n, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtPercent(ratio) {
  return ratio == null || Number.isNaN(ratio) ? '–' : `${Math.round(ratio * 100)}%`;
}

export const TERMINAL = new Set(['FINISHED', 'CANCELED', 'FAILED']);
