// A records-per-second chart over time (uPlot): one line per series, the
// last MAX_POINTS samples.
import uPlot from './vendor/uPlot.esm.js';
import { fmtNum } from './dom.js';

const MAX_POINTS = 240;
const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

export class RateChart {
  constructor(container, title) {
    this.container = container;
    this.title = title;
    this.labels = [];
    this.data = [[]];
    this.plot = null;
    this.resize = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.resize.observe(container);
  }

  size() {
    return { width: Math.max(300, this.container.clientWidth - 4), height: 220 };
  }

  /** A sample: time in ms and one value per label (null: no value). */
  push(timeMs, labels, values) {
    if (labels.join('\n') !== this.labels.join('\n')) this.reset(labels);
    this.data[0].push(timeMs / 1000);
    values.forEach((v, i) => this.data[i + 1].push(v));
    if (this.data[0].length > MAX_POINTS) for (const col of this.data) col.shift();
    this.plot.setData(this.data);
    const last = values.reduce((a, v) => a + (v ?? 0), 0);
    this.container.dataset.points = String(this.data[0].length);
    this.container.dataset.last = String(last);
  }

  reset(labels) {
    this.labels = labels;
    this.data = [[], ...labels.map(() => [])];
    this.plot?.destroy();
    this.plot = new uPlot({
      title: this.title,
      ...this.size(),
      scales: { x: { time: true, range: (u, min, max) => [Math.min(min ?? max - 60, max - 60), max] }, y: { range: (u, min, max) => [0, Math.max(10, max * 1.1)] } },
      axes: [{}, { values: (u, ticks) => ticks.map((t) => fmtNum(t)), size: 60 }],
      series: [{}, ...labels.map((label, i) => ({
        label, stroke: COLOURS[i % COLOURS.length], width: 2,
        value: (u, v) => (v == null ? '–' : `${fmtNum(v)}/s`),
      }))],
      legend: { live: true },
    }, this.data, this.container);
  }

  dispose() {
    this.resize.disconnect();
    this.plot?.destroy();
  }
}
