// Charts over time (uPlot): one line per series. A TimeChart is either fed
// one sample at a time (push: the last MAX_POINTS are kept) or given its
// whole data at once (set). Series are plotted against named y scales, each
// with its own formatter; the first scale's axis is on the left, a second one
// on the right. RateChart is a TimeChart of values per second.
import uPlot from './vendor/uPlot.esm.js';
import { fmtNum } from './dom.js';

const MAX_POINTS = 240;
const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

/**
 * `options`:
 * - `scales`: {name: {fmt: value => string (legend), tick?: value => string (axis),
 *   min?: smallest top of the axis}}; the default is one scale `y` of fmtNum.
 * - `window`: the x axis spans at least this many seconds (null: just the data).
 * - `height`: in pixels; `points`: always mark the samples (else only when sparse).
 * Series are given as labels: a string (on the first scale) or {label, scale}.
 */
export class TimeChart {
  constructor(container, title, { scales = { y: { fmt: fmtNum } }, window = 60, height = 220, points = false } = {}) {
    this.container = container;
    this.title = title;
    this.scales = scales;
    this.window = window;
    this.height = height;
    this.points = points;
    this.key = null;
    this.data = [[]];
    this.plot = null;
    this.resize = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.resize.observe(container);
  }

  size() {
    return { width: Math.max(300, this.container.clientWidth - 4), height: this.height };
  }

  series(labels) {
    const first = Object.keys(this.scales)[0];
    return labels.map((l) => (typeof l === 'string' ? { label: l, scale: first } : { scale: first, ...l }));
  }

  /** A sample: time in ms and one value per label (null: no value). */
  push(timeMs, labels, values) {
    this.ensure(labels);
    this.data[0].push(timeMs / 1000);
    values.forEach((v, i) => this.data[i + 1].push(v));
    if (this.data[0].length > MAX_POINTS) for (const col of this.data) col.shift();
    this.draw();
  }

  /** All the data at once: times in ms (ascending) and one column of values per label. */
  set(timesMs, labels, columns) {
    this.ensure(labels);
    this.data = [timesMs.map((t) => t / 1000), ...columns.map((c) => [...c])];
    this.draw();
  }

  draw() {
    this.plot.setData(this.data);
    const n = this.data[0].length;
    this.container.dataset.points = String(n);
    this.container.dataset.last = String(this.data.slice(1).reduce((a, col) => a + (col[n - 1] ?? 0), 0));
  }

  ensure(labels) {
    const key = JSON.stringify(this.series(labels));
    if (key !== this.key) this.reset(labels, key);
  }

  reset(labels, key) {
    this.key = key;
    const series = this.series(labels);
    this.data = [[], ...series.map(() => [])];
    this.plot?.destroy();
    const win = this.window;
    const scales = {
      x: { time: true, range: win == null ? undefined : (u, min, max) => [Math.min(min ?? max - win, max - win), max] },
    };
    const axes = [{}];
    Object.entries(this.scales).forEach(([name, sc], i) => {
      const floor = sc.min ?? 0;
      scales[name] = { range: (u, min, max) => [0, Math.max(floor, (max ?? 0) * 1.1) || 1] };
      axes.push({
        scale: name, side: i === 0 ? 3 : 1, size: 70, grid: { show: i === 0 },
        values: (u, ticks) => ticks.map((t) => (sc.tick ?? sc.fmt)(t)),
      });
    });
    this.plot = new uPlot({
      title: this.title,
      ...this.size(),
      scales,
      axes,
      series: [{}, ...series.map((s, i) => ({
        label: s.label, scale: s.scale, stroke: COLOURS[i % COLOURS.length], width: 2,
        ...(this.points ? { points: { show: true, size: 6 } } : {}),
        value: (u, v) => (v == null ? '–' : this.scales[s.scale].fmt(v)),
      }))],
      legend: { live: true },
    }, this.data, this.container);
  }

  dispose() {
    this.resize.disconnect();
    this.plot?.destroy();
  }
}

/** Values per second (or in another unit: `unit` follows each legend value). */
export class RateChart extends TimeChart {
  constructor(container, title, { unit = '/s', min = 10 } = {}) {
    super(container, title, { scales: { y: { fmt: (v) => `${fmtNum(v)}${unit}`, tick: fmtNum, min } } });
  }
}
