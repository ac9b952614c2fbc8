// The job graph: dagre lays the vertices out left to right, and the
// dashboard draws them as SVG. Each vertex shows its name, parallelism,
// records in/out per second, and is coloured by how busy (red) or
// back-pressured (dark) its busiest subtask is. Each edge is labelled with
// its partitioning (the ship strategy of Flink's plan: HASH, REBALANCE,
// FORWARD, BROADCAST).
import { graphlib, layout } from './vendor/dagre.esm.js';
import { fmtNum, fmtPercent, s } from './dom.js';

const W = 250;
const H = 96;
const LABEL_H = 18;
// Edge labels are short upper-case words in an 11px font.
const labelWidth = (text) => Math.ceil(text.length * 7.5) + 12;

/** The edges of Flink's plan: nodes[].inputs[].id; a chain when there are none. */
export function planEdges(vertices, plan) {
  const edges = [];
  const known = new Set(vertices.map((v) => v.id));
  for (const n of plan?.nodes ?? [])
    for (const i of n.inputs ?? [])
      if (known.has(i.id) && known.has(n.id))
        edges.push({ from: i.id, to: n.id, label: i.ship_strategy ?? '' });
  if (edges.length === 0)
    for (let i = 1; i < vertices.length; i++) edges.push({ from: vertices[i - 1].id, to: vertices[i].id, label: '' });
  return edges;
}

// The name on at most two lines, split at the " -> " of chained operators.
function nameLines(name, max = 30) {
  const parts = name.split(' -> ');
  const lines = [];
  let line = '';
  for (const p of parts) {
    const next = line ? `${line} → ${p}` : p;
    if (next.length <= max || !line) line = next;
    else { lines.push(line); line = `→ ${p}`; }
  }
  if (line) lines.push(line);
  const out = lines.slice(0, 2).map((l) => (l.length > max ? `${l.slice(0, max - 1)}…` : l));
  if (lines.length > 2) out[1] = `${out[1].slice(0, max - 1)}…`;
  return out;
}

function mix(a, b, t) {
  const pa = a.match(/\w\w/g).map((x) => parseInt(x, 16));
  const pb = b.match(/\w\w/g).map((x) => parseInt(x, 16));
  return `#${pa.map((x, i) => Math.round(x + (pb[i] - x) * t).toString(16).padStart(2, '0')).join('')}`;
}

/** The fill of a vertex: idle blue, to red when busy, to dark grey when back-pressured. */
export function vertexColour(busy, backPressured) {
  if (busy == null && backPressured == null) return '#eef2f7';
  let c = mix('#dbeafe', '#f87171', Math.min(1, Math.max(0, busy ?? 0)));
  c = mix(c, '#4b5563', Math.min(1, Math.max(0, backPressured ?? 0)));
  return c;
}

export class JobGraph {
  constructor(container, onSelect) {
    this.container = container;
    this.onSelect = onSelect;
    this.key = null;
    this.nodes = new Map();
  }

  /** Lays the graph out again only when its vertices or edges changed. */
  setStructure(vertices, edges) {
    const key = JSON.stringify([vertices.map((v) => [v.id, v.name, v.parallelism]), edges]);
    if (key === this.key) return;
    this.key = key;
    // A multigraph: two inputs of one vertex may come from the same vertex.
    const g = new graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 70, marginx: 12, marginy: 12 });
    for (const v of vertices) g.setNode(v.id, { width: W, height: H });
    edges.forEach((e, i) => g.setEdge(e.from, e.to, e.label
      ? { label: e.label, width: labelWidth(e.label), height: LABEL_H, labelpos: 'c' }
      : {}, `e${i}`));
    layout(g);
    const { width, height } = g.graph();
    const svg = s('svg', {
      class: 'job-graph', viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`,
      width: Math.ceil(width), height: Math.ceil(height), role: 'img', 'aria-label': 'Job graph',
      'data-testid': 'job-graph',
    });
    svg.append(s('defs', null, s('marker', {
      id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse',
    }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }))));
    for (const e of g.edges()) {
      const ed = g.edge(e);
      svg.append(s('path', {
        class: 'edge', d: ed.points.map((p, i) => `${i ? 'L' : 'M'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' '),
        'marker-end': 'url(#arrow)', 'data-from': e.v, 'data-to': e.w, 'data-ship-strategy': ed.label ?? '',
      }));
    }
    // The partitioning of each edge on it, as Flink's Web UI shows it.
    for (const e of g.edges()) {
      const ed = g.edge(e);
      if (!ed.label) continue;
      svg.append(s('g', {
        class: 'edge-label', transform: `translate(${(ed.x - ed.width / 2).toFixed(1)},${(ed.y - LABEL_H / 2).toFixed(1)})`,
        'data-from': e.v, 'data-to': e.w,
      },
      s('rect', { width: ed.width, height: LABEL_H, rx: 4 }),
      s('text', { x: ed.width / 2, y: LABEL_H / 2 + 4, 'text-anchor': 'middle' }, ed.label)));
    }
    this.nodes.clear();
    for (const v of vertices) {
      const n = g.node(v.id);
      const lines = nameLines(v.name);
      const rect = s('rect', { width: W, height: H, rx: 8, class: 'vertex-box' });
      const bp = s('rect', { x: 0, y: H - 6, width: 0, height: 6, class: 'bp-bar' });
      const rates = s('text', { x: 10, y: 66, class: 'vertex-rates' }, '');
      const load = s('text', { x: 10, y: 84, class: 'vertex-load' }, '');
      const group = s('g', {
        class: 'vertex', transform: `translate(${(n.x - W / 2).toFixed(1)},${(n.y - H / 2).toFixed(1)})`,
        'data-vertex-id': v.id, 'data-name': v.name, tabindex: 0, role: 'button',
      },
      s('title', null, v.name),
      rect, bp,
      lines.map((l, i) => s('text', { x: 10, y: 20 + i * 15, class: 'vertex-name' }, l)),
      s('text', { x: W - 10, y: 20, class: 'vertex-par', 'text-anchor': 'end' }, `×${v.parallelism}`),
      rates, load);
      const select = () => this.onSelect?.(v.id);
      group.addEventListener('click', select);
      group.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') select(); });
      svg.append(group);
      this.nodes.set(v.id, { group, rect, bp, rates, load });
    }
    this.container.replaceChildren(svg);
  }

  /** Live figures of one vertex: {inRate, outRate, busy, backPressured, level}. */
  update(id, m) {
    const n = this.nodes.get(id);
    if (!n) return;
    n.rect.setAttribute('fill', vertexColour(m.busy, m.backPressured));
    n.bp.setAttribute('width', String(Math.round(W * Math.min(1, m.backPressured ?? 0))));
    n.rates.textContent = `in ${fmtNum(m.inRate)}/s · out ${fmtNum(m.outRate)}/s`;
    n.load.textContent = m.busy == null && m.backPressured == null
      ? 'busy –  ·  back-pressure –'
      : `busy ${fmtPercent(m.busy)} · back-pressure ${fmtPercent(m.backPressured)}`;
    n.group.dataset.level = m.level ?? '';
    n.group.dataset.inRate = String(m.inRate ?? '');
    n.group.dataset.outRate = String(m.outRate ?? '');
  }

  select(id) {
    for (const [vid, n] of this.nodes) n.group.classList.toggle('selected', vid === id);
  }
}
